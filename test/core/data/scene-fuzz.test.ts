/**
 * Fuzzing the scene loader: a tiny valid scene (3 splits x 3 views of 24x24 RGBA) is copied and
 * corrupted at random (seeded): PNGs cut, bytes flipped (with and without repaired checksums),
 * files deleted or replaced by folders, images resized or re-encoded in other formats, JSON
 * values replaced by junk, keys removed or duplicated, the JSON cut or re-encoded. Then the data
 * a training run loads (loadRunData: the training rays and the test views) and the dataset CLI's
 * check (verifyScene) must either succeed with sane data (finite rays, unit directions, colours
 * in [0, 1], consistent sizes) or throw a one-line DatasetError naming a file in the scene
 * folder; never another error, never more than a few seconds. "Sane" includes the pixels: every image that loads
 * must hold the values its file was written with (composited on white and downscaled), and a file
 * that a mutation made invalid (cut, bytes flipped without repairing the checksum, image data
 * removed or replaced, data after IEND) must never load.
 *
 * Reproduce one case: TENSORF_FUZZ_SEED=<seed> npx vitest run test/core/data/scene-fuzz.test.ts
 * More cases: TENSORF_FUZZ_CASES=2000.
 */
import { loadRunData } from '../../../src/core/run/scene-data';
import { DatasetError } from '../../../src/core/errors';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/core/config';
import { framePath, readTransforms, verifyScene } from '../../../src/core/data/nerf-synthetic';
import { readPngHeader } from '../../../src/core/io/png';
import { Rng } from '../../../src/core/random';
import { chunk, compositeReference, crc32, decodedRgba, encodeAs, pattern, PNG_FORMATS, tempDir, writeFakeScene } from './scene-fixture';

const root = tempDir('scene-fuzz');
afterAll(() => rmSync(root, { recursive: true, force: true }));
const SIZE = 24;
const scene = writeFakeScene(join(root, 'base'), SIZE, SIZE, 3);
const base = scene.dir;
const SPLITS = ['train', 'val', 'test'] as const;

const one = process.env.TENSORF_FUZZ_SEED;
const count = Number(process.env.TENSORF_FUZZ_CASES ?? 200);
const seeds = one !== undefined ? [Number(one)] : Array.from({ length: count }, (_, i) => i + 1);

/**
 * What each PNG (by path relative to the scene) holds: known pixels, 'changed' (unknown but maybe
 * valid: bytes changed and the checksum repaired) or 'invalid' (must not load).
 */
type FileState = { w: number; h: number; rgba: Uint8Array } | 'changed' | 'invalid';
type State = Map<string, FileState>;
type Mutation = (dir: string, r: Rng, state: State) => string;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[r.int(xs.length)];
const pngs = (dir: string) =>
  SPLITS.flatMap((s) =>
    readdirSync(join(dir, s))
      .filter((f) => f.endsWith('.png'))
      .map((f) => join(s, f)),
  );
const jsons = SPLITS.map((s) => `transforms_${s}.json`);
const anyFile = (dir: string, r: Rng) => (r.next() < 0.6 ? pick(r, pngs(dir)) : pick(r, jsons));

/** [type, start, length] of each chunk of a PNG file. */
function chunksOf(b: Buffer): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (let p = 8; p + 8 <= b.length; ) {
    const len = b.readUInt32BE(p);
    out.push([b.toString('latin1', p + 4, p + 8), p, len]);
    p += 12 + len;
  }
  return out;
}
function flipInChunk(b: Buffer, r: Rng, type: string, repair: boolean): string {
  const c = chunksOf(b).find(([t]) => t === type);
  if (!c || c[2] === 0) return 'nothing';
  const [, start, len] = c;
  const at = start + 8 + r.int(len);
  b[at] ^= 1 + r.int(255);
  if (repair) b.writeUInt32BE(crc32(b.subarray(start + 4, start + 8 + len)), start + 8 + len);
  return `byte ${at}`;
}

