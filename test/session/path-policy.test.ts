/**
 * The path policy of the app's server: where a path really leads (symbolic links followed, `..`
 * after a link taken from the link's target, a path to be created judged by its nearest existing
 * ancestor), containment in the allowed folders, and a scene folder checked file by file.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isWithin, PathPolicy, realTarget } from '../../src/session/path-policy';

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'tensorf-paths-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// tmp/allowed            the allowed folder
// tmp/allowed/scene      a scene (transforms + images), all inside
// tmp/allowed/escape  -> tmp/secret         (a folder link out)
// tmp/allowed/inner   -> tmp/allowed/scene  (a link that stays inside)
// tmp/allowed/dangling -> tmp/secret/new    (a link to a place that does not exist yet)
// tmp/secret             outside
const allowed = join(tmp, 'allowed');
const secret = join(tmp, 'secret');
mkdirSync(join(allowed, 'scene', 'train'), { recursive: true });
mkdirSync(secret);
writeFileSync(join(secret, 'transforms_train.json'), 'TOP-SECRET not json');
writeFileSync(join(secret, 'r_0.png'), 'secret image');
symlinkSync(secret, join(allowed, 'escape'));
symlinkSync(join(allowed, 'scene'), join(allowed, 'inner'));
symlinkSync(join(secret, 'new'), join(allowed, 'dangling'));
const I = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const pose = [I.slice(0, 4), I.slice(4, 8), I.slice(8, 12), I.slice(12)];
const transforms = (files: string[]) =>
  JSON.stringify({ camera_angle_x: 0.69, frames: files.map((f) => ({ file_path: f, transform_matrix: pose })) });

describe('realTarget', () => {
  it('is realpath for existing paths, links followed', () => {
    expect(realTarget(join(allowed, 'escape'))).toBe(secret);
    expect(realTarget(join(allowed, 'escape', 'r_0.png'))).toBe(join(secret, 'r_0.png'));
    expect(realTarget(join(allowed, 'inner', 'train'))).toBe(join(allowed, 'scene', 'train'));
    expect(realTarget('scene', allowed)).toBe(join(allowed, 'scene'));
  });

  it('takes `..` after a link from where the link leads (as the file system does)', () => {
    // spelled, allowed/escape/../x is allowed/x; the file system goes to tmp/x
    expect(realTarget(`${allowed}/escape/../allowed`)).toBe(allowed);
    expect(realTarget(`${allowed}/escape/../new-run`)).toBe(join(tmp, 'new-run'));
  });

  it('judges a path to be created by its nearest existing ancestor', () => {
    expect(realTarget(join(allowed, 'runs', 'a', 'b'))).toBe(join(allowed, 'runs', 'a', 'b'));
    expect(realTarget(join(allowed, 'escape', 'runs', 'a'))).toBe(join(secret, 'runs', 'a'));
    expect(realTarget(join(allowed, 'dangling', 'x'))).toBe(join(secret, 'new', 'x'));
    expect(realTarget(join(allowed, 'dangling'))).toBe(join(secret, 'new'));
  });

  it('stops at link loops', () => {
    symlinkSync(join(tmp, 'loop-b'), join(tmp, 'loop-a'));
    symlinkSync(join(tmp, 'loop-a'), join(tmp, 'loop-b'));
    expect(() => realTarget(join(tmp, 'loop-a', 'x'))).toThrow(/too many levels of symbolic links/);
  });
});

describe('isWithin', () => {
  it.each([
    ['/a/b', '/a/b', true],
    ['/a/b', '/a/b/c', true],
    ['/a/b', '/a/bc', false],
    ['/a/b', '/a', false],
    ['/a/b', '/a/b/..c', true], // a folder named "..c" is inside
    ['/a/b', '/x', false],
  ])('%s contains %s: %s', (outer, inner, yes) => expect(isWithin(outer, inner)).toBe(yes));
});

describe('PathPolicy', () => {
  const policy = new PathPolicy([allowed]);

  it('allows what leads inside, refuses what leads outside, links included', () => {
    expect(policy.allows(allowed)).toBe(true);
    expect(policy.allows(join(allowed, 'scene'))).toBe(true);
    expect(policy.allows(join(allowed, 'inner'))).toBe(true);
    expect(policy.allows(join(allowed, 'new-run', 'x'))).toBe(true);
    expect(policy.allows(join(allowed, 'escape'))).toBe(false);
    expect(policy.allows(join(allowed, 'escape', 'transforms_train.json'))).toBe(false);
    expect(policy.allows(join(allowed, 'escape', 'new-run'))).toBe(false);
    expect(policy.allows(join(allowed, 'dangling'))).toBe(false);
    expect(policy.allows(`${allowed}/escape/../allowed/scene`)).toBe(true);
    expect(policy.allows(`${allowed}/escape/../new-run`)).toBe(false);
    expect(policy.allows(secret)).toBe(false);
    expect(policy.allows('/')).toBe(false);
  });

  it('resolves the allowed folders too (a link to a folder allows that folder)', () => {
    const viaLink = new PathPolicy([join(allowed, 'escape')]);
    expect(viaLink.allows(join(secret, 'r_0.png'))).toBe(true);
    expect(viaLink.allows(join(allowed, 'scene'))).toBe(false);
    expect(new PathPolicy([join(tmp, 'missing')]).allows(join(tmp, 'missing', 'x'))).toBe(false);
  });

  it('names the field and the path, says when a link leads out, and quotes no file', () => {
    expect(() => policy.check(join(allowed, 'escape'), 'openScene.path')).toThrow(
      new RegExp(
        `^openScene\\.path: ${join(allowed, 'escape')} is outside the folders this server may open \\(${allowed}\\); it leads there through a symbolic link; start the server with --allow DIR to add one$`,
      ),
    );
    expect(() => policy.check(secret, 'openRun.path')).toThrow(
      /^openRun\.path: .* is outside the folders this server may open \([^)]*\); start the server/,
    );
  });

  it('checks a scene file by file: its transforms files and every image they list', () => {
    const scene = join(allowed, 'scene');
    writeFileSync(join(scene, 'transforms_train.json'), transforms(['./train/r_0', './train/r_1']));
    writeFileSync(join(scene, 'train', 'r_0.png'), 'png');
    writeFileSync(join(scene, 'transforms_test.json'), transforms(['./train/r_0']));
    expect(() => policy.checkScene(scene, 'openScene.path')).not.toThrow();
    expect(() => policy.checkScene(join(allowed, 'inner'), 'openScene.path')).not.toThrow();
    // an image that is a link out
    symlinkSync(join(secret, 'r_0.png'), join(scene, 'train', 'r_1.png'));
    expect(() => policy.checkScene(scene, 'openScene.path')).toThrow(
      /^openScene\.path \(an image of transforms_train\.json\): .*r_1\.png is outside/,
    );
    rmSync(join(scene, 'train', 'r_1.png'));
    // a transforms file that is a link out: refused before it is read (nothing of it is quoted)
    symlinkSync(join(secret, 'transforms_train.json'), join(scene, 'transforms_val.json'));
    let msg = '';
    try {
      policy.checkScene(scene, 'openScene.path');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^openScene\.path \(transforms_val\.json\): .* is outside/);
    expect(msg).not.toMatch(/SECRET/);
    rmSync(join(scene, 'transforms_val.json'));
    // the folder itself a link out
    expect(() => policy.checkScene(join(allowed, 'escape'), 'openScene.path')).toThrow(/through a symbolic link/);
  });
});
