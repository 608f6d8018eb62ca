/**
 * The fused decoder (fused-cpu.ts's maths) with its layers resident in this thread's WebAssembly
 * memory (kernels/wasm-arena.ts): the forward of a thread's rows builds the input straight into
 * the arena, runs the SIMD GEMMs there and keeps x0, z1, h1, z2, h2 in place for the backward of
 * the same rows; nothing is copied in or out per GEMM. Every matrix is stored with its columns
 * padded to a multiple of 8 and its rows to a multiple of 4 (zeros, which add nothing), so the
 * kernels see the same sums as fused-cpu.ts's padded copies: the results are the same bits, which
 * the tests check.
 */
import { type WasmArena, wasmArena } from '../kernels/wasm-arena';
import {
  activate,
  activationGrad,
  buildInput,
  colSum,
  sigm,
  type DecoderWeights,
  type FusedSpec,
  type HiddenActivation,
} from './fused-cpu';

const c8 = (x: number) => Math.ceil(x / 8) * 8;
const c4 = (x: number) => Math.ceil(x / 4) * 4;

interface Layout {
  D0p: number;
  Z1p: number;
  Hp: number;
  Z2p: number;
}

/** What the forward of this thread left in its arena for the backward. */
interface Resident {
  id: number;
  lo: number;
  hi: number;
  mp: number;
  L: Layout;
  x0: number;
  z1: number;
  h1: number;
  z2: number;
  h2: number;
  /** Arena mark above the resident layers (the backward's temporaries go there). */
  top: number;
  head: ResidentHead | null;
}

/** The appearance head's resident regions: products a [mp, Pp], features f [mp, Fp]; the basis [P, F]. */
interface ResidentHead {
  P: number;
  Pp: number;
  Fp: number;
  a: number;
  f: number;
  basis: Float32Array;
}

let resident: Resident | null = null;

/** True where the SIMD kernels (and so this path) are available. */
export function wasmDecoderAvailable(): boolean {
  return wasmArena() !== null;
}

/** Copies w [rows, cols] into an arena region [rp, cp] (zero padded), transposed when asked. */
function place(A: WasmArena, w: Float32Array, rows: number, cols: number, rp: number, cp: number, transpose: boolean): number {
  const off = A.alloc(rp * cp);
  const v = A.f32(off, rp * cp);
  v.fill(0);
  if (!transpose) for (let r = 0; r < rows; r++) v.set(w.subarray(r * cols, r * cols + cols), r * cp);
  else for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) v[c * cp + r] = w[r * cols + c];
  return off;
}

/**
 * A layer's bias and activation on its [rows, zs] pre-activations z (in place) into h [rows, hs]:
 * relu in the SIMD kernel (bias_relu, h shaped as z), the others as JS loops after bias_add.
 */
function layerEpilogue(
  A: WasmArena,
  act: HiddenActivation,
  z: number,
  b: number,
  h: number,
  rows: number,
  zs: number,
  hs: number,
  k: number,
): void {
  if (act.kind === 'relu' && zs === hs) {
    A.biasRelu(z, b, h, rows, zs);
    return;
  }
  A.biasAdd(z, b, rows, zs);
  activate(act, A.f32(z, rows * zs), zs, A.f32(h, rows * hs), hs, k, rows);
}

/** dz [rows, zs] from dh [rows, hs] and z: relu in the SIMD kernel (relu_grad), the others in JS. */
function layerGrad(
  A: WasmArena,
  act: HiddenActivation,
  z: number,
  dh: number,
  dz: number,
  rows: number,
  zs: number,
  hs: number,
  k: number,
): void {
  if (act.kind === 'relu' && zs === hs) {
    A.reluGrad(z, dh, dz, rows * zs);
    return;
  }
  activationGrad(act, A.f32(z, rows * zs), A.f32(dh, rows * hs), A.f32(dz, rows * zs), zs, hs, k, rows);
}

/** The [rows, cols] top-left block of a [*, stride] region, into out. */
function unpad(v: Float32Array, rows: number, cols: number, stride: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) out.set(v.subarray(r * stride, r * stride + cols), r * cols);
}

/**
 * The appearance head in front of the decoder (optional): features f = a basis, with a [n, P] the
 * appearance products and basis [P, F], computed per row in the arena like the layers.
 */
export interface BasisHead {
  a: Float32Array;
  basis: Float32Array;
  P: number;
}

/**
 * The forward of rows lo..hi-1 into out [n, 3]: of features f [n, F], or of the head's products
 * when `head` is given (f is then not read). The layers stay in this thread's arena for
 * `wasmDecoderBackward` with the same id and rows.
 */
