/**
 * Starting WebGPU in a test file (Dawn from the `webgpu` package; Mesa's lavapipe where there is
 * no GPU) and the TENSORF_SKIP_WEBGPU=1 convention: if WebGPU cannot start, a test that needs it
 * fails with the reason, unless TENSORF_SKIP_WEBGPU=1 (then it is skipped).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo } from '../../src/core/backend';

export const SKIP_WEBGPU = process.env.TENSORF_SKIP_WEBGPU === '1';

export interface WebgpuSession {
  info?: BackendInfo;
  error: string;
}

/** Makes webgpu the active backend (initBackend, so the project's kernel fixes are registered). */
export async function startWebgpu(): Promise<WebgpuSession> {
  try {
    const info = await initBackend('webgpu');
    return { info, error: '' };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Skips (TENSORF_SKIP_WEBGPU=1) or fails the calling test when WebGPU did not start. */
export function requireWebgpu(s: WebgpuSession, ctx: { skip: (note?: string) => void }): void {
  if (s.info) return;
  if (SKIP_WEBGPU) ctx.skip(`WebGPU unavailable: ${s.error}`);
  throw new Error(`WebGPU could not start: ${s.error} (set TENSORF_SKIP_WEBGPU=1 to skip)`);
}

/** Dawn keeps the process alive while a device exists: drop the tfjs backend (destroys its device). */
export async function stopWebgpu(): Promise<void> {
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
  await tf.setBackend('cpu');
}
