/**
 * Milliseconds per phase of a training step, for the benchmark (StepInput.timer). A TrainPath
 * calls `begin()` as its step starts and `mark(phase)` at the end of each phase; a phase's time
 * is the time since the previous mark (or begin).
 *
 * On a device backend (webgpu, tensorflow) ops are queued, not run, when the host calls them, so a
 * mark without a sync measures the host's dispatch time of that phase, and the device's work
 * shows up in whichever later phase waits for it (the count readback, the final readback). With
 * `sync` (readbackSync below) every mark first waits until the device has finished everything
 * queued so far, so each phase gets its device time; the waits make the whole step slower.
 * On the cpu backend the ops run as they are called and no sync is needed.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The phases each path marks, in order (host-path.ts, device-path.ts). */
export const HOST_PHASES = ['gather+placement', 'forward+backward', 'adam'] as const;
export const DEVICE_PHASES = ['upload+placement', 'density+selection', 'forward+backward', 'adam', 'readback'] as const;

export class PhaseTimer {
  private last = 0;
  private current: Record<string, number> = {};

  /** `sync`: awaited at every mark before the clock is read (null: dispatch time only). */
  constructor(private readonly sync: (() => Promise<void>) | null = null) {}

  get synced(): boolean {
    return this.sync !== null;
  }

  begin(): void {
    this.current = {};
    this.last = performance.now();
  }

  async mark(phase: string): Promise<void> {
    if (this.sync) await this.sync();
    const now = performance.now();
    this.current[phase] = (this.current[phase] ?? 0) + (now - this.last);
    this.last = now;
  }

  /** The phase times (ms) of the step since begin(), in the order marked; starts afresh. */
  take(): Record<string, number> {
    const t = this.current;
    this.current = {};
    return t;
  }
}

/**
 * A sync for PhaseTimer: reads back a one-number reduction of a small device-resident tensor,
 * which the device answers only after all work queued before it. The probe has 1024 entries so
 * that webgpu never runs the reduction on the host (it does so for inputs under 1000 entries
 * that are not on the device yet). Call `dispose` when done.
 */
export function readbackSync(): { sync: () => Promise<void>; dispose: () => void } {
  const probe = tf.keep(tf.zeros([1024]));
  return {
    sync: async () => {
      const s = tf.sum(probe);
      await s.data();
      s.dispose();
    },
    dispose: () => probe.dispose(),
  };
}
