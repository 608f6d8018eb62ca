/**
 * The TrainerHost's "Save checkpoint now", "Resume run" and turntable recording, with a real tiny
 * training on the Lego scene in this process:
 * - a save asked for while paused writes the checkpoint at the step boundary without another
 *   step, and the host holds again; one asked for while training follows the next step; with
 *   nothing training it is refused with the reason;
 * - a stopped run is resumed from the page as `train:lego --resume` does: its curves come back
 *   (metrics.jsonl cut to the checkpoint), it trains from the checkpoint to the end, and resuming
 *   the complete run says so and trains nothing;
 * - a recording of N frames sends N progress messages, the last with an APNG of N frames whose
 *   first frame is the picture a render request at the same pose gets; a too-large one is refused.
 * Without the scene this skips, unless TENSORF_REQUIRE_DATA=1 (CI), where it fails.
 */
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { turntablePose } from '../../src/core/render/turntable';
import { readTrainerCheckpoint } from '../../src/core/train/trainer-checkpoint';
import type { ServerMessage } from '../../src/protocol/messages';
import { parseServerMessage } from '../../src/protocol/schema';
import { TrainerHost } from '../../src/session/host';
import { decodeApng } from '../core/io/apng-decode';

const DATA = 'datasets/nerf_synthetic/lego';
const skip = !existsSync(`${DATA}/transforms_train.json`) && process.env.TENSORF_REQUIRE_DATA !== '1';
const tmp = mkdtempSync(join(tmpdir(), 'tensorf-host-resume-'));
const dataRoot = existsSync(DATA) ? realpathSync(DATA) : DATA;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tiny = (out: string, iterations: number) => ({
  ...{ preset: 'smoke', data: DATA, backend: 'cpu', trainViews: 6, iterations, batchSize: 256, upsampleAt: [], alphaMaskAt: [] },
  ...{ evalViews: 2, visEvery: 0, checkpointEvery: 0, out },
});
const camera = { pose: [1, 0, 0, 0, 0, 0, -1, -4, 0, 1, 0, 0.5, 0, 0, 0, 1], fovY: 0.69, width: 12, height: 8 };

