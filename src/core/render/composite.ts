/**
 * Alpha compositing over packed samples (only the samples that can carry density are stored;
 * the others have sigma 0, alpha 0 and only multiply T by (1 + 1e-10), which is dropped).
 *
 *   alpha_k = 1 - exp(-sigma_k * delta_k * scale)
 *   T_k     = prod_{j<k} (1 - alpha_j + 1e-10)
 *   w_k     = alpha_k * T_k
 * Samples of ray r are rayStart[r] .. rayStart[r+1]-1, in order along the ray.
 */
export const T_EPS = 1e-10;

export interface Packing {
  rayStart: Int32Array; // R + 1
  delta: Float32Array; // S: t_{k+1} - t_k, 0 for a ray's last sample index
}

export function weightsForward(sigma: Float32Array, pk: Packing, scale: number): Float32Array {
  const w = new Float32Array(sigma.length);
  const R = pk.rayStart.length - 1;
  for (let r = 0; r < R; r++) {
    let T = 1;
    for (let s = pk.rayStart[r]; s < pk.rayStart[r + 1]; s++) {
      const a = 1 - Math.exp(-sigma[s] * pk.delta[s] * scale);
      w[s] = a * T;
      T *= 1 - a + T_EPS;
    }
  }
  return w;
}

/**
 * dL/dsigma from dL/dw. With R_j = sum_{k>j} g_k a_k prod_{j<i<k}(1 - a_i + eps):
 * dL/da_j = T_j (g_j - R_j), and da/dsigma = delta * scale * (1 - a). No division, so it
 * stays finite when alpha reaches 1.
 */
export function weightsBackward(sigma: Float32Array, pk: Packing, scale: number, dW: Float32Array): Float32Array {
  const dSigma = new Float32Array(sigma.length);
  const R = pk.rayStart.length - 1;
  const alpha = new Float64Array(64);
  let buf = alpha;
  for (let r = 0; r < R; r++) {
    const s0 = pk.rayStart[r];
    const s1 = pk.rayStart[r + 1];
    const n = s1 - s0;
    if (n === 0) continue;
    if (buf.length < 2 * n) buf = new Float64Array(2 * n);
    // forward pass again for alpha_k and T_k
    let T = 1;
    for (let k = 0; k < n; k++) {
      const a = 1 - Math.exp(-sigma[s0 + k] * pk.delta[s0 + k] * scale);
      buf[k] = a;
      buf[n + k] = T;
      T *= 1 - a + T_EPS;
    }
    let Rj = 0;
    for (let k = n - 1; k >= 0; k--) {
      const a = buf[k];
      const Tk = buf[n + k];
      const g = dW[s0 + k];
      const dA = Tk * (g - Rj);
      dSigma[s0 + k] = dA * pk.delta[s0 + k] * scale * (1 - a);
      Rj = g * a + (1 - a + T_EPS) * Rj;
    }
  }
  return dSigma;
}

/**
 * rgbMap[r] = sum_{a: sample idx[a] on ray r} w[idx[a]] * rgb[a] + (1 - sum_{s on r} w[s])
 * (white background). `rayOf[s]` is the ray of packed sample s.
 */
export function accumulateForward(w: Float32Array, rgb: Float32Array, idx: Int32Array, rayOf: Int32Array, nRays: number): Float32Array {
  const out = new Float32Array(nRays * 3).fill(1);
  for (let s = 0; s < w.length; s++) {
    const r = rayOf[s] * 3;
    out[r] -= w[s];
    out[r + 1] -= w[s];
    out[r + 2] -= w[s];
  }
  for (let a = 0; a < idx.length; a++) {
    const s = idx[a];
    const r = rayOf[s] * 3;
    const ws = w[s];
    out[r] += ws * rgb[3 * a];
    out[r + 1] += ws * rgb[3 * a + 1];
    out[r + 2] += ws * rgb[3 * a + 2];
  }
  return out;
}

export function accumulateBackward(
  w: Float32Array,
  rgb: Float32Array,
  idx: Int32Array,
  rayOf: Int32Array,
  dOut: Float32Array,
): { dW: Float32Array; dRgb: Float32Array } {
  const dW = new Float32Array(w.length);
  const dRgb = new Float32Array(rgb.length);
  for (let s = 0; s < w.length; s++) {
    const r = rayOf[s] * 3;
    dW[s] = -(dOut[r] + dOut[r + 1] + dOut[r + 2]);
  }
  for (let a = 0; a < idx.length; a++) {
    const s = idx[a];
    const r = rayOf[s] * 3;
    dW[s] += dOut[r] * rgb[3 * a] + dOut[r + 1] * rgb[3 * a + 1] + dOut[r + 2] * rgb[3 * a + 2];
    const ws = w[s];
    dRgb[3 * a] = dOut[r] * ws;
    dRgb[3 * a + 1] = dOut[r + 1] * ws;
    dRgb[3 * a + 2] = dOut[r + 2] * ws;
  }
  return { dW, dRgb };
}
