/**
 * WGSL for the fused Adam update (the tfjs glue is kernels/webgpu-adam.ts). A tfjs program has
 * one output, so the update is three programs over the same inputs (param, mom1 = m, mom2 = v,
 * grad), each writing one of p', m', v' and recomputing the moments it needs in registers:
 *   m' = beta1 m + (1 - beta1) g
 *   v' = beta2 v + (1 - beta2) g g
 *   p' = p - stepSize m' / (sqrt(v') / bc2 + eps)
 * (kernels/adam-scalars.ts; the same association as train/adam.ts). One invocation per element,
 * or per 4 elements (vec4 loads and stores) when the size is a multiple of 4; the element count
 * is uniforms.size, every constant a uniform, so no size or hyper-parameter is baked in.
 */

/** The program-defined uniforms, in the order webgpu-adam.ts passes their values. */
export const ADAM_UNIFORMS = 'beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, stepSize : f32, bc2 : f32, eps : f32,';

export type AdamOutput = 'param' | 'm' | 'v';

const EXPR: Record<AdamOutput, string> = {
  m: 'uniforms.beta1 * READ(mom1) + uniforms.oneMinusBeta1 * g',
  v: 'uniforms.beta2 * READ(mom2) + uniforms.oneMinusBeta2 * g * g',
  param: 'READ(param) - uniforms.stepSize * m1 / (sqrt(v1) / uniforms.bc2 + uniforms.eps)',
};

/**
 * The program writing one of p', m', v'. With vec4, every buffer is an array of vec4s (tfjs
 * declares them so for outputComponent 4) and uniforms.size counts vec4s; the arithmetic is the
 * same, component-wise. Reads convert to f32: a float32 tensor made by a zero-copy cast from
 * int32 or bool still has an i32 buffer, and tfjs declares the buffer by its storage type.
 */
export function adamSource(main: string, out: AdamOutput, vec4: boolean): string {
  const read = (name: string) => `${vec4 ? 'vec4<f32>' : 'f32'}(${name}[index])`;
  const lines = [`let g = ${read('grad')};`];
  if (out === 'param') {
    lines.push(`let m1 = ${EXPR.m};`, `let v1 = ${EXPR.v};`);
  }
  lines.push(`result[index] = ${EXPR[out]};`);
  const code = lines.map((l) => l.replace(/READ\((\w+)\)/g, (_, name: string) => read(name)));
  return `
${main} {
  if (index < uniforms.size) {
    ${code.join('\n    ')}
  }
}
`;
}

/** Buffer names, in input order. */
export const ADAM_VARIABLES: Record<AdamOutput, string[]> = {
  param: ['param', 'mom1', 'mom2', 'grad'],
  m: ['mom1', 'grad'],
  v: ['mom2', 'grad'],
};
