/**
 * Tensor leaks on webgpu (DESIGN.md section 7), the checks of leak-checks.ts as leak.test.ts runs them on cpu: tf.memory().numTensors
 * must not grow across device-path training steps with the fused kernels (fieldOpsFor('webgpu'):
 * custom gradients that save tensors for their backward, the fused placement and compositing) nor
 * across renders, and nothing may be left after the path is disposed. Skipped with
 * TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldOpsFor } from '../../../src/core/render/field-ops';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../webgpu-session';
import { expectDevicePathSteady, expectRendersSteady, leakConfig } from './leak-checks';

describe('no tensor leaks on webgpu', () => {
  let session: WebgpuSession = { error: 'not started' };
  beforeAll(async () => {
    session = await startWebgpu();
  });
  afterAll(stopWebgpu);

  it('device path with the fused kernels: same numTensors after steps 2, 4 and 6, none left after dispose', async (ctx) => {
    requireWebgpu(session, ctx);
    const ops = fieldOpsFor('webgpu');
    expect(ops.name).toBe('webgpu-fused');
    await expectDevicePathSteady(ops, leakConfig('webgpu', 'mlp', 6));
  });

  it('rendering: same numTensors after 1, 3 and 5 renders', async (ctx) => {
    requireWebgpu(session, ctx);
    await expectRendersSteady(leakConfig('webgpu', 'mlp', 1));
  });
});
