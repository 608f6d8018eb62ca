/**
 * The training CLI as a user runs it (`node scripts/run.mjs src/cli/train.ts ...`, a child
 * process): --dry-run --json prints one JSON line with the config and parameter counts; preset
 * selection and its one-line explanation; bad flags exit 2 with one 'error:' line naming the flag
 * and no stack; a missing scene exits 2 saying where it looked and how to get it, leaving no run
 * folder; a tiny real run writes the run folder (config, metrics, checkpoint, renders, summary),
 * --json keeps stdout pure NDJSON; and the render CLI re-renders the run's test views from the
 * checkpoint with the same PSNR. The real runs need the Lego scene (skipped without it unless
 * TENSORF_REQUIRE_DATA=1).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { noGpuReason } from '../../src/core/gpu-nodes';
import { tempDir } from '../core/data/scene-fixture';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const hasData = existsSync(join(repo, 'datasets/nerf_synthetic/lego/transforms_train.json'));
const skipData = !hasData && process.env.TENSORF_REQUIRE_DATA !== '1';
const tmp = tempDir('train-cli');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(entry: 'train' | 'render', ...args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, 'scripts/run.mjs'), `src/cli/${entry}.ts`, ...args], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const noStack = (s: string) => expect(s).not.toMatch(/^\s+at /m);

function dryRun(...args: string[]) {
  const r = cli('train', '--dry-run', '--json', '--backend', 'cpu', ...args);
  expect(r.code, r.err).toBe(0);
  const out = lines(r.out);
  expect(out).toHaveLength(1);
  return JSON.parse(out[0]) as {
    config: Record<string, unknown>;
    params: { decoder: number; basis: number; field: number; total: number };
  };
}

/** VM field parameters: 3 planes R*R*C and 3 lines R*C per kind (cubic grid), plus the basis. */
const fieldParams = (R: number, dc: number, ac: number, appDim: number) => 3 * (R * R + R) * (dc + ac) + 3 * ac * appDim;

