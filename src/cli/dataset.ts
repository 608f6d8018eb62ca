/**
 * `npm run dataset:lego [-- --from PATH] [--dest DIR] [--scene NAME] [--force]`
 *
 * Gets a NeRF-synthetic scene: downloads the NeRF authors' example-data archive (or takes a local
 * folder or zip with --from), extracts the scene into a temp folder, verifies it is complete, and
 * only then moves it to --dest. On failure the temp folder is removed, nothing is written at
 * --dest, one line is printed and the exit code is 2.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyScene } from '../core/data/nerf-synthetic';

export const EXAMPLE_DATA_URL = 'http://cseweb.ucsd.edu/~viscomp/projects/LF/papers/ECCV20/nerf/nerf_example_data.zip';

const USAGE = `usage: npm run dataset:lego [-- options]

Gets a NeRF-synthetic scene, verifies it, and puts it at --dest.

  --from PATH    use a local copy instead of downloading: a scene folder (with transforms_train.json),
                 a folder containing nerf_synthetic/<scene> or <scene>/, or a .zip archive
  --dest DIR     where the scene goes (default datasets/nerf_synthetic/<scene>)
  --scene NAME   scene to take from the archive or folder (default lego)
  --url URL      download the zip from another address (a mirror) instead of the default
  --force        replace an existing --dest (only after the new copy is verified)
  --help         this text

Without --from, downloads ${EXAMPLE_DATA_URL}
(the archive bmild/nerf's download_example_data.sh uses; it holds nerf_synthetic/lego).
Extracting a zip needs the \`unzip\` command.`;

class CliError extends Error {}

/** Progress on one line when stdout is a terminal; otherwise a line now and then. */
class Progress {
  private last = 0;
  constructor(private readonly tty = Boolean(process.stdout.isTTY)) {}
  update(msg: string, done = false): void {
    const now = Date.now();
    if (this.tty) {
      process.stdout.write(`\r${msg}\x1b[K${done ? '\n' : ''}`);
    } else if (done || now - this.last >= 2000) {
      process.stdout.write(`${msg}\n`);
      this.last = now;
    }
  }
}

function mib(bytes: number): string {
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1073741824) return `${(bytes / 1048576).toFixed(1)} MiB`;
  return `${(bytes / 1073741824).toFixed(2)} GiB`;
}

async function download(url: string, file: string): Promise<void> {
  console.log(`downloading ${url}`);
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new CliError(`download of ${url} failed (${cause ?? (e as Error).message}); try --from PATH with a local copy`);
  }
  if (!res.ok || !res.body) throw new CliError(`download of ${url} failed: HTTP ${res.status} ${res.statusText}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  const out = createWriteStream(file);
  const progress = new Progress();
  let bytes = 0;
  const show = (done = false): void =>
    progress.update(`  ${mib(bytes)}${total > 0 ? ` of ${mib(total)} (${((100 * bytes) / total).toFixed(0)}%)` : ''}`, done);
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
      show();
    }
  } catch (e) {
    out.destroy();
    throw new CliError(`download of ${url} broke off after ${mib(bytes)} (${(e as Error).message})`);
  }
  out.end();
  await once(out, 'close');
  show(true);
  if (total > 0 && bytes !== total) throw new CliError(`download of ${url} cut short: ${bytes} of ${total} bytes`);
}

function requireUnzip(zip: string): void {
  const r = spawnSync('unzip', ['-v'], { stdio: 'ignore' });
  if (r.error) {
    throw new CliError(
      `extracting ${zip} needs the \`unzip\` command, which was not found; install it (e.g. apt-get install unzip) or extract the archive yourself and pass the folder with --from`,
    );
  }
}

