/**
 * The source tree's import graph, read from the files (every `import ... from './x'` and
 * `export ... from './x'`, `import type` included): for the layering and cycle checks of
 * layout.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const SRC = resolve(__dirname, '../../src');

export function sourceFiles(dir = SRC): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g;
const SIDE_EFFECT_RE = /(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

/** Relative imports of `file`, resolved to files of the tree (paths relative to src/). */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(IMPORT_RE), ...text.matchAll(SIDE_EFFECT_RE)].map((m) => m[1]).filter((s) => s.startsWith('.'));
  const out = new Set<string>();
  for (const s of specs) {
    const base = resolve(dirname(file), s);
    const candidates = [base, `${base}.ts`, join(base, 'index.ts')];
    const hit = candidates.find((c) => {
      try {
        return statSync(c).isFile();
      } catch {
        return false;
      }
    });
    if (hit) out.add(relative(SRC, hit));
  }
  return [...out].sort();
}

export function importGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sourceFiles()) g.set(relative(SRC, f), importsOf(f));
  return g;
}

/** Every import cycle (each as a path a -> b -> ... -> a), found by depth-first search. */
export function cycles(g: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of g.get(n) ?? []) {
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  return found;
}
