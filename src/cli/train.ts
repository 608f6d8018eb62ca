/**
 * `npm run train:lego -- [flags]`: headless training with a progress bar, running test PSNR,
 * final evaluation with renders, a checkpoint and a summary. `--json` prints the events as NDJSON
 * on stdout and nothing else there; everything human-readable goes to stderr.
 */
import { LEGO_BOX } from '../core/field/geometry';
import { flagsToPartial, OPTIONS, PRESET_NOTES, resolveConfig, type PresetName, type TrainConfig } from '../core/config';
import { initBackend } from '../core/backend';
import { checkScene } from '../core/data/nerf-synthetic';
import { createModel, paramCounts } from '../core/model';
import { Rng } from '../core/random';
import type { Trainer } from '../core/train/trainer';
import { defaultRunName, RunFolder } from '../core/io/run-folder';
import { parseArgs } from './args';
import { runMain } from './main';
import { loadRunData, trainRun } from './run-training';
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

  const data = loadRunData(cfg, say);
  const name = cfg.name || defaultRunName(cfg);
  const run = RunFolder.create(cfg.out || join('runs', name));
  const finalCfg: TrainConfig = { ...cfg, name, out: run.dir };
  run.writeJson('config.json', finalCfg);
  say(`run folder ${run.dir}`);

  let trainer: Trainer | null = null;
  let stopping = 0;
  const onSignal = (sig: string) => {
    stopping++;
    if (stopping > 1) process.exit(130);
    say(`${sig}: stopping after this iteration, saving a checkpoint (again to quit at once)`);
    if (trainer) trainer.control.stopRequested = true;
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const outcome = await trainRun(finalCfg, run, data, backend, {
    json,
    say,
    onTrainer: (t) => {
      trainer = t;
      if (stopping > 0) t.control.stopRequested = true;
    },
  });
  return outcome === 'complete' ? 0 : outcome === 'stopped' ? 130 : 1;
}

runMain(main);
