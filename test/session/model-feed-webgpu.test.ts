/**
 * ModelFeed with a device-resident training on webgpu: its parameters have no host copy, and
 * webgpu cannot read a tensor synchronously under Node (tfjs's readSync needs an OffscreenCanvas),
 * so the snapshot must be read back asynchronously and still carry exactly the device's values.
 * The same through the TrainerHost: a webgpu training watched by a page sends snapshots while it
 * steps. Skipped with TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start; the host test also needs the
 * Lego scene (it skips without it unless TENSORF_REQUIRE_DATA=1).
 */
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelParams } from '../../src/core/model';
import { flatGroups, groupParams } from '../../src/core/params';
import { decodeSnapshot } from '../../src/core/snapshot/snapshot-codec';
import { fromHalfArray, toHalfArray } from '../../src/core/snapshot/half-float';
import type { ServerMessage } from '../../src/protocol/messages';
import { TrainerHost } from '../../src/session/host';
import { ModelFeed } from '../../src/session/model-feed';
import { resolveConfig } from '../../src/core/config';
import { randomModel } from '../core/snapshot/random-model';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../core/webgpu-session';

const DATA = 'datasets/nerf_synthetic/lego';
const noData = !existsSync(`${DATA}/transforms_train.json`) && process.env.TENSORF_REQUIRE_DATA !== '1';

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

  it.skipIf(noData)(
    'a webgpu training in the TrainerHost: snapshots of its device parameters while watched, renders, test views, evaluation and reopening',
    async (ctx) => {
      requireWebgpu(session, ctx);
      const tmp = mkdtempSync(join(tmpdir(), 'tensorf-feed-'));
      const got: ServerMessage[] = [];
      // the app offers webgpu only with a GPU device node; here it runs on lavapipe, as in the CLI
      const probeBackends = async () => [{ name: 'webgpu' as const, available: true, why: 'lavapipe' }];
      const host = new TrainerHost((m) => got.push(m), {
        allowedRoots: [process.cwd(), tmp, realpathSync(DATA)],
        stepEventMs: 0,
        probeBackends,
      });
      const until = async (what: string, cond: () => boolean) => {
        const t0 = Date.now();
        while (!cond()) {
          if (got.some((m) => m.type === 'state' && m.state === 'failed') || Date.now() - t0 > 120_000)
            throw new Error(`waiting for ${what}; last: ${JSON.stringify(got.slice(-2)).slice(0, 300)}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const has = (type: ServerMessage['type'], id?: number) =>
        got.some((m) => m.type === type && (id === undefined || (m as { id?: number }).id === id));
      const camera = { pose: [1, 0, 0, 0, 0, 0, -1, -4, 0, 1, 0, 0.5, 0, 0, 0, 1], fovY: 0.69, width: 24, height: 16 };
      const run = join(tmp, 'run');
      try {
        host.ready();
        host.handle({ type: 'watchModel', on: true });
        host.handle({
          type: 'start',
          config: {
            preset: 'smoke',
            data: DATA,
            backend: 'webgpu',
            trainViews: 3,
            iterations: 12,
            batchSize: 128,
            upsampleAt: [],
            alphaMaskAt: [],
            evalViews: 1,
            visEvery: 0,
            out: run,
          },
        });
        await until('a step', () => got.some((m) => m.type === 'event' && m.event.type === 'step'));
        host.handle({ type: 'render', id: 1, camera, output: 'rgb', quality: 'coarse' }); // while it trains
        await until('done', () => got.some((m) => m.type === 'state' && m.state === 'done'));
        await until('frame 1', () => has('frame', 1));
        await feedSettled();
        const iterations = got.flatMap((m) => (m.type === 'model' ? [decodeSnapshot(m.snapshot).iteration] : []));
        // the first step's (read from the device while training) and the finished model's
        expect(iterations[0]).toBe(1);
        expect(iterations.at(-1)).toBe(12);
        host.handle({ type: 'snapTestView', id: 2, view: 0 });
        await until('test view', () => has('testView'));
        host.handle({ type: 'evaluate' });
        await until('evaluation', () => got.some((m) => m.type === 'event' && m.event.type === 'eval' && !m.event.final));
        host.handle({ type: 'openRun', path: run });
        await until('the opened run', () => got.some((m) => m.type === 'state' && m.state === 'viewing'));
        host.handle({ type: 'render', id: 3, camera, output: 'depth', quality: 'sharp' });
        await until('frame 3', () => has('frame', 3));
        expect(got.filter((m) => m.type === 'error')).toEqual([]);
      } finally {
        await host.shutdown();
        rmSync(tmp, { recursive: true, force: true });
      }
    },
    300_000,
  );
});

/** A snapshot read begun at the last step reaches the host's send within a few hundred ms. */
const feedSettled = () => new Promise((r) => setTimeout(r, 500));
