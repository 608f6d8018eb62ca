/**
 * The curves the session keeps for pages that connect later (DOM-free): the single training's, or
 * each comparison entry's by label, or an opened run's. A single training or an opened run
 * replaces everything; a comparison's entries are kept together until another comparison (a new
 * folder) or a single training begins.
 */
import type { HistoryPoint, ServerMessage } from '../protocol/messages';

type HistoryMessage = Extract<ServerMessage, { type: 'history' }>;
type EventMessage = Extract<ServerMessage, { type: 'event' }>;

/** Points kept per run: beyond it, every other train point goes (test points all stay). */
export const MAX_HISTORY = 4000;

const SINGLE = '';

export class RunHistories {
  private readonly runs = new Map<string, { run: string; points: HistoryPoint[]; opened?: HistoryMessage['opened'] }>();
  private compareDir: string | null = null;

  /** A run event from the training process. */
  event(m: EventMessage): void {
    const e = m.event;
    const key = m.entry ?? SINGLE;
    if (e.type === 'started') {
      if (key === SINGLE) this.runs.clear();
      else this.runs.delete(SINGLE);
      this.runs.set(key, { run: e.config.out, points: [] });
      return;
    }
    if (e.type !== 'step' && e.type !== 'eval') return;
    let h = this.runs.get(key);
    if (!h) {
      // events of a run whose start this session did not see (it connected to a process mid-run)
      h = { run: '', points: [] };
      this.runs.set(key, h);
    }
    if (e.type === 'step') h.points.push({ iteration: e.iteration, trainPSNR: e.trainPSNR, loss: e.loss });
    else h.points.push({ iteration: e.iteration, testPSNR: e.testPSNR, final: e.final, views: e.views });
    if (h.points.length > MAX_HISTORY) h.points = h.points.filter((p, i) => p.testPSNR !== undefined || i % 2 === 0);
  }

  /** A history from the training process (an opened run): it replaces every curve. */
  history(m: HistoryMessage): void {
    this.runs.clear();
    this.runs.set(m.entry ?? SINGLE, { run: m.run, points: [...m.points], ...(m.opened ? { opened: m.opened } : {}) });
  }

  /** A comparison's table: another comparison's folder forgets the entries' curves. */
  compare(dir: string): void {
    if (dir === this.compareDir) return;
    this.compareDir = dir;
    for (const key of [...this.runs.keys()]) if (key !== SINGLE) this.runs.delete(key);
  }

  /** What a page connecting now is sent: one history per run with curves. */
  messages(): HistoryMessage[] {
    return [...this.runs]
      .filter(([, h]) => h.points.length > 0 || h.opened)
      .map(([key, h]) => ({
        type: 'history',
        points: [...h.points],
        run: h.run,
        ...(key === SINGLE ? {} : { entry: key }),
        ...(h.opened ? { opened: h.opened } : {}),
      }));
  }
}