const JUNK: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1e-7,
  3.5,
  40,
  1e39,
  'x',
  '',
  './train/r_99',
  '/abs/r_0',
  [],
  [1, 2],
  [[1, 2, 3, 4]],
  {},
  { a: 1 },
  Array(4).fill([0, 0, 0, 0]),
];
/** Every [parent, key] place in a JSON value. */
function places(v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([v, i]);
      places(x, out);
    });
  } else if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      out.push([v as Record<string, unknown>, k]);
      places((v as Record<string, unknown>)[k], out);
    }
  }
  return out;
}
const editJson = (dir: string, r: Rng, f: (json: unknown, r: Rng) => string): string => {
  const name = pick(r, jsons);
  const path = join(dir, name);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return `${name}: not JSON any more`;
  }
  const what = f(json, r);
  writeFileSync(path, JSON.stringify(json));
  return `${name}: ${what}`;
};

const MUTATIONS: Record<string, Mutation> = {
  cut: (dir, r, state) => {
    const f = anyFile(dir, r);
    const size = readFileSync(join(dir, f)).length;
    const len = r.int(size);
    truncateSync(join(dir, f), len);
    state.set(f, 'invalid');
    return `${f} cut to ${len} of ${size} bytes`;
  },
  flip: (dir, r, state) => {
    const f = anyFile(dir, r);
    const b = readFileSync(join(dir, f));
    const before = Buffer.from(b);
    const at: number[] = [];
    for (let k = 1 + r.int(4); k > 0; k--) {
      const p = r.int(b.length);
      b[p] ^= 1 + r.int(255);
      at.push(p);
    }
    writeFileSync(join(dir, f), b);
    if (!b.equals(before)) state.set(f, 'invalid'); // every byte of a PNG is covered by a checksum or the signature
    return `${f} bytes ${at.join(',')} flipped`;
  },
  flipChunk: (dir, r, state) => {
    const f = pick(r, pngs(dir));
    const b = readFileSync(join(dir, f));
    const type = pick(r, ['IHDR', 'IDAT', 'IDAT', 'IEND']);
    const repair = r.next() < 0.7;
    const what = flipInChunk(b, r, type, repair);
    writeFileSync(join(dir, f), b);
    if (what !== 'nothing') state.set(f, repair ? 'changed' : 'invalid');
    return `${f} ${type} ${what} flipped${repair ? ', checksum repaired' : ''}`;
  },
  delete: (dir, r, state) => {
    const f = anyFile(dir, r);
    rmSync(join(dir, f), { force: true, recursive: true });
    state.set(f, 'invalid');
    return `${f} deleted`;
  },
  folder: (dir, r, state) => {
    const f = anyFile(dir, r);
    rmSync(join(dir, f), { force: true, recursive: true });
    mkdirSync(join(dir, f));
    state.set(f, 'invalid');
    return `${f} replaced by a folder`;
  },
  empty: (dir, r, state) => {
    const f = anyFile(dir, r);
    rmSync(join(dir, f), { force: true, recursive: true });
    writeFileSync(join(dir, f), '');
    state.set(f, 'invalid');
    return `${f} emptied`;
  },
  resize: (dir, r, state) => {
    const f = pick(r, pngs(dir));
    const [w, h] = [1 + r.int(32), 1 + r.int(32)];
    const rgba = pattern(w, h, 1);
    writeFileSync(join(dir, f), encodeAs('rgba8', w, h, rgba));
    state.set(f, { w, h, rgba });
    return `${f} resized to ${w}x${h}`;
  },
  reencode: (dir, r, state) => {
    const f = pick(r, pngs(dir));
    const format = pick(r, PNG_FORMATS);
    const rgba = pattern(SIZE, SIZE, r.int(50));
    writeFileSync(join(dir, f), encodeAs(format, SIZE, SIZE, rgba));
    state.set(f, { w: SIZE, h: SIZE, rgba: decodedRgba(format, rgba) });
    return `${f} re-encoded as ${format}`;
  },
  junkValue: (dir, r) =>
    editJson(dir, r, (json, r) => {
      const all = places(json);
      if (all.length === 0) return 'no places';
      const [parent, key] = pick(r, all);
      const junk = structuredClone(pick(r, JUNK));
      (parent as Record<string | number, unknown>)[key] = junk;
      return `[${JSON.stringify(key)}] = ${JSON.stringify(junk)}`;
    }),
  removeKey: (dir, r) =>
    editJson(dir, r, (json, r) => {
      const all = places(json).filter(([p]) => !Array.isArray(p));
      if (all.length === 0) return 'no keys';
      const [parent, key] = pick(r, all);
      delete (parent as Record<string, unknown>)[key as string];
      return `key ${String(key)} removed`;
    }),
  frames: (dir, r) =>
    editJson(dir, r, (json, r) => {
      const o = json as { frames?: unknown };
      if (!Array.isArray(o.frames)) return 'no frames array';
      const how = pick(r, ['empty', 'drop', 'duplicate', 'reverse']);
      if (how === 'empty') o.frames = [];
      else if (how === 'drop') o.frames.splice(r.int(o.frames.length), 1);
      else if (how === 'duplicate') o.frames.push(o.frames[r.int(o.frames.length)]);
      else o.frames.reverse();
      return `frames: ${how}`;
    }),
  duplicateKey: (dir, r) => {
    const f = pick(r, jsons);
    const text = readFileSync(join(dir, f), 'utf8');
    const key = pick(r, ['camera_angle_x', 'frames']);
    const junk = JSON.stringify(pick(r, JUNK));
    const edited = r.next() < 0.5 ? text.replace(/}\s*$/, `, "${key}": ${junk}}`) : text.replace('{', `{"${key}": ${junk}, `);
    writeFileSync(join(dir, f), edited);
    return `${f}: duplicate key ${key} = ${junk}`;
  },
  encoding: (dir, r) => {
    const f = pick(r, jsons);
    const b = readFileSync(join(dir, f));
    const how = pick(r, ['utf8-bom', 'utf16le-bom', 'utf16le', 'bad-byte', 'nul', 'newline-junk']);
    const at = r.int(b.length);
    const out =
      how === 'utf8-bom'
        ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b])
        : how === 'utf16le-bom'
          ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(b.toString('utf8'), 'utf16le')])
          : how === 'utf16le'
            ? Buffer.from(b.toString('utf8'), 'utf16le')
            : Buffer.concat([
                b.subarray(0, at),
                Buffer.from(how === 'bad-byte' ? [0xc3, 0x28] : how === 'nul' ? [0] : [0x0a, 0x78, 0x0d]),
                b.subarray(at),
              ]);
    writeFileSync(join(dir, f), out);
    return `${f}: ${how}${how.startsWith('utf') ? '' : ` at ${at}`}`;
  },
  randomBytes: (dir, r, state) => {
    const f = anyFile(dir, r);
    const b = Buffer.alloc(1 + r.int(200));
    for (let k = 0; k < b.length; k++) b[k] = r.int(256);
    rmSync(join(dir, f), { force: true, recursive: true });
    writeFileSync(join(dir, f), b);
    state.set(f, 'invalid');
    return `${f} replaced by ${b.length} random bytes`;
  },
  appendJunk: (dir, r, state) => {
    const f = anyFile(dir, r);
    writeFileSync(join(dir, f), Buffer.concat([readFileSync(join(dir, f)), Buffer.from('junk')]));
    state.set(f, 'invalid');
    return `${f}: junk appended`;
  },
  dropChunk: (dir, r, state) => {
    const f = pick(r, pngs(dir));
    const b = readFileSync(join(dir, f));
    const c = chunksOf(b);
    if (c.length === 0) return 'no chunks';
    const [type, start, len] = pick(r, c);
    writeFileSync(join(dir, f), Buffer.concat([b.subarray(0, start), b.subarray(start + 12 + len)]));
    state.set(f, 'invalid'); // IHDR, IDAT (the only one), IEND, PLTE or tRNS of a palette image
    return `${f}: ${type} chunk removed`;
  },
  idatJunk: (dir, r, state) => {
    const f = pick(r, pngs(dir));
    const b = readFileSync(join(dir, f));
    const c = chunksOf(b).find(([t]) => t === 'IDAT');
    if (!c) return 'no IDAT';
    const junk = Buffer.alloc(1 + r.int(300));
    for (let k = 0; k < junk.length; k++) junk[k] = r.int(256);
    writeFileSync(join(dir, f), Buffer.concat([b.subarray(0, c[1]), chunk('IDAT', junk), b.subarray(c[1] + 12 + c[2])]));
    state.set(f, 'invalid');
    return `${f}: IDAT replaced by ${junk.length} random bytes (valid checksum)`;
  },
  hugeSize: (dir, r, state) => {
    const f = pick(r, pngs(dir));
    const b = readFileSync(join(dir, f));
    if (b.length < 33) return 'too short';
    const [w, h] = [pick(r, [0x7fffffff, 1 << 20, 40000, SIZE]), pick(r, [0x7fffffff, 1 << 16, 3, 0])];
    b.writeUInt32BE(w, 16);
    b.writeUInt32BE(h, 20);
    b.writeUInt32BE(crc32(b.subarray(12, 29)), 29);
    writeFileSync(join(dir, f), b);
    state.set(f, 'invalid');
    return `${f}: IHDR size set to ${w}x${h} (valid checksum)`;
  },
};
const NAMES = Object.keys(MUTATIONS);
const initialState = (): State =>
  new Map(SPLITS.flatMap((s) => scene.rgba[s].map((rgba, k): [string, FileState] => [join(s, `r_${k}.png`), { w: SIZE, h: SIZE, rgba }])));