/** Extracts only the scene's folder from a zip into `work`; returns the extracted scene folder. */
function extractScene(zip: string, scene: string, work: string): string {
  requireUnzip(zip);
  const list = spawnSync('unzip', ['-Z1', zip], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (list.status !== 0) {
    const why = (list.stderr || list.stdout || '').trim().split('\n').filter(Boolean).pop() ?? `exit ${list.status}`;
    throw new CliError(`${zip}: not a readable zip archive (${why})`);
  }
  const names = list.stdout.split('\n').filter((n) => n.endsWith('transforms_train.json') && !n.includes('__MACOSX'));
  const wanted = `${scene}/transforms_train.json`;
  const matches = names.filter((n) => n === wanted || n.endsWith(`/${wanted}`));
  const entry = matches.find((n) => n.includes('nerf_synthetic/')) ?? matches[0] ?? (names.length === 1 ? names[0] : undefined);
  if (!entry) throw new CliError(`${zip}: no ${wanted} in the archive`);
  const prefix = entry.slice(0, entry.length - 'transforms_train.json'.length);
  const dest = join(work, 'unzipped');
  mkdirSync(dest);
  console.log(`extracting ${prefix || '(all)'} from ${zip}`);
  const r = spawnSync('unzip', ['-q', '-o', zip, ...(prefix ? [`${prefix}*`] : []), '-d', dest], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0 && r.status !== 1) {
    const why = (r.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? `exit ${r.status}`;
    throw new CliError(`${zip}: extraction failed (${why})`);
  }
  return join(dest, prefix);
}

/** A folder given with --from: the scene itself, or a folder holding nerf_synthetic/<scene> or <scene>. */
function findSceneFolder(from: string, scene: string): string {
  const candidates = [from, join(from, 'nerf_synthetic', scene), join(from, scene)];
  const found = candidates.find((d) => existsSync(join(d, 'transforms_train.json')));
  if (!found) {
    throw new CliError(`${from}: no scene found (looked for transforms_train.json in ${candidates.join(', ')})`);
  }
  return found;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Moves the verified scene into place; the destination appears in one rename. */
function install(src: string, dest: string): void {
  mkdirSync(dirname(resolve(dest)), { recursive: true });
  const old = exists(dest) ? `${dest}.old-${process.pid}` : undefined;
  if (old) renameSync(dest, old);
  try {
    try {
      renameSync(src, dest);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EXDEV') throw e;
      const staging = `${dest}.partial-${process.pid}`; // other filesystem: copy next to dest, then rename
      try {
        cpSync(src, staging, { recursive: true });
        renameSync(staging, dest);
      } catch (e2) {
        rmSync(staging, { recursive: true, force: true });
        throw e2;
      }
    }
  } catch (e) {
    if (old) renameSync(old, dest);
    throw e;
  }
  if (old) rmSync(old, { recursive: true, force: true });
}

function verify(dir: string): number {
  const progress = new Progress();
  return verifyScene(dir, (n, total) => progress.update(`  checked ${n}/${total} files`, n === total));
}

async function run(argv: string[], work: string): Promise<number> {
  // biome-ignore lint/suspicious/noImplicitAnyLet: typed by parseArgs in the assignment below
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        url: { type: 'string' },
        dest: { type: 'string' },
        scene: { type: 'string', default: 'lego' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const scene = values.scene ?? 'lego';
  if (!/^[\w.-]+$/.test(scene)) throw new CliError(`--scene: bad scene name ${JSON.stringify(scene)}`);
  const dest = values.dest ?? join('datasets', 'nerf_synthetic', scene);
  if (exists(dest) && !values.force) {
    try {
      verifyScene(dest);
    } catch (e) {
      throw new CliError(`${dest} exists but is not a complete scene (${(e as Error).message}); remove it or pass --force`);
    }
    console.log(`${dest} already holds a complete ${scene} scene; nothing to do (--force replaces it)`);
    return 0;
  }

  let sceneDir: string;
  if (values.from) {
    const from = values.from;
    if (!existsSync(from)) throw new CliError(`--from ${from}: no such file or folder`);
    if (statSync(from).isDirectory()) {
      const src = findSceneFolder(from, scene);
      sceneDir = join(work, basename(resolve(src)));
      console.log(`copying ${src}`);
      cpSync(src, sceneDir, { recursive: true, dereference: true });
    } else {
      sceneDir = extractScene(from, scene, work);
    }
  } else {
    const zip = join(work, 'download.zip');
    await download(values.url ?? EXAMPLE_DATA_URL, zip);
    sceneDir = extractScene(zip, scene, work);
    rmSync(zip, { force: true });
  }

  console.log(`verifying ${scene}`);
  const n = verify(sceneDir);
  install(sceneDir, dest);
  console.log(`${scene}: ${n} images verified, installed at ${dest}`);
  return 0;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tensorf-dataset-'));
  const cleanup = (): void => rmSync(work, { recursive: true, force: true });
  const onSignal = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let code: number;
  try {
    code = await run(process.argv.slice(2), work);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`dataset: ${msg.replace(/\s*\n\s*/g, ' ')}`);
    code = 2;
  } finally {
    cleanup();
  }
  process.exit(code);
}

void main();
