/**
 * The VM sampling kernels (field/vm-kernels.ts) in WebAssembly SIMD, four components at a time in
 * float32 (vm-sample.wat): the same taps and formulas, summed in float32 where the plain kernels
 * sum in double, so they agree to float rounding (test/core/kernels/vm-wasm.test.ts). Each thread
 * has its own module instance and memory: a call copies the factors it reads into that memory,
 * fills the points' tap records there, runs the kernel and copies its results out. Like the plain
 * kernels, a forward computes each point the same way whatever range it is given, and a backward
 * sums each gradient entry over the points in point order whatever components it is given, so
 * the threaded kernels (parallel/vm.ts) give the same bits for any thread count.
 *
 * A forward given a nonzero `key` keeps the factors in memory for the next forward with the same
 * key (the march of one render chunk calls it round after round on unchanged factors); any other
 * call (key 0, or another key, or a backward) copies them again. A key must therefore name one
 * set of factor values: nextFactorsKey() gives a fresh one.
 */
import { MAT_MODE, VEC_MODE, type Vec3 } from '../field/geometry';
import { axisTap, type VMFactors, type VMMode } from '../field/vm-kernels';
import { VM_SAMPLE_WASM_BASE64 } from './vm-sample-wasm.generated';
import { instantiateKernels } from './wasm-arena';

interface VmExports {
  memory: WebAssembly.Memory;
  fwd_products: (plane: number, line: number, taps: number, out: number, n: number, C: number, rs: number, ostride: number) => void;
  fwd_sum: (plane: number, line: number, taps: number, out: number, n: number, C: number, rs: number) => void;
  bwd: (...args: number[]) => void;
}

let kernels: VmExports | null | undefined;

function vmKernels(): VmExports | null {
  if (kernels === undefined) kernels = instantiateKernels(VM_SAMPLE_WASM_BASE64) as unknown as VmExports | null;
  return kernels;
}

/** Whether the SIMD kernels run factors of `comps` components here (WebAssembly SIMD, comps a multiple of 4). */
export function wasmVmAvailable(comps: number): boolean {
  return comps % 4 === 0 && comps > 0 && vmKernels() !== null;
}

let lastKey = 0;
/** A key for a set of factor values that will not change while it is used (see the header). */
export function nextFactorsKey(): number {
  lastKey = (lastKey % 0x7fffffff) + 1;
  return lastKey;
}

/** Bump allocation in bytes (16-byte aligned) over this thread's module memory. */
let top = 0;
function alloc(k: VmExports, bytes: number): number {
  const off = top;
  top += Math.ceil(bytes / 16) * 16;
  const have = k.memory.buffer.byteLength;
  if (top > have) k.memory.grow(Math.ceil((top - have) / 65536));
  return off;
}
const f32At = (k: VmExports, off: number, n: number) => new Float32Array(k.memory.buffer, off, n);

/** The resident factors of the last keyed forward: their key, offsets and the end of their region. */
let resident = { key: 0, planes: [] as number[], lines: [] as number[], end: 0 };

function placeFactors(k: VmExports, f: VMFactors, key: number): { planes: number[]; lines: number[] } {
  if (key !== 0 && resident.key === key) {
    top = resident.end;
    return resident;
  }
  top = 0;
  const planes = f.planes.map((a) => alloc(k, 4 * a.length));
  const lines = f.lines.map((a) => alloc(k, 4 * a.length));
  f.planes.forEach((a, p) => f32At(k, planes[p], a.length).set(a));
  f.lines.forEach((a, p) => f32At(k, lines[p], a.length).set(a));
  resident = { key, planes, lines, end: top };
  return resident;
}

/** Tap records (32 bytes: see vm-sample.wat) of points lo..hi-1 of pair p at byte offset `at`. */
function fillTaps(k: VmExports, reso: Vec3, p: number, C: number, coords: Float32Array, lo: number, hi: number, at: number): void {
  const ax = MAT_MODE[p][0];
  const ay = MAT_MODE[p][1];
  const az = VEC_MODE[p];
  const W = reso[ax];
  const H = reso[ay];
  const L = reso[az];
  const i32 = new Int32Array(k.memory.buffer, at, 8 * (hi - lo));
  const f32 = new Float32Array(k.memory.buffer, at, 8 * (hi - lo));
  for (let s = lo, r = 0; s < hi; s++, r += 8) {
    const q = 3 * s;
    const [x0, fx] = axisTap(coords[q + ax], W);
    const [y0, fy] = axisTap(coords[q + ay], H);
    const [l0, fl] = axisTap(coords[q + az], L);
    i32[r] = (y0 * W + x0) * C;
    f32[r + 1] = (1 - fx) * (1 - fy);
    f32[r + 2] = fx * (1 - fy);
    f32[r + 3] = (1 - fx) * fy;
    f32[r + 4] = fx * fy;
    i32[r + 5] = l0 * C;
    f32[r + 6] = fl;
    f32[r + 7] = 1 - Math.fround(fl);
  }
}