/** The loaded images against what their files hold (or must not load). */
function checkPixels(
  dir: string,
  state: State,
  file: string,
  got: ArrayLike<number>,
  offset: number,
  size: [number, number],
  n: number,
  what: string,
) {
  const rel = relative(dir, framePath(dir, file));
  const s = state.get(rel);
  if (s === 'invalid') throw new Error(`${what}: ${rel} loaded, but a mutation made it invalid`);
  if (s === undefined || s === 'changed') return;
  expect([s.w / n, s.h / n], `${what}: ${rel} size`).toEqual(size);
  const want = compositeReference(s.rgba, s.w, s.h, n);
  for (let k = 0; k < want.length; k++) {
    if (!(Math.abs(got[offset + k] - want[k]) < 1e-5))
      throw new Error(`${what}: ${rel} value ${k} is ${got[offset + k]}, the file holds ${want[k]}`);
  }
}

function checkLoaded(data: ReturnType<typeof loadRunData>, downscale: number, dir: string, state: State): void {
  const { train, test } = data;
  expect(train.count).toBeGreaterThan(0);
  for (const a of [train.origins, train.dirs, train.rgbs]) expect(a.length).toBe(train.count * 3);
  for (let k = 0; k < train.count * 3; k++) {
    if (!Number.isFinite(train.origins[k]) || !(train.rgbs[k] >= 0 && train.rgbs[k] <= 1))
      throw new Error(`training ray value ${k} not sane`);
  }
  for (let k = 0; k < train.count * 3; k += 3) {
    const len = Math.hypot(train.dirs[k], train.dirs[k + 1], train.dirs[k + 2]);
    if (!(Math.abs(len - 1) < 1e-4)) throw new Error(`training ray ${k / 3}: direction length ${len}`);
  }
  expect(Number.isFinite(test.focal) && test.focal > 0).toBe(true);
  expect(test.images.length).toBe(test.ids.length);
  for (const img of test.images) {
    expect(img.length).toBe(test.width * test.height * 3);
    for (const v of img) if (!(v >= 0 && v <= 1)) throw new Error(`test image value ${v} not in [0, 1]`);
  }
  for (const p of test.poses) for (const v of p) if (!Number.isFinite(v)) throw new Error('test pose not finite');
  test.names.forEach((name, k) =>
    checkPixels(dir, state, name, test.images[k], 0, [test.width, test.height], downscale, `test view ${test.ids[k]}`),
  );
  const frames = readTransforms(dir, 'train').frames;
  const per = train.count / frames.length;
  expect(Number.isInteger(per)).toBe(true);
  const first = readPngHeader(framePath(dir, frames[0].file));
  const size: [number, number] = [first.width / downscale, first.height / downscale];
  expect(size[0] * size[1]).toBe(per);
  frames.forEach((f, k) => checkPixels(dir, state, f.file, train.rgbs, k * per * 3, size, downscale, `training view ${k}`));
  if (downscale > 1) expect(Math.min(...size), 'training pixels per side after --downscale').toBeGreaterThanOrEqual(8);
  expect(Math.min(test.width, test.height), 'test pixels per side (the SSIM window)').toBeGreaterThanOrEqual(11);
}