describe('train CLI: --dry-run', () => {
  it('--json prints one JSON line: the config and the parameter counts (default mlp)', () => {
    const { config, params } = dryRun();
    expect(config.decoder).toBe('mlp');
    expect(config.backend).toBe('cpu');
    expect(params.decoder).toBe(36227);
    expect(params.basis).toBe(3888); // 3 * 48 app comps x 27 features
    expect(params.field).toBe(fieldParams(64, 16, 48, 27)); // quick preset: 64^3
    expect(params.total).toBe(params.decoder + params.field);
  });

  it.each([
    [['--decoder', 'mlp', '--decoder-width', '119'], 32609],
    [['--decoder', 'siren'], 36227],
    [['--decoder', 'splitnet'], 35598],
    [['--decoder', 'splitnet', '--decoder-width', '42'], 32721],
  ])('%j: decoder parameters %i', (args, want) => {
    const { params } = dryRun(...args);
    expect(params.decoder).toBe(want);
    expect(params.basis).toBe(3888);
    expect(params.total).toBe(params.decoder + params.field);
  });

  it('--preset quick: 100x100 (downscale 8), batch 1024, 1500 iterations, 64^3 -> 128^3 at 300,600,900, mask at 300,700', () => {
    const { config } = dryRun('--preset', 'quick');
    expect(config).toMatchObject({
      preset: 'quick',
      downscale: 8,
      batchSize: 1024,
      iterations: 1500,
      gridStart: 64,
      gridEnd: 128,
      upsampleAt: [300, 600, 900],
      alphaMaskAt: [300, 700],
    });
  });

  it('without --preset on cpu: the first stdout line says preset quick and why', () => {
    const r = cli('train', '--dry-run', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    const first = lines(r.out)[0];
    expect(first).toMatch(/^preset quick \(the default on the cpu backend[^)]*\)/);
    expect(first).toMatch(/--preset thesis/);
    expect(r.out).toMatch(/^parameters on the starting 64\^3 grid: decoder 36227, basis 3888, field \d+, total \d+$/m);
    // --json: the explanation moves to stderr, stdout stays JSON
    const j = cli('train', '--dry-run', '--json', '--backend', 'cpu');
    expect(lines(j.err)[0]).toMatch(/^preset quick \(the default on the cpu backend/);
  });
});

describe('train CLI: --dry-run, what the schedule, views and backend become', () => {
  it('--iterations below the preset: the upsampling scaled, the masks not, and one line says so', () => {
    const { config } = dryRun('--preset', 'smoke', '--iterations', '50');
    expect(config).toMatchObject({ iterations: 50, upsampleAt: [20, 35], alphaMaskAt: [40, 70] });
    const r = cli('train', '--dry-run', '--backend', 'cpu', '--preset', 'smoke', '--iterations', '50');
    expect(r.code, r.err).toBe(0);
    const note = lines(r.err).filter((l) => l.startsWith('50 of the smoke'));
    expect(note).toEqual([
      "50 of the smoke preset's 100 iterations: upsampling scaled to --upsample-at 20,35 (preset 40,70); the alpha-mask update at 70 not reached (not scaled: an update needs a trained density); --upsample-at / --alpha-mask-at set them",
    ]);
    // the preset's own iterations, a longer run, or a schedule given: nothing scaled, no line
    expect(dryRun('--preset', 'smoke', '--iterations', '200').config.upsampleAt).toEqual([40, 70]);
    expect(dryRun('--preset', 'smoke', '--iterations', '50', '--upsample-at', '45').config.upsampleAt).toEqual([45]);
    expect(lines(cli('train', '--dry-run', '--backend', 'cpu', '--preset', 'smoke').err)).toHaveLength(1); // the backend line
  });

  it('--eval-views all is 0 (every test view)', () => {
    expect(dryRun('--preset', 'smoke', '--eval-views', 'all').config.evalViews).toBe(0);
  });

  it.skipIf(noGpuReason() === null)('auto on a machine without a GPU device node does not start Dawn (no warnings)', () => {
    const r = cli('train', '--dry-run', '--preset', 'smoke');
    expect(r.code, r.err).toBe(0);
    expect(lines(r.err)).toEqual([expect.stringMatching(/^backend cpu: auto: .*no GPU device node/)]);
  });
});

describe('train CLI: input errors exit 2 with one line', () => {
  it.each([
    [['--decoder', 'foo'], '--decoder'],
    [['--iterations', '0'], '--iterations'],
    [['--batch', '0'], '--batch'],
    [['--preset', 'nope'], '--preset'],
    [['--backend', 'nope'], '--backend'],
    [['--bogus', '1'], '--bogus'],
    [['--downscale', 'abc'], '--downscale'],
    [['--seed', '4294967303'], '--seed: expected <= 4294967295'], // it used to wrap onto --seed 7
    [['--iterations', '0x10'], "--iterations: expected a number in decimal, got '0x10'"], // it used to be 16
  ])('%j', (args, flag) => {
    const r = cli('train', '--dry-run', ...args);
    expect(r.code).toBe(2);
    const err = lines(r.err);
    expect(err, r.err).toHaveLength(1);
    expect(err[0]).toMatch(/^error: /);
    expect(err[0]).toContain(flag);
    noStack(r.err);
    expect(r.out).toBe('');
  });

  it('--data pointing to a missing folder: says where it looked and how to get the scene, no run folder', () => {
    const missing = join(tmp, 'no-such-scene');
    const out = join(tmp, 'run-missing');
    const r = cli('train', '--backend', 'cpu', '--data', missing, '--out', out);
    expect(r.code).toBe(2);
    const errs = lines(r.err).filter((l) => l.startsWith('error:'));
    expect(errs, r.err).toHaveLength(1);
    expect(errs[0]).toContain(missing);
    expect(errs[0]).toContain('npm run dataset:lego');
    expect(lines(r.err).at(-1)).toBe(errs[0]);
    noStack(r.err);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(skipData)('train CLI: a tiny real run, then the render CLI', () => {
  const run = join(tmp, 'run');
  const tiny = [
    '--preset',
    'smoke',
    '--backend',
    'cpu',
    '--iterations',
    '3',
    '--vis-every',
    '0',
    '--eval-views',
    '2',
    '--train-views',
    '5',
  ];

  it('writes config.json, metrics.jsonl, checkpoint.trf, renders/test_*.png and summary.json', () => {
    const r = cli('train', ...tiny, '--out', run);
    expect(r.code, r.err).toBe(0);
    noStack(r.err);
    expect(lines(r.out)[0]).toMatch(/^preset smoke \(requested\)/);
    const err = lines(r.err);
    expect(err).toContain('data: 12500 training rays (50x50), 2 test views loaded (2 for the final evaluation)');
    // 3 of smoke's 100 iterations: the upsampling at 40,70 scaled to 1,2, named as --upsample-at names it
    expect(err.filter((l) => l.startsWith('upsample '))).toEqual([
      expect.stringMatching(/^upsample at iteration 1 \(--upsample-at\), after step 2: grid /),
      expect.stringMatching(/^upsample at iteration 2 \(--upsample-at\), after step 3: grid 48x48x48/),
    ]);
    expect(err.at(-1)).toBe(
      `renders in ${join(run, 'renders')} (test_NNN_<psnr>dB.png: render | ground truth | error map; index.json: per-view PSNR and SSIM); in the app (npm run serve, or npm start): Open run ${run}`,
    );
    expect(readdirSync(run).sort()).toEqual(['checkpoint.trf', 'config.json', 'metrics.jsonl', 'renders', 'summary.json']);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ preset: 'smoke', iterations: 3, evalViews: 2, trainViews: 5, visEvery: 0, out: run });
    const metrics = lines(readFileSync(join(run, 'metrics.jsonl'), 'utf8')).map((l) => JSON.parse(l));
    expect(metrics[0].type).toBe('started');
    expect(metrics.filter((m) => m.type === 'step').map((m) => m.iteration)).toEqual([3]);
    const viewEvents = metrics.filter((m) => m.type === 'view');
    expect(viewEvents.map((m) => m.view)).toEqual([0, 199]); // 2 of 200, evenly spaced
    const s = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    // each render is named with its PSNR, and renders/index.json lists the views with their scores
    const names = viewEvents.map((m) => `test_${String(m.view).padStart(3, '0')}_${m.psnr.toFixed(2)}dB.png`);
    expect(readdirSync(join(run, 'renders')).sort()).toEqual(['index.json', ...names].sort());
    const index = JSON.parse(readFileSync(join(run, 'renders', 'index.json'), 'utf8'));
    expect(index).toEqual({
      iteration: 3,
      complete: true,
      views: viewEvents.map((m, i) => ({ view: m.view, name: m.name, file: names[i], psnr: m.psnr, ssim: m.ssim })),
      meanPSNR: expect.closeTo(s.testPSNR, 9),
      meanSSIM: expect.closeTo(s.testSSIM, 9),
    });
    expect(s).toMatchObject({
      decoder: 'mlp',
      decoderParams: 36227,
      preset: 'smoke',
      iterations: 3,
      backend: 'cpu',
      evalViews: 2,
      imageSize: [50, 50],
      complete: true,
    });
    // on the final grid (48^3 after the scaled upsampling); the started line counts the 32^3 start
    expect(s.finalTotalParams).toBe(36227 + fieldParams(48, 16, 48, 27));
    expect(s.finalReso).toEqual([48, 48, 48]);
    expect(err.find((l) => l.startsWith('parameters on the starting'))).toMatch(
      new RegExp(`^parameters on the starting 32\\^3 grid: .* total ${36227 + fieldParams(32, 16, 48, 27)} `),
    );
    for (const k of ['trainSeconds', 'testPSNR', 'testSSIM']) {
      expect(typeof s[k], k).toBe('number');
      expect(Number.isFinite(s[k]), k).toBe(true);
    }
    expect(s.testPSNR).toBeGreaterThan(5);
  });

  it('--json prints only JSON lines on stdout: started first, done last', () => {
    const r = cli('train', ...tiny, '--json', '--out', join(tmp, 'run-json'));
    expect(r.code, r.err).toBe(0);
    const events = lines(r.out).map((l) => JSON.parse(l));
    expect(events[0].type).toBe('started');
    expect(events.at(-1).type).toBe('done');
    expect(events.filter((e) => e.type === 'step')).toHaveLength(3);
    expect(events.some((e) => e.type === 'checkpoint')).toBe(true);
    expect(events.at(-1).summary.iterations).toBe(3);
  });

  it('render --views 2 re-renders the same test views from the checkpoint with the same PSNR', () => {
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    const r = cli('render', '--run', run, '--views', '2', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    const out = lines(r.out);
    expect(out).toHaveLength(1);
    const res = JSON.parse(out[0]);
    expect(res.views).toBe(2);
    expect(Number.isFinite(res.testPSNR)).toBe(true);
    // after 3 iterations the model is poor (about 9 dB); what matters is that the checkpoint
    // reproduces the trained model: evenly spaced 2 views = the run's evaluation views
    expect(Math.abs(res.testPSNR - summary.testPSNR)).toBeLessThan(1e-3);
    expect(Math.abs(res.testSSIM - summary.testSSIM)).toBeLessThan(1e-4);
    // the index is rewritten from this render; one file per view (a render whose PSNR rounds differently replaces the run's)
    const index = JSON.parse(readFileSync(join(run, 'renders', 'index.json'), 'utf8'));
    expect(index.iteration).toBe(3);
    expect(index.complete).toBe(true);
    expect(index.views.map((v: { view: number }) => v.view)).toEqual([0, 199]);
    expect(index.meanPSNR).toBeCloseTo(res.testPSNR, 9);
    expect(index.meanSSIM).toBeCloseTo(res.testSSIM, 9);
    expect(readdirSync(join(run, 'renders')).sort()).toEqual(['index.json', ...index.views.map((v: { file: string }) => v.file)].sort());
  });
});
