#!/usr/bin/env node
// Runs a TypeScript entry point: bundles it with esbuild (ESM tfjs sources, so that tfjs-core's
// gradient registrations and its directory imports resolve; one copy of tfjs-core), then imports
// the bundle with the remaining arguments. Native packages stay external.
//
// The bundle is named by a hash of its contents, `.cache/<entry>.<hash>.mjs`, written beside
// itself and renamed into place: runs of the same sources share one file (a concurrent run never
// imports a half-written one), and a killed run leaves nothing new behind. Bundles of other
// sources not used for an hour, and the per-process bundles older versions of this script left
// behind (`<entry>.<pid>.mjs` of processes that are gone), are removed.
import { build } from 'esbuild';
import { setFlagsFromString } from 'node:v8';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// Relaxed SIMD (the matmul kernels' fused multiply-add) is behind a flag on Node 20; V8 reads it
// when a module is compiled, so setting it here, before anything is loaded, is enough (workers too).
setFlagsFromString('--experimental-wasm-relaxed-simd');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run.mjs <entry.ts> [args...]');
  process.exit(2);
}
const root = resolve(new URL('..', import.meta.url).pathname);
const cache = resolve(root, '.cache');
mkdirSync(cache, { recursive: true });
const name = basename(entry, '.ts');
const result = await build({
  entryPoints: [resolve(root, entry)],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: resolve(cache, `${name}.mjs`), // names the output; nothing is written (write: false)
  write: false,
  mainFields: ['module', 'main'],
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu', 'esbuild', 'playwright-core'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  sourcemap: 'inline',
  logLevel: 'error',
});
const code = result.outputFiles[0].contents;
const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
const outfile = resolve(cache, `${name}.${hash}.mjs`);
if (existsSync(outfile)) {
  const now = new Date();
  utimesSync(outfile, now, now); // in use: not removed as unused for the next hour
} else {
  const tmp = `${outfile}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, outfile);
}
removeStale(cache, outfile);
process.argv = [process.argv[0], resolve(root, entry), ...args];
process.setSourceMapsEnabled?.(true);
await import(pathToFileURL(outfile).href);

function removeStale(dir, keep) {
  const hour = 3600_000;
  for (const f of readdirSync(dir)) {
    const path = resolve(dir, f);
    if (path === keep) continue;
    try {
      const pid = /^.+\.(\d{1,10})\.(mjs|tmp)$/.exec(f); // an old per-process bundle, or a bundle being written
      if (pid) {
        if (!alive(Number(pid[1]))) rmSync(path, { force: true });
      } else if (/^.+\.[0-9a-f]{16}\.mjs$/.test(f) && Date.now() - statSync(path).mtimeMs > hour) {
        rmSync(path, { force: true });
      }
    } catch {
      // removed meanwhile by another run
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}
