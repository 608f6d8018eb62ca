import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from '../../src/protocol/messages';
import { decodeSnapshot, encodeSnapshot } from '../../src/core/snapshot/snapshot-codec';
import { snapshotOf } from '../../src/core/snapshot/snapshot-of';
import { randomModel } from '../core/snapshot/random-model';
import { backoffMs, createSocketApi, DISCONNECTED, socketUrl, validate, validated, type SocketLike } from '../../src/renderer/bridge';

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  binaryType = 'blob';
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
}

const hello = { type: 'hello', version: 1, state: 'idle', defaults: {}, backends: ['cpu'], presets: ['smoke'], decoders: ['mlp'] };

describe('socketUrl', () => {
  it('uses ws or wss, the page host and path /ws, passing the token on', () => {
    expect(socketUrl({ protocol: 'http:', host: '127.0.0.1:5173', search: '' })).toBe('ws://127.0.0.1:5173/ws');
    expect(socketUrl({ protocol: 'https:', host: 'example.org', search: '?token=a%2Bb&x=1' })).toBe('wss://example.org/ws?token=a%2Bb');
  });
});

describe('validate', () => {
  it('accepts valid messages, including frames larger than the client-message cap', () => {
    const frame = {
      type: 'frame',
      id: 1,
      output: 'rgb',
      quality: 'sharp',
      iteration: 3,
      seconds: 0.1,
      image: { width: 160, height: 160, rgba: 'A'.repeat(136_536) },
    };
    expect(validate(JSON.stringify(frame))).toMatchObject({ type: 'frame', id: 1 });
    expect(validate(hello)).toMatchObject({ type: 'hello' });
  });

  it('drops invalid ones with a warning', () => {
    const warn = vi.fn();
    expect(validate('{"type":"nope"}', warn)).toBeNull();
    expect(validate('not json', warn)).toBeNull();
    expect(validate({ type: 'state', state: 'flying', detail: '' }, warn)).toBeNull();
    expect(warn).toHaveBeenCalledTimes(3);
  });

  it('filters what a preload API delivers', () => {
    let deliver: (m: ServerMessage) => void = () => {};
    const inner = {
      onMessage: (l: (m: ServerMessage) => void) => {
        deliver = l;
        return () => {};
      },
    } as never;
    const got: ServerMessage[] = [];
    validated(inner, () => {}).onMessage((m) => got.push(m));
    deliver({ type: 'bogus' } as never);
    deliver(hello as ServerMessage);
    expect(got.map((m) => m.type)).toEqual(['hello']);
  });
});

describe('createSocketApi', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  const make = () => createSocketApi('ws://h/ws', { createSocket: (u) => new FakeSocket(u), warn: () => {} });

  it('queues messages until the socket opens', () => {
    const api = make();
    api.pause();
    api.openScene('x');
    const ws = FakeSocket.all[0];
    expect(ws.sent).toEqual([]);
    ws.open();
    expect(ws.sent.map((s) => JSON.parse(s))).toEqual([{ type: 'pause' }, { type: 'openScene', path: 'x' }]);
    api.stop();
    expect(ws.sent).toHaveLength(3);
    api.close();
  });

  it('delivers valid messages only', () => {
    const api = make();
    const got: string[] = [];
    api.onMessage((m) => got.push(m.type));
    const ws = FakeSocket.all[0];
    ws.open();
    ws.onmessage?.({ data: JSON.stringify(hello) });
    ws.onmessage?.({ data: '{"type":"frame"}' });
    expect(got).toEqual(['hello']);
    api.close();
  });

  it('takes binary frames as model snapshots (checked like any message), asking for ArrayBuffers', () => {
    const api = make();
    const got: ServerMessage[] = [];
    api.onMessage((m) => got.push(m));
    const ws = FakeSocket.all[0];
    expect(ws.binaryType).toBe('arraybuffer');
    ws.open();
    const bytes = encodeSnapshot(snapshotOf(randomModel('mlp').model, null, { iteration: 4 }));
    ws.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    ws.onmessage?.({ data: new ArrayBuffer(16) }); // not a snapshot: dropped
    expect(got.map((m) => m.type)).toEqual(['model']);
    expect(decodeSnapshot((got[0] as Extract<ServerMessage, { type: 'model' }>).snapshot).iteration).toBe(4);
    api.close();
  });

  it('reconnects with growing delays and says so once', () => {
    const api = make();
    const errors: string[] = [];
    api.onMessage((m) => m.type === 'error' && errors.push(m.message));
    FakeSocket.all[0].open();
    FakeSocket.all[0].drop();
    expect(errors).toEqual([DISCONNECTED]);
    vi.advanceTimersByTime(backoffMs(0) - 1);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    api.render(1, { pose: [], fovY: 1, width: 1, height: 1 }, 'rgb', 'coarse');
    FakeSocket.all[1].drop(); // failed attempt: longer wait, no second notice
    vi.advanceTimersByTime(backoffMs(1) - 1);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(3);
    FakeSocket.all[2].open();
    expect(FakeSocket.all[2].sent).toHaveLength(1); // queued while down
    expect(errors).toEqual([DISCONNECTED]);
    expect(backoffMs(1)).toBeGreaterThan(backoffMs(0));
    expect(backoffMs(30)).toBe(5000);
    api.close();
    FakeSocket.all[2].drop();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(3); // closed for good
  });
});
