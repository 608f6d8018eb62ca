/**
 * CountProgress (src/cli/progress.ts), the render CLI's progress: `\r` redraws only on a terminal;
 * a piped log (the turntable used to write `\rturntable 1/3600\r...` into it) gets whole lines, a
 * tenth of the total apart, and the last.
 */
import { describe, expect, it } from 'vitest';
import { CountProgress } from '../../src/cli/progress';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (s: string) => chunks.push(s) > 0 } as unknown as NodeJS.WritableStream & {
    isTTY: boolean;
    chunks: string[];
  };
}

describe('CountProgress', () => {
  it('piped: whole lines every tenth and at the end, no carriage returns', () => {
    const out = sink(false);
    const p = new CountProgress(out, 25);
    for (let i = 1; i <= 25; i++) p.update(i, `frame ${i}/25`);
    p.end();
    const text = out.chunks.join('');
    expect(text).not.toContain('\r');
    expect(text.split('\n').filter(Boolean)).toEqual([
      'frame 3/25',
      'frame 6/25',
      'frame 9/25',
      'frame 12/25',
      'frame 15/25',
      'frame 18/25',
      'frame 21/25',
      'frame 24/25',
      'frame 25/25',
    ]);
  });

  it('on a terminal: redrawn in place, one newline at the end', () => {
    const out = sink(true);
    const p = new CountProgress(out, 3);
    for (let i = 1; i <= 3; i++) p.update(i, `view ${i}/3`);
    p.end();
    expect(out.chunks).toEqual(['\r\x1b[2Kview 1/3', '\r\x1b[2Kview 2/3', '\r\x1b[2Kview 3/3', '\n']);
  });
});
