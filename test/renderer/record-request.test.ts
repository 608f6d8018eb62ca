// The page's turntable request: its camera from the viewport's (width given, height from the
// aspect, within the frame limit), the form's checks as the Node side makes them, the file name.
import { describe, expect, it } from 'vitest';
import { MAX_RECORD_PIXELS } from '../../src/protocol/messages';
import { parseClientMessage } from '../../src/protocol/schema';
import { base64Bytes, formatBytes, recordCamera, recordFileName, recordProblem } from '../../src/renderer/record-request';

const pose = [1, 0, 0, 0, 0, 0, -1, -4, 0, 1, 0, 0.5, 0, 0, 0, 1];

describe('recordCamera', () => {
  it('the viewport pose and field of view at the given width, the height from the aspect (by hand)', () => {
    expect(recordCamera({ pose, fovY: 0.7, aspect: 16 / 9 }, 320)).toEqual({ pose, fovY: 0.7, width: 320, height: 180 });
    expect(recordCamera({ pose, fovY: 0.7, aspect: 1.5 }, 201).height).toBe(134); // 134.0
  });
  it('a tall viewport: scaled down so the height fits 800 px, the aspect kept', () => {
    expect(recordCamera({ pose, fovY: 0.7, aspect: 0.5 }, 500)).toMatchObject({ width: 400, height: 800 });
  });
  it('copies the pose (the viewport keeps moving)', () => {
    const view = { pose: pose.slice(), fovY: 0.7, aspect: 1 };
    const cam = recordCamera(view, 64);
    view.pose[3] = 99;
    expect(cam.pose[3]).toBe(0);
  });
});

describe('recordProblem', () => {
  it('accepts what the schema accepts, and the Node side would too', () => {
    const camera = recordCamera({ pose, fovY: 0.7, aspect: 1 }, 200);
    expect(recordProblem(36, 200, 12, camera)).toBeNull();
    expect(() => parseClientMessage({ type: 'record', id: 1, camera, frames: 36, fps: 12 })).not.toThrow();
  });
  it.each([
    [0, 200, 12, 'record frames: expected an integer from 1 to 360'],
    [361, 200, 12, 'record frames: expected an integer from 1 to 360'],
    [2.5, 200, 12, 'record frames: expected an integer from 1 to 360'],
    [36, 15, 12, 'record width: expected an integer from 16 to 800 pixels'],
    [36, 801, 12, 'record width: expected an integer from 16 to 800 pixels'],
    [36, 200, 0, 'record fps: expected an integer from 1 to 120'],
    [36, 200, Number.NaN, 'record fps: expected an integer from 1 to 120'],
  ])('frames %s, width %s, fps %s: %s', (frames, width, fps, want) => {
    expect(recordProblem(frames, width, fps)).toBe(want);
  });
  it('more pixels than one message may carry', () => {
    const camera = recordCamera({ pose, fovY: 0.7, aspect: 1 }, 800);
    expect(38 * 800 * 800).toBeGreaterThan(MAX_RECORD_PIXELS);
    expect(recordProblem(38, 800, 12, camera)).toBe(
      `record: 38 frames of 800x800 are more than ${MAX_RECORD_PIXELS} pixels; fewer frames or a smaller width`,
    );
    expect(recordProblem(37, 800, 12, camera)).toBeNull();
  });
});

describe('the file', () => {
  it('is named by the iterations its frames show', () => {
    expect(recordFileName([70, 70])).toBe('turntable-it70.apng');
    expect(recordFileName([40, 52])).toBe('turntable-it40-52.apng');
    expect(recordFileName(undefined)).toBe('turntable.apng');
  });
  it('base64 decodes to its bytes; sizes read as KB or MB', () => {
    expect([...base64Bytes(Buffer.from([0, 1, 254, 255, 137]).toString('base64'))]).toEqual([0, 1, 254, 255, 137]);
    expect(formatBytes(12_345)).toBe('12.3 KB');
    expect(formatBytes(4_560_000)).toBe('4.56 MB');
  });
});
