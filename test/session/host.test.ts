/**
 * The TrainerHost with a real (tiny) training on the Lego scene, in this process: events are
 * forwarded, renders are served between steps and while paused, pause holds the trainer, resume
 * and stop work, a finished run can be opened again and rendered, test views snap with their
 * ground truth, and paths outside the allowed folders are refused: by where they really lead
 * (symbolic links followed), for every path a run refers to, with errors that quote no file.
 *
 * Without the scene this skips, unless TENSORF_REQUIRE_DATA=1 (CI), where it fails.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../src/protocol/messages';
import type { TrainEvent } from '../../src/core/train/events';
import { TrainerHost } from '../../src/session/host';

const DATA = 'datasets/nerf_synthetic/lego';
const skip = !existsSync(`${DATA}/transforms_train.json`) && process.env.TENSORF_REQUIRE_DATA !== '1';
const tmp = mkdtempSync(join(tmpdir(), 'tensorf-host-'));
// the scene may be a symbolic link to a shared copy (scripts/link-shared-dataset.sh): allow where it really is
const dataRoot = existsSync(DATA) ? realpathSync(DATA) : DATA;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tiny = (out: string, iterations: number) => ({
  preset: 'smoke',
  data: DATA,
  backend: 'cpu',
  trainViews: 6,
  iterations,
  batchSize: 256,
  upsampleAt: [],
  alphaMaskAt: [],
  evalViews: 2,
  visEvery: 0,
  out,
});
// at (0, -4, 0.5) looking along +Y (its -Z), +Z up
const camera = { pose: [1, 0, 0, 0, 0, 0, -1, -4, 0, 1, 0, 0.5, 0, 0, 0, 1], fovY: 0.69, width: 24, height: 16 };

function harness(allowedRoots = [process.cwd(), tmp, dataRoot]) {
  const got: ServerMessage[] = [];
  const host = new TrainerHost((m) => got.push(JSON.parse(JSON.stringify(m))), { allowedRoots, stepEventMs: 0 });
  const of = <T extends ServerMessage['type']>(t: T) => got.filter((m) => m.type === t) as Extract<ServerMessage, { type: T }>[];
  const steps = () => of('event').flatMap((m) => (m.event.type === 'step' ? [m.event.iteration] : []));
  const until = async (what: string, cond: () => boolean, ms = 60_000) => {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms)
        throw new Error(`timed out waiting for ${what}; last messages: ${JSON.stringify(got.slice(-3)).slice(0, 400)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { got, host, of, steps, until };
}

function pixelsVary(rgba64: string): boolean {
  const b = Buffer.from(rgba64, 'base64');
  let lo = 255;
  let hi = 0;
  for (let i = 0; i < b.length; i += 4) {
    lo = Math.min(lo, b[i]);
    hi = Math.max(hi, b[i]);
  }
  return hi - lo > 10;
}

describe.skipIf(skip)('TrainerHost', () => {
  const runDir = join(tmp, 'run-a');

  it('trains, renders between steps, pauses (still rendering), resumes, finishes', async () => {
    const h = harness();
    h.host.ready();
    h.host.handle({ type: 'render', id: 1, camera, output: 'rgb', quality: 'coarse' });
    await h.until('the nothing-to-render error', () => h.of('error').length > 0);
    expect(h.of('error')[0]).toEqual({
      type: 'error',
      message: 'nothing to render yet: start a training or open a run folder',
      request: 'render',
    });

    h.host.handle({ type: 'start', config: tiny(runDir, 40) });
    h.host.handle({ type: 'start', config: tiny(runDir, 40) });
    expect(h.of('error').at(-1)?.message).toBe('a training is running; stop it before starting another');
    await h.until('step 3', () => h.steps().some((i) => i >= 3));
    expect(h.of('scene')[0].scene.trainPoses).toHaveLength(100);
    expect(h.of('scene')[0].scene.testPoses).toHaveLength(200);
    expect(h.of('event').map((m) => m.event.type)[0]).toBe('started');

    h.host.handle({ type: 'render', id: 2, camera, output: 'rgb', quality: 'coarse' });
    await h.until('frame 2', () => h.of('frame').some((f) => f.id === 2));
    const f2 = h.of('frame').find((f) => f.id === 2)!;
    expect(f2.image.width).toBe(24);
    expect(f2.image.height).toBe(16);
    expect(Buffer.from(f2.image.rgba, 'base64')).toHaveLength(24 * 16 * 4);
    expect(f2.iteration).toBeGreaterThan(0);

    h.host.handle({ type: 'pause' });
    await h.until('paused state', () => h.of('state').some((s) => s.state === 'paused'));
    await new Promise((r) => setTimeout(r, 300)); // the step in flight finishes
    const atPause = h.steps().at(-1)!;
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.steps().at(-1)).toBe(atPause);
    h.host.handle({ type: 'render', id: 3, camera, output: 'acc', quality: 'sharp' });
    await h.until('frame 3 while paused', () => h.of('frame').some((f) => f.id === 3));
    expect(h.of('frame').find((f) => f.id === 3)!.iteration).toBe(atPause);
    h.host.handle({ type: 'snapTestView', id: 4, view: 0 });
    await h.until('test view while paused', () => h.of('testView').length > 0);
    expect(h.steps().at(-1)).toBe(atPause);

    h.host.handle({ type: 'resume' });
    await h.until('done', () => h.of('state').some((s) => s.state === 'done'), 120_000);
    expect(h.steps().at(-1)).toBe(40);
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary.complete).toBe(true);
    const finalEval = h.of('event').find((m) => m.event.type === 'eval' && m.event.final);
    expect(finalEval).toBeDefined();

    // after the run: renders, an evaluation and a test view of the trained model
    h.host.handle({ type: 'render', id: 5, camera, output: 'rgb', quality: 'sharp' });
    await h.until('frame 5', () => h.of('frame').some((f) => f.id === 5));
    expect(pixelsVary(h.of('frame').find((f) => f.id === 5)!.image.rgba)).toBe(true);
    h.host.handle({ type: 'evaluate' });
    await h.until('eval event', () => h.of('event').some((m) => m.event.type === 'eval' && !m.event.final));
    h.host.handle({ type: 'snapTestView', id: 6, view: 199 });
    await h.until('test view 199', () => h.of('testView').some((t) => t.id === 6));
    const tv = h.of('testView').find((t) => t.id === 6)!;
    expect(tv.view).toBe(199);
    expect(tv.render.width).toBe(50);
    expect(tv.truth.width).toBe(50);
    expect(tv.error.height).toBe(50);
    expect(tv.psnr).toBeGreaterThan(8);
    expect(tv.cameraAngleX).toBeCloseTo(0.6911, 3);
    h.host.handle({ type: 'snapTestView', id: 7, view: 200 });
    await h.until('out-of-range error', () => h.of('error').some((e) => e.request === 'snapTestView'));
    expect(h.of('error').at(-1)!.message).toBe('test view 200 does not exist; the scene has views 0..199');
  }, 240_000);

  it('opens a finished run: scene, curves, viewing state, renders', async () => {
    const h = harness();
    h.host.handle({ type: 'openRun', path: runDir });
    await h.until('viewing', () => h.of('state').some((s) => s.state === 'viewing'));
    expect(h.of('history')[0].points.some((p) => p.trainPSNR !== undefined)).toBe(true);
    expect(h.of('history')[0].points.some((p) => p.testPSNR !== undefined)).toBe(true);
    h.host.handle({ type: 'render', id: 1, camera, output: 'depth', quality: 'sharp' });
    await h.until('frame', () => h.of('frame').length > 0);
    expect(h.of('frame')[0].iteration).toBe(40);
  }, 60_000);

  it('opens a run whose config.data leads outside the allowed folders without reading that scene', async () => {
    // the run folder is allowed, the scene it was trained on is not
    const h = harness([tmp]);
    h.host.handle({ type: 'openRun', path: runDir });
    await h.until('viewing', () => h.of('state').some((s) => s.state === 'viewing'));
    expect(h.of('error')[0].message).toMatch(
      /^openRun: the run's config\.data: datasets\/nerf_synthetic\/lego is outside the folders this server may open .*; the model can be viewed, test views cannot$/,
    );
    expect(h.of('scene').map((m) => [m.scene.trainPoses.length, m.scene.testPoses.length])).toEqual([[0, 0]]);
    h.host.handle({ type: 'snapTestView', id: 1, view: 0 });
    h.host.handle({ type: 'evaluate' });
    await h.until('two refusals', () => h.of('error').length >= 3);
    expect(
      h
        .of('error')
        .slice(1)
        .map((e) => [e.request, e.message]),
    ).toEqual([
      ['snapTestView', "this model's test views cannot be read (see the error when it was opened)"],
      ['evaluate', "this model's test views cannot be read (see the error when it was opened)"],
    ]);
    expect(h.of('testView')).toEqual([]);
    // the model itself renders
    h.host.handle({ type: 'render', id: 2, camera, output: 'rgb', quality: 'coarse' });
    await h.until('frame', () => h.of('frame').length > 0);
  }, 60_000);

  it('stops a training on request, keeping a checkpoint', async () => {
    const h = harness();
    const dir = join(tmp, 'run-stop');
    h.host.handle({ type: 'start', config: tiny(dir, 400) });
    await h.until('step 2', () => h.steps().some((i) => i >= 2));
    h.host.handle({ type: 'stop' });
    await h.until('stopped', () => h.of('state').some((s) => s.state === 'stopped'));
    expect(h.steps().at(-1)).toBeLessThan(400);
    expect(existsSync(join(dir, 'checkpoint.trf'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).complete).toBe(false);
  }, 120_000);

  it('compares decoders in turn: a table filling in, each entry renderable by label, the reports', async () => {
    const got: ServerMessage[] = [];
    const runs = join(tmp, 'runs');
    const host = new TrainerHost((m) => got.push(JSON.parse(JSON.stringify(m))), {
      allowedRoots: [process.cwd(), tmp, dataRoot],
      stepEventMs: 0,
      runsDir: runs,
    });
    const of = <T extends ServerMessage['type']>(t: T) => got.filter((m) => m.type === t) as Extract<ServerMessage, { type: T }>[];
    const { out: _out, ...config } = tiny('', 12);
    host.handle({ type: 'compare', decoders: 'mlp,splitnet:width=20', config });
    const t0 = Date.now();
    while (!of('state').some((s) => /^comparison .*done/.test(s.detail))) {
      if (Date.now() - t0 > 150_000) throw new Error(`comparison timed out: ${JSON.stringify(got.slice(-3)).slice(0, 300)}`);
      // ask for the first entry's model while the second trains
      if (of('compare').at(-1)?.rows[1].status === 'training' && !got.some((m) => m.type === 'frame'))
        host.handle({ type: 'render', id: 1, camera, output: 'rgb', quality: 'coarse', model: 'mlp' });
      await new Promise((r) => setTimeout(r, 50));
    }
    const first = of('compare')[0];
    expect(first.rows.map((r) => [r.label, r.status])).toEqual([
      ['mlp', 'waiting'],
      ['splitnet-width=20', 'waiting'],
    ]);
    const last = of('compare').at(-1)!;
    expect(last.rows.map((r) => r.status)).toEqual(['done', 'done']);
    expect(last.rows[0].decoderParams).toBe(36227);
    expect(last.rows[1].decoderParams).toBeLessThan(last.rows[0].decoderParams!);
    for (const r of last.rows) {
      expect(r.iteration).toBe(12);
      expect(r.testPSNR).toBeGreaterThan(5);
      expect(r.trainSeconds).toBeGreaterThan(0);
    }
    // the rows filled in one after the other
    const firstDone = of('compare').findIndex((m) => m.rows[0].status === 'done');
    expect(of('compare')[firstDone].rows[1].status).not.toBe('done');
    const frame = of('frame').find((f) => f.model === 'mlp');
    expect(frame?.iteration).toBe(12);
    for (const f of ['compare.json', 'report.html', 'report.md', 'report.json', 'mlp/summary.json', 'splitnet-width=20/summary.json'])
      expect(existsSync(join(last.dir, f)), f).toBe(true);
    // a label that is not an entry
    host.handle({ type: 'render', id: 2, camera, output: 'rgb', quality: 'coarse', model: 'nope' });
    await new Promise((r) => setTimeout(r, 200));
    expect(of('error').at(-1)?.message).toBe("no model 'nope' to render: it is not an entry of the comparison shown");
    // a training since forgets the entries' models in memory; a page reloaded then still sees them (read back from their folders)
    const statesBefore = of('state').length;
    host.handle({ type: 'start', config: tiny(join(tmp, 'after-compare'), 3) });
    const t1 = Date.now();
    while (
      !of('state')
        .slice(statesBefore)
        .some((m) => m.state === 'done' || m.state === 'failed')
    ) {
      if (Date.now() - t1 > 60_000) throw new Error(`training timed out: ${JSON.stringify(got.slice(-3)).slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    host.handle({ type: 'render', id: 3, camera, output: 'rgb', quality: 'coarse', model: 'splitnet-width=20' });
    const t2 = Date.now();
    while (!of('frame').some((f) => f.id === 3) && Date.now() - t2 < 30_000) await new Promise((r) => setTimeout(r, 50));
    expect(of('frame').find((f) => f.id === 3)).toMatchObject({ model: 'splitnet-width=20', iteration: 12 });
  }, 240_000);

  it('checks the run folder before loading: a file, or a folder another process trains in, is one error line and no training', async () => {
    const h = harness();
    const file = join(tmp, 'out-file');
    writeFileSync(file, 'keep');
    h.host.handle({ type: 'start', config: tiny(file, 5) });
    await h.until('the error', () => h.of('error').length >= 1);
    const busy = join(tmp, 'out-busy');
    mkdirSync(busy);
    writeFileSync(
      join(busy, '.lock'),
      JSON.stringify({ pid: process.ppid, host: hostname(), what: 'train:lego', since: 'then', procStart: null }),
    );
    writeFileSync(join(busy, 'config.json'), '{}');
    h.host.handle({ type: 'start', config: tiny(busy, 5) });
    await h.until('the second error', () => h.of('error').length >= 2);
    expect(h.of('error').map((e) => e.message)).toEqual([
      `start.config.out ${file}: a file, not a folder; choose another start.config.out (nothing was overwritten)`,
      `${busy}: in use by process ${process.ppid} (train:lego, since then); wait for it to end or stop it (Ctrl-C, or kill ${process.ppid}; it saves a checkpoint)`,
    ]);
    expect(h.of('state').some((s) => s.state === 'training' || /^loading /.test(s.detail))).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('keep');
  }, 60_000);

  it('refuses paths outside the allowed folders and names what is wrong', async () => {
    const h = harness();
    h.host.handle({ type: 'openRun', path: '../../etc' });
    h.host.handle({ type: 'openScene', path: '/' });
    h.host.handle({ type: 'openScene', path: tmp });
    h.host.handle({ type: 'openRun', path: tmp });
    await h.until('the run error', () => h.of('error').length >= 4);
    h.host.handle({ type: 'start', config: { ...tiny(join(tmp, 'x'), 5), out: '/tmp/../etc/evil' } });
    await h.until('five errors', () => h.of('error').length >= 5);
    const msgs = h.of('error').map((e) => e.message);
    expect(msgs.some((m) => /^openRun\.path: \.\.\/\.\.\/etc is outside the folders this server may open/.test(m))).toBe(true);
    expect(msgs.some((m) => /^openScene\.path: \/ is outside/.test(m))).toBe(true);
    expect(msgs.some((m) => /^start\.config\.out: \/tmp\/\.\.\/etc\/evil is outside/.test(m))).toBe(true);
    expect(msgs.some((m) => /no NeRF-synthetic scene at .*transforms_train\.json not found/.test(m))).toBe(true);
    expect(msgs.some((m) => /no checkpoint\.trf here; open a run folder/.test(m))).toBe(true);
  }, 60_000);
});

describe('TrainerHost path confinement (no scene needed)', () => {
  // tmp/allowed is the allowed folder; tmp/allowed/escape -> tmp/secret; tmp/allowed/junk has a transforms file that is not JSON
  const allowed = join(tmp, 'allowed');
  const secret = join(tmp, 'secret');
  mkdirSync(join(allowed, 'junk'), { recursive: true });
  mkdirSync(secret, { recursive: true });
  writeFileSync(join(secret, 'transforms_train.json'), 'TOP-SECRET the outside file');
  writeFileSync(join(allowed, 'junk', 'transforms_train.json'), 'TOP-SECRET an allowed file, not JSON');
  symlinkSync(secret, join(allowed, 'escape'));

  it('refuses a symbolic link out of an allowed folder, and quotes no file in any error', async () => {
    const h = harness([allowed]);
    h.host.handle({ type: 'openScene', path: join(allowed, 'escape') });
    h.host.handle({ type: 'openScene', path: join(allowed, 'junk') });
    h.host.handle({ type: 'openRun', path: join(allowed, 'escape') });
    h.host.handle({ type: 'start', config: { preset: 'smoke', data: join(allowed, 'escape') } });
    await h.until('four errors', () => h.of('error').length >= 4);
    const msgs = h.of('error').map((e) => e.message);
    expect(msgs[0]).toMatch(
      /^openScene\.path: .*\/allowed\/escape is outside the folders this server may open \(.*\); it leads there through a symbolic link; start the server with --allow DIR/,
    );
    expect(msgs[1]).toMatch(/allowed\/junk\/transforms_train\.json: invalid JSON \(Unexpected token\)$/);
    expect(msgs.some((m) => /^openRun\.path: .*escape is outside .*symbolic link/.test(m))).toBe(true);
    expect(msgs.some((m) => /^start\.config\.data: .*escape is outside .*symbolic link/.test(m))).toBe(true);
    expect(msgs.join('\n')).not.toMatch(/SECRET|outside file/);
    expect(h.of('scene')).toEqual([]);
  });
});

describe.skipIf(skip)('TrainerHost: the preset when the start names none', () => {
  it("is the backend's, as train:lego picks it (quick on cpu), and the state line says so", async () => {
    const h = harness();
    h.host.ready();
    const { preset: _named, ...config } = tiny(join(tmp, 'run-default-preset'), 2);
    h.host.handle({ type: 'start', config: { ...config, downscale: 16, gridStart: 16, gridEnd: 16 } });
    await h.until('the run to end', () => h.of('state').some((s) => s.state === 'done' || s.state === 'failed'));
    const started = h.of('event').find((m) => m.event.type === 'started')!.event as Extract<TrainEvent, { type: 'started' }>;
    expect(started.config.preset).toBe('quick');
    expect(h.of('state').some((s) => s.state === 'training' && /preset quick \(the default on the cpu backend/.test(s.detail))).toBe(true);
  });
});
