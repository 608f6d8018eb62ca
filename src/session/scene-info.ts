/** The cameras and box of a NeRF-synthetic scene, as the viewport draws them. */
import { existsSync } from 'node:fs';
import { checkScene, framePath, readTransforms, transformsPath } from '../core/data/nerf-synthetic';
import type { Box } from '../core/field/geometry';
import { readPngHeader } from '../core/io/png';
import type { SceneInfo } from '../protocol/messages';

/**
 * Reads transforms_train.json and transforms_test.json (and the first image's header for the
 * aspect ratio). Throws the loader's one-line DatasetError when the folder is not a scene.
 */
export function sceneInfo(dir: string, box: Box): SceneInfo {
  checkScene(dir);
  const train = readTransforms(dir, 'train');
  const test = readTransforms(dir, 'test');
  const header = readPngHeader(framePath(dir, train.frames[0].file));
  const val = existsSync(transformsPath(dir, 'val')) ? readTransforms(dir, 'val').frames.length : undefined;
  return {
    path: dir,
    cameraAngleX: train.cameraAngleX,
    aspect: header.width / header.height,
    box: { min: [...box.min], max: [...box.max] },
    trainPoses: train.frames.map((f) => Array.from(f.pose)),
    testPoses: test.frames.map((f) => Array.from(f.pose)),
    ...(val === undefined ? {} : { valViews: val }),
    imageSize: [header.width, header.height],
  };
}

/**
 * The box alone, for a run whose scene folder cannot be read: no cameras, square images, and the
 * field of view saved with the run's checkpoint (`cameraAngleX`; checkpoints written before it
 * was saved give 0, and the viewport then keeps its own).
 */
export function boxOnlyScene(path: string, box: Box, cameraAngleX = 0): SceneInfo {
  return { path, cameraAngleX, aspect: 1, box: { min: [...box.min], max: [...box.max] }, trainPoses: [], testPoses: [] };
}
