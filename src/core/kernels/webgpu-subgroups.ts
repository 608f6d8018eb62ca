/**
 * Subgroups for the webgpu backend's device, where the adapter runs them eight lanes wide (Mesa's
 * lavapipe on a 256-bit CPU: its subgroups are the CPU's vector registers). There a subgroup
 * broadcast is one register shuffle, while every buffer load costs 12-19 FMAs
 * (scripts/load-costs-webgpu.ts), so the subgroup matmul (wgsl/matmul-subgroup.ts) loads each
 * value once per subgroup instead of once per lane: 1.4-3x the register-tiled kernel's GFLOP/s there
 * at the decoder's shapes (`node scripts/run.mjs scripts/kernel-timings.ts --only matmul`).
 *
 * tfjs-backend-webgpu 4.22 makes its device itself (requestAdapter, then requestDevice with its
 * own features) and writes its own header before a program's code, so this wraps
 * navigator.gpu.requestAdapter before the backend starts: the device is asked for 'subgroups',
 * and its createShaderModule moves the two directives the subgroup program needs
 * (`enable subgroups;`, `diagnostic(off, subgroup_uniformity);`) to the top of the module, where
 * WGSL wants them. Other shaders pass through unchanged. The uniformity diagnostic is off because
 * WGSL's analysis cannot see that a workgroup of eight is one subgroup; the kernel relies on that,
 * so it is used only where the adapter's subgroup size is exactly 8 (min = max).
 *
 * TENSORF_WEBGPU_SUBGROUPS=0 leaves the device as tfjs makes it (for comparisons).
 */
import { SUBGROUP_DIRECTIVES } from './wgsl/matmul-subgroup';

/** The subgroup width the device was created for (8), or 0: no subgroup kernels on this device. */
let lanes = 0;
/** Whether the last install allowed the subgroup device (TENSORF_WEBGPU_SUBGROUPS was not 0). */
let allowed = true;

/** 8 when the subgroup matmul may run on the current webgpu device, else 0. */
export function subgroupLanes(): number {
  return lanes;
}

/** The module source with the subgroup directives moved to its start (only when the source has them). */
export function hoistSubgroupDirectives(code: string): string {
  const lines = code.split('\n');
  const found = SUBGROUP_DIRECTIVES.filter((d) => lines.some((l) => l.trim() === d));
  if (found.length === 0) return code;
  return [...found, ...lines.filter((l) => !(SUBGROUP_DIRECTIVES as readonly string[]).includes(l.trim()))].join('\n');
}

interface AdapterLike {
  features: { has(f: string): boolean };
  info?: { subgroupMinSize?: number; subgroupMaxSize?: number };
  requestDevice(d?: { requiredFeatures?: Iterable<string> }): Promise<DeviceLike>;
}
interface DeviceLike {
  createShaderModule(d: { code: string }): unknown;
}
interface GpuLike {
  requestAdapter(o?: unknown): Promise<AdapterLike | null>;
}

const WRAPPED = Symbol.for('tensorf.subgroupsWrapped');

/** Whether an adapter gets the subgroup device: subgroups exactly 8 lanes wide. */
export function subgroupsFit(adapter: AdapterLike): boolean {
  const i = adapter.info ?? {};
  return adapter.features.has('subgroups') && i.subgroupMinSize === 8 && i.subgroupMaxSize === 8;
}

/** Wraps gpu.requestAdapter as the header says (idempotent); call before tfjs starts the backend. */
export function installSubgroupDevice(gpu: object, env: Record<string, string | undefined> = process.env): void {
  const g = gpu as GpuLike & { [WRAPPED]?: boolean };
  allowed = env.TENSORF_WEBGPU_SUBGROUPS !== '0';
  if (!allowed) lanes = 0;
  if (!allowed || g[WRAPPED]) return;
  const requestAdapter = g.requestAdapter.bind(g);
  g.requestAdapter = async (o?: unknown) => {
    lanes = 0;
    const adapter = await requestAdapter(o);
    if (!adapter || !allowed || !subgroupsFit(adapter)) return adapter;
    const requestDevice = adapter.requestDevice.bind(adapter);
    adapter.requestDevice = async (d = {}) => {
      const device = await requestDevice({ ...d, requiredFeatures: [...(d.requiredFeatures ?? []), 'subgroups'] });
      const create = device.createShaderModule.bind(device);
      device.createShaderModule = (m) => create({ ...m, code: hoistSubgroupDirectives(m.code) });
      lanes = 8;
      return device;
    };
    return adapter;
  };
  g[WRAPPED] = true;
}
