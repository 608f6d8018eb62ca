/**
 * The carry parts for a lent GPU machine (scripts/device/parts.ts) and their staging on the
 * device (scripts/device/stage.sh), on a tiny scene: parts in any order, again and again, a
 * corrupted file refused with its name, parts of another pack refused, the markers (tools.ready,
 * early.ready, data.complete) only once their files are there, and the staged files the originals.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PartFile, partFile, planParts, sceneFiles, writeParts } from '../../scripts/device/parts';
import { tempDir, writeFakeScene } from '../core/data/scene-fixture';

const STAGE = join(__dirname, '../../scripts/device/stage.sh');

function stage(carry: string, state: string): { status: number | null; out: string } {
  const r = spawnSync('bash', [STAGE, carry, state], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

const f = (rel: string, bytes: number): PartFile => ({ rel, src: rel, bytes });

describe('planParts', () => {
  it('puts the tools in part 1 and starts a new part whenever the next file would not fit', () => {
    const parts = planParts([f('tools/a', 30)], [f('s0', 10), f('s1', 20), f('s2', 30), f('s3', 25), f('s4', 5), f('s5', 1)], 60);
    expect(parts.map((p) => p.map((x) => x.rel))).toEqual([['tools/a', 's0', 's1'], ['s2', 's3', 's4'], ['s5']]);
  });

  it('refuses a file or a tool set larger than one part, naming it', () => {
    expect(() => planParts([f('tools/a', 10)], [f('big.png', 61)], 60)).toThrow(/big\.png: .*more than one part may hold/);
    expect(() => planParts([f('tools/a', 61)], [], 60)).toThrow(/the tools take/);
  });
});

describe('sceneFiles', () => {
  it('orders the transforms, test view 0 and the training views first, and lists what the early benchmark needs', () => {
    const dir = tempDir('device-scene');
    writeFakeScene(dir, 8, 4, 3);
    const { files, early } = sceneFiles(dir);
    expect(files.map((x) => x.rel)).toEqual([
      'lego/transforms_train.json',
      'lego/transforms_test.json',
      'lego/test/r_0.png',
      'lego/train/r_0.png',
      'lego/train/r_1.png',
      'lego/train/r_2.png',
      'lego/test/r_1.png',
      'lego/test/r_2.png',
    ]);
    expect(early).toEqual(files.slice(0, 6).map((x) => x.rel)); // 3 training views < EARLY_TRAIN_VIEWS
  });
});

describe('stage.sh', () => {
  it('stages parts in any order, verifies them, and marks the tools, the early files and the whole scene', () => {
    const root = tempDir('device-stage');
    const scene = join(root, 'scene');
    writeFakeScene(scene, 8, 4, 3);
    const tools = join(root, 'tools-src');
    mkdirSync(join(tools, 'gl'), { recursive: true });
    writeFileSync(join(tools, 'hello.txt'), 'hello from part 1\n');
    expect(spawnSync('xz', ['-k', join(tools, 'hello.txt')]).status).toBe(0);
    writeFileSync(join(tools, 'gl', 'loader.deb'), 'not really a deb');
    const toolFiles = [
      partFile('tools/hello.txt.xz', join(tools, 'hello.txt.xz')),
      partFile('tools/gl/loader.deb', join(tools, 'gl', 'loader.deb')),
    ];
    const { files, early } = sceneFiles(scene);
    const biggest = Math.max(
      ...files.map((x) => x.bytes),
      toolFiles.reduce((s, x) => s + x.bytes, 0),
    );
    const parts = planParts(toolFiles, files, biggest + 10);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    const packed = join(root, 'packed');
    const id = writeParts(parts, early, packed);
    // one carry folder per call, each holding one part (as on the device)
    const carry = (k: number, tag = '') => {
      const c = join(root, `carry${k}${tag}`);
      cpSync(join(packed, `part${k}`), join(c, `part${k}`), { recursive: true });
      return c;
    };
    const S = join(root, 'state');
    const n = parts.length;

    let r = stage(carry(2), S);
    expect(r.status).toBe(0);
    expect(r.out).toContain(`part 2 of ${n}: ${parts[1].length} files verified and staged`);
    expect(r.out).toMatch(/still to carry: part 1 3/);
    for (const m of ['tools.ready', 'early.ready', 'data.complete']) expect(existsSync(join(S, m))).toBe(false);

    r = stage(carry(1), S);
    expect(r.status).toBe(0);
    expect(readFileSync(join(S, 'tools', 'hello.txt'), 'utf8')).toBe('hello from part 1\n');
    expect(readFileSync(join(S, 'tools', 'gl', 'loader.deb'), 'utf8')).toBe('not really a deb');
    expect(existsSync(join(S, 'data.complete'))).toBe(false);
    const earlyParts = new Set(parts.flatMap((p, k) => (p.some((x) => early.includes(x.rel)) ? [k + 1] : [])));
    expect(existsSync(join(S, 'early.ready'))).toBe([...earlyParts].every((k) => k <= 2));

    r = stage(carry(1), S);
    expect(r.status).toBe(0);
    expect(r.out).toContain(`part 1 of ${n}: already staged`);

    // a file changed in transit: refused with its name, nothing marked
    const bad = carry(3, 'bad');
    const victim = parts[2][0].rel;
    appendFileSync(join(bad, 'part3', 'files', victim), 'x');
    r = stage(bad, S);
    expect(r.status).toBe(5);
    expect(r.out).toContain(`${victim}: FAILED`);
    expect(r.out).toContain('carry');
    expect(existsSync(join(S, 'parts', '3.ok'))).toBe(false);

    // a part of another pack is refused before anything is copied
    const other = carry(3, 'other');
    writeFileSync(join(other, 'part3', 'PACK'), `id=0000000000000000 parts=${n} part=3\n`);
    r = stage(other, S);
    expect(r.status).toBe(4);
    expect(r.out).toContain(`holds pack ${id}`);

    for (let k = 3; k <= n; k++) expect(stage(carry(k), S).status).toBe(0);
    expect(existsSync(join(S, 'data.complete'))).toBe(true);
    expect(existsSync(join(S, 'early.ready'))).toBe(true);
    for (const x of files) expect(readFileSync(join(S, 'stage', x.rel))).toEqual(readFileSync(x.src));
  });

  it('says that nothing is staged when no part was carried', () => {
    const root = tempDir('device-stage-none');
    const r = stage(join(root, 'empty'), join(root, 'state'));
    expect(r.status).toBe(0);
    expect(r.out).toContain('no part staged yet');
  });
});
