/**
 * What a storage-buffer load costs against an FMA on the active WebGPU adapter (not part of the tests).
 *   node scripts/run.mjs scripts/load-costs-webgpu.ts
 *
 * Why: on lavapipe the tiled matmul stays at 3-5 GFLOP/s whatever its register tile. Each variant
 * below runs one invocation per lane over N lanes and prints lane operations per second:
 *   fma          8 independent FMA chains, no memory traffic (the arithmetic rate)
 *   fma-unrolled the same FMAs with the loop unrolled 16 times (what a loop's control costs)
 *   divergent    a loop of loads whose address differs across lanes (A's rows in the matmul)
 *   uniform      a loop of loads whose address is the same in every lane of a workgroup (B in the matmul)
 *   constant     the same number of loads, unrolled, at addresses fixed in the source
 *   vec4         the divergent loop with vec4 loads (elements per second)
 *   cached       loads at addresses that differ across lanes within a 64 KiB buffer (cache-resident)
 *   workgroup    the same from a workgroup array (shared memory, as a tiled matmul would stage tiles)
 *   private      the same from a per-lane array (registers or stack)
 *   empty        the write alone: what a dispatch and the read costs, subtracted from the others
 * Each variant is timed 6 times (a one-element read ends each); the median less empty's is used.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/backend';
import { MAIN, runProgram, WgslProgram, webgpuBackend } from '../src/core/kernels/webgpu-program';

const info = await initBackend('webgpu');
console.log(info.device);
const backend = webgpuBackend('load-costs-webgpu', 'nothing else');
const N = 81920; // lanes
const K = 128; // loads (or FMA rounds) per lane
const FMA_ROUNDS = K * 16;
const a = tf.randomNormal([N * K], 0, 1, 'float32', 1);
const b = tf.randomNormal([K * 128], 0, 1, 'float32', 2);
// every variant reads both buffers and uniforms.size (unused bindings are stripped and the bind group would not match)
const write = (v: string) => `if (index < uniforms.size) { result[index] = ${v} + f32(a[0]) + f32(b[0]); }`;
const constantLoads = [...Array(K).keys()].map((k) => `s = s + f32(b[${k * 128}]);`).join(' ');

const variants: { name: string; perLane: number; vec4?: boolean; code: string }[] = [
  { name: 'empty', perLane: 0, code: `${MAIN} {\n  ${write('0.0')}\n}` },
  {
    name: 'fma',
    perLane: FMA_ROUNDS * 8,
    code: `${MAIN} {
  let l = f32(index);
  var c0 = l; var c1 = l * 2.0; var c2 = l * 3.0; var c3 = l * 4.0; var c4 = l * 5.0; var c5 = l * 6.0; var c6 = l * 7.0; var c7 = l * 8.0;
  for (var k = 0; k < ${FMA_ROUNDS}; k++) {
    let x = f32(k) * 1e-6;
    c0 = fma(c0, x, c1); c1 = fma(c1, x, c2); c2 = fma(c2, x, c3); c3 = fma(c3, x, c4);
    c4 = fma(c4, x, c5); c5 = fma(c5, x, c6); c6 = fma(c6, x, c7); c7 = fma(c7, x, c0);
  }
  ${write('c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7')}
}`,
  },
  {
    name: 'fma-unrolled',
    perLane: FMA_ROUNDS * 8,
    code: `${MAIN} {
  let l = f32(index);
  var c0 = l; var c1 = l * 2.0; var c2 = l * 3.0; var c3 = l * 4.0; var c4 = l * 5.0; var c5 = l * 6.0; var c6 = l * 7.0; var c7 = l * 8.0;
  for (var k = 0; k < ${FMA_ROUNDS / 16}; k++) {
    let x = f32(k) * 1e-6;
${Array(16)
  .fill(
    '    c0 = fma(c0, x, c1); c1 = fma(c1, x, c2); c2 = fma(c2, x, c3); c3 = fma(c3, x, c4);\n    c4 = fma(c4, x, c5); c5 = fma(c5, x, c6); c6 = fma(c6, x, c7); c7 = fma(c7, x, c0);',
  )
  .join('\n')}
  }
  ${write('c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7')}
}`,
  },
  {
    name: 'divergent',
    perLane: K,
    code: `${MAIN} {
  var s = 0.0; let r = min(index, ${N - 1}) * ${K};
  for (var k = 0; k < ${K}; k++) { s = s + f32(a[r + k]); }
  ${write('s')}
}`,
  },
  {
    name: 'uniform',
    perLane: K,
    code: `${MAIN} {
  var s = 0.0; let c = i32(workgroupId.x) % 128;
  for (var k = 0; k < ${K}; k++) { s = s + f32(b[k * 128 + c]); }
  ${write('s')}
}`,
  },
  {
    name: 'cached',
    perLane: K * 8,
    code: `${MAIN} {
  var s = 0.0; let c = index * 37;
  for (var k = 0; k < ${K * 8}; k++) { s = s + f32(b[(c + k * 129) & 16383]); }
  ${write('s')}
}`,
  },
  {
    name: 'workgroup',
    perLane: K * 8,
    code: `var<workgroup> tile : array<f32, 2048>;
${MAIN} {
  let lid = i32(localId.x);
  for (var i = lid; i < 2048; i += 64) { tile[i] = f32(b[i]); }
  workgroupBarrier();
  var s = 0.0;
  for (var k = 0; k < ${K * 8}; k++) { s = s + tile[(lid * 17 + k * 13) & 2047]; }
  ${write('s')}
}`,
  },
  {
    name: 'private',
    perLane: K * 8,
    code: `${MAIN} {
  var t : array<f32, 16>;
  for (var i = 0; i < 16; i++) { t[i] = f32(index + i); }
  var s = 0.0;
  for (var k = 0; k < ${K * 8}; k++) { s = s + t[(index + k) & 15]; }
  ${write('s')}
}`,
  },
  { name: 'constant', perLane: K, code: `${MAIN} {\n  var s = 0.0; ${constantLoads}\n  ${write('s')}\n}` },
  {
    name: 'vec4',
    perLane: K,
    vec4: true,
    code: `${MAIN} {
  var s = vec4<f32>(0.0); let r = min(index, ${N - 1}) * ${K / 4};
  for (var k = 0; k < ${K / 4}; k++) { s = s + a[r + k]; }
  if (index < uniforms.size) { result[index] = s + a[0] + b[0]; }
}`,
  },
];

let floorMs = 0;
for (const v of variants) {
  const program = new WgslProgram({
    shaderKey: `load_costs_${v.name}`,
    outputShape: [v.vec4 ? N * 4 : N],
    threads: N,
    variableNames: ['a', 'b'],
    size: true,
    outputComponent: v.vec4 ? 4 : 1,
    code: v.code,
  });
  const ms: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const out = runProgram(backend, program, [a, b]);
    await out.data();
    if (i > 0) ms.push(performance.now() - t0); // the first one compiles the pipeline
    out.dispose();
  }
  ms.sort((x, y) => x - y);
  const median = ms[Math.floor(ms.length / 2)];
  if (v.name === 'empty') {
    floorMs = median;
    console.log(`${v.name.padEnd(12)} ${median.toFixed(1).padStart(8)} ms  (subtracted below)`);
    continue;
  }
  const rate = (N * v.perLane) / ((median - floorMs) * 1e6);
  console.log(`${v.name.padEnd(12)} ${median.toFixed(1).padStart(8)} ms  ${rate.toFixed(2).padStart(7)} G lane-ops/s`);
}
tf.dispose([a, b]);
