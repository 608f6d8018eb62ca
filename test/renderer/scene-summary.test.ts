import { describe, expect, it } from 'vitest';
import type { SceneInfo } from '../../src/protocol/messages';
import { sceneSummary } from '../../src/renderer/scene-summary';

const pose = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 4, 0, 0, 0, 1];
const scene = (over: Partial<SceneInfo> = {}): SceneInfo => ({
  path: 'datasets/nerf_synthetic/lego',
  cameraAngleX: 0.69,
  aspect: 1,
  box: { min: [-1, -1, -1], max: [1, 1, 1] },
  trainPoses: [pose, pose, pose],
  testPoses: [pose, pose],
  ...over,
});

describe('scene summary', () => {
  it('says the views per split and the image size in one line', () => {
    expect(sceneSummary(scene({ valViews: 1, imageSize: [800, 800] }))).toBe('lego: 3 train, 1 val, 2 test views, 800×800 px');
    expect(sceneSummary(scene({ path: 'scenes/chair/' }))).toBe('chair: 3 train, 2 test views');
  });

  it('says when only the box is known', () => {
    expect(sceneSummary(scene({ trainPoses: [], testPoses: [] }))).toBe('lego: 0 train, 0 test views (cameras not readable: the box only)');
  });
});
