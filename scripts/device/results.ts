/**
 * The figures of a lent-GPU session, read from the files driver.sh writes (collect.ts writes them
 * to results.json): phase times, the training run's events and summary, the evaluation's
 * progress, the benchmarks, and the GPU memory nvidia-smi reported during each phase.
 */

export interface Phase {
  t: number;
  name: string;
}

/** phases.tsv: `<epoch seconds>\t<phase>` lines, in order. */
export function parsePhases(text: string): Phase[] {
  return lines(text).map((l) => {
    const [t, name] = l.split('\t');
    return { t: Number(t), name };
  });
}

export interface TimedEvent {
  t: number;
  e: Record<string, unknown>;
}

/** train-events.tsv: `<epoch seconds>\t<NDJSON event>`; lines that are not JSON objects are skipped. */
export function parseEvents(text: string): TimedEvent[] {
  const out: TimedEvent[] = [];
  for (const l of lines(text)) {
    const tab = l.indexOf('\t');
    try {
      const e = JSON.parse(l.slice(tab + 1));
      if (e && typeof e === 'object' && typeof e.type === 'string') out.push({ t: Number(l.slice(0, tab)), e });
    } catch {
      // a line cut by a kill, or a non-JSON line: not an event
    }
  }
  return out;
}

export interface GpuSample {
  t: number;
  usedMiB: number;
  /** Per-process used memory (nvidia-smi --query-compute-apps), where the machine reports it. */
  apps: { pid: number; usedMiB: number }[];
}

/** gpu-memory.csv: `time,memory_used_mib,utilization_pct,apps_pid_mib` with apps as `pid:MiB;...`. */
export function parseGpu(text: string): GpuSample[] {
  const out: GpuSample[] = [];
  for (const l of lines(text).slice(1)) {
    const [t, used, , apps = ''] = l.split(',');
    if (!Number.isFinite(Number(t)) || used === '' || !Number.isFinite(Number(used))) continue;
    const parsed = apps
      .split(';')
      .filter((a) => a.includes(':'))
      .map((a) => a.split(':').map(Number))
      .filter(([pid, mib]) => Number.isFinite(pid) && Number.isFinite(mib))
      .map(([pid, usedMiB]) => ({ pid, usedMiB }));
    out.push({ t: Number(t), usedMiB: Number(used), apps: parsed });
  }
  return out;
}

/** [start, end) of a phase: from its line to the next phase's (open when it is the last). */
export function phaseWindow(phases: Phase[], name: string): [number, number] | null {
  const i = phases.findIndex((p) => p.name === name);
  if (i < 0) return null;
  return [phases[i].t, i + 1 < phases.length ? phases[i + 1].t : Infinity];
}

export interface MemoryPeak {
  /** Whole-GPU memory.used: its largest sample in the window, and the last sample before the window. */
  peakUsedMiB: number;
  beforeMiB: number | null;
  /** Largest per-process figure in the window (null where the machine lists no compute apps). */
  peakProcessMiB: number | null;
  samples: number;
}

export function memoryPeak(samples: GpuSample[], window: [number, number] | null): MemoryPeak | null {
  if (!window) return null;
  const inside = samples.filter((s) => s.t >= window[0] && s.t < window[1]);
  if (inside.length === 0) return null;
  const before = samples.filter((s) => s.t < window[0]).at(-1);
  const procs = inside.flatMap((s) => s.apps.map((a) => a.usedMiB));
  return {
    peakUsedMiB: Math.max(...inside.map((s) => s.usedMiB)),
    beforeMiB: before ? before.usedMiB : null,
    peakProcessMiB: procs.length > 0 ? Math.max(...procs) : null,
    samples: inside.length,
  };
}

export interface TrainingFigures {
  /** The run's summary.json fields, once its final evaluation has finished. */
  complete: boolean;
  iteration: number;
  iterations: number | null;
  /** From the start of the train phase to the run's first event (the scene's PNGs decoded, the trainer built). */
  loadSeconds: number | null;
  /** Sum of the step times (the trainer's trainSeconds: what "training seconds" means). */
  trainSeconds: number | null;
  /** Wall clock from the first event to the start of the final evaluation (schedule changes, previews and checkpoints included). */
  trainWallSeconds: number | null;
  itsPerSecond: number | null;
  etaSeconds: number | null;
  runningTestPSNR: { iteration: number; psnr: number }[];
  evalViewsDone: number;
  evalViewsTotal: number | null;
  evalWallSeconds: number | null;
  /** Mean PSNR over the views evaluated so far (all of them once complete). */
  testPSNR: number | null;
  testSSIM: number | null;
  error: string | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function trainingFigures(events: TimedEvent[], phaseStart: number | null = null): TrainingFigures {
  const of = (type: string) => events.filter((x) => x.e.type === type);
  const steps = of('step');
  const last = steps.at(-1)?.e;
  const evaluating = of('evaluating')[0];
  const views = of('view');
  const done = of('done')[0];
  const final = of('eval').find((x) => x.e.final === true);
  const error = of('error')[0];
  const start = events[0]?.t ?? null;
  const end = evaluating?.t ?? steps.at(-1)?.t ?? null;
  const viewPsnr = views.map((v) => num(v.e.psnr)).filter((p): p is number => p !== null);
  const summary = done?.e.summary as Record<string, unknown> | undefined;
  return {
    complete: done !== undefined,
    iteration: num(last?.iteration) ?? 0,
    iterations: num(last?.total),
    loadSeconds: phaseStart !== null && start !== null ? start - phaseStart : null,
    trainSeconds: num(summary?.trainSeconds) ?? num(last?.elapsed),
    trainWallSeconds: start !== null && end !== null ? end - start : null,
    itsPerSecond: num(last?.itsPerSecond),
    etaSeconds: evaluating ? 0 : num(last?.etaSeconds),
    runningTestPSNR: of('eval')
      .filter((x) => x.e.final !== true)
      .map((x) => ({ iteration: num(x.e.iteration) ?? 0, psnr: num(x.e.testPSNR) ?? NaN })),
    evalViewsDone: views.length,
    evalViewsTotal: evaluating ? num(evaluating.e.views) : null,
    evalWallSeconds: evaluating && views.length > 0 ? (final?.t ?? views.at(-1)!.t) - evaluating.t : null,
    testPSNR: final ? num(final.e.testPSNR) : viewPsnr.length > 0 ? viewPsnr.reduce((s, p) => s + p, 0) / viewPsnr.length : null,
    testSSIM: final ? num(final.e.testSSIM) : null,
    error: error ? String(error.e.message) : null,
  };
}

/** The row of one bench.json (its first row) cut to what the results show. */
export function benchRow(report: unknown): Record<string, unknown> | null {
  const row = (report as { rows?: Record<string, unknown>[] } | null)?.rows?.[0];
  if (!row) return null;
  const keep = [
    'device',
    'case',
    'fromIteration',
    'iters',
    'grid',
    'medianMs',
    'raysPerSecond',
    'meanDecoded',
    'phaseMs',
    'phaseTiming',
    'tfBytesMB',
    'evalSecondsPerView',
  ];
  return Object.fromEntries(keep.filter((k) => k in row).map((k) => [k, row[k]]));
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}
