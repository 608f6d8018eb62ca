/**
 * `npm run train:lego -- [flags]`: headless training with a progress bar, running test PSNR,
 * final evaluation with renders, checkpoints and a summary. `--json` prints the events as NDJSON
 * on stdout and nothing else there; everything human-readable goes to stderr.
 * `--resume DIR [--iterations N] [--backend B]` continues a stopped or killed run (core/run/resume-plan.ts).
 */
import { type BackendInfo, initBackend } from '../core/backend';
import { flagsToPartial, OPTIONS, PRESET_NOTES, resolveConfig, resolveForBackend, type TrainConfig } from '../core/config';
import { checkScene } from '../core/data/nerf-synthetic';
import { ConfigError } from '../core/errors';
import { LEGO_BOX } from '../core/field/geometry';
import { checkRunTarget, createRunFolder, restartNote, RunFolder, runFolderName } from '../core/io/run-folder';
import { checkUnlocked } from '../core/io/run-lock';
import { createModel, paramCounts } from '../core/model';
import { Rng } from '../core/random';
import { planResume, resumeLine } from '../core/run/resume-plan';
import { loadRunData, type RunData } from '../core/run/scene-data';
import { trainRun } from '../core/run/train-run';
import type { Trainer } from '../core/train/trainer';
import type { TrainerCheckpoint } from '../core/train/trainer-checkpoint';
import { parseArgs, takeFlags } from './args';
import { runMain } from './run-main';
import { consoleOutput, ndjsonOutput, startParamsLine } from './run-output';
import { onStopSignals } from './signals';

const SWITCHES = ['json', 'dry-run', 'help'] as const;

function usage(): string {
  const lines = [
    'usage: npm run train:lego -- [options]',
    '       npm run train:lego -- --resume DIR [--iterations N] [--backend B] [--json]',
    '',
    'switches:',
    '  --json      NDJSON events on stdout',
    '  --dry-run   resolve config, build the model, print config and parameter counts',
    '  --help',
    '',
    '  --resume DIR      continue the run in DIR from its checkpoint.trf with its config.json (the same',
    '                    seed gives the same result as an uninterrupted run); only --backend and',
    '                    --iterations N (a larger total extends the run; the lr decay is spread over the',
    '                    new total) may be given with it. A complete run is reported, not retrained.',
    '',
    'options (each overrides the preset):',
  ];
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
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const json = switches.has('json');
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const { resume } = takeFlags(flags, ['resume']);
  const partial = flagsToPartial(flags);
  if (resume !== undefined) {
    if (switches.has('dry-run')) throw new ConfigError('--dry-run: not with --resume');
    return resumeRun(resume, partial, json, say);
  }
  const early = resolveConfig(partial); // validate every flag before anything slow happens
  if (!switches.has('dry-run')) {
    checkScene(early.data);
    const target = runFolderName(early).dir;
    if (checkRunTarget(target, { allowRestart: true }) === 'restart') say(restartNote(target));
  }
  const backend = await initBackend((partial.backend as TrainConfig['backend']) ?? 'auto');
  const { cfg, presetWhy, scheduleNote } = resolveForBackend(partial, backend.name);
  const firstLine = `preset ${cfg.preset} (${presetWhy}): ${PRESET_NOTES[cfg.preset]}`;
  (json ? say : (l: string) => process.stdout.write(`${l}\n`))(firstLine);
  say(`backend ${backend.name}: ${backend.reason}`);
  if (scheduleNote) say(scheduleNote);

  if (switches.has('dry-run')) {
    const model = createModel(cfg, LEGO_BOX, new Rng(cfg.seed));
    const params = paramCounts(model);
    if (json) process.stdout.write(`${JSON.stringify({ config: cfg, params })}\n`);
    else {
      process.stdout.write(`${JSON.stringify(cfg, null, 2)}\n`);
      process.stdout.write(`${startParamsLine(params, cfg.gridStart)}\n`);
    }
    return 0;
  }

  const data = loadRunData(cfg, say);
  const { run, cfg: finalCfg } = createRunFolder(cfg, 'runs', 'train:lego');
  say(`run folder ${run.dir}`);
  return trainWithSignals(finalCfg, run, data, backend, json, say);
}

/** trainRun with its events on the terminal, and Ctrl-C / SIGTERM stopping it after the current iteration. */
async function trainWithSignals(
  cfg: TrainConfig,
  run: RunFolder,
  data: RunData,
  backend: BackendInfo,
  json: boolean,
  say: (line: string) => void,
  resume?: TrainerCheckpoint,
): Promise<number> {
  let trainer: Trainer | null = null;
  let stopping = false;
  let evaluating = false;
  const what = () =>
    evaluating
      ? `stopping the final evaluation after this view (the checkpoint is saved; again to quit at once); --resume ${run.dir} evaluates`
      : `stopping after this iteration, saving a checkpoint (again to quit at once); --resume ${run.dir} continues`;
  onStopSignals(say, what, () => {
    stopping = true;
    if (trainer) trainer.control.stopRequested = true;
  });
  const print = json ? ndjsonOutput() : consoleOutput(say, run.dir);
  const outcome = await trainRun(cfg, run, data, backend, {
    resume,
    onTrainer: (t) => {
      trainer = t;
      if (stopping) t.control.stopRequested = true;
    },
    onEvent: (e) => {
      if (e.type === 'evaluating') evaluating = true;
      print(e);
      if (json && e.type === 'error') say(`error: ${e.message}`);
    },
  });
  return outcome === 'complete' ? 0 : outcome === 'stopped' ? 130 : 1;
}

async function resumeRun(dir: string, partial: Record<string, unknown>, json: boolean, say: (line: string) => void): Promise<number> {
  checkUnlocked(dir); // another process training here: refuse before reading anything
  const plan = planResume(dir, partial);
  const first = resumeLine(plan);
  (json ? say : (l: string) => process.stdout.write(`${l}\n`))(first);
  if (plan.complete) return 0;
  checkScene(plan.cfg.data);
  const backend = await initBackend(plan.cfg.backend);
  say(`backend ${backend.name}: ${backend.reason}`);
  const data = loadRunData(plan.cfg, say);
  const run = plan.restart ? RunFolder.restart(dir, 'train:lego --resume') : RunFolder.open(dir, 'train:lego --resume');
  if (plan.extended) run.writeJson('config.json', { ...plan.saved, iterations: plan.cfg.iterations });
  return trainWithSignals(plan.cfg, run, data, backend, json, say, plan.ckpt ?? undefined);
}

runMain(main);