export function wasmDecoderForward(
  spec: FusedSpec,
  w: DecoderWeights,
  f: Float32Array,
  d: Float32Array,
  out: Float32Array,
  lo: number,
  hi: number,
  id: number,
  head?: BasisHead,
): void {
  const A = wasmArena();
  if (!A) throw new Error('fused decoder: WebAssembly SIMD is not available');
  A.release(0);
  resident = null;
  const m = Math.max(0, hi - lo);
  const mp = c4(Math.max(m, 1));
  const { F, D0, Z1c, H, Z2c } = w;
  const L: Layout = { D0p: c8(D0), Z1p: c8(Z1c), Hp: c8(H), Z2p: c8(Z2c) };
  const [w1, b1, w2, b2, w3, b3] = w.w;
  const w1o = place(A, w1, D0, Z1c, L.D0p, L.Z1p, false);
  const w2o = place(A, w2, H, Z2c, L.Hp, L.Z2p, false);
  const w3o = place(A, w3, H, 3, L.Hp, 8, false);
  const b1o = place(A, b1, 1, Z1c, 1, L.Z1p, false);
  const b2o = place(A, b2, 1, Z2c, 1, L.Z2p, false);
  let h: ResidentHead | null = null;
  if (head) {
    const Pp = c8(head.P);
    const Fp = c8(F);
    h = {
      P: head.P,
      Pp,
      Fp,
      a: A.alloc(mp * Pp),
      f: A.alloc(mp * Fp),
      basis: head.basis,
    };
    const basisO = place(A, head.basis, head.P, F, Pp, Fp, false);
    const Av = A.f32(h.a, mp * Pp);
    Av.fill(0);
    for (let q = 0; q < m; q++) Av.set(head.a.subarray((lo + q) * head.P, (lo + q + 1) * head.P), q * Pp);
    A.f32(h.f, mp * Fp).fill(0);
    A.mm(h.a, basisO, h.f, mp, Pp, Fp);
  }
  const x0 = A.alloc(mp * L.D0p);
  const z1 = A.alloc(mp * L.Z1p);
  const h1 = A.alloc(mp * L.Hp);
  const z2 = A.alloc(mp * L.Z2p);
  const h2 = A.alloc(mp * L.Hp);
  const top = A.mark();
  const z3 = A.alloc(mp * 8);
  const X0 = A.f32(x0, mp * L.D0p);
  X0.fill(0);
  const fSrc = h ? A.f32(h.f, mp * h.Fp) : f;
  const layout = { stride: L.D0p, base: lo, fStride: h ? h.Fp : F, fBase: h ? lo : 0 };
  buildInput(fSrc, d, hi, F, spec.fePe, spec.viewPe, X0, lo, hi, layout);
  A.f32(z1, mp * L.Z1p).fill(0);
  A.mm(x0, w1o, z1, mp, L.D0p, L.Z1p);
  layerEpilogue(A, spec.act, z1, b1o, h1, mp, L.Z1p, L.Hp, H);
  A.f32(z2, mp * L.Z2p).fill(0);
  A.mm(h1, w2o, z2, mp, L.Hp, L.Z2p);
  layerEpilogue(A, spec.act, z2, b2o, h2, mp, L.Z2p, L.Hp, H);
  const Z3 = A.f32(z3, mp * 8);
  Z3.fill(0);
  A.mm(h2, w3o, z3, mp, L.Hp, 8);
  for (let q = 0; q < m; q++) for (let c = 0; c < 3; c++) out[3 * (lo + q) + c] = sigm(Math.fround(Z3[8 * q + c] + b3[c]));
  A.release(top);
  resident = { id, lo, hi, mp, L, x0, z1, h1, z2, h2, top, head: h };
}

/**
 * The backward of the rows of the forward `id` on this thread, from dL/dout g [n, 3]: the weight
 * gradient sums of those rows into `partial` ([dw1, db1, dw2, db2, dw3, db3] flat, then dbasis
 * with a head), and dL/df of those rows into df [n, F], or with a head dL/da into df [n, P].
 */
