/**
 * A pool of compute threads driven synchronously: `run(task, args, n)` cuts 0..n-1 into one range
 * per thread (split.ts), hands each worker its range, runs the first range on the calling thread
 * and blocks (Atomics.wait) until every worker is done. Kernels therefore stay plain synchronous
 * functions and drop into tfjs custom ops unchanged.
 *
 * Protocol: each worker has a MessagePort; the caller posts the call (task name, args, range) on
 * every port, zeroes DONE, bumps SEQ and notifies. A worker blocked on SEQ wakes, takes its message
 * with receiveMessageOnPort (posted before the bump, so it is there), runs it, posts its status
 * and increments DONE. Typed arrays in the args must be over SharedArrayBuffers (a structured
 * clone of one shares its memory); anything else would be copied and its writes lost, so `run`
 * refuses it.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { isShared } from '../shared-memory';
import { splitRange } from './split';
import { runTask, type TaskArgs, type TaskName } from './tasks';

const SEQ = 0;
const DONE = 1;
/** A worker that has not answered in this long is taken for dead (its thread crashed). */
const STALL_MS = 600_000;

export interface Pool {
  /** Threads taking part in a call, the calling one included. */
  readonly size: number;
  run<K extends TaskName>(task: K, args: TaskArgs<K>, n: number, align?: number): void;
  close(): Promise<void>;
}

/** Runs every call on the calling thread: `--threads 1`, today's single-threaded path. */
export class SerialPool implements Pool {
  readonly size = 1;
  run<K extends TaskName>(task: K, args: TaskArgs<K>, n: number): void {
    runTask(task, args, 0, n, 0, 1);
  }
  async close(): Promise<void> {}
}

export class WorkerPool implements Pool {
  readonly size: number;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(8));
  private readonly ports: MessagePort[] = [];
  private readonly workers: Worker[] = [];
  private closed = false;

  private constructor(script: string, threads: number) {
    this.size = threads;
    for (let i = 1; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(script, { workerData: { ctrl: this.ctrl, port: port2, index: i }, transferList: [port2] });
      this.workers.push(w);
      this.ports.push(port1);
    }
  }

  /**
   * Starts threads - 1 workers running `script` (worker-entry.ts, bundled) and waits until each
   * has said it is waiting for calls ('online' is too early: an ES module is still loading then).
   */
  static async start(script: string, threads: number): Promise<WorkerPool> {
    const pool = new WorkerPool(script, threads);
    try {
      await Promise.all(
        pool.workers.map(
          (w, i) =>
            new Promise<void>((resolve, reject) => {
              pool.ports[i].once('message', () => resolve());
              w.once('error', reject);
              w.once('exit', (code) => reject(new Error(`a compute thread exited with code ${code} while starting`)));
            }),
        ),
      );
    } catch (e) {
      await Promise.all(pool.workers.map((w) => w.terminate()));
      throw e;
    }
    for (const w of pool.workers) {
      w.removeAllListeners('exit');
      w.removeAllListeners('error');
      w.on('error', () => {}); // reported by the call that waits for it (a stall), not as an unhandled event
      w.unref(); // idle workers do not keep the process alive
    }
    for (const p of pool.ports) p.unref();
    pool.run('ping', {}, threads);
    return pool;
  }

  run<K extends TaskName>(task: K, args: TaskArgs<K>, n: number, align = 1): void {
    if (this.closed) throw new Error('the thread pool is closed');
    checkShared(args, task);
    const ranges = splitRange(n, this.size, align);
    for (let i = 0; i < this.ports.length; i++) {
      const [lo, hi] = ranges[i + 1];
      this.ports[i].postMessage({ kind: 'run', task, args, lo, hi, part: i + 1, parts: this.size });
    }
    Atomics.store(this.ctrl, DONE, 0);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    let own: unknown = null;
    try {
      runTask(task, args, ranges[0][0], ranges[0][1], 0, this.size);
    } catch (e) {
      own = e;
    }
    const t0 = Date.now();
    for (;;) {
      const done = Atomics.load(this.ctrl, DONE);
      if (done >= this.ports.length) break;
      if (Date.now() - t0 > STALL_MS) throw new Error(`thread pool: a worker did not finish ${task} in ${STALL_MS / 1000} s`);
      Atomics.wait(this.ctrl, DONE, done, 1000);
    }
    const errors: string[] = [];
    for (const p of this.ports) {
      const m = receiveMessageOnPort(p)?.message as { error?: string } | undefined;
      if (m?.error) errors.push(m.error);
    }
    if (own) throw own;
    if (errors.length > 0) throw new Error(`thread pool task ${task} failed in a worker: ${errors[0]}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.ports) p.postMessage({ kind: 'exit' });
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    await Promise.all(this.workers.map((w) => new Promise((r) => (w.threadId < 0 ? r(null) : w.once('exit', r)))));
    for (const p of this.ports) p.close();
  }
}

function checkShared(v: unknown, task: string): void {
  if (ArrayBuffer.isView(v)) {
    if (!isShared(v)) throw new Error(`thread pool task ${task}: a ${v.constructor.name} argument is not over shared memory`);
    return;
  }
  if (Array.isArray(v)) for (const x of v) checkShared(x, task);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) checkShared(x, task);
}
