/** The flags of `npm run serve` (src/server/serve.ts), parsed and checked. */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors';
import { parseArgs } from './args';

export const SERVE_USAGE = `usage: npm run serve -- [--host 127.0.0.1] [--port 8765] [--allow DIR[,DIR...]] [--no-token] [--rebuild]
  --host      address to bind (default 127.0.0.1)
  --port      port (default 8765; 0 = any free port)
  --allow     more folders the app may open scenes/runs in (default: the working folder only);
              symbolic links are followed, so a linked scene needs the folder it really is in
  --no-token  no token in the URL: any program on this machine (and, with --host, anyone who can
              reach the address) may drive the training
  --rebuild   rebuild the page bundle even when it is up to date`;

export interface ServeOptions {
  host: string;
  port: number;
  /** The working folder and the --allow folders, absolute. */
  allowed: string[];
  /** The one-time token the page must present, or null with --no-token. */
  token: string | null;
  rebuild: boolean;
  help: boolean;
}

export function parseServeArgs(argv: string[], cwd = process.cwd()): ServeOptions {
  const { flags, switches } = parseArgs(argv, ['rebuild', 'help', 'no-token']);
  for (const k of Object.keys(flags))
    if (!['host', 'port', 'allow'].includes(k)) throw new ConfigError(`unknown flag --${k}\n${SERVE_USAGE}`);
  const host = flags.host ?? '127.0.0.1';
  const port = flags.port === undefined ? 8765 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`--port: expected an integer in 0..65535, got '${flags.port}'`);
  const allowed = [
    cwd,
    ...(flags.allow
      ? flags.allow
          .split(',')
          .filter(Boolean)
          .map((d) => resolve(cwd, d))
      : []),
  ];
  for (const d of allowed) if (!existsSync(d)) throw new ConfigError(`--allow: folder ${d} does not exist`);
  return {
    host,
    port,
    allowed,
    // on every bind: on 127.0.0.1 too, any local program (or a page that got past the Host check) could otherwise drive it
    token: switches.has('no-token') ? null : randomBytes(18).toString('base64url'),
    rebuild: switches.has('rebuild'),
    help: switches.has('help'),
  };
}
