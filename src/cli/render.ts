/**
 * `npm run render -- --run DIR [--views N | --turntable N] [--backend B]`: renders from a saved
 * checkpoint. Test views (all, or N evenly spaced) are written beside their ground truth with an
 * error map and scored; a turntable renders N cameras circling the scene at the test cameras'
 * radius and height (or `--elevation`), writes each frame as a PNG and all of them as a video
 * (MP4 through the system's ffmpeg when present, else an animated PNG; core/io/video-out.ts).
 */
import { STEP_RATIO } from '../core/field/geometry';
import { ConfigError } from '../core/errors';
import { OPTIONS, parseDecimal } from '../core/config';
import { join } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { initBackend } from '../core/backend';
import { useThreads } from '../core/parallel/threads';
import { evenlySpaced } from '../core/data/nerf-synthetic';
import { loadTestViews, testViewCount } from '../core/run/scene-data';
import { evaluateViews, renderView, type ViewScore } from '../core/eval/evaluate';
import { loadModel } from '../core/train/trainer-checkpoint';
import { writePngRgb } from '../core/io/png';
import { CHECKPOINT_FILE } from '../core/io/run-folder';
import { parseArgs } from './args';
import { CountProgress } from './progress';
import { runMain } from './run-main';
import { saveViewRender, writeRendersIndex } from '../core/run/view-renders';
import { MAX_TURNTABLE_FRAMES, MAX_TURNTABLE_SIDE, scaledFocal, turntablePose } from '../core/render/turntable';
import { openVideo, type VideoSink } from '../core/io/video-out';
import { rgbBytes } from '../core/io/apng';
import { DEFAULT_FPS, MAX_FPS, parseTurntableFlags, TURNTABLE_FLAGS, type TurntableFlags } from './turntable-flags';
import { isOutOfMemory, renderOutOfMemoryMessage } from '../core/train/oom';

function usage(): string {
  return [
    'usage: npm run render -- --run DIR [--views N | --turntable N [--size N|WxH] [--elevation DEG] [--fps N]]',
    '                         [--backend B] [--threads N] [--out DIR] [--chunk N]',
    '',
    'Renders from the checkpoint.trf of a run folder (finished or stopped) with the settings saved in it',
    '(its scene gives the test views and the cameras).',
    '',
    'options:',
    '  --run DIR        the run folder to render from (required)',
    '  --views N        render N evenly spaced test views (default: every view of the test split), each',
    '                   written as test_NNN_<psnr>dB.png (render | ground truth | error map) and scored, with',
    '                   index.json (per-view PSNR and SSIM, their means); prints one JSON line on stdout:',
    '                   {"views","testPSNR","testSSIM","out"}',
    `  --turntable N    instead of test views: N frames (1 to ${MAX_TURNTABLE_FRAMES}) on a circle around the scene at the`,
    "                   test cameras' radius and height, written one at a time as turntable_NNN.png, and as a",
    '                   video: turntable.mp4 (H.264) when ffmpeg is on the PATH, else turntable.apng (animated PNG)',
    `  --size N|WxH     turntable frame size in pixels, each side 1 to ${MAX_TURNTABLE_SIDE} (default: the test views' size;`,
    "                   the horizontal field of view stays the test cameras'",
    "  --elevation DEG  the turntable circle at DEG degrees above the ground plane (-89 to 89), at the test camera's",
    "                   distance from the centre (default: at the test camera's height)",
    `  --fps N          turntable video frames per second (1 to ${MAX_FPS}, default ${DEFAULT_FPS})`,
    '  --backend B      auto|tensorflow|webgpu|cpu (default auto, chosen as in train:lego)',
    "  --threads N      compute threads on the cpu backend (default 0 = the machine's cores; 1 = one)",
    '  --out DIR        where the images go (default DIR/renders for test views, DIR/turntable for a turntable)',
    '  --chunk N        rays per rendering chunk (default 4096; lower it after an out-of-memory error)',
    '  --help           this text',
    '',
    'Progress goes to stderr: redrawn in place on a terminal, a line every tenth of the images otherwise.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  try {
    return await render(argv);
  } catch (e) {
    if (isOutOfMemory(e) && rendering) throw new Error(renderOutOfMemoryMessage(rendering.backend, rendering.chunk));
    throw e;
  }
}

/** Set once rendering starts: an out-of-memory error after that is reported with the chunk size. */
let rendering: { backend: string; chunk: number } | null = null;

