/**
 * Which backends can start here, found without starting one (nothing becomes tfjs's active
 * backend): cpu and auto always (auto falls back to cpu); tensorflow when one of the TensorFlow
 * packages loads; webgpu when there is a WebGPU adapter. On Linux without a GPU device node the
 * webgpu package (Dawn) is not loaded at all (gpu-nodes.ts). Each unavailable backend gets a
 * short reason for a person, without file paths or command-line syntax.
 */
import { type WebGpuAdapter, TENSORFLOW_PACKAGES, webgpuAdapter } from './backend';
import { BACKEND_NAMES, type BackendName } from './config';
import { noGpuReason } from './gpu-nodes';

export interface BackendAvailability {
  name: BackendName;
  available: boolean;
  /** Why it cannot start (or, when it can, a note such as a software adapter); '' when nothing to say. */
  why: string;
}

export interface ProbeDeps {
  importPackage: (name: string) => Promise<unknown>;
  /** null when a GPU may be present, else why WebGPU has no hardware adapter (then the adapter is not asked for). */
  noGpu: () => string | null;
  adapter: () => Promise<WebGpuAdapter | null>;
}

const DEFAULT_DEPS: ProbeDeps = {
  importPackage: (name) => import(/* @vite-ignore */ name),
  noGpu: () => noGpuReason(),
  adapter: webgpuAdapter,
};

const notFound = (e: unknown) => {
  const code = (e as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
};

/** A person's short reason from a load error: its first line with file paths and URLs left out. */
export function shortReason(e: unknown, max = 120): string {
  const line = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  const clean = line
    .replace(/(^|[\s'"(])(file:\/\/)?(\/[\w.@+-]+)+\/?/g, '$1')
    .replace(/\s+(imported from|from|at|in)\s*$/i, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

async function tensorflow(deps: ProbeDeps): Promise<BackendAvailability> {
  let why = 'TensorFlow for Node is not installed (@tensorflow/tfjs-node or tfjs-node-gpu)';
  for (const pkg of TENSORFLOW_PACKAGES) {
    try {
      await deps.importPackage(pkg);
      return { name: 'tensorflow', available: true, why: pkg.endsWith('-gpu') ? '' : 'TensorFlow without CUDA' };
    } catch (e) {
      if (!notFound(e)) why = `TensorFlow does not load: ${shortReason(e)}`;
    }
  }
  return { name: 'tensorflow', available: false, why };
}

async function webgpu(deps: ProbeDeps): Promise<BackendAvailability> {
  if (deps.noGpu() !== null) return { name: 'webgpu', available: false, why: 'no GPU here (no GPU device node)' };
  try {
    const a = await deps.adapter();
    if (!a) return { name: 'webgpu', available: false, why: 'no WebGPU adapter (no Vulkan driver?)' };
    return { name: 'webgpu', available: true, why: a.software ? `software adapter (${a.device}): slow` : '' };
  } catch (e) {
    return { name: 'webgpu', available: false, why: `WebGPU does not start: ${shortReason(e)}` };
  }
}

/** Every backend name, in BACKEND_NAMES' order, with whether it can start here. */
export async function probeBackends(deps: ProbeDeps = DEFAULT_DEPS): Promise<BackendAvailability[]> {
  const found: Partial<Record<BackendName, BackendAvailability>> = {
    auto: { name: 'auto', available: true, why: '' },
    cpu: { name: 'cpu', available: true, why: '' },
    tensorflow: await tensorflow(deps),
    webgpu: await webgpu(deps),
  };
  return BACKEND_NAMES.map((name) => found[name] ?? { name, available: true, why: '' });
}
