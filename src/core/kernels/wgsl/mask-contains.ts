/**
 * WGSL for the fused alpha-mask lookup (the tfjs glue is kernels/webgpu-mask.ts): the numbers of
 * maskContainsTf (render/device-slots.ts) in one invocation per point instead of about 250 tfjs
 * programs (per corner: index, weight and range tests, a gather, a running max).
 *
 * For a point x (world coordinates) and each axis a, with the same float32 operations in the same
 * order as the reference: p_a = (x_a - min_a) / (max_a - min_a) * (size_a - 1), i_a = floor(p_a),
 * f_a = p_a - i_a. A corner (i_x + dx, i_y + dy, i_z + dz) counts when every index is inside the
 * mask and every trilinear weight (f_a where d_a = 1, 1 - f_a where d_a = 0) is > 0; the point is in
 * the mask (1.0) when a counted corner is occupied (data != 0), else 0.0. The mask is
 * data[z * nx * ny + y * nx + x]; box, range and size come from the uniforms maskMin, maskRange, maskReso.
 */

/**
 * `fn maskHit(x : vec3<f32>) -> bool` over the input `mask` and the uniforms maskMin, maskRange
 * (max - min) and maskReso (also used by the fused sample placement, wgsl/slots.ts).
 */
export function maskLookup(): string {
  return `
fn maskHit(x : vec3<f32>) -> bool {
  let nx = uniforms.maskReso.x; let ny = uniforms.maskReso.y; let nz = uniforms.maskReso.z;
  let size = vec3<f32>(f32(nx), f32(ny), f32(nz));
  let p = (x - uniforms.maskMin) / uniforms.maskRange * (size - vec3<f32>(1.0));
  let i0 = floor(p);
  let f = p - i0;
  var hit = false;
  for (var c = 0; c < 8; c++) {
    let d = vec3<f32>(f32(c & 1), f32((c >> 1) & 1), f32((c >> 2) & 1));
    let idx = i0 + d;
    let w = select(vec3<f32>(1.0) - f, f, d == vec3<f32>(1.0));
    let inside = all(idx >= vec3<f32>(0.0)) && all(idx < size) && all(w > vec3<f32>(0.0));
    if (inside) {
      let flat = i32(idx.z) * nx * ny + i32(idx.y) * nx + i32(idx.x);
      if (f32(mask[flat]) != 0.0) { hit = true; }
    }
  }
  return hit;
}
`;
}

export function maskContainsSource(main: string): string {
  return `${maskLookup()}
${main} {
  if (index >= uniforms.size) { return; }
  let x = vec3<f32>(f32(pts[3 * index]), f32(pts[3 * index + 1]), f32(pts[3 * index + 2]));
  result[index] = select(0.0, 1.0, maskHit(x));
}
`;
}
