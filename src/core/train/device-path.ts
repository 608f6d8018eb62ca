/**
 * The device-resident training step (DESIGN.md section 3), for backends whose tensors live on a
 * device (webgpu, tensorflow): the parameters and Adam moments are tfjs variables and the
 * training rays tensors, uploaded once and kept there; per step only the batch's ray indices and
 * its jitter go up, and three numbers come back (the count of decoded samples, in the middle of
 * the step, and loss, mse and the sample count at its end). Samples are placed, masked, composited
 * and compacted on the device (render/device-slots.ts, render/device-render.ts), and Adam runs
 * there (device-adam.ts). The kernels come from a FieldOps: plain tf ops, or a backend's fused ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RayPool } from '../data/ray-pool';
import { NonFiniteLossError } from '../errors';
import { deviceKernelsFor } from '../kernels/device-kernels';
import { NEAR_FAR } from '../field/geometry';
import { type Model, modelParams } from '../model';
import { densityFactorsOf, groupParams, type Param, type ParamGroups } from '../params';
import { selectSlots, slotColours, slotWeights } from '../render/device-render';
import { disposeSlots, MaskUpload } from '../render/device-slots';
import type { FieldOps } from '../render/field-ops';
import { RENDER_CONSTANTS } from '../render/render-batch';
import type { AdamState } from './adam';
import { adamStepDevice } from './device-adam';
import type { StepInput, StepResult, TrainPath } from './train-path';

interface Resident {
  params: tf.Variable[];
  m: tf.Variable[];
  v: tf.Variable[];
  groups: ('factors' | 'network')[];
}

interface ResidentPool {
  source: RayPool;
  origins: tf.Tensor2D;
  dirs: tf.Tensor2D;
  rgbs: tf.Tensor2D;
}

export class DevicePath implements TrainPath {
  readonly name = 'device' as const;
  private resident: Resident | null = null;
  private pool: ResidentPool | null = null;
  private readonly mask = new MaskUpload();
  /** The device holds steps the host arrays have not seen. */
  private hostStale = false;

  constructor(readonly ops: FieldOps) {}

  async step(s: StepInput): Promise<StepResult> {
    const timer = s.timer;
    timer?.begin();
    const r = this.ensureResident(s.model, s.adam);
    const pool = this.ensurePool(s.pool);
    const mask = this.mask.get(s.mask);
    const B = s.indices.length;
    const u = new Float32Array(B);
    for (let i = 0; i < B; i++) u[i] = s.rng.next();
    const f = s.model.field;
    const K = RENDER_CONSTANTS;
    const batch = tf.tidy(() => {
      const idx = tf.tensor1d(Int32Array.from(s.indices), 'int32');
      return {
        o: tf.gather(pool.origins, idx) as tf.Tensor2D,
        d: tf.gather(pool.dirs, idx) as tf.Tensor2D,
        target: tf.gather(pool.rgbs, idx) as tf.Tensor2D,
      };
    });
    const jitter = tf.tensor1d(u);
    const slots = this.ops.placeSlots(
      batch.o,
      batch.d,
      jitter,
      { box: f.box, step: s.stepSize, nSamples: s.nSamples, near: NEAR_FAR[0], far: NEAR_FAR[1] },
      mask,
    );
    await timer?.mark('upload+placement');
    const p = groupParams<tf.Tensor>(r.params);
    const w0 = slotWeights(this.ops, p, slots, K);
    const sel = await selectSlots(w0, K.weightThreshold);
    w0.dispose();
    await timer?.mark('density+selection');
    let mseT: tf.Scalar | null = null;
    const loss = (...ts: tf.Tensor[]) => {
      const g = groupParams(ts);
      const w = slotWeights(this.ops, g, slots, K);
      const rgb = slotColours(this.ops, s.model.decoder, g, slots, w, sel, batch.d);
      const mse = tf.mean(tf.squaredDifference(rgb, batch.target)) as tf.Scalar;
      mseT = tf.keep(mse);
      if (s.l1Weight <= 0) return mse;
      const l1 = densityFactorsOf(g)
        .map((x) => tf.mean(tf.abs(x)))
        .reduce((a, b) => tf.add(a, b));
      return tf.add(mse, tf.mul(l1, s.l1Weight)) as tf.Scalar;
    };
    const { value, grads } = tf.tidy(() => tf.valueAndGrads(loss)(r.params));
    await timer?.mark('forward+backward');
    adamStepDevice(s.adam, r, grads);
    this.hostStale = true;
    await timer?.mark('adam');
    const readback = tf.tidy(() => tf.stack([value, mseT as unknown as tf.Scalar, tf.sum(slots.valid)]));
    const [lossValue, mseValue, samples] = await readback.data();
    tf.dispose([readback, value, mseT as unknown as tf.Scalar, ...grads, sel.idx, jitter, batch.o, batch.d, batch.target]);
    disposeSlots(slots);
    deviceKernelsFor(tf.getBackend())?.endStep?.();
    await timer?.mark('readback');
    if (!Number.isFinite(lossValue)) throw new NonFiniteLossError(lossValue);
    return { loss: lossValue, mse: mseValue, samples, decoded: sel.count };
  }

  async syncToHost(model: Model, adam: AdamState): Promise<void> {
    const r = this.resident;
    if (!r || !this.hostStale) return;
    const params = modelParams(model);
    const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
    for (let i = 0; i < params.length; i++) {
      params[i].data = await read(r.params[i]);
      adam.m[i] = await read(r.m[i]);
      adam.v[i] = await read(r.v[i]);
    }
    this.hostStale = false;
  }

  invalidate(): void {
    if (this.hostStale) throw new Error('DevicePath.invalidate: the host arrays are older than the device state (call syncToHost first)');
    this.disposeResident();
  }

  deviceParams(): ParamGroups<tf.Tensor> | null {
    return this.resident ? groupParams<tf.Tensor>(this.resident.params) : null;
  }

  dispose(): void {
    this.disposeResident();
    if (this.pool) tf.dispose([this.pool.origins, this.pool.dirs, this.pool.rgbs]);
    this.mask.dispose();
    this.pool = null;
  }

  private disposeResident(): void {
    const r = this.resident;
    if (r) tf.dispose([...r.params, ...r.m, ...r.v]);
    this.resident = null;
  }

  private ensureResident(model: Model, adam: AdamState): Resident {
    if (this.resident) return this.resident;
    const params: Param[] = modelParams(model);
    const variable = (data: Float32Array, shape: number[]) => {
      const initial = tf.tensor(data, shape);
      const v = tf.variable(initial, true);
      initial.dispose(); // the variable holds its own reference to the data
      return v;
    };
    this.resident = {
      params: params.map((p) => variable(p.data, p.shape)),
      m: params.map((p, i) => variable(adam.m[i], p.shape)),
      v: params.map((p, i) => variable(adam.v[i], p.shape)),
      groups: params.map((p) => p.group),
    };
    return this.resident;
  }

  private ensurePool(pool: RayPool): ResidentPool {
    if (this.pool?.source === pool) return this.pool;
    if (this.pool) tf.dispose([this.pool.origins, this.pool.dirs, this.pool.rgbs]);
    const t = (a: Float32Array) => tf.tensor2d(a, [pool.count, 3]);
    this.pool = { source: pool, origins: t(pool.origins), dirs: t(pool.dirs), rgbs: t(pool.rgbs) };
    return this.pool;
  }
}
