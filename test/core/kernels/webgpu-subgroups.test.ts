/**
 * The subgroup device set-up (kernels/webgpu-subgroups.ts) with a stand-in navigator.gpu: which
 * adapters get 'subgroups' asked for, what the device's createShaderModule passes to the real one
 * (the two directives moved to the top, other shaders untouched), the opt-out, and that a second
 * install does not wrap twice.
 */
import { describe, expect, it } from 'vitest';
import { hoistSubgroupDirectives, installSubgroupDevice, subgroupLanes, subgroupsFit } from '../../../src/core/kernels/webgpu-subgroups';
import { SUBGROUP_DIRECTIVES } from '../../../src/core/kernels/wgsl/matmul-subgroup';

function standIn(features: string[], min?: number, max?: number) {
  const log = { descriptors: [] as unknown[], codes: [] as string[], adapters: 0 };
  const gpu = {
    async requestAdapter() {
      log.adapters++;
      return {
        features: new Set(features),
        info: { subgroupMinSize: min, subgroupMaxSize: max },
        async requestDevice(d?: unknown) {
          log.descriptors.push(d);
          return {
            createShaderModule(m: { code: string; label?: string }) {
              log.codes.push(m.code);
              return { label: m.label };
            },
          };
        },
      };
    },
  };
  return { gpu, log };
}

const SOURCE = ['struct vec5 {x: i32};', 'fn helper() {}', ...SUBGROUP_DIRECTIVES, 'fn main(index : i32) {}'].join('\n');

describe('webgpu subgroup device', () => {
  it('moves the directives to the top of a module that has them, and leaves other modules alone', () => {
    const out = hoistSubgroupDirectives(SOURCE).split('\n');
    expect(out.slice(0, 2)).toEqual([...SUBGROUP_DIRECTIVES]);
    expect(out.slice(2)).toEqual(['struct vec5 {x: i32};', 'fn helper() {}', 'fn main(index : i32) {}']);
    expect(hoistSubgroupDirectives('fn main() {}\n// enable subgroups; in a comment')).toBe(
      'fn main() {}\n// enable subgroups; in a comment',
    );
  });

  it('asks for subgroups only where they are exactly 8 lanes wide', () => {
    const fits = (f: string[], min?: number, max?: number) =>
      subgroupsFit({
        features: new Set(f),
        info: { subgroupMinSize: min, subgroupMaxSize: max },
        requestDevice: async () => ({ createShaderModule: () => 0 }),
      });
    expect(fits(['subgroups'], 8, 8)).toBe(true);
    expect(fits(['subgroups'], 4, 8)).toBe(false); // lavapipe could pick 4
    expect(fits(['subgroups'], 32, 32)).toBe(false); // a GPU: the tiled kernel
    expect(fits([], 8, 8)).toBe(false);
    expect(fits(['subgroups'])).toBe(false);
  });

  it('wraps requestAdapter once: the device gets the feature and hoisting shader modules', async () => {
    const { gpu, log } = standIn(['subgroups', 'timestamp-query'], 8, 8);
    installSubgroupDevice(gpu, {});
    installSubgroupDevice(gpu, {}); // idempotent
    const adapter = (await gpu.requestAdapter())!;
    expect(subgroupLanes()).toBe(0); // no device yet
    const device = await adapter.requestDevice({ requiredFeatures: ['timestamp-query'] });
    expect(log.descriptors).toEqual([{ requiredFeatures: ['timestamp-query', 'subgroups'] }]);
    expect(subgroupLanes()).toBe(8);
    const mod = device.createShaderModule({ code: SOURCE, label: 'SubgroupMatmulProgram' });
    expect(mod).toEqual({ label: 'SubgroupMatmulProgram' });
    expect(log.codes[0].split('\n').slice(0, 2)).toEqual([...SUBGROUP_DIRECTIVES]);
    device.createShaderModule({ code: 'fn main() {}' });
    expect(log.codes[1]).toBe('fn main() {}');
    expect(log.adapters).toBe(1);
  });

  it('leaves the device as it is without 8-lane subgroups, or with TENSORF_WEBGPU_SUBGROUPS=0', async () => {
    for (const [features, size, env] of [
      [['subgroups'], 32, {}],
      [['subgroups'], 8, { TENSORF_WEBGPU_SUBGROUPS: '0' }],
    ] as const) {
      const { gpu, log } = standIn([...features], size, size);
      installSubgroupDevice(gpu, env);
      const device = await (await gpu.requestAdapter())!.requestDevice({ requiredFeatures: [] });
      expect(log.descriptors).toEqual([{ requiredFeatures: [] }]);
      expect(subgroupLanes()).toBe(0);
      device.createShaderModule({ code: SOURCE });
      expect(log.codes[0]).toBe(SOURCE);
    }
  });
});
