/**
 * `npm run render` flag checks as a user meets them (child processes): `--turntable 1e9` used to
 * allocate a billion camera poses and die after 44 s with a V8 out-of-memory and a native stack;
 * it is now bounded (exit 2, one line naming the range) before anything is loaded, and the
 * turntable computes one pose at a time.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lookAt, MAX_TURNTABLE_FRAMES, turntablePose, turntablePoses } from '../../src/core/render/turntable';
import { tempDir } from '../core/data/scene-fixture';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const tmp = tempDir('render-cli');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function render(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, 'scripts/run.mjs'), 'src/cli/render.ts', ...args], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('render CLI: bad counts exit 2 with one line, before anything is loaded', () => {
  const run = join(tmp, 'run');
  mkdirSync(run, { recursive: true });
  it.each([
    [
      ['--turntable', '1e9'],
      `--turntable: expected an integer from 1 to ${MAX_TURNTABLE_FRAMES} (frames around the circle, one written at a time), got '1e9'`,
    ],
    [['--turntable', String(MAX_TURNTABLE_FRAMES + 1)], `--turntable: expected an integer from 1 to ${MAX_TURNTABLE_FRAMES}`],
    [['--turntable', '0x10'], '--turntable: expected an integer from 1 to'],
    [['--views', '0'], "--views: expected an integer >= 1, got '0'"],
  ])('%j', (args, want) => {
    const t0 = performance.now();
    const r = render('--run', run, ...args);
    expect(r.code, r.err).toBe(2);
    const lines = r.err.split('\n').filter(Boolean);
    expect(lines).toEqual([expect.stringContaining(`error: ${want}`)]);
    expect(r.err).not.toMatch(/^\s+at /m);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });
});

describe('turntable poses', () => {
  it('turntablePose(i) is pose i of turntablePoses', () => {
    const ref = lookAt([3, -2, 2.5], [0, 0, 0], [0, 0, 1]);
    const all = turntablePoses(ref, 7);
    for (let i = 0; i < 7; i++) expect([...turntablePose(ref, i, 7)]).toEqual([...all[i]]);
  });
});

describe('render CLI: --help', () => {
  it('is a help text like the other commands: usage, then each option with what it does', () => {
    const r = render('--help');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^usage: npm run render -- --run DIR/);
    for (const flag of ['--run DIR', '--views N', '--turntable N', '--backend B', '--out DIR', '--chunk N', '--help'])
      expect(lines.some((l) => l.startsWith(`  ${flag} `))).toBe(true);
    expect(lines.length).toBeGreaterThan(10);
  });
});
