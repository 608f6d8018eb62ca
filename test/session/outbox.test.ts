/**
 * The bounded outbox toward the training process: commands at once (in order, bounded while the
 * process starts), latest-value requests one of a kind at a time with only the newest waiting,
 * the next going on the reply (or a timeout), scenes and runs at most every OPEN_INTERVAL_MS.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientMessage } from '../../src/protocol/messages';
import { ChildOutbox, OPEN_INTERVAL_MS } from '../../src/session/outbox';

const camera = { pose: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 4, 0, 0, 0, 1], fovY: 0.7, width: 8, height: 8 };
const render = (id: number, model?: string): ClientMessage => ({
  type: 'render',
  id,
  camera,
  output: 'rgb',
  quality: 'coarse',
  ...(model ? { model } : {}),
});
const image = { width: 1, height: 1, rgba: 'AAAA/w==' };
const frame = (id: number) => ({
  type: 'frame' as const,
  id,
  output: 'rgb' as const,
  quality: 'coarse' as const,
  iteration: 1,
  seconds: 0,
  image,
});
const scene = {
  path: 'x',
  cameraAngleX: 0.7,
  aspect: 1,
  box: { min: [-1, -1, -1] as [number, number, number], max: [1, 1, 1] as [number, number, number] },
  trainPoses: [],
  testPoses: [],
};

function setup(o: ConstructorParameters<typeof ChildOutbox>[1] = {}) {
  const sent: ClientMessage[] = [];
  const dropped: ClientMessage[] = [];
  const box = new ChildOutbox((m) => sent.push(m), { dropped: (m) => dropped.push(m), ...o });
  const desc = () =>
    sent.map((m) =>
      m.type === 'render' || m.type === 'snapTestView'
        ? `${m.type}:${m.id}`
        : m.type === 'openScene' || m.type === 'openRun'
          ? `${m.type}:${m.path}`
          : m.type,
    );
  return { box, sent, dropped, desc };
}
const A = {};
const B = {};

afterEach(() => vi.useRealTimers());

describe('ChildOutbox', () => {
  it('holds commands in order until the process is up, at most so many', () => {
    const { box, desc } = setup({ maxWaitingCommands: 3 });
    expect(box.push({ type: 'start', config: {} }, A)).toBe(true);
    expect(box.push({ type: 'pause' }, A)).toBe(true);
    expect(box.push(render(1), A)).toBe(true);
    expect(box.push({ type: 'resume' }, A)).toBe(true);
    expect(box.push({ type: 'stop' }, A)).toBe(false);
    expect(desc()).toEqual([]);
    box.opened();
    expect(desc()).toEqual(['start', 'pause', 'resume', 'render:1']);
    box.push({ type: 'stop' }, A);
    expect(desc().at(-1)).toBe('stop');
  });

  it('a flood of latest-value requests leaves one of each kind in the process; pause, resume and stop go at once', () => {
    const { box, desc } = setup();
    box.opened();
    for (let i = 1; i <= 100_000; i++) {
      box.push({ type: 'openScene', path: `s${i}` }, A);
      box.push({ type: 'openRun', path: `r${i}` }, A);
      box.push(render(i), A);
      box.push({ type: 'snapTestView', id: i, view: 0 }, A);
      box.push({ type: 'evaluate' }, A);
    }
    box.push({ type: 'pause' }, A);
    expect(desc()).toEqual(['openScene:s1', 'openRun:r1', 'render:1', 'snapTestView:1', 'evaluate', 'pause']);
    expect(box.size).toEqual({ commands: 0, waiting: 5, inFlight: 5 });
    box.push({ type: 'resume' }, A);
    box.push({ type: 'stop' }, A);
    expect(desc().slice(-2)).toEqual(['resume', 'stop']);
  });

  it('sends the newest waiting request when the reply to the last arrives', () => {
    const { box, desc, dropped } = setup();
    box.opened();
    box.push(render(1), A);
    box.push(render(2), A);
    box.push(render(3), A);
    expect(desc()).toEqual(['render:1']);
    expect(dropped.map((m) => (m as { id: number }).id)).toEqual([2]);
    box.replied({ type: 'state', state: 'training', detail: '' }); // not a reply to a render
    expect(desc()).toEqual(['render:1']);
    box.replied(frame(1));
    expect(desc()).toEqual(['render:1', 'render:3']);
    box.push({ type: 'snapTestView', id: 7, view: 0 }, A);
    box.replied({ type: 'error', message: 'no such view', request: 'snapTestView' });
    box.push({ type: 'snapTestView', id: 8, view: 1 }, A);
    box.replied({ type: 'error', message: 'x', request: 'render' });
    box.push({ type: 'evaluate' }, A);
    box.push({ type: 'evaluate' }, A);
    box.replied({ type: 'event', event: { type: 'eval', iteration: 1, testPSNR: 20, testSSIM: NaN, views: 3, final: false } });
    box.push({ type: 'evaluate' }, A);
    expect(desc().slice(2)).toEqual(['snapTestView:7', 'snapTestView:8', 'evaluate', 'evaluate']);
  });

  it('keeps a render slot per client and model, serving waiting clients in turn', () => {
    const { box, desc } = setup();
    box.opened();
    box.push(render(1), A);
    box.push(render(2), B);
    box.push(render(3, 'siren'), B);
    box.push(render(4), A); // A's slot refilled: behind B's
    box.replied(frame(1));
    box.replied(frame(2));
    box.replied(frame(3));
    expect(desc()).toEqual(['render:1', 'render:2', 'render:3', 'render:4']);
  });

  it('drops what a client that left had waiting, and everything when the process ends', () => {
    const { box, desc, dropped } = setup();
    box.opened();
    box.push(render(1), A);
    box.push(render(2), A);
    box.push({ type: 'openScene', path: 'a' }, A);
    box.dropOwner(A);
    expect(dropped.map((m) => m.type)).toEqual(['render']);
    box.replied(frame(1));
    expect(desc()).toEqual(['render:1', 'openScene:a']);
    box.push(render(3), B);
    box.push(render(4), B);
    box.reset();
    expect(dropped.map((m) => (m as { id?: number }).id)).toEqual([2, 4]);
    box.push({ type: 'pause' }, B);
    expect(desc()).toEqual(['render:1', 'openScene:a', 'render:3']); // closed until opened again
  });

  it('opens scenes and runs at most every OPEN_INTERVAL_MS, and takes a reply lost after the timeout', () => {
    vi.useFakeTimers();
    let t = 0;
    const { box, desc } = setup({ now: () => t, replyTimeoutMs: 5000 });
    box.opened();
    box.push({ type: 'openScene', path: 'a' }, A);
    box.replied({ type: 'scene', scene });
    box.push({ type: 'openScene', path: 'b' }, A);
    box.push({ type: 'openScene', path: 'c' }, A);
    expect(desc()).toEqual(['openScene:a']);
    t = OPEN_INTERVAL_MS;
    vi.advanceTimersByTime(OPEN_INTERVAL_MS);
    expect(desc()).toEqual(['openScene:a', 'openScene:c']);
    // no reply to c: d goes after the timeout
    box.push({ type: 'openScene', path: 'd' }, A);
    t += 4999;
    vi.advanceTimersByTime(4999);
    expect(desc()).toHaveLength(2);
    t += 1;
    vi.advanceTimersByTime(1);
    expect(desc()).toEqual(['openScene:a', 'openScene:c', 'openScene:d']);
  });
});
