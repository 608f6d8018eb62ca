/**
 * Model snapshots for the page's shader view, from inside the training process: sent only while
 * some client watches (the session says so), latest-value, when watching begins, when a run is
 * opened, pauses or ends, and while a training runs at most every SNAPSHOT_EVERY_MS (at a step
 * boundary). A snapshot of an iteration already sent is not sent again.
 *
 * A device-resident training's parameters are read back asynchronously: webgpu has no synchronous
 * read under Node (tfjs's readSync goes through an OffscreenCanvas). The model's structure (box,
 * grid, mask) and clones of the parameter tensors are taken at the step boundary, so the training
 * may go on (and upsample) while the read runs; a read that finishes after a new run began, or
 * after watching stopped, is dropped.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AlphaMask } from '../core/field/alpha-mask';
import type { Model } from '../core/model';
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
  /** Bumped when a run begins or watching stops: a device read begun before is not sent. */
  private generation = 0;
  private reads: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (m: ServerMessage) => void,
    private readonly source: () => ViewSource | null,
    private readonly now: () => number = () => performance.now(),
  ) {}

  setWatching(on: boolean): void {
    this.watching = on;
    if (!on) this.generation++;
    if (on) {
      this.last = null; // a client that starts watching gets the model even if unchanged
      this.push();
    }
  }

  /** A state change: a settled model goes out now. */
  state(s: SessionState): void {
    if (s === 'loading') {
      this.last = null;
      this.generation++;
    }
    if (SETTLED.includes(s)) this.push();
  }

  /** After a training step: a snapshot if the last is old enough. */
  step(): void {
    if (this.now() - this.lastAt >= SNAPSHOT_EVERY_MS) this.push();
  }

  /** Resolves once every device read begun so far has been sent or dropped. */
  idle(): Promise<void> {
    return this.reads;
  }

  private push(): void {
    if (!this.watching) return;
    const src = this.source();
    if (!src) return;
    if (this.last && this.last.source === src.model && this.last.iteration === src.iteration) return;
    this.last = { source: src.model, iteration: src.iteration };
    this.lastAt = this.now();
    const device = src.deviceParams?.() ?? null;
    if (!device) {
      this.sendSnapshot(src.model, src.mask, src.iteration);
      return;
    }
    // the structure as it is now (an upsampling reassigns the field's box and grid), the values
    // held by clones (Adam assigns new tensors; the clones keep these alive until read)
    const model = { ...src.model, field: { ...src.model.field } };
    const { mask, iteration } = src;
    const clones = flatGroups(device).map((t) => tf.clone(t));
    const generation = this.generation;
    this.reads = this.reads
      .then(async () => {
        try {
          const arrays = (await Promise.all(clones.map((t) => t.data()))) as Float32Array[];
          if (generation === this.generation) this.sendSnapshot(model, mask, iteration, groupParams(arrays));
        } finally {
          tf.dispose(clones);
        }
      })
      .catch((e: unknown) => {
        // the next snapshot tries again; the training reports a lost device itself
        console.error(
          `shader view: the model snapshot of iteration ${iteration} was not sent: ${e instanceof Error ? e.message : String(e)}`,
        );
      });
  }

  private sendSnapshot(model: Model, mask: AlphaMask | null, iteration: number, values?: ParamGroups<Float32Array>): void {
    this.send({ type: 'model', snapshot: encodeSnapshot(snapshotOf(model, mask, { iteration, values })) });
  }
}
