/**
 * Watches the WebGPU backend's program cache: tfjs-backend-webgpu compiles a program once per
 * cache key (the program's shaderKey plus ranks, dtypes and broadcast pattern, made in
 * runWebGPUProgram) and reuses it for every later call with that key. A program whose source
 * depends on something the key leaves out (4.22's reverse CumProgram writes the axis length into
 * its source) then silently runs another shape's code. The watch wraps runWebGPUProgram and
 * records every key that was seen with two different sources (getUserCode()).
 *
 * This reads tfjs internals (runWebGPUProgram, program.shaderKey, program.getUserCode), so it is
 * test-only; `supported` is false where they are missing.
 */

interface ProgramLike {
  shaderKey: string;
  getUserCode(): string;
  constructor: { name: string };
}

interface WebgpuBackendLike {
  runWebGPUProgram?: (program: ProgramLike, ...rest: unknown[]) => unknown;
}

export interface ShaderKeyWatch {
  supported: boolean;
  /** "ProgramName: key" for every key that was run with two different shader sources. */
  clashes(): string[];
  /** Program class name -> number of distinct cache keys run. */
  programs(): Map<string, number>;
  stop(): void;
}

export function watchShaderKeys(backend: unknown): ShaderKeyWatch {
  const be = backend as WebgpuBackendLike;
  const original = be.runWebGPUProgram;
  const sources = new Map<string, string>();
  const clashes = new Set<string>();
  const keysPerProgram = new Map<string, Set<string>>();
  if (typeof original !== 'function') {
    return { supported: false, clashes: () => [], programs: () => new Map(), stop: () => {} };
  }
  be.runWebGPUProgram = function (program: ProgramLike, ...rest: unknown[]) {
    const out = original.call(this, program, ...rest);
    const key = program.shaderKey; // the full cache key, set by runWebGPUProgram
    const source = program.getUserCode();
    const name = program.constructor.name;
    const seen = sources.get(key);
    if (seen === undefined) sources.set(key, source);
    else if (seen !== source) clashes.add(`${name}: ${key}`);
    if (!keysPerProgram.has(name)) keysPerProgram.set(name, new Set());
    keysPerProgram.get(name)!.add(key);
    return out;
  };
  return {
    supported: true,
    clashes: () => [...clashes],
    programs: () => new Map([...keysPerProgram].map(([n, k]) => [n, k.size])),
    stop: () => {
      be.runWebGPUProgram = original;
    },
  };
}
