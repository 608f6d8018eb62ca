/**
 * The compare view's render requests on the wire (DOM-free; timers are the global
 * setTimeout/clearTimeout). Each entry's viewport has its own FrameScheduler, whose ids start at 1;
 * the requests go out under this object's ids (one counter for all entries) and a reply is
 * matched back to its entry and request by that id. So a late reply to a viewport that is gone
 * (a new comparison reuses its label) is recognised and dropped instead of reaching the new
 * viewport, whose scheduler would take its id for the newest frame and drop every real one.
 *
 * `hold` keeps requests back (only the newest per entry) until `release` or a timeout: while a
 * new comparison is being started, the old one's viewports must not ask for entries that the new
 * one may name too but cannot render yet.
 */

/** Sent requests remembered for their replies (late ones included); older ones are forgotten. */
export const MAX_ROUTES = 64;

type Timer = ReturnType<typeof setTimeout>;

export class ModelRequests<R> {
  private readonly routes = new Map<number, { key: string; request: R }>();
  private readonly held = new Map<string, R>();
  private holdTimer: Timer | null = null;
  private nextId = 1;

  constructor(private readonly send: (key: string, request: R, id: number) => void) {}

  /** Sends `key`'s request now (while held: keeps it, replacing an older one of the same key). */
  submit(key: string, request: R): void {
    if (this.holdTimer) this.held.set(key, request);
    else this.dispatch(key, request);
  }

  /**
   * The reply with this object's id `id`, for `key`, arrived: the request it answers, or null
   * when the id is unknown, forgotten, dropped or another key's.
   */
  reply(id: number, key: string): R | null {
    const route = this.routes.get(id);
    if (!route || route.key !== key) return null;
    this.routes.delete(id);
    return route.request;
  }

  /** Forgets `key` (its viewport is gone): its held request and the replies to what it sent. */
  drop(key: string): void {
    this.held.delete(key);
    for (const [id, r] of this.routes) if (r.key === key) this.routes.delete(id);
  }

  /** Drops the held requests and sends none until `release()`, or for at most `ms`. */
  hold(ms: number): void {
    this.held.clear();
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => this.release(), ms);
  }

  /** Ends a hold: sends the newest held request of each key. */
  release(): void {
    if (!this.holdTimer) return;
    clearTimeout(this.holdTimer);
    this.holdTimer = null;
    const held = [...this.held];
    this.held.clear();
    for (const [key, request] of held) this.dispatch(key, request);
  }

  get holding(): boolean {
    return this.holdTimer !== null;
  }

  dispose(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.held.clear();
    this.routes.clear();
  }

  private dispatch(key: string, request: R): void {
    const id = this.nextId++;
    this.routes.set(id, { key, request });
    if (this.routes.size > MAX_ROUTES) this.routes.delete(this.routes.keys().next().value!);
    this.send(key, request, id);
  }
}
