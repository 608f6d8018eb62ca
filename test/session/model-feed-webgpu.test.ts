/**
 * ModelFeed with a device-resident training on webgpu: its parameters have no host copy, and
 * webgpu cannot read a tensor synchronously under Node (tfjs's readSync needs an OffscreenCanvas),
 * so the snapshot must be read back asynchronously and still carry exactly the device's values.
 * Skipped with TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start (through the TrainerHost:
 * host-webgpu.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelParams } from '../../src/core/model';
import { flatGroups, groupParams } from '../../src/core/params';
import { decodeSnapshot } from '../../src/core/snapshot/snapshot-codec';
import { fromHalfArray, toHalfArray } from '../../src/core/snapshot/half-float';
import type { ServerMessage } from '../../src/protocol/messages';
import { ModelFeed } from '../../src/session/model-feed';
import { resolveConfig } from '../../src/core/config';
import { randomModel } from '../core/snapshot/random-model';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../core/webgpu-session';

describe('ModelFeed on webgpu', () => {
  let session: WebgpuSession = { error: 'not started' };
  beforeAll(async () => {
    session = await startWebgpu();
  });
  afterAll(async () => {
    tf.env().reset();
    await stopWebgpu();
  });

  it('sends the device parameters of a device-resident training, read back asynchronously, and leaves no tensor behind', async (ctx) => {
    requireWebgpu(session, ctx);
    tf.env().set('WEBGPU_CPU_FORWARD', false); // small tensors too are computed on the device
    const { model, mask } = randomModel('mlp');
    const values = groupParams(modelParams(model).map((p) => Float32Array.from(p.data, (v, i) => 0.5 * v + 1e-3 * i)));
    // made by a device program, so that no host copy exists (as for the training's variables)
    const tensors = groupParams(flatGroups(values).map((a) => tf.tidy(() => tf.mul(tf.tensor(a), 1))));
    const backend = tf.backend() as unknown as { tensorMap: { get(id: object): { values: unknown } } };
    expect(flatGroups(tensors).every((t) => backend.tensorMap.get(t.dataId).values == null)).toBe(true);
    const sent: Extract<ServerMessage, { type: 'model' }>[] = [];
    const feed = new ModelFeed(
      (m) => sent.push(m as Extract<ServerMessage, { type: 'model' }>),
      () => ({ model, mask, cfg: resolveConfig({ preset: 'smoke' }), iteration: 5, test: null, testCount: 0, deviceParams: () => tensors }),
    );
    const before = tf.memory().numTensors;
    feed.setWatching(true);
    await feed.idle();
    expect(sent).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
    const d = decodeSnapshot(sent[0].snapshot);
    expect(d.iteration).toBe(5);
    const half = (a: Float32Array) => Array.from(fromHalfArray(toHalfArray(a)));
    expect(d.densityPlanes.map((p) => Array.from(fromHalfArray(p as Uint16Array)))).toEqual(values.densityPlanes.map(half));
    expect(d.appPlanes.map((p) => Array.from(fromHalfArray(p as Uint16Array)))).toEqual(values.appPlanes.map(half));
    expect(d.densityLines.map((a) => Array.from(a))).toEqual(values.densityLines.map((a) => Array.from(a)));
    expect(d.appLines.map((a) => Array.from(a))).toEqual(values.appLines.map((a) => Array.from(a)));
    expect(Array.from(d.basis)).toEqual(Array.from(values.basis));
    expect(d.decoderWeights.map((a) => Array.from(a))).toEqual(values.decoder.map((a) => Array.from(a)));
    tf.dispose(flatGroups(tensors));
  });
});
