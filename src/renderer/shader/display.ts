/**
 * Drawing a shader-view frame (a float render target) on the canvas: colour as is, opacity as
 * grey, depth through a colour map (near yellow, far violet: the stops of matplotlib's "plasma")
 * over a range, pixels the model leaves empty in the page's background colour.
 */
import { DEPTH_MIN_ACC } from '../../protocol/messages';

export const DISPLAY_VERTEX = `in vec3 position;
out vec2 vUv;
void main() { vUv = position.xy * 0.5 + 0.5; gl_Position = vec4(position.xy, 0.0, 1.0); }
`;

/** Five stops of plasma, far (0) to near (1). */
export const DEPTH_STOPS: readonly [number, number, number][] = [
  [0.05, 0.03, 0.53],
  [0.49, 0.01, 0.66],
  [0.8, 0.28, 0.47],
  [0.97, 0.59, 0.25],
  [0.94, 0.98, 0.13],
];

const stop = (c: readonly number[]) => `vec3(${c.map((x) => x.toFixed(2)).join(', ')})`;

export const DISPLAY_FRAGMENT = `precision highp float;
uniform sampler2D uFrame;
uniform int uMode; // 0 colour, 1 opacity, 2 depth
uniform vec2 uRange; // depth range (near, far)
in vec2 vUv;
out vec4 outColor;
vec3 depthColour(float u) {
  const vec3 s0 = ${stop(DEPTH_STOPS[0])}, s1 = ${stop(DEPTH_STOPS[1])}, s2 = ${stop(DEPTH_STOPS[2])}, s3 = ${stop(DEPTH_STOPS[3])}, s4 = ${stop(DEPTH_STOPS[4])};
  float x = clamp(u, 0.0, 1.0) * 4.0;
  if (x < 1.0) return mix(s0, s1, x);
  if (x < 2.0) return mix(s1, s2, x - 1.0);
  if (x < 3.0) return mix(s2, s3, x - 2.0);
  return mix(s3, s4, x - 3.0);
}
void main() {
  vec4 v = texture(uFrame, vUv);
  if (uMode == 0) { outColor = vec4(v.rgb, 1.0); return; }
  if (uMode == 1) { outColor = vec4(vec3(v.g), 1.0); return; }
  if (v.g < ${DEPTH_MIN_ACC}) { outColor = vec4(0.082, 0.09, 0.11, 1.0); return; }
  float t = v.r / v.g;
  float span = max(uRange.y - uRange.x, 1e-6);
  outColor = vec4(depthColour(1.0 - (t - uRange.x) / span), 1.0);
}
`;

/** Nearest and farthest depth (sum w t / opacity) over the pixels with opacity >= DEPTH_MIN_ACC of RGBA floats (depth, opacity, ., .); null when none. */
export function depthRange(px: Float32Array): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < px.length; i += 4) {
    if (!(px[i + 1] >= DEPTH_MIN_ACC)) continue;
    const t = px[i] / px[i + 1];
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return lo === Infinity ? null : [lo, hi];
}
