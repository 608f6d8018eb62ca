/**
 * `npm run serve -- [--host H] [--port P] [--allow DIR,DIR] [--no-token] [--rebuild]`: browser
 * mode. Runs the trainer in a child process and serves the app's page; open the printed URL,
 * which carries a one-time token that the page must present (unless --no-token). Binds 127.0.0.1
 * unless --host says otherwise. Scenes and runs are opened and written only inside the working
 * folder and the --allow folders (by real path: symbolic links are followed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors';
import { runMain } from './run-main';
import { forkTrainer, projectRoot } from '../session/fork-link';
import { PathPolicy } from '../session/path-policy';
import { DEFAULT_UI_CONFIG, Session } from '../session/session';
import { isLoopbackBind, startServer } from '../server/http-server';
import { parseServeArgs, SERVE_USAGE } from './serve-options';

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
  const stale =
    force ||
    !existsSync(index) ||
    sources.some((d) => newestMtime(d) > statSync(index).mtimeMs) ||
    statSync(join(root, 'src/core/config.ts')).mtimeMs > statSync(index).mtimeMs;
  if (stale) {
    if (!existsSync(join(root, 'src/renderer'))) throw new Error('src/renderer is missing; cannot build the page');
    say('building the page (vite) ...');
    const r = spawnSync(
      process.execPath,
      [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'],
      { cwd: root, stdio: 'inherit' },
    );
    if (r.status !== 0)
      throw new Error(`the page build failed (vite exit ${r.status}); run \`npx vite build --config vite.renderer.config.ts\` to see why`);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const { host, port, allowed, token, rebuild, help } = parseServeArgs(argv);
  if (help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const say = (l: string) => process.stderr.write(`${l}\n`);

  const root = projectRoot();
  const staticDir = ensureRendererBuilt(root, rebuild, say);
  const session = new Session(forkTrainer({ allowedRoots: allowed }));
  const server = await startServer({ host, port, staticDir, token, session }).catch((e: NodeJS.ErrnoException) => {
    session.close();
    if (e.code === 'EADDRINUSE')
      throw new ConfigError(`--port ${port}: already in use on ${host}; choose another (--port 0 picks a free one)`);
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') throw new ConfigError(`--host ${host}: not an address of this machine`);
    if (e.code === 'EACCES') throw new ConfigError(`--port ${port}: not allowed for this user (ports below 1024 need privileges)`);
    throw e;
  });
  process.stdout.write(`TensoRF app: ${server.url}\n`);
  if (token) say('the page needs the token in this URL (it changes every start); keep it private');
  else if (isLoopbackBind(host)) say('--no-token: any program on this machine may drive the training');
  else say(`--no-token on ${host}: anyone who can reach this address, and any web page whose name resolves to it, may drive the training`);
  say(`scenes and runs may be opened in: ${allowed.join(', ')}`);
  const scene = DEFAULT_UI_CONFIG.data;
  if (scene && existsSync(scene) && !new PathPolicy(allowed).allows(scene))
    say(`note: ${scene} is a symbolic link to a folder outside these; add it with --allow to open it`);
  say('a training goes on when the last page is closed; open the URL again to watch it, Stop (or Ctrl-C here) ends it');
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
