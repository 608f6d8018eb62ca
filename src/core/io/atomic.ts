/**
 * Output writes. `writeFileAtomic`: a temporary file beside the target, fsync, rename over it,
 * fsync the folder; a crash or a failed write at any point leaves the previous file as it was.
 * Every byte of a run's outputs goes through `fileIo.write`, the one seam where tests inject
 * ENOSPC or EIO.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const fileIo = {
  /** writeSync(fd, buffer, offset, length) for the file `target`: bytes written. Replace only in tests. */
  write: (fd: number, buf: Uint8Array, offset: number, length: number, target: string): number => {
    void target;
    return writeSync(fd, buf, offset, length);
  },
};

function writeAll(fd: number, chunks: (Uint8Array | string)[], target: string): void {
  for (const c of chunks) {
    const buf = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
    let off = 0;
    while (off < buf.length) off += fileIo.write(fd, buf, off, buf.length - off, target);
  }
}

export function writeFileAtomic(path: string, chunks: (Uint8Array | string)[]): void {
  const tmp = `${path}.${process.pid}.tmp`;
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    writeAll(fd, chunks, path);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw withPath(e, path);
  }
  syncFolder(dirname(path));
}

/** Makes a rename in `dir` durable (best effort: some systems cannot fsync a folder). */
function syncFolder(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here; the rename itself is still atomic
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Appends `text` to `path` (created if missing). */
export function appendFile(path: string, text: string): void {
  let fd = -1;
  try {
    fd = openSync(path, 'a');
    writeAll(fd, [text], path);
  } catch (e) {
    throw withPath(e, path);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Names the target file on a system error that has no path (a failed write on a descriptor). */
function withPath(e: unknown, path: string): unknown {
  if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string') {
    const err = e as NodeJS.ErrnoException;
    if (err.path === undefined || err.path.endsWith('.tmp')) err.path = path;
  }
  return e;
}

/**
 * Removes the temporary files that writeFileAtomic left in `dir` when a process was killed while
 * writing (`<name>.<pid>.tmp` of a process that is gone). Returns their names.
 */
export function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = /^(.+)\.(\d+)\.tmp$/.exec(name);
    if (!m || Number(m[2]) === process.pid || alive(Number(m[2]))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(basename(name));
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
