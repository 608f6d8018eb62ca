/**
 * The View panel's turntable recording: frames, width and fps, a Record button (enabled while
 * there is a model), a progress line, and the finished animated PNG as a download link. The
 * request carries the viewport's current camera; the Node side renders the turntable through it
 * (recorder.ts) and sends progress, then the file.
 */
import type { TensorfApi } from '../protocol/api';
import type { ServerMessage, SessionState } from '../protocol/messages';
import type { ViewCamera } from './camera-math';
import { byTestId } from './dom';
import { base64Bytes, formatBytes, recordCamera, recordFileName, recordProblem } from './record-request';
import { hasModel } from './status';

type RecordingMessage = Extract<ServerMessage, { type: 'recording' }>;

export class RecordPanel {
  private readonly frames: HTMLInputElement;
  private readonly width: HTMLInputElement;
  private readonly fps: HTMLInputElement;
  private readonly button: HTMLButtonElement;
  private readonly status: HTMLElement;
  private id = 0;
  private waiting = false;
  private state: SessionState | null = null;
  private url: string | null = null;

  constructor(
    root: ParentNode,
    private readonly api: TensorfApi,
    private readonly view: () => ViewCamera,
  ) {
    this.frames = byTestId(root, 'record-frames');
    this.width = byTestId(root, 'record-width');
    this.fps = byTestId(root, 'record-fps');
    this.button = byTestId(root, 'record');
    this.status = byTestId(root, 'record-status');
    this.button.addEventListener('click', () => this.start());
    this.setState(null);
  }

  setState(state: SessionState | null): void {
    this.state = state;
    this.button.disabled = this.waiting || !hasModel(state);
  }

  private start(): void {
    const frames = Number(this.frames.value);
    const fps = Number(this.fps.value);
    const width = Number(this.width.value);
    const camera = Number.isInteger(width) && width > 0 ? recordCamera(this.view(), width) : undefined;
    const why = recordProblem(frames, width, fps, camera);
    if (why !== null || !camera) {
      this.show(why ?? 'record: no camera', 'error');
      return;
    }
    this.waiting = true;
    this.setState(this.state);
    this.show(`recording ${frames} frames of ${camera.width}×${camera.height}…`);
    this.api.record(++this.id, camera, frames, fps);
  }

  /** A `recording` message: progress, or the file. */
  recording(m: RecordingMessage): void {
    if (m.id !== this.id) return; // an older request's
    if (m.apng === undefined) {
      this.show(`recording: frame ${m.done} of ${m.total} (${m.width}×${m.height})`);
      return;
    }
    this.waiting = false;
    this.setState(this.state);
    const bytes = base64Bytes(m.apng);
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = URL.createObjectURL(new Blob([bytes], { type: 'image/apng' }));
    const a = document.createElement('a');
    a.href = this.url;
    a.download = recordFileName(m.iterations);
    a.dataset.testid = 'record-download';
    a.textContent = `${a.download} (${m.total} frames, ${m.width}×${m.height}, ${m.fps} fps, ${formatBytes(bytes.length)})`;
    this.status.replaceChildren('Download ', a);
    this.status.className = 'detail record-status';
  }

  /** A failed recording (an error reply to `record`). */
  failed(message: string): void {
    this.waiting = false;
    this.setState(this.state);
    this.show(message, 'error');
  }

  private show(text: string, kind?: 'error'): void {
    this.status.textContent = text;
    this.status.className = `detail record-status${kind ? ` ${kind}` : ''}`;
  }

  dispose(): void {
    if (this.url) URL.revokeObjectURL(this.url);
  }
}
