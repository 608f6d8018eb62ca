/**
 * WGSL for the register-tiled matrix multiply (the tfjs glue is kernels/webgpu-matmul.ts).
 *
 *   C[m, n] = sum_k A(m, k) B(k, n),   A(m, k) = a[m * aM + k * aK],   B(k, n) = b[k * bK + n * bN]
 *
 * The four transpose variants are the same code with other strides (uniforms aM, aK, bK, bN):
 * A as [M, K] has aM = K, aK = 1; A stored as [K, M] (transposeA) has aM = 1, aK = M; likewise B.
 *
 * Layout: an invocation keeps a TM x TN block of C in registers (TM * TN scalar accumulators,
 * written out unrolled so that no compiler keeps them in memory). A workgroup of 64 takes
 * 64 * TM rows and TN columns: lane l holds rows r0 + l, r0 + l + 64, ... (so a transposed A is
 * read at consecutive addresses across lanes) and every lane of the workgroup reads the same TN
 * values of B at each k. No workgroup memory and no barriers. Out-of-range rows and columns read
 * a clamped (valid) address and are not written.
 *
 * Split-K: with S > 1 the K range is cut into S chunks of uniforms.kChunk; workgroup (s, ...)
 * writes its partial block to slice s of a [S, M, N] result, and splitSumSource adds the slices
 * in order s = 0, 1, ... (a fixed order, so a run is repeatable; no atomics).
 *
 * TM, TN and the epilogue are written into the source and named in the shader key (webgpu-matmul.ts); every
 * size and stride comes from the uniforms.
 */

export const MATMUL_WORKGROUP = 64;

/**
 * What is applied to each output value before it is written (tf.fused.matMul's bias and
 * activation): v + bias[n], then max(v, 0) for relu. With split-K it is applied by the split sum.
 */
export interface Epilogue {
  bias: boolean;
  relu: boolean;
}

export const NO_EPILOGUE: Epilogue = { bias: false, relu: false };

/** `v` with the epilogue applied, for output column `col` (the bias buffer is `bias`). */
export function epilogueExpr(e: Epilogue, v: string, col: string): string {
  const biased = e.bias ? `(${v} + f32(bias[${col}]))` : v;
  return e.relu ? `max(${biased}, 0.0)` : biased;
}

/** Shader-key suffix naming the epilogue. */
export function epilogueKey(e: Epilogue): string {
  return `${e.bias ? '_bias' : ''}${e.relu ? '_relu' : ''}`;
}

/** The tiled program's body for a TM x TN register block; `main` is tfjs's header for main(index). */
export function tiledMatmulSource(main: string, tm: number, tn: number, epilogue: Epilogue = NO_EPILOGUE): string {
  const rows = [...Array(tm).keys()];
  const cols = [...Array(tn).keys()];
  const acc = (i: number, j: number) => `c${i}_${j}`;
  const lines: string[] = [];
  lines.push(`${main} {`);
  lines.push(`  let lane = index % ${MATMUL_WORKGROUP};`);
  lines.push(`  let wg = index / ${MATMUL_WORKGROUP};`);
  lines.push(`  let M = uniforms.M; let N = uniforms.N;`);
  lines.push(`  let nb = (N + ${tn - 1}) / ${tn};`);
  lines.push(`  let mb = (M + ${tm * MATMUL_WORKGROUP - 1}) / ${tm * MATMUL_WORKGROUP};`);
  lines.push(`  if (wg >= nb * mb * uniforms.S) { return; }`);
  lines.push(`  let cb = wg % nb;`);
  lines.push(`  let rb = (wg / nb) % mb;`);
  lines.push(`  let s = wg / (nb * mb);`);
  lines.push(`  let k0 = s * uniforms.kChunk;`);
  lines.push(`  let k1 = min(uniforms.K, k0 + uniforms.kChunk);`);
  lines.push(`  let r0 = rb * ${tm * MATMUL_WORKGROUP} + lane;`);
  lines.push(`  let n0 = cb * ${tn};`);
  for (const i of rows) lines.push(`  let ra${i} = min(r0 + ${i * MATMUL_WORKGROUP}, M - 1) * uniforms.aM;`);
  for (const j of cols) lines.push(`  let cbN${j} = min(n0 + ${j}, N - 1) * uniforms.bN;`);
  for (const i of rows) for (const j of cols) lines.push(`  var ${acc(i, j)} = 0.0;`);
  lines.push(`  for (var k = k0; k < k1; k++) {`);
  lines.push(`    let ka = k * uniforms.aK;`);
  lines.push(`    let kb = k * uniforms.bK;`);
  for (const i of rows) lines.push(`    let a${i} = f32(a[ra${i} + ka]);`);
  for (const j of cols) {
    lines.push(`    let b${j} = f32(b[cbN${j} + kb]);`);
    for (const i of rows) lines.push(`    ${acc(i, j)} = fma(a${i}, b${j}, ${acc(i, j)});`);
  }
  lines.push(`  }`);
  lines.push(`  let base = s * M * N;`);
  for (const i of rows) {
    lines.push(`  if (r0 + ${i * MATMUL_WORKGROUP} < M) {`);
    lines.push(`    let row = base + (r0 + ${i * MATMUL_WORKGROUP}) * N + n0;`);
    for (const j of cols) {
      lines.push(`    if (n0 + ${j} < N) { result[row + ${j}] = ${epilogueExpr(epilogue, acc(i, j), `n0 + ${j}`)}; }`);
    }
    lines.push(`  }`);
  }
  lines.push(`}`);
  return lines.join('\n');
}

/** Sums the S slices of a [S, M*N] partial result in order, one invocation per output value, then applies the epilogue. */
export function splitSumSource(main: string, epilogue: Epilogue = NO_EPILOGUE): string {
  return `
${main} {
  if (index >= uniforms.size) { return; }
  var acc = 0.0;
  for (var s = 0; s < uniforms.S; s++) {
    acc = acc + f32(partial[s * uniforms.size + index]);
  }
  result[index] = ${epilogueExpr(epilogue, 'acc', 'index % uniforms.N')};
}
`;
}
