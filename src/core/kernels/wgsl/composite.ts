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
 *
 * Accumulation (accumulateTf): rgb_r = sum_n w mask c_n + (1 - sum_n w), one invocation per ray;
 * its backward is element-wise: dL/dw = mask (dOut . c) - sum(dOut), dL/dc = dOut w mask.
 *
 * Every input read is wrapped in f32(): a float32 tensor made by a zero-copy cast from int32 or
 * bool (a mask from tf.cast(tf.greater(...))) keeps its i32 buffer, and tfjs declares a buffer
 * by its storage type (that type is in the cache key, so each variant compiles separately).
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
    result[index] = expm1Accurate(f32(x[index]));
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
    let x = f32(sigma[base + k]) * f32(delta[base + k]) * uniforms.scale;
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
    T = T * (exp(-(f32(sigma[base + k]) * f32(delta[base + k]) * scale)) + ${T_EPS_WGSL});
  }
  // Reverse scan: Rr holds sum over the later samples, as in weightsBackward.
  var Rr = 0.0;
  for (var k = n - 1; k >= 0; k = k - 1) {
    let d = f32(delta[base + k]);
    let x = f32(sigma[base + k]) * d * scale;
    let e = exp(-x);
    let a = alphaOf(x, e);
    let g = f32(dw[base + k]);
    let dA = result[base + k] * (g - Rr);
    result[base + k] = dA * d * scale * e;
    Rr = g * a + (e + ${T_EPS_WGSL}) * Rr;
  }
}
`;
}

/** rgb [R, 3] from weights, mask [R, N] and rgb [R, N, 3]. */
export function accumulateForwardSource(main: string): string {
  return `
${main} {
  let nRays = uniforms.weightsShape.x;
  let n = uniforms.weightsShape.y;
  if (index >= nRays) {
    return;
  }
  let base = index * n;
  var colour = vec3<f32>(0.0, 0.0, 0.0);
  var wsum = 0.0;
  for (var k = 0; k < n; k = k + 1) {
    let wk = f32(weights[base + k]);
    let j = 3 * (base + k);
    colour = colour + (wk * f32(mask[base + k])) * vec3<f32>(f32(rgb[j]), f32(rgb[j + 1]), f32(rgb[j + 2]));
    wsum = wsum + wk;
  }
  let background = 1.0 - wsum;
  result[3 * index] = colour.x + background;
  result[3 * index + 1] = colour.y + background;
  result[3 * index + 2] = colour.z + background;
}
`;
}

/** dL/dw [R, N] from mask [R, N], rgb [R, N, 3] and dL/drgb (dout) [R, 3]. */
export function accumulateGradWeightsSource(main: string): string {
  return `
${main} {
  if (index < uniforms.size) {
    let r = index / uniforms.maskShape.y;
    let d = vec3<f32>(f32(dout[3 * r]), f32(dout[3 * r + 1]), f32(dout[3 * r + 2]));
    let c = vec3<f32>(f32(rgb[3 * index]), f32(rgb[3 * index + 1]), f32(rgb[3 * index + 2]));
    result[index] = f32(mask[index]) * dot(d, c) - (d.x + d.y + d.z);
  }
}
`;
}

/** dL/dc [R, N, 3] from weights, mask [R, N] and dout [R, 3]; one invocation per sample writes its 3 values. */
export function accumulateGradRgbSource(main: string): string {
  return `
${main} {
  if (index < uniforms.weightsShape.x * uniforms.weightsShape.y) {
    let r = index / uniforms.weightsShape.y;
    let wm = f32(weights[index]) * f32(mask[index]);
    result[3 * index] = f32(dout[3 * r]) * wm;
    result[3 * index + 1] = f32(dout[3 * r + 1]) * wm;
    result[3 * index + 2] = f32(dout[3 * r + 2]) * wm;
  }
}
`;
}
