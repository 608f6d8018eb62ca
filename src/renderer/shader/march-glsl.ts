/**
 * The fragment shader that ray-marches a model snapshot, as GLSL ES 3.00 source, written for one
 * model's sizes (grid, components, decoder) so loops have constant bounds. It computes what the
 * trainer's host render computes for the pixel's ray, step for step:
 *   - the ray: ((i + 0.5 - W/2)/f, -(j + 0.5 - H/2)/f, -1) rotated by the pose, normalised
 *     (core/data/rays.ts); gl_FragCoord has y up, so j + 0.5 = H - gl_FragCoord.y;
 *   - slab ray/box test with zero direction components as 1e-6, t_min = clamp(t_in, near, far),
 *     t_k = t_min + step k, dropped outside the box or the alpha mask (core/render/samples.ts);
 *   - density: the VM sum with bilinear/linear taps at aligned corners, read with texelFetch (the
 *     exact weights; hardware filtering rounds its weights, to 8 bits on many GPUs),
 *     sigma = softplus(feature + shift), alpha = 1 - exp(-sigma delta scale), w = alpha T;
 *   - the decoder only where w > threshold: appearance products, basis matrix, [f, d, PE(f), PE(d)],
 *     two hidden layers (relu, sine or SplitNet's branch product), sigmoid;
 *   - early termination as the host march does it (core/render/march-host.ts): every 8 kept
 *     samples, a ray whose T is below stopT ends, its remaining T counted as absorbed there;
 *   - white background: rgb = sum w c + 1 - sum w (- the remainder), clamped to [0, 1].
 * Output (uOutput): 0 -> (rgb, opacity), 1 -> (depth = sum w t, opacity, 0, 1).
 */
import { decoderInputDim } from '../../core/decoders/input-dim';
import { hiddenColumns, type SnapshotInfo } from '../../core/snapshot/model-snapshot';
import { groups4, type WeightsLayout, WEIGHTS_WIDTH } from './texture-layout';

/** Samples between transmittance checks, and the transmittance a ray stops at (march-host.ts MARCH_DEFAULTS). */
export const MARCH_SEGMENT = 8;

/** A float literal GLSL accepts (always with a point or an exponent). */
export function glslFloat(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`glslFloat: ${x} is not finite`);
  const s = String(Math.fround(x) === x ? x : Math.fround(x));
  return /[.e]/.test(s) ? s : `${s}.0`;
}

const vec3 = (v: readonly number[]) => `vec3(${v.map(glslFloat).join(', ')})`;

export const MARCH_VERTEX = `in vec3 position;
void main() { gl_Position = vec4(position.xy, 0.0, 1.0); }
`;

/** The stop transmittance for a ray of nSamples (march-host.ts stopTransmittance, with threshold tau). */
function stopT(tau: number, nSamples: number): number {
  return (tau * (1 - 1e-6)) / (1 + 1e-10) ** nSamples;
}

function densityCode(DC4: number): string {
  return `
float density(vec2 tx, vec2 ty, vec2 tz) {
  float s = 0.0;
  for (int l = 0; l < ${DC4}; l++) {
    s += dot(planeAt(uDensityPlane0, tx, ty, l), lineAt(tz, l));
    s += dot(planeAt(uDensityPlane1, tx, tz, l), lineAt(ty, ${DC4} + l));
    s += dot(planeAt(uDensityPlane2, ty, tz, l), lineAt(tx, ${2 * DC4} + l));
  }
  return s;
}`;
}

function appearanceCode(s: SnapshotInfo, DC4: number, w: WeightsLayout): string {
  const AC = s.appComps;
  const AC4 = groups4(AC);
  const F4 = groups4(s.appDim);
  const pairs = [
    ['uAppPlane0', 'tx', 'ty', 'tz'],
    ['uAppPlane1', 'tx', 'tz', 'ty'],
    ['uAppPlane2', 'ty', 'tz', 'tx'],
  ];
  const body = pairs
    .map(
      ([tex, u, v, l], p) => `
  for (int l = 0; l < ${AC4}; l++) {
    vec4 prod = planeAt(${tex}, ${u}, ${v}, l) * lineAt(${l}, ${3 * DC4 + p * AC4} + l);
    for (int k = 0; k < 4; k++) {
      int c = 4 * l + k;
      if (c >= ${AC}) break;
      int row = ${w.basis} + (${p * AC} + c) * ${w.basisRow};
      for (int q = 0; q < ${F4}; q++) f[q] += prod[k] * weight(row + q);
    }
  }`,
    )
    .join('');
  return `
void appearance(vec2 tx, vec2 ty, vec2 tz, out vec4 f[${F4}]) {
  for (int q = 0; q < ${F4}; q++) f[q] = vec4(0.0);${body}
}`;
}

function activationCode(s: SnapshotInfo): string {
  const d = s.decoder;
  const H = d.width;
  const body =
    d.kind === 'mlp'
      ? 'h[j] = max(z[j], 0.0);'
      : d.kind === 'siren'
        ? `h[j] = sin(${glslFloat(d.omega)} * z[j]);`
        : `h[j] = ${glslFloat(d.m)} * tanhSafe(z[j]) * sigmoid(z[${H} + j]) * sin(z[${2 * H} + j]) * cos(z[${3 * H} + j]);`;
  return `
void activate(in float z[${hiddenColumns(d)}], out float h[${H}]) {
  for (int j = 0; j < ${H}; j++) { ${body} }
}`;
}

