// SplitNet's LSUV init (`--splitnet-init lsuv`) runs once, before the first step, on real
// appearance features; the default init does not.
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import type { SplitnetInit } from '../../../src/core/config';
import type { TrainEvent } from '../../../src/core/train/events';
import { Trainer } from '../../../src/core/train/trainer';
import { NO_VIEWS, randomPool, tinyConfig } from './synthetic';

beforeAll(async () => {
  await initBackend('cpu');
});

async function firstEvents(init: SplitnetInit): Promise<{ events: TrainEvent[]; before: Float32Array; afterInit: Float32Array | null }> {
  const cfg = tinyConfig({ decoder: 'splitnet', splitnetInit: init, iterations: 1 });
  const trainer = new Trainer(cfg, { train: randomPool(256, 2), test: NO_VIEWS, testCount: 0 }, { name: 'cpu', reason: 'test' });
  const before = trainer.model.decoder.params[0].data.slice();
  const events: TrainEvent[] = [];
  let afterInit: Float32Array | null = null;
  for await (const e of trainer.run()) {
    events.push(e);
    if (e.type === 'schedule' && e.action === 'decoder-init') afterInit = trainer.model.decoder.params[0].data.slice();
    if (e.type === 'started' || (e.type === 'schedule' && e.action === 'decoder-init')) continue;
    break; // stop at the first step
  }
  return { events, before, afterInit };
}

it('lsuv: a decoder-init event before the first step, and the first layer rescaled', async () => {
  const { events, before, afterInit } = await firstEvents('lsuv');
  expect(events[0].type).toBe('started');
  expect(events[1]).toMatchObject({ type: 'schedule', action: 'decoder-init', iteration: 0 });
  expect(events[2].type).toBe('step');
  const after = afterInit!;
  // LSUV multiplies each branch's weight columns by one positive factor: same signs, other values
  let changed = 0;
  for (let i = 0; i < before.length; i++) {
    expect(Math.sign(after[i])).toBe(Math.sign(before[i]));
    if (Math.abs(after[i] - before[i]) > 1e-6) changed++;
  }
  expect(changed).toBeGreaterThan(before.length / 2);
});

it('default init: no decoder-init event', async () => {
  const { events } = await firstEvents('default');
  expect(events.map((e) => e.type)).toEqual(['started', 'step']);
});
