/**
 * The density L1 term of the loss, l1Weight * meanAbsSum(density factors), outside tfjs's
 * autodiff (issue 13): its value from the factors' arrays, and its gradient added in place to the
 * factors' gradients. Through tfjs the same term cost two full-size arrays per factor and step
 * (the sign gradient, then its sum with the sampling gradient, render/ops.ts meanAbsSum) on the
 * calling thread alone. The float32 roundings are tfjs's, step for step: the mean |x| summed in
 * double and rounded, times the weight in float32; the gradient entry +-(weight / size) rounded,
 * added to the sampling gradient in float32. test/core/train/l1-term.test.ts holds the two to the
 * same bits.
 */
const f32 = Math.fround;

/** The term's value: f32(f32(sum over arrays of mean |x|) * f32(weight)); 0 for weight 0. */
export function l1Value(xs: Float32Array[], weight: number): number {
  if (weight === 0) return 0;
  let total = 0;
  for (const d of xs) {
    let s = 0;
    for (let i = 0; i < d.length; i++) s += Math.abs(d[i]);
    total += s / d.length;
  }
  return f32(f32(total) * f32(weight));
}

/** grads[i] += d(term)/d(xs[i]) in place (nothing for weight 0). */
export function addL1Gradient(grads: Float32Array[], xs: Float32Array[], weight: number): void {
  if (weight === 0) return;
  const w = f32(weight);
  xs.forEach((d, j) => {
    const g = grads[j];
    const k = f32(w / d.length);
    for (let i = 0; i < d.length; i++) {
      const x = d[i];
      if (x > 0) g[i] += k;
      else if (x < 0) g[i] -= k;
      else g[i] += 0;
    }
  });
}
