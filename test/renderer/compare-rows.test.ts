import { describe, expect, it } from 'vitest';
import type { CompareRow } from '../../src/protocol/messages';
import { parseClientMessage } from '../../src/protocol/schema';
import {
  bestLabel,
  checkDecoders,
  COMPARE_COLUMNS,
  COMPARE_DEFAULT_DECODERS,
  compareCells,
  compareConfig,
  type CompareMessage,
  entryViewState,
  gridColumns,
  planViews,
  routeFrame,
  viewCaption,
} from '../../src/renderer/compare-rows';
import { MISSING } from '../../src/renderer/format';

const row = (label: string, extra: Partial<CompareRow> = {}): CompareRow => ({
  label,
  entry: label,
  status: 'waiting',
  iteration: 0,
  decoderParams: null,
  testPSNR: null,
  testSSIM: null,
  trainSeconds: null,
  itsPerSecond: null,
  ...extra,
});
const msg = (dir: string, labels: string[]): CompareMessage => ({ type: 'compare', dir, rows: labels.map((l) => row(l)) });

describe('compare table rows', () => {
  it('formats a finished row', () => {
    const cells = compareCells(
      row('mlp-width=119', {
        entry: 'mlp:width=119',
        status: 'done',
        iteration: 100,
        decoderParams: 36227,
        testPSNR: 22.7049,
        testSSIM: 0.816549,
        trainSeconds: 78.46,
        itsPerSecond: 1.2744,
      }),
    );
    expect(cells).toEqual({
      entry: 'mlp:width=119',
      status: 'done',
      iteration: '100',
      params: '36,227',
      psnr: '22.70',
      ssim: '0.8165',
      seconds: '78.5',
      rate: '1.3',
    });
  });

  it('shows unknown numbers (null, as NaN arrives over JSON) as a dash', () => {
    const cells = compareCells(row('siren', { status: 'training', iteration: 40, decoderParams: 36227 }));
    expect(cells).toEqual({
      entry: 'siren',
      status: 'training',
      iteration: '40',
      params: '36,227',
      psnr: MISSING,
      ssim: MISSING,
      seconds: MISSING,
      rate: MISSING,
    });
  });

  it('has a cell for every column, in the order of the header', () => {
    expect(COMPARE_COLUMNS.map(([k]) => k)).toEqual(['entry', 'status', 'iteration', 'params', 'psnr', 'ssim', 'seconds', 'rate']);
    expect(Object.keys(compareCells(row('mlp'))).sort()).toEqual(COMPARE_COLUMNS.map(([k]) => k).sort());
  });

  it('marks the finished row with the best test PSNR', () => {
    const rows = [
      row('mlp', { status: 'done', testPSNR: 22.7 }),
      row('siren', { status: 'done', testPSNR: 23.1 }),
      row('splitnet', { status: 'done', testPSNR: 22.9 }),
    ];
    expect(bestLabel(rows)).toBe('siren');
    expect(bestLabel([rows[0], rows[2]])).toBe('splitnet');
  });

  it('ignores rows without a test PSNR and rows still training; none marked when no row qualifies', () => {
    expect(bestLabel([])).toBeNull();
    expect(bestLabel([row('mlp'), row('siren', { status: 'failed' })])).toBeNull();
    const rows = [
      row('mlp', { status: 'done', testPSNR: 20 }),
      row('siren', { status: 'training', testPSNR: 30 }),
      row('splitnet', { status: 'failed', testPSNR: null }),
    ];
    expect(bestLabel(rows)).toBe('mlp');
    expect(bestLabel([row('a', { status: 'stopped', testPSNR: 19 }), row('b', { status: 'done', testPSNR: NaN })])).toBe('a');
  });

  it('keeps the first of equal best rows', () => {
    expect(bestLabel([row('a', { status: 'done', testPSNR: 21 }), row('b', { status: 'done', testPSNR: 21 })])).toBe('a');
  });

  it('captions an entry viewport with its status and PSNR', () => {
    expect(viewCaption(row('mlp', { entry: 'mlp:width=119' }))).toBe('mlp:width=119 · waiting');
    expect(viewCaption(row('mlp', { status: 'training', iteration: 450 }))).toBe('mlp · training, iteration 450');
    expect(viewCaption(row('mlp', { status: 'done', iteration: 500, testPSNR: 25.456 }))).toBe('mlp · done · 25.46 dB');
  });
});

