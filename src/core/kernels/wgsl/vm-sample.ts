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
 * Gradients are scattered as 64-bit fixed-point integers (low and high i32 words) with i32
 * atomicAdd, not with float compare-and-swap loops; integer sums are exact and order-independent,
 * so the gradients are deterministic. The scale is a power of two taken on the device (no read-back)
 * from a bound M >= |contribution / weight|: max|dy * valid| times the max |factor| of the other
 * kind (maxAbsSource, run by webgpu-vm.ts):
 *
 *   scale = 2^e,  e = clamp(32 - mExp, -126, 126),  M < 2^mExp  (mExp from M's exponent bits)
 *
 * so every rounded contribution has |round(x)| <= 2^32 (to float32 rounding) and its high word
 * is 0 (x >= 0) or -1 (x < 0), rarely 1 or -2. The low word is added first; the high-word atomic
 * runs only when the low word's carry does not cancel it (the low word wraps for x > 0, fails to
 * wrap for x < 0), i.e. for about |x| / 2^32 of the contributions: mostly one atomic per
 * contribution (always two, with the scale set for 2^60 of headroom, made the backward 2-2.5x
 * slower on lavapipe). The clamp binds only for M < 2^-94, where M 2^126 < 2^32 still. Overflow: a
 * gradient entry gets at most S contributions (one per sample), so |sum| <= S 2^32 < 2^63 for
 * every S < 2^31 (webgpu-vm.ts checks 3 S C < 2^31).
 *
 * Error bound: each contribution is rounded to a multiple of q = 2^-e = 2^(mExp - 32) <= M 2^-31,
 * so an entry with k contributions is off by at most k q / 2 <= k M 2^-32 from the exact sum of the
 * float32 contributions (for M >= 2^-126), plus the float32 rounding of the result when it is read
 * back (relative 2^-23). That is below the float32 rounding of the contribution itself for every
 * contribution above M / 256; a float32 accumulator instead rounds each add relative to the
 * running sum, in an order that changes from run to run. Held by test/core/kernels/webgpu-vm.test.ts.
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

/** The fixed-point scale (see the header), from the bounds input (max |.| as float bits, i32 [3]). */
const FIXED = /* wgsl */ `
// 2^e for e in [-126, 127], exact (scale and 1 / scale are both normal floats).
fn pow2(e : i32) -> f32 { return bitcast<f32>(u32(e + 127) << 23u); }
// M for plane gradients (which = 0: max|dy valid| max|line|) or line gradients (1: ... max|plane|).
fn contributionBound(which : i32) -> f32 { return bitcast<f32>(bounds[0]) * bitcast<f32>(bounds[1 + which]); }
// e of scale = 2^e: M < 2^mExp, mExp from M's exponent bits (M = 0 or subnormal: mExp = -126).
fn fixedExponent(which : i32) -> i32 {
  let mExp = i32((bitcast<u32>(contributionBound(which)) >> 23u) & 0xffu) - 126;
  return clamp(32 - mExp, -126, 126);
}
`;

const ADD_FIXED = /* wgsl */ `
// Adds round(x) to the 64-bit two's complement integer at result[2i] (low word), result[2i+1]
// (high word). The split of |x| into words is exact in f32 (|x| has 24 significant bits; with the
// scale above the high part is 0 or, rarely, 1); the sign is applied with u32 arithmetic, which
// wraps; the high word is touched only when its total change (high part + carry) is not 0.
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
  let tx = axisTap(f32(coords[s * 3 + ${ax}]), W);
  let ty = axisTap(f32(coords[s * 3 + ${ay}]), H);
  let tl = axisTap(f32(coords[s * 3 + ${VEC_MODE[p]}]), uniforms.lineLen${p});
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
 * concatenated, flat), coords [S, 3], and with `hasValid` valid [S]. A thread computes the taps of
 * a sample once and loops over the channels (on lavapipe the cost is mostly per workgroup, so a
 * thread per output value is many times slower):
 *   'sum':      one thread per sample, result[s] = valid * sum_p sum_c plane * line
 *   'products': one thread per (p, s), in that order (a workgroup reads one pair's buffers),
 *               result[s * 3C + p * C + c] = valid * plane * line for every c
 */
export function vmForwardSource(mode: VMSampleMode, hasValid: boolean): KernelSource {
  const uniformNames = ['threads', 'lineLen0', 'lineLen1', 'lineLen2'];
  const pairs = [0, 1, 2];
  const validOf = hasValid ? 'f32(valid[s])' : '1.0';
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
fn pairProducts${p}(s : i32, v : f32) {
  let C = uniforms.plane0Shape.z;${pairTaps(p)}
  let dst = s * (3 * C) + ${p} * C;
  for (var c = 0; c < C; c = c + 1) {
    result[dst + c] = ${pairProduct(p, 'c')} * v;
  }
}`,
      )
      .join('\n');
    body = `
  let C = uniforms.plane0Shape.z;
  let S = uniforms.coordsShape.x;
  let p = index / S;
  let s = index - p * S;
  let v = ${validOf};
  if (v == 0.0) {
    let dst = s * (3 * C) + p * C;
    for (var c = 0; c < C; c = c + 1) { result[dst + c] = 0.0; }
    return;
  }
  if (p == 0) { pairProducts0(s, v); } else if (p == 1) { pairProducts1(s, v); } else { pairProducts2(s, v); }`;
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
 * [2 * size] i32, zero on entry). One thread per sample, looping over the channels. Inputs dy ([S]
 * for 'sum', [S, 3C] for 'products'), coords [S, 3], with `hasValid` valid [S], `other` (the pair's
 * factor of the other kind: the line [L, C] for target 'plane', the plane [H, W, C] for target
 * 'line') and bounds (i32 [3], see FIXED). Uniforms give the
 * pair's sizes and axes, so one pipeline serves the three pairs.
 *   target 'plane': acc[(y, x, c)] += dy * valid * line(c) * bilinear weight of the texel
 *   target 'line':  acc[(l, c)]    += dy * valid * plane(c) * linear weight of the texel
 */
