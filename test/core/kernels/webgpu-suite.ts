/**
 * The set-up shared by the WebGPU kernel tests: start WebGPU before the file's tests (initBackend,
 * so the project's kernels are registered), watch the program cache while they run
 * (shader-key-watch.ts), and stop both after them. Call it inside a describe block.
 */
import { afterAll, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { startWebgpu, stopWebgpu, type WebgpuSession } from '../webgpu-session';
import { watchShaderKeys, type ShaderKeyWatch } from './shader-key-watch';

export interface WebgpuSuite {
  session: WebgpuSession;
  /** Undefined when WebGPU did not start. */
  watch?: ShaderKeyWatch;
}

export function webgpuSuite(): WebgpuSuite {
  const suite: WebgpuSuite = { session: { error: 'not started' } };
  beforeAll(async () => {
    suite.session = await startWebgpu();
    if (suite.session.info) suite.watch = watchShaderKeys(tf.backend());
  });
  afterAll(async () => {
    suite.watch?.stop();
    await stopWebgpu();
  });
  return suite;
}
