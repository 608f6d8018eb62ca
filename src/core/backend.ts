/**
 * Choosing and starting the tfjs backend: auto | tensorflow | webgpu | cpu (DESIGN.md section 3).
 * Every path reports what it picked and why in one line; an explicitly requested backend that
 * cannot start is a BackendError naming the reason.
 */
import { matmulVariant } from './kernels/wasm-arena';
import { BackendError } from './errors';
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import type { BackendName } from './config';
import { noGpuReason } from './gpu-nodes';
import { registerFastCpuKernels } from './kernels/register';
import { registerDeviceKernels } from './kernels/device-kernels';
import { registerDeviceReduceGradients } from './kernels/reduce-gradients';
import { installBindingGuard } from './kernels/webgpu-binding-guard';
import { registerWebgpuCumsumFix } from './kernels/webgpu-cumsum';
import { registerWebgpuMatmul } from './kernels/webgpu-matmul';
import { registerWebgpuReduce } from './kernels/webgpu-reduce';
import { installSubgroupDevice } from './kernels/webgpu-subgroups';
import { WEBGPU_KERNELS } from './kernels/webgpu-kernels';

export type ActiveBackend = 'tensorflow' | 'webgpu' | 'cpu';

export interface BackendInfo {
  name: ActiveBackend;
  /** One line: what was picked and why. */
  reason: string;
  /** The device (GPU adapter, TensorFlow build, or the CPU kernels). */
  device: string;
}

/** The TensorFlow bindings for Node, the GPU build first. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

async function tryTensorflow(): Promise<{ ok: true; device: string; gpu: boolean } | { ok: false; why: string }> {
  const errors: string[] = [];
  for (const pkg of TENSORFLOW_PACKAGES) {
    try {
      await import(/* @vite-ignore */ pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('setBackend(tensorflow) returned false');
      return { ok: true, device: pkg, gpu: pkg.endsWith('-gpu') };
    } catch (e) {
      errors.push(`${pkg}: ${firstLine(e)}`);
    }
  }
  return { ok: false, why: errors.join('; ') };
}

interface WebGpuProbe {
  ok: boolean;
  why: string;
  device: string;
  software: boolean;
}

/** What a WebGPU adapter is, or null when there is none. */
export interface WebGpuAdapter {
  device: string;
  software: boolean;
}

export const NO_ADAPTER = 'no WebGPU adapter (is a Vulkan driver installed? see README)';

/** Installs WebGPU (Dawn, the `webgpu` package) as navigator.gpu where there is none, and asks for an adapter. */
export async function webgpuAdapter(): Promise<WebGpuAdapter | null> {
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    const webgpu = (await import(/* @vite-ignore */ 'webgpu')) as { create: (o: string[]) => unknown; globals: object };
    Object.assign(globalThis, webgpu.globals);
    const gpu = webgpu.create([]);
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
    else Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
  const gpu = g.navigator!.gpu as {
    requestAdapter(): Promise<{
      info?: { vendor?: string; architecture?: string; device?: string; description?: string };
      isFallbackAdapter?: boolean;
    } | null>;
  };
  const adapter = await gpu.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info ?? {};
  const device = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  return { device, software: Boolean(adapter.isFallbackAdapter) || /llvmpipe|lavapipe|swiftshader|software/i.test(device) };
}

async function tryWebgpu(): Promise<WebGpuProbe> {
  try {
    const adapter = await webgpuAdapter();
    if (!adapter) return { ok: false, why: NO_ADAPTER, device: '', software: false };
    const { device, software } = adapter;
    installSubgroupDevice((globalThis as unknown as { navigator: { gpu: object } }).navigator.gpu); // subgroup matmul where lanes are 8 (lavapipe)
    await import('@tensorflow/tfjs-backend-webgpu');
    registerWebgpuCumsumFix(); // 4.22 caches reverse cumsum by rank only; 1-D forward cumsums as a blocked scan
    registerWebgpuMatmul(); // tiled or subgroup matrix multiplies, also tf.fused.matMul (1.6-11.5x tfjs's on lavapipe)
    registerWebgpuReduce(); // Sum over short rows or leading axes, All over short rows
    registerDeviceKernels('webgpu', WEBGPU_KERNELS); // the fused training and render kernels
    if (!(await tf.setBackend('webgpu'))) return { ok: false, why: 'tfjs could not start the webgpu backend', device, software };
    installBindingGuard(tf.backend() as unknown as WebGPUBackend); // an over-size buffer is an error, not a skipped program
    return { ok: true, why: '', device, software };
  } catch (e) {
    return { ok: false, why: firstLine(e), device: '', software: false };
  }
}

async function startCpu(reason: string): Promise<BackendInfo> {
  registerFastCpuKernels();
  await tf.setBackend('cpu');
  const mm = { fma: 'WebAssembly SIMD with fused multiply-add', simd: 'WebAssembly SIMD', none: 'plain JS' }[matmulVariant()];
  return { name: 'cpu', reason, device: `CPU (hand-written kernels: matmul in ${mm}, grid sampling, compositing)` };
}

export async function initBackend(requested: BackendName): Promise<BackendInfo> {
  registerDeviceReduceGradients(); // Sum and Mean gradients without host-made ones (all backends)
  // Production mode: no tfjs debug checks, and no "install tfjs-node" banner from the cpu backend.
  tf.enableProdMode();
  if (requested === 'cpu') return startCpu('cpu backend requested');
  if (requested === 'tensorflow') {
    const t = await tryTensorflow();
    if (!t.ok)
      throw new BackendError(
        `--backend tensorflow: cannot load TensorFlow (${t.why}); install @tensorflow/tfjs-node-gpu or use --backend cpu`,
      );
    return { name: 'tensorflow', reason: 'tensorflow backend requested', device: t.device };
  }
  if (requested === 'webgpu') {
    const w = await tryWebgpu();
    if (!w.ok) throw new BackendError(`--backend webgpu: ${w.why}`);
    return { name: 'webgpu', reason: `webgpu backend requested${w.software ? ' (software adapter)' : ''}`, device: w.device };
  }
  // auto
  const t = await tryTensorflow();
  if (t.ok && t.gpu) return { name: 'tensorflow', reason: 'auto: TensorFlow with CUDA found', device: t.device };
  const noGpu = noGpuReason(); // no GPU at all: the webgpu package is not loaded
  const w: WebGpuProbe = noGpu === null ? await tryWebgpu() : { ok: false, why: noGpu, device: '', software: false };
  if (w.ok && !w.software) return { name: 'webgpu', reason: 'auto: hardware WebGPU adapter found', device: w.device };
  const why = [
    t.ok ? 'TensorFlow has no GPU build here' : 'TensorFlow not installed',
    w.ok ? `WebGPU adapter is software (${w.device})` : `no WebGPU (${w.why})`,
  ].join('; ');
  return startCpu(`auto: cpu with hand-written kernels (${why})`);
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}