export function vmGradSource(mode: VMSampleMode, hasValid: boolean, target: 'plane' | 'line'): KernelSource {
  const uniformNames = ['threads', 'pair', 'channels', 'height', 'width', 'lineLen', 'axisX', 'axisY', 'axisL'];
  const v = hasValid ? 'f32(valid[s])' : '1.0';
  // 'sum': one dy per sample (hoisted); 'products': one per channel.
  const dyOf = mode === 'sum' ? 'ds' : `f32(dy[dyRow + c]) * v`;
  const perSample =
    mode === 'sum'
      ? `
  let ds = f32(dy[s]) * v;
  if (ds == 0.0) { return; }`
      : `
  let dyRow = s * (3 * C) + uniforms.pair * C;`;
  const scatter =
    target === 'plane'
      ? `
    let g = d * (other[lb + c] * wl0 + other[lb + C + c] * wl1);
    addFixed(pb + c, (g * w00) * scale);
    addFixed(pb + C + c, (g * w01) * scale);
    addFixed(pb + row + c, (g * w10) * scale);
    addFixed(pb + row + C + c, (g * w11) * scale);`
      : `
    let g = d * (other[pb + c] * w00 + other[pb + C + c] * w01 + other[pb + row + c] * w10 + other[pb + row + C + c] * w11);
    addFixed(lb + c, (g * wl0) * scale);
    addFixed(lb + C + c, (g * wl1) * scale);`;
  return {
    uniformNames,
    code: `${TAP}${FIXED}${ADD_FIXED}
fn main(index : i32) {
  if (index >= uniforms.threads) { return; }
  let s = index;
  let C = uniforms.channels;
  let v = ${v};
  if (v == 0.0) { return; }${perSample}
  let W = uniforms.width;
  let tx = axisTap(f32(coords[s * 3 + uniforms.axisX]), W);
  let ty = axisTap(f32(coords[s * 3 + uniforms.axisY]), uniforms.height);
  let tl = axisTap(f32(coords[s * 3 + uniforms.axisL]), uniforms.lineLen);
  let wx1 = tx.f; let wx0 = 1.0 - wx1; let wy1 = ty.f; let wy0 = 1.0 - wy1;
  let w00 = wy0 * wx0; let w01 = wy0 * wx1; let w10 = wy1 * wx0; let w11 = wy1 * wx1;
  let wl1 = tl.f; let wl0 = 1.0 - wl1;
  let row = W * C;
  let pb = (ty.i0 * W + tx.i0) * C;
  let lb = tl.i0 * C;
  let scale = pow2(fixedExponent(${target === 'plane' ? 0 : 1}));
  for (var c = 0; c < C; c = c + 1) {
    let d = ${dyOf};${scatter}
  }
}
`,
  };
}

/**
 * Read-back of a fixed-point accumulator: inputs acc [2N] i32 (low, high words) and bounds;
 * result[i] = (64-bit integer) * 2^-e, with e for bound `which` as in the scatter.
 */
export function fixedDecodeSource(): KernelSource {
  return {
    uniformNames: ['threads', 'which'],
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
  result[index] = select(mag, -mag, neg) * pow2(-fixedExponent(uniforms.which));
}
`,
  };
}

/**
 * Folds max |x * valid| (valid[i / cols]; |x| without `hasValid`) of input x (n floats) into
 * result[slot] (atomic i32 [3] holding non-negative floats' bits, which order as integers).
 * Grid-stride loop over `threads` threads, a workgroup tree reduction, one atomicMax per workgroup.
 */
export function maxAbsSource(hasValid: boolean): KernelSource {
  const term = hasValid ? 'abs(f32(x[i]) * f32(valid[i / uniforms.cols]))' : 'abs(f32(x[i]))';
  return {
    uniformNames: ['threads', 'n', 'cols', 'slot'],
    code: `
var<workgroup> partial : array<f32, ${WORKGROUP_SIZE}>;
fn main(index : i32) {
  var m = 0.0;
  for (var i = index; i < uniforms.n; i = i + uniforms.threads) {
    m = max(m, ${term});
  }
  partial[localIndex] = m;
  workgroupBarrier();
  for (var k = ${WORKGROUP_SIZE / 2}u; k > 0u; k = k >> 1u) {
    if (localIndex < k) { partial[localIndex] = max(partial[localIndex], partial[localIndex + k]); }
    workgroupBarrier();
  }
  if (localIndex == 0u) { atomicMax(&result[uniforms.slot], bitcast<i32>(partial[0])); }
}
`,
  };
}
