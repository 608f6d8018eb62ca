import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompareRow, CompareStatus } from '../../src/protocol/messages';
import { EntryModels } from '../../src/session/entry-models';
import type { ViewSource } from '../../src/session/views';

const row = (label: string, status: CompareStatus): CompareRow => ({
  label,
  entry: label,
  status,
  iteration: 0,
  decoderParams: null,
  testPSNR: null,
  testSSIM: null,
  trainSeconds: null,
  itsPerSecond: null,
});
const compare = {
  dir: 'runs/compare-1',
  rows: [row('mlp', 'done'), row('siren', 'stopped'), row('splitnet', 'waiting'), row('x', 'failed')],
};
const fake = (iteration: number) => ({ iteration }) as unknown as ViewSource;
const allow = () => {};

describe('EntryModels', () => {
  it('reads a finished entry that is not in memory (a training since, a reload) from its run folder, once', () => {
    const read: string[] = [];
    const m = new EntryModels((dir) => {
      read.push(dir);
      return fake(12);
    });
    m.set('mlp', fake(30));
    m.clear(); // a new training started
    expect(m.get('mlp', compare, false, allow).iteration).toBe(12);
    expect(m.get('siren', compare, false, allow).iteration).toBe(12);
    m.get('mlp', compare, false, allow);
    expect(read).toEqual([join('runs/compare-1', 'mlp'), join('runs/compare-1', 'siren')]);
  });

  it('keeps a model trained in this process', () => {
    const m = new EntryModels(() => {
      throw new Error('not read');
    });
    m.set('mlp', fake(30));
    expect(m.get('mlp', compare, false, allow).iteration).toBe(30);
  });

  it("says why an entry has no model in the comparison's terms", () => {
    const m = new EntryModels(() => fake(1));
    const why = (label: string, running: boolean) => {
      try {
        m.get(label, compare, running, allow);
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(why('splitnet', true)).toBe("no model 'splitnet' to render yet: it waits its turn to train");
    expect(why('splitnet', false)).toBe("no model 'splitnet' to render yet: the comparison ended before it was trained");
    expect(why('x', false)).toBe("no model 'x' to render: its training failed");
    expect(why('other', false)).toBe("no model 'other' to render: it is not an entry of the comparison shown");
  });
});
