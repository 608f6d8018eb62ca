/**
 * WGSL for the fused decoder input (the tfjs glue is kernels/webgpu-encoding.ts): the numbers of
 * decoderInputTf (decoders/encoding.ts) in one program forward and one backward, instead of the
 * multiplies, sines, cosines, concatenations (and, backward, slices, broadcast sums and adds) of the
 * plain ops.
 *
 * Row n of the output, W = D + E + 2 D F + 2 E G columns for features f [N, D], dirs d [N, E],
 * F feature and G view frequencies (TensoRF's order: input by input, frequency fastest):
 *   [f_0..f_{D-1}, d_0..d_{E-1}, sin(f_i 2^k) (i, k), cos(f_i 2^k) (i, k), sin(d_j 2^k), cos(d_j 2^k)]
 * Backward (the features only; the directions are constants), for g = dL/dout:
 *   dL/df_i = g[i] + sum_k 2^k (cos(f_i 2^k) g[sin_ik] - sin(f_i 2^k) g[cos_ik])
 * D, E, F and G come from the uniforms; 2^k is exact in float32, so x 2^k is the reference's product.
 */

/**
 * One invocation per input value (row n, column c < D + E): it copies the value and writes its
 * F (or G) sines and cosines, so each sine and cosine is computed once (an invocation per output
 * value computed both and selected one, and divided its index by W: 4x the time on lavapipe, 80 against 20 ms at 30k rows).
 */
export function decoderInputForwardSource(main: string): string {
  return `
${main} {
  let D = uniforms.D; let E = uniforms.E; let F = uniforms.F; let G = uniforms.G;
  let W = D + E + 2 * D * F + 2 * E * G;
  if (index >= uniforms.outShape[0] * (D + E)) { return; }
  let n = index / (D + E);
  let c = index % (D + E);
  let row = n * W;
  var x = 0.0;
  var first = 0;
  var freqs = 0;
  var stride = 0;
  if (c < D) {
    x = f32(feat[n * D + c]);
    first = row + D + E + c * F;
    freqs = F;
    stride = D * F;
  } else {
    let j = c - D;
    x = f32(dirs[n * E + j]);
    first = row + D + E + 2 * D * F + j * G;
    freqs = G;
    stride = E * G;
  }
  result[row + c] = x;
  for (var k = 0; k < freqs; k++) {
    let v = x * exp2(f32(k));
    result[first + k] = sin(v);
    result[first + stride + k] = cos(v);
  }
}
`;
}

export function decoderInputBackwardSource(main: string): string {
  return `
${main} {
  if (index >= uniforms.size) { return; }
  let D = uniforms.D; let E = uniforms.E; let F = uniforms.F; let G = uniforms.G;
  let W = D + E + 2 * D * F + 2 * E * G;
  let n = index / D;
  let i = index % D;
  let row = n * W;
  let x = f32(feat[index]);
  var acc = f32(dy[row + i]);
  for (var k = 0; k < F; k++) {
    let s = exp2(f32(k));
    let v = x * s;
    let gs = f32(dy[row + D + E + i * F + k]);
    let gc = f32(dy[row + D + E + D * F + i * F + k]);
    acc = acc + s * (cos(v) * gs - sin(v) * gc);
  }
  result[index] = acc;
}
`;
}
