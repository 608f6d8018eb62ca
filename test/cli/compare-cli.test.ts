/**
 * The compare CLI as a user runs it (child process): bad --decoders entries exit 2 with one line
 * naming the entry and the known options; a non-empty --out is refused; --resume on a plan whose
 * runs are all complete trains nothing and rewrites the three reports (needs the Lego scene for
 * the scene check; skipped without it unless TENSORF_REQUIRE_DATA=1).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { tempDir } from '../core/data/scene-fixture';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const hasData = existsSync(join(repo, 'datasets/nerf_synthetic/lego/transforms_train.json'));
const skipData = !hasData && process.env.TENSORF_REQUIRE_DATA !== '1';
const tmp = tempDir('compare-cli');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function compare(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, 'scripts/run.mjs'), 'src/cli/compare.ts', ...args], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('compare CLI', () => {
  it('a bad decoder entry: exit 2, one line naming the entry and the known options', () => {
    const r = compare('--decoders', 'mlp,splitnet:m=10,depth=3', '--backend', 'cpu', '--out', join(tmp, 'never'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([
      "error: --decoders entry 'splitnet:m=10,depth=3': unknown option 'depth' for splitnet; known: mlp: width; siren: width, flic, initc; splitnet: width, m, init",
    ]);
    expect(existsSync(join(tmp, 'never'))).toBe(false);
  });

  it('a non-empty --out is refused', () => {
    const dir = join(tmp, 'full');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'keep.txt'), 'x');
    const r = compare('--backend', 'cpu', '--preset', 'smoke', '--out', dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/folder exists and is not empty/);
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('x');
  });

  it('--resume with a missing plan exits 2', () => {
    const r = compare('--resume', join(tmp, 'nothing-here'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no compare.json/);
  });

  it.skipIf(skipData)('--resume with every run complete trains nothing and writes the reports', () => {
    const dir = join(tmp, 'done');
    const cfg = resolveConfig({ preset: 'smoke', backend: 'cpu' });
    const runs = ['mlp', 'siren'].map((d) => ({ label: d, entry: d, seed: cfg.seed }));
    for (const r of runs) {
      mkdirSync(join(dir, r.label, 'renders'), { recursive: true });
      const summary = {
        decoder: r.entry,
        decoderWidth: 128,
        decoderParams: 10,
        finalTotalParams: 20,
        preset: 'smoke',
        iterations: 100,
        backend: 'cpu',
        trainSeconds: 10,
        testPSNR: 20,
        testSSIM: 0.8,
        evalViews: 1,
        imageSize: [50, 50],
        finalReso: [8, 8, 8],
        finalBox: { min: [0, 0, 0], max: [1, 1, 1] },
        seed: cfg.seed,
        complete: true,
      };
      writeFileSync(join(dir, r.label, 'summary.json'), JSON.stringify(summary));
      writeFileSync(
        join(dir, r.label, 'metrics.jsonl'),
        `${JSON.stringify({ type: 'eval', iteration: 100, testPSNR: 20, final: true })}\n`,
      );
    }
    const plan = {
      version: 1,
      created: 'x',
      entries: runs.map((r) => ({ entry: r.entry, label: r.entry, decoder: r.entry, options: {}, overrides: { decoder: r.entry } })),
      seeds: [cfg.seed],
      config: cfg,
      runs,
    };
    writeFileSync(join(dir, 'compare.json'), JSON.stringify(plan));
    const r = compare('--resume', dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/2 runs planned .*, 0 to run/);
    for (const f of ['report.json', 'report.md', 'report.html']) expect(existsSync(join(dir, f))).toBe(true);
    expect(r.out).toContain('| mlp | 10 | 20 | 20.00 |');
  });

  it.skipIf(skipData)(
    '--resume continues an entry killed mid-run from its checkpoint, to the same result',
    async () => {
      const dir = join(tmp, 'killed');
      const flags = [
        '--preset',
        'smoke',
        '--backend',
        'cpu',
        '--decoders',
        'mlp,splitnet:width=16',
        '--iterations',
        '24',
        '--train-views',
        '5',
        '--batch',
        '256',
        '--eval-views',
        '2',
        '--vis-every',
        '0',
        '--upsample-at=',
        '--alpha-mask-at=',
        '--checkpoint-every',
        '8',
      ];
      // the same comparison, uninterrupted, for the reference numbers
      const ref = compare(...flags, '--out', join(tmp, 'uninterrupted'));
      expect(ref.code, ref.err).toBe(0);
      // killed (SIGKILL) once the second entry has written a checkpoint
      const child = spawn(process.execPath, [join(repo, 'scripts/run.mjs'), 'src/cli/compare.ts', ...flags, '--out', dir], {
        cwd: repo,
        stdio: 'ignore',
      });
      const ckpt = join(dir, 'splitnet-width=16', 'checkpoint.trf');
      const t0 = Date.now();
      while (!existsSync(ckpt)) {
        if (Date.now() - t0 > 120_000) throw new Error('no checkpoint of the second entry');
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(existsSync(join(dir, 'splitnet-width=16', 'summary.json'))).toBe(false);
      const r = compare('--resume', dir);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/2 runs planned .*, 1 to run/);
      expect(r.err).toMatch(/splitnet-width=16: continuing from iteration (8|16)/);
      const summary = (d: string) => JSON.parse(readFileSync(join(d, 'splitnet-width=16', 'summary.json'), 'utf8'));
      expect(summary(dir).complete).toBe(true);
      expect(summary(dir).iterations).toBe(24);
      expect(summary(dir).testPSNR).toBe(summary(join(tmp, 'uninterrupted')).testPSNR); // exact resume
      expect(readFileSync(join(dir, 'splitnet-width=16', 'metrics.jsonl'), 'utf8')).toContain('"type":"resumed"');
    },
    300_000,
  );
});
