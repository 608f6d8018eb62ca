/**
 * renderBatch with the hand-written host kernels registered (the CPU training path: fused
 * decoder, WebAssembly/JS matmul, fast elementwise ops) against the naive per-ray loop of
 * render-batch-fixture.ts, whose decoder is the float64 plain-loop naiveDecode.
 */
import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { hostKernelsActive, registerFastCpuKernels } from '../../../src/core/kernels/register';
import { naiveDecode } from '../decoders/naive';
import { renderBatchSuite, setup } from './render-batch-fixture';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastCpuKernels();
});

it('the fused decoder path is the one taken', () => {
  expect(hostKernelsActive()).toBe(true);
  expect(setup().model.decoder.fused).toBeDefined();
});

renderBatchSuite('renderBatch with host kernels vs a naive per-ray loop (float64 decoder)', (m) => (f, d) => naiveDecode(m.decoder, f, d));
