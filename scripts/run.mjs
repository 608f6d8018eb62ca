#!/usr/bin/env node
// Runs a TypeScript entry point: bundles it with esbuild (ESM tfjs sources, so that tfjs-core's
// gradient registrations and its directory imports resolve; one copy of tfjs-core), then imports
// the bundle with the remaining arguments. Native packages stay external.
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run.mjs <entry.ts> [args...]');
  process.exit(2);
}
const root = resolve(new URL('..', import.meta.url).pathname);
mkdirSync(resolve(root, '.cache'), { recursive: true });
// One bundle per process, so concurrent runs never import each other's half-written file.
const outfile = resolve(root, '.cache', `${basename(entry, '.ts')}.${process.pid}.mjs`);
await build({
  entryPoints: [resolve(root, entry)],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  mainFields: ['module', 'main'],
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  sourcemap: 'inline',
  logLevel: 'error',
});
process.argv = [process.argv[0], resolve(root, entry), ...args];
process.setSourceMapsEnabled?.(true);
process.on('exit', () => rmSync(outfile, { force: true }));
await import(pathToFileURL(outfile).href);
