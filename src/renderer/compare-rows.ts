/**
 * The compare view's logic (DOM-free): what a `compare` message's rows show, which row has the
 * best test PSNR, which entry viewports to add or remove, where a frame goes, and what a
 * `compare` request carries.
 */
import type { TrainConfig } from '../core/config';
import { DECODER_KEYS, parseDecoderSpecs } from '../core/compare/decoder-spec';
import type { CompareRow, CompareStatus, ServerMessage } from '../protocol/messages';
import { MISSING, formatCount, formatPsnr, formatRate, formatSeconds, formatSsim } from './format';

type FrameMessage = Extract<ServerMessage, { type: 'frame' }>;
export type CompareMessage = Extract<ServerMessage, { type: 'compare' }>;

/** What the decoders field holds until the user edits it. */
export const COMPARE_DEFAULT_DECODERS = 'mlp,siren,splitnet';

/** Most viewports in one row of the grid. */
export const MAX_GRID_COLUMNS = 3;

/** The table's columns, in order: key (a cell's data-col), header. */
export const COMPARE_COLUMNS = [
  ['entry', 'Entry'],
  ['status', 'Status'],
  ['iteration', 'Iteration'],
  ['params', 'Decoder params'],
  ['psnr', 'Test PSNR'],
  ['ssim', 'SSIM'],
  ['seconds', 'Train time (s)'],
  ['rate', 'it/s'],
] as const;
export type CompareColumn = (typeof COMPARE_COLUMNS)[number][0];
export type CompareCells = Record<CompareColumn, string>;

/** A row's table cells as text ("—" for what is not known yet). */
export function compareCells(row: CompareRow): CompareCells {
  return {
    entry: row.entry,
    status: row.status,
    iteration: String(row.iteration),
    params: formatCount(row.decoderParams),
    psnr: formatPsnr(row.testPSNR),
    ssim: formatSsim(row.testSSIM),
    seconds: formatSeconds(row.trainSeconds),
    rate: formatRate(row.itsPerSecond),
  };
}

/** Statuses whose test PSNR is final (a training entry's may still be a running estimate). */
const FINISHED: readonly CompareStatus[] = ['done', 'stopped', 'failed'];

/** The label of the finished row with the highest test PSNR (the first on a tie); null when none has one. */
export function bestLabel(rows: readonly CompareRow[]): string | null {
  let best: CompareRow | null = null;
  for (const r of rows) {
    if (!FINISHED.includes(r.status) || typeof r.testPSNR !== 'number' || !Number.isFinite(r.testPSNR)) continue;
    if (best === null || r.testPSNR > best.testPSNR!) best = r;
  }
  return best?.label ?? null;
}

/** Statuses in which the Node side can render the entry's model. */
const RENDERABLE: readonly CompareStatus[] = ['training', 'done', 'stopped'];

export interface EntryViewState {
  /** Frames may be requested. */
  enabled: boolean;
  /** The picture follows training (refresh while still, as the main viewport does). */
  live: boolean;
  /** Text shown instead of a picture; null when the entry has a model. */
  placeholder: string | null;
}

/** `running`: the comparison is still going (a stopped one leaves its remaining entries untrained). */
export function entryViewState(status: CompareStatus, running = true): EntryViewState {
  let placeholder: string | null = null;
  if (status === 'waiting') placeholder = running ? 'waiting to train' : 'not trained (the comparison ended before this entry)';
  else if (status === 'failed') placeholder = 'training failed: no model';
  return { enabled: RENDERABLE.includes(status), live: status === 'training', placeholder };
}

/** The viewports to make for a `compare` message, given the comparison shown and its labels. */
export interface ViewPlan {
  /** A different comparison: remove every viewport first. */
  reset: boolean;
  add: string[];
  remove: string[];
}

export function planViews(shownDir: string | null, shownLabels: readonly string[], m: CompareMessage): ViewPlan {
  const labels = m.rows.map((r) => r.label);
  const reset = shownDir !== null && shownDir !== m.dir;
  const kept = reset ? [] : shownLabels;
  return {
    reset,
    add: labels.filter((l) => !kept.includes(l)),
    remove: reset ? [...shownLabels] : shownLabels.filter((l) => !labels.includes(l)),
  };
}

/** Where a frame goes: the main viewport (no model), an entry's viewport, or nowhere (an entry no longer shown). */
export type FrameRoute = { to: 'main' } | { to: 'entry'; label: string } | { to: 'none' };

export function routeFrame(m: Pick<FrameMessage, 'model'>, hasEntry: (label: string) => boolean): FrameRoute {
  if (m.model === undefined) return { to: 'main' };
  return hasEntry(m.model) ? { to: 'entry', label: m.model } : { to: 'none' };
}

/** Columns of the viewport grid for n entries: side by side up to MAX_GRID_COLUMNS, then wrapped. */
export function gridColumns(n: number): number {
  if (n <= 1) return 1;
  if (n <= MAX_GRID_COLUMNS) return n;
  return Math.min(MAX_GRID_COLUMNS, Math.ceil(Math.sqrt(n)));
}

/**
 * The `compare` request's config from the training form's: the entries choose the decoder and
 * its options, and the runs go into the comparison folder, so those fields are left out.
 */
export function compareConfig(start: Partial<TrainConfig>): Partial<TrainConfig> {
  const out: Partial<TrainConfig> = { ...start };
  for (const k of [...DECODER_KEYS, 'name', 'out'] as const) delete out[k];
  return out;
}

/** Why the decoders field cannot be sent (the CLI's message without its flag), or null when it can. */
export function checkDecoders(raw: string): string | null {
  const text = raw.trim();
  if (text === '') return 'decoders: name at least one (e.g. mlp,siren,splitnet)';
  try {
    parseDecoderSpecs(text);
    return null;
  } catch (e) {
    return `decoders: ${(e as Error).message.replace(/^--decoders:?\s*/, '')}`;
  }
}

/** The caption over an entry's viewport: entry, status, and the test PSNR once known. */
export function viewCaption(row: CompareRow): string {
  const parts = [row.status === 'training' ? `training, iteration ${row.iteration}` : row.status];
  const psnr = formatPsnr(row.testPSNR);
  if (psnr !== MISSING) parts.push(`${psnr} dB`);
  return `${row.entry} · ${parts.join(' · ')}`;
}
