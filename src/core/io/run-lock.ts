/**
 * A folder's lock: `<dir>/.lock` names the process that trains, resumes or compares in the folder
 * (pid, host, what, since when), so that a second process refuses the folder instead of training
 * into it at the same time (two `--resume` of one run used to interleave their metrics.jsonl
 * lines). The lock file is created whole (written beside it, then hard-linked into place, which
 * fails when a lock exists), and removed by `release()`. A lock whose process is gone (killed,
 * crashed) is stale: it is replaced, also when the pid now belongs to another process (on Linux the
 * process's start time is recorded and compared); one process at a time breaks a stale lock. A lock from another host cannot be checked and
 * counts as held; the message says which file to delete.
 */
import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunFolderError } from '../errors';

export const LOCK_FILE = '.lock';

export interface LockOwner {
  pid: number;
  host: string;
  /** What holds it: 'train:lego', 'resume', 'compare', 'app' ... */
  what: string;
  /** ISO time the lock was taken. */
  since: string;
  /** The process's start time in clock ticks after boot (Linux), to tell a reused pid apart. */
  procStart: string | null;
}

/** A lock younger than this whose file cannot be parsed may be one being written (not linked: the fallback). */
const UNREADABLE_GRACE_MS = 2000;

function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null; // field 22, starttime
  } catch {
    return null;
  }
}

function alive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = procStart(owner.pid);
  return owner.procStart === null || now === null || now === owner.procStart;
}

function readOwner(path: string): { owner: LockOwner | null; text: string } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null; // gone
  }
  try {
    const o = JSON.parse(text) as LockOwner;
    if (typeof o.pid === 'number' && Number.isInteger(o.pid) && o.pid > 0 && typeof o.host === 'string') return { owner: o, text };
  } catch {
    // unreadable: below
  }
  return { owner: null, text };
}

/**
 * The process holding `dir`'s lock, or null when there is no lock or only a stale one. A lock of
 * another host counts as held.
 */
export function lockHolder(dir: string): LockOwner | null {
  const r = readOwner(join(dir, LOCK_FILE));
  if (!r) return null;
  if (!r.owner)
    return freshUnreadable(join(dir, LOCK_FILE)) ? { pid: 0, host: hostname(), what: 'starting', since: '', procStart: null } : null;
  if (r.owner.host !== hostname()) return r.owner;
  return alive(r.owner) ? r.owner : null;
}

function freshUnreadable(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < UNREADABLE_GRACE_MS;
  } catch {
    return false;
  }
}

/** The one-line refusal for a folder held by `owner`. */
export function lockedMessage(dir: string, owner: LockOwner): string {
  const lock = join(dir, LOCK_FILE);
  const since = owner.since ? `, since ${owner.since}` : '';
  if (owner.host !== hostname()) {
    return `${dir}: in use by process ${owner.pid} on host ${owner.host} (${owner.what}${since}); if that process has ended, delete ${lock}`;
  }
  if (owner.pid === 0) return `${dir}: another process is taking its lock right now; try again in a moment`;
  const self = owner.pid === process.pid ? ', this process' : '';
  return `${dir}: in use by process ${owner.pid} (${owner.what}${since}${self}); wait for it to end or stop it (Ctrl-C, or kill ${owner.pid}; it saves a checkpoint)`;
}

/** Throws a RunFolderError when a live process holds `dir`'s lock. */
export function checkUnlocked(dir: string): void {
  const owner = lockHolder(dir);
  if (owner) throw new RunFolderError(lockedMessage(dir, owner));
}

export class RunLock {
  private held = true;

  constructor(
    readonly dir: string,
    private readonly text: string,
  ) {}

  get path(): string {
    return join(this.dir, LOCK_FILE);
  }

  /** Removes the lock file if it is still this lock's (idempotent). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const r = readOwner(this.path);
    if (r && r.text === this.text) rmSync(this.path, { force: true });
  }
}

/**
 * Takes `dir`'s lock (the folder must exist) for `what`; a stale lock is replaced. Throws a
 * RunFolderError naming the holder when a live process has it.
 */
export function lockFolder(dir: string, what: string): RunLock {
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: hostname(), what, since: new Date().toISOString(), procStart: procStart(process.pid) };
  const text = `${JSON.stringify(owner)}\n`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (attempt > 0) pause(5 + 10 * Math.random());
    if (create(path, text)) return new RunLock(dir, text);
    const r = readOwner(path);
    if (!r) continue; // released meanwhile
    const holder = lockHolder(dir);
    if (holder) throw new RunFolderError(lockedMessage(dir, holder));
    breakStale(path, r.text);
  }
  throw new RunFolderError(`${dir}: could not take its lock ${path} (other processes keep taking it); try again`);
}

/** Creates the lock file whole; false when one exists. */
function create(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { flag: 'w' });
    try {
      linkSync(tmp, path);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw e;
    }
    // no hard links on this file system: exclusive create (a reader may briefly see it empty)
    try {
      writeFileSync(path, text, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** A breaker's guard older than this was left by a process killed while breaking a lock. */
const GUARD_STALE_MS = 10_000;

/**
 * Removes a stale lock whose text is `stale`. Only the holder of the guard `<lock>.break` may
 * remove a lock, and it removes it only if it still holds `stale`: a lock that another process
 * took meanwhile is never deleted (creating a lock cannot replace one, and breaking needs the guard).
 */
function breakStale(path: string, stale: string): void {
  const guard = `${path}.break`;
  if (!create(guard, `${process.pid}\n`)) {
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) rmSync(guard, { force: true });
    } catch {
      // gone meanwhile
    }
    return;
  }
  try {
    const r = readOwner(path);
    if (r && r.text === stale) rmSync(path, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}

/** Blocks for `ms` (lock attempts are synchronous, and rare). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
