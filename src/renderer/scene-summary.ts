/** The one-line summary of an opened scene under the scene field (DOM-free). */
import type { SceneInfo } from '../protocol/messages';

/** e.g. `lego: 100 train, 100 val, 200 test views, 800×800 px`; the splits and size the scene message has. */
export function sceneSummary(scene: SceneInfo): string {
  const name =
    scene.path
      .replace(/[/\\]+$/, '')
      .split(/[/\\]/)
      .pop() || scene.path;
  const splits = [`${scene.trainPoses.length} train`];
  if (scene.valViews !== undefined) splits.push(`${scene.valViews} val`);
  splits.push(`${scene.testPoses.length} test views`);
  const size = scene.imageSize ? `, ${scene.imageSize[0]}×${scene.imageSize[1]} px` : '';
  const cameras = scene.trainPoses.length + scene.testPoses.length === 0 ? ' (cameras not readable: the box only)' : '';
  return `${name}: ${splits.join(', ')}${size}${cameras}`;
}
