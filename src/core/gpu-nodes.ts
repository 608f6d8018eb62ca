/**
 * Whether WebGPU could find a hardware adapter here, answered without loading the `webgpu` package
 * (Dawn prints warnings as it starts, and starting it takes time). On Linux every GPU driver has a
 * device node: /dev/dri/renderD* (Mesa, AMD, Intel), /dev/nvidia0.. (NVIDIA), /dev/dxg (WSL).
 * Without one, WebGPU could only find a software adapter (lavapipe), which `auto` never picks, so
 * `auto` does not probe it. On other systems it cannot be told this way: `auto` probes.
 */
import { readdirSync } from 'node:fs';

const GPU_NODE = /^(dri\/renderD\d+|nvidia\d+|dxg)$/;

/** The GPU device nodes among the entries of /dev (names relative to /dev, dri/ entries as dri/NAME). */
export function gpuDeviceNodes(devEntries: readonly string[]): string[] {
  return devEntries.filter((e) => GPU_NODE.test(e));
}

function listDev(): string[] {
  const read = (d: string) => {
    try {
      return readdirSync(d);
    } catch {
      return [];
    }
  };
  return [...read('/dev'), ...read('/dev/dri').map((e) => `dri/${e}`)];
}

/** null when a GPU may be present (probe it), else why WebGPU cannot find a hardware adapter. */
export function noGpuReason(platform: string = process.platform, devEntries: () => readonly string[] = listDev): string | null {
  if (platform !== 'linux') return null;
  return gpuDeviceNodes(devEntries()).length > 0 ? null : 'no GPU device node (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg), so not probed';
}
