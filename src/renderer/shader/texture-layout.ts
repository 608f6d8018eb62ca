/**
 * How a model snapshot is laid out in textures for the shader ray-marcher (DOM-free, so tests run
 * it under Node). Components are grouped four to a texel (RGBA), padded with zeros:
 *   plane p [H, W, C]  -> a 2D array texture W x H with ceil(C/4) layers (layer l: components 4l..4l+3)
 *   lines              -> one RGBA32F texture, width max L, one row per (kind, pair, group of 4):
 *                         density line p group l at row p*DC4 + l, appearance at 3*DC4 + p*AC4 + l
 *   basis and decoder  -> one RGBA32F texture read by a linear texel index: a matrix [in, out] is
 *                         in rows of ceil(out/4) texels (outputs 4q..4q+3), a bias is one such row
 *   alpha mask         -> a 3D R8UI texture [nx, ny, nz]
 */
import { decoderInputDim } from '../../core/decoders/input-dim';
import { MAT_MODE, VEC_MODE } from '../../core/field/geometry';
import { hiddenColumns, type ModelSnapshot, type PlaneData } from '../../core/snapshot/model-snapshot';

/** Width of the weights texture, in texels. */
export const WEIGHTS_WIDTH = 1024;

export const groups4 = (n: number) => Math.ceil(n / 4);

/** Plane [H, W, C] (channels last) -> [layer][H][W][4], same element type (half bits or float). */
export function planeLayers<T extends PlaneData>(data: T, H: number, W: number, C: number): T {
  const L = groups4(C);
  const out = new (data.constructor as { new (n: number): T })(L * H * W * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const src = (y * W + x) * C;
      for (let c = 0; c < C; c++) out[((Math.floor(c / 4) * H + y) * W + x) * 4 + (c % 4)] = data[src + c];
    }
  }
  return out;
}

export interface LinesTexture {
  data: Float32Array;
  width: number;
  height: number;
}

/** Every density and appearance line in one texture (rows as the header says). */
export function linesTexture(s: ModelSnapshot): LinesTexture {
  const DC4 = groups4(s.densityComps);
  const AC4 = groups4(s.appComps);
  const { width, height } = linesTextureSize(s);
  const data = new Float32Array(width * height * 4);
  const put = (line: Float32Array, L: number, C: number, row0: number) => {
    for (let i = 0; i < L; i++) for (let c = 0; c < C; c++) data[((row0 + Math.floor(c / 4)) * width + i) * 4 + (c % 4)] = line[i * C + c];
  };
  for (let p = 0; p < 3; p++) {
    const L = s.reso[VEC_MODE[p]];
    put(s.densityLines[p], L, s.densityComps, p * DC4);
    put(s.appLines[p], L, s.appComps, 3 * DC4 + p * AC4);
  }
  return { data, width, height };
}

export interface WeightsLayout {
  /** First texel of each matrix or bias: basis, w1, b1, w2, b2, w3, b3. */
  basis: number;
  w: number[];
  b: number[];
  /** Texels per row (ceil(out/4)) of basis, layer 1, 2, 3. */
  basisRow: number;
  rows: number[];
  texels: number;
}

export function weightsLayout(s: ModelSnapshot): WeightsLayout {
  const d = s.decoder;
  const Z = hiddenColumns(d);
  const D0 = decoderInputDim(s.appDim, d.fePe, d.viewPe);
  const shapes: [number, number][] = [
    [D0, Z],
    [d.width, Z],
    [d.width, 3],
  ];
  let at = 0;
  const basis = at;
  const basisRow = groups4(s.appDim);
  at += 3 * s.appComps * basisRow;
  const w: number[] = [];
  const b: number[] = [];
  const rows: number[] = [];
  for (const [fanIn, fanOut] of shapes) {
    const r = groups4(fanOut);
    rows.push(r);
    w.push(at);
    at += fanIn * r;
    b.push(at);
    at += r;
  }
  return { basis, w, b, basisRow, rows, texels: at };
}

/** The basis matrix and decoder weights as texels (see weightsLayout), width WEIGHTS_WIDTH. */
export function weightsTexture(s: ModelSnapshot): { data: Float32Array; width: number; height: number; layout: WeightsLayout } {
  const layout = weightsLayout(s);
  const height = Math.max(1, Math.ceil(layout.texels / WEIGHTS_WIDTH));
  const data = new Float32Array(WEIGHTS_WIDTH * height * 4);
  const put = (m: Float32Array, fanIn: number, fanOut: number, base: number) => {
    const r = groups4(fanOut);
    for (let i = 0; i < fanIn; i++)
      for (let j = 0; j < fanOut; j++) data[(base + i * r + Math.floor(j / 4)) * 4 + (j % 4)] = m[i * fanOut + j];
  };
  put(s.basis, 3 * s.appComps, s.appDim, layout.basis);
  const d = s.decoder;
  const Z = hiddenColumns(d);
  const D0 = decoderInputDim(s.appDim, d.fePe, d.viewPe);
  const [w1, b1, w2, b2, w3, b3] = s.decoderWeights;
  put(w1, D0, Z, layout.w[0]);
  put(b1, 1, Z, layout.b[0]);
  put(w2, d.width, Z, layout.w[1]);
  put(b2, 1, Z, layout.b[1]);
  put(w3, d.width, 3, layout.w[2]);
  put(b3, 1, 3, layout.b[2]);
  return { data, width: WEIGHTS_WIDTH, height, layout };
}

/** Texture sizes the model needs, to hold against the context's limits. */
export function textureNeeds(s: ModelSnapshot): { side: number; layers: number; side3d: number } {
  const planeSides = MAT_MODE.flatMap(([a, b]) => [s.reso[a], s.reso[b]]);
  const lines = linesTextureSize(s);
  const weights = Math.ceil(weightsLayout(s).texels / WEIGHTS_WIDTH);
  return {
    side: Math.max(...planeSides, lines.width, lines.height, WEIGHTS_WIDTH, weights),
    layers: groups4(Math.max(s.densityComps, s.appComps)),
    side3d: s.mask ? Math.max(...s.mask.reso) : 1,
  };
}

function linesTextureSize(s: ModelSnapshot): { width: number; height: number } {
  return { width: Math.max(...VEC_MODE.map((a) => s.reso[a])), height: 3 * (groups4(s.densityComps) + groups4(s.appComps)) };
}
