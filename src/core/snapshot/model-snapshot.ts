/**
 * A model snapshot: everything a renderer outside the training process (the page's shader
 * viewer) needs to draw exactly what the trainer renders: the VM factors, basis matrix and
 * decoder weights, the box and grid, the alpha mask, and the render constants. It is the same
 * for every decoder; `decoder` says which hidden activation the weights go with.
 *
 * The planes (nearly all of the bytes) are half floats by default (`planes: 'f16'`): a relative
 * error of at most 2^-11 per texel, which moves a rendered pixel by far less than one 8-bit step
 * (test/core/snapshot/model-snapshot.test.ts measures it on a trained model). Lines, basis and
 * decoder weights are float32 (they are small).
 *
 * This module imports no tensor library and no Node module: the page decodes snapshots with it.
 */
import type { Box, Vec3 } from '../field/geometry';

export const SNAPSHOT_DECODERS = ['mlp', 'siren', 'splitnet'] as const;
export type SnapshotDecoderKind = (typeof SNAPSHOT_DECODERS)[number];

export interface SnapshotDecoder {
  kind: SnapshotDecoderKind;
  /** Hidden width H: layers [D0 -> Z], [H -> Z], [H -> 3], Z = 4H for splitnet, else H. */
  width: number;
  fePe: number;
  viewPe: number;
  /** SIREN's frequency (sin(omega z)); 0 for the others. */
  omega: number;
  /** SplitNet's branch-product multiplier; 0 for the others. */
  m: number;
}

/** The constants of TensoRF's evaluation render (render-rays.ts, render-batch.ts, samples.ts). */
export interface SnapshotRender {
  step: number;
  nSamples: number;
  near: number;
  far: number;
  densityShift: number;
  distanceScale: number;
  weightThreshold: number;
}

export interface SnapshotInfo {
  /** The comparison entry the model belongs to (absent: a single training). */
  label?: string;
  iteration: number;
  box: Box;
  reso: Vec3;
  densityComps: number;
  appComps: number;
  appDim: number;
  decoder: SnapshotDecoder;
  /** The alpha mask's box and grid (absent: no mask yet). */
  mask: { box: Box; reso: Vec3 } | null;
  render: SnapshotRender;
  planes: 'f16' | 'f32';
}

export type PlaneData = Uint16Array | Float32Array;

export interface ModelSnapshot extends SnapshotInfo {
  /** Per pair [H, W, C] channels last (vm-kernels.ts planeShape), half bits or float32 as `planes` says. */
  densityPlanes: PlaneData[];
  densityLines: Float32Array[]; // per pair [L, C]
  appPlanes: PlaneData[];
  appLines: Float32Array[];
  basis: Float32Array; // [3 * appComps, appDim]
  /** [w1, b1, w2, b2, w3, b3]: w [in, out] row-major. */
  decoderWeights: Float32Array[];
  /** x + nx * (y + ny * z), 0 or 1 (null when there is no mask). */
  maskData: Uint8Array | null;
}

/** Hidden pre-activation width of a decoder: four branches for splitnet. */
export function hiddenColumns(d: SnapshotDecoder): number {
  return d.kind === 'splitnet' ? 4 * d.width : d.width;
}
