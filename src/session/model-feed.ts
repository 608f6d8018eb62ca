/**
 * Model snapshots for the page's shader view, from inside the training process: sent only while
 * some client watches (the session says so), latest-value, when watching begins, when a run is
 * opened, pauses or ends, and while a training runs at most every SNAPSHOT_EVERY_MS (at a step
 * boundary). A snapshot of an iteration already sent is not sent again.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { flatGroups, groupParams, type ParamGroups } from '../core/params';
import { encodeSnapshot } from '../core/snapshot/snapshot-codec';
import { snapshotOf } from '../core/snapshot/snapshot-of';
import type { ServerMessage, SessionState } from '../protocol/messages';
import type { ViewSource } from './views';

export const SNAPSHOT_EVERY_MS = 3000;
/** States after which the model holds still for a while: its snapshot goes out at once. */
const SETTLED: readonly SessionState[] = ['paused', 'stopped', 'done', 'viewing'];

export class ModelFeed {
  private watching = false;
  private last: { source: ViewSource['model']; iteration: number } | null = null;
  private lastAt = -Infinity;

  constructor(
    private readonly send: (m: ServerMessage) => void,
    private readonly source: () => ViewSource | null,
    private readonly now: () => number = () => performance.now(),
  ) {}

  setWatching(on: boolean): void {
    this.watching = on;
    if (on) {
      this.last = null; // a client that starts watching gets the model even if unchanged
      this.push();
    }
  }

  /** A state change: a settled model goes out now. */
  state(s: SessionState): void {
    if (s === 'loading') this.last = null;
    if (SETTLED.includes(s)) this.push();
  }

  /** After a training step: a snapshot if the last is old enough. */
  step(): void {
    if (this.now() - this.lastAt >= SNAPSHOT_EVERY_MS) this.push();
  }

  private push(): void {
    if (!this.watching) return;
    const src = this.source();
    if (!src) return;
    if (this.last && this.last.source === src.model && this.last.iteration === src.iteration) return;
    this.last = { source: src.model, iteration: src.iteration };
    this.lastAt = this.now();
    const device = src.deviceParams?.() ?? null;
    const values = device ? download(device) : undefined;
    this.send({ type: 'model', snapshot: encodeSnapshot(snapshotOf(src.model, src.mask, { iteration: src.iteration, values })) });
  }
}

/** A device-resident training's parameters, read back once per snapshot. */
function download(p: ParamGroups<tf.Tensor>): ParamGroups<Float32Array> {
  return groupParams(flatGroups(p).map((t) => t.dataSync() as Float32Array));
}
