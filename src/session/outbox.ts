/**
 * What the session sends to the training process, and when. Every queue here is bounded:
 *
 * - Commands (start, compare, pause, resume, stop) go out at once; only while the process starts
 *   do they wait, in order, at most MAX_WAITING_COMMANDS of them.
 * - Latest-value requests (render, snapTestView, evaluate, openScene, openRun) wait in slots: one
 *   render per client and model, one test view per client, one evaluation, one scene and one run
 *   to open. A newer request replaces the one waiting in its slot. Of each kind one request at a
 *   time is in the process: the next goes when the reply to the last arrives (or after
 *   REPLY_TIMEOUT_MS without one), and scenes and runs at most every OPEN_INTERVAL_MS.
 *
 * So however fast a client sends, the process holds at most a few requests, and a pause, resume
 * or stop never waits behind them.
 */
import type { ClientMessage, ServerMessage } from '../protocol/messages';

export type Lane = 'render' | 'snapTestView' | 'evaluate' | 'openScene' | 'openRun';
const LANES: readonly Lane[] = ['openRun', 'openScene', 'snapTestView', 'evaluate', 'render'];

export const MAX_WAITING_COMMANDS = 64;
/** A request unanswered this long is taken as lost (its slot's next request goes). */
export const REPLY_TIMEOUT_MS = 30_000;
export const OPEN_INTERVAL_MS = 200;

export interface OutboxOptions {
  maxWaitingCommands?: number;
  replyTimeoutMs?: number;
  /** Least milliseconds between two requests of a kind (default: OPEN_INTERVAL_MS for openScene and openRun). */
  minIntervalMs?: Partial<Record<Lane, number>>;
  now?: () => number;
  /** Told of each request dropped unsent (replaced by a newer one, its client gone, the process ended). */
  dropped?: (m: ClientMessage) => void;
}

export function laneOf(m: ClientMessage): Lane | null {
  switch (m.type) {
    case 'render':
    case 'snapTestView':
    case 'evaluate':
    case 'openScene':
    case 'openRun':
      return m.type;
    default:
      return null;
  }
}

/** The lane a message from the process answers, if any. */
function answers(m: ServerMessage): Lane | null {
  switch (m.type) {
    case 'frame':
      return 'render';
    case 'testView':
      return 'snapTestView';
    case 'scene':
      return 'openScene';
    case 'history':
      return 'openRun';
    case 'event':
      return m.event.type === 'eval' && !m.event.final ? 'evaluate' : null;
    case 'error':
      return m.request !== undefined && (LANES as readonly string[]).includes(m.request) ? (m.request as Lane) : null;
    default:
      return null;
  }
}

interface Waiting {
  lane: Lane;
  owner: object;
  m: ClientMessage;
}

export class ChildOutbox {
  private open = false;
  private commands: ClientMessage[] = [];
  /** Slot key -> the request waiting in it; Map order is the order slots were (re)filled. */
  private readonly waiting = new Map<string, Waiting>();
  /** Lane -> when its request in the process was sent. */
  private readonly inFlight = new Map<Lane, number>();
  private readonly lastSent = new Map<Lane, number>();
  private readonly ownerIds = new WeakMap<object, number>();
  private nextOwner = 1;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly maxCommands: number;
  private readonly replyTimeoutMs: number;
  private readonly minInterval: Record<Lane, number>;
  private readonly now: () => number;
  private readonly dropped: (m: ClientMessage) => void;

  constructor(
    private readonly send: (m: ClientMessage) => void,
    o: OutboxOptions = {},
  ) {
    this.maxCommands = o.maxWaitingCommands ?? MAX_WAITING_COMMANDS;
    this.replyTimeoutMs = o.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
    this.minInterval = {
      render: 0,
      snapTestView: 0,
      evaluate: 0,
      openScene: OPEN_INTERVAL_MS,
      openRun: OPEN_INTERVAL_MS,
      ...o.minIntervalMs,
    };
    this.now = o.now ?? (() => Date.now());
    this.dropped = o.dropped ?? (() => {});
  }

  /** Sends or queues `m` from `owner` (a client); false when refused (too many commands waiting for the process). */
  push(m: ClientMessage, owner: object): boolean {
    const lane = laneOf(m);
    if (lane === null) {
      if (this.open) this.send(m);
      else if (this.commands.length >= this.maxCommands) return false;
      else this.commands.push(m);
      return true;
    }
    const key = this.slotKey(lane, m, owner);
    const replaced = this.waiting.get(key);
    if (replaced) this.dropped(replaced.m);
    this.waiting.delete(key); // refilled: to the back, so that other clients' slots go first
    this.waiting.set(key, { lane, owner, m });
    this.pump();
    return true;
  }

  /** Every message from the process: a reply frees its kind for the next request. */
  replied(m: ServerMessage): void {
    const lane = answers(m);
    if (lane === null || !this.inFlight.has(lane)) return;
    this.inFlight.delete(lane);
    this.pump();
  }

  /** The process is up: the commands that waited go (in order), then the waiting requests. */
  opened(): void {
    this.open = true;
    for (const m of this.commands.splice(0)) this.send(m);
    this.pump();
  }

  /** The process ended: nothing waits for it any more. */
  reset(): void {
    this.open = false;
    this.commands = [];
    for (const w of this.waiting.values()) this.dropped(w.m);
    this.waiting.clear();
    this.inFlight.clear();
    this.lastSent.clear();
    this.clearTimer();
  }

  /** A client left: its waiting requests are dropped (nobody would see their replies). */
  dropOwner(owner: object): void {
    for (const [k, w] of this.waiting) {
      if (w.owner !== owner) continue;
      this.waiting.delete(k);
      this.dropped(w.m);
    }
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** How many requests wait in slots and commands wait for the process (for tests). */
  get size(): { commands: number; waiting: number; inFlight: number } {
    return { commands: this.commands.length, waiting: this.waiting.size, inFlight: this.inFlight.size };
  }

  private slotKey(lane: Lane, m: ClientMessage, owner: object): string {
    let id = this.ownerIds.get(owner);
    if (id === undefined) {
      id = this.nextOwner++;
      this.ownerIds.set(owner, id);
    }
    if (m.type === 'render') return `render\u0000${id}\u0000${m.model ?? ''}`;
    if (lane === 'snapTestView') return `snapTestView\u0000${id}`;
    return lane; // one evaluation, one scene, one run, whoever asked last
  }

  private pump(): void {
    if (!this.open) return;
    this.clearTimer();
    const now = this.now();
    let wake = Infinity;
    for (const lane of LANES) {
      let first: [string, Waiting] | null = null;
      for (const e of this.waiting) {
        if (e[1].lane === lane) {
          first = e;
          break;
        }
      }
      if (!first) continue;
      const sentAt = this.inFlight.get(lane);
      const freeAt = Math.max(
        sentAt === undefined ? -Infinity : sentAt + this.replyTimeoutMs,
        (this.lastSent.get(lane) ?? -Infinity) + this.minInterval[lane],
      );
      if (now < freeAt) {
        wake = Math.min(wake, freeAt);
        continue;
      }
      this.waiting.delete(first[0]);
      this.inFlight.set(lane, now);
      this.lastSent.set(lane, now);
      this.send(first[1].m);
    }
    if (wake < Infinity) {
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.pump();
        },
        Math.max(1, wake - now),
      );
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
