/**
 * The it/s and ETA a training's step events carry (the CLI's bar and the app's status show these;
 * neither computes its own). Time is counted on the trainer's side only:
 * - time the consumer holds the event stream (the app paused, or rendering between steps, a
 *   terminal printing) is not counted: Trainer.run measures it around each event and calls `held`;
 * - running evaluations are timed apart (`evaluated`): they do not lower the step rate, and their
 *   seconds per view estimate the evaluations still to come, the final one included.
 * The rate is over the last RATE_WINDOW steps: it follows a change of step cost (an upsampling)
 * within that many steps, and one slow step or a pause does not swing it.
 */

/** Milliseconds from some fixed point (performance.now; tests pass a fake clock). */
export type Clock = () => number;

export const RATE_WINDOW = 20;

/** The test views still to be rendered after step `iteration`: running evaluations to come, and the final one. */
export interface ViewsToCome {
  running: number;
  final: number;
}

export class ProgressMeter {
  private heldMs = 0;
  private evalMs = 0;
  private msPerView: number | null = null;
  /** (iteration, work milliseconds) at the last RATE_WINDOW + 1 marks. */
  private marks: { iteration: number; at: number }[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly window = RATE_WINDOW,
  ) {}

  /** Milliseconds of the trainer's own work outside evaluations: wall time less held and evaluation time. */
  private work(): number {
    return this.clock() - this.heldMs - this.evalMs;
  }

  /** Training (re)starts at `iteration`: the rate is measured from here. */
  start(iteration: number): void {
    this.marks = [{ iteration, at: this.work() }];
  }

  /** The consumer held the stream for `ms` (not training time). */
  held(ms: number): void {
    this.heldMs += ms;
  }

  /** A running evaluation of `views` views took `ms`. */
  evaluated(ms: number, views: number): void {
    this.evalMs += ms;
    if (views > 0) this.msPerView = ms / views;
  }

  /** Step `iteration` is done. */
  step(iteration: number): void {
    this.marks.push({ iteration, at: this.work() });
    if (this.marks.length > this.window + 1) this.marks.splice(0, this.marks.length - this.window - 1);
  }

  /** Steps per second over the recent window; NaN before the first step. */
  get itsPerSecond(): number {
    const a = this.marks[0];
    const b = this.marks.at(-1);
    if (!a || !b || b.iteration <= a.iteration) return NaN;
    return (b.iteration - a.iteration) / (Math.max(b.at - a.at, 1e-6) / 1000);
  }

  /**
   * Seconds to the end of the run after step `iteration` of `total`: the remaining steps at the
   * current rate, plus the views still to be evaluated at the last running evaluation's seconds
   * per view (left out until one has run). NaN before the first step.
   */
  etaSeconds(iteration: number, total: number, views: ViewsToCome): number {
    const rate = this.itsPerSecond;
    if (!(rate > 0)) return NaN;
    const evalSeconds = this.msPerView === null ? 0 : ((views.running + views.final) * this.msPerView) / 1000;
    return Math.max(0, total - iteration) / rate + evalSeconds;
  }
}

/**
 * The running-evaluation views after step `iteration` of `total`: one evaluation of `visViews`
 * views after every `visEvery`-th step before the last (Trainer.run).
 */
export function runningViewsToCome(iteration: number, total: number, visEvery: number, visViews: number): number {
  if (visEvery <= 0) return 0;
  return Math.max(0, Math.floor((total - 1) / visEvery) - Math.floor(iteration / visEvery)) * visViews;
}
