/**
 * Per-client message rate limit of the app's server: token buckets, one for every message and a
 * small one of its own for pause, resume and stop (so that a client over its limit can still
 * stop its training). Messages over the limit are dropped; a client that is over it in
 * `closeAfterSeconds` consecutive seconds is to be closed.
 */

export interface RateLimitOptions {
  /** Messages a second, sustained. */
  perSecond: number;
  /** Messages accepted at once after a quiet spell. */
  burst: number;
  /** The same for pause, resume and stop, counted apart. */
  controlPerSecond: number;
  controlBurst: number;
  /** Close a client that was over its limit in this many consecutive seconds. */
  closeAfterSeconds: number;
}

/** The page sends a few messages a second (one render in flight per viewport); this is far above. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = {
  perSecond: 100,
  burst: 200,
  controlPerSecond: 10,
  controlBurst: 20,
  closeAfterSeconds: 10,
};

export type Verdict = 'accept' | 'drop' | 'close';

class Bucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly rate: number,
    private readonly size: number,
    now: number,
  ) {
    this.tokens = size;
    this.at = now;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.size, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class RateLimiter {
  private readonly all: Bucket;
  private readonly control: Bucket;
  /** The second (Math.floor(ms / 1000)) of the last drop, and how many consecutive seconds had drops. */
  private dropSecond = -Infinity;
  private overSeconds = 0;
  private dropsThisSecond = 0;

  constructor(
    readonly options: RateLimitOptions = DEFAULT_RATE_LIMIT,
    private readonly now: () => number = () => Date.now(),
  ) {
    const t = now();
    this.all = new Bucket(options.perSecond, options.burst, t);
    this.control = new Bucket(options.controlPerSecond, options.controlBurst, t);
  }

  /** One message arrived; `control` when it is a pause, resume or stop. */
  take(control: boolean): Verdict {
    const t = this.now();
    if (control ? this.control.take(t) || this.all.take(t) : this.all.take(t)) return 'accept';
    const second = Math.floor(t / 1000);
    if (second !== this.dropSecond) {
      this.overSeconds = second === this.dropSecond + 1 ? this.overSeconds + 1 : 1;
      this.dropSecond = second;
      this.dropsThisSecond = 0;
    }
    this.dropsThisSecond++;
    return this.overSeconds >= this.options.closeAfterSeconds ? 'close' : 'drop';
  }

  /** Whether the last drop was the first of its second (the client is told once a second). */
  get firstDropThisSecond(): boolean {
    return this.dropsThisSecond === 1;
  }
}

/** `{"type":"pause"}` and the like, as the page sends them (whitespace allowed, nothing else). */
export function isControlText(text: string): boolean {
  return text.length <= 64 && /^\s*\{\s*"type"\s*:\s*"(?:pause|resume|stop)"\s*\}\s*$/.test(text);
}
