/**
 * Running a hand-written WGSL compute program through tfjs-backend-webgpu, so that its inputs and
 * its output stay ordinary tfjs tensors on the GPU (DESIGN.md section 3: a fused kernel sits behind
 * the same function signature as its plain-ops reference).
 *
 * tfjs builds the shader around the program's code: one read-write `result` buffer (the output),
 * one read-only buffer per name in `variableNames`, and a `uniforms` struct holding every input's
 * shape (`<name>Shape`), the output's (`outShape`), `size` when asked for, and the program's own
 * fields. It calls `fn main(index : i32)` with the flat invocation index (also when a large
 * dispatch is folded into 2-D or 3-D). Pipelines are cached by `shaderKey` plus ranks, dtypes and
 * broadcast pattern only, so the code must read every size from the uniforms, never bake it in.
 * A buffer is declared by its storage type, which for a float32 tensor made by a zero-copy cast
 * from int32 or bool is i32: the code converts what it reads with f32().
 *
 * This reads one tfjs-backend-webgpu method (runWebGPUProgram) and the WebGPUProgram fields of
 * 4.22; a test runs every kernel with several shapes in a row.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** The entry point tfjs calls (what its getMainHeaderString('index') writes). */
export const MAIN = 'fn main(index : i32)';

export type Uniform = { type: 'float32' | 'int32' | 'uint32'; data: number[] };

export interface ProgramSpec {
  /** Cache key stem; tfjs appends ranks, dtypes and broadcast pattern. Must name every variant of `code`. */
  shaderKey: string;
  outputShape: number[];
  /** Invocations needed (one per ray, one per element, ...); main returns for index >= threads. */
  threads: number;
  variableNames: string[];
  /** WGSL fields appended to the uniforms struct, e.g. 'scale : f32,' (values passed to runProgram in order). */
  uniforms?: string;
  /** Whether tfjs adds `uniforms.size` (the output's element count). */
  size?: boolean;
  workgroupSize?: number;
  /** 4: every buffer is array<vec4<f32>> and uniforms.size counts vec4s (the size must be a multiple of 4). */
  outputComponent?: 1 | 4;
  /** The body: helper functions and `${MAIN} { ... }`. */
  code: string;
}

/** A WebGPUProgram with a flat (1-D) dispatch of spec.threads invocations. */
export class WgslProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms?: string;
  size?: boolean;
  workgroupSize: [number, number, number];
  outputComponent?: number;
  private readonly code: string;

  constructor(spec: ProgramSpec) {
    const wg = spec.workgroupSize ?? 64;
    this.outputShape = spec.outputShape;
    this.shaderKey = spec.shaderKey;
    this.dispatchLayout = { x: spec.outputShape.map((_, i) => i) };
    this.dispatch = [Math.max(1, Math.ceil(spec.threads / wg)), 1, 1];
    this.variableNames = spec.variableNames;
    if (spec.uniforms) this.uniforms = spec.uniforms;
    if (spec.size) this.size = true;
    this.workgroupSize = [wg, 1, 1];
    if (spec.outputComponent === 4) this.outputComponent = 4;
    this.code = spec.code;
  }

  getUserCode(): string {
    return this.code;
  }
}

/** The active webgpu backend, or an error naming the caller and the plain-ops alternative. */
export function webgpuBackend(caller: string, alternative: string): WebGPUBackend {
  const name = tf.getBackend();
  if (name !== 'webgpu') throw new Error(`${caller} runs on the webgpu backend only (active: ${name}); use ${alternative} elsewhere`);
  return tf.backend() as unknown as WebGPUBackend;
}

/** Runs the program on float32 inputs; the float32 result is a tensor tracked like any op's. */
export function runProgram(backend: WebGPUBackend, program: WebGPUProgram, inputs: tf.Tensor[], uniforms?: Uniform[]): tf.Tensor {
  for (const [i, t] of inputs.entries()) {
    if (t.dtype !== 'float32') throw new Error(`${program.shaderKey}: input ${program.variableNames[i]} must be float32, got ${t.dtype}`);
  }
  // tfjs may rewrite the uniform list (empty arrays become [1]); give it copies.
  const info = backend.runWebGPUProgram(
    program,
    inputs,
    'float32',
    uniforms?.map((u) => ({ type: u.type, data: [...u.data] })),
  );
  return tf.engine().makeTensorFromTensorInfo(info);
}
