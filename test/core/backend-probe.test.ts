import { describe, expect, it } from 'vitest';
import { type ProbeDeps, probeBackends, shortReason } from '../../src/core/backend-probe';

const missing = (name: string) =>
  Object.assign(new Error(`Cannot find package '${name}' imported from /work/x/.cache/trainer-process.1a2b.mjs`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });

function deps(over: Partial<ProbeDeps> = {}): ProbeDeps & { adapterAsked: number } {
  const d = {
    adapterAsked: 0,
    importPackage: async (name: string) => {
      throw missing(name);
    },
    noGpu: () => 'no GPU device node',
    adapter: async () => {
      d.adapterAsked++;
      return null;
    },
    ...over,
  };
  return d;
}

describe('probeBackends', () => {
  it('offers cpu and auto always; tensorflow and webgpu only where they start, each with a short reason', async () => {
    const d = deps();
    const found = await probeBackends(d);
    expect(found.map((b) => [b.name, b.available])).toEqual([
      ['auto', true],
      ['tensorflow', false],
      ['webgpu', false],
      ['cpu', true],
    ]);
    for (const b of found) {
      expect(b.why.length, b.name).toBeLessThanOrEqual(120);
      expect(b.why, b.name).not.toMatch(/\.cache|trainer-process|\.mjs|--/);
    }
    expect(found[1].why).toBe('TensorFlow for Node is not installed (@tensorflow/tfjs-node or tfjs-node-gpu)');
  });

  it('does not load WebGPU (Dawn) without a GPU device node, and asks for an adapter with one', async () => {
    const none = deps();
    expect((await probeBackends(none))[2]).toEqual({ name: 'webgpu', available: false, why: 'no GPU here (no GPU device node)' });
    expect(none.adapterAsked).toBe(0);
    const gpu = deps({ noGpu: () => null, adapter: async () => ({ device: 'NVIDIA H200', software: false }) });
    expect((await probeBackends(gpu))[2]).toEqual({ name: 'webgpu', available: true, why: '' });
    const soft = deps({ noGpu: () => null, adapter: async () => ({ device: 'llvmpipe', software: true }) });
    expect((await probeBackends(soft))[2]).toMatchObject({ available: true, why: 'software adapter (llvmpipe): slow' });
  });

  it('takes tensorflow when a package loads, and names a broken install without its paths', async () => {
    const ok = deps({ importPackage: async (n) => (n.endsWith('-gpu') ? Promise.reject(missing(n)) : {}) });
    expect((await probeBackends(ok))[1]).toEqual({ name: 'tensorflow', available: true, why: 'TensorFlow without CUDA' });
    const broken = deps({
      importPackage: async () => {
        throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory /usr/lib/node_modules/x/napi.node');
      },
    });
    const tf = (await probeBackends(broken))[1];
    expect(tf.available).toBe(false);
    expect(tf.why).toMatch(/^TensorFlow does not load: libtensorflow\.so\.2: cannot open shared object file/);
    expect(tf.why).not.toContain('/usr/lib');
  });

  it('cuts a load error to its first line without paths', () => {
    expect(shortReason(new Error("Cannot find module 'x' from /a/b/c.mjs\nRequire stack:\n- /a/b"))).toBe("Cannot find module 'x'");
    expect(shortReason('e'.repeat(300))).toHaveLength(120);
  });
});
