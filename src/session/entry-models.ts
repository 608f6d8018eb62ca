/**
 * The comparison entries' models the app renders by label. An entry trained in this process is
 * kept in memory; one that is not (a training started since, which forgets them, or a page that
 * reconnects later) is read from its run folder's checkpoint when the table says it finished, so
 * a page reloaded after a comparison shows every finished entry. What cannot be rendered says why
 * in the comparison's terms.
 */
import { join } from 'node:path';
import type { CompareRow } from '../protocol/messages';
import { openRunFolder } from './open-run';
import { HostError, type ViewSource } from './views';

export interface ComparisonShown {
  dir: string;
  rows: readonly CompareRow[];
}

/** Checks a path before it is read (the host's allowed folders); throws when it may not be. */
export type Confine = (path: string, field: string, scene?: boolean) => void;

/** Reads a finished entry's model from its run folder. */
export type ReadEntry = (dir: string, confine: Confine) => ViewSource;

export class EntryModels {
  private readonly models = new Map<string, ViewSource>();

  constructor(private readonly read: ReadEntry = (dir, confine) => openRunFolder(dir, confine).source) {}

  set(label: string, src: ViewSource): void {
    this.models.set(label, src);
  }

  /** Forgets the models in memory (a new job); finished entries can still be read back from their folders. */
  clear(): void {
    this.models.clear();
  }

  /** `label`'s model; `running`: the comparison is still training (a waiting entry waits its turn). */
  get(label: string, compare: ComparisonShown | null, running: boolean, confine: Confine): ViewSource {
    const known = this.models.get(label);
    if (known) return known;
    const row = compare?.rows.find((r) => r.label === label);
    if (!compare || !row) throw new HostError(`no model '${label}' to render: it is not an entry of the comparison shown`);
    if (row.status === 'waiting')
      throw new HostError(
        `no model '${label}' to render yet: ${running ? 'it waits its turn to train' : 'the comparison ended before it was trained'}`,
      );
    if (row.status === 'failed') throw new HostError(`no model '${label}' to render: its training failed`);
    if (row.status === 'training') throw new HostError(`no model '${label}' to render yet: its training is starting`);
    const src = this.read(join(compare.dir, label), confine);
    this.models.set(label, src);
    return src;
  }
}
