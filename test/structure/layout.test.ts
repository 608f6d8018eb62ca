/**
 * The shape of the source tree (issue 9): no import cycles between files or between the folders
 * of src/core, the library never imports a front end, and no source file grows past 400 lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph, SRC } from './imports';

const MAX_LINES = 400;
/** Generated code, not written by hand. */
const GENERATED = new Set(['core/kernels/matmul-wasm.generated.ts', 'core/kernels/vm-sample-wasm.generated.ts']);

/** core/<sub>/x.ts -> core/<sub>; core/x.ts and files of other folders stay themselves at the top level of core, else the top folder. */
function unit(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'core') return parts.length > 2 ? `core/${parts[1]}` : file;
  return parts[0];
}

describe('source layout', () => {
  const g = importGraph();

  it('finds the imports it checks (a sanity check of the scanner)', () => {
    expect(g.get('core/train/trainer.ts')).toContain('core/config.ts');
    expect(g.size).toBeGreaterThan(50);
  });

  it('has no import cycle between files', () => {
    expect(cycles(g).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('has no import cycle between the folders of src/core (or the other top folders)', () => {
    const units = new Map<string, Set<string>>();
    for (const [f, imports] of g) {
      for (const i of imports) {
        const a = unit(f);
        const b = unit(i);
        if (a === b) continue;
        if (!units.has(a)) units.set(a, new Set());
        units.get(a)!.add(b);
      }
    }
    const ug = new Map([...units].map(([k, v]) => [k, [...v].sort()]));
    expect(cycles(ug).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('keeps the library and the app sides free of the CLI, and the library free of every front end', () => {
    const bad: string[] = [];
    for (const [f, imports] of g) {
      for (const i of imports) {
        if (!f.startsWith('cli/') && i.startsWith('cli/')) bad.push(`${f} imports ${i}`);
        if (f.startsWith('core/') && !i.startsWith('core/')) bad.push(`${f} imports ${i}`);
        if (f.startsWith('protocol/') && /^(session|server|main|preload|renderer|cli)\//.test(i)) bad.push(`${f} imports ${i}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it(`has no hand-written source file over ${MAX_LINES} lines`, () => {
    const long = [...g.keys()]
      .filter((f) => !GENERATED.has(f))
      .map((f) => ({ f, n: readFileSync(join(SRC, f), 'utf8').split('\n').length }))
      .filter((x) => x.n > MAX_LINES)
      .map((x) => `${x.f}: ${x.n} lines`);
    expect(long).toEqual([]);
  });
});
