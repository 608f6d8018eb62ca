/** The per-client rate limit: token buckets, pause/resume/stop counted apart, closing on persistent excess. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMIT, isControlText, RateLimiter } from '../../src/server/rate-limit';

function limiter(o: Partial<typeof DEFAULT_RATE_LIMIT> = {}) {
  let t = 10_000;
  const l = new RateLimiter({ ...DEFAULT_RATE_LIMIT, ...o }, () => t);
  return { l, advance: (ms: number) => (t += ms) };
}

describe('RateLimiter', () => {
  it('takes a burst, then the sustained rate', () => {
    const { l, advance } = limiter({ perSecond: 10, burst: 5 });
    expect(Array.from({ length: 7 }, () => l.take(false))).toEqual(['accept', 'accept', 'accept', 'accept', 'accept', 'drop', 'drop']);
    advance(100);
    expect(l.take(false)).toBe('accept');
    expect(l.take(false)).toBe('drop');
    advance(10_000);
    expect(Array.from({ length: 6 }, () => l.take(false)).filter((v) => v === 'accept')).toHaveLength(5); // refills to the burst, no more
  });

  it('lets pause, resume and stop through when the client is over its limit for other messages', () => {
    const { l } = limiter({ perSecond: 10, burst: 5, controlPerSecond: 1, controlBurst: 3 });
    for (let i = 0; i < 100; i++) l.take(false);
    expect(l.take(true)).toBe('accept');
    expect(l.take(true)).toBe('accept');
    expect(l.take(true)).toBe('accept');
    expect(l.take(true)).toBe('drop'); // ... within a limit of their own
  });

  it('tells the client once a second, and closes one over its limit in closeAfterSeconds consecutive seconds', () => {
    const { l, advance } = limiter({ perSecond: 10, burst: 10, closeAfterSeconds: 3 });
    const second = () => {
      const vs = Array.from({ length: 50 }, () => l.take(false));
      advance(1000);
      return vs;
    };
    for (let i = 0; i < 10; i++) l.take(false);
    l.take(false);
    expect(l.firstDropThisSecond).toBe(true);
    l.take(false);
    expect(l.firstDropThisSecond).toBe(false);
    advance(1000);
    expect(second()).not.toContain('close'); // second 2 over
    const third = second();
    expect(third).toContain('close');
    // a quiet second in between starts the count again
    const { l: m, advance: adv } = limiter({ perSecond: 10, burst: 10, closeAfterSeconds: 3 });
    for (let s = 0; s < 6; s++) {
      const vs = Array.from({ length: s % 2 ? 5 : 50 }, () => m.take(false));
      expect(vs).not.toContain('close');
      adv(1000);
    }
  });
});

describe('isControlText', () => {
  it.each([
    ['{"type":"pause"}', true],
    [' { "type" : "stop" } ', true],
    ['{"type":"resume"}', true],
    ['{"type":"start","config":{}}', false],
    ['{"type":"pause","x":1}', false],
    [`{"type":"pause"}${' '.repeat(100)}`, false],
    ['pause', false],
  ])('%s: %s', (text, yes) => expect(isControlText(text)).toBe(yes));
});
