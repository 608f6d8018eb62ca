import { describe, expect, it } from 'vitest';
import { Backends } from '../../src/session/backends';

describe('Backends', () => {
  it('refuses a backend the probe found unavailable with one short line, before trying to load it', async () => {
    let probes = 0;
    const b = new Backends(async () => {
      probes++;
      return [
        { name: 'auto', available: true, why: '' },
        { name: 'tensorflow', available: false, why: 'TensorFlow for Node is not installed (@tensorflow/tfjs-node or tfjs-node-gpu)' },
        { name: 'cpu', available: true, why: '' },
      ];
    });
    const err = await b.use('tensorflow').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      'backend tensorflow is not available here: TensorFlow for Node is not installed (@tensorflow/tfjs-node or tfjs-node-gpu)',
    );
    expect((await b.use('cpu')).name).toBe('cpu');
    expect(probes).toBe(1);
  });
});
