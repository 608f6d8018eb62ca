/**
 * `npm run serve` as the e2e tests start it: src/cli/serve.ts on a free port with the given
 * --allow roots, resolved with the URL it prints. `stop` ends it and waits for its exit (also
 * when it has already exited).
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface ServeProcess {
  url: Promise<string>;
  stop(): Promise<void>;
}

export function startServe(allow: string[]): ServeProcess {
  const server: ChildProcess = spawn(process.execPath, ['scripts/run.mjs', 'src/cli/serve.ts', '--port', '0', '--allow', allow.join(',')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    server.stdout!.on('data', (d) => {
      out += d;
      const m = /TensoRF app: (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.stderr!.on('data', (d) => (err += d));
    server.on('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
  });
  url.catch(() => {}); // a caller that never awaits the URL still gets stop()
  return {
    url,
    stop: async () => {
      if (server.exitCode !== null || server.signalCode !== null) return;
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    },
  };
}
