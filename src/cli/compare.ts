/**
 * `npm run compare -- [--decoders mlp,siren,splitnet] [--seeds K] [--out DIR] [--resume DIR] [training flags]`:
 * trains each decoder entry (and seed) one after another with the same config except the decoder
 * fields, each into a normal run folder `<out>/<label>/` written as `train:lego` writes it, then
 * writes report.json, report.md and report.html in `<out>`. `--resume DIR` re-reads DIR/compare.json
 * and runs only the entries whose summary.json is missing or not complete (an incomplete run
 * continues from its checkpoint when that can be resumed exactly, else starts over), then
 * rewrites the reports.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, flagsToPartial, OPTIONS, PRESET_NOTES, resolveConfig, type PresetName, type TrainConfig } from '../core/config';
import { initBackend } from '../core/backend';
import { checkScene } from '../core/data/nerf-synthetic';
import type { Trainer } from '../core/train/trainer';
import { CHECKPOINT_FILE, RunFolder, runStamp } from '../core/io/run-folder';
import { resumeConflicts, type TrainerCheckpoint } from '../core/io/model-checkpoint';
import { planResume } from './resume';
import { DECODER_OPTIONS, entryConfig, parseDecoderSpecs, type DecoderSpec } from '../core/compare/decoder-spec';
import { PLAN_FILE, runComplete, type ComparePlan } from '../core/compare/records';
import { newPlan, readPlan, writePlan, writeReports } from '../core/compare/plan';
import { parseArgs, takeFlags } from './args';
import { runMain } from './main';
import { loadRunData, trainRun, type Outcome, type RunData } from './run-training';

const SWITCHES = ['help'] as const;
const COMPARE_FLAGS = ['decoders', 'seeds', 'out', 'resume'] as const;

function usage(): string {
  const lines = [
    'usage: npm run compare -- [--decoders LIST] [--seeds K] [--out DIR] [--resume DIR] [training options]',
    '',
    '  --decoders LIST  comma-separated entries, default mlp,siren,splitnet; an entry may carry options:',
    ...Object.entries(DECODER_OPTIONS).map(([d, o]) => `                     ${d}: ${Object.entries(o).map(([k, key]) => `${k} (--${OPTIONS[key].flag})`).join(', ')}`),
    '                   e.g. mlp,mlp:width=119,siren:flic=2,initc=40,splitnet:m=10,init=lsuv',
    '  --seeds K        runs per entry with seeds seed, seed+1, ... (default 1)',
    '  --out DIR        comparison folder (default runs/compare-<stamp>)',
    '  --resume DIR     finish an earlier comparison: run what is missing or incomplete, rewrite the reports',
    '',
    'training options: as for `npm run train:lego -- --help` (not --decoder, --name); they apply to every entry.',
  ];
  return lines.join('\n');
}


/**
 * One entry's run into `dir`, written exactly as `train:lego` writes its run folder. An unfinished
 * run folder from an interrupted comparison continues from its checkpoint when that checkpoint can
 * be resumed exactly (same settings and training rays); otherwise the entry starts over.
 */
async function trainOne(cfg: TrainConfig, dir: string, data: RunData, backend: { name: string; reason: string }, control: { stop: boolean; current: Trainer | null }, say: (l: string) => void): Promise<Outcome> {
  let resume: TrainerCheckpoint | undefined;
  let run: RunFolder;
  if (existsSync(join(dir, CHECKPOINT_FILE))) {
    try {
      const plan = planResume(dir, {});
      if (resumeConflicts(plan.cfg, { ...cfg, out: dir }).length === 0) resume = plan.ckpt;
      else say(`${dir}: its settings differ from the comparison's; starting this entry over`);
    } catch (e) {
      say(`${dir}: cannot continue (${(e as Error).message.split('\n')[0]}); starting this entry over`);
    }
  }
  const finalCfg: TrainConfig = { ...cfg, out: dir };
  if (resume) {
    run = RunFolder.open(dir);
    say(`${dir}: continuing from iteration ${resume.meta.iteration}`);
  } else {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true }); // incomplete and not resumable
    run = RunFolder.create(dir);
    run.writeJson('config.json', finalCfg);
  }
  return trainRun(finalCfg, run, data, backend, {
    json: false,
    say,
    resume,
    onTrainer: (t) => {
      control.current = t;
      if (control.stop) t.control.stopRequested = true;
    },
  });
}

