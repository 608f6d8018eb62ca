/**
 * Which paths the training process may read and write when it serves a browser (`npm run serve`):
 * only inside the allowed folders, judged by where a path really leads, not by its spelling.
 * Symbolic links are followed (a link inside an allowed folder to a place outside it is outside);
 * a path that does not exist yet (a run folder to be created) is judged by its nearest existing
 * ancestor, resolved the same way, plus the rest of its name.
 *
 * Refusals say which field and path were refused, never what any file contains.
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import { framePath, readTransforms, transformsPath, SPLIT_NAMES } from '../core/data/nerf-synthetic';
import { HostError } from './views';

/** Most symbolic links followed for one path (as the kernel's ELOOP limit). */
const MAX_LINKS = 40;

/**
 * Where `p` really leads: the real path of an existing path (realpath(3), so `link/..` is the
 * parent of the link's target, as the file system sees it), else the real path of its nearest
 * existing ancestor joined with the rest. Links on the way are followed even when their target
 * does not exist (a dangling link is where a write would land). Relative paths resolve against
 * `cwd`.
 */
export function realTarget(p: string, cwd = process.cwd()): string {
  const abs = isAbsolute(p) ? p : `${cwd}${sep}${p}`;
  try {
    return realpathSync.native(abs);
  } catch {
    // does not exist (or cannot be resolved): walk it component by component below
  }
  const root = parse(resolve(abs)).root;
  const pending = components(abs.slice(parse(abs).root.length)).reverse();
  let cur = root;
  let links = 0;
  while (pending.length > 0) {
    const c = pending.pop()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      cur = resolve(cur, '..');
      continue;
    }
    const next = join(cur, c);
    let isLink = false;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      // missing from here on: the rest is created as written
    }
    if (!isLink) {
      cur = next;
      continue;
    }
    if (++links > MAX_LINKS) throw new HostError(`${p}: too many levels of symbolic links`);
    const target = readlinkSync(next);
    if (isAbsolute(target)) cur = parse(target).root;
    pending.push(...components(target.slice(isAbsolute(target) ? parse(target).root.length : 0)).reverse());
  }
  return cur;
}

function components(p: string): string[] {
  return p.split(/[\\/]+/);
}

/** Whether `inner` is `outer` or lies below it (both absolute, normalized). */
export function isWithin(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

export class PathPolicy {
  /** The allowed folders' real paths (one that does not exist allows nothing). */
  private readonly roots: string[];

  constructor(
    private readonly allowed: readonly string[],
    private readonly cwd = process.cwd(),
  ) {
    this.roots = allowed.flatMap((r) => {
      try {
        return [realpathSync.native(resolve(cwd, r))];
      } catch {
        return [];
      }
    });
  }

  /** Whether `p` leads inside an allowed folder (see realTarget). */
  allows(p: string): boolean {
    let real: string;
    try {
      real = realTarget(p, this.cwd);
    } catch {
      return false;
    }
    return this.roots.some((r) => isWithin(r, real));
  }

  /** Throws a HostError naming `field` when `p` leads outside every allowed folder. */
  check(p: string, field: string): void {
    if (this.allows(p)) return;
    const lexical = resolve(this.cwd, p);
    const viaLink = this.roots.some((r) => isWithin(r, lexical));
    throw new HostError(
      `${field}: ${p} is outside the folders this server may open (${this.allowed.join(', ')})` +
        `${viaLink ? '; it leads there through a symbolic link' : ''}; start the server with --allow DIR to add one`,
    );
  }

  /**
   * A scene folder and every file of it that the app reads: the folder, its transforms_*.json and
   * the image of every frame they list. A transforms file that cannot be read or parsed is left
   * to the loader, whose error names the file and the problem but quotes none of its text.
   */
  checkScene(dir: string, field: string): void {
    this.check(dir, field);
    for (const split of SPLIT_NAMES) this.check(transformsPath(dir, split), `${field} (transforms_${split}.json)`);
    for (const split of SPLIT_NAMES) {
      let files: string[];
      try {
        files = readTransforms(dir, split).frames.map((f) => f.file);
      } catch {
        continue;
      }
      for (const f of files) this.check(framePath(dir, f), `${field} (an image of transforms_${split}.json)`);
    }
  }
}
