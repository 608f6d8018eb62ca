/**
 * A model snapshot from a training's model (the training process sends it to the page), and back:
 * a Model rebuilt from a snapshot (to render it on the host, e.g. to hold the shader viewer to the
 * host renderer on exactly the same numbers).
 */
import { DEFAULT_DECODER_OPTIONS } from '../decoders/defaults';
import { createDecoder } from '../decoders/decoder';
import type { AlphaMask } from '../field/alpha-mask';
import { NEAR_FAR, nSamplesEval, STEP_RATIO, stepSize } from '../field/geometry';
import { createField } from '../field/vm';
import { type Model, modelParams } from '../model';
import { groupParams, type ParamGroups } from '../params';
import { Rng } from '../random';
import { RENDER_CONSTANTS } from '../render/render-batch';
import { fromHalfArray, toHalfArray } from './half-float';
import type { ModelSnapshot, PlaneData, SnapshotDecoder } from './model-snapshot';

export interface SnapshotOptions {
  iteration: number;
  label?: string;
  /** Half floats for the planes (default), or float32. */
  planes?: 'f16' | 'f32';
  /** The parameter values, when not the model's own arrays (a device-resident training's, downloaded). */
  values?: ParamGroups<Float32Array>;
}

/**
 * The snapshot of a model. Its float32 arrays are the model's own (views, not copies; only half
 * planes are new): encode it (encodeSnapshot copies) before the model trains on.
 */
export function snapshotOf(model: Model, mask: AlphaMask | null, o: SnapshotOptions): ModelSnapshot {
  const f = model.field;
  const dec = model.decoder;
  const act = dec.fused?.act;
  if (!dec.fused || !act) throw new Error(`snapshotOf: decoder '${dec.name}' has no fused spec to describe it`);
  const decoder: SnapshotDecoder = {
    kind: dec.name,
    width: dec.width,
    fePe: dec.fused.fePe,
    viewPe: dec.fused.viewPe,
    omega: act.kind === 'sine' ? act.omega : 0,
    m: act.kind === 'split' ? act.m : 0,
  };
  const planes = o.planes ?? 'f16';
  const plane = (a: Float32Array): PlaneData => (planes === 'f16' ? toHalfArray(a) : a);
  const step = stepSize(f.box, f.reso, STEP_RATIO);
  const v = o.values ?? groupParams(modelParams(model).map((p) => p.data));
  return {
    ...(o.label === undefined ? {} : { label: o.label }),
    iteration: o.iteration,
    box: { min: [...f.box.min], max: [...f.box.max] },
    reso: [...f.reso],
    densityComps: f.densityComps,
    appComps: f.appComps,
    appDim: f.appDim,
    decoder,
    mask: mask ? { box: { min: [...mask.box.min], max: [...mask.box.max] }, reso: [...mask.reso] } : null,
    render: {
      step,
      nSamples: nSamplesEval(f.box, step),
      near: NEAR_FAR[0],
      far: NEAR_FAR[1],
      densityShift: RENDER_CONSTANTS.densityShift,
      distanceScale: RENDER_CONSTANTS.distanceScale,
      weightThreshold: RENDER_CONSTANTS.weightThreshold,
    },
    planes,
    densityPlanes: v.densityPlanes.map(plane),
    densityLines: v.densityLines,
    appPlanes: v.appPlanes.map(plane),
    appLines: v.appLines,
    basis: v.basis,
    decoderWeights: v.decoder,
    maskData: mask ? mask.data : null,
  };
}

const floats = (a: PlaneData) => (a instanceof Uint16Array ? fromHalfArray(a) : a);

/** The model and mask a snapshot describes (half floats widened), renderable by the host renderer. */
export function modelOfSnapshot(s: ModelSnapshot): { model: Model; mask: AlphaMask | null } {
  const rng = new Rng(1);
  const field = createField({ box: s.box, reso: s.reso, densityComps: s.densityComps, appComps: s.appComps, appDim: s.appDim }, rng);
  const decoder = createDecoder(
    s.decoder.kind,
    {
      ...DEFAULT_DECODER_OPTIONS,
      width: s.decoder.width,
      inFeatures: s.appDim,
      splitnetM: s.decoder.m || DEFAULT_DECODER_OPTIONS.splitnetM,
    },
    rng,
  );
  const set = (dst: Float32Array, src: Float32Array) => dst.set(src);
  field.densityPlanes.forEach((p, i) => set(p.data, floats(s.densityPlanes[i])));
  field.densityLines.forEach((p, i) => set(p.data, s.densityLines[i]));
  field.appPlanes.forEach((p, i) => set(p.data, floats(s.appPlanes[i])));
  field.appLines.forEach((p, i) => set(p.data, s.appLines[i]));
  set(field.basis.data, s.basis);
  decoder.params.forEach((p, i) => set(p.data, s.decoderWeights[i]));
  const mask = s.mask && s.maskData ? { box: s.mask.box, reso: s.mask.reso, data: Uint8Array.from(s.maskData) } : null;
  return { model: { field, decoder }, mask };
}