function need(comps: number): VmExports {
  const k = vmKernels();
  if (!k || !wasmVmAvailable(comps)) throw new Error(`the WebAssembly VM kernels cannot run ${comps} components here`);
  return k;
}

/**
 * vmForward of points lo..hi-1 into `out` (entries of those points; 'sum' adds to them). With
 * `records` (n points of every pair, 8 words each, pair-major) the points' tap records are also
 * written there, for a backward of the same points (wasmVmBackward's `records`).
 */
export function wasmVmForward(
  f: VMFactors,
  coords: Float32Array,
  mode: VMMode,
  out: Float32Array,
  lo: number,
  hi: number,
  key = 0,
  records?: { words: Int32Array; n: number },
): void {
  const k = need(f.comps);
  const m = hi - lo;
  if (m <= 0) return;
  const { planes, lines } = placeFactors(k, f, key);
  const C = f.comps;
  const P = f.planes.length;
  const row = mode === 'sum' ? 1 : P * C;
  const o = alloc(k, 4 * m * row);
  const taps = alloc(k, 32 * m);
  if (mode === 'sum') f32At(k, o, m).set(out.subarray(lo, hi));
  for (let p = 0; p < P; p++) {
    fillTaps(k, f.reso, p, C, coords, lo, hi, taps);
    if (records) records.words.set(new Int32Array(k.memory.buffer, taps, 8 * m), 8 * (p * records.n + lo));
    const rs = f.reso[MAT_MODE[p][0]] * C;
    if (mode === 'sum') k.fwd_sum(planes[p], lines[p], taps, o, m, C, rs);
    else k.fwd_products(planes[p], lines[p], taps, o + 4 * p * C, m, C, rs, 4 * row);
  }
  out.set(f32At(k, o, m * row), lo * row);
}

/**
 * vmBackward of all n points for the units u0..u1-1 (pair-major blocks of `block` components, as
 * parallel/tasks.ts cuts them): the gradient entries of those components are overwritten in
 * gPlanes / gLines (the others are left as they are). `records`: the tap records a forward of
 * these points wrote (else they are computed here).
 */
export function wasmVmBackward(
  f: VMFactors,
  coords: Float32Array,
  n: number,
  mode: VMMode,
  dOut: Float32Array,
  gPlanes: Float32Array[],
  gLines: Float32Array[],
  u0: number,
  u1: number,
  block: number,
  records?: Int32Array,
): void {
  const k = need(f.comps);
  const C = f.comps;
  const P = f.planes.length;
  const blocks = Math.ceil(C / block);
  resident = { key: 0, planes: [], lines: [], end: 0 };
  top = 0;
  const row = mode === 'sum' ? 1 : P * C;
  const d = alloc(k, 4 * n * row);
  f32At(k, d, n * row).set(dOut.subarray(0, n * row));
  const base = top;
  for (let p = 0; p < P; p++) {
    const first = Math.max(u0, p * blocks);
    const last = Math.min(u1, (p + 1) * blocks); // units first..last-1 are this pair's
    if (first >= last) continue;
    const c0 = (first - p * blocks) * block;
    const c1 = Math.min(C, (last - p * blocks) * block);
    top = base;
    const plane = f.planes[p];
    const line = f.lines[p];
    const po = alloc(k, 4 * plane.length);
    const lo = alloc(k, 4 * line.length);
    const gpo = alloc(k, 4 * plane.length);
    const glo = alloc(k, 4 * line.length);
    const taps = alloc(k, 32 * n);
    f32At(k, po, plane.length).set(plane);
    f32At(k, lo, line.length).set(line);
    f32At(k, gpo, plane.length).fill(0);
    f32At(k, glo, line.length).fill(0);
    if (records) new Int32Array(k.memory.buffer, taps, 8 * n).set(records.subarray(8 * p * n, 8 * (p + 1) * n));
    else fillTaps(k, f.reso, p, C, coords, 0, n, taps);
    const rs = f.reso[MAT_MODE[p][0]] * C;
    k.bwd(po, lo, taps, mode === 'sum' ? d : d + 4 * p * C, gpo, glo, n, C, rs, 4 * row, 4 * c0, 4 * c1, mode === 'sum' ? 1 : 0);
    copyComponents(f32At(k, gpo, plane.length), gPlanes[p], C, c0, c1);
    copyComponents(f32At(k, glo, line.length), gLines[p], C, c0, c1);
  }
}

/** dst's components c0..c1-1 of every texel (channels last, C per texel) from src. */
function copyComponents(src: Float32Array, dst: Float32Array, C: number, c0: number, c1: number): void {
  if (c0 === 0 && c1 === C) {
    dst.set(src);
    return;
  }
  for (let o = 0; o < dst.length; o += C) for (let c = c0; c < c1; c++) dst[o + c] = src[o + c];
}
