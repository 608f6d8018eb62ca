/**
 * WGSL for the blocked inclusive prefix sum of a 1-D array (the glue is kernels/webgpu-cumsum.ts),
 * for i32 or f32 elements (`t`): three passes over the data instead of tfjs's log2(n) passes.
 *
 *   blockSums:  s[b] = sum of x[b B .. (b + 1) B)           one invocation a block
 *   (the block sums scanned the same way, recursively, until one block is left)
 *   rescan:     y[i] = offsets[b - 1] + sum of x[b B .. i]   one invocation a block, in order
 *
 * B (SCAN_BLOCK) is a constant of the source; n and the block count come from the uniforms.
 */
export const SCAN_BLOCK = 256;

export function blockSumsSource(main: string, t: 'i32' | 'f32'): string {
  return `
${main} {
  if (index >= uniforms.blocks) { return; }
  let i0 = index * ${SCAN_BLOCK};
  let i1 = min(uniforms.n, i0 + ${SCAN_BLOCK});
  var acc = ${t}(0);
  for (var i = i0; i < i1; i++) { acc = acc + ${t}(x[i]); }
  result[index] = acc;
}
`;
}

/** With `offsets` (the inclusive scan of the block sums) when there is more than one block. */
export function rescanSource(main: string, t: 'i32' | 'f32', withOffsets: boolean): string {
  const start = withOffsets ? `select(${t}(0), ${t}(offsets[max(index - 1, 0)]), index > 0)` : `${t}(0)`;
  return `
${main} {
  if (index >= uniforms.blocks) { return; }
  let i0 = index * ${SCAN_BLOCK};
  let i1 = min(uniforms.n, i0 + ${SCAN_BLOCK});
  var acc = ${start};
  for (var i = i0; i < i1; i++) {
    acc = acc + ${t}(x[i]);
    result[i] = acc;
  }
}
`;
}
