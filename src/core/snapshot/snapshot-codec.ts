/**
 * The binary form of a model snapshot (one WebSocket binary frame, or one buffer over IPC):
 *
 *   "TRFSNAP1" (8 bytes) | uint32 LE header length | header JSON (UTF-8, space-padded so the
 *   arrays start 4-byte aligned) | the arrays, each 4-byte aligned
 *
 * The header is the snapshot's SnapshotInfo plus `arrays`: [name, dtype, offset, length] in a
 * fixed order. decodeSnapshot checks every field, that each array has exactly the size its shape
 * implies (from the grid, component counts and decoder), and that it lies inside the buffer; any
 * mismatch is one SchemaError naming the field. The arrays of a decoded snapshot are views into
 * the buffer (no copy).
 */
import { arr, fail, num, obj, oneOf, optional, str, typed } from '../checks';
import { SchemaError } from '../errors';
import { decoderInputDim } from '../decoders/input-dim';
import type { Box, Vec3 } from '../field/geometry';
import { lineShape, planeShape } from '../field/vm-kernels';
import { hiddenColumns, type ModelSnapshot, SNAPSHOT_DECODERS, type SnapshotInfo } from './model-snapshot';

export const SNAPSHOT_MAGIC = 'TRFSNAP1';
/** Largest grid side, component count and decoder width a snapshot may declare. */
const MAX_SIDE = 2048;
const MAX_COMPS = 512;
const MAX_WIDTH = 2048;
const MAX_HEADER = 64 * 1024;

type DType = 'f16' | 'f32' | 'u8';
const BYTES: Record<DType, number> = { f16: 2, f32: 4, u8: 1 };

const vec3 = typed<Vec3>((v, at) => arr(num(-1e6, 1e6), 3, 3)(v, at));
const ivec3 = typed<Vec3>((v, at) => arr(num(2, MAX_SIDE, true), 3, 3)(v, at));
const box = obj({ min: vec3, max: vec3 });
const infoCheck = obj({
  label: optional(str(200)),
  iteration: num(0, 1e9, true),
  box,
  reso: ivec3,
  densityComps: num(1, MAX_COMPS, true),
  appComps: num(1, MAX_COMPS, true),
  appDim: num(1, MAX_COMPS, true),
  decoder: obj({
    kind: oneOf(SNAPSHOT_DECODERS),
    width: num(1, MAX_WIDTH, true),
    fePe: num(0, 16, true),
    viewPe: num(0, 16, true),
    omega: num(0, 1e4),
    m: num(-1e6, 1e6),
  }),
  mask: typed<{ box: Box; reso: Vec3 } | null>((v, at) => (v === null ? undefined : obj({ box, reso: ivec3 })(v, at))),
  render: obj({
    step: num(1e-9, 1e6),
    nSamples: num(1, 1e6, true),
    near: num(0, 1e6),
    far: num(0, 1e6),
    densityShift: num(-1e6, 1e6),
    distanceScale: num(0, 1e6),
    weightThreshold: num(0, 1),
  }),
  planes: oneOf(['f16', 'f32'] as const),
});

interface ArraySpec {
  name: string;
  dtype: DType;
  length: number;
}

/** The arrays a snapshot with this info holds, in order, with the sizes its shapes imply. */
function arraySpecs(info: SnapshotInfo): ArraySpec[] {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const specs: ArraySpec[] = [];
  for (const [kind, C] of [
    ['density', info.densityComps],
    ['app', info.appComps],
  ] as const) {
    for (let p = 0; p < 3; p++) specs.push({ name: `${kind}Plane${p}`, dtype: info.planes, length: size(planeShape(info.reso, p, C)) });
    for (let p = 0; p < 3; p++) specs.push({ name: `${kind}Line${p}`, dtype: 'f32', length: size(lineShape(info.reso, p, C)) });
  }
  specs.push({ name: 'basis', dtype: 'f32', length: 3 * info.appComps * info.appDim });
  const d = info.decoder;
  const D0 = decoderInputDim(info.appDim, d.fePe, d.viewPe);
  const Z = hiddenColumns(d);
  const layers: [number, number][] = [
    [D0, Z],
    [d.width, Z],
    [d.width, 3],
  ];
  layers.forEach(([fanIn, fanOut], i) => {
    specs.push({ name: `l${i + 1}.w`, dtype: 'f32', length: fanIn * fanOut });
    specs.push({ name: `l${i + 1}.b`, dtype: 'f32', length: fanOut });
  });
  if (info.mask) specs.push({ name: 'mask', dtype: 'u8', length: size(info.mask.reso) });
  return specs;
}

function arraysOf(s: ModelSnapshot): ArrayBufferView[] {
  const out: ArrayBufferView[] = [...s.densityPlanes, ...s.densityLines, ...s.appPlanes, ...s.appLines, s.basis, ...s.decoderWeights];
  if (s.maskData) out.push(s.maskData);
  return out;
}

