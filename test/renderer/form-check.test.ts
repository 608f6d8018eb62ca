import { describe, expect, it } from 'vitest';
import { configProblem, isConfigError } from '../../src/renderer/form-check';

describe('the training form check', () => {
  it("names a bad value as the Node side's schema does, and nothing once it is right", () => {
    expect(configProblem({ decoder: 'mlp', decoderWidth: -1 })).toBe('decoder-width: expected >= 0, got -1');
    expect(configProblem({ decoder: 'mlp', decoderWidth: 0, backend: 'cpu' })).toBeNull();
    expect(configProblem({ iterations: 0 })).toMatch(/^iterations: /);
  });

  it("tells the server's config errors from other errors", () => {
    expect(isConfigError('start.config.decoder-width: expected >= 0, got -1')).toBe(true);
    expect(isConfigError('compare.config.iterations: expected >= 1, got 0')).toBe(true);
    expect(isConfigError('nothing to render yet: start a training or open a run folder')).toBe(false);
  });
});