async function main(argv: string[]): Promise<number> {
  const { flags, switches } = parseArgs(argv, SWITCHES);
  if (switches.has('help')) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const say = (line: string) => process.stderr.write(line + '\n');
  const own = takeFlags(flags, COMPARE_FLAGS);
  const partial = flagsToPartial(flags);
  for (const k of ['decoder', 'name'] as const) {
    if (partial[k] !== undefined) throw new ConfigError(`--${OPTIONS[k].flag}: not a compare option (use --decoders to choose decoders; run folders are named by entry)`);
  }
  delete partial.out; // taken above as the comparison folder

  let plan: ComparePlan;
  let dir: string;
  let backend: Awaited<ReturnType<typeof initBackend>>;
  let fresh = false;
  if (own.resume !== undefined) {
    const extra = Object.keys(partial).filter((k) => k !== 'backend');
    if (own.decoders !== undefined || own.seeds !== undefined || own.out !== undefined || extra.length > 0) {
      throw new ConfigError(`--resume: the plan comes from ${PLAN_FILE}; only --backend may be given with it`);
    }
    dir = own.resume;
    plan = readPlan(dir, '--resume ');
    checkScene(plan.config.data);
    backend = await initBackend((partial.backend as TrainConfig['backend']) ?? plan.config.backend);
  } else {
    const early = resolveConfig(partial); // validate every flag before anything slow happens
    let seedsN = 1;
    if (own.seeds !== undefined) {
      seedsN = Number(own.seeds);
      if (!Number.isInteger(seedsN) || seedsN < 1 || seedsN > 100) throw new ConfigError(`--seeds: expected an integer from 1 to 100, got '${own.seeds}'`);
    }
    const specs: DecoderSpec[] = parseDecoderSpecs(own.decoders ?? 'mlp,siren,splitnet', partial);
    dir = own.out ?? join('runs', `compare-${runStamp()}`);
    if (existsSync(join(dir, PLAN_FILE))) throw new ConfigError(`--out ${dir}: already holds a comparison; use --resume ${dir} or another --out`);
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new ConfigError(`--out ${dir}: folder exists and is not empty; choose another --out (nothing was overwritten)`);
    checkScene(early.data);
    // the preset default depends on the backend, as in train:lego
    backend = await initBackend((partial.backend as TrainConfig['backend']) ?? 'auto');
    if (partial.preset === undefined) partial.preset = (backend.name === 'cpu' ? 'quick' : 'thesis') as PresetName;
    const cfg = resolveConfig(partial);
    plan = newPlan(specs, cfg, seedsN, dir);
    fresh = true; // written once the scene has loaded: a bad scene leaves no comparison folder
  }
  say(`preset ${plan.config.preset}: ${PRESET_NOTES[plan.config.preset]}`);
  say(`backend ${backend.name}: ${backend.reason}`);
  const todo = plan.runs.filter((r) => !runComplete(join(dir, r.label)));
  say(`comparison ${dir}: ${plan.runs.length} runs planned (${plan.entries.map((e) => e.label).join(', ')} x ${plan.seeds.length} seed${plan.seeds.length > 1 ? 's' : ''}), ${todo.length} to run`);

  const control: { stop: boolean; current: Trainer | null } = { stop: false, current: null };
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) process.exit(130);
    say(`${sig}: stopping after this iteration, saving a checkpoint (again to quit at once); --resume ${dir} continues`);
    control.stop = true;
    if (control.current) control.current.control.stopRequested = true;
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  let failed = 0;
  if (todo.length > 0) {
    const data = loadRunData(plan.config, say);
    if (fresh) writePlan(dir, plan);
    for (const [i, r] of todo.entries()) {
      if (control.stop) break;
      const entry = plan.entries.find((e) => e.label === r.entry);
      if (!entry) throw new ConfigError(`${join(dir, PLAN_FILE)}: run ${r.label} names no entry '${r.entry}'`);
      const runDir = join(dir, r.label);
      const cfg = entryConfig(plan.config, { ...entry, decoder: entry.decoder as TrainConfig['decoder'] }, r.seed);
      say(`\n[${i + 1}/${todo.length}] ${r.label} (seed ${r.seed})`);
      const outcome = await trainOne({ ...cfg, name: r.label }, runDir, data, backend, control, say);
      control.current = null;
      if (outcome === 'failed') failed++;
      if (outcome === 'stopped') break;
    }
  }
  const md = writeReports(dir, plan);
  process.stdout.write(md);
  say(`reports: ${join(dir, 'report.md')}, report.html, report.json`);
  if (control.stop) return 130;
  return failed > 0 ? 1 : 0;
}

runMain(main);
