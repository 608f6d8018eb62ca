/**
 * The shader ray-marcher (run in Chromium on SwiftShader) against the host renderer, on the same
 * snapshot (float32 planes, so both read the same numbers), for every decoder: a small camera's
 * rays through a random model with an alpha mask, whole and in bands of rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraRays } from '../../../src/core/data/rays';
import { NEAR_FAR, rayBox, STEP_RATIO } from '../../../src/core/field/geometry';
import { registerFastCpuKernels } from '../../../src/core/kernels/register';
import { lookAt } from '../../../src/core/render/turntable';
import { renderRays } from '../../../src/core/render/render-rays';
import { decodeSnapshot, encodeSnapshot } from '../../../src/core/snapshot/snapshot-codec';
import { modelOfSnapshot, snapshotOf } from '../../../src/core/snapshot/snapshot-of';
import { randomModel } from '../../core/snapshot/random-model';
import { bundleForPage, CHROMIUM, launchChromium } from './chromium';

const skip = !CHROMIUM && process.env.TENSORF_REQUIRE_BROWSER !== '1';
let browser: Browser | null = null;
let page: Page | null = null;

beforeAll(async () => {
  if (skip) return;
  await tf.setBackend('cpu');
  registerFastCpuKernels();
  browser = await launchChromium();
  page = await browser.newPage();
  await page.setContent('<html><body></body></html>');
  await page.addScriptTag({ content: await bundleForPage('test/renderer/shader/march-page.ts') });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

interface PageResult {
  pixels?: number[];
  error?: string;
  shaderError?: string | null;
}

const W = 14;
const H = 11;

describe.skipIf(skip)('shader ray-marcher vs the host renderer', () => {
  for (const decoder of ['mlp', 'siren', 'splitnet'] as const) {
    it(`${decoder}: colour, opacity and depth of every pixel agree`, async () => {
      const { model, mask } = randomModel(decoder, 11);
      const bytes = encodeSnapshot(snapshotOf(model, mask, { iteration: 5, planes: 'f32' }));
      const same = modelOfSnapshot(decodeSnapshot(bytes));
      const pose = lookAt([2.0, -1.5, 0.9], [0.05, 0, 0], [0, 0, 1]);
      const focal = 9;
      const rays = cameraRays(pose, W, H, focal);
      const host = await renderRays(same.model, rays.origins, rays.dirs, rays.count, {
        mask: same.mask,
        stepRatio: STEP_RATIO,
        chunk: 4096,
      });
      const cam = { pose: Array.from(pose), focal, width: W, height: H };
      const b64 = Buffer.from(bytes).toString('base64');
      const run = async (output: 'rgb' | 'depth', bands: number) => {
        const r = (await page!.evaluate(
          ([b, c, o, n]) => (window as unknown as { march: (...a: unknown[]) => unknown }).march(b, c, o, n),
          [b64, cam, output, bands] as const,
        )) as PageResult;
        expect(r.error ?? r.shaderError ?? null).toBeNull();
        return Float32Array.from(r.pixels!);
      };
      const rgb = await run('rgb', 1);
      const banded = await run('rgb', 3);
      const dep = await run('depth', 1);
      const onFace = (hp: number) => rayBox(rays.origins, 3 * hp, rays.dirs, 3 * hp, same.model.field.box)[0] > NEAR_FAR[0];
      let faceRays = 0;
      let worst = 0;
      let worstDepth = 0;
      let opaque = 0;
      let colour = 0; // how far the decoded colours move a pixel from the grey of its opacity
      let partial = 0;
      for (let j = 0; j < H; j++) {
        for (let i = 0; i < W; i++) {
          const hp = j * W + i; // host: row-major from the top
          const sp = ((H - 1 - j) * W + i) * 4; // shader: from the bottom row
          // a ray that enters the box beyond `near` has its first sample exactly on the box's face,
          // inside or outside by the last bit of the position: float64 on the host, float32 here
          const diff = Math.max(
            ...[0, 1, 2].map((c) => Math.abs(rgb[sp + c] - host.rgb[3 * hp + c])),
            Math.abs(rgb[sp + 3] - host.acc[hp]),
          );
          if (diff > 2e-4 && onFace(hp)) {
            faceRays++;
            continue;
          }
          for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(rgb[sp + c] - host.rgb[3 * hp + c]));
          worst = Math.max(worst, Math.abs(rgb[sp + 3] - host.acc[hp]), Math.abs(dep[sp + 1] - host.acc[hp]));
          worstDepth = Math.max(worstDepth, Math.abs(dep[sp] - host.depth[hp]));
          colour = Math.max(colour, Math.abs(host.rgb[3 * hp] - (1 - host.acc[hp])));
          if (host.acc[hp] > 0.95) opaque++;
          else if (host.acc[hp] > 0.05) partial++;
        }
      }
      // the picture is not trivial: some rays end in the object, some pass partly through it
      expect(opaque).toBeGreaterThan(10);
      expect(partial).toBeGreaterThan(5);
      expect(colour).toBeGreaterThan(0.1);
      // float32 on both sides; the host composites in float64 (see the module header)
      expect(worst).toBeLessThan(2e-4);
      expect(faceRays).toBeLessThanOrEqual(2);
      expect(worstDepth).toBeLessThan(2e-3);
      expect(Array.from(banded)).toEqual(Array.from(rgb));
    }, 60_000);
  }
});
