/** The app's comparison table: one row per planned run, updated from that run's training events. */
import type { ComparePlan } from '../core/compare/records';
import type { TrainEvent } from '../core/train/events';
import type { CompareRow, CompareStatus, ServerMessage } from '../protocol/messages';

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export class CompareTable {
  readonly rows: CompareRow[];

  constructor(
    readonly dir: string,
    plan: ComparePlan,
  ) {
    this.rows = plan.runs.map((r) => ({
      label: r.label,
      entry: plan.entries.find((e) => e.label === r.entry)?.entry ?? r.entry,
      status: 'waiting',
      iteration: 0,
      decoderParams: null,
      testPSNR: null,
      testSSIM: null,
      trainSeconds: null,
      itsPerSecond: null,
    }));
  }

  row(label: string): CompareRow {
    const r = this.rows.find((x) => x.label === label);
    if (!r) throw new Error(`CompareTable: no row '${label}'`);
    return r;
  }

  setStatus(label: string, status: CompareStatus): void {
    this.row(label).status = status;
  }

  /** Applies one of `label`'s training events; returns whether the row changed in a way worth sending. */
  apply(label: string, e: TrainEvent): boolean {
    const r = this.row(label);
    switch (e.type) {
      case 'started':
        r.decoderParams = e.params.decoder;
        return true;
      case 'step':
        r.iteration = e.iteration;
        r.itsPerSecond = finite(e.itsPerSecond);
        return true;
      case 'done': {
        const s = e.summary;
        r.testPSNR = finite(s.testPSNR);
        r.testSSIM = finite(s.testSSIM);
        r.trainSeconds = finite(s.trainSeconds);
        r.itsPerSecond = s.trainSeconds > 0 ? s.iterations / s.trainSeconds : r.itsPerSecond;
        return true;
      }
      default:
        return false;
    }
  }

  message(): Extract<ServerMessage, { type: 'compare' }> {
    return { type: 'compare', dir: this.dir, rows: this.rows.map((r) => ({ ...r })) };
  }
}
