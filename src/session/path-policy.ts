/**
 * Which paths the app's messages may name: with allowed roots set (browser mode), a scene, run
 * folder or output folder must lie inside one of them.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { HostError } from './views';

/** Throws a HostError naming `field` when `p` lies outside every root (no `..` escapes, no absolute paths elsewhere). */
export function confinePath(p: string, field: string, roots: readonly string[]): void {
  const abs = resolve(p);
  const inside = roots.some((r) => {
    const rel = relative(resolve(r), abs);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
  if (!inside) throw new HostError(`${field}: ${p} is outside the folders this server may open (${roots.join(', ')}); start the server with --allow DIR to add one`);
}
