/**
 * Browser mode's server with a fake training process: only the bundle's files are served (no
 * traversal), the WebSocket needs the token when one is set and refuses other sites' pages,
 * malformed messages get error replies and a flood of them leaves the server answering.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ClientMessage, ServerMessage } from '../../src/protocol/messages';
import {
  CLOSE_TOO_MANY,
  hostAllowed,
  originAllowed,
  type RunningServer,
  startServer,
  staticPath,
  tokenMatches,
} from '../../src/server/http-server';
import { Session, type SpawnTrainer } from '../../src/session/session';

const root = mkdtempSync(join(tmpdir(), 'tensorf-static-'));
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(join(root, '..', 'tensorf-secret.txt'), 'secret');
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(join(root, '..', 'tensorf-secret.txt'), { force: true });
});

describe('staticPath', () => {
  it.each([
    ['/', 'index.html'],
    ['/index.html', 'index.html'],
    ['/assets/app.js?v=3', 'assets/app.js'],
    ['/assets/', 'assets/index.html'],
    ['/assets/%61pp.js', 'assets/app.js'],
  ])('%s -> %s', (url, rel) => expect(staticPath(root, url)).toBe(join(root, rel)));

  it.each(['/../tensorf-secret.txt', '/..%2ftensorf-secret.txt', '/assets/../../x', '/%2e%2e/x', '/a%00b', '/..\\x', '/%E0%A4%A'])(
    'refuses %s',
    (url) => {
      expect(staticPath(root, url)).toBeNull();
    },
  );
});

describe('token and origin checks', () => {
  it('compares tokens exactly', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abd')).toBe(false);
    expect(tokenMatches('abc', 'ab')).toBe(false);
    expect(tokenMatches('abc', null)).toBe(false);
  });
  it('accepts no origin or the same host only', () => {
    expect(originAllowed(undefined, '127.0.0.1:8765')).toBe(true);
    expect(originAllowed('http://127.0.0.1:8765', '127.0.0.1:8765')).toBe(true);
    expect(originAllowed('https://evil.example', '127.0.0.1:8765')).toBe(false);
    expect(originAllowed('null', '127.0.0.1:8765')).toBe(false);
  });
});

describe('Host check (DNS rebinding)', () => {
  it('on a loopback bind accepts only the loopback names with the port', () => {
    for (const bind of ['127.0.0.1', 'localhost', '::1']) {
      for (const h of ['127.0.0.1:8765', 'localhost:8765', '[::1]:8765', 'LocalHost:8765'])
        expect(hostAllowed(h, bind, 8765), `${bind} ${h}`).toBe(true);
      for (const h of [
        'evil.example:8765',
        'evil.example',
        '127.0.0.1:8766',
        '127.0.0.1',
        'localhost.evil.example:8765',
        '127.0.0.1:8765@evil',
        '',
        undefined,
      ]) {
        expect(hostAllowed(h, bind, 8765), `${bind} ${h}`).toBe(false);
      }
    }
    expect(hostAllowed('localhost', '127.0.0.1', 80)).toBe(true); // browsers leave out port 80
  });
  it('on other binds leaves it to the token', () => {
    expect(hostAllowed('gpu-box.lan:8765', '0.0.0.0', 8765)).toBe(true);
    expect(hostAllowed('10.0.0.5:8765', '10.0.0.5', 8765)).toBe(true);
  });
});

class FakeProcess {
  received: ClientMessage[] = [];
  private onMessage: ((m: unknown) => void) | null = null;
  spawn: SpawnTrainer = (h) => {
    this.onMessage = h.onMessage;
    setTimeout(() => h.onMessage({ type: 'state', state: 'idle', detail: 'ready' }), 5);
    return { send: (m) => this.received.push(m), kill: () => h.onExit('exit code 0') };
  };
  emit(m: ServerMessage) {
    this.onMessage?.(m);
  }
}

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connect(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; got: ServerMessage[] } | { refused: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    const got: ServerMessage[] = [];
    ws.on('message', (d) => got.push(JSON.parse(d.toString())));
    ws.on('open', () => resolve({ ws, got }));
    ws.on('unexpected-response', (_req, res) => resolve({ refused: res.statusCode ?? 0 }));
    ws.on('error', () => resolve({ refused: -1 }));
  });
}

const until = async (cond: () => boolean, ms = 5000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('server', () => {
  it('serves the bundle and nothing outside it', async () => {
    server = await startServer({ host: '127.0.0.1', port: 0, staticDir: root, token: null, session: new Session(new FakeProcess().spawn) });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect((await get(server.port, '/')).body).toContain('<title>app</title>');
    expect((await get(server.port, '/assets/app.js')).status).toBe(200);
    expect((await get(server.port, '/../tensorf-secret.txt')).status).toBe(404);
    expect((await get(server.port, '/%2e%2e/tensorf-secret.txt')).status).toBe(404);
    expect((await get(server.port, '/nope.js')).status).toBe(404);
  });

  it('requires the token on the WebSocket when one is set, and refuses foreign origins', async () => {
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      staticDir: root,
      token: 'sesame',
      session: new Session(new FakeProcess().spawn),
    });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=sesame`);
    const base = `ws://127.0.0.1:${server.port}/ws`;
    expect(await connect(base)).toEqual({ refused: 401 });
    expect(await connect(`${base}?token=wrong`)).toEqual({ refused: 401 });
    expect(await connect(`${base}?token=sesame`, { origin: 'https://evil.example' })).toEqual({ refused: 403 });
    expect(await connect(`ws://127.0.0.1:${server.port}/other?token=sesame`)).toEqual({ refused: 404 });
    const ok = await connect(`${base}?token=sesame`, { origin: `http://127.0.0.1:${server.port}` });
    expect('ws' in ok).toBe(true);
    if ('ws' in ok) {
      await until(() => ok.got.length > 0);
      expect(ok.got[0].type).toBe('hello');
      ok.ws.close();
    }
  });

  it('refuses a DNS-rebinding page: a foreign Host on a loopback bind, with or without a token', async () => {
    for (const token of [null, 'sesame']) {
      server = await startServer({ host: '127.0.0.1', port: 0, staticDir: root, token, session: new Session(new FakeProcess().spawn) });
      const q = token ? `?token=${token}` : '';
      // a page of evil.example whose name now resolves to 127.0.0.1: Host and Origin are both its own
      const evil = { host: `evil.example:${server.port}`, origin: `http://evil.example:${server.port}` };
      expect(await connect(`ws://127.0.0.1:${server.port}/ws${q}`, evil)).toEqual({ refused: 403 });
      expect((await get(server.port, '/', { host: evil.host })).status).toBe(403);
      // the same request under the server's own names goes through
      for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`]) {
        const ok = await connect(`ws://127.0.0.1:${server.port}/ws${q}`, { host, origin: `http://${host}` });
        expect('ws' in ok, host).toBe(true);
        if ('ws' in ok) ok.ws.close();
        expect((await get(server.port, '/', { host })).status).toBe(200);
      }
      await server.close();
      server = null;
    }
  });

  it('answers malformed messages, survives a flood, and still forwards good ones', async () => {
    const p = new FakeProcess();
    server = await startServer({ host: '127.0.0.1', port: 0, staticDir: root, token: null, session: new Session(p.spawn) });
    const c = await connect(`ws://127.0.0.1:${server.port}/ws`);
    if (!('ws' in c)) throw new Error('refused');
    c.ws.send('not json');
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await until(() => c.got.filter((m) => m.type === 'error').length >= 2);
    expect(c.got.filter((m) => m.type === 'error').map((m) => (m as { message: string }).message)).toEqual([
      'message: not valid JSON',
      'message: expected a JSON object with a "type", got null',
    ]);
    for (let i = 0; i < 3000; i++) c.ws.send(i % 2 ? '{"type":"start","config":{"iterations":"x"}}' : '[]');
    await until(() => c.got.some((m) => m.type === 'error' && /^too many messages: at most 100 a second/.test(m.message)));
    await new Promise((r) => setTimeout(r, 100)); // the rate limit lets messages in again
    c.ws.send(JSON.stringify({ type: 'evaluate' }));
    await until(() => p.received.some((m) => m.type === 'evaluate'));
    // a message over the size limit closes that socket only (ws's maxPayload); the server goes on
    c.ws.send('x'.repeat(300 * 1024));
    await until(() => c.ws.readyState === c.ws.CLOSED);
    expect((await get(server.port, '/')).status).toBe(200);
    const again = await connect(`ws://127.0.0.1:${server.port}/ws`);
    expect('ws' in again).toBe(true);
    if ('ws' in again) again.ws.close();
  });

  it('a flood of valid messages: the pause after it reaches the training process within a second', async () => {
    const p = new FakeProcess();
    server = await startServer({ host: '127.0.0.1', port: 0, staticDir: root, token: null, session: new Session(p.spawn) });
    const c = await connect(`ws://127.0.0.1:${server.port}/ws`);
    if (!('ws' in c)) throw new Error('refused');
    c.ws.send(JSON.stringify({ type: 'start', config: { preset: 'smoke' } }));
    await until(() => p.received.length === 1);
    const open = JSON.stringify({ type: 'openScene', path: 'datasets/nerf_synthetic/lego' });
    for (let i = 0; i < 100_000; i++) c.ws.send(open);
    const t0 = Date.now();
    c.ws.send('{"type":"pause"}');
    await until(() => p.received.some((m) => m.type === 'pause'), 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
    // of the flood, the rate limit let a burst in and the outbox sent one (no reply came)
    expect(p.received.filter((m) => m.type === 'openScene')).toHaveLength(1);
    expect(c.got.some((m) => m.type === 'error' && /too many messages/.test(m.message))).toBe(true);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    c.ws.close();
  });

  it('closes a client that keeps over its rate, and goes on serving the others', async () => {
    const p = new FakeProcess();
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      staticDir: root,
      token: null,
      session: new Session(p.spawn),
      rateLimit: { perSecond: 50, burst: 50, closeAfterSeconds: 2 },
    });
    const c = await connect(`ws://127.0.0.1:${server.port}/ws`);
    if (!('ws' in c)) throw new Error('refused');
    let code = 0;
    c.ws.on('close', (k) => (code = k));
    c.ws.on('error', () => {});
    const t0 = Date.now();
    while (c.ws.readyState === c.ws.OPEN && Date.now() - t0 < 6000) {
      for (let i = 0; i < 200; i++) c.ws.send('{"type":"evaluate"}');
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => code !== 0);
    expect(code).toBe(CLOSE_TOO_MANY);
    expect(Date.now() - t0).toBeGreaterThan(1000);
    // a client within its rate is served
    const d = await connect(`ws://127.0.0.1:${server.port}/ws`);
    expect('ws' in d).toBe(true);
    if ('ws' in d) {
      await until(() => d.got.some((m) => m.type === 'hello'));
      d.ws.close();
    }
  }, 15_000);
});
