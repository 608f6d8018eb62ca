import { describe, expect, it } from 'vitest';
import type { SessionState } from '../../src/protocol/messages';
import { JobState } from '../../src/session/job-state';

function setup() {
  const shown: [SessionState, string][] = [];
  const job = new JobState((s, d) => shown.push([s, d]));
  return { job, shown };
}

describe('JobState', () => {
  it("resuming shows the job's progress line again, not 'resumed'", () => {
    const { job, shown } = setup();
    job.set('loading', 'start: starting');
    job.progress('training', 'run folder runs/a; backend cpu');
    job.pause('paused after iteration 7');
    job.resume();
    expect(shown.at(-1)).toEqual(['training', 'run folder runs/a; backend cpu']);
    expect(job.detail).toBe('run folder runs/a; backend cpu');
  });

  it('remembers progress made while paused and shows it on resume', () => {
    const { job, shown } = setup();
    job.set('training', 'comparison entry mlp');
    job.pause('paused after iteration 3');
    job.progress('training', 'comparison entry siren');
    expect(shown.at(-1)).toEqual(['paused', 'paused after iteration 3']);
    job.resume();
    expect(shown.at(-1)).toEqual(['training', 'comparison entry siren']);
  });

  it('keeps a stop over progress, and pauses only while a job progresses', () => {
    const { job, shown } = setup();
    expect(job.pausable).toBe(false);
    job.set('training', 'x');
    expect(job.pausable).toBe(true);
    job.set('stopping', 'stopping after this iteration');
    job.progress('evaluating', 'evaluating 2 test views');
    expect(shown.at(-1)).toEqual(['stopping', 'stopping after this iteration']);
    expect(job.pausable).toBe(false);
  });
});