function decoderCode(s: SnapshotInfo, w: WeightsLayout): string {
  const d = s.decoder;
  const F = s.appDim;
  const F4 = groups4(F);
  const D0 = decoderInputDim(F, d.fePe, d.viewPe);
  const Z = hiddenColumns(d);
  const H = d.width;
  const Z4 = groups4(Z);
  const layer = (name: string, input: string, fanIn: number, out: string, li: number) => `
  for (int q = 0; q < ${Z4}; q++) {
    vec4 acc = weight(${w.b[li]} + q);
    for (int i = 0; i < ${fanIn}; i++) acc += ${input}[i] * weight(${w.w[li]} + i * ${Z4} + q);
    for (int k = 0; k < 4; k++) if (4 * q + k < ${Z}) ${out}[4 * q + k] = acc[k];
  } // ${name}`;
  const pe = (src: string, n: number, freqs: number, base: number) =>
    freqs === 0
      ? ''
      : `
  for (int j = 0; j < ${n}; j++) {
    float scale = 1.0;
    for (int k = 0; k < ${freqs}; k++) {
      x[${base} + j * ${freqs} + k] = sin(${src} * scale);
      x[${base + n * freqs} + j * ${freqs} + k] = cos(${src} * scale);
      scale *= 2.0;
    }
  }`;
  return `
vec3 decode(vec4 f4[${F4}], vec3 dir) {
  float x[${D0}];
  for (int j = 0; j < ${F}; j++) x[j] = f4[j / 4][j % 4];
  x[${F}] = dir.x; x[${F + 1}] = dir.y; x[${F + 2}] = dir.z;${pe(`x[j]`, F, d.fePe, F + 3)}${pe('dir[j]', 3, d.viewPe, F + 3 + 2 * F * d.fePe)}
  float z[${Z}];
  float h[${H}];${layer('layer 1', 'x', D0, 'z', 0)}
  activate(z, h);${layer('layer 2', 'h', H, 'z', 1)}
  activate(z, h);
  vec4 o = weight(${w.b[2]});
  for (int i = 0; i < ${H}; i++) o += h[i] * weight(${w.w[2]} + i);
  return vec3(sigmoid(o.x), sigmoid(o.y), sigmoid(o.z));
}`;
}

function maskCode(s: SnapshotInfo): string {
  if (!s.mask) return '\nbool inMask(vec3 p) { return true; }';
  const m = s.mask;
  const [nx, ny, nz] = m.reso;
  return `
uniform highp usampler3D uMask;
bool inMask(vec3 p) {
  vec3 g = (p - ${vec3(m.box.min)}) / (${vec3(m.box.max)} - ${vec3(m.box.min)}) * vec3(${nx - 1}.0, ${ny - 1}.0, ${nz - 1}.0);
  vec3 g0 = floor(g);
  vec3 fr = g - g0;
  ivec3 i0 = ivec3(g0);
  for (int dz = 0; dz < 2; dz++) {
    int zi = i0.z + dz;
    float wz = dz == 1 ? fr.z : 1.0 - fr.z;
    if (zi < 0 || zi >= ${nz} || wz <= 0.0) continue;
    for (int dy = 0; dy < 2; dy++) {
      int yi = i0.y + dy;
      float wy = dy == 1 ? fr.y : 1.0 - fr.y;
      if (yi < 0 || yi >= ${ny} || wy <= 0.0) continue;
      for (int dx = 0; dx < 2; dx++) {
        int xi = i0.x + dx;
        float wx = dx == 1 ? fr.x : 1.0 - fr.x;
        if (xi < 0 || xi >= ${nx} || wx <= 0.0) continue;
        if (texelFetch(uMask, ivec3(xi, yi, zi), 0).r != 0u) return true;
      }
    }
  }
  return false;
}`;
}

