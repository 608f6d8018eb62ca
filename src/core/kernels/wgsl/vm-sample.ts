/**
 * WGSL sources of the fused VM factor-sampling kernels (TensoRF's plane x line sampling, the numbers
 * of vmSampleTf in render/ops-tf.ts), for the tfjs-backend-webgpu programs run by
 * kernels/webgpu-vm.ts. Each builder returns the program's user code (tfjs prepends the buffer
 * bindings, the shape uniforms and `_start`, which calls `main(index)` with the flat thread index)
 * and the names of the extra i32 uniforms, which the glue passes in the same order.
 *
 * Nothing size-dependent is written into the sources: plane, line and sample counts come from
 * tfjs's shape uniforms or from the extra uniforms, so a pipeline that tfjs caches under the key
 * made from (kernel, mode, valid or not) is right for every later shape. The pair axes
 * (MAT_MODE / VEC_MODE) are constants of the model, not sizes.
 *
 * Gradients are scattered with 64-bit fixed-point atomics built from two i32 atomicAdds (low word,
 * then high word plus the low word's carry), not with float compare-and-swap loops. Integer sums
 * are exact and order-independent, so the result is deterministic; overflow is excluded by the
 * scale, derived on the device from a bound M >= |one contribution / weight| (max|dy| times the max
 * |factor| of the other kind, see webgpu-vm.ts) and the sample count S <= 2^sBits:
 *
 *   scale = 2^e,  e = clamp(60 - sBits - mExp, -120, 120),  M < 2^mExp  (mExp from M's exponent bits)
 *
 * Every texel-channel gets at most S contributions, each |round(x * scale)| <= 2^(60 - sBits) + 1/2
 * (the clamp only binds when M < 2^-(60 + sBits) or M > 2^128), so every sum stays below
 * 2^60 + 2^sBits < 2^63: no sum can overflow. Error bound: each contribution is rounded to a
 * multiple of q = 2^-e < 4 S M 2^-60, so a gradient entry that k samples touch is off by at most
 * k q / 2 < 2 k S M 2^-60 from the exact sum of the float32 contributions (S = 2^21, k = S: 2^-17 M,
 * against sums up to k M; typical k of hundreds: ~1e-10 M), plus one float32 rounding when the
 * 64-bit sum is converted back (relative 2^-23). Held by test/core/kernels/webgpu-vm.test.ts.
 */
import { MAT_MODE, VEC_MODE } from '../../field/geometry';

export type VMSampleMode = 'sum' | 'products';

export interface KernelSource {
  /** Extra i32 uniforms the program declares after tfjs's own, in this order. */
  uniformNames: readonly string[];
  /** WGSL user code, with `fn main(index : i32)`. */
  code: string;
}

/** Threads per workgroup of every program here. */
export const WORKGROUP_SIZE = 64;

/** Aligned-corner tap, exactly as axisTapTf (ops-tf.ts). */
const TAP = /* wgsl */ `
struct Tap { i0 : i32, f : f32 };
// px = clamp((x + 1) * 0.5 (n - 1), 0, n - 1), i0 = min(floor(px), n - 2), f = px - i0.
fn axisTap(x : f32, n : i32) -> Tap {
  let last = f32(n - 1);
  let px = clamp((x + 1.0) * (0.5 * last), 0.0, last);
  let i0 = min(floor(px), f32(n - 2));
  return Tap(i32(i0), px - i0);
}
`;

/** The fixed-point scale (see the header) and its 64-bit atomic add and read-back. */
const FIXED = /* wgsl */ `
// 2^e for e in [-126, 127], exact.
fn pow2(e : i32) -> f32 { return bitcast<f32>(u32(e + 127) << 23u); }
// e of scale = 2^e for a contribution bound M >= 0: M < 2^mExp with mExp from M's exponent bits
// (M = 0 or subnormal: mExp = -126).
fn fixedExponent(bound : f32) -> i32 {
  let mExp = i32((bitcast<u32>(bound) >> 23u) & 0xffu) - 126;
  return clamp(60 - uniforms.sBits - mExp, -120, 120);
}
`;

