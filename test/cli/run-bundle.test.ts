/**
 * scripts/run.mjs, the runner of every CLI: its bundle is named by a hash of its contents and
 * shared by runs of the same sources, so a SIGKILLed run leaves nothing behind (every kill used to
 * leave a 7.6 MB `.cache/<cli>.<pid>.mjs`, 46 MB after 6 kills); the per-process bundles of
 * processes that are gone, and bundles of other sources unused for an hour, are removed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cache = join(repo, '.cache');
const ENTRY = 'test/cli/fixtures/wait-entry.ts';
const mine = () =>
  readdirSync(cache)
    .filter((f) => f.startsWith('wait-entry.'))
    .sort();

/** Runs the fixture entry through scripts/run.mjs until it is running, then SIGKILLs it. */
function runAndKill(): Promise<number> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [join(repo, 'scripts/run.mjs'), ENTRY], { cwd: repo });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) p.kill('SIGKILL');
    });
    p.on('close', (_code, signal) => (signal === 'SIGKILL' ? res(p.pid!) : rej(new Error(`exited without being killed: ${out}`))));
  });
}

describe('scripts/run.mjs bundles', () => {
  it('runs of the same sources share one bundle; a SIGKILL leaves nothing new; stale bundles are removed', async () => {
    for (const f of mine()) rmSync(join(cache, f));
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(join(cache, `wait-entry.${dead}.mjs`), 'x'.repeat(1000)); // left by an old runner that was killed
    const old = join(cache, 'wait-entry.0123456789abcdef.mjs'); // other sources, unused for two hours
    writeFileSync(old, 'y');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    const first = await runAndKill();
    const after = mine();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/^wait-entry\.[0-9a-f]{16}\.mjs$/);
    expect(after[0]).not.toContain(String(first));
    await runAndKill();
    await runAndKill();
    expect(mine()).toEqual(after);
  }, 60_000);
});
