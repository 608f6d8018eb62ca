/**
 * Structural checks of a PNG file before it is handed to pngjs, so that every bad file gets a
 * one-line DatasetError that names it and says what is wrong. pngjs on its own accepts an image
 * whose IDAT data is missing, short or not zlib at all (returning zeros), misreads invalid bit
 * depth / colour type pairs, and lets Node abort the process (a native assertion, not an
 * exception) on an IHDR that claims billions of pixels; these checks rule all of that out.
 */
import { DatasetError } from '../errors';
import { inflateSync } from 'node:zlib';

export interface PngHeader {
  width: number;
  height: number;
  depth: number; // bits per sample as stored: 1, 2, 4, 8 or 16
  colorType: number; // 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA
  interlace: number; // 0 none, 1 Adam7
}

/** The most pixels a PNG may have (8192 x 8192); NeRF-synthetic images are 800 x 800. */
export const MAX_PNG_PIXELS = 1 << 26;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const COLOR_TYPES: Record<number, { name: string; channels: number; depths: number[] }> = {
  0: { name: 'grey', channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'RGB', channels: 3, depths: [8, 16] },
  3: { name: 'palette', channels: 1, depths: [1, 2, 4, 8] },
  4: { name: 'grey+alpha', channels: 2, depths: [8, 16] },
  6: { name: 'RGBA', channels: 4, depths: [8, 16] },
};

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG uses) of bytes[start, end). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let k = start; k < end; k++) c = CRC_TABLE[(c ^ bytes[k]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Parses and validates the signature and IHDR chunk (the first 33 bytes): its checksum, a
 * non-zero size within MAX_PNG_PIXELS, a valid bit depth for the colour type, and the
 * compression, filter and interlace methods. Throws a DatasetError naming `path`.
 */
export function parsePngHeader(bytes: Uint8Array, path: string): PngHeader {
  if (bytes.length === 0) throw new DatasetError(`${path}: file is empty, expected a PNG image`);
  for (let k = 0; k < SIGNATURE.length; k++) {
    if (k >= bytes.length) throw new DatasetError(`${path}: truncated PNG (file ends inside the signature)`);
    if (bytes[k] !== SIGNATURE[k]) throw new DatasetError(`${path}: not a PNG file (bad signature)`);
  }
  if (bytes.length < 33) throw new DatasetError(`${path}: truncated PNG (header is incomplete)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunkType = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (chunkType !== 'IHDR' || view.getUint32(8) !== 13) {
    throw new DatasetError(`${path}: corrupt PNG (first chunk is not a valid IHDR)`);
  }
  if (crc32(bytes, 12, 29) !== view.getUint32(29)) throw new DatasetError(`${path}: corrupt PNG (IHDR checksum mismatch)`);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const [depth, colorType, compression, filter, interlace] = [bytes[24], bytes[25], bytes[26], bytes[27], bytes[28]];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new DatasetError(`${path}: corrupt PNG (image size ${width}x${height})`);
  }
  const type = COLOR_TYPES[colorType];
  if (!type)
    throw new DatasetError(
      `${path}: unsupported PNG (colour type ${colorType}; expected 0 grey, 2 RGB, 3 palette, 4 grey+alpha or 6 RGBA)`,
    );
  if (!type.depths.includes(depth)) {
    throw new DatasetError(
      `${path}: unsupported PNG (bit depth ${depth} with colour type ${colorType} ${type.name}; expected ${type.depths.join(', ')})`,
    );
  }
  if (compression !== 0 || filter !== 0 || interlace > 1) {
    throw new DatasetError(
      `${path}: corrupt PNG (compression method ${compression}, filter method ${filter}, interlace method ${interlace}; expected 0, 0, 0 or 1)`,
    );
  }
  if (width * height > MAX_PNG_PIXELS) {
    throw new DatasetError(`${path}: unsupported PNG (image size ${width}x${height} is over the limit of ${MAX_PNG_PIXELS} pixels)`);
  }
  return { width, height, depth, colorType, interlace };
}

/** Adam7 interlacing: [x0, y0, dx, dy] of the seven passes. */
export const ADAM7_PASSES: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** Bytes of decompressed image data (filter bytes included) that the header calls for. */
export function rawDataSize(h: PngHeader): number {
  const bits = COLOR_TYPES[h.colorType].channels * h.depth;
  const rows = (w: number, n: number) => (w > 0 && n > 0 ? n * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (h.interlace === 0) return rows(h.width, h.height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7_PASSES) total += rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy));
  return total;
}

/**
 * Walks every chunk of a whole PNG file: each must fit in the file, have a valid type and a
 * matching checksum; PLTE, tRNS and gAMA must have valid lengths; a palette image needs a PLTE;
 * there must be IDAT data, and it must decompress to exactly the size the header calls for; the
 * file must end with IEND. Returns the header. Throws a one-line DatasetError naming `path`.
 */
export function checkPngFile(bytes: Uint8Array, path: string): PngHeader {
  const header = parsePngHeader(bytes, path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (what: string): never => {
    throw new DatasetError(`${path}: corrupt PNG (${what})`);
  };
  const idat: Uint8Array[] = [];
  let paletteEntries = 0;
  let pos = 33;
  for (;;) {
    if (pos + 8 > bytes.length) throw new DatasetError(`${path}: truncated PNG (file ends after ${pos} bytes, before the IEND chunk)`);
    const length = view.getUint32(pos);
    const typeBytes = bytes.subarray(pos + 4, pos + 8);
    if (!typeBytes.every((b) => (b >= 65 && b <= 90) || (b >= 97 && b <= 122))) corrupt(`invalid chunk type at byte ${pos + 4}`);
    const type = String.fromCharCode(...typeBytes);
    if (length > 0x7fffffff) corrupt(`${type} chunk at byte ${pos} claims ${length} bytes`);
    const end = pos + 12 + length;
    if (end > bytes.length) throw new DatasetError(`${path}: truncated PNG (file ends inside the ${type} chunk at byte ${pos})`);
    if (crc32(bytes, pos + 4, pos + 8 + length) !== view.getUint32(pos + 8 + length))
      corrupt(`${type} chunk at byte ${pos}: checksum mismatch`);
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') corrupt(`a second IHDR chunk at byte ${pos}`);
    else if (type === 'PLTE') {
      if (length === 0 || length % 3 !== 0 || length > 768) corrupt(`PLTE chunk of ${length} bytes; expected 3 to 768, a multiple of 3`);
      paletteEntries = length / 3;
    } else if (type === 'tRNS') {
      const want = header.colorType === 0 ? 2 : header.colorType === 2 ? 6 : header.colorType === 3 ? -1 : 0;
      if (want === 0) corrupt(`tRNS chunk in a colour type ${header.colorType} image, which has an alpha channel`);
      if (want > 0 && length !== want) corrupt(`tRNS chunk of ${length} bytes; expected ${want}`);
      if (want < 0 && (paletteEntries === 0 || length > paletteEntries))
        corrupt(`tRNS chunk of ${length} bytes for a palette of ${paletteEntries} entries`);
    } else if (type === 'gAMA') {
      if (length !== 4) corrupt(`gAMA chunk of ${length} bytes; expected 4`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      if (end !== bytes.length) corrupt(`${bytes.length - end} bytes of data after the IEND chunk`);
      break;
    } else if ((typeBytes[0] & 0x20) === 0) corrupt(`unknown critical chunk ${type}`);
    pos = end;
  }
  if (header.colorType === 3 && paletteEntries === 0) corrupt('palette image without a PLTE chunk');
  if (idat.length === 0) corrupt('no IDAT image data');
  const expected = rawDataSize(header);
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      corrupt(`image data decompresses to more than the ${expected} bytes that ${header.width}x${header.height} needs`);
    corrupt(`image data does not decompress: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    throw e; // unreachable (corrupt throws)
  }
  if (raw.length !== expected)
    corrupt(`image data decompresses to ${raw.length} bytes, expected ${expected} for ${header.width}x${header.height}`);
  return header;
}
