/** The browser side of the shader tests: bundled with esbuild and run in Chromium (shader-march.test.ts). */
import * as THREE from 'three';
import { decodeSnapshot } from '../../../src/core/snapshot/snapshot-codec';
import { type MarchCamera, marchTarget, ShaderMarcher, shaderSupport } from '../../../src/renderer/shader/shader-marcher';

let renderer: THREE.WebGLRenderer | null = null;
let marcher: ShaderMarcher | null = null;

function bytesOf(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

(window as unknown as Record<string, unknown>).march = (b64: string, cam: MarchCamera, output: 'rgb' | 'depth', bands: number) => {
  if (!renderer) {
    renderer = new THREE.WebGLRenderer({ canvas: document.createElement('canvas') });
    marcher = new ShaderMarcher(renderer);
  }
  const support = shaderSupport(renderer);
  if (support) return { error: support };
  const problem = marcher!.load(decodeSnapshot(bytesOf(b64)));
  if (problem) return { error: problem };
  const target = marchTarget(cam.width, cam.height, false);
  const t0 = performance.now();
  // in bands of rows, as the viewer refines a still frame
  for (let b = 0; b < bands; b++) {
    const y0 = Math.floor((b * cam.height) / bands);
    const y1 = Math.floor(((b + 1) * cam.height) / bands);
    marcher!.render(target, cam, output, [y0, y1]);
  }
  renderer!.readRenderTargetPixels(target, 0, cam.height - 1, 1, 1, new Float32Array(4)); // wait for the last band
  const ms = performance.now() - t0;
  const pixels = marcher!.read(target);
  target.dispose();
  return { pixels: Array.from(pixels), ms, shaderError: marcher!.shaderError };
};