export function wasmDecoderBackward(
  spec: FusedSpec,
  w: DecoderWeights,
  out: Float32Array,
  g: Float32Array,
  df: Float32Array,
  partial: Float32Array,
  lo: number,
  hi: number,
  id: number,
): void {
  const A = wasmArena();
  const R = resident;
  if (!A || !R || R.id !== id || R.lo !== lo || R.hi !== hi)
    throw new Error('fused decoder: no forward of these rows on this thread to differentiate');
  const m = Math.max(0, hi - lo);
  const { mp, L } = R;
  const { F, D0, Z1c, H, Z2c } = w;
  const sizes = [...w.w.map((x) => x.length), ...(R.head ? [R.head.P * F] : [])];
  const offs = sizes.map((_, i) => sizes.slice(0, i).reduce((a, c) => a + c, 0));
  const at = (i: number) => partial.subarray(offs[i], offs[i] + sizes[i]);
  A.release(R.top);
  // the transposed weights only a backward needs (a render without gradients never builds them)
  const [w1, , w2, , w3] = w.w;
  const w1t = place(A, w1, D0, Z1c, L.Z1p, L.D0p, true);
  const w2t = place(A, w2, H, Z2c, L.Z2p, L.Hp, true);
  const w3t = place(A, w3, H, 3, 8, L.Hp, true);
  const basisT = R.head ? place(A, R.head.basis, R.head.P, F, R.head.Fp, R.head.Pp, true) : 0;
  const dz3 = A.alloc(mp * 8);
  const dh = A.alloc(mp * L.Hp);
  const dz2 = A.alloc(mp * L.Z2p);
  const dz1 = A.alloc(mp * L.Z1p);
  const dx0 = A.alloc(mp * L.D0p);
  const dW = A.alloc(Math.max(L.D0p * L.Z1p, L.Hp * L.Z2p, L.Hp * 8, R.head ? R.head.Pp * R.head.Fp : 0));
  const DZ3 = A.f32(dz3, mp * 8);
  DZ3.fill(0);
  for (let q = 0; q < m; q++)
    for (let c = 0; c < 3; c++) {
      const o = out[3 * (lo + q) + c];
      DZ3[8 * q + c] = g[3 * (lo + q) + c] * o * (1 - o);
    }
  /** dW [rows, cols] = A^T dZ over this thread's rows (A [mp, rp], dZ [mp, cp]); db = column sums of dZ. */
  const weightGrad = (a: number, b: number, rows: number, rp: number, cols: number, cp: number, wi: number, bi: number) => {
    A.f32(dW, rp * cp).fill(0);
    A.mmTa(a, b, dW, rp, mp, cp);
    unpad(A.f32(dW, rp * cp), rows, cols, cp, at(wi));
    if (bi >= 0) colSum(A.f32(b, mp * cp), mp, cp, cols, at(bi));
  };
  weightGrad(R.h2, dz3, H, L.Hp, 3, 8, 4, 5);
  A.f32(dh, mp * L.Hp).fill(0);
  A.mm(dz3, w3t, dh, mp, 8, L.Hp);
  layerGrad(A, spec.act, R.z2, dh, dz2, mp, L.Z2p, L.Hp, H);
  weightGrad(R.h1, dz2, H, L.Hp, Z2c, L.Z2p, 2, 3);
  A.f32(dh, mp * L.Hp).fill(0);
  A.mm(dz2, w2t, dh, mp, L.Z2p, L.Hp);
  layerGrad(A, spec.act, R.z1, dh, dz1, mp, L.Z1p, L.Hp, H);
  weightGrad(R.x0, dz1, D0, L.D0p, Z1c, L.Z1p, 0, 1);
  A.f32(dx0, mp * L.D0p).fill(0);
  A.mm(dz1, w1t, dx0, mp, L.Z1p, L.D0p);
  const hd = R.head;
  // dL/df: to df [n, F] directly, or with a head to an arena region [mp, Fp] first
  const dfHead = hd ? A.alloc(mp * hd.Fp) : 0;
  const dfView = hd ? A.f32(dfHead, mp * hd.Fp) : df;
  if (hd) dfView.fill(0);
  const DX0 = A.f32(dx0, mp * L.D0p);
  const X0 = A.f32(R.x0, mp * L.D0p);
  const fe = spec.fePe;
  for (let q = 0; q < m; q++) {
    const r = lo + q;
    const o = q * L.D0p;
    const sOff = o + F + 3;
    const cOff = sOff + F * fe;
    const fo = hd ? q * hd.Fp : r * F;
    for (let i = 0; i < F; i++) {
      let acc = DX0[o + i];
      for (let k = 0; k < fe; k++) {
        const j = i * fe + k; // the forward's sin and cos of f 2^k are in x0: no trigonometry here
        acc += 2 ** k * (DX0[sOff + j] * X0[o + F + 3 + F * fe + j] - DX0[cOff + j] * X0[o + F + 3 + j]);
      }
      dfView[fo + i] = acc;
    }
  }
  if (hd) {
    weightGrad(hd.a, dfHead, hd.P, hd.Pp, F, hd.Fp, 6, -1);
    const da = A.alloc(mp * hd.Pp);
    A.f32(da, mp * hd.Pp).fill(0);
    A.mm(dfHead, basisT, da, mp, hd.Fp, hd.Pp);
    const DA = A.f32(da, mp * hd.Pp);
    for (let q = 0; q < m; q++) df.set(DA.subarray(q * hd.Pp, q * hd.Pp + hd.P), (lo + q) * hd.P);
  }
  A.release(R.top);
}
