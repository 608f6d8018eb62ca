/**
 * The compute threads' script: worker-entry.ts bundled with esbuild into `.cache/` beside the
 * sources (named by a hash of its contents, written beside itself and renamed into place, as
 * scripts/run.mjs does for the entry points). Worker threads cannot run TypeScript themselves.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRY = join('src', 'core', 'parallel', 'worker-entry.ts');

/** The project root holding the worker's source, searched upwards from this module. */
export function findSourceRoot(from: string | null = moduleDir()): string | null {
  if (from === null) return null;
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, ENTRY))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** This module's folder; null in a CommonJS build (the Electron bundle), which has no import.meta.url. */
function moduleDir(): string | null {
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return null;
  }
}

let built: Promise<string> | null = null;

/**
 * Path of the bundled worker script: built once per process, again if the file went away since
 * (scripts/run.mjs removes bundles unused for an hour; each use here marks it used).
 */
export async function workerScript(): Promise<string> {
  if (built) {
    const file = await built;
    if (existsSync(file)) {
      markUsed(file);
      return file;
    }
  }
  built = build();
  return built;
}

function markUsed(file: string): void {
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    // removed meanwhile: the caller's Worker start reports it
  }
}

async function build(): Promise<string> {
  const root = findSourceRoot() ?? findSourceRoot(process.cwd());
  if (!root) throw new Error(`the compute threads' source (${ENTRY}) was not found above this module or the working directory`);
  const { build: esbuild } = await import('esbuild');
  const result = await esbuild({
    entryPoints: [join(root, ENTRY)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    outfile: join(root, '.cache', 'parallel-worker.mjs'),
    logLevel: 'error',
  });
  const code = result.outputFiles[0].contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const cache = join(root, '.cache');
  mkdirSync(cache, { recursive: true });
  const file = join(cache, `parallel-worker.${hash}.mjs`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  } else markUsed(file);
  return file;
}
