/**
 * How a range of n items is cut between `parts` threads: contiguous ranges of nearly equal size,
 * each start a multiple of `align` (rows of 4 for the GEMM tiles), the same cut for the same
 * (n, parts, align) every time, so a run with a given thread count repeats bit for bit.
 */
export function splitRange(n: number, parts: number, align = 1): [number, number][] {
  const units = Math.ceil(n / align);
  const out: [number, number][] = [];
  for (let p = 0; p < parts; p++) {
    const lo = Math.min(n, Math.floor((units * p) / parts) * align);
    const hi = Math.min(n, Math.floor((units * (p + 1)) / parts) * align);
    out.push([lo, hi]);
  }
  return out;
}
