/**
 * `auto` loads the webgpu package (Dawn, which prints warnings as it starts) only where a GPU may be:
 * on Linux, where a GPU driver has a device node (src/core/gpu-nodes.ts).
 */
import { describe, expect, it } from 'vitest';
import { gpuDeviceNodes, noGpuReason } from '../../src/core/gpu-nodes';

describe('GPU device nodes', () => {
  it('finds render nodes, NVIDIA devices and WSL /dev/dxg, nothing else', () => {
    expect(gpuDeviceNodes(['null', 'tty0', 'dri/card0', 'dri/renderD128', 'nvidia0', 'nvidiactl', 'nvidia-uvm', 'dxg'])).toEqual([
      'dri/renderD128',
      'nvidia0',
      'dxg',
    ]);
  });

  it('Linux without one: not probed, and says why; with one, or on another system: probed', () => {
    expect(noGpuReason('linux', () => ['null', 'zero', 'dri/card0'])).toMatch(/^no GPU device node/);
    expect(noGpuReason('linux', () => ['nvidia0'])).toBeNull();
    expect(noGpuReason('linux', () => ['dri/renderD128'])).toBeNull();
    expect(noGpuReason('darwin', () => [])).toBeNull();
    expect(noGpuReason('win32', () => [])).toBeNull();
  });
});
