/**
 * Run folders as a user meets them (child processes of `train:lego` on a small synthetic scene
 * whose cameras circle the box):
 * - `--out` problems are found before anything is loaded, with one line and exit 2 (they used to
 *   be found after loading, or as a raw ENOTDIR / EPERM with exit 1): a file, a path through a
 *   file, a read-only parent, a finished run, a run with a checkpoint, a folder in use;
 * - a run SIGKILLed before its first checkpoint is started again in place by the same `--out`, or
 *   restarted by `--resume` (it used to be refused both ways);
 * - a folder is locked while a run trains in it: a second `--resume` of it is refused at once
 *   naming the process (both used to train, interleaving metrics.jsonl); after a SIGKILL the
 *   stale lock does not stand in the way;
 * - SIGTERM during the final evaluation stops it after the current view with a partial summary
 *   (it used to be ignored), and `--resume` then only evaluates.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lookAt } from '../../src/core/render/turntable';
import { tempDir, writeFakeScene } from '../core/data/scene-fixture';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const tmp = tempDir('run-folder-cli');
const immutable: string[] = [];
afterAll(() => {
  for (const d of immutable) spawnSync('chattr', ['-i', d]);
  rmSync(tmp, { recursive: true, force: true });
});

/** A 32x32 scene, 12 views per split, cameras at radius 4 around the box looking at its centre. */
const scene = (() => {
  const s = writeFakeScene(join(tmp, 'scene'), 32, 32, 12);
  for (const split of ['train', 'val', 'test']) {
    const frames = Array.from({ length: 12 }, (_, k) => {
      const m = lookAt([4 * Math.cos(k / 2), 4 * Math.sin(k / 2), 1 + (k % 3) / 2], [0, 0, 0], [0, 0, 1]);
      return { file_path: `./${split}/r_${k}`, transform_matrix: [0, 1, 2, 3].map((r) => [...m.subarray(4 * r, 4 * r + 4)]) };
    });
    writeFileSync(join(s.dir, `transforms_${split}.json`), JSON.stringify({ camera_angle_x: s.cameraAngleX, frames }));
  }
  return s.dir;
})();

// --eval-views: the smoke preset's 20 are capped at the scene's 12 test views
const FLAGS = [
  '--backend',
  'cpu',
  '--preset',
  'smoke',
  '--data',
  scene,
  '--downscale',
  '1',
  '--train-views',
  '0',
  '--grid-start',
  '8',
  '--grid-end',
  '8',
  '--upsample-at',
  '',
  '--alpha-mask-at',
  '',
  '--batch',
  '64',
  '--vis-every',
  '0',
  '--checkpoint-every',
  '0',
];
const ENV = { ...process.env, XDG_RUNTIME_DIR: '/tmp' };
const entry = [join(repo, 'scripts/run.mjs'), 'src/cli/train.ts'];
const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [...entry, ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000, env: ENV });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

type Event = { type: string; iteration?: number; [k: string]: unknown };
interface Child {
  proc: ChildProcess;
  events: Event[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor: (pred: (e: Event) => boolean) => Promise<Event>;
}

/** train:lego --json in a child process, its events collected as they come. */
function start(...args: string[]): Child {
  const proc = spawn(process.execPath, [...entry, '--json', ...args], { cwd: repo, env: ENV });
  const events: Event[] = [];
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const waiters: { pred: (e: Event) => boolean; resolve: (e: Event) => void; reject: (e: Error) => void }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let e: Event;
    try {
      e = JSON.parse(line) as Event;
    } catch {
      return;
    }
    events.push(e);
    for (const w of waiters.splice(0)) w.pred(e) ? w.resolve(e) : waiters.push(w);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.on('close', (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`exited (${code ?? signal}) first:\n${err}`));
      res({ code, signal });
    }),
  );
  const waitFor = (pred: (e: Event) => boolean) => {
    const seen = events.find(pred);
    return seen ? Promise.resolve(seen) : new Promise<Event>((res, rej) => waiters.push({ pred, resolve: res, reject: rej }));
  };
  return { proc, events, stderr: () => err, exited, waitFor };
}

/** Exit 2 with one line, the last, containing `want`; nothing was loaded. */
function expectRefused(r: { code: number | null; err: string }, want: string) {
  expect(r.code, r.err).toBe(2);
  const errs = lines(r.err).filter((l) => l.startsWith('error: '));
  expect(errs, r.err).toEqual([expect.stringContaining(want)]);
  expect(lines(r.err).at(-1)).toBe(errs[0]);
  expect(r.err, 'refused before loading the scene').not.toMatch(/^loading /m);
  expect(r.err).not.toMatch(/^\s+at /m);
}