/** The fragment shader for a snapshot with this info; `w` is its weights layout (texture-layout.ts). */
export function marchFragment(s: SnapshotInfo, w: WeightsLayout): string {
  const DC4 = groups4(s.densityComps);
  const F4 = groups4(s.appDim);
  const [nx, ny, nz] = s.reso;
  const r = s.render;
  const inv = [0, 1, 2].map((a) => 2 / (s.box.max[a] - s.box.min[a]));
  return `precision highp float;
precision highp int;
precision highp sampler2D;
precision highp sampler2DArray;
uniform sampler2DArray uDensityPlane0, uDensityPlane1, uDensityPlane2, uAppPlane0, uAppPlane1, uAppPlane2;
uniform sampler2D uLines;
uniform sampler2D uWeights;
uniform mat3 uRot;
uniform vec3 uOrigin;
uniform float uFocal;
uniform vec2 uSize;
uniform int uOutput;
out vec4 outColor;

float sigmoid(float x) { return 1.0 / (1.0 + exp(-x)); }
float tanhSafe(float x) { float t = exp(-2.0 * abs(x)); return sign(x) * (1.0 - t) / (1.0 + t); }
float softplus(float x) { return x > 20.0 ? x : log(1.0 + exp(x)); }
vec4 weight(int i) { return texelFetch(uWeights, ivec2(i % ${WEIGHTS_WIDTH}, i / ${WEIGHTS_WIDTH}), 0); }

/** (i0, fraction) of an aligned-corners tap along an axis of n texels (vm-kernels.ts axisTap). */
vec2 tap(float x, int n) {
  float px = clamp((x + 1.0) * 0.5 * float(n - 1), 0.0, float(n - 1));
  float i0 = min(floor(px), float(n - 2));
  return vec2(i0, px - i0);
}
vec4 planeAt(sampler2DArray tex, vec2 u, vec2 v, int layer) {
  ivec2 i = ivec2(int(u.x), int(v.x));
  vec4 t00 = texelFetch(tex, ivec3(i.x, i.y, layer), 0);
  vec4 t10 = texelFetch(tex, ivec3(i.x + 1, i.y, layer), 0);
  vec4 t01 = texelFetch(tex, ivec3(i.x, i.y + 1, layer), 0);
  vec4 t11 = texelFetch(tex, ivec3(i.x + 1, i.y + 1, layer), 0);
  return (t00 * (1.0 - u.y) + t10 * u.y) * (1.0 - v.y) + (t01 * (1.0 - u.y) + t11 * u.y) * v.y;
}
vec4 lineAt(vec2 l, int row) {
  vec4 a = texelFetch(uLines, ivec2(int(l.x), row), 0);
  vec4 b = texelFetch(uLines, ivec2(int(l.x) + 1, row), 0);
  return a * (1.0 - l.y) + b * l.y;
}
${densityCode(DC4)}
${appearanceCode(s, DC4, w)}
${activationCode(s)}
${decoderCode(s, w)}
${maskCode(s)}

const vec3 BOX_MIN = ${vec3(s.box.min)};
const vec3 BOX_MAX = ${vec3(s.box.max)};
const vec3 INV = ${vec3(inv)};
const float STEP = ${glslFloat(r.step)};
const int NS = ${r.nSamples};
const float STOP_T = ${glslFloat(stopT(r.weightThreshold, r.nSamples))};

void main() {
  vec2 px = gl_FragCoord.xy;
  vec3 dir = normalize(uRot * vec3((px.x - 0.5 * uSize.x) / uFocal, (px.y - 0.5 * uSize.y) / uFocal, -1.0));
  vec3 o = uOrigin;
  vec3 dd = vec3(dir.x == 0.0 ? 1e-6 : dir.x, dir.y == 0.0 ? 1e-6 : dir.y, dir.z == 0.0 ? 1e-6 : dir.z);
  vec3 ta = (BOX_MAX - o) / dd;
  vec3 tb = (BOX_MIN - o) / dd;
  vec3 lo = min(ta, tb);
  vec3 hi = max(ta, tb);
  float tIn = max(max(lo.x, lo.y), lo.z);
  float tOut = min(min(hi.x, hi.y), hi.z);
  vec3 rgb = vec3(0.0);
  float wsum = 0.0;
  float depth = 0.0;
  float T = 1.0;
  float rest = 0.0;
  if (tOut > tIn) {
    float tMin = min(max(tIn, ${glslFloat(r.near)}), ${glslFloat(r.far)});
    int kFirst = max(0, int(floor((tIn - tMin) / STEP)) - 1);
    int kept = 0;
    for (int k = kFirst; k < NS; k++) {
      float t = tMin + STEP * float(k);
      if (t > tOut + STEP) break;
      vec3 p = o + dir * t;
      if (any(lessThan(p, BOX_MIN)) || any(greaterThan(p, BOX_MAX))) continue;
      if (!inMask(p)) continue;
      if (kept > 0 && kept % ${MARCH_SEGMENT} == 0 && T < STOP_T) {
        rest = T;
        depth += T * t;
        break;
      }
      kept++;
      vec3 c = (p - BOX_MIN) * INV - 1.0;
      vec2 tx = tap(c.x, ${nx});
      vec2 ty = tap(c.y, ${ny});
      vec2 tz = tap(c.z, ${nz});
      float sigma = softplus(density(tx, ty, tz) + ${glslFloat(r.densityShift)});
      float delta = k == NS - 1 ? 0.0 : STEP;
      float alpha = 1.0 - exp(-sigma * delta * ${glslFloat(r.distanceScale)});
      float w = alpha * T;
      T *= 1.0 - alpha;
      wsum += w;
      depth += w * t;
      if (w > ${glslFloat(r.weightThreshold)}) {
        vec4 f4[${F4}];
        appearance(tx, ty, tz, f4);
        rgb += w * decode(f4, dir);
      }
    }
  }
  float acc = wsum + rest;
  if (uOutput == 0) outColor = vec4(clamp(rgb + 1.0 - wsum - rest, 0.0, 1.0), acc);
  else outColor = vec4(depth, acc, 0.0, 1.0);
}
`;
}
