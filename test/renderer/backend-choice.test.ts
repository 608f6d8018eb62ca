import { describe, expect, it } from 'vitest';
import { backendOptions } from '../../src/renderer/backend-choice';

const offered = ['auto', 'tensorflow', 'webgpu', 'cpu'];
const found = [
  { name: 'auto' as const, available: true, why: '' },
  { name: 'tensorflow' as const, available: false, why: 'TensorFlow for Node is not installed' },
  { name: 'webgpu' as const, available: true, why: 'software adapter (llvmpipe): slow' },
  { name: 'cpu' as const, available: true, why: '' },
];

describe('backend choices', () => {
  it('disables a backend that cannot start, with its reason as the tooltip', () => {
    const { options, selected } = backendOptions(offered, found, 'cpu');
    expect(options).toEqual([
      { value: 'auto', disabled: false, title: '' },
      { value: 'tensorflow', disabled: true, title: 'not available here: TensorFlow for Node is not installed' },
      { value: 'webgpu', disabled: false, title: 'software adapter (llvmpipe): slow' },
      { value: 'cpu', disabled: false, title: '' },
    ]);
    expect(selected).toBe('cpu');
  });

  it('moves a selection of an unavailable backend to auto, and offers all before the probe answers', () => {
    expect(backendOptions(offered, found, 'tensorflow').selected).toBe('auto');
    expect(backendOptions(offered, [], 'tensorflow')).toMatchObject({ selected: 'tensorflow' });
    expect(backendOptions(offered, [], 'tensorflow').options.every((o) => !o.disabled)).toBe(true);
  });
});
