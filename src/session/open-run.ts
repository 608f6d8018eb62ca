/**
 * Opening a finished (or stopped) run folder to look at without training: its checkpoint's model,
 * the scene's cameras (or just the box, when the scene cannot be read any more), and its curves.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILE, type HistoryPoint, readHistory } from '../core/io/run-folder';
import { testViewCount } from '../core/run/scene-data';
import { loadModel } from '../core/train/trainer-checkpoint';
import type { SceneInfo } from '../protocol/messages';
import { boxOnlyScene, sceneInfo } from './scene-info';
import { HostError, type ViewSource } from './views';

export interface OpenedRun {
  source: ViewSource;
  scene: SceneInfo;
  /** Why the scene could not be read (then `scene` holds only the box), or null. */
  sceneError: string | null;
  history: HistoryPoint[];
}

/**
 * Reads `dir`; `confine` checks every path it reads (the checkpoint, metrics.jsonl) and every path
 * the run refers to (its scene folder and files). A scene that may not be read leaves the model
 * viewable without cameras or test views.
 */
export function openRunFolder(dir: string, confine: (path: string, field: string, scene?: boolean) => void): OpenedRun {
  const ckpt = join(dir, CHECKPOINT_FILE);
  confine(ckpt, `openRun.path (${CHECKPOINT_FILE})`);
  confine(join(dir, 'metrics.jsonl'), 'openRun.path (metrics.jsonl)');
  if (!existsSync(ckpt)) throw new HostError(`${dir}: no ${CHECKPOINT_FILE} here; open a run folder written by train:lego or the app`);
  const { model, mask, meta } = loadModel(ckpt);
  const cfg = meta.config;
  let scene: SceneInfo;
  let sceneError: string | null = null;
  let testCount = 0;
  try {
    confine(cfg.data, "openRun: the run's config.data", true);
    scene = sceneInfo(cfg.data, meta.box);
    testCount = testViewCount(cfg);
  } catch (e) {
    sceneError = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    scene = boxOnlyScene(cfg.data, meta.box, meta.cameraAngleX);
  }
  return { source: { model, mask, cfg, iteration: meta.iteration, test: null, testCount }, scene, sceneError, history: readHistory(dir) };
}
