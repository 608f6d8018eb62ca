/**
 * Browser mode's server: serves the renderer bundle (and nothing else) over HTTP and bridges the
 * protocol over a WebSocket at /ws. With a token, a WebSocket must present it (`/ws?token=...`);
 * a WebSocket whose Origin is another site is refused either way, and on a loopback bind every
 * request must name the server by a loopback name (127.0.0.1, localhost, [::1], with the port),
 * so that neither a page on the internet nor one that rebinds its own name to 127.0.0.1 (DNS
 * rebinding: its Host and Origin are then both its own) can drive a training on localhost.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Session } from '../session/session';
import { DEFAULT_RATE_LIMIT, isControlText, RateLimiter, type RateLimitOptions } from './rate-limit';

export interface ServerOptions {
  host: string;
  port: number;
  /** The built renderer (out/renderer): the only files served. */
  staticDir: string;
  /** Required on the WebSocket when not null. */
  token: string | null;
  session: Session;
  /** Per-client message limits (default DEFAULT_RATE_LIMIT). */
  rateLimit?: Partial<RateLimitOptions>;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Largest WebSocket message accepted, in bytes (the schema's limit is in characters). */
export const MAX_WS_PAYLOAD = 256 * 1024;
/** Frames are skipped for a client whose socket has more than this many bytes queued. */
const MAX_BUFFERED = 16 * 1024 * 1024;
/** A client with more than this queued reads nothing it is sent: it is closed. */
const MAX_BUFFERED_CLOSE = 64 * 1024 * 1024;
/** WebSocket close code for a client over its message rate (RFC 6455: policy violation). */
export const CLOSE_TOO_MANY = 1008;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * The file under `root` that a URL path names, or null: decoded, `..` and absolute escapes
 * refused, '/' meaning index.html.
 */
export function staticPath(root: string, urlPath: string): string | null {
  let p: string;
  try {
    p = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (p.includes('\0') || p.includes('\\')) return null;
  if (p === '' || p.endsWith('/')) p += 'index.html';
  const abs = resolve(root, `.${p.startsWith('/') ? p : `/${p}`}`);
  const rel = relative(resolve(root), abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) return null;
  return abs;
}

export function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK_BINDS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export function isLoopbackBind(host: string): boolean {
  return LOOPBACK_BINDS.has(host.toLowerCase());
}

/**
 * Whether a request's Host header may reach a server bound to `bind` on `port`. On a loopback
 * bind: only 127.0.0.1, localhost or [::1] with that port (or without one for port 80). On any
 * other bind the machine's names are not known here; the token keeps other pages out.
 */
export function hostAllowed(hostHeader: string | undefined, bind: string, port: number): boolean {
  if (!isLoopbackBind(bind)) return true;
  if (hostHeader === undefined) return false;
  const h = hostHeader.toLowerCase();
  return LOOPBACK_NAMES.some((n) => h === `${n}:${port}` || (port === 80 && h === n));
}

/** A WebSocket's Origin must be absent (non-browser clients) or this server's own host. */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, hostOk: boolean): void {
  if (!hostOk) {
    res.writeHead(403, { 'content-type': 'text/plain' }).end('this server answers only to its own address\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const file = staticPath(root, req.url ?? '/');
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}

function refuse(socket: Duplex, status: string): void {
  socket.write(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  socket.destroy();
}

export function startServer(o: ServerOptions): Promise<RunningServer> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD });
  let port = o.port;
  const server = createServer((req, res) => serveStatic(o.staticDir, req, res, hostAllowed(req.headers.host, o.host, port)));
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!hostAllowed(req.headers.host, o.host, port)) return refuse(socket, '403 Forbidden');
    if (url.pathname !== '/ws') return refuse(socket, '404 Not Found');
    if (o.token !== null && !tokenMatches(o.token, url.searchParams.get('token'))) return refuse(socket, '401 Unauthorized');
    if (!originAllowed(req.headers.origin, req.headers.host)) return refuse(socket, '403 Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, o.session, { ...DEFAULT_RATE_LIMIT, ...o.rateLimit }));
  });
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      port = (server.address() as AddressInfo).port;
      const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
      resolveStart({
        port,
        url: `http://${shownHost}:${port}/${o.token ? `?token=${encodeURIComponent(o.token)}` : ''}`,
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * One client: its messages go to the session within its rate limit (over it they are dropped,
 * the client told once a second; over it for closeAfterSeconds it is closed), and what the
 * session sends goes out unless the client does not read it (frames are skipped beyond
 * MAX_BUFFERED, and beyond MAX_BUFFERED_CLOSE the client is closed).
 */
function attach(ws: WebSocket, session: Session, limits: RateLimitOptions): void {
  const limiter = new RateLimiter(limits);
  let done = false;
  // model snapshots are latest-value: one on its way at a time, and only the newest waits
  let modelSending = false;
  let modelWaiting: Uint8Array | null = null;
  const sendModel = (bytes: Uint8Array) => {
    if (modelSending) {
      modelWaiting = bytes;
      return;
    }
    modelSending = true;
    ws.send(bytes, { binary: true }, () => {
      modelSending = false;
      const next = modelWaiting;
      modelWaiting = null;
      if (next && !done && ws.readyState === ws.OPEN) sendModel(next);
    });
  };
  const conn = session.connect((m) => {
    if (done || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_CLOSE) return shut(null);
    if (m.type === 'model') return sendModel(m.snapshot); // a binary frame
    if (m.type === 'frame' && ws.bufferedAmount > MAX_BUFFERED) return; // a slow client skips frames
    ws.send(JSON.stringify(m));
  });
  /** Leaves the session and closes the socket (with a close frame when `reason` is given, else at once). */
  const shut = (reason: string | null) => {
    if (done) return;
    done = true;
    conn.close();
    if (reason === null) return void ws.terminate();
    ws.pause(); // read no more of the flood
    ws.close(CLOSE_TOO_MANY, reason);
    setTimeout(() => ws.terminate(), 1000).unref();
  };
  ws.on('message', (data, isBinary) => {
    if (done) return;
    const buf = data as Buffer;
    const control = !isBinary && buf.length <= 64 && isControlText(buf.toString());
    const verdict = limiter.take(control);
    if (verdict === 'close') return shut(`too many messages (over ${limits.perSecond} a second for ${limits.closeAfterSeconds} s)`);
    if (verdict === 'drop') {
      if (limiter.firstDropThisSecond && ws.bufferedAmount < MAX_BUFFERED) {
        ws.send(
          JSON.stringify({
            type: 'error',
            message: `too many messages: at most ${limits.perSecond} a second are taken; the rest are dropped (a client that keeps on is disconnected)`,
          }),
        );
      }
      return;
    }
    if (isBinary) conn.receive(null);
    else conn.receive(buf.toString());
  });
  ws.on('close', () => shut(null));
  ws.on('error', () => shut(null));
}
