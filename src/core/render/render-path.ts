/**
 * How rays are rendered without gradients (evaluation, previews, viewport frames) on the active
 * backend, chosen in one place: the cpu backend places samples on the host and runs the
 * hand-written kernels, stopping each ray's density once its transmittance is spent
 * (march-host.ts; host-chunk.ts is the plain reference it is held to); a device backend places,
 * composites and compacts them on the device (device-render.ts) with the backend's field kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AlphaMask } from '../field/alpha-mask';
import { NEAR_FAR } from '../field/geometry';
import { type DeviceMask, deviceKernelsFor } from '../kernels/device-kernels';
import { groupParams, type ParamGroups } from '../params';
import { selectSlots, slotColours, slotWeights } from './device-render';
import { disposeSlots, MaskUpload } from './device-slots';
import { type FieldOps, fieldOpsFor } from './field-ops';
import type { ChunkInput, ChunkRender } from './chunk';
import { marchChunk } from './march-host';
import { RENDER_CONSTANTS } from './render-batch';

export interface RenderPath {
  readonly name: 'host' | 'device';
  /** Prepares the mask for a series of chunks; call release() after them. */
  begin(mask: AlphaMask | null): void;
  renderChunk(c: ChunkInput): Promise<ChunkRender>;
  release(): void;
}

export function renderPathFor(backend: string): RenderPath {
  return backend === 'cpu' ? new HostRenderPath() : new DeviceRenderPath(fieldOpsFor(backend));
}

class HostRenderPath implements RenderPath {
  readonly name = 'host' as const;
  private mask: AlphaMask | null = null;

  begin(mask: AlphaMask | null): void {
    this.mask = mask;
  }

  async renderChunk(c: ChunkInput): Promise<ChunkRender> {
    return marchChunk(c, this.mask).render;
  }

  release(): void {
    this.mask = null;
  }
}

/**
 * The mask of the views being rendered, kept on the device across render calls: an evaluation
 * renders view after view with the same mask, which is then uploaded once, not once per view.
 */
const renderMask = new MaskUpload();

class DeviceRenderPath implements RenderPath {
  readonly name = 'device' as const;
  private mask: DeviceMask | null = null;

  constructor(private readonly ops: FieldOps) {}

  begin(mask: AlphaMask | null): void {
    this.mask = renderMask.get(mask);
  }

  async renderChunk(c: ChunkInput): Promise<ChunkRender> {
    const n = c.count;
    const o = tf.tensor2d(c.origins, [n, 3]);
    const d = tf.tensor2d(c.dirs, [n, 3]);
    const u = tf.zeros([n]) as tf.Tensor1D;
    const slots = this.ops.placeSlots(
      o,
      d,
      u,
      { box: c.field.box, step: c.step, nSamples: c.nSamples, near: NEAR_FAR[0], far: NEAR_FAR[1] },
      this.mask,
    );
    const w = slotWeights(this.ops, c.params, slots, RENDER_CONSTANTS);
    const sel = await selectSlots(w, RENDER_CONSTANTS.weightThreshold);
    const packed = tf.tidy(() => {
      const rgb = slotColours(this.ops, c.decoder, c.params, slots, w, sel, d);
      const acc = tf.sum(w, 1, true);
      const depth = tf.sum(tf.mul(w, slots.t), 1, true);
      return tf.concat([rgb, depth, acc], 1);
    });
    const v = (await packed.data()) as Float32Array;
    tf.dispose([packed, w, sel.idx, o, d, u]);
    disposeSlots(slots);
    deviceKernelsFor(tf.getBackend())?.endStep?.();
    const out: ChunkRender = { rgb: new Float32Array(3 * n), depth: new Float32Array(n), acc: new Float32Array(n) };
    for (let r = 0; r < n; r++) {
      out.rgb.set(v.subarray(5 * r, 5 * r + 3), 3 * r);
      out.depth[r] = v[5 * r + 3];
      out.acc[r] = v[5 * r + 4];
    }
    return out;
  }

  release(): void {
    this.mask = null; // the upload stays for the next render call (renderMask)
  }
}

/** The model's host arrays as tensors by group (no copy on the cpu backend); caller disposes. */
export function hostParamTensors(params: { data: Float32Array; shape: number[] }[]): ParamGroups<tf.Tensor> {
  return groupParams(params.map((p) => tf.tensor(p.data, p.shape)));
}
