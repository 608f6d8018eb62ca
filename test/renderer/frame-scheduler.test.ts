import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Quality } from '../../src/protocol/messages';
import { FrameScheduler, LIVE_INTERVAL_MS, REPLY_LOST_MS, REPLY_TIMEOUT_MS, SHARP_DELAY_MS } from '../../src/renderer/frame-scheduler';

interface Sent {
  id: number;
  camera: string;
  quality: Quality;
}

function setup(enabled = true) {
  const sent: Sent[] = [];
  const s = new FrameScheduler<string>((id, camera, quality) => sent.push({ id, camera, quality }));
  s.setCamera('c0');
  if (enabled) {
    s.setEnabled(true); // asks for a first sharp frame
    s.accept(sent[0].id);
    sent.length = 0;
  }
  return { s, sent };
}

describe('FrameScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses the specified delays', () => {
    expect({ SHARP_DELAY_MS, REPLY_TIMEOUT_MS, LIVE_INTERVAL_MS }).toEqual({
      SHARP_DELAY_MS: 250,
      REPLY_TIMEOUT_MS: 1500,
      LIVE_INTERVAL_MS: 1000,
    });
  });

  it('requests nothing before the Node side has a model, then a sharp frame', () => {
    const { s, sent } = setup(false);
    s.moved('c1');
    vi.advanceTimersByTime(5000);
    expect(sent).toEqual([]);
    s.setEnabled(true);
    expect(sent).toEqual([{ id: 1, camera: 'c1', quality: 'sharp' }]);
  });

  it('refines a still view: after its sharp frame, one full frame (when refining and not live)', () => {
    const { s, sent } = setup();
    s.setRefine(true);
    s.moved('c1');
    s.accept(sent[0].id); // the coarse frame
    vi.advanceTimersByTime(SHARP_DELAY_MS);
    expect(sent.map((x) => x.quality)).toEqual(['coarse', 'sharp']);
    s.accept(sent[1].id);
    expect(sent.map((x) => x.quality)).toEqual(['coarse', 'sharp', 'full']);
    expect(sent[2].camera).toBe('c1');
    s.accept(sent[2].id); // the full frame: nothing more
    vi.advanceTimersByTime(5000);
    expect(sent).toHaveLength(3);
    // not while live (training): the live refresh keeps sending sharp frames instead
    s.setLive(true);
    s.refresh('c2');
    s.accept(sent[3].id);
    expect(sent.slice(3).map((x) => x.quality)).toEqual(['sharp']);
    // nor without refinement
    s.setLive(false);
    s.setRefine(false);
    s.refresh('c3');
    s.accept(sent.at(-1)!.id);
    expect(sent.at(-1)!.quality).toBe('sharp');
  });

  it('requests a coarse frame on a move', () => {
    const { s, sent } = setup();
    s.moved('c1');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ camera: 'c1', quality: 'coarse' });
  });

  it('keeps one request in flight and sends only the newest camera when the reply arrives', () => {
    const { s, sent } = setup();
    s.moved('c1');
    s.moved('c2');
    s.moved('c3');
    expect(sent.map((x) => x.camera)).toEqual(['c1']);
    expect(s.accept(sent[0].id)).toBe(true);
    expect(sent.map((x) => `${x.camera}:${x.quality}`)).toEqual(['c1:coarse', 'c3:coarse']);
  });

  it('sends the remembered camera after the reply timeout when no reply comes', () => {
    const { s, sent } = setup();
    s.moved('c1');
    s.moved('c2');
    vi.advanceTimersByTime(SHARP_DELAY_MS - 1);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(REPLY_TIMEOUT_MS - SHARP_DELAY_MS);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    // the sharp timer fired while c1 was in flight, so the remembered wish is a sharp c2
    expect(sent[1]).toMatchObject({ camera: 'c2', quality: 'sharp' });
  });

  it('requests a sharp frame 250 ms after the last move, not before', () => {
    const { s, sent } = setup();
    s.moved('c1');
    s.accept(sent[0].id);
    vi.advanceTimersByTime(200);
    s.moved('c2');
    s.accept(sent[1].id);
    vi.advanceTimersByTime(249);
    expect(sent.map((x) => x.quality)).toEqual(['coarse', 'coarse']);
    vi.advanceTimersByTime(1);
    expect(sent[2]).toMatchObject({ camera: 'c2', quality: 'sharp' });
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(3); // not live: nothing more
  });

  it('uses increasing ids', () => {
    const { s, sent } = setup();
    for (let i = 0; i < 5; i++) {
      s.moved(`c${i}`);
      s.accept(sent[sent.length - 1].id);
    }
    const ids = sent.map((x) => x.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('drops a frame older than the newest shown', () => {
    const { s, sent } = setup();
    s.moved('c1');
    vi.advanceTimersByTime(REPLY_TIMEOUT_MS); // c1 times out; the sharp c1 goes out
    const [late, newer] = sent;
    expect(s.accept(newer.id)).toBe(true);
    expect(s.accept(late.id)).toBe(false);
    expect(s.accept(newer.id)).toBe(false);
  });

  it('follows training with a sharp frame per second while live and still', () => {
    const { s, sent } = setup();
    s.setLive(true);
    vi.advanceTimersByTime(LIVE_INTERVAL_MS - 1); // a second after the first sharp request, not before
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(1);
    expect(sent[0].quality).toBe('sharp');
    vi.advanceTimersByTime(5000);
    expect(sent).toHaveLength(1); // the previous one has not arrived: no second request
    s.accept(sent[0].id); // arrived 5 s later: due at once
    vi.advanceTimersByTime(0);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(300);
    s.accept(sent[1].id); // arrived after 300 ms: wait for the rest of the second
    vi.advanceTimersByTime(LIVE_INTERVAL_MS - 300 - 1);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(3);
    expect(sent.every((x) => x.quality === 'sharp')).toBe(true);
  });

  it('holds the live refresh back while a reply is late, until it arrives or is lost', () => {
    const { s, sent } = setup();
    s.setLive(true);
    vi.advanceTimersByTime(LIVE_INTERVAL_MS);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(REPLY_TIMEOUT_MS + 2000); // timed out, but no new work for a slow renderer
    expect(sent).toHaveLength(1);
    s.accept(sent[0].id); // the late reply
    vi.advanceTimersByTime(0);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(REPLY_LOST_MS - 1); // this one never comes back
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(3);
  });

  it('does not refresh while the camera moves, nor after live ends', () => {
    const { s, sent } = setup();
    s.setLive(true);
    vi.advanceTimersByTime(LIVE_INTERVAL_MS);
    s.accept(sent[0].id);
    // keep moving every 100 ms for 3 s, answering every request at once
    for (let t = 0; t < 30; t++) {
      s.moved(`m${t}`);
      for (const x of sent) s.accept(x.id);
      vi.advanceTimersByTime(100);
    }
    expect(sent.slice(1).every((x) => x.quality === 'coarse')).toBe(true);
    s.setLive(false);
    vi.advanceTimersByTime(SHARP_DELAY_MS);
    s.accept(sent[sent.length - 1].id);
    const count = sent.length;
    expect(sent[count - 1].quality).toBe('sharp');
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(count);
  });

  it('refresh asks for a sharp frame now, or right after the one in flight', () => {
    const { s, sent } = setup();
    s.refresh();
    expect(sent[0]).toMatchObject({ camera: 'c0', quality: 'sharp' });
    s.refresh('c9');
    expect(sent).toHaveLength(1);
    s.failed();
    expect(sent[1]).toMatchObject({ camera: 'c9', quality: 'sharp' });
  });

  it('asks for a sharp frame of a new model while already enabled (an opened run replaces the one shown)', () => {
    const { s, sent } = setup();
    s.setEnabled(true); // the state moved from done to viewing: still enabled, nothing new
    expect(sent).toHaveLength(0);
    s.modelChanged();
    expect(sent).toEqual([{ id: 2, camera: 'c0', quality: 'sharp' }]);
    // while a request is in flight: right after its reply
    s.modelChanged();
    expect(sent).toHaveLength(1);
    s.accept(2);
    expect(sent[1]).toMatchObject({ id: 3, quality: 'sharp' });
    // disabled (no model): nothing
    const off = setup(false);
    off.s.modelChanged();
    expect(off.sent).toHaveLength(0);
  });
});
