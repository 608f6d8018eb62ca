/**
 * metrics.jsonl, the run folder's record of its event stream: every event except steps, which are
 * kept every 10th iteration and at the last one. The app's history view and `compare`'s reports
 * read it back (io/run-history.ts).
 */
import type { RunFolder } from '../io/run-folder';
import type { TrainEvent } from '../train/events';

export const STEP_RECORD_EVERY = 10;

export function metricsLog(run: RunFolder): (e: TrainEvent) => void {
  return (e) => {
    if (e.type !== 'step' || e.iteration % STEP_RECORD_EVERY === 0 || e.iteration === e.total) run.appendMetric(e);
  };
}
