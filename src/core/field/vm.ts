/**
 * The VM (vector-matrix) field: per axis pair a plane [H, W, C] and a line [L, C] for density
 * (densityComps) and appearance (appComps), plus the basis matrix [3 * appComps, appDim].
 * Factors are initialised 0.1 * N(0, 1); the basis like a bias-free PyTorch Linear
 * (U(+-1/sqrt(fan_in))).
 */
import { type Param, makeParam } from '../params';
import type { Rng } from '../random';
import type { Box, Vec3 } from './geometry';
import { lineShape, planeShape, type VMFactors } from './vm-kernels';

export interface VMField {
  box: Box;
  reso: Vec3;
  densityComps: number;
  appComps: number;
  appDim: number;
  densityPlanes: Param[];
  densityLines: Param[];
  appPlanes: Param[];
  appLines: Param[];
  basis: Param;
}

export interface VMFieldOptions {
  box: Box;
  reso: Vec3;
  densityComps: number;
  appComps: number;
  appDim: number;
}

export function createField(o: VMFieldOptions, rng: Rng): VMField {
  const normal = () => 0.1 * rng.normal();
  const planes = (kind: string, C: number) =>
    [0, 1, 2].map((p) => makeParam(`field.${kind}Plane${p}`, planeShape(o.reso, p, C), 'factors', normal));
  const lines = (kind: string, C: number) =>
    [0, 1, 2].map((p) => makeParam(`field.${kind}Line${p}`, lineShape(o.reso, p, C), 'factors', normal));
  const densityPlanes = planes('density', o.densityComps);
  const densityLines = lines('density', o.densityComps);
  const appPlanes = planes('app', o.appComps);
  const appLines = lines('app', o.appComps);
  const fanIn = 3 * o.appComps;
  const bound = 1 / Math.sqrt(fanIn);
  const basis = makeParam('field.basis', [fanIn, o.appDim], 'network', () => rng.uniform(-bound, bound));
  return {
    box: { min: [...o.box.min], max: [...o.box.max] },
    reso: [...o.reso],
    densityComps: o.densityComps,
    appComps: o.appComps,
    appDim: o.appDim,
    densityPlanes,
    densityLines,
    appPlanes,
    appLines,
    basis,
  };
}

/** All trainable field parameters in a fixed order. */
export function fieldParams(f: VMField): Param[] {
  return [...f.densityPlanes, ...f.densityLines, ...f.appPlanes, ...f.appLines, f.basis];
}

export function densityFactors(f: VMField): VMFactors {
  return { planes: f.densityPlanes.map((p) => p.data), lines: f.densityLines.map((p) => p.data), comps: f.densityComps, reso: f.reso };
}

export function appFactors(f: VMField): VMFactors {
  return { planes: f.appPlanes.map((p) => p.data), lines: f.appLines.map((p) => p.data), comps: f.appComps, reso: f.reso };
}
