/**
 * The page's turntable recording, DOM-free: the form's values checked as the Node side checks
 * them, the camera of the request (the viewport's pose and field of view at the recording's
 * width, its height from the viewport's aspect, both within the frame limit), the file's name
 * and the base64 file as bytes.
 */
import { type CameraSpec, MAX_FRAME_SIDE, MAX_RECORD_FRAMES, MAX_RECORD_PIXELS } from '../protocol/messages';
import type { ViewCamera } from './camera-math';

export const RECORD_DEFAULTS = { frames: 36, size: 200, fps: 12 } as const;
export const MIN_RECORD_SIDE = 16;
export const MAX_RECORD_FPS = 120;

/** The request's camera: `width` pixels wide at the view's aspect, scaled down to fit MAX_FRAME_SIDE if needed. */
export function recordCamera(view: ViewCamera, width: number): CameraSpec {
  let w = width;
  let h = Math.max(1, Math.round(width / view.aspect));
  if (h > MAX_FRAME_SIDE) {
    w = Math.max(1, Math.round((w * MAX_FRAME_SIDE) / h));
    h = MAX_FRAME_SIDE;
  }
  return { pose: view.pose.slice(), fovY: view.fovY, width: w, height: h };
}

/** Why the form's values cannot be recorded (null: they can); `camera` is the request's (for the pixel total). */
export function recordProblem(frames: number, size: number, fps: number, camera?: CameraSpec): string | null {
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!int(frames, 1, MAX_RECORD_FRAMES)) return `record frames: expected an integer from 1 to ${MAX_RECORD_FRAMES}`;
  if (!int(size, MIN_RECORD_SIDE, MAX_FRAME_SIDE))
    return `record width: expected an integer from ${MIN_RECORD_SIDE} to ${MAX_FRAME_SIDE} pixels`;
  if (!int(fps, 1, MAX_RECORD_FPS)) return `record fps: expected an integer from 1 to ${MAX_RECORD_FPS}`;
  if (camera && frames * camera.width * camera.height > MAX_RECORD_PIXELS)
    return `record: ${frames} frames of ${camera.width}x${camera.height} are more than ${MAX_RECORD_PIXELS} pixels; fewer frames or a smaller width`;
  return null;
}

/** `turntable-it70.apng`, or `turntable-it40-52.apng` when the model trained during the recording. */
export function recordFileName(iterations: [number, number] | undefined): string {
  if (!iterations) return 'turntable.apng';
  const [a, b] = iterations;
  return a === b ? `turntable-it${a}.apng` : `turntable-it${a}-${b}.apng`;
}

export function base64Bytes(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Bytes as `12.3 KB` / `4.56 MB`. */
export function formatBytes(n: number): string {
  return n < 1e6 ? `${(n / 1e3).toFixed(1)} KB` : `${(n / 1e6).toFixed(2)} MB`;
}
