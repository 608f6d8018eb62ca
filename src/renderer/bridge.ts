/**
 * The TensorfApi the UI talks to: the Electron preload's `window.tensorf` when present, else one
 * built over a WebSocket to `npm run serve` (path /ws). Incoming messages are validated either
 * way; invalid ones are dropped with a warning.
 */
import { makeApi, type TensorfApi } from '../protocol/api';
import type { ClientMessage, ServerMessage } from '../protocol/messages';
import { parseServerMessage } from '../protocol/schema';

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge); absent in a plain browser. */
    tensorf?: TensorfApi;
  }
}

/** The error message the bridge emits while the socket is down (request 'connection'). */
export const DISCONNECTED = 'disconnected — reconnecting';
export const CONNECTION_REQUEST = 'connection';

/** Reconnect delays: doubling from 250 ms up to 5 s. */
export function backoffMs(attempt: number): number {
  return Math.min(5000, 250 * 2 ** Math.max(0, attempt));
}

/** The WebSocket URL of the page's server, passing on a `token` query parameter. */
export function socketUrl(loc: { protocol: string; host: string; search: string }): string {
  const token = new URLSearchParams(loc.search).get('token');
  const base = `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
  return token === null ? base : `${base}?token=${encodeURIComponent(token)}`;
}

/** Validates one raw message (JSON text or a parsed value); null (with a warning) when invalid. */
export function validate(raw: unknown, warn: (...a: unknown[]) => void = console.warn): ServerMessage | null {
  try {
    // Parse JSON here: parseServerMessage caps *strings* at the client-message size, and frames are larger.
    return parseServerMessage(typeof raw === 'string' ? JSON.parse(raw) : raw);
  } catch (e) {
    warn('tensorf: dropped an invalid server message:', (e as Error).message);
    return null;
  }
}

/** The part of the WebSocket interface the bridge uses (so tests can pass a fake). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  binaryType?: string;
  send(data: string): void;
  close(): void;
}

export interface SocketApiOptions {
  createSocket?: (url: string) => SocketLike;
  warn?: (...a: unknown[]) => void;
  /** Most messages kept while the socket is not open (oldest dropped). */
  maxQueue?: number;
}

const OPEN = 1;

/** A TensorfApi over a reconnecting WebSocket. `close()` stops it for good. */
export function createSocketApi(url: string, opts: SocketApiOptions = {}): TensorfApi & { close(): void } {
  const createSocket = opts.createSocket ?? ((u: string) => new WebSocket(u) as unknown as SocketLike);
  /** A binary frame is a model snapshot; text frames are JSON messages. */
  const decode = (data: unknown) => (data instanceof ArrayBuffer ? { type: 'model', snapshot: new Uint8Array(data) } : data);
  const warn = opts.warn ?? ((...a: unknown[]) => console.warn(...a));
  const maxQueue = opts.maxQueue ?? 256;
  const listeners = new Set<(m: ServerMessage) => void>();
  const queue: string[] = [];
  let socket: SocketLike | null = null;
  let attempt = 0;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let announced = false;

  const emit = (m: ServerMessage) => {
    for (const l of [...listeners]) l(m);
  };

  const connect = () => {
    timer = null;
    if (closed) return;
    const ws = createSocket(url);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      announced = false;
      while (queue.length > 0 && ws.readyState === OPEN) ws.send(queue.shift()!);
    };
    ws.onmessage = (ev) => {
      const m = validate(decode(ev.data), warn);
      if (m) emit(m);
    };
    ws.onerror = () => {}; // a close follows
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (closed) return;
      if (!announced) {
        announced = true;
        emit({ type: 'error', message: DISCONNECTED, request: CONNECTION_REQUEST });
      }
      timer = setTimeout(connect, backoffMs(attempt++));
    };
  };

  const send = (m: ClientMessage) => {
    const text = JSON.stringify(m);
    if (socket && socket.readyState === OPEN) {
      socket.send(text);
      return;
    }
    queue.push(text);
    if (queue.length > maxQueue) queue.splice(0, queue.length - maxQueue);
  };

  connect();
  const api = makeApi(send, (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  });
  return {
    ...api,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      socket?.close();
      socket = null;
    },
  };
}

/** Wraps an API (the preload's) so that its listeners only see valid messages. */
export function validated(api: TensorfApi, warn?: (...a: unknown[]) => void): TensorfApi {
  // Method by method: an object exposed through contextBridge need not spread like a plain one.
  return {
    start: (config) => api.start(config),
    pause: () => api.pause(),
    resume: () => api.resume(),
    stop: () => api.stop(),
    evaluate: () => api.evaluate(),
    render: (id, camera, output, quality, model) => api.render(id, camera, output, quality, model),
    compare: (decoders, config) => api.compare(decoders, config),
    snapTestView: (id, view) => api.snapTestView(id, view),
    openScene: (path) => api.openScene(path),
    openRun: (path) => api.openRun(path),
    watchModel: (on) => api.watchModel(on),
    resumeRun: (path) => api.resumeRun(path),
    saveCheckpoint: () => api.saveCheckpoint(),
    record: (id, camera, frames, fps) => api.record(id, camera, frames, fps),
    onMessage: (listener) =>
      api.onMessage((raw) => {
        const m = validate(raw, warn);
        if (m) listener(m);
      }),
  };
}

/** Electron's `window.tensorf` if defined, else the WebSocket bridge to the page's server. */
export function getApi(): TensorfApi {
  if (typeof window !== 'undefined' && window.tensorf) return validated(window.tensorf);
  return createSocketApi(socketUrl(location));
}
