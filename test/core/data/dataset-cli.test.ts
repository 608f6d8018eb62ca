import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyScene } from '../../../src/core/data/nerf-synthetic';
import { tempDir, writeFakeScene } from './scene-fixture';

const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const tsx = join(repo, 'node_modules', '.bin', 'tsx');
const root = tempDir('cli');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(tsx, [join(repo, 'src/cli/dataset.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
/** Async variant, for when this process must keep serving HTTP while the CLI runs. */
function cliAsync(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const p = spawn(tsx, [join(repo, 'src/cli/dataset.ts'), ...args], { cwd: root });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => done({ code, out, err }));
  });
}
const hasCmd = (c: string) => !spawnSync(c, ['-v'], { stdio: 'ignore' }).error;
const scene = writeFakeScene(join(root, 'src-scene'), 8, 4, 2);

describe('dataset CLI', () => {
  it('--from a scene folder: verifies and installs at --dest', () => {
    const dest = join(root, 'out1', 'nerf_synthetic', 'lego');
    const r = cli('--from', scene.dir, '--dest', dest);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/checked 6\/6 files/);
    expect(verifyScene(dest)).toBe(6);
    // running again is a no-op
    const again = cli('--from', scene.dir, '--dest', dest);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/already holds a complete lego scene/);
  });

  it('--from a folder containing nerf_synthetic/lego', () => {
    const outer = join(root, 'outer');
    cpSync(scene.dir, join(outer, 'nerf_synthetic', 'lego'), { recursive: true });
    const dest = join(root, 'out2');
    const r = cli('--from', outer, '--dest', dest);
    expect(r.code).toBe(0);
    expect(verifyScene(dest)).toBe(6);
  });

  it.skipIf(!hasCmd('zip') || !hasCmd('unzip'))('--from a zip extracts only the scene', () => {
    const staging = join(root, 'zipsrc');
    cpSync(scene.dir, join(staging, 'nerf_synthetic', 'lego'), { recursive: true });
    cpSync(scene.dir, join(staging, 'nerf_synthetic', 'chair'), { recursive: true });
    const zip = join(root, 'scenes.zip');
    expect(spawnSync('zip', ['-qr', zip, 'nerf_synthetic'], { cwd: staging }).status).toBe(0);
    const dest = join(root, 'out3');
    const r = cli('--from', zip, '--dest', dest);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(verifyScene(dest)).toBe(6);
    expect(readdirSync(dest).sort()).toEqual([
      'test',
      'train',
      'transforms_test.json',
      'transforms_train.json',
      'transforms_val.json',
      'val',
    ]);
    const bad = join(root, 'bad.zip');
    cpSync(join(scene.dir, 'transforms_train.json'), bad);
    const r2 = cli('--from', bad, '--dest', join(root, 'out3b'));
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/bad\.zip: not a readable zip archive/);
    expect(existsSync(join(root, 'out3b'))).toBe(false);
  });

  it.skipIf(!hasCmd('zip') || !hasCmd('unzip'))('downloads with --url, and a cut-short download writes nothing', async () => {
    const staging = join(root, 'dlsrc');
    cpSync(scene.dir, join(staging, 'nerf_synthetic', 'lego'), { recursive: true });
    const zip = join(root, 'dl.zip');
    expect(spawnSync('zip', ['-qr', zip, 'nerf_synthetic'], { cwd: staging }).status).toBe(0);
    const bytes = readFileSync(zip);
    const server = createServer((req, res) => {
      if (req.url === '/full.zip') {
        res.writeHead(200, { 'content-length': bytes.length });
        res.end(bytes);
      } else if (req.url === '/short.zip') {
        res.writeHead(200, { 'content-length': bytes.length });
        res.write(bytes.subarray(0, bytes.length >> 1), () => res.destroy());
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const dest = join(root, 'out-dl', 'lego');
      const r = await cliAsync('--url', `${base}/full.zip`, '--dest', dest);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/iB of .* \(100%\)/);
      expect(verifyScene(dest)).toBe(6);
      for (const [path, re] of [
        ['short.zip', /broke off|cut short/],
        ['missing.zip', /HTTP 404/],
      ] as const) {
        const d2 = join(root, `out-${path}`);
        const r2 = await cliAsync('--url', `${base}/${path}`, '--dest', d2);
        expect(r2.code).toBe(2);
        expect(r2.err).toMatch(re);
        expect(r2.err.trim().split('\n')).toHaveLength(1);
        expect(existsSync(d2)).toBe(false);
      }
    } finally {
      server.close();
    }
  });

  it('an incomplete folder fails with one line, exit 2, nothing at --dest', () => {
    const broken = join(root, 'broken');
    cpSync(scene.dir, broken, { recursive: true });
    rmSync(join(broken, 'val', 'r_1.png'));
    const dest = join(root, 'out4', 'lego');
    const r = cli('--from', broken, '--dest', dest);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/val[\\/]r_1\.png: missing/);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(join(root, 'out4'))).toBe(false);

    const truncated = join(root, 'truncated');
    cpSync(scene.dir, truncated, { recursive: true });
    const f = join(truncated, 'test', 'r_0.png');
    truncateSync(f, statSync(f).size - 4);
    const r2 = cli('--from', truncated, '--dest', dest);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/r_0\.png: truncated PNG/);
    expect(existsSync(dest)).toBe(false);
  });

  it('a folder without a scene, a missing --from and an unknown flag fail with exit 2', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(cli('--from', empty, '--dest', join(root, 'o5')).err).toMatch(/no scene found/);
    const r = cli('--from', join(root, 'nowhere'), '--dest', join(root, 'o5'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no such file or folder/);
    const u = cli('--frm', 'x');
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/--frm.*see --help/);
    expect(existsSync(join(root, 'o5'))).toBe(false);
  });

  it('--help prints usage with the example-data URL', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('nerf_example_data.zip');
    expect(r.out).toContain('--from PATH');
  });
});