describe('entry viewports', () => {
  it('asks for frames only when the entry has a model, and follows training only while it trains', () => {
    expect(entryViewState('waiting')).toEqual({ enabled: false, live: false, placeholder: 'waiting to train' });
    expect(entryViewState('training')).toEqual({ enabled: true, live: true, placeholder: null });
    expect(entryViewState('done')).toEqual({ enabled: true, live: false, placeholder: null });
    expect(entryViewState('stopped')).toEqual({ enabled: true, live: false, placeholder: null });
    expect(entryViewState('failed')).toMatchObject({ enabled: false, live: false });
    expect(entryViewState('failed').placeholder).toMatch(/failed/);
  });

  it('says so when a comparison ended (stopped) before an entry trained', () => {
    expect(entryViewState('waiting', false)).toEqual({
      enabled: false,
      live: false,
      placeholder: 'not trained (the comparison ended before this entry)',
    });
    expect(entryViewState('done', false)).toEqual(entryViewState('done'));
  });

  it('adds a viewport per new entry and keeps the existing ones of the same comparison', () => {
    expect(planViews(null, [], msg('runs/compare-1', ['mlp', 'siren']))).toEqual({ reset: false, add: ['mlp', 'siren'], remove: [] });
    expect(planViews('runs/compare-1', ['mlp', 'siren'], msg('runs/compare-1', ['mlp', 'siren']))).toEqual({
      reset: false,
      add: [],
      remove: [],
    });
    expect(planViews('runs/compare-1', ['mlp'], msg('runs/compare-1', ['mlp', 'siren']))).toEqual({
      reset: false,
      add: ['siren'],
      remove: [],
    });
    expect(planViews('runs/compare-1', ['mlp', 'siren'], msg('runs/compare-1', ['siren']))).toEqual({
      reset: false,
      add: [],
      remove: ['mlp'],
    });
  });

  it('replaces every viewport for a new comparison, even with the same labels', () => {
    expect(planViews('runs/compare-1', ['mlp', 'siren'], msg('runs/compare-2', ['mlp', 'splitnet']))).toEqual({
      reset: true,
      add: ['mlp', 'splitnet'],
      remove: ['mlp', 'siren'],
    });
  });

  it('sends frames without a model to the main viewport and the others to their entry', () => {
    const shown = new Set(['mlp', 'siren']);
    const has = (l: string) => shown.has(l);
    expect(routeFrame({}, has)).toEqual({ to: 'main' });
    expect(routeFrame({ model: undefined }, has)).toEqual({ to: 'main' });
    expect(routeFrame({ model: 'siren' }, has)).toEqual({ to: 'entry', label: 'siren' });
    expect(routeFrame({ model: 'splitnet' }, has)).toEqual({ to: 'none' });
    expect(routeFrame({ model: '' }, has)).toEqual({ to: 'none' });
  });

  it('puts up to three viewports side by side, then wraps', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 9, 12].map(gridColumns)).toEqual([1, 1, 2, 3, 2, 3, 3, 3, 3]);
  });
});

describe('compare request', () => {
  const form = {
    data: 'datasets/nerf_synthetic/lego',
    decoder: 'siren' as const,
    decoderWidth: 64,
    preset: 'smoke' as const,
    backend: 'cpu' as const,
    iterations: 100,
  };

  it('carries the training form without the decoder fields, and the server accepts it', () => {
    const config = compareConfig({ ...form, name: 'x', out: 'runs', sirenFlic: 2 });
    expect(config).toEqual({ data: 'datasets/nerf_synthetic/lego', preset: 'smoke', backend: 'cpu', iterations: 100 });
    expect(() => parseClientMessage({ type: 'compare', decoders: COMPARE_DEFAULT_DECODERS, config })).not.toThrow();
    expect(() =>
      parseClientMessage({ type: 'compare', decoders: COMPARE_DEFAULT_DECODERS, config: { ...config, decoder: 'mlp' } }),
    ).toThrow(/decoder/);
  });

  it('does not change the form it was given', () => {
    const start = { ...form };
    compareConfig(start);
    expect(start).toEqual(form);
  });

  it('checks the decoders field before sending', () => {
    expect(checkDecoders(COMPARE_DEFAULT_DECODERS)).toBeNull();
    expect(checkDecoders(' mlp:width=119,splitnet:m=10,init=lsuv ')).toBeNull();
    expect(checkDecoders('')).toMatch(/^decoders: /);
    expect(checkDecoders('mlp,foo')).toMatch(/^decoders: .*foo/);
    expect(checkDecoders('mlp:depth=3')).toMatch(/depth/);
    expect(checkDecoders('mlp,mlp')).toMatch(/twice/);
  });
});
