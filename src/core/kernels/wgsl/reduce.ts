/**
 * WGSL for the reductions of kernels/webgpu-reduce.ts. First, over a short innermost run:
 * x viewed as [outSize, reduceSize] row-major, one invocation per output walks its row in order.
 * tfjs 4.22's reduce program gives every output a workgroup of 64 or more invocations and a
 * shared-memory tree, which for rows of 2 to 3 values (a broadcast gradient, an in-box test)
 * leaves nearly all of each workgroup idle.
 *
 *   sum: result = x_0 + x_1 + ... (float32, left to right)
 *   all: result = 1 when every x_k != 0, else 0 (bool, stored as i32)
 *
 * reduceSize comes from the uniforms; nothing about the shape is written into the source.
 */

export type SmallReduceOp = 'sum' | 'all';

export function smallReduceSource(main: string, op: SmallReduceOp): string {
  const init = op === 'sum' ? 'var acc = 0.0;' : 'var acc = true;';
  const step = op === 'sum' ? 'acc = acc + f32(x[row + k]);' : 'acc = acc && (f32(x[row + k]) != 0.0);';
  const write = op === 'sum' ? 'result[index] = acc;' : 'result[index] = select(0, 1, acc);';
  return `
${main} {
  if (index >= uniforms.size) { return; }
  let n = uniforms.reduceSize;
  let row = index * n;
  ${init}
  for (var k = 0; k < n; k++) {
    ${step}
  }
  ${write}
}
`;
}

/**
 * Column sums: x viewed as [rows, cols] row-major, summed over the rows (a Sum over leading axes,
 * such as a bias gradient over the samples). Invocation i sums column i % cols over the rows of
 * chunk i / cols, [chunk * c, chunk * (c + 1)), in order; run once with chunks of uniforms.chunk
 * rows into [chunks, cols] partial sums, then again over those with one chunk, it gives each
 * column's sum in a fixed order, with every invocation reading consecutive addresses across lanes.
 */
export function columnSumSource(main: string): string {
  return `
${main} {
  if (index >= uniforms.size) { return; }
  let cols = uniforms.cols;
  let j = index % cols;
  let r0 = (index / cols) * uniforms.chunk;
  let r1 = min(uniforms.rows, r0 + uniforms.chunk);
  var acc = 0.0;
  for (var r = r0; r < r1; r++) {
    acc = acc + f32(x[r * cols + j]);
  }
  result[index] = acc;
}
`;
}