function harness() {
  const got: ServerMessage[] = [];
  // every message as a page would get it: through JSON and the schema
  const host = new TrainerHost((m) => got.push(parseServerMessage(JSON.parse(JSON.stringify(m)))), {
    allowedRoots: [process.cwd(), tmp, dataRoot],
    stepEventMs: 0,
  });
  const of = <T extends ServerMessage['type']>(t: T) => got.filter((m) => m.type === t) as Extract<ServerMessage, { type: T }>[];
  const events = <T extends string>(t: T) =>
    of('event').flatMap((m) => (m.event.type === t ? [m.event] : [])) as Extract<ServerMessage, { type: 'event' }>['event'][];
  const steps = () => of('event').flatMap((m) => (m.event.type === 'step' ? [m.event.iteration] : []));
  const checkpoints = () => of('event').flatMap((m) => (m.event.type === 'checkpoint' ? [m.event.iteration] : []));
  const until = async (what: string, cond: () => boolean, ms = 90_000) => {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(got.slice(-3)).slice(0, 400)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { got, host, of, events, steps, checkpoints, until };
}

describe.skipIf(skip)('TrainerHost: save checkpoint now, resume a run, record a turntable', () => {
  const dir = join(tmp, 'run');

  it('saves while paused (no further step) and while training; refuses with nothing training', async () => {
    const h = harness();
    h.host.handle({ type: 'saveCheckpoint' });
    expect(h.of('error').at(-1)).toEqual({
      type: 'error',
      message: 'no training to save: a checkpoint is written while a training runs (and always when it stops or ends)',
      request: 'saveCheckpoint',
    });
    h.host.handle({ type: 'start', config: tiny(dir, 4000) });
    await h.until('step 2', () => h.steps().some((i) => i >= 2));
    h.host.handle({ type: 'pause' });
    await h.until('paused', () => h.of('state').some((s) => s.state === 'paused'));
    await new Promise((r) => setTimeout(r, 300));
    const atPause = h.steps().at(-1)!;
    h.host.handle({ type: 'saveCheckpoint' });
    await h.until('the checkpoint while paused', () => h.checkpoints().length === 1);
    await new Promise((r) => setTimeout(r, 800));
    expect(h.steps().at(-1)).toBe(atPause); // no step was trained for it, and the host holds again
    expect(h.checkpoints()).toEqual([atPause]);
    expect(readTrainerCheckpoint(join(dir, 'checkpoint.trf')).meta.iteration).toBe(atPause);
    expect(h.of('state').at(-1)?.state).toBe('paused');

    h.host.handle({ type: 'resume' });
    await h.until('a few steps more', () => h.steps().at(-1)! >= atPause + 3);
    h.host.handle({ type: 'saveCheckpoint' });
    await h.until('the checkpoint while training', () => h.checkpoints().length === 2);
    const second = h.checkpoints()[1];
    expect(second).toBeGreaterThan(atPause + 2);
    expect(h.steps().filter((i) => i === second)).toHaveLength(1);
    await h.until('step 25 (metrics.jsonl has steps 10 and 20)', () => h.steps().at(-1)! >= 25);
    h.host.handle({ type: 'stop' });
    await h.until('stopped', () => h.of('state').some((s) => s.state === 'stopped'));
    expect(h.events('stopped')).toHaveLength(1);
  }, 180_000);

  it('resumes the stopped run from the page: its curves, from its checkpoint, then complete', async () => {
    const at = readTrainerCheckpoint(join(dir, 'checkpoint.trf')).meta.iteration;
    const h = harness();
    // 4000 iterations would take long: the run is resumed as it was saved, so stop it again soon
    h.host.handle({ type: 'resumeRun', path: dir });
    await h.until('resumed', () => h.events('resumed').length === 1);
    expect(h.events('resumed')[0]).toMatchObject({ iteration: at, total: 4000 });
    const history = h.of('history')[0];
    expect(history.run).toBe(dir);
    expect(history.points.filter((p) => p.trainPSNR !== undefined).map((p) => p.iteration)).toEqual([10, 20]); // cut back to the checkpoint
    expect(at).toBeGreaterThanOrEqual(25);
    await h.until('a step after the checkpoint', () => h.steps().length > 0);
    expect(h.steps()[0]).toBe(at + 1);
    expect(h.of('state').some((s) => s.state === 'training' && s.detail.startsWith(`resuming ${dir} at iteration ${at} of 4000`))).toBe(
      true,
    );
    h.host.handle({ type: 'resumeRun', path: dir });
    expect(h.of('error').at(-1)?.message).toBe('a training is running; stop it before resuming a run');
    h.host.handle({ type: 'stop' });
    await h.until('stopped', () => h.of('state').some((s) => s.state === 'stopped'));
    const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
    expect(metrics).toContain('"type":"resumed"');
  }, 180_000);

  it('resumes a short run to the end, then says the complete run is complete', async () => {
    const short = join(tmp, 'short');
    const h = harness();
    h.host.handle({ type: 'start', config: tiny(short, 30) });
    await h.until('step 5', () => h.steps().some((i) => i >= 5));
    h.host.handle({ type: 'stop' });
    await h.until('stopped', () => h.of('state').some((s) => s.state === 'stopped'));
    h.host.handle({ type: 'resumeRun', path: short });
    await h.until('done', () => h.of('state').some((s) => s.state === 'done'), 120_000);
    expect(h.steps().at(-1)).toBe(30);
    expect(JSON.parse(readFileSync(join(short, 'summary.json'), 'utf8')).complete).toBe(true);
    h.host.handle({ type: 'resumeRun', path: short });
    await h.until('the complete line', () => h.of('state').filter((s) => s.state === 'done').length === 2);
    expect(h.of('state').at(-1)?.detail).toMatch(
      new RegExp(`^run ${short} is complete \\(iteration 30 of 30, test PSNR \\d+\\.\\d\\d dB\\); nothing to do`),
    );
    h.host.handle({ type: 'resumeRun', path: join(tmp, 'nowhere') });
    await h.until('the refusal', () => h.of('error').some((e) => e.request === 'resumeRun'));
    expect(h.of('error').at(-1)?.message).toBe(`--resume ${join(tmp, 'nowhere')}: no such run folder`);
  }, 180_000);

  it('records a turntable: progress, then an APNG whose first frame is the render at that pose', async () => {
    const h = harness();
    h.host.handle({ type: 'openRun', path: join(tmp, 'short') });
    await h.until('viewing', () => h.of('state').some((s) => s.state === 'viewing'));
    h.host.handle({ type: 'record', id: 9, camera: { ...camera, width: 801 }, frames: 3, fps: 10 });
    expect(h.of('error').at(-1)?.message).toMatch(/^record\.camera\.width: expected a number in \[1, 800\]/);
    h.host.handle({ type: 'record', id: 9, camera: { ...camera, width: 800, height: 800 }, frames: 40, fps: 10 });
    expect(h.of('error').at(-1)?.message).toBe(
      'record: 40 frames of 800x800 are 25600000 pixels; at most 24000000 (fewer frames or a smaller size)',
    );
    h.host.handle({ type: 'record', id: 5, camera, frames: 3, fps: 10 });
    await h.until('the recording', () => h.of('recording').some((r) => r.done === 3));
    const recs = h.of('recording');
    expect(recs.map((r) => [r.id, r.done, r.total, r.apng === undefined])).toEqual([
      [5, 1, 3, true],
      [5, 2, 3, true],
      [5, 3, 3, false],
    ]);
    expect(recs[2].iterations).toEqual([30, 30]);
    const d = decodeApng(Buffer.from(recs[2].apng!, 'base64'));
    expect([d.width, d.height, d.fps]).toEqual([12, 8, [10, 10, 10]]);
    expect(d.frames[1]).not.toEqual(d.frames[0]);
    // the first frame is the pose turntablePose(camera, 0, 3) gives, as a render request gets it
    const pose = Array.from(turntablePose(Float32Array.from(camera.pose), 0, 3));
    h.host.handle({ type: 'render', id: 1, camera: { ...camera, pose }, output: 'rgb', quality: 'sharp' });
    await h.until('the frame', () => h.of('frame').length > 0);
    const rgba = Buffer.from(h.of('frame')[0].image.rgba, 'base64');
    expect(h.of('frame')[0].image.width).toBe(12);
    const rgb = Uint8Array.from({ length: 12 * 8 * 3 }, (_, k) => rgba[4 * Math.floor(k / 3) + (k % 3)]);
    expect([...d.frames[0]]).toEqual([...rgb]);
  }, 120_000);
});
