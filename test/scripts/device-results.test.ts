/**
 * Reading a lent-GPU session's files into its figures (scripts/device/results.ts), on hand-written
 * inputs with the values worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { benchRow, memoryPeak, parseEvents, parseGpu, parsePhases, phaseWindow, trainingFigures } from '../../scripts/device/results';

const GPU_CSV = [
  'time,memory_used_mib,utilization_pct,apps_pid_mib',
  '10.0,1000,5,',
  '10.5,3000,90,777:2900;',
  '11.0,,', // nvidia-smi answered nothing this time
  '11.5,2500,80,777:2400;778:100;',
  '12.0,1200,0,',
].join('\n');

describe('gpu memory', () => {
  it('parses the samples, skipping the empty ones, with the per-process figures', () => {
    const s = parseGpu(GPU_CSV);
    expect(s.map((x) => x.t)).toEqual([10, 10.5, 11.5, 12]);
    expect(s[2].apps).toEqual([
      { pid: 777, usedMiB: 2400 },
      { pid: 778, usedMiB: 100 },
    ]);
  });

  it('takes the peak inside a window and the last sample before it', () => {
    const s = parseGpu(GPU_CSV);
    expect(memoryPeak(s, [10.2, 11.6])).toEqual({ peakUsedMiB: 3000, beforeMiB: 1000, peakProcessMiB: 2900, samples: 2 });
    expect(memoryPeak(s, [11.6, Infinity])).toEqual({ peakUsedMiB: 1200, beforeMiB: 2500, peakProcessMiB: null, samples: 1 });
    expect(memoryPeak(s, [20, 30])).toBeNull();
    expect(memoryPeak(s, null)).toBeNull();
  });
});

describe('phases', () => {
  it('gives each phase the time up to the next, the last one open', () => {
    const p = parsePhases('5.0\tbench-early\n9.5\ttrain\n20.0\tdone\n');
    expect(phaseWindow(p, 'train')).toEqual([9.5, 20]);
    expect(phaseWindow(p, 'done')).toEqual([20, Infinity]);
    expect(phaseWindow(p, 'bench-late')).toBeNull();
  });
});

const ev = (t: number, e: Record<string, unknown>) => `${t}\t${JSON.stringify(e)}`;
const STEPS = [
  ev(100, { type: 'started', config: {} }),
  ev(101, { type: 'step', iteration: 1, total: 2, elapsed: 0.5, itsPerSecond: 2, etaSeconds: 3 }),
  'Warning: not an event',
  ev(102, { type: 'eval', iteration: 1, testPSNR: 20, views: 1, final: false }),
  ev(103, { type: 'step', iteration: 2, total: 2, elapsed: 1.25, itsPerSecond: 1.6, etaSeconds: 1 }),
  ev(104, { type: 'evaluating', iteration: 2, views: 2 }),
  ev(105, { type: 'view', psnr: 30, done: 1, total: 2 }),
];

describe('trainingFigures', () => {
  it('reports a run in its final evaluation with the mean PSNR of the views so far', () => {
    const t = trainingFigures(parseEvents([...STEPS, '104.9\t{"type":"vi'].join('\n')), 90);
    expect(t).toMatchObject({
      complete: false,
      iteration: 2,
      iterations: 2,
      loadSeconds: 10,
      trainSeconds: 1.25,
      trainWallSeconds: 4,
      itsPerSecond: 1.6,
      etaSeconds: 0,
      runningTestPSNR: [{ iteration: 1, psnr: 20 }],
      evalViewsDone: 1,
      evalViewsTotal: 2,
      evalWallSeconds: 1,
      testPSNR: 30,
      testSSIM: null,
      error: null,
    });
  });

  it('takes the final figures from the final eval and the summary once the run is done', () => {
    const done = [
      ...STEPS,
      ev(106, { type: 'view', psnr: 32, done: 2, total: 2 }),
      ev(106.5, { type: 'eval', iteration: 2, testPSNR: 31.2, testSSIM: 0.9, views: 2, final: true }),
      ev(107, { type: 'done', summary: { trainSeconds: 1.3 } }),
    ];
    const t = trainingFigures(parseEvents(done.join('\n')));
    expect(t).toMatchObject({ complete: true, trainSeconds: 1.3, testPSNR: 31.2, testSSIM: 0.9, evalViewsDone: 2, evalWallSeconds: 2.5 });
    expect(t.loadSeconds).toBeNull();
  });

  it('keeps the error of a failed run', () => {
    const t = trainingFigures(parseEvents([STEPS[0], STEPS[1], ev(102, { type: 'error', message: 'out of memory' })].join('\n')));
    expect(t.error).toBe('out of memory');
    expect(t.complete).toBe(false);
    expect(t.etaSeconds).toBe(3);
  });
});

describe('benchRow', () => {
  it("cuts a bench.json to its first row's timing fields", () => {
    const row = { case: 'thesis-early', medianMs: 42, peakRssMB: 9, phaseMs: { adam: 1 }, evalSecondsPerView: 0.5, uploadBytesPerStep: 3 };
    const report = { rows: [row, { case: 'other' }] };
    expect(benchRow(report)).toEqual({ case: 'thesis-early', medianMs: 42, phaseMs: { adam: 1 }, evalSecondsPerView: 0.5 });
    expect(benchRow({ rows: [] })).toBeNull();
    expect(benchRow(null)).toBeNull();
  });
});
