/**
 * Folder locks (src/core/io/run-lock.ts): one holder at a time, named in the refusal; a lock left
 * by a process that is gone (SIGKILL, a crash) is stale and replaced, also when its pid now
 * belongs to another process; a lock from another host is not taken over; release removes only
 * its own lock; processes racing for one folder get it once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RunFolderError } from '../../../src/core/errors';
import { checkUnlocked, LOCK_FILE, lockFolder, lockHolder } from '../../../src/core/io/run-lock';
import { tempDir } from '../data/scene-fixture';

const tmp = tempDir('run-lock');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const folder = () => {
  const d = join(tmp, `f${n++}`);
  mkdirSync(d);
  return d;
};
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;
const writeLock = (d: string, o: Record<string, unknown>) =>
  writeFileSync(
    join(d, LOCK_FILE),
    JSON.stringify({ host: hostname(), what: 'train:lego', since: '2024-01-01T00:00:00.000Z', procStart: null, ...o }),
  );

describe('folder locks', () => {
  it('one holder: a second lock is refused naming the process; release frees it', () => {
    const d = folder();
    const lock = lockFolder(d, 'train:lego');
    const saved = JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8'));
    expect(saved).toMatchObject({ pid: process.pid, host: hostname(), what: 'train:lego' });
    expect(lockHolder(d)).toMatchObject({ pid: process.pid });
    expect(() => lockFolder(d, 'resume')).toThrow(RunFolderError);
    expect(() => lockFolder(d, 'resume')).toThrow(
      `${d}: in use by process ${process.pid} (train:lego, since ${saved.since}, this process); wait for it to end or stop it (Ctrl-C, or kill ${process.pid}; it saves a checkpoint)`,
    );
    expect(() => checkUnlocked(d)).toThrow('in use by process');
    lock.release();
    lock.release(); // idempotent
    expect(readdirSync(d)).toEqual([]);
    expect(lockHolder(d)).toBeNull();
    lockFolder(d, 'again').release();
  });

  it('a lock of a process that is gone is stale: replaced without a word', () => {
    const d = folder();
    writeLock(d, { pid: deadPid() });
    expect(lockHolder(d)).toBeNull();
    const lock = lockFolder(d, 'resume');
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(readdirSync(d)).toEqual([]); // nothing left aside
  });

  it.skipIf(!existsSync('/proc/self/stat'))('a lock whose pid was reused by another process (another start time) is stale', () => {
    const d = folder();
    writeLock(d, { pid: process.ppid, procStart: '1' }); // a live pid, but not the process that took the lock
    expect(lockHolder(d)).toBeNull();
    lockFolder(d, 'resume').release();
  });

  it('a lock from another host is never taken over; the message says which file to delete', () => {
    const d = folder();
    writeLock(d, { pid: 4242, host: 'elsewhere' });
    expect(() => lockFolder(d, 'resume')).toThrow(
      `${d}: in use by process 4242 on host elsewhere (train:lego, since 2024-01-01T00:00:00.000Z); if that process has ended, delete ${join(d, LOCK_FILE)}`,
    );
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')).host).toBe('elsewhere');
  });

  it('an unreadable lock is stale when old, and taken to be in the making when new', () => {
    const d = folder();
    writeFileSync(join(d, LOCK_FILE), '');
    expect(() => lockFolder(d, 'resume')).toThrow('another process is taking its lock right now');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(d, LOCK_FILE), old, old);
    lockFolder(d, 'resume').release();
    expect(readdirSync(d)).toEqual([]);
  });

  it('release leaves a lock that is not its own (taken over after it was broken as stale)', () => {
    const d = folder();
    const lock = lockFolder(d, 'a');
    writeLock(d, { pid: process.ppid, what: 'someone else' });
    lock.release();
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')).what).toBe('someone else');
  });

  it('processes racing for one folder (with a stale lock in it): exactly one gets it', async () => {
    const d = folder();
    writeLock(d, { pid: deadPid() });
    const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
    const tsx = join(repo, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const script = `import { lockFolder } from ${JSON.stringify(join(repo, 'src/core/io/run-lock.ts'))};
      const at = Number(process.argv[2]); while (Date.now() < at) {}
      try { lockFolder(process.argv[3], 'race'); console.log('got'); setTimeout(() => {}, 1500); } catch (e) { console.log('refused: ' + e.message); }`;
    const file = join(tmp, 'race.mts');
    writeFileSync(file, script);
    const at = String(Date.now() + 4000);
    const outs = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<string>((res) => {
            const p = spawn(process.execPath, [tsx, file, at, d], { cwd: repo });
            let out = '';
            p.stdout.on('data', (b) => (out += b));
            p.stderr.on('data', (b) => (out += b));
            p.on('close', () => res(out.trim()));
          }),
      ),
    );
    expect(
      outs.filter((o) => o === 'got'),
      outs.join('\n'),
    ).toHaveLength(1);
    expect(outs.filter((o) => o.startsWith('refused: ') && o.includes('in use by process'))).toHaveLength(3);
  }, 60_000);
});
