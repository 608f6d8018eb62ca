/**
 * The TrainerHost on webgpu (the app's training process with a GPU; lavapipe here): a training
 * watched by a page sends model snapshots read from the device while it steps (a synchronous read
 * made it fail at its first step), renders while it trains, snaps a test view, evaluates, reopens
 * its run; paused, it writes its checkpoint on request and records a turntable, and a stopped run
 * resumes to the end; a comparison trains both entries and renders each by label. The app offers
 * webgpu only with a GPU device node, so the host is given a probe that offers it. Skipped with
 * TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start, and without the Lego scene unless
 * TENSORF_REQUIRE_DATA=1.
 */
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSnapshot } from '../../src/core/snapshot/snapshot-codec';
import type { ServerMessage } from '../../src/protocol/messages';
import { TrainerHost } from '../../src/session/host';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../core/webgpu-session';

const DATA = 'datasets/nerf_synthetic/lego';
const noData = !existsSync(`${DATA}/transforms_train.json`) && process.env.TENSORF_REQUIRE_DATA !== '1';
const probeBackends = async () => [{ name: 'webgpu' as const, available: true, why: 'lavapipe' }];
// at (0, -4, 0.5) looking along +Y (its -Z), +Z up
const camera = { pose: [1, 0, 0, 0, 0, 0, -1, -4, 0, 1, 0, 0.5, 0, 0, 0, 1], fovY: 0.69, width: 24, height: 16 };
/** A snapshot read begun at the last step reaches the host's send within a few hundred ms. */
const feedSettled = () => new Promise((r) => setTimeout(r, 500));

/** Resolves once cond() holds; throws on a failed state or after 120 s, quoting the last messages. */
async function waitFor(got: ServerMessage[], what: string, cond: () => boolean): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (got.some((m) => m.type === 'state' && m.state === 'failed') || Date.now() - t0 > 120_000)
      throw new Error(`waiting for ${what}; last: ${JSON.stringify(got.slice(-2)).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Tiny smoke settings on webgpu: 3 views, batch 128, no schedule, 1 test view. */
const tiny = (iterations: number, out?: string) => ({
  preset: 'smoke' as const,
  data: DATA,
  backend: 'webgpu' as const,
  trainViews: 3,
  iterations,
  batchSize: 128,
  upsampleAt: [],
  alphaMaskAt: [],
  evalViews: 1,
  visEvery: 0,
  ...(out ? { out } : {}),
});

interface Harness {
  host: TrainerHost;
  got: ServerMessage[];
  tmp: string;
  until: (what: string, cond: () => boolean) => Promise<void>;
}

/** A TrainerHost offered webgpu, its messages collected, in a temporary folder removed afterwards. */
async function withHost(body: (h: Harness) => Promise<void>): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'tensorf-host-webgpu-'));
  const got: ServerMessage[] = [];
  const host = new TrainerHost((m) => got.push(m), {
    allowedRoots: [process.cwd(), tmp, realpathSync(DATA)],
    stepEventMs: 0,
    runsDir: join(tmp, 'runs'),
    probeBackends,
  });
  try {
    await body({ host, got, tmp, until: (what, cond) => waitFor(got, what, cond) });
  } finally {
    await host.shutdown();
    rmSync(tmp, { recursive: true, force: true });
  }
}

describe('TrainerHost on webgpu', () => {
  let session: WebgpuSession = { error: 'not started' };
  beforeAll(async () => {
    session = await startWebgpu();
  });
  afterAll(stopWebgpu);

  it.skipIf(noData)(
    'a webgpu training in the TrainerHost: snapshots of its device parameters while watched, renders, test views, evaluation and reopening',
    async (ctx) => {
      requireWebgpu(session, ctx);
      await withHost(async ({ host, got, tmp, until }) => {
        const has = (type: ServerMessage['type'], id?: number) =>
          got.some((m) => m.type === type && (id === undefined || (m as { id?: number }).id === id));
        const run = join(tmp, 'run');
        host.ready();
        host.handle({ type: 'watchModel', on: true });
        host.handle({
          type: 'start',
          config: tiny(12, run),
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
      });
    },
    300_000,
  );

  it.skipIf(noData)(
    'a webgpu training paused: checkpoint on request, a turntable recorded; stopped, then resumed to the end',
    async (ctx) => {
      requireWebgpu(session, ctx);
      await withHost(async ({ host, got, tmp, until }) => {
        const states = () => got.flatMap((m) => (m.type === 'state' ? [m.state] : []));
        const run = join(tmp, 'run');
        host.handle({
          type: 'start',
          config: tiny(30, run),
        });
        await until('a step', () => got.some((m) => m.type === 'event' && m.event.type === 'step'));
        host.handle({ type: 'pause' });
        await until('paused', () => states().includes('paused'));
        host.handle({ type: 'saveCheckpoint' });
        await until('the checkpoint', () => got.some((m) => m.type === 'event' && m.event.type === 'checkpoint'));
        host.handle({ type: 'record', id: 1, camera, frames: 3, fps: 10 });
        await until('the recording', () => got.some((m) => m.type === 'recording' && m.done === 3));
        host.handle({ type: 'stop' });
        await until('stopped', () => states().includes('stopped'));
        const stoppedAt = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')).stoppedAt as number;
        expect(stoppedAt).toBeLessThan(30);
        host.handle({ type: 'resumeRun', path: run });
        await until('done', () => states().includes('done'));
        expect(JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'))).toMatchObject({
          complete: true,
          iterations: 30,
          backend: 'webgpu',
        });
        expect(got.filter((m) => m.type === 'error')).toEqual([]);
      });
    },
    300_000,
  );

  it.skipIf(noData)(
    'a comparison on webgpu in the TrainerHost: both entries trained and each renderable by label',
    async (ctx) => {
      requireWebgpu(session, ctx);
      await withHost(async ({ host, got, until }) => {
        host.handle({ type: 'watchModel', on: true });
        host.handle({ type: 'compare', decoders: 'mlp,splitnet:width=20', config: tiny(4) });
        await until('the comparison', () => got.some((m) => m.type === 'state' && /^comparison .*done/.test(m.detail)));
        const rows = got.flatMap((m) => (m.type === 'compare' ? [m.rows] : [])).at(-1)!;
        expect(rows.map((r) => [r.status, r.iteration])).toEqual([
          ['done', 4],
          ['done', 4],
        ]);
        for (const [id, model] of [
          [1, 'mlp'],
          [2, 'splitnet-width=20'],
        ] as const) {
          host.handle({ type: 'render', id, camera, output: 'rgb', quality: 'coarse', model });
          await until(`a frame of ${model}`, () => got.some((m) => m.type === 'frame' && m.id === id));
        }
        await feedSettled();
        expect(got.filter((m) => m.type === 'error')).toEqual([]);
        expect(got.some((m) => m.type === 'model')).toBe(true);
      });
    },
    300_000,
  );
});
