/**
 * The parent-side Session with a fake training process: validation before forwarding, holding
 * messages until the process is up, routing render replies to the client that asked (with its own
 * id), latest-value per client, bringing late clients up to date, crash reports and respawn.
 */
import { describe, expect, it } from 'vitest';
import type { ClientMessage, ServerMessage } from '../../src/protocol/messages';
import { MAX_ERRORS_PER_SECOND, Session, type SpawnTrainer } from '../../src/session/session';

const pose = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 4, 0, 0, 0, 1];
const camera = { pose, fovY: 0.7, width: 8, height: 8 };
const image = { width: 1, height: 1, rgba: 'AAAA/w==' };

class FakeProcess {
  spawned = 0;
  received: ClientMessage[] = [];
  killed = 0;
  private handlers: Parameters<SpawnTrainer>[0] | null = null;
  spawn: SpawnTrainer = (h) => {
    this.spawned++;
    this.handlers = h;
    return { send: (m) => this.received.push(m), kill: () => this.killed++ };
  };
  emit(m: ServerMessage) {
    this.handlers!.onMessage(m);
  }
  exit(why: string) {
    this.handlers!.onExit(why);
  }
}

function client(s: Session) {
  const got: ServerMessage[] = [];
  const conn = s.connect((m) => got.push(m));
  return {
    got,
    conn,
    of: <T extends ServerMessage['type']>(t: T) => got.filter((m) => m.type === t) as Extract<ServerMessage, { type: T }>[],
  };
}