async function render(argv: string[]): Promise<number> {
  const { flags, switches } = parseArgs(argv, ['help']);
  if (switches.has('help')) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const known = ['run', 'views', 'turntable', 'backend', 'threads', 'out', 'chunk', ...TURNTABLE_FLAGS];
  for (const k of Object.keys(flags))
    if (!known.includes(k)) throw new ConfigError(`unknown flag --${k} (known: ${known.map((x) => `--${x}`).join(', ')})`);
  if (!flags.run) throw new ConfigError('--run: expected the run folder to render from');
  const int = (name: string, min: number, max = Infinity, what = ''): number | undefined => {
    if (flags[name] === undefined) return undefined;
    const v = parseDecimal(flags[name]);
    const range = max === Infinity ? `>= ${min}` : `from ${min} to ${max}${what}`;
    if (!Number.isInteger(v) || v < min || v > max) throw new ConfigError(`--${name}: expected an integer ${range}, got '${flags[name]}'`);
    return v;
  };
  const views = int('views', 1);
  const turntable = int('turntable', 1, MAX_TURNTABLE_FRAMES, ' (frames around the circle, one written at a time)');
  const chunk = int('chunk', 1) ?? 4096;
  const threads = int('threads', OPTIONS.threads.min ?? 0, OPTIONS.threads.max) ?? 0; // the train option's bounds
  if (views !== undefined && turntable !== undefined) throw new ConfigError('--views and --turntable: give one of them');
  const video = parseTurntableFlags(flags, turntable !== undefined);
  const ckpt = join(flags.run, CHECKPOINT_FILE);
  if (!existsSync(ckpt)) throw new ConfigError(`--run ${flags.run}: no ${CHECKPOINT_FILE} there`);
  const backend = await initBackend((flags.backend as 'auto') ?? 'auto');
  process.stderr.write(`backend ${backend.name}: ${backend.reason}\n`);
  if (backend.name === 'cpu') {
    const n = await useThreads(threads);
    process.stderr.write(`${n} compute thread${n === 1 ? '' : 's'}\n`);
  }
  const { model, mask, meta } = loadModel(ckpt);
  rendering = { backend: backend.name, chunk };
  const cfg = meta.config;
  const ctx = { mask, stepRatio: STEP_RATIO, chunk };
  const out = flags.out ?? join(flags.run, turntable ? 'turntable' : 'renders');
  mkdirSync(out, { recursive: true });
  const nTest = testViewCount(cfg);
  if (turntable) return renderTurntable(model, ctx, loadTestViews(cfg, [0]), turntable, video, out);
  const ids = views ? evenlySpaced(nTest, views) : Array.from({ length: nTest }, (_, i) => i);
  const test = loadTestViews(cfg, ids);
  let done = 0;
  const scores: ViewScore[] = [];
  const shown = new CountProgress(process.stderr, ids.length);
  const res = await evaluateViews(
    model,
    ctx,
    test,
    ids.map((_, i) => i),
    true,
    (s, r, pos) => {
      saveViewRender(out, test, pos, r.rgb, s.psnr);
      scores.push(s);
      writeRendersIndex(out, meta.iteration, scores, scores.length === ids.length);
      done++;
      shown.update(done, `view ${done}/${ids.length} psnr ${s.psnr.toFixed(2)}`);
    },
  );
  shown.end();
  process.stdout.write(`${JSON.stringify({ views: res.scores.length, testPSNR: res.psnr, testSSIM: res.ssim, out })}\n`);
  return 0;
}

type ModelOf = ReturnType<typeof loadModel>['model'];

/** `count` frames on the turntable circle: each a PNG as it is rendered, all of them in the video. */
async function renderTurntable(
  model: ModelOf,
  ctx: Parameters<typeof renderView>[1],
  ref: ReturnType<typeof loadTestViews>,
  count: number,
  video: TurntableFlags,
  out: string,
): Promise<number> {
  const [width, height] = video.size ?? [ref.width, ref.height];
  const focal = scaledFocal(ref.focal, ref.width, width);
  const sink: VideoSink = openVideo({ base: join(out, 'turntable'), width, height, fps: video.fps, frames: count });
  const frames = new CountProgress(process.stderr, count);
  try {
    for (let i = 0; i < count; i++) {
      const pose = turntablePose(ref.poses[0], i, count, video.elevation ?? undefined);
      const r = await renderView(model, ctx, pose, width, height, focal);
      writePngRgb(join(out, `turntable_${String(i).padStart(3, '0')}.png`), r.rgb, width, height);
      await sink.write(rgbBytes(r.rgb));
      frames.update(i + 1, `turntable ${i + 1}/${count}`);
    }
  } catch (e) {
    sink.abort();
    throw e;
  }
  frames.end();
  const file = await sink.close();
  const how = sink.kind === 'mp4' ? 'MP4 (H.264, through ffmpeg)' : 'animated PNG (no ffmpeg on the PATH)';
  process.stderr.write(`wrote ${count} frames (${width}x${height}) to ${out} and the video ${file}: ${how}, ${video.fps} fps\n`);
  process.stdout.write(`${JSON.stringify({ frames: count, width, height, fps: video.fps, video: file, kind: sink.kind, out })}\n`);
  return 0;
}

runMain(main);