const ADD_FIXED = /* wgsl */ `
// Adds round(x) to the 64-bit two's complement integer at result[2i] (low word), result[2i+1]
// (high word). |x| < 2^62. The split of |x| into words is exact in f32 (|x| has 24 significant
// bits); the sign is applied with u32 arithmetic, which wraps.
fn addFixed(i : i32, x : f32) {
  let r = round(x);
  if (r == 0.0) { return; }
  let a = abs(r);
  let hiF = floor(a * 2.3283064365386963e-10);
  var lo = u32(a - hiF * 4294967296.0);
  var hi = u32(hiF);
  if (r < 0.0) {
    lo = ~lo + 1u;
    hi = ~hi + select(0u, 1u, lo == 0u);
  }
  let old = bitcast<u32>(atomicAdd(&result[2 * i], bitcast<i32>(lo)));
  let hiAdd = hi + select(0u, 1u, old + lo < lo);
  if (hiAdd != 0u) { atomicAdd(&result[2 * i + 1], bitcast<i32>(hiAdd)); }
}
`;

/** Line p's offset (floats) in the flat concatenation of the three [L_p, C] lines. */
function lineOffset(p: number): string {
  return ['0', 'uniforms.lineLen0 * C', '(uniforms.lineLen0 + uniforms.lineLen1) * C'][p];
}

/** Taps and plane / line base indices of pair p at sample s (inputs plane0..2, lines, coords). */
function pairTaps(p: number): string {
  const [ax, ay] = MAT_MODE[p];
  return `
  let H = uniforms.plane${p}Shape.x;
  let W = uniforms.plane${p}Shape.y;
  let tx = axisTap(coords[s * 3 + ${ax}], W);
  let ty = axisTap(coords[s * 3 + ${ay}], H);
  let tl = axisTap(coords[s * 3 + ${VEC_MODE[p]}], uniforms.lineLen${p});
  let wx1 = tx.f; let wx0 = 1.0 - wx1; let wy1 = ty.f; let wy0 = 1.0 - wy1;
  let w00 = wy0 * wx0; let w01 = wy0 * wx1; let w10 = wy1 * wx0; let w11 = wy1 * wx1;
  let wl1 = tl.f; let wl0 = 1.0 - wl1;
  let row = W * C;
  let pb = (ty.i0 * W + tx.i0) * C;
  let lb = ${lineOffset(p)} + tl.i0 * C;`;
}

/** plane_p[c] * line_p[c] at the taps of pairTaps (row order as vmSampleTf's gather). */
function pairProduct(p: number, c: string): string {
  return `(plane${p}[pb + ${c}] * w00 + plane${p}[pb + C + ${c}] * w01 + plane${p}[pb + row + ${c}] * w10 + plane${p}[pb + row + C + ${c}] * w11)
      * (lines[lb + ${c}] * wl0 + lines[lb + C + ${c}] * wl1)`;
}

/**
 * Forward. Inputs plane0, plane1, plane2 ([H, W, C]), lines (the three [L_p, C] lines
 * concatenated, flat), coords [S, 3], and with `hasValid` valid [S].
 *   'sum':      one thread per sample, result[s] = valid * sum_p sum_c plane * line
 *   'products': one thread per (p, s, c), in that order (so a workgroup reads one pair's buffers),
 *               result[s * 3C + p * C + c] = valid * plane * line
 */
export function vmForwardSource(mode: VMSampleMode, hasValid: boolean): KernelSource {
  const uniformNames = ['threads', 'lineLen0', 'lineLen1', 'lineLen2'];
  const pairs = [0, 1, 2];
  const validOf = hasValid ? 'valid[s]' : '1.0';
  let body: string;
  let fns: string;
  if (mode === 'sum') {
    fns = pairs
      .map(
        (p) => `
fn pairSum${p}(s : i32) -> f32 {
  let C = uniforms.plane0Shape.z;${pairTaps(p)}
  var acc = 0.0;
  for (var c = 0; c < C; c = c + 1) {
    acc = acc + ${pairProduct(p, 'c')};
  }
  return acc;
}`,
      )
      .join('\n');
    body = `
  let s = index;
  let v = ${validOf};
  if (v == 0.0) { result[s] = 0.0; return; }
  result[s] = (pairSum0(s) + pairSum1(s) + pairSum2(s)) * v;`;
  } else {
    fns = pairs
      .map(
        (p) => `
fn pairProduct${p}(s : i32, c : i32) -> f32 {
  let C = uniforms.plane0Shape.z;${pairTaps(p)}
  return ${pairProduct(p, 'c')};
}`,
      )
      .join('\n');
    body = `
  let C = uniforms.plane0Shape.z;
  let S = uniforms.coordsShape.x;
  let p = index / (S * C);
  let rest = index - p * (S * C);
  let s = rest / C;
  let c = rest - s * C;
  let dst = s * (3 * C) + p * C + c;
  let v = ${validOf};
  if (v == 0.0) { result[dst] = 0.0; return; }
  var x = 0.0;
  if (p == 0) { x = pairProduct0(s, c); } else if (p == 1) { x = pairProduct1(s, c); } else { x = pairProduct2(s, c); }
  result[dst] = x * v;`;
  }
  return {
    uniformNames,
    code: `${TAP}${fns}
fn main(index : i32) {
  if (index >= uniforms.threads) { return; }${body}
}
`,
  };
}

