/**
 * When the viewport asks the Node side for a frame (DOM-free; timers are the global
 * setTimeout/clearTimeout, so tests drive it with fake timers).
 *
 * - Every camera move requests a COARSE frame. At most one request is in flight: a move while one
 *   is in flight only remembers the newest camera, which is sent when the reply arrives or after
 *   REPLY_TIMEOUT_MS. Stale cameras are never queued.
 * - SHARP_DELAY_MS after the last move, a SHARP frame.
 * - While live (training or paused) and the camera is still, a new sharp frame whenever the
 *   previous request has been answered and LIVE_INTERVAL_MS have passed since the last sharp
 *   request. A request unanswered after its timeout holds this back until REPLY_LOST_MS (a slow
 *   renderer is not sent more work than it can do; a lost reply does not stop the refresh).
 * - Request ids increase; `accept` says whether an arriving frame is newer than the one shown.
 * - With refinement on (setRefine), a still camera's answered sharp frame is followed, when not
 *   live, by one FULL frame (the viewport's largest size): progressive refinement of a still view.
 * - Nothing is requested until `setEnabled(true)` (the Node side has a model).
 */
import type { Quality } from '../protocol/messages';

export const SHARP_DELAY_MS = 250;
export const REPLY_TIMEOUT_MS = 1500;
export const LIVE_INTERVAL_MS = 1000;
export const REPLY_LOST_MS = 10_000;

export type SendFrame<C> = (id: number, camera: C, quality: Quality) => void;

type Timer = ReturnType<typeof setTimeout>;

export class FrameScheduler<C> {
  private camera: C | null = null;
  private enabled = false;
  private live = false;
  private nextId = 1;
  private inFlight: { id: number; timer: Timer } | null = null;
  private pending: Quality | null = null;
  private sharpTimer: Timer | null = null;
  private liveTimer: Timer | null = null;
  private lastSharpAt = -Infinity;
  private lastSentId = 0;
  private lastSentAt = -Infinity;
  private answeredId = 0;
  private shownId = 0;
  private lastSharpId = 0;
  private refine = false;

  constructor(
    private readonly send: SendFrame<C>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Sets the camera without asking for a frame (the initial camera). */
  setCamera(camera: C): void {
    this.camera = camera;
  }

  /** The camera moved: a coarse frame now (or when the one in flight returns), a sharp one when it stops. */
  moved(camera: C): void {
    this.camera = camera;
    this.clearSharpTimer();
    this.sharpTimer = setTimeout(() => {
      this.sharpTimer = null;
      this.request('sharp');
    }, SHARP_DELAY_MS);
    this.request('coarse');
  }

  /** A sharp frame as soon as possible (output switched, camera jumped, canvas resized). */
  refresh(camera?: C): void {
    if (camera !== undefined) this.camera = camera;
    this.clearSharpTimer();
    this.request('sharp');
  }

  /**
   * The Node side has a different model now (a run was opened, a training started): a sharp frame
   * of it, even when frames were already enabled (else the old model's picture stays until the
   * camera moves). Nothing is sent while disabled; enabling asks anyway.
   */
  modelChanged(): void {
    this.clearSharpTimer();
    this.request('sharp');
  }

  /** Whether the Node side can render (it has a model). Turning on asks for a sharp frame. */
  setEnabled(on: boolean): void {
    if (on === this.enabled) return;
    this.enabled = on;
    if (on) {
      this.request('sharp');
    } else {
      this.pending = null;
      this.clearSharpTimer();
      this.clearLiveTimer();
    }
  }

  /** Whether a still camera's sharp frame is followed by a full-size one (when not live). */
  setRefine(on: boolean): void {
    this.refine = on;
  }

  /** Whether the picture should follow training (session training or paused). */
  setLive(on: boolean): void {
    this.live = on;
    if (on) this.scheduleLive();
    else this.clearLiveTimer();
  }

  /**
   * A frame with this id arrived. Frees the in-flight slot (sending the remembered camera, if any)
   * and returns whether the frame is newer than the newest one shown (else it must be dropped).
   */
  accept(id: number): boolean {
    if (id > this.answeredId) this.answeredId = id;
    const refineNext = this.refine && !this.live && id === this.lastSharpId && !this.sharpTimer;
    if (this.inFlight && id >= this.inFlight.id) this.complete();
    else if (!this.inFlight) this.scheduleLive(); // a late reply: the live refresh may be due now
    if (refineNext && !this.inFlight && this.pending === null) this.request('full');
    if (id <= this.shownId) return false;
    this.shownId = id;
    return true;
  }

  /** The request in flight failed (an error reply): free the slot as if it had arrived. */
  failed(): void {
    if (!this.inFlight) return;
    this.answeredId = Math.max(this.answeredId, this.inFlight.id);
    this.complete();
  }

  get busy(): boolean {
    return this.inFlight !== null;
  }

  dispose(): void {
    this.enabled = false;
    this.pending = null;
    this.clearSharpTimer();
    this.clearLiveTimer();
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = null;
  }

  private request(quality: Quality): void {
    if (!this.enabled || this.camera === null) return;
    if (this.inFlight) {
      this.pending = quality; // the newest wish replaces any older one
      return;
    }
    this.dispatch(quality);
  }

  private dispatch(quality: Quality): void {
    if (this.camera === null) return;
    this.clearLiveTimer();
    const id = this.nextId++;
    this.inFlight = { id, timer: setTimeout(() => this.complete(), REPLY_TIMEOUT_MS) };
    this.lastSentId = id;
    this.lastSentAt = this.now();
    if (quality === 'sharp') {
      this.lastSharpAt = this.lastSentAt;
      this.lastSharpId = id;
    }
    this.send(id, this.camera, quality);
  }

  private complete(): void {
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = null;
    const next = this.pending;
    this.pending = null;
    if (next && this.enabled) this.dispatch(next);
    else this.scheduleLive();
  }

  private scheduleLive(): void {
    this.clearLiveTimer();
    if (!this.live || !this.enabled || this.inFlight) return;
    let due = this.lastSharpAt + LIVE_INTERVAL_MS;
    if (this.answeredId < this.lastSentId) due = Math.max(due, this.lastSentAt + REPLY_LOST_MS);
    const delay = Math.max(0, due - this.now());
    this.liveTimer = setTimeout(() => {
      this.liveTimer = null;
      // Only when still: while moving, the sharp-after-idle request takes over.
      if (this.live && this.enabled && !this.inFlight && !this.sharpTimer && this.pending === null) this.dispatch('sharp');
    }, delay);
  }

  private clearSharpTimer(): void {
    if (this.sharpTimer) clearTimeout(this.sharpTimer);
    this.sharpTimer = null;
  }

  private clearLiveTimer(): void {
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.liveTimer = null;
  }
}
