/**
 * renderBatch (plain tfjs kernels: decoder.apply) against the naive per-ray loop of
 * render-batch-fixture.ts, whose decoder is decoder.apply on one 1-row tensor per sample.
 */
import { beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { applyDecode, renderBatchSuite } from './render-batch-fixture';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

renderBatchSuite('renderBatch vs a naive per-ray loop', applyDecode);
