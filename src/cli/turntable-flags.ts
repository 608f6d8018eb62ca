/**
 * `npm run render -- --turntable N` video flags: `--size N|WxH` (frame pixels, each side 1 to
 * MAX_TURNTABLE_SIDE; default the test views' size), `--elevation DEG` (the circle's angle above
 * the ground plane, -89 to 89; default the test camera's height) and `--fps N` (1 to 120,
 * default 30). Each bad value is one ConfigError naming the flag; none is accepted without
 * --turntable.
 */
import { parseDecimal } from '../core/config';
import { ConfigError } from '../core/errors';
import { MAX_TURNTABLE_ELEVATION, MAX_TURNTABLE_SIDE } from '../core/render/turntable';

export const TURNTABLE_FLAGS = ['size', 'elevation', 'fps'] as const;
export const DEFAULT_FPS = 30;
export const MAX_FPS = 120;

export interface TurntableFlags {
  /** [width, height], or null: the test views' size. */
  size: [number, number] | null;
  /** Degrees, or null: at the test camera's height. */
  elevation: number | null;
  fps: number;
}

function side(raw: string, whole: string): number {
  const v = parseDecimal(raw);
  if (!Number.isInteger(v) || v < 1 || v > MAX_TURNTABLE_SIDE)
    throw new ConfigError(
      `--size: expected N or WxH with each side an integer from 1 to ${MAX_TURNTABLE_SIDE} pixels (e.g. 400 or 640x360), got '${whole}'`,
    );
  return v;
}

export function parseTurntableFlags(flags: Record<string, string | undefined>, turntable: boolean): TurntableFlags {
  if (!turntable) {
    const given = TURNTABLE_FLAGS.find((k) => flags[k] !== undefined);
    if (given) throw new ConfigError(`--${given}: only with --turntable N (it sets the turntable video)`);
  }
  let size: [number, number] | null = null;
  if (flags.size !== undefined) {
    const parts = flags.size.trim().toLowerCase().split('x');
    if (parts.length > 2) side('', flags.size);
    const w = side(parts[0], flags.size);
    size = [w, parts.length === 2 ? side(parts[1], flags.size) : w];
  }
  let elevation: number | null = null;
  if (flags.elevation !== undefined) {
    const v = parseDecimal(flags.elevation);
    if (!Number.isFinite(v) || Math.abs(v) > MAX_TURNTABLE_ELEVATION)
      throw new ConfigError(
        `--elevation: expected degrees above the ground plane from -${MAX_TURNTABLE_ELEVATION} to ${MAX_TURNTABLE_ELEVATION}, got '${flags.elevation}'`,
      );
    elevation = v;
  }
  let fps = DEFAULT_FPS;
  if (flags.fps !== undefined) {
    const v = parseDecimal(flags.fps);
    if (!Number.isInteger(v) || v < 1 || v > MAX_FPS)
      throw new ConfigError(`--fps: expected an integer from 1 to ${MAX_FPS} frames per second, got '${flags.fps}'`);
    fps = v;
  }
  return { size, elevation, fps };
}