describe('Session', () => {
  it('greets a client with hello and the state', () => {
    const s = new Session(new FakeProcess().spawn);
    const c = client(s);
    expect(c.got[0]).toMatchObject({
      type: 'hello',
      version: 1,
      state: 'idle',
      backends: ['auto', 'tensorflow', 'webgpu', 'cpu'],
      presets: ['thesis', 'paper', 'quick', 'smoke'],
      decoders: ['mlp', 'siren', 'splitnet'],
    });
    expect(c.got.at(-1)).toMatchObject({ type: 'state', state: 'idle' });
  });

  it('answers invalid messages with an error and forwards nothing', () => {
    const p = new FakeProcess();
    const s = new Session(p.spawn);
    const c = client(s);
    c.conn.receive('{oops');
    c.conn.receive({ type: 'start', config: { iterations: -3 } });
    expect(c.of('error').map((m) => m.message)).toEqual(['message: not valid JSON', 'start.config.iterations: expected >= 1, got -3']);
    expect(p.spawned).toBe(0);
  });

  it('holds messages until the process says it is up, then sends them in order', () => {
    const p = new FakeProcess();
    const s = new Session(p.spawn);
    const c = client(s);
    c.conn.receive({ type: 'start', config: { preset: 'smoke' } });
    c.conn.receive({ type: 'pause' });
    expect(p.spawned).toBe(1);
    expect(p.received).toEqual([]);
    p.emit({ type: 'state', state: 'idle', detail: 'trainer process ready' });
    expect(p.received.map((m) => m.type)).toEqual(['start', 'pause']);
  });

  it('routes a frame only to the client that asked, under its own id', () => {
    const p = new FakeProcess();
    const s = new Session(p.spawn);
    const a = client(s);
    const b = client(s);
    a.conn.receive({ type: 'render', id: 5, camera, output: 'rgb', quality: 'coarse' });
    b.conn.receive({ type: 'render', id: 5, camera, output: 'acc', quality: 'sharp' });
    p.emit({ type: 'state', state: 'training', detail: '' });
    // one render at a time in the process: b's goes when a's is answered
    const [ra] = p.received as Extract<ClientMessage, { type: 'render' }>[];
    expect(p.received).toHaveLength(1);
    p.emit({ type: 'frame', id: ra.id, output: 'rgb', quality: 'coarse', iteration: 3, seconds: 0.1, image });
    const rb = p.received[1] as Extract<ClientMessage, { type: 'render' }>;
    expect(rb).toMatchObject({ type: 'render', output: 'acc' });
    expect(ra.id).not.toBe(rb.id);
    p.emit({ type: 'frame', id: rb.id, output: 'acc', quality: 'sharp', iteration: 3, seconds: 0.1, image });
    expect(b.of('frame')).toEqual([{ type: 'frame', id: 5, output: 'acc', quality: 'sharp', iteration: 3, seconds: 0.1, image }]);
    expect(a.of('frame')).toEqual([{ type: 'frame', id: 5, output: 'rgb', quality: 'coarse', iteration: 3, seconds: 0.1, image }]);
    // a reply is delivered once
    p.emit({ type: 'frame', id: rb.id, output: 'acc', quality: 'sharp', iteration: 3, seconds: 0.1, image });
    expect(b.of('frame')).toHaveLength(1);
  });

  it('sends only the newest waiting render of a client, and a reply that comes late is still delivered', () => {
    let t = 0;
    const p = new FakeProcess();
    const s = new Session(p.spawn, undefined, { now: () => t, replyTimeoutMs: 1000 });
    const a = client(s);
    a.conn.receive({ type: 'render', id: 1, camera, output: 'rgb', quality: 'coarse' });
    p.emit({ type: 'state', state: 'training', detail: '' });
    for (let i = 2; i <= 30; i++) a.conn.receive({ type: 'render', id: i, camera, output: 'rgb', quality: 'coarse' });
    expect(p.received).toHaveLength(1); // 2..29 were replaced while 1 was in the process
    const first = p.received[0] as Extract<ClientMessage, { type: 'render' }>;
    p.emit({ type: 'frame', id: first.id, output: 'rgb', quality: 'coarse', iteration: 1, seconds: 0, image });
    expect(p.received).toHaveLength(2);
    const last = p.received[1] as Extract<ClientMessage, { type: 'render' }>;
    // unanswered past the timeout: the next request goes anyway; the late reply is still delivered
    a.conn.receive({ type: 'render', id: 31, camera, output: 'rgb', quality: 'coarse' });
    expect(p.received).toHaveLength(2);
    t = 1001;
    a.conn.receive({ type: 'render', id: 32, camera, output: 'rgb', quality: 'coarse' });
    expect(p.received).toHaveLength(3);
    p.emit({ type: 'frame', id: last.id, output: 'rgb', quality: 'coarse', iteration: 1, seconds: 0, image });
    p.emit({ type: 'frame', id: (p.received[2] as { id: number }).id, output: 'rgb', quality: 'coarse', iteration: 1, seconds: 0, image });
    expect(a.of('frame').map((f) => f.id)).toEqual([1, 30, 32]);
  });

  it('broadcasts events and brings a late client up to date (scene, curves, state)', () => {
    const p = new FakeProcess();
    const s = new Session(p.spawn);
    const a = client(s);
    a.conn.receive({ type: 'pause' });
    p.emit({ type: 'state', state: 'training', detail: 'run folder runs/x' });
    const scene = {
      path: 'lego',
      cameraAngleX: 0.69,
      aspect: 1,
      box: { min: [-1, -1, -1] as [number, number, number], max: [1, 1, 1] as [number, number, number] },
      trainPoses: [pose],
      testPoses: [pose],
    };
    p.emit({ type: 'scene', scene });
    p.emit({
      type: 'event',
      event: {
        type: 'step',
        iteration: 1,
        total: 10,
        loss: 1,
        mse: 0.1,
        trainPSNR: 10,
        raysPerSecond: 1,
        stepSeconds: 1,
        itsPerSecond: 1,
        etaSeconds: 9,
        elapsed: 1,
        samples: 1,
        decoded: 1,
      },
    });
    p.emit({ type: 'event', event: { type: 'eval', iteration: 1, testPSNR: 9.5, testSSIM: NaN, views: 3, final: false } });
    expect(a.of('event')).toHaveLength(2);
    const late = client(s);
    expect(late.got.map((m) => m.type)).toEqual(['hello', 'scene', 'history', 'state']);
    expect(late.of('hello')[0].state).toBe('training');
    expect(late.of('history')[0].points).toEqual([
      { iteration: 1, trainPSNR: 10, loss: 1 },
      { iteration: 1, testPSNR: 9.5, final: false, views: 3 },
    ]);
  });

  it('tells a late client which backends the training process can start', () => {
    const p = new FakeProcess();
    const s = new Session(p.spawn);
    const a = client(s);
    a.conn.receive({ type: 'openScene', path: 'lego' });
    const backends = [
      { name: 'auto' as const, available: true, why: '' },
      { name: 'tensorflow' as const, available: false, why: 'TensorFlow for Node is not installed' },
    ];
    p.emit({ type: 'state', state: 'idle', detail: 'trainer process ready' });
    p.emit({ type: 'backends', backends });
    expect(a.of('backends')).toEqual([{ type: 'backends', backends }]);
    const late = client(s);
    expect(late.got.map((m) => m.type)).toEqual(['hello', 'backends', 'state']);
    expect(late.of('backends')[0].backends).toEqual(backends);
  });

  it('greets a page loaded later with the form of the last start and comparison, not the defaults', () => {
    const p = new FakeProcess();
    const s = new Session(p.spawn, { data: 'lego', decoder: 'mlp', decoderWidth: 0, backend: 'auto' });
    const a = client(s);
    a.conn.receive({
      type: 'start',
      config: { data: 'lego', decoder: 'siren', decoderWidth: 64, backend: 'cpu', preset: 'smoke', iterations: 70 },
    });
    expect(client(s).of('hello')[0]).toMatchObject({
      defaults: { data: 'lego', decoder: 'siren', decoderWidth: 64, backend: 'cpu', preset: 'smoke', iterations: 70 },
    });
    expect(client(s).of('hello')[0].compareDecoders).toBeUndefined();
    a.conn.receive({ type: 'compare', decoders: 'mlp,splitnet:width=20', config: { data: 'lego', backend: 'cpu', iterations: 12 } });
    const later = client(s).of('hello')[0];
    expect(later.compareDecoders).toBe('mlp,splitnet:width=20');
    expect(later.defaults).toEqual({ data: 'lego', decoder: 'siren', decoderWidth: 64, backend: 'cpu', iterations: 12 }); // no preset named: the default
  });

  it('reports a dead training process to every client and starts a new one on the next message', () => {
    const p = new FakeProcess();
    const s = new Session(p.spawn);
    const a = client(s);
    const b = client(s);
    a.conn.receive({ type: 'start', config: { preset: 'smoke' } });
    p.emit({ type: 'state', state: 'training', detail: '' });
    p.exit('killed by SIGKILL');
    for (const c of [a, b]) {
      expect(c.of('crash')[0].message).toMatch(/ended unexpectedly \(killed by SIGKILL\); the last checkpoint in the run folder is kept/);
      expect(c.of('state').at(-1)).toMatchObject({ state: 'failed' });
    }
    a.conn.receive({ type: 'start', config: { preset: 'smoke' } });
    expect(p.spawned).toBe(2);
  });

  it('closing kills the process without reporting a crash', async () => {
    const p = new FakeProcess();
    const s = new Session(p.spawn);
    const a = client(s);
    a.conn.receive({ type: 'stop' });
    s.close();
    expect(p.killed).toBe(1);
    p.exit('exit code 0');
    await s.closed;
    expect(a.of('crash')).toEqual([]);
  });

  it('a flood of valid requests reaches the process as a few; a pause after it goes at once', () => {
    const p = new FakeProcess();
    const s = new Session(p.spawn);
    const a = client(s);
    a.conn.receive({ type: 'start', config: { preset: 'smoke' } });
    p.emit({ type: 'state', state: 'training', detail: '' });
    for (let i = 0; i < 50_000; i++) {
      a.conn.receive(JSON.stringify({ type: 'openScene', path: `datasets/nerf_synthetic/lego${i % 2 ? '' : '/'}` }));
      a.conn.receive({ type: 'render', id: i, camera, output: 'rgb', quality: 'coarse' });
    }
    a.conn.receive('{"type":"pause"}');
    expect(p.received.map((m) => m.type)).toEqual(['start', 'openScene', 'render', 'pause']);
    a.conn.receive({ type: 'stop' });
    expect(p.received.at(-1)?.type).toBe('stop');
  });

  it('keeps a training going when the last client leaves, dropping what that client still waited for', () => {
    const p = new FakeProcess();
    const s = new Session(p.spawn);
    const a = client(s);
    a.conn.receive({ type: 'start', config: { preset: 'smoke' } });
    p.emit({ type: 'state', state: 'training', detail: '' });
    a.conn.receive({ type: 'render', id: 1, camera, output: 'rgb', quality: 'coarse' });
    a.conn.receive({ type: 'render', id: 2, camera, output: 'rgb', quality: 'coarse' });
    a.conn.receive({ type: 'openRun', path: 'runs/a' });
    a.conn.receive({ type: 'openRun', path: 'runs/b' });
    a.conn.close();
    const r1 = p.received[1] as Extract<ClientMessage, { type: 'render' }>;
    p.emit({ type: 'frame', id: r1.id, output: 'rgb', quality: 'coarse', iteration: 1, seconds: 0, image });
    p.emit({ type: 'history', points: [], run: 'runs/a' });
    expect(p.received.map((m) => m.type)).toEqual(['start', 'render', 'openRun']); // render 2 and runs/b were dropped
    expect(p.killed).toBe(0);
    // a client that comes back finds it training
    p.emit({ type: 'state', state: 'training', detail: 'iteration 9' });
    expect(client(s).of('hello')[0].state).toBe('training');
  });

  it('limits error replies to a flood of bad messages', () => {
    const s = new Session(new FakeProcess().spawn);
    const a = client(s);
    for (let i = 0; i < 500; i++) a.conn.receive('garbage');
    const n = a.of('error').length;
    expect(n).toBeGreaterThanOrEqual(MAX_ERRORS_PER_SECOND);
    expect(n).toBeLessThanOrEqual(2 * MAX_ERRORS_PER_SECOND); // at most a second boundary in between
  });
});
