/**
 * `npm run train:lego -- [flags]`: headless training with a progress bar, running test PSNR,
 * final evaluation with renders, a checkpoint and a summary. `--json` prints the events as NDJSON
 * on stdout and nothing else there; everything human-readable goes to stderr.
 */
import { LEGO_BOX } from '../core/field/geometry';
import { flagsToPartial, OPTIONS, PRESET_NOTES, resolveConfig, type PresetName, type TrainConfig } from '../core/config';
import { initBackend } from '../core/backend';
import { loadTestViews, loadTrainPool, testViewCount } from '../core/data/scene';
import { checkScene, evenlySpaced } from '../core/data/nerf-synthetic';
import { positionsOf } from '../core/eval/evaluate';
import { createModel, paramCounts } from '../core/model';
import { Rng } from '../core/random';
import { Trainer, visViewIds } from '../core/train/trainer';
import type { TrainEvent } from '../core/train/events';
import { defaultRunName, RunFolder, CHECKPOINT_FILE } from '../core/io/run-folder';
import { saveTrainer } from '../core/io/model-checkpoint';
import { parseArgs } from './args';
import { Progress } from './progress';
import { runMain } from './main';
import { saveViewRender } from './renders';
import { join } from 'node:path';

const SWITCHES = ['json', 'dry-run', 'help'] as const;

