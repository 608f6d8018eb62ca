/**
 * WGSL for the fused compositing kernels (the tfjs glue is kernels/webgpu-composite.ts). Dense
 * [R, N] layout, rays x samples, row-major; one invocation per ray walks its row, so no size is
 * baked in: R and N come from uniforms.sigmaShape, the density scale from uniforms.scale.
 *
 *   x_k     = sigma_k * delta_k * scale
 *   alpha_k = 1 - exp(-x_k)       computed as -expm1(-x_k) (no cancellation for small x_k)
 *   T_k     = prod_{j<k} (1 - alpha_j + 1e-10), with 1 - alpha_j computed as exp(-x_j)
 *   w_k     = alpha_k T_k
 *
 * Backward (as weightsBackward in render/composite.ts), with g = dL/dw and the reverse scan
 *   Rr_j = sum_{k>j} g_k alpha_k prod_{j<i<k} (1 - alpha_i + 1e-10)
 *        = g_{j+1} alpha_{j+1} + (1 - alpha_{j+1} + 1e-10) Rr_{j+1},   Rr_{N-1} = 0
 *   dL/dalpha_j = T_j (g_j - Rr_j),   dalpha/dsigma = delta scale (1 - alpha)
 * The backward program first writes T_k into its own output row (a forward walk), then walks the
 * row backwards, reading T_k and overwriting it with dL/dsigma_k: no extra buffer, no division.
 */

/** T's epsilon (render/composite.ts T_EPS; a test holds the two equal). */
export const T_EPS_WGSL = '1e-10';

/**
 * |x| below which expm1 uses its Taylor series. tfjs's webgpu expm1 is exp(x) - 1, which loses
 * all precision as x -> 0 (alpha of a thin sample would be 0 or off by 100%).
 */
export const EXPM1_SERIES_BOUND = 0.5;

/**
 * expm1 accurate to float32 rounding: for |x| < 0.5 the Taylor series through x^10/10!
 * (truncation below 2e-10 relative), elsewhere exp(x) - 1, whose cancellation costs at most a
 * factor 1/(1 - e^-0.5) = 2.5 on exp's own error.
 */
export const EXPM1_WGSL = `
fn expm1Series(x : f32) -> f32 {
  var p = 1.0 / 3628800.0;
  p = 1.0 / 362880.0 + x * p;
  p = 1.0 / 40320.0 + x * p;
  p = 1.0 / 5040.0 + x * p;
  p = 1.0 / 720.0 + x * p;
  p = 1.0 / 120.0 + x * p;
  p = 1.0 / 24.0 + x * p;
  p = 1.0 / 6.0 + x * p;
  p = 0.5 + x * p;
  p = 1.0 + x * p;
  return x * p;
}

fn expm1Accurate(x : f32) -> f32 {
  if (abs(x) < ${EXPM1_SERIES_BOUND}) {
    return expm1Series(x);
  }
  return exp(x) - 1.0;
}

// alpha = 1 - e where e = exp(-x), accurately for small x.
fn alphaOf(x : f32, e : f32) -> f32 {
  if (abs(x) < ${EXPM1_SERIES_BOUND}) {
    return -expm1Series(-x);
  }
  return 1.0 - e;
}
`;

/** Element-wise expm1Accurate (to test it against Math.expm1). Output [n], input x [n]. */
export function expm1Source(main: string): string {
  return `${EXPM1_WGSL}
${main} {
  if (index < uniforms.size) {
    result[index] = expm1Accurate(x[index]);
  }
}
`;
}

/** Weights w [R, N] from sigma, delta [R, N]. */
export function compositeForwardSource(main: string): string {
  return `${EXPM1_WGSL}
${main} {
  let nRays = uniforms.sigmaShape.x;
  let n = uniforms.sigmaShape.y;
  if (index >= nRays) {
    return;
  }
  let base = index * n;
  var T = 1.0;
  for (var k = 0; k < n; k = k + 1) {
    let x = sigma[base + k] * delta[base + k] * uniforms.scale;
    let e = exp(-x);
    result[base + k] = alphaOf(x, e) * T;
    T = T * (e + ${T_EPS_WGSL});
  }
}
`;
}

/** dL/dsigma [R, N] from sigma, delta and dL/dw (dw) [R, N]. */
export function compositeBackwardSource(main: string): string {
  return `${EXPM1_WGSL}
${main} {
  let nRays = uniforms.sigmaShape.x;
  let n = uniforms.sigmaShape.y;
  if (index >= nRays) {
    return;
  }
  let base = index * n;
  let scale = uniforms.scale;
  // Forward walk: T_k into the output row.
  var T = 1.0;
  for (var k = 0; k < n; k = k + 1) {
    result[base + k] = T;
    T = T * (exp(-(sigma[base + k] * delta[base + k] * scale)) + ${T_EPS_WGSL});
  }
  // Reverse scan: Rr holds sum over the later samples, as in weightsBackward.
  var Rr = 0.0;
  for (var k = n - 1; k >= 0; k = k - 1) {
    let d = delta[base + k];
    let x = sigma[base + k] * d * scale;
    let e = exp(-x);
    let a = alphaOf(x, e);
    let g = dw[base + k];
    let dA = result[base + k] * (g - Rr);
    result[base + k] = dA * d * scale * e;
    Rr = g * a + (e + ${T_EPS_WGSL}) * Rr;
  }
}
`;
}
