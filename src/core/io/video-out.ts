/**
 * A turntable's video, written frame by frame: MP4 (H.264, yuv420p) through the system's ffmpeg
 * when one is on the PATH, else an animated PNG (apng.ts). Either way the file is written under a
 * temporary name beside the target and renamed when complete, so a failed or stopped render never
 * leaves a partial video under the final name (nor replaces an earlier one).
 *
 * ffmpeg gets raw RGB24 frames on its standard input; H.264 in yuv420p needs even sides, so an odd
 * width or height is padded by one black column or row.
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ApngEncoder } from './apng';
import { fileIo } from './atomic';

export type VideoKind = 'mp4' | 'apng';

export interface VideoSink {
  readonly path: string;
  readonly kind: VideoKind;
  /** One frame, RGB8 row-major (width*height*3 bytes). */
  write(rgb: Uint8Array): Promise<void>;
  /** Finishes the file and renames it into place; returns its path. */
  close(): Promise<string>;
  /** Drops the temporary file (a failed or stopped render). */
  abort(): void;
}

export interface VideoSpec {
  /** The target without extension (`.mp4` or `.apng` is appended). */
  base: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
}

/** An executable named `ffmpeg` on `PATH` (as `command -v ffmpeg` finds it), else null. */
export function findFfmpeg(path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'ffmpeg');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The ffmpeg arguments for raw RGB24 frames on stdin -> H.264 yuv420p MP4 at `out`. */
export function ffmpegArgs(width: number, height: number, fps: number, out: string): string[] {
  return [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-'],
    ...['-an', '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'],
    ...['-f', 'mp4', out],
  ];
}

/** Opens the video: MP4 through `ffmpeg` (a path; default: found on PATH), or APNG when there is none (`ffmpeg: null`). */
export function openVideo(spec: VideoSpec, ffmpeg: string | null = findFfmpeg()): VideoSink {
  return ffmpeg ? ffmpegSink(spec, ffmpeg) : apngSink(spec);
}

function apngSink(spec: VideoSpec): VideoSink {
  const path = `${spec.base}.apng`;
  const tmp = `${path}.${process.pid}.tmp`;
  const enc = new ApngEncoder(spec.width, spec.height, spec.frames, spec.fps);
  let fd = openSync(tmp, 'w');
  const put = (chunks: Uint8Array[]) => {
    for (const c of chunks) for (let off = 0; off < c.length; ) off += fileIo.write(fd, c, off, c.length - off, path);
  };
  const abort = () => {
    if (fd >= 0) closeSync(fd);
    fd = -1;
    rmSync(tmp, { force: true });
  };
  const guarded = (f: () => void) => {
    try {
      f();
    } catch (e) {
      abort();
      throw e;
    }
  };
  guarded(() => put(enc.header()));
  return {
    path,
    kind: 'apng',
    write: async (rgb) => guarded(() => put(enc.frame(rgb))),
    close: async () => {
      guarded(() => {
        put(enc.end());
        fsyncSync(fd);
        closeSync(fd);
        fd = -1;
        renameSync(tmp, path);
      });
      return path;
    },
    abort,
  };
}

function ffmpegSink(spec: VideoSpec, ffmpeg: string): VideoSink {
  const path = `${spec.base}.mp4`;
  const tmp = `${path}.${process.pid}.tmp`;
  const child = spawn(ffmpeg, ffmpegArgs(spec.width, spec.height, spec.fps, tmp), { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  let spawnError: Error | null = null;
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      spawnError = e;
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
  child.stdin.on('error', () => {}); // a dead ffmpeg: reported by close()
  const failure = (code: number | null) => {
    const last = stderr.trim().split('\n').pop() ?? '';
    const why = spawnError ? (spawnError as Error).message : `exit code ${code}${last ? `: ${last}` : ''}`;
    return new Error(`${ffmpeg} failed writing ${path} (${why})`);
  };
  const frameBytes = 3 * spec.width * spec.height;
  return {
    path,
    kind: 'mp4',
    write: (rgb) => {
      if (rgb.length !== frameBytes) throw new RangeError(`video frame: expected ${frameBytes} bytes, got ${rgb.length}`);
      return new Promise<void>((resolve, reject) => {
        if (spawnError || child.exitCode !== null) {
          void exited.then((code) => reject(failure(code)));
          return;
        }
        child.stdin.write(rgb, (e) => (e ? void exited.then((code) => reject(failure(code))) : resolve()));
      });
    },
    close: async () => {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) {
        rmSync(tmp, { force: true });
        throw failure(code);
      }
      renameSync(tmp, path);
      return path;
    },
    abort: () => {
      child.kill('SIGKILL');
      void exited.then(() => rmSync(tmp, { force: true }));
    },
  };
}
