/**
 * WGSL for the subgroup matrix multiply (the tfjs glue is kernels/webgpu-matmul.ts; the device
 * set-up is kernels/webgpu-subgroups.ts). The same product and strides as wgsl/matmul.ts:
 *
 *   C[m, n] = sum_k A(m, k) B(k, n),   A(m, k) = a[m * aM + k * aK],   B(k, n) = b[k * bK + n * bN]
 *
 * A workgroup is one subgroup of SUBGROUP = 8 lanes and computes a BM x BN block of C, BM = 8 T
 * rows and BN = 8 J columns: lane l keeps the columns n0 + l + 8 j (j < J) of all BM rows in
 * BM * J registers. At each k a lane loads J values of B (its own columns) and T values of A (rows
 * m0 + l + 8 t), and the BM row values reach every lane by subgroupBroadcast from the lane that
 * loaded them. So the subgroup loads BM + BN values per k for BM * BN FMAs, each value once; on
 * lavapipe, where a broadcast is a register shuffle and a load costs 12-19 FMAs, that is what
 * makes the difference (the register-tiled kernel loads TM + TN values per lane per k).
 *
 * The workgroup's lanes must be one subgroup (the device check in webgpu-subgroups.ts), which
 * WGSL's uniformity analysis cannot see: the program turns its subgroup_uniformity diagnostic
 * off. Surplus workgroups of a folded dispatch compute the last block again and write nothing
 * (no early return: the broadcasts stay in the whole subgroup's control flow). Split-K, the
 * epilogue and the split sum are those of wgsl/matmul.ts.
 */
import { type Epilogue, epilogueExpr, NO_EPILOGUE } from './matmul';

export const SUBGROUP = 8;

/** The module-level directives the program needs (webgpu-subgroups.ts moves them to the module's top). */
export const SUBGROUP_DIRECTIVES = ['enable subgroups;', 'diagnostic(off, subgroup_uniformity);'] as const;

/** The program's body for T row groups and J column groups of 8; `main` is tfjs's header for main(index). */
export function subgroupMatmulSource(main: string, t: number, j: number, epilogue: Epilogue = NO_EPILOGUE): string {
  const BM = SUBGROUP * t;
  const BN = SUBGROUP * j;
  const rowGroups = [...Array(t).keys()];
  const colGroups = [...Array(j).keys()];
  const rows = [...Array(BM).keys()];
  const acc = (i: number, q: number) => `c${i}_${q}`;
  const L: string[] = [...SUBGROUP_DIRECTIVES];
  L.push(`${main} {`);
  L.push(`  let lane = index % ${SUBGROUP};`);
  L.push(`  let M = uniforms.M; let N = uniforms.N;`);
  L.push(`  let nb = (N + ${BN - 1}) / ${BN};`);
  L.push(`  let mb = (M + ${BM - 1}) / ${BM};`);
  L.push(`  let total = nb * mb * uniforms.S;`);
  L.push(`  let live = index / ${SUBGROUP} < total;`);
  L.push(`  let wg = min(index / ${SUBGROUP}, total - 1);`);
  L.push(`  let cb = wg % nb;`);
  L.push(`  let rb = (wg / nb) % mb;`);
  L.push(`  let s = wg / (nb * mb);`);
  L.push(`  let k0 = s * uniforms.kChunk;`);
  L.push(`  let k1 = min(uniforms.K, k0 + uniforms.kChunk);`);
  L.push(`  let m0 = rb * ${BM};`);
  L.push(`  let n0 = cb * ${BN} + lane;`);
  for (const g of rowGroups) L.push(`  let ra${g} = min(m0 + lane + ${SUBGROUP * g}, M - 1) * uniforms.aM;`);
  for (const q of colGroups) L.push(`  let cn${q} = min(n0 + ${SUBGROUP * q}, N - 1) * uniforms.bN;`);
  for (const i of rows) for (const q of colGroups) L.push(`  var ${acc(i, q)} = 0.0;`);
  L.push(`  for (var k = k0; k < k1; k++) {`);
  L.push(`    let ka = k * uniforms.aK;`);
  L.push(`    let kb = k * uniforms.bK;`);
  for (const g of rowGroups) L.push(`    let a${g} = f32(a[ra${g} + ka]);`);
  for (const q of colGroups) L.push(`    let b${q} = f32(b[cn${q} + kb]);`);
  for (const i of rows) {
    L.push(`    { let r = subgroupBroadcast(a${Math.floor(i / SUBGROUP)}, ${i % SUBGROUP}u);`);
    for (const q of colGroups) L.push(`      ${acc(i, q)} = fma(r, b${q}, ${acc(i, q)});`);
    L.push(`    }`);
  }
  L.push(`  }`);
  L.push(`  if (!live) { return; }`);
  L.push(`  let base = s * M * N;`);
  for (const i of rows) {
    L.push(`  if (m0 + ${i} < M) {`);
    L.push(`    let row = base + (m0 + ${i}) * N;`);
    for (const q of colGroups) {
      const col = `n0 + ${SUBGROUP * q}`;
      L.push(`    if (${col} < N) { result[row + ${col}] = ${epilogueExpr(epilogue, acc(i, q), col)}; }`);
    }
    L.push(`  }`);
  }
  L.push(`}`);
  return L.join('\n');
}
