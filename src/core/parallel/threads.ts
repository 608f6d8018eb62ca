/**
 * The process's compute threads: `startThreads(n)` once at the start of a run (the `threads`
 * option; 1 = no workers), `pool()` wherever a kernel is cut between them.
 */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../errors';
import { type Pool, SerialPool, WorkerPool } from './pool';
import { sharedMemoryAvailable } from '../shared-memory';
import { workerScript } from './worker-script';

let current: Pool = new SerialPool();

export function pool(): Pool {
  return current;
}

/** The machine's cores: the default thread count. */
export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * Makes `n` threads (the caller's included) compute from now on; the previous pool is closed.
 * Resolves to the count in use: n, or 1 where worker threads cannot start (the reason is passed to
 * `onFallback`).
 */
export async function startThreads(n: number, onFallback?: (why: string) => void): Promise<number> {
  if (n === current.size) return n;
  const old = current;
  if (n <= 1 || !sharedMemoryAvailable) {
    if (n > 1) onFallback?.('SharedArrayBuffer is not available');
    current = new SerialPool();
  } else {
    try {
      current = await WorkerPool.start(await workerScript(), n);
    } catch (e) {
      onFallback?.(e instanceof Error ? e.message : String(e));
      current = new SerialPool();
    }
  }
  await old.close();
  return current.size;
}

/** Back to one thread (workers stopped). */
export async function stopThreads(): Promise<void> {
  await startThreads(1);
}

/**
 * The `--threads` option in effect: `requested` threads, or the machine's cores for 0. Where the
 * workers cannot start, the default goes on with one thread; an explicit count fails.
 */
export async function useThreads(requested: number): Promise<number> {
  let failure = '';
  const n = await startThreads(requested || defaultThreads(), (why) => {
    failure = why;
  });
  if (failure && requested > 1) throw new ConfigError(`--threads ${requested}: the compute threads could not start (${failure})`);
  return n;
}
