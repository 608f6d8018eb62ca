/**
 * The training process for `npm run serve` (and tests): a Node child process running
 * src/session/trainer-process.ts through scripts/run.mjs, talking over Node's IPC channel.
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpawnTrainer } from './session';

/** The project root: the nearest folder upwards from this module with our package.json. */
export function projectRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tensorf-ts') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`projectRoot: no tensorf-ts package.json above ${from}`);
    dir = up;
  }
}

export interface ForkOptions {
  /** Folders the training process may read scenes and runs from, and write runs to. */
  allowedRoots?: string[];
  /** Working directory of the process (relative paths in messages resolve against it). */
  cwd?: string;
}

export function forkTrainer(o: ForkOptions = {}): SpawnTrainer {
  const root = projectRoot();
  return ({ onMessage, onExit }) => {
    const env = { ...process.env };
    if (o.allowedRoots) env.TENSORF_ALLOWED_ROOTS = JSON.stringify(o.allowedRoots);
    const child = fork(join(root, 'scripts/run.mjs'), ['src/session/trainer-process.ts'], {
      cwd: o.cwd ?? process.cwd(),
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // structured clone, so a model snapshot's bytes travel as bytes (JSON would spell each one out)
      serialization: 'advanced',
      // its own process group: a terminal's Ctrl-C reaches the parent only, which then stops the
      // training once (a second signal would skip the checkpoint); if the parent dies, the IPC
      // channel closes and the process stops by itself
      detached: true,
    });
    let ended = false;
    const end = (why: string) => {
      if (ended) return;
      ended = true;
      onExit(why);
    };
    child.on('message', onMessage);
    child.on('exit', (code, signal) => end(signal ? `killed by ${signal}` : `exit code ${code}`));
    child.on('error', (e) => end(e.message));
    return {
      send: (m) => {
        if (child.connected) child.send(m);
      },
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      },
    };
  };
}
