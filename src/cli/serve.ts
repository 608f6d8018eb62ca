/**
 * `npm run serve -- [--host H] [--port P] [--allow DIR,DIR] [--rebuild]`: browser mode. Runs the
 * trainer in a child process and serves the app's page; open the printed URL. Binds 127.0.0.1
 * unless --host says otherwise; any other address gets a one-time token that the page must present.
 * Scenes and runs are opened and written only inside the working folder and the --allow folders.
 */
import { ConfigError } from '../core/errors';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from './args';
import { runMain } from './run-main';
import { forkTrainer, projectRoot } from '../session/fork-link';
import { Session } from '../session/session';
import { startServer } from '../server/http-server';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const USAGE = `usage: npm run serve -- [--host 127.0.0.1] [--port 8765] [--allow DIR[,DIR...]] [--rebuild]
  --host     address to bind (default 127.0.0.1; any other prints a one-time token)
  --port     port (default 8765; 0 = any free port)
  --allow    more folders the app may open scenes/runs in (default: the working folder only)
  --rebuild  rebuild the page bundle even when it is up to date`;

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds out/renderer with vite when it is missing or older than its sources. */
export function ensureRendererBuilt(root: string, force: boolean, say: (l: string) => void): string {
  const out = join(root, 'out', 'renderer');
  const index = join(out, 'index.html');
  const sources = ['src/renderer', 'src/protocol'].map((d) => join(root, d)).filter(existsSync);
  const stale = force || !existsSync(index) || sources.some((d) => newestMtime(d) > statSync(index).mtimeMs) || statSync(join(root, 'src/core/config.ts')).mtimeMs > statSync(index).mtimeMs;
  if (stale) {
    if (!existsSync(join(root, 'src/renderer'))) throw new Error('src/renderer is missing; cannot build the page');
    say('building the page (vite) ...');
    const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`the page build failed (vite exit ${r.status}); run \`npx vite build --config vite.renderer.config.ts\` to see why`);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const { flags, switches } = parseArgs(argv, ['rebuild', 'help']);
  if (switches.has('help')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  for (const k of Object.keys(flags)) if (!['host', 'port', 'allow'].includes(k)) throw new ConfigError(`unknown flag --${k}\n${USAGE}`);
  const host = flags.host ?? '127.0.0.1';
  const port = flags.port === undefined ? 8765 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port: expected an integer in 0..65535, got '${flags.port}'`);
  const allowed = [process.cwd(), ...(flags.allow ? flags.allow.split(',').filter(Boolean).map((d) => resolve(d)) : [])];
  for (const d of allowed) if (!existsSync(d)) throw new ConfigError(`--allow: folder ${d} does not exist`);
  const say = (l: string) => process.stderr.write(l + '\n');

  const root = projectRoot();
  const staticDir = ensureRendererBuilt(root, switches.has('rebuild'), say);
  const token = LOOPBACK.has(host) ? null : randomBytes(18).toString('base64url');
  const session = new Session(forkTrainer({ allowedRoots: allowed }));
  const server = await startServer({ host, port, staticDir, token, session }).catch((e: NodeJS.ErrnoException) => {
    session.close();
    if (e.code === 'EADDRINUSE') throw new ConfigError(`--port ${port}: already in use on ${host}; choose another (--port 0 picks a free one)`);
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') throw new ConfigError(`--host ${host}: not an address of this machine`);
    if (e.code === 'EACCES') throw new ConfigError(`--port ${port}: not allowed for this user (ports below 1024 need privileges)`);
    throw e;
  });
  process.stdout.write(`TensoRF app: ${server.url}\n`);
  if (token) say(`bound to ${host}: the page needs the token in this URL (it changes every start); keep it private`);
  say(`scenes and runs may be opened in: ${allowed.join(', ')}`);
  say('Ctrl-C stops the server (a running training saves its checkpoint first)');

  await new Promise<void>((done) => {
    let n = 0;
    const stop = () => {
      if (++n > 1) process.exit(130);
      say('stopping ...');
      session.close();
      void server.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await session.closed;
  return 0;
}

runMain(main);
