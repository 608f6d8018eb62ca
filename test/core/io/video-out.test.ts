/**
 * The turntable video writer: without ffmpeg an APNG under a temporary name, renamed into place
 * when complete (an aborted one leaves nothing); with an `ffmpeg` on the PATH (here a stand-in
 * script that records its arguments and copies its standard input) the raw RGB24 frames are piped
 * to it with the H.264/yuv420p arguments, and a failing ffmpeg is one error naming it and its
 * last line, with no file left.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegArgs, findFfmpeg, openVideo } from '../../../src/core/io/video-out';
import { tempDir } from '../data/scene-fixture';
import { decodeApng } from './apng-decode';

const tmp = tempDir('video-out');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const frame = (w: number, h: number, k: number) => Uint8Array.from({ length: 3 * w * h }, (_, i) => (i + 13 * k) % 256);

/** A stand-in ffmpeg: writes its arguments to args.json and its stdin to the last argument (or fails when told). */
function fakeFfmpeg(dir: string, fail = false): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'ffmpeg');
  const body = fail
    ? `process.stderr.write('Unknown encoder libx264\\n'); process.exit(1);`
    : `const fs = require('fs'); const a = process.argv.slice(2); fs.writeFileSync(${JSON.stringify(join(dir, 'args.json'))}, JSON.stringify(a));
       const chunks = []; process.stdin.on('data', (c) => chunks.push(c)); process.stdin.on('end', () => fs.writeFileSync(a[a.length - 1], Buffer.concat(chunks)));`;
  writeFileSync(path, `#!${process.execPath}\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('video-out', () => {
  it('without ffmpeg: turntable.apng, complete only after close, frames exact', async () => {
    const dir = join(tmp, 'apng');
    mkdirSync(dir);
    const sink = openVideo({ base: join(dir, 'turntable'), width: 3, height: 2, fps: 24, frames: 2 }, null);
    expect(sink.kind).toBe('apng');
    await sink.write(frame(3, 2, 0));
    await sink.write(frame(3, 2, 1));
    expect(existsSync(join(dir, 'turntable.apng'))).toBe(false); // only the temporary file so far
    expect(await sink.close()).toBe(join(dir, 'turntable.apng'));
    expect(readdirSync(dir)).toEqual(['turntable.apng']);
    const d = decodeApng(readFileSync(join(dir, 'turntable.apng')));
    expect(d.fps).toEqual([24, 24]);
    expect(d.frames.map((f) => [...f])).toEqual([[...frame(3, 2, 0)], [...frame(3, 2, 1)]]);
  });

  it('an aborted APNG leaves no file, and an earlier video stays', async () => {
    const dir = join(tmp, 'abort');
    mkdirSync(dir);
    writeFileSync(join(dir, 'turntable.apng'), 'earlier');
    const sink = openVideo({ base: join(dir, 'turntable'), width: 2, height: 2, fps: 5, frames: 3 }, null);
    await sink.write(frame(2, 2, 0));
    sink.abort();
    expect(readdirSync(dir)).toEqual(['turntable.apng']);
    expect(readFileSync(join(dir, 'turntable.apng'), 'utf8')).toBe('earlier');
  });

  it('findFfmpeg finds an executable ffmpeg on the PATH, and none on a PATH without one', () => {
    const bin = join(tmp, 'bin-find');
    const exe = fakeFfmpeg(bin);
    expect(findFfmpeg(['/nonexistent', bin].join(':'))).toBe(exe);
    expect(findFfmpeg(join(tmp, 'nowhere'))).toBeNull();
  });

  it('with ffmpeg: raw RGB24 frames on stdin, H.264 yuv420p MP4 arguments, renamed into place', async () => {
    const bin = join(tmp, 'bin-ok');
    const exe = fakeFfmpeg(bin);
    const dir = join(tmp, 'mp4');
    mkdirSync(dir);
    const sink = openVideo({ base: join(dir, 'turntable'), width: 5, height: 3, fps: 25, frames: 2 }, exe);
    expect(sink.kind).toBe('mp4');
    await sink.write(frame(5, 3, 0));
    await sink.write(frame(5, 3, 1));
    expect(await sink.close()).toBe(join(dir, 'turntable.mp4'));
    expect(readdirSync(dir)).toEqual(['turntable.mp4']);
    expect([...readFileSync(join(dir, 'turntable.mp4'))]).toEqual([...frame(5, 3, 0), ...frame(5, 3, 1)]);
    const args = JSON.parse(readFileSync(join(bin, 'args.json'), 'utf8')) as string[];
    expect(args).toEqual(ffmpegArgs(5, 3, 25, args.at(-1)!));
    const argAfter = (flag: string) => args[args.indexOf(flag) + 1];
    expect([argAfter('-f'), argAfter('-pix_fmt'), argAfter('-s'), argAfter('-r'), argAfter('-i'), argAfter('-c:v')]).toEqual([
      'rawvideo',
      'rgb24',
      '5x3',
      '25',
      '-',
      'libx264',
    ]);
    expect(args.lastIndexOf('-pix_fmt')).toBeGreaterThan(args.indexOf('-i'));
    expect(args[args.lastIndexOf('-pix_fmt') + 1]).toBe('yuv420p');
    expect(argAfter('-vf')).toBe('pad=ceil(iw/2)*2:ceil(ih/2)*2'); // odd sides padded to even
  });

  it('a failing ffmpeg: one error naming ffmpeg, the file and its last line; nothing left', async () => {
    const exe = fakeFfmpeg(join(tmp, 'bin-fail'), true);
    const dir = join(tmp, 'mp4-fail');
    mkdirSync(dir);
    const sink = openVideo({ base: join(dir, 'turntable'), width: 2, height: 2, fps: 5, frames: 1 }, exe);
    const wrote = sink.write(frame(2, 2, 0)).then(
      () => null,
      (e: Error) => e,
    );
    const closed = await sink.close().then(
      () => null,
      (e: Error) => e,
    );
    await wrote;
    expect(closed?.message).toBe(`${exe} failed writing ${join(dir, 'turntable.mp4')} (exit code 1: Unknown encoder libx264)`);
    expect(readdirSync(dir)).toEqual([]);
  });
});
