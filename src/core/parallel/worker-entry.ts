/**
 * A compute thread of the pool (pool.ts): waits on SEQ, runs the call posted on its port, reports
 * and counts itself done. Bundled on its own (worker-script.ts): it imports only the kernels.
 */
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { runTask, type TaskName } from './tasks';

const { ctrl, port } = workerData as { ctrl: Int32Array; port: MessagePort };
const SEQ = 0;
const DONE = 1;

interface Call {
  kind: 'run' | 'exit';
  task: TaskName;
  args: never;
  lo: number;
  hi: number;
  part: number;
  parts: number;
}

let seen = Atomics.load(ctrl, SEQ);
port.postMessage({ ready: true }); // WorkerPool.start waits for this before the first call
for (;;) {
  Atomics.wait(ctrl, SEQ, seen);
  seen = Atomics.load(ctrl, SEQ);
  let got = receiveMessageOnPort(port);
  while (!got) {
    Atomics.wait(ctrl, DONE, -1, 1); // posted before the bump; wait a moment if it is in flight
    got = receiveMessageOnPort(port);
  }
  const m = got.message as Call;
  if (m.kind === 'exit') break;
  try {
    runTask(m.task, m.args, m.lo, m.hi, m.part, m.parts);
    port.postMessage({ ok: true });
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
  Atomics.add(ctrl, DONE, 1);
  Atomics.notify(ctrl, DONE);
}
port.close();
