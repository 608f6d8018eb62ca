/**
 * What the app's single trainings start from, up to the run driver: a `start` message (a new run
 * folder under runs/, checked before anything slow, as `train:lego`) or a `resumeRun` (an existing
 * folder continued from its checkpoint, as `train:lego --resume`; resume-job.ts). Both end in the
 * run driver's arguments; host.ts runs them and forwards the events.
 */
import type { BackendInfo } from '../core/backend';
import { resolveForBackend, type TrainConfig } from '../core/config';
import { checkScene } from '../core/data/nerf-synthetic';
import { LEGO_BOX } from '../core/field/geometry';
import { checkRunTarget, createRunFolder, readHistory, restartNote, type RunFolder, runFolderName } from '../core/io/run-folder';
import { loadRunData, type RunData } from '../core/run/scene-data';
import type { TrainerCheckpoint } from '../core/train/trainer-checkpoint';
import type { ClientMessage, ServerMessage } from '../protocol/messages';
import { startConfigOf } from '../protocol/schema';
import type { Backends } from './backends';
import { openResumeFolder, prepareResume } from './resume-job';
import { sceneInfo } from './scene-info';

/** The run driver's arguments and the state line of the training. */
export type DriveArgs = [cfg: TrainConfig, run: RunFolder, data: RunData, backend: BackendInfo, detail: string, resume?: TrainerCheckpoint];

export interface StartContext {
  /** Throws when a path leads outside the allowed folders (host.ts). */
  confine(path: string, field: string, scene?: boolean): void;
  backends: Backends;
  /** The loading state's line. */
  loading(detail: string): void;
  send(m: ServerMessage): void;
  runsDir(): string | undefined;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A `start`: every field checked, the target folder checked, then the scene loaded and the run folder made. */
export async function startArgs(m: Extract<ClientMessage, { type: 'start' }>, c: StartContext): Promise<DriveArgs> {
  const early = startConfigOf(m); // every field checked before anything slow happens
  c.confine(early.data, 'start.config.data', true);
  if (early.out) c.confine(early.out, 'start.config.out');
  checkScene(early.data);
  checkRunTarget(runFolderName(early, c.runsDir()).dir, { allowRestart: true, flag: 'start.config.out' }); // before loading
  const backend = await c.backends.use(early.backend);
  // no preset named (the form's "default"): the backend's, as in train:lego (config.defaultPreset)
  const { cfg, presetWhy, scheduleNote } = resolveForBackend(m.config as Record<string, unknown>, backend.name, 'start.config.');
  const about = `preset ${cfg.preset} (${presetWhy})${scheduleNote ? `; ${scheduleNote}` : ''}`;
  c.loading(`loading ${cfg.data} (downscale ${cfg.downscale}); ${about}`);
  c.send({ type: 'scene', scene: sceneInfo(cfg.data, LEGO_BOX) });
  await tick();
  const data = loadRunData(cfg);
  c.confine(runFolderName(cfg, c.runsDir()).dir, 'start.config.out');
  const { run, cfg: saved, restarted } = createRunFolder(cfg, c.runsDir(), 'app');
  const detail = `run folder ${run.dir}${restarted ? ` (${restartNote(run.dir).replace(`${run.dir}: `, '')})` : ''}; backend ${backend.name}; ${about}`;
  return [saved, run, data, backend, detail];
}

/** A `resumeRun`: the driver's arguments, or the line saying the run is complete (nothing to train). */
export async function resumeArgs(dir: string, c: StartContext): Promise<DriveArgs | string> {
  const { plan, line } = prepareResume(dir, (p, field, scene) => c.confine(p, field, scene));
  if (plan.complete) return line;
  const backend = await c.backends.use(plan.cfg.backend);
  c.loading(`${line}; loading ${plan.cfg.data} (downscale ${plan.cfg.downscale})`);
  c.send({ type: 'scene', scene: sceneInfo(plan.cfg.data, LEGO_BOX) });
  await tick();
  const data = loadRunData(plan.cfg);
  return [plan.cfg, openResumeFolder(plan), data, backend, `${line}; backend ${backend.name}`, plan.ckpt ?? undefined];
}

/** After a single run's `resumed` event: its curves so far (metrics.jsonl, already cut back to the checkpoint). */
export function resumedHistory(dir: string): Extract<ServerMessage, { type: 'history' }> {
  return { type: 'history', points: readHistory(dir), run: dir };
}