/** Runs f; returns 'ok', or the DatasetError's message (any other error fails the case). */
function attempt(f: () => void, dir: string, context: string): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof DatasetError)) {
      throw new Error(`${context}: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
    }
    expect(e.message, context).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(e.message, `${context}: the message names no file in the scene folder`).toContain(dir);
    return e.message;
  }
}

describe('scene loader fuzz: random corruptions of a valid scene give sane data or one DatasetError line', () => {
  it('the unchanged scene loads (control)', () => {
    const cfg = resolveConfig({ preset: 'smoke', data: base, downscale: 2, trainViews: 0, evalViews: 0 });
    checkLoaded(
      loadRunData(cfg, () => {}),
      2,
      base,
      initialState(),
    );
    expect(verifyScene(base)).toBe(9);
  });

  const outcomes = { ok: 0, error: 0 };
  it.each(seeds)('seed %i', (seed) => {
    const r = new Rng(seed);
    const dir = join(root, `case-${seed}`);
    cpSync(base, dir, { recursive: true });
    const done: string[] = [];
    const state = initialState();
    for (let k = 1 + r.int(3); k > 0; k--) {
      const name = pick(r, NAMES);
      try {
        done.push(`${name}: ${MUTATIONS[name](dir, r, state)}`);
      } catch {
        done.push(`${name}: skipped (an earlier mutation removed its file)`);
      }
    }
    const downscale = pick(r, [1, 2, 2, 3, 4]); // 24x24 -> 24, 12, 8 (too small for SSIM), 6 (under 8)
    const context = `seed ${seed} (TENSORF_FUZZ_SEED=${seed} to rerun), downscale ${downscale}, mutations: ${done.join('; ')}`;
    const cfg = resolveConfig({ preset: 'smoke', data: dir, downscale, trainViews: 0, evalViews: 0, visViews: 2 });
    const t0 = performance.now();
    const loaded = attempt(
      () =>
        checkLoaded(
          loadRunData(cfg, () => {}),
          downscale,
          dir,
          state,
        ),
      dir,
      context,
    );
    attempt(() => void verifyScene(dir), dir, context);
    // vitest cannot interrupt synchronous code, so a slow path (a decompression bomb, a quadratic
    // scan) is caught here; cases take ~50 ms
    expect(performance.now() - t0, `${context}: took too long`).toBeLessThan(5000);
    outcomes[loaded === 'ok' ? 'ok' : 'error']++;
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(one !== undefined || count < 100)('the corruptions exercise both outcomes', () => {
    // a fuzz whose cases all fail (or all load) would test little
    expect(outcomes.ok).toBeGreaterThan(count * 0.05);
    expect(outcomes.error).toBeGreaterThan(count * 0.3);
  });
});
