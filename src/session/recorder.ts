/**
 * The app's turntable recording: `frames` frames on the circle around +Z through the camera's
 * position, looking at the origin (the poses of `npm run render -- --turntable`, core/render/
 * turntable.ts), at the camera's size and field of view, encoded as an animated PNG one frame at a
 * time (core/io/apng.ts). The render queue renders one frame per turn, so a training goes on
 * between frames (each frame shows the model as it is then; the last message names the first
 * and last frame's iterations) and a stop or pause is never held up by more than one frame.
 */
import { ApngEncoder, rgbBytes } from '../core/io/apng';
import { renderView } from '../core/eval/evaluate';
import { turntablePose } from '../core/render/turntable';
import { type ClientMessage, MAX_RECORD_PIXELS, type ServerMessage } from '../protocol/messages';
import { focalFromFovY } from './frames';
import { ctxOf, HostError, type ViewSource } from './views';

export type RecordRequest = Extract<ClientMessage, { type: 'record' }>;
type RecordingMessage = Extract<ServerMessage, { type: 'recording' }>;

export class Recording {
  private done = 0;
  private readonly chunks: Uint8Array[];
  private readonly enc: ApngEncoder;
  private readonly iterations: [number, number] = [0, 0];

  constructor(readonly m: RecordRequest) {
    const { width, height } = m.camera;
    if (m.frames * width * height > MAX_RECORD_PIXELS)
      throw new HostError(
        `record: ${m.frames} frames of ${width}x${height} are ${m.frames * width * height} pixels; at most ${MAX_RECORD_PIXELS} (fewer frames or a smaller size)`,
      );
    this.enc = new ApngEncoder(width, height, m.frames, m.fps);
    this.chunks = this.enc.header();
  }

  get finished(): boolean {
    return this.done === this.m.frames;
  }

  /** Renders the next frame; returns the progress message (the last one with the file). */
  async next(src: ViewSource): Promise<RecordingMessage> {
    const { camera, frames, fps, id } = this.m;
    const pose = turntablePose(Float32Array.from(camera.pose), this.done, frames);
    const r = await renderView(src.model, ctxOf(src), pose, camera.width, camera.height, focalFromFovY(camera.fovY, camera.height));
    this.chunks.push(...this.enc.frame(rgbBytes(r.rgb)));
    if (this.done === 0) this.iterations[0] = src.iteration;
    this.iterations[1] = src.iteration;
    this.done++;
    const m: RecordingMessage = { type: 'recording', id, done: this.done, total: frames, width: camera.width, height: camera.height, fps };
    if (!this.finished) return m;
    this.chunks.push(...this.enc.end());
    return { ...m, apng: Buffer.concat(this.chunks).toString('base64'), iterations: [...this.iterations] };
  }
}