const align4 = (n: number) => (n + 3) & ~3;

export function encodeSnapshot(s: ModelSnapshot): Uint8Array {
  const info: SnapshotInfo = {
    ...(s.label === undefined ? {} : { label: s.label }),
    iteration: s.iteration,
    box: s.box,
    reso: s.reso,
    densityComps: s.densityComps,
    appComps: s.appComps,
    appDim: s.appDim,
    decoder: s.decoder,
    mask: s.mask,
    render: s.render,
    planes: s.planes,
  };
  infoCheck(info, 'snapshot');
  const specs = arraySpecs(info);
  const data = arraysOf(s);
  if (data.length !== specs.length) throw new SchemaError(`snapshot: ${data.length} arrays, expected ${specs.length}`);
  let offset = 0;
  const table: [string, DType, number, number][] = [];
  specs.forEach((spec, i) => {
    const a = data[i];
    const ok = spec.dtype === 'f16' ? a instanceof Uint16Array : spec.dtype === 'f32' ? a instanceof Float32Array : a instanceof Uint8Array;
    if (!ok || (a as Uint8Array).length !== spec.length)
      throw new SchemaError(`snapshot.${spec.name}: expected ${spec.length} values of ${spec.dtype}, got ${(a as Uint8Array).length}`);
    table.push([spec.name, spec.dtype, offset, spec.length]);
    offset = align4(offset + a.byteLength);
  });
  let header = new TextEncoder().encode(JSON.stringify({ ...info, arrays: table }));
  const start = align4(12 + header.length);
  const padded = new Uint8Array(start - 12).fill(0x20);
  padded.set(header);
  header = padded;
  const out = new Uint8Array(start + offset);
  for (let i = 0; i < 8; i++) out[i] = SNAPSHOT_MAGIC.charCodeAt(i);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  specs.forEach((_, i) => {
    const a = data[i];
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), start + table[i][2]);
  });
  return out;
}

export function decodeSnapshot(bytes: Uint8Array): ModelSnapshot {
  if (bytes.length < 12) throw new SchemaError(`snapshot: ${bytes.length} bytes, too short for a header`);
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC.charCodeAt(i))
      throw new SchemaError(`snapshot: not a model snapshot (expected it to start with ${SNAPSHOT_MAGIC})`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (headerLength > MAX_HEADER || 12 + headerLength > bytes.length || (12 + headerLength) % 4 !== 0)
    throw new SchemaError(`snapshot: header length ${headerLength} does not fit the ${bytes.length} bytes`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch {
    throw new SchemaError('snapshot: the header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('snapshot', 'an object header', header);
  const { arrays: table, ...info } = header as Record<string, unknown>;
  infoCheck(info, 'snapshot');
  const specs = arraySpecs(info as unknown as SnapshotInfo);
  if (!Array.isArray(table) || table.length !== specs.length) fail('snapshot.arrays', `${specs.length} entries`, table);
  const start = 12 + headerLength;
  // the buffer's own start must be 4-byte aligned for typed-array views
  const base = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const views = specs.map((spec, i) => {
    const at = `snapshot.arrays[${i}]`;
    const e = table[i] as unknown;
    if (!Array.isArray(e) || e.length !== 4) fail(at, '[name, dtype, offset, length]', e);
    const [name, dtype, offset, length] = e as [unknown, unknown, unknown, unknown];
    if (name !== spec.name || dtype !== spec.dtype || length !== spec.length)
      fail(at, `['${spec.name}', '${spec.dtype}', offset, ${spec.length}]`, e);
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset % 4 !== 0)
      fail(`${at} offset`, 'a 4-byte aligned offset', offset);
    const byteLength = spec.length * BYTES[spec.dtype];
    if (start + offset + byteLength > base.length)
      throw new SchemaError(`${at}: ${spec.name} (${byteLength} bytes at ${offset}) runs past the end of the ${base.length}-byte snapshot`);
    const o = base.byteOffset + start + offset;
    return spec.dtype === 'f16'
      ? new Uint16Array(base.buffer, o, spec.length)
      : spec.dtype === 'f32'
        ? new Float32Array(base.buffer, o, spec.length)
        : new Uint8Array(base.buffer, o, spec.length);
  });
  const i = info as unknown as SnapshotInfo;
  const take = (n: number) => views.splice(0, n);
  const densityPlanes = take(3) as ModelSnapshot['densityPlanes'];
  const densityLines = take(3) as Float32Array[];
  const appPlanes = take(3) as ModelSnapshot['appPlanes'];
  const appLines = take(3) as Float32Array[];
  const [basis] = take(1) as Float32Array[];
  const decoderWeights = take(6) as Float32Array[];
  const maskData = i.mask ? (take(1)[0] as Uint8Array) : null;
  return { ...i, densityPlanes, densityLines, appPlanes, appLines, basis, decoderWeights, maskData };
}