/** A run of `iterations` started and SIGKILLed after its first step: no checkpoint, no summary. */
async function killedBeforeCheckpoint(out: string): Promise<void> {
  const c = start(...FLAGS, '--iterations', '100000', '--out', out);
  await c.waitFor((e) => e.type === 'step');
  c.proc.kill('SIGKILL');
  await c.exited;
  expect(existsSync(join(out, 'checkpoint.trf'))).toBe(false);
  expect(existsSync(join(out, 'summary.json'))).toBe(false);
}

/** Makes `dir` read-only with chmod; returns how. */
function chmodReadOnly(dir: string): 'chmod' {
  spawnSync('chmod', ['555', dir]);
  return 'chmod';
}

describe('--out is checked before loading: one line, exit 2', () => {
  it('a file; a path through a file', () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'keep me');
    expectRefused(
      cli(...FLAGS, '--iterations', '2', '--out', file),
      `--out ${file}: a file, not a folder; choose another --out (nothing was overwritten)`,
    );
    expectRefused(
      cli(...FLAGS, '--iterations', '2', '--out', join(file, 'run')),
      `--out ${join(file, 'run')}: ${file} is a file, not a folder`,
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('a parent where nothing can be created (read-only)', (ctx) => {
    const parent = join(tmp, 'read-only');
    mkdirSync(parent);
    // root ignores permission bits: make the folder immutable instead, where chattr works
    const how = process.getuid?.() === 0 ? spawnSync('chattr', ['+i', parent]).status === 0 && 'chattr' : chmodReadOnly(parent);
    if (!how) return ctx.skip();
    if (how === 'chattr') immutable.push(parent);
    const out = join(parent, 'run');
    const r = cli(...FLAGS, '--iterations', '2', '--out', out);
    expectRefused(r, `--out ${out}: cannot create folders in ${parent} (`);
    expect(r.err).toMatch(/\((operation not permitted, EPERM|permission denied, EACCES)\); choose another --out/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a finished run; a run with a checkpoint (say --resume)', () => {
    const done = join(tmp, 'finished');
    const r = cli(...FLAGS, '--iterations', '2', '--out', done);
    expect(r.code, r.err).toBe(0);
    const before = readFileSync(join(done, 'summary.json'), 'utf8');
    expectRefused(
      cli(...FLAGS, '--iterations', '2', '--out', done),
      `--out ${done}: holds a finished run (summary.json says complete); choose another --out`,
    );
    expect(readFileSync(join(done, 'summary.json'), 'utf8')).toBe(before);
    writeFileSync(join(done, 'summary.json'), JSON.stringify({ complete: false, stoppedAt: 1 }));
    expectRefused(
      cli(...FLAGS, '--iterations', '2', '--out', done),
      `--out ${done}: holds a run that stopped at iteration 1 with a checkpoint; continue it with --resume ${done}, or choose another --out`,
    );
  });
});

describe('a run killed before its first checkpoint', () => {
  it('--out names it again: started again in place, said so', async () => {
    const out = join(tmp, 'killed-out');
    await killedBeforeCheckpoint(out);
    const r = cli(...FLAGS, '--iterations', '3', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(
      `${out}: its run ended before writing a checkpoint (no checkpoint.trf, no summary.json); starting it again in place`,
    );
    expect(json(join(out, 'summary.json'))).toMatchObject({ complete: true, iterations: 3 });
    expect(lines(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).filter((l) => l.includes('"type":"started"'))).toHaveLength(1);
  }, 120_000);

  it('--resume starts it again from iteration 0', async () => {
    const out = join(tmp, 'killed-resume');
    await killedBeforeCheckpoint(out);
    const r = cli('--resume', out, '--iterations', '3');
    expect(r.code, r.err).toBe(0);
    expect(lines(r.out)[0]).toBe(
      `${out}: no checkpoint (the run ended before writing one); starting it again from iteration 0 of 3 in place (preset smoke, seed 20211202)`,
    );
    expect(json(join(out, 'summary.json'))).toMatchObject({ complete: true, iterations: 3 });
  }, 120_000);
});

describe('a run folder in use', () => {
  it('a second --resume (or --out) of a folder being trained is refused at once naming the process; after a SIGKILL the stale lock does not stand in the way', async () => {
    const dir = join(tmp, 'in-use');
    const first = start(...FLAGS, '--iterations', '100000', '--out', dir);
    await first.waitFor((e) => e.type === 'step');
    first.proc.kill('SIGTERM');
    expect((await first.exited).code, first.stderr()).toBe(130);

    const a = start('--resume', dir);
    await a.waitFor((e) => e.type === 'step');
    const lock = json(join(dir, '.lock'));
    expect(lock).toMatchObject({ pid: a.proc.pid, what: 'train:lego --resume' });
    const b = cli('--resume', dir);
    expectRefused(
      b,
      `error: ${dir}: in use by process ${a.proc.pid} (train:lego --resume, since ${lock.since}); wait for it to end or stop it`,
    );
    expectRefused(cli(...FLAGS, '--iterations', '2', '--out', dir), `${dir}: in use by process ${a.proc.pid}`);
    a.proc.kill('SIGKILL');
    await a.exited;
    expect(existsSync(join(dir, '.lock'))).toBe(true); // left behind by the kill, stale now
    const c = start('--resume', dir, '--iterations', String(a.events.filter((e) => e.type === 'step').length + 1000));
    await c.waitFor((e) => e.type === 'step');
    c.proc.kill('SIGTERM');
    expect((await c.exited).code, c.stderr()).toBe(130);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    // one writer at a time: whole lines, b wrote nothing; what a logged after the checkpoint (its
    // resumed line and steps) was cut when c resumed from that checkpoint
    const m = lines(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).map((l) => JSON.parse(l) as Event);
    expect(m.filter((e) => e.type === 'resumed')).toEqual([expect.objectContaining({ iteration: c.events[0].iteration })]);
    const steps = m.filter((e) => e.type === 'step').map((e) => e.iteration!);
    expect(steps).toEqual([...steps].sort((x, y) => x - y));
    expect(new Set(steps).size).toBe(steps.length);
  }, 180_000);
});

describe('SIGTERM during the final evaluation', () => {
  it('stops after the current view (checkpoint and partial summary, exit 130); --resume only evaluates', async () => {
    const dir = join(tmp, 'stop-eval');
    const c = start(...FLAGS, '--iterations', '3', '--chunk', '16', '--out', dir);
    await c.waitFor((e) => e.type === 'evaluating');
    c.proc.kill('SIGTERM');
    const { code } = await c.exited;
    expect(code, c.stderr()).toBe(130);
    expect(c.stderr()).toContain(
      `SIGTERM: stopping the final evaluation after this view (the checkpoint is saved; again to quit at once); --resume ${dir} evaluates`,
    );
    expect(c.events.at(-1)).toMatchObject({ type: 'stopped', iteration: 3, phase: 'evaluation' });
    const views = c.events.filter((e) => e.type === 'view').length;
    expect(views).toBeLessThan(12);
    expect(c.events.some((e) => e.type === 'done')).toBe(false);
    expect(json(join(dir, 'summary.json'))).toMatchObject({
      complete: false,
      stoppedAt: 3,
      stoppedDuring: 'evaluation',
      viewsEvaluated: views,
      viewsToEvaluate: 12,
    });
    const ckpt = join(dir, 'checkpoint.trf');
    const bytes = readFileSync(ckpt);
    const mtime = statSync(ckpt).mtimeMs;

    const r = start('--resume', dir);
    const exit = await r.exited;
    expect(exit.code, r.stderr()).toBe(0);
    expect(lines(r.stderr())[0]).toBe(
      `${dir}: trained to iteration 3 of 3, its final evaluation was stopped; evaluating (preset smoke, seed 20211202)`,
    );
    expect(r.events.filter((e) => e.type === 'step')).toEqual([]);
    expect(r.events.filter((e) => e.type === 'view')).toHaveLength(12);
    expect(r.events.at(-1)?.type).toBe('done');
    expect(readFileSync(ckpt).equals(bytes)).toBe(true);
    expect(statSync(ckpt).mtimeMs).toBe(mtime);
    expect(json(join(dir, 'summary.json'))).toMatchObject({ complete: true, iterations: 3, evalViews: 12 });
    const m = lines(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).map((l) => JSON.parse(l) as Event);
    expect(m.filter((e) => e.type === 'view')).toHaveLength(12);
    expect(m.filter((e) => e.type === 'evaluating')).toHaveLength(1);
  }, 120_000);
});
