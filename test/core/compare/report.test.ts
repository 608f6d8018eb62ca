/** Report generation from fabricated run folders (no training). */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig, type PresetName } from '../../../src/core/config';
import { writePngRgb } from '../../../src/core/io/png';
import { readRunRecord, runComplete, type ComparePlan } from '../../../src/core/compare/records';
import { buildReport, mean, reportHtml, reportMarkdown, std, thesisPSNR } from '../../../src/core/compare/report';

const root = mkdtempSync(join(tmpdir(), 'compare-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Fake {
  label: string;
  entry: string;
  seed: number;
  psnr?: number; // undefined: no summary.json
  complete?: boolean;
  decoder: string;
  width: number;
  params: number;
  curve?: [number, number][];
  views?: number[];
  /** The summary calls the final parameter count totalParams, as summaries did before finalTotalParams. */
  oldParamsName?: boolean;
}

function fabricate(dir: string, f: Fake): void {
  const run = join(dir, f.label);
  mkdirSync(join(run, 'renders'), { recursive: true });
  if (f.psnr !== undefined) {
    const summary = {
      decoder: f.decoder,
      decoderWidth: f.width,
      decoderParams: f.params,
      [f.oldParamsName ? 'totalParams' : 'finalTotalParams']: f.params + 1000,
      preset: 'smoke',
      iterations: 100,
      backend: 'cpu',
      trainSeconds: 50,
      testPSNR: f.psnr,
      testSSIM: 0.8,
      evalViews: 3,
      imageSize: [2, 2],
      finalReso: [8, 8, 8],
      finalBox: { min: [-1, -1, -1], max: [1, 1, 1] },
      seed: f.seed,
      complete: f.complete ?? true,
    };
    writeFileSync(join(run, 'summary.json'), JSON.stringify(summary));
  }
  const lines = [
    { type: 'step', iteration: 10 },
    ...(f.curve ?? []).map(([iteration, testPSNR], i, a) => ({ type: 'eval', iteration, testPSNR, final: i === a.length - 1 })),
  ];
  writeFileSync(join(run, 'metrics.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  for (const v of f.views ?? [])
    writePngRgb(join(run, 'renders', `test_${String(v).padStart(3, '0')}.png`), new Float32Array(6 * 2 * 3).fill(0.5), 6, 2);
}

function makeComparison(
  name: string,
  preset: PresetName,
  fakes: Fake[],
  entries: { label: string; decoder: string; options: Record<string, string> }[],
) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const f of fakes.filter((x) => !x.label.startsWith('absent'))) fabricate(dir, f);
  const seeds = [...new Set(fakes.map((f) => f.seed))];
  const plan: ComparePlan = {
    version: 1,
    created: 'now',
    entries: entries.map((e) => ({ ...e, entry: e.label, overrides: { decoder: e.decoder as 'mlp' } })),
    seeds,
    config: resolveConfig({ preset }),
    runs: fakes.map((f) => ({ label: f.label, entry: f.entry, seed: f.seed })),
  };
  const records = plan.runs.map((r) => readRunRecord(dir, r, plan));
  return { dir, plan, records, report: buildReport(records, preset, seeds) };
}

describe('comparison report', () => {
  const entries: { label: string; decoder: string; options: Record<string, string> }[] = [
    { label: 'mlp', decoder: 'mlp', options: {} },
    { label: 'siren', decoder: 'siren', options: {} },
    { label: 'splitnet-width=42', decoder: 'splitnet', options: { width: '42' } },
  ];
  const fakes: Fake[] = [
    {
      label: 'mlp-s1',
      entry: 'mlp',
      seed: 1,
      psnr: 20,
      decoder: 'mlp',
      width: 128,
      params: 500,
      curve: [
        [50, 15],
        [100, 20],
      ],
      views: [0, 5, 10, 15],
    },
    {
      label: 'mlp-s2',
      entry: 'mlp',
      seed: 2,
      psnr: 22,
      decoder: 'mlp',
      width: 128,
      params: 500,
      curve: [
        [50, 17],
        [100, 22],
      ],
      views: [0, 5, 10, 15],
    },
    {
      label: 'siren-s1',
      entry: 'siren',
      seed: 1,
      psnr: 18,
      decoder: 'siren',
      width: 128,
      params: 400,
      oldParamsName: true,
      curve: [
        [50, 14],
        [100, 18],
      ],
      views: [0, 5, 10, 15],
    },
    { label: 'siren-s2', entry: 'siren', seed: 2, psnr: 7, complete: false, decoder: 'siren', width: 128, params: 400, curve: [[50, 3]] },
    {
      label: 'splitnet-width=42-s1',
      entry: 'splitnet-width=42',
      seed: 1,
      psnr: 21,
      decoder: 'splitnet',
      width: 42,
      params: 300,
      curve: [
        [50, 16],
        [100, 21],
      ],
      views: [0, 5, 15],
    },
    { label: 'absent-splitnet-s2', entry: 'splitnet-width=42', seed: 2, decoder: 'splitnet', width: 42, params: 300 },
  ];
  const { dir, records, report } = makeComparison('a', 'smoke', fakes, entries);

  it('mean and sample std', () => {
    expect(mean([])).toBeNull();
    expect(std([3])).toBeNull();
    expect(std([20, 22])).toBeCloseTo(Math.SQRT2, 12);
  });

  it('table values per entry over seeds; incomplete and missing runs left out', () => {
    expect(report.rows.map((r) => r.label)).toEqual(['mlp', 'siren', 'splitnet-width=42']);
    const [mlp, siren, split] = report.rows;
    expect(mlp.testPSNR.mean).toBeCloseTo(21, 12);
    expect(mlp.testPSNR.std).toBeCloseTo(Math.SQRT2, 12);
    expect(mlp.testSSIM.mean).toBeCloseTo(0.8, 12);
    expect(mlp.trainSeconds.mean).toBe(50);
    expect(mlp.itsPerSecond.mean).toBe(2);
    expect(mlp.decoderParams).toBe(500);
    expect(mlp.finalTotalParams).toBe(1500);
    expect(siren.finalTotalParams).toBe(1400); // from an older summary's totalParams
    expect(mlp.runs).toBe(2);
    expect(mlp.seeds.map((s) => s.testPSNR)).toEqual([20, 22]);
    expect(mlp.curve).toEqual([
      { iteration: 50, testPSNR: 16 },
      { iteration: 100, testPSNR: 21 },
    ]);
    // siren seed 2 is incomplete: not averaged
    expect(siren.testPSNR.mean).toBe(18);
    expect(siren.testPSNR.std).toBeNull();
    expect(siren.runs).toBe(1);
    expect(siren.planned).toBe(2);
    expect(siren.seeds[1]).toMatchObject({ complete: false, testPSNR: null });
    // splitnet seed 2 has no folder at all
    expect(split.runs).toBe(1);
    expect(split.testPSNR.mean).toBe(21);
    expect(split.options).toEqual({ width: '42' });
    expect(records[5].summary).toBeNull();
    expect(runComplete(join(dir, 'siren-s2'))).toBe(false);
    expect(runComplete(join(dir, 'mlp-s1'))).toBe(true);
    expect(report.curves).toHaveLength(6);
    expect(report.rows.every((r) => r.thesisPSNR === null)).toBe(true);
  });

  it('markdown has one row per decoder', () => {
    const md = reportMarkdown(report);
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| decoder'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('| mlp | 500 | 1500 | 21.00 ± 1.41 |');
    expect(rows[1]).toContain('| siren | 400 | 1400 | 18.00 |');
    expect(rows[1]).toContain('1/2');
    expect(md).not.toContain('thesis Table 6.2');
  });

  it('html is self-contained: table, svg chart, base64 renders of shared views', () => {
    const html = reportHtml(report, records, (p) => readFileSync(p));
    expect(html).toContain('<svg');
    expect(html).toContain('<table>');
    expect(html.match(/<path d="M/g)).toHaveLength(3);
    const imgs = html.match(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+"/g) ?? [];
    // views shared by every entry's first complete run: 0, 5, 15 -> 3 views x 3 entries
    expect(imgs).toHaveLength(9);
    expect(html).toContain('Test view 15');
    expect(html).not.toContain('Test view 10');
    expect(html).not.toMatch(/(src|href)="(https?:|\/\/|[a-z./]+\.(css|js|png))/);
    const png = Buffer.from(imgs[0]!.split(',')[1]!.replace(/"$/, ''), 'base64');
    expect([...png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
  });

  it('a comparison with nothing finished still renders', () => {
    const { records: r2, report: rep } = makeComparison(
      'b',
      'smoke',
      [{ label: 'mlp', entry: 'mlp', seed: 1, decoder: 'mlp', width: 128, params: 1 }],
      [entries[0]!],
    );
    expect(rep.rows[0].testPSNR.mean).toBeNull();
    expect(reportMarkdown(rep)).toContain('| mlp | – | – | missing |');
    const html = reportHtml(rep, r2, () => null);
    expect(html).toContain('<svg');
    expect(html).toContain('no shared test renders');
  });

  it('thesis preset: Table 6.2 values beside ours', () => {
    expect(thesisPSNR('mlp', {}, 128)).toBe(34.01);
    expect(thesisPSNR('mlp', { width: '119' }, 119)).toBe(33.93);
    expect(thesisPSNR('siren', {}, 128)).toBe(32.11);
    expect(thesisPSNR('splitnet', {}, 45)).toBe(34.16);
    expect(thesisPSNR('splitnet', { width: '42' }, null)).toBe(34.0);
    expect(thesisPSNR('siren', { flic: '2' }, 128)).toBeNull();
    const { report: rep } = makeComparison(
      'c',
      'thesis',
      [
        { label: 'mlp', entry: 'mlp', seed: 1, psnr: 33, decoder: 'mlp', width: 128, params: 1 },
        { label: 'mlp-width=119', entry: 'mlp-width=119', seed: 1, psnr: 32, decoder: 'mlp', width: 119, params: 1 },
      ],
      [entries[0]!, { label: 'mlp-width=119', decoder: 'mlp', options: { width: '119' } }],
    );
    const md = reportMarkdown(rep);
    expect(md).toContain('thesis Table 6.2');
    expect(md).toContain('| mlp | 1 | 1001 | 33.00 | 34.01 |');
    expect(md).toContain('| mlp-width=119 | 1 | 1001 | 32.00 | 33.93 |');
  });
});
