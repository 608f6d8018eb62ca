/**
 * The render queue's order between viewport frames and a turntable recording: a page that is live
 * asks for a new frame as soon as the last one is answered, so a viewport frame is pending nearly
 * whenever the queue looks. The recording must still progress (one of its frames every other
 * turn), or it never finishes while a training runs (CI saw a 3-frame, 32 px turntable take over
 * 150 s). The renderer is replaced by a stand-in that returns flat colour, counting its calls.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from '../../src/protocol/messages';
import type { ViewSource } from '../../src/session/views';

vi.mock('../../src/core/eval/evaluate', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/core/eval/evaluate')>()),
  renderView: vi.fn(async (_m: unknown, _c: unknown, _p: unknown, w: number, h: number) => ({
    rgb: new Float32Array(w * h * 3).fill(0.5),
    depth: new Float32Array(w * h),
    acc: new Float32Array(w * h).fill(1),
  })),
}));

const { RenderQueue } = await import('../../src/session/render-queue');

const camera = { pose: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 4, 0, 0, 0, 1], fovY: 0.7, width: 8, height: 6 };
const source = { model: {}, mask: null, cfg: { chunk: 64 }, iteration: 7, test: null, testCount: 0 } as unknown as ViewSource;

function live(running: boolean) {
  const sent: ServerMessage[] = [];
  let id = 1;
  const q = new RenderQueue(
    {
      source: () => source,
      running: () => running,
      send: (m) => {
        sent.push(m);
        // the live page: a new frame request as soon as one is answered (five in all, so serve() ends)
        if (m.type === 'frame' && id < 5) q.render({ type: 'render', id: ++id, camera, output: 'rgb', quality: 'sharp' });
      },
      error: (e) => {
        throw e;
      },
    },
    { renderShare: 1 }, // no waiting between turns: the order alone is under test
  );
  return { q, sent, first: () => q.render({ type: 'render', id: 1, camera, output: 'rgb', quality: 'sharp' }) };
}

describe('RenderQueue: viewport frames and a recording take turns', () => {
  it.each([true, false])(
    'a live page asking for frames without pause does not starve a 3-frame recording (training %s)',
    async (running) => {
      const { q, sent, first } = live(running);
      first();
      q.record({ type: 'record', id: 4, camera, frames: 3, fps: 5 });
      await q.serve();
      const kinds = sent.map((m) => (m.type === 'recording' ? `rec${m.done}` : m.type));
      // the recording done, only viewport frames follow
      expect(kinds).toEqual(['frame', 'rec1', 'frame', 'rec2', 'frame', 'rec3', 'frame', 'frame']);
      const last = sent[5] as Extract<ServerMessage, { type: 'recording' }>;
      expect(last.apng?.length).toBeGreaterThan(0);
      expect(last.iterations).toEqual([7, 7]);
      expect(q.pending()).toBe(false);
    },
  );

  it('without viewport requests the recording runs frame after frame', async () => {
    const { q, sent } = live(true);
    q.record({ type: 'record', id: 4, camera, frames: 2, fps: 5 });
    await q.serve();
    expect(sent.map((m) => (m.type === 'recording' ? m.done : m.type))).toEqual([1, 2]);
    expect(q.pending()).toBe(false);
  });
});
