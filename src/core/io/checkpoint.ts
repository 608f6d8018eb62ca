/**
 * Versioned binary checkpoints: "TRFCKPT" + version byte, a little-endian uint32 header length,
 * a JSON header (metadata, the list of arrays with offsets, and a SHA-256 of the array bytes),
 * then the raw arrays (float32/uint8/int32), each 4-byte aligned. Written atomically.
 * The container is the same in versions 1 and 2; the version says what the metadata holds
 * (train/trainer-checkpoint.ts): version 2 adds the state a resumed run needs, and its SHA-256 also
 * covers the metadata (JSON of meta, entries and byte count, then the array bytes). Both are read.
 */
import { CheckpointError } from '../errors';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic';

export const CHECKPOINT_MAGIC = 'TRFCKPT';
export const CHECKPOINT_VERSION = 2;
export const READABLE_VERSIONS: readonly number[] = [1, 2];

export type ArrayData = Float32Array | Uint8Array | Int32Array;
interface Entry {
  name: string;
  dtype: 'float32' | 'uint8' | 'int32';
  length: number;
  offset: number;
}

function dtypeOf(a: ArrayData): Entry['dtype'] {
  return a instanceof Float32Array ? 'float32' : a instanceof Int32Array ? 'int32' : 'uint8';
}

export function encodeCheckpoint(meta: unknown, arrays: Record<string, ArrayData>, version = CHECKPOINT_VERSION): Uint8Array[] {
  const entries: Entry[] = [];
  let offset = 0;
  const blobs: Uint8Array[] = [];
  for (const [name, a] of Object.entries(arrays)) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    entries.push({ name, dtype: dtypeOf(a), length: a.length, offset });
    blobs.push(bytes);
    const pad = (4 - (bytes.length % 4)) % 4;
    if (pad) blobs.push(new Uint8Array(pad));
    offset += bytes.length + pad;
  }
  const hash = createHash('sha256');
  if (version >= 2) hash.update(describedBytes(meta, entries, offset));
  for (const b of blobs) hash.update(b);
  const header = Buffer.from(JSON.stringify({ version, meta, entries, bytes: offset, sha256: hash.digest('hex') }), 'utf8');
  const pad = (4 - ((8 + 4 + header.length) % 4)) % 4;
  const head = Buffer.alloc(8 + 4);
  head.write(CHECKPOINT_MAGIC, 0, 'ascii');
  head.writeUInt8(version, 7);
  head.writeUInt32LE(header.length + pad, 8);
  return [head, header, Buffer.alloc(pad, 0x20), ...blobs];
}

/** What a version-2 checksum covers besides the array bytes (stable under a JSON round trip). */
function describedBytes(meta: unknown, entries: Entry[], bytes: number): Buffer {
  return Buffer.from(JSON.stringify({ meta, entries, bytes }), 'utf8');
}

export function writeCheckpoint(path: string, meta: unknown, arrays: Record<string, ArrayData>): void {
  writeFileAtomic(path, encodeCheckpoint(meta, arrays));
}

export function readCheckpoint(path: string): { version: number; meta: unknown; arrays: Record<string, ArrayData> } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new CheckpointError(`${path}: cannot read checkpoint (${(e as Error).message})`);
  }
  if (buf.length < 12 || buf.toString('ascii', 0, 7) !== CHECKPOINT_MAGIC)
    throw new CheckpointError(`${path}: not a checkpoint (bad magic)`);
  const version = buf.readUInt8(7);
  if (!READABLE_VERSIONS.includes(version))
    throw new CheckpointError(`${path}: checkpoint version ${version}, expected one of ${READABLE_VERSIONS.join(', ')}`);
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw new CheckpointError(`${path}: truncated header`);
  let header: { meta: unknown; entries: Entry[]; bytes: number; sha256: string };
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen));
  } catch {
    throw new CheckpointError(`${path}: corrupt header`);
  }
  if (header === null || typeof header !== 'object' || !Array.isArray(header.entries) || typeof header.bytes !== 'number')
    throw new CheckpointError(`${path}: corrupt header`);
  const body = buf.subarray(12 + hlen);
  if (body.length !== header.bytes) throw new CheckpointError(`${path}: truncated (${body.length} of ${header.bytes} data bytes)`);
  const hash = createHash('sha256');
  if (version >= 2) hash.update(describedBytes(header.meta, header.entries, header.bytes));
  const sha = hash.update(body).digest('hex');
  if (sha !== header.sha256) throw new CheckpointError(`${path}: checksum mismatch (file is corrupt)`);
  const arrays: Record<string, ArrayData> = {};
  for (const e of header.entries) {
    const start = body.byteOffset + e.offset;
    const copy = buf.buffer.slice(start, start + e.length * (e.dtype === 'uint8' ? 1 : 4));
    arrays[e.name] = e.dtype === 'float32' ? new Float32Array(copy) : e.dtype === 'int32' ? new Int32Array(copy) : new Uint8Array(copy);
  }
  return { version, meta: header.meta, arrays };
}
