/**
 * metrics.jsonl, the run folder's record of its event stream: every event except steps, which are
 * kept every 10th iteration and at the last one. The app's history view and `compare`'s reports
 * read it back (io/run-folder.ts readHistory, compare/records.ts). A resumed run first cuts the
 * record back to its checkpoint (`truncateToCheckpoint`), so that what was logged after that
 * checkpoint (and is trained again now) is not there twice.
 */
import { existsSync, readFileSync, truncateSync } from 'node:fs';
import type { RunFolder } from '../io/run-folder';
import type { TrainEvent } from '../train/events';

export const STEP_RECORD_EVERY = 10;

export function metricsLog(run: RunFolder): (e: TrainEvent) => void {
  return (e) => {
    if (e.type !== 'step' || e.iteration % STEP_RECORD_EVERY === 0 || e.iteration === e.total) run.appendMetric(e);
  };
}

/**
 * Cuts `path` (a metrics.jsonl) after the record of the checkpoint at `iteration` (its last
 * `checkpoint` line of that iteration), dropping what the run logged after it: steps, evaluations,
 * schedule changes, a stop or a failure, a final evaluation. Without such a line (the process was
 * killed between writing the checkpoint and logging it) it cuts before the first record of a later
 * iteration. Returns the number of lines removed.
 */
export function truncateToCheckpoint(path: string, iteration: number): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const parsed = lines.map((l) => {
    try {
      return JSON.parse(l) as { type?: unknown; iteration?: unknown };
    } catch {
      return null;
    }
  });
  let keep = -1;
  for (let i = parsed.length - 1; i >= 0; i--) {
    if (parsed[i]?.type === 'checkpoint' && parsed[i]?.iteration === iteration) {
      keep = i + 1;
      break;
    }
  }
  if (keep < 0) {
    const later = parsed.findIndex((r) => typeof r?.iteration === 'number' && r.iteration > iteration);
    keep = later < 0 ? lines.length : later;
  }
  if (keep >= lines.length) return 0;
  truncateSync(
    path,
    Buffer.byteLength(
      lines
        .slice(0, keep)
        .map((l) => `${l}\n`)
        .join(''),
    ),
  );
  return lines.length - keep;
}
