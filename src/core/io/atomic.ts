/** Atomic file writes: write a temporary file beside the target, fsync, rename over it. */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export function writeFileAtomic(path: string, chunks: (Uint8Array | string)[]): void {
  const tmp = `${path}.${process.pid}.tmp`;
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    for (const c of chunks) {
      const buf = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