/**
 * Backward of one pair, scattering into one factor's 64-bit fixed-point accumulator (the result,
 * [2 * size] i32, zero on entry). One thread per (s, c) of the pair. Inputs dy ([S] for 'sum',
 * [S, 3C] for 'products'), coords [S, 3], with `hasValid` valid [S], `other` (the pair's factor of
 * the other kind: the line [L, C] for target 'plane', the plane [H, W, C] for target 'line') and
 * bounds [2] (contribution bounds for plane and line gradients). Uniforms give the pair's sizes and
 * axes, so one pipeline serves the three pairs.
 *   target 'plane': acc[(y, x, c)] += dy * valid * line(c) * bilinear weight of the texel
 *   target 'line':  acc[(l, c)]    += dy * valid * plane(c) * linear weight of the texel
 */
export function vmGradSource(mode: VMSampleMode, hasValid: boolean, target: 'plane' | 'line'): KernelSource {
  const uniformNames = ['threads', 'sBits', 'pair', 'channels', 'height', 'width', 'lineLen', 'axisX', 'axisY', 'axisL'];
  const dyIndex = mode === 'sum' ? 's' : 's * (3 * C) + uniforms.pair * C + c';
  const valid = hasValid
    ? `
  let v = valid[s];
  if (v == 0.0) { return; }
  let d = dy[${dyIndex}] * v;`
    : `
  let d = dy[${dyIndex}];`;
  const scatter =
    target === 'plane'
      ? `
  let g = d * (other[lb] * wl0 + other[lb + C] * wl1);
  let scale = pow2(fixedExponent(bounds[0]));
  addFixed(pb, (g * w00) * scale);
  addFixed(pb + C, (g * w01) * scale);
  addFixed(pb + row, (g * w10) * scale);
  addFixed(pb + row + C, (g * w11) * scale);`
      : `
  let g = d * (other[pb] * w00 + other[pb + C] * w01 + other[pb + row] * w10 + other[pb + row + C] * w11);
  let scale = pow2(fixedExponent(bounds[1]));
  addFixed(lb, (g * wl0) * scale);
  addFixed(lb + C, (g * wl1) * scale);`;
  return {
    uniformNames,
    code: `${TAP}${FIXED}${ADD_FIXED}
fn main(index : i32) {
  if (index >= uniforms.threads) { return; }
  let C = uniforms.channels;
  let s = index / C;
  let c = index - s * C;${valid}
  if (d == 0.0) { return; }
  let W = uniforms.width;
  let tx = axisTap(coords[s * 3 + uniforms.axisX], W);
  let ty = axisTap(coords[s * 3 + uniforms.axisY], uniforms.height);
  let tl = axisTap(coords[s * 3 + uniforms.axisL], uniforms.lineLen);
  let wx1 = tx.f; let wx0 = 1.0 - wx1; let wy1 = ty.f; let wy0 = 1.0 - wy1;
  let w00 = wy0 * wx0; let w01 = wy0 * wx1; let w10 = wy1 * wx0; let w11 = wy1 * wx1;
  let wl1 = tl.f; let wl0 = 1.0 - wl1;
  let row = W * C;
  let pb = (ty.i0 * W + tx.i0) * C + c;
  let lb = tl.i0 * C + c;${scatter}
}
`,
  };
}

/**
 * Read-back of a fixed-point accumulator: inputs acc [2N] i32 (low, high words) and bounds [2];
 * result[i] = (64-bit integer) * 2^-e, with e from bounds[which] as in the scatter.
 */
export function fixedDecodeSource(): KernelSource {
  return {
    uniformNames: ['threads', 'sBits', 'which'],
    code: `${FIXED}
fn main(index : i32) {
  if (index >= uniforms.threads) { return; }
  let lo = bitcast<u32>(acc[2 * index]);
  let hi = bitcast<u32>(acc[2 * index + 1]);
  let neg = (hi >> 31u) == 1u;
  var l = lo;
  var h = hi;
  if (neg) {
    l = ~lo + 1u;
    h = ~hi + select(0u, 1u, l == 0u);
  }
  let mag = f32(h) * 4294967296.0 + f32(l);
  result[index] = select(mag, -mag, neg) * pow2(-fixedExponent(bounds[uniforms.which]));
}
`,
  };
}
