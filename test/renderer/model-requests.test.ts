import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_ROUTES, ModelRequests } from '../../src/renderer/model-requests';

function setup() {
  const sent: { key: string; request: number; id: number }[] = [];
  const req = new ModelRequests<number>((key, request, id) => sent.push({ key, request, id }));
  const keys = () => sent.map((s) => `${s.key}${s.request}`);
  return { req, sent, keys };
}

describe('ModelRequests', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends every request at once, under its own increasing ids', () => {
    const { req, sent, keys } = setup();
    req.submit('mlp', 1);
    req.submit('siren', 1);
    req.submit('mlp', 2);
    expect(keys()).toEqual(['mlp1', 'siren1', 'mlp2']);
    expect(sent.map((s) => s.id)).toEqual([1, 2, 3]);
  });

  it('matches a reply back to its request, once, and only for its key', () => {
    const { req, sent } = setup();
    req.submit('mlp', 7);
    req.submit('siren', 9);
    expect(req.reply(sent[0].id, 'siren')).toBeNull(); // another key's id
    expect(req.reply(99, 'mlp')).toBeNull(); // never sent
    expect(req.reply(sent[0].id, 'mlp')).toBe(7);
    expect(req.reply(sent[0].id, 'mlp')).toBeNull();
    expect(req.reply(sent[1].id, 'siren')).toBe(9);
  });

  it('drops the replies of a key that is gone, so a new viewport under its label gets none of them', () => {
    const { req, sent } = setup();
    req.submit('mlp', 1);
    req.submit('siren', 1);
    req.drop('mlp');
    expect(req.reply(sent[0].id, 'mlp')).toBeNull();
    expect(req.reply(sent[1].id, 'siren')).toBe(1);
    req.submit('mlp', 5); // the new viewport
    expect(req.reply(sent[2].id, 'mlp')).toBe(5);
  });

  it('remembers only the last MAX_ROUTES requests', () => {
    const { req, sent } = setup();
    for (let i = 0; i <= MAX_ROUTES; i++) req.submit('mlp', i);
    expect(req.reply(sent[0].id, 'mlp')).toBeNull();
    expect(req.reply(sent[1].id, 'mlp')).toBe(1);
    expect(req.reply(sent[MAX_ROUTES].id, 'mlp')).toBe(MAX_ROUTES);
  });

  it('holds requests back, newest per key, until released', () => {
    const { req, keys } = setup();
    req.submit('mlp', 1);
    req.hold(5000);
    expect(req.holding).toBe(true);
    req.submit('mlp', 2);
    req.submit('siren', 1);
    req.submit('mlp', 3);
    req.submit('splitnet', 1);
    expect(keys()).toEqual(['mlp1']);
    req.drop('splitnet'); // its viewport went away meanwhile
    req.release();
    expect(req.holding).toBe(false);
    expect(keys()).toEqual(['mlp1', 'mlp3', 'siren1']);
    req.submit('siren', 2);
    expect(keys().at(-1)).toBe('siren2');
  });

  it('forgets what it held when a new hold starts, and lets go by itself after its time', () => {
    const { req, keys } = setup();
    req.hold(5000);
    req.submit('mlp', 1);
    req.hold(5000);
    req.submit('siren', 1);
    vi.advanceTimersByTime(4999);
    expect(keys()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(keys()).toEqual(['siren1']);
  });

  it('sends nothing after dispose', () => {
    const { req, keys } = setup();
    req.hold(5000);
    req.submit('mlp', 1);
    req.dispose();
    vi.advanceTimersByTime(10000);
    expect(keys()).toEqual([]);
  });
});
