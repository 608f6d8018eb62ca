/** Terminal progress: a redrawn bar on a TTY, plain lines otherwise. Writes to stderr. */
export interface ProgressState {
  iteration: number;
  total: number;
  loss: number;
  trainPSNR: number;
  itsPerSecond: number;
  /** Seconds left (the step event's, core/train/progress-meter.ts); without it, what is left at itsPerSecond. */
  etaSeconds?: number;
  testPSNR?: number;
  /** 'eval': the bar counts rendered test views and shows their mean PSNR so far. */
  kind?: 'train' | 'eval';
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '--:--';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function progressLine(p: ProgressState, width = 24): string {
  const frac = Math.min(1, p.iteration / p.total);
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const eta = p.etaSeconds ?? (p.total - p.iteration) / Math.max(p.itsPerSecond, 1e-9);
  const test = p.testPSNR === undefined ? '' : ` test ${p.testPSNR.toFixed(2)} dB`;
  if (p.kind === 'eval') {
    return `[${bar}] view ${p.iteration}/${p.total} mean PSNR ${p.trainPSNR.toFixed(2)} dB ${p.itsPerSecond.toFixed(2)} views/s eta ${formatDuration(eta)}`;
  }
  return `[${bar}] ${p.iteration}/${p.total} loss ${p.loss.toExponential(3)} psnr ${p.trainPSNR.toFixed(2)} ${p.itsPerSecond.toFixed(2)} it/s eta ${formatDuration(eta)}${test}`;
}

export class Progress {
  private lastPlain = 0;
  private drawn = false;
  constructor(
    /** null: silent (the app shows its own progress). */
    private readonly stream: NodeJS.WriteStream | null = process.stderr,
    private readonly plainEvery = 100,
  ) {}

  get tty(): boolean {
    return Boolean(this.stream?.isTTY);
  }

  update(p: ProgressState): void {
    if (!this.stream) return;
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${progressLine(p, 24).slice(0, (this.stream.columns ?? 120) - 1)}`);
      this.drawn = true;
    } else if (p.iteration - this.lastPlain >= this.plainEvery || p.iteration === p.total) {
      this.lastPlain = p.iteration;
      this.stream.write(`${progressLine(p, 20)}\n`);
    }
  }

  /** Prints a message line without breaking the bar. */
  log(line: string): void {
    if (!this.stream) return;
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`${line}\n`);
  }

  end(): void {
    if (this.drawn) this.stream?.write('\n');
    this.drawn = false;
  }
}

/**
 * A count of things done (rendered frames or views): redrawn in place (`\r`) on a terminal; in a
 * piped log, whole lines: every `every` items (a tenth of the total by default) and the last.
 */
export class CountProgress {
  private readonly every: number;
  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly total: number,
    every?: number,
  ) {
    this.every = every ?? Math.max(1, Math.ceil(total / 10));
  }

  update(done: number, text: string): void {
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${text}`);
    else if (done % this.every === 0 || done === this.total) this.stream.write(`${text}\n`);
  }

  /** Ends the redrawn line (a terminal); piped logs have whole lines already. */
  end(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