function usage(): string {
  const lines = ['usage: npm run train:lego -- [options]', '', 'switches:', '  --json      NDJSON events on stdout', '  --dry-run   resolve config, build the model, print config and parameter counts', '  --help', '', 'options (each overrides the preset):'];
  for (const [key, spec] of Object.entries(OPTIONS)) {
    const choices = spec.choices ? ` (${spec.choices.join('|')})` : '';
    lines.push(`  --${spec.flag.padEnd(16)} ${spec.help}${choices}  [${key}]`);
  }
  lines.push('', 'presets:', ...Object.entries(PRESET_NOTES).map(([k, v]) => `  ${k.padEnd(7)} ${v}`));
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { flags, switches } = parseArgs(argv, SWITCHES);
  if (switches.has('help')) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const json = switches.has('json');
  const say = (line: string) => process.stderr.write(line + '\n');
  const partial = flagsToPartial(flags);
  const early = resolveConfig(partial); // validate every flag before anything slow happens
  if (!switches.has('dry-run')) checkScene(early.data);
  const backend = await initBackend((partial.backend as TrainConfig['backend']) ?? 'auto');
  let presetWhy: string;
  if (partial.preset === undefined) {
    const preset: PresetName = backend.name === 'cpu' ? 'quick' : 'thesis';
    partial.preset = preset;
    presetWhy = backend.name === 'cpu' ? 'the default on the cpu backend; --preset thesis for the full setting' : `the default on the ${backend.name} backend`;
  } else presetWhy = 'requested';
  const cfg = resolveConfig(partial);
  const firstLine = `preset ${cfg.preset} (${presetWhy}): ${PRESET_NOTES[cfg.preset]}`;
  (json ? say : (l: string) => process.stdout.write(l + '\n'))(firstLine);
  say(`backend ${backend.name}: ${backend.reason}`);

  if (switches.has('dry-run')) {
    const model = createModel(cfg, LEGO_BOX, new Rng(cfg.seed));
    const params = paramCounts(model);
    if (json) process.stdout.write(JSON.stringify({ config: cfg, params }) + '\n');
    else {
      process.stdout.write(JSON.stringify(cfg, null, 2) + '\n');
      process.stdout.write(`parameters: decoder ${params.decoder}, basis ${params.basis}, field ${params.field}, total ${params.total}\n`);
    }
    return 0;
  }

  say(`loading ${cfg.data} (downscale ${cfg.downscale}) ...`);
  const train = loadTrainPool(cfg);
  const nTest = testViewCount(cfg);
  const evalIds = cfg.evalViews > 0 ? evenlySpaced(nTest, cfg.evalViews) : Array.from({ length: nTest }, (_, i) => i);
  const ids = [...new Set([...evalIds, ...(cfg.visEvery > 0 ? visViewIds(nTest, cfg) : [])])].sort((a, b) => a - b);
  const test = loadTestViews(cfg, ids);
  say(`data: ${train.pool.count} training rays (${train.width}x${train.height}), ${ids.length} test views`);

  const name = cfg.name || defaultRunName(cfg);
  const run = RunFolder.create(cfg.out || join('runs', name));
  const finalCfg: TrainConfig = { ...cfg, name, out: run.dir };
  run.writeJson('config.json', finalCfg);
  say(`run folder ${run.dir}`);

  const trainer = new Trainer(finalCfg, { train: train.pool, test, testCount: nTest }, backend);
  const progress = new Progress();
  const emit = (e: TrainEvent) => {
    if (json) process.stdout.write(JSON.stringify(e) + '\n');
    if (e.type !== 'step' || e.iteration % 10 === 0 || e.iteration === e.total) run.appendMetric(e);
  };
  let lastTest: number | undefined;
  let stopping = 0;
  const onSignal = (sig: string) => {
    stopping++;
    if (stopping > 1) process.exit(130);
    progress.log(`${sig}: stopping after this iteration, saving a checkpoint (again to quit at once)`);
    trainer.control.stopRequested = true;
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  for await (const e of trainer.run()) {
    emit(e);
    if (json) continue;
    if (e.type === 'step') progress.update({ iteration: e.iteration, total: e.total, loss: e.loss, trainPSNR: e.trainPSNR, itsPerSecond: e.itsPerSecond, testPSNR: lastTest });
    else if (e.type === 'eval') {
      lastTest = e.testPSNR;
      progress.log(`it ${e.iteration}: test PSNR ${e.testPSNR.toFixed(2)} dB (${e.views} views)`);
    } else if (e.type === 'schedule') progress.log(`it ${e.iteration + 1}: ${e.action} ${e.detail}`);
    else if (e.type === 'started') progress.log(`parameters: decoder ${e.params.decoder}, field ${e.params.field}, total ${e.params.total}; ${e.trainRays} rays hit the box`);
    else if (e.type === 'error') {
      progress.end();
      say(`error: ${e.message}`);
      run.writeJson('summary.json', { ...trainer.summary(NaN, NaN, 0), complete: false, error: e.message });
      return 1;
    }
  }
  progress.end();
  const ckpt = run.path(CHECKPOINT_FILE);
  saveTrainer(ckpt, trainer);
  emit({ type: 'checkpoint', iteration: trainer.iteration, path: ckpt });
  if (trainer.control.stopRequested) {
    run.writeJson('summary.json', { ...trainer.summary(NaN, NaN, 0), complete: false, stoppedAt: trainer.iteration });
    say(`stopped at iteration ${trainer.iteration}; checkpoint ${ckpt}`);
    return 130;
  }

  say(`evaluating ${evalIds.length} test views ...`);
  const evalProgress = new Progress(process.stderr, Math.max(1, Math.floor(evalIds.length / 10)));
  let done = 0;
  let psnrSum = 0;
  const t0 = performance.now();
  const res = await trainer.evaluate(positionsOf(test, evalIds), true, (score, render, pos) => {
    saveViewRender(run.path('renders'), test, pos, render.rgb);
    run.appendMetric({ type: 'view', ...score });
    done++;
    psnrSum += score.psnr;
    if (!json) evalProgress.update({ kind: 'eval', iteration: done, total: evalIds.length, loss: 0, trainPSNR: psnrSum / done, itsPerSecond: done / ((performance.now() - t0) / 1000) });
  });
  evalProgress.end();
  emit({ type: 'eval', iteration: trainer.iteration, testPSNR: res.psnr, testSSIM: res.ssim, views: res.scores.length, final: true });
  const summary = trainer.summary(res.psnr, res.ssim, res.scores.length);
  run.writeJson('summary.json', { ...summary, complete: true });
  emit({ type: 'done', summary });
  say(`test PSNR ${res.psnr.toFixed(2)} dB, SSIM ${res.ssim.toFixed(4)} over ${res.scores.length} views; trained ${trainer.trainSeconds.toFixed(1)} s; ${run.dir}`);
  return 0;
}

runMain(main);
