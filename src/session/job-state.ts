/**
 * What the training process says it is doing (DOM-free): a SessionState and its detail line.
 * A job's own progress (loading, training, evaluating) shows unless the user paused or stopped it;
 * while paused, progress is remembered, and resuming shows it again: the state the job had
 * reached and its detail line (not a "resumed" that would stay for the rest of the run).
 */
import { isIdleState, type SessionState } from '../protocol/messages';

/** States a job's own progress may set; pause and stop are the user's and stay until the job ends or resumes. */
export const PROGRESS_STATES: readonly SessionState[] = ['loading', 'training', 'evaluating'];

export class JobState {
  state: SessionState = 'idle';
  detail = '';
  /** The progress to show again on resume. */
  private resumeTo: { state: SessionState; detail: string } = { state: 'training', detail: '' };

  constructor(private readonly show: (state: SessionState, detail: string) => void) {}

  /** Shows a state whatever the current one (a job starting or ending, the user's stop). */
  set(state: SessionState, detail: string): void {
    this.state = state;
    this.detail = detail;
    this.show(state, detail);
  }

  /** A job's progress: shown unless the user paused or stopped it (then remembered for resume when paused). */
  progress(state: SessionState, detail: string): void {
    if (PROGRESS_STATES.includes(this.state) || isIdleState(this.state)) this.set(state, detail);
    else if (this.state === 'paused') this.resumeTo = { state, detail };
  }

  /** Whether a pause may begin now. */
  get pausable(): boolean {
    return PROGRESS_STATES.includes(this.state);
  }

  pause(detail: string): void {
    this.resumeTo = { state: this.state, detail: this.detail };
    this.set('paused', detail);
  }

  resume(): void {
    this.set(this.resumeTo.state, this.resumeTo.detail);
  }
}
