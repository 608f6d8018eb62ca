/**
 * The app's "Resume run": what `train:lego --resume DIR` does, from the page. The folder (and the
 * scene its config.json names) must lie inside the allowed folders; a folder another process
 * trains in is refused at once, naming that process; the plan is resume-plan.ts's, so a complete
 * run is reported and not retrained, one killed before its first checkpoint is trained again in
 * place, one stopped during its final evaluation is only evaluated, and every problem is one line
 * naming the file.
 */
import { checkScene } from '../core/data/nerf-synthetic';
import { RunFolder } from '../core/io/run-folder';
import { checkUnlocked } from '../core/io/run-lock';
import { planResume, type ResumePlan, resumeLine } from '../core/run/resume-plan';

export interface PreparedResume {
  plan: ResumePlan;
  /** The line train:lego --resume prints first. */
  line: string;
}

/** Checks and plans a resume of `dir`; `confine` checks paths against the allowed folders (host.ts). */
export function prepareResume(dir: string, confine: (path: string, field: string, scene?: boolean) => void): PreparedResume {
  confine(dir, 'resumeRun.path');
  checkUnlocked(dir); // another process training here: refuse before reading anything
  const plan = planResume(dir, {});
  if (!plan.complete) {
    confine(plan.cfg.data, "resumeRun: the run's config.data", true);
    checkScene(plan.cfg.data);
  }
  return { plan, line: resumeLine(plan) };
}

/** The run folder to continue in, locked for the app (started again in place when it has no checkpoint). */
export function openResumeFolder(plan: ResumePlan): RunFolder {
  const run = plan.restart ? RunFolder.restart(plan.dir, 'app resume') : RunFolder.open(plan.dir, 'app resume');
  if (plan.extended) run.writeJson('config.json', { ...plan.saved, iterations: plan.cfg.iterations });
  return run;
}
