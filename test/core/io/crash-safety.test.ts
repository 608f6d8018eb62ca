/**
 * Crash safety of the output writes (src/core/io/atomic.ts, run-folder.ts): a write that fails
 * half way through (ENOSPC injected at the `fileIo.write` seam after part of the bytes went out)
 * leaves the previous checkpoint byte-identical and no temporary file, and the next write works;
 * the temporary file a killed writer leaves behind does not disturb reading or writing, and
 * opening the run folder to resume removes it (only a dead process's); an unfinished last line of
 * metrics.jsonl is cut off on resume; file-system errors become one line naming the file.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { appendFile, fileIo, writeFileAtomic } from '../../../src/core/io/atomic';
import { readCheckpoint, writeCheckpoint } from '../../../src/core/io/checkpoint';
import { describeWriteError, RunFolder } from '../../../src/core/io/run-folder';
import { tempDir } from '../data/scene-fixture';

const dir = tempDir('crash');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const realWrite = fileIo.write;
afterEach(() => {
  fileIo.write = realWrite;
});

function errno(code: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: simulated, write`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = 'write';
  return e;
}

/** Lets `budget` more bytes through, then fails every write with `code`. */
function failAfter(budget: number, code = 'ENOSPC'): { written: () => number } {
  let written = 0;
  fileIo.write = (fd, buf, off, len, target) => {
    if (written >= budget) throw errno(code);
    const n = realWrite(fd, buf, off, Math.min(len, budget - written), target);
    written += n;
    return n;
  };
  return { written: () => written };
}

const big = (v: number) => Float32Array.from({ length: 5000 }, (_, i) => v + i);
const folder = (name: string) => {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
};

describe('a write that fails half way', () => {
  it('keeps the previous checkpoint byte for byte, leaves no temporary file, and the next write works', () => {
    const d = folder('half');
    const file = join(d, 'checkpoint.trf');
    writeCheckpoint(file, { iteration: 1 }, { a: big(1) });
    const before = readFileSync(file);
    const probe = failAfter(7000); // the header and part of the 20000 array bytes
    let err: NodeJS.ErrnoException | undefined;
    try {
      writeCheckpoint(file, { iteration: 2 }, { a: big(2) });
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(probe.written()).toBe(7000); // it did write part of the new file
    expect(err?.code).toBe('ENOSPC');
    expect(err?.path).toBe(file); // named by the target, not the temporary file
    expect(describeWriteError(err)).toBe(`no space left on device (ENOSPC) writing ${file}`);
    expect(readdirSync(d)).toEqual(['checkpoint.trf']);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readCheckpoint(file).meta).toEqual({ iteration: 1 });
    fileIo.write = realWrite;
    writeCheckpoint(file, { iteration: 3 }, { a: big(3) });
    expect(readCheckpoint(file).meta).toEqual({ iteration: 3 });
    expect(readdirSync(d)).toEqual(['checkpoint.trf']);
  });

  it('an EIO while appending a metrics line names the file', () => {
    const d = folder('append');
    const file = join(d, 'metrics.jsonl');
    appendFile(file, '{"a":1}\n');
    failAfter(3, 'EIO');
    let err: unknown;
    try {
      appendFile(file, '{"b":2}\n');
    } catch (e) {
      err = e;
    }
    expect(describeWriteError(err)).toBe(`input/output error (EIO) writing ${file}`);
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"b'); // what got out before the error
    expect(describeWriteError(new Error('not a file-system error'))).toBeNull();
    expect(describeWriteError(errno('EWHATEVER'))).toBe('EWHATEVER: simulated, write (EWHATEVER) writing an output file');
  });
});

describe('what a killed writer leaves behind', () => {
  const deadPid = (): number => {
    const r = spawnSync(process.execPath, ['-e', '0']);
    return r.pid!;
  };

  it("a stale temporary file does not disturb reading or the next write; RunFolder.open removes it, not a live process's", () => {
    const d = folder('stale');
    const file = join(d, 'checkpoint.trf');
    writeCheckpoint(file, { iteration: 1 }, { a: big(1) });
    const partial = readFileSync(file).subarray(0, 5000);
    const dead = `checkpoint.trf.${deadPid()}.tmp`;
    const live = `summary.json.${process.ppid}.tmp`;
    writeFileSync(join(d, dead), partial); // killed in the middle of writing
    writeFileSync(join(d, live), '{');
    expect(readCheckpoint(file).meta).toEqual({ iteration: 1 });
    writeCheckpoint(file, { iteration: 2 }, { a: big(2) });
    expect(readCheckpoint(file).meta).toEqual({ iteration: 2 });
    expect(readdirSync(d).sort()).toEqual(['checkpoint.trf', dead, live].sort());
    RunFolder.open(d).close();
    expect(readdirSync(d).sort()).toEqual(['checkpoint.trf', 'renders', live].sort());
    expect(readCheckpoint(file).meta).toEqual({ iteration: 2 });
  });

  it('RunFolder.open cuts an unfinished last metrics line; appending goes on with whole lines', () => {
    const d = folder('metrics');
    writeFileSync(join(d, 'metrics.jsonl'), '{"type":"step","iteration":10}\n{"type":"step","itera');
    const run = RunFolder.open(d);
    run.appendMetric({ type: 'resumed', iteration: 10 });
    run.close();
    const lines = readFileSync(join(d, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { type: 'step', iteration: 10 },
      { type: 'resumed', iteration: 10 },
    ]);
    expect(() => RunFolder.open(join(d, 'nope'))).toThrow(/no such run folder/);
  });

  it('writeFileAtomic of a whole file never shows a half-written file under the target name', () => {
    const d = folder('json');
    const file = join(d, 'summary.json');
    writeFileAtomic(file, ['{"complete":false}\n']);
    failAfter(5);
    expect(() => writeFileAtomic(file, ['{"complete":true,"testPSNR":30}\n'])).toThrow(/ENOSPC/);
    expect(readFileSync(file, 'utf8')).toBe('{"complete":false}\n');
    expect(readdirSync(d)).toEqual(['summary.json']);
  });
});
