/**
 * Entry point of the training process. Under Electron it is a utilityProcess (messages through
 * `process.parentPort`); under `npm run serve` a forked Node process (Node's IPC channel). Either
 * way it hosts one TrainerHost. SIGTERM/SIGINT stop a running training after saving its
 * checkpoint, then exit.
 */
import { TrainerHost } from './host';
import type { ServerMessage } from '../protocol/messages';

interface ParentPort {
  postMessage(m: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

const port = (process as unknown as { parentPort?: ParentPort }).parentPort;
const roots = process.env.TENSORF_ALLOWED_ROOTS ? (JSON.parse(process.env.TENSORF_ALLOWED_ROOTS) as string[]) : undefined;
const send = (m: ServerMessage) => {
  if (port) port.postMessage(m);
  else if (process.connected) process.send!(m);
};
const host = new TrainerHost(send, { allowedRoots: roots });

if (port) port.on('message', (e) => host.handle(e.data));
else {
  process.on('message', (m) => host.handle(m));
  process.on('disconnect', () => void host.shutdown().then(() => process.exit(0)));
}
let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(130);
    stopping = true;
    void host.shutdown().then(() => process.exit(0));
  });
}
host.ready();
