/**
 * `npm run compare -- [--decoders mlp,siren,splitnet] [--seeds K] [--out DIR] [--resume DIR] [training flags]`:
 * trains each decoder entry (and seed) one after another with the same config except the decoder
 * fields, each into a normal run folder `<out>/<label>/` written as `train:lego` writes it, then
 * writes report.json, report.md and report.html in `<out>`. `--resume DIR` re-reads DIR/compare.json
 * and runs only the entries whose summary.json is missing or not complete (an incomplete run
 * continues from its checkpoint when that can be resumed exactly, else starts over), then
 * rewrites the reports.
 */
import { join } from 'node:path';
import { initBackend } from '../core/backend';
import { DECODER_OPTIONS, parseDecoderSpecs, type DecoderSpec } from '../core/compare/decoder-spec';
import { newPlan, planSeeds, readPlan, writePlan, writeReports } from '../core/compare/plan';
import { PLAN_FILE, runComplete, type ComparePlan } from '../core/compare/records';
import { ComparisonRunner } from '../core/compare/run';
import { flagsToPartial, OPTIONS, parseDecimal, PRESET_NOTES, resolveConfig, resolveForBackend, type TrainConfig } from '../core/config';
import { checkScene } from '../core/data/nerf-synthetic';
import { ConfigError } from '../core/errors';
import { checkRunTarget, runStamp } from '../core/io/run-folder';
import { checkUnlocked } from '../core/io/run-lock';
import { loadRunData } from '../core/run/scene-data';
import { parseArgs, takeFlags } from './args';
import { runMain } from './run-main';
import { consoleOutput } from './run-output';
import { onStopSignals } from './signals';

const SWITCHES = ['help'] as const;
const COMPARE_FLAGS = ['decoders', 'seeds', 'out', 'resume'] as const;

function usage(): string {
  const lines = [
    'usage: npm run compare -- [--decoders LIST] [--seeds K] [--out DIR] [--resume DIR] [training options]',
    '',
    '  --decoders LIST  comma-separated entries, default mlp,siren,splitnet; an entry may carry options:',
    ...Object.entries(DECODER_OPTIONS).map(
      ([d, o]) =>
        `                     ${d}: ${Object.entries(o)
          .map(([k, key]) => `${k} (--${OPTIONS[key].flag})`)
          .join(', ')}`,
    ),
    '                   e.g. mlp,mlp:width=119,siren:flic=2,initc=40,splitnet:m=10,init=lsuv',
    '  --seeds K        runs per entry with seeds seed, seed+1, ... (default 1)',
    '  --out DIR        comparison folder (default runs/compare-<stamp>)',
    '  --resume DIR     finish an earlier comparison: run what is missing or incomplete, rewrite the reports',
    '',
    'training options: as for `npm run train:lego -- --help` (not --decoder, --name); they apply to every entry.',
  ];
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { flags, switches } = parseArgs(argv, SWITCHES);
  if (switches.has('help')) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const own = takeFlags(flags, COMPARE_FLAGS);
  const partial = flagsToPartial(flags);
  for (const k of ['decoder', 'name'] as const) {
    if (partial[k] !== undefined)
      throw new ConfigError(
        `--${OPTIONS[k].flag}: not a compare option (use --decoders to choose decoders; run folders are named by entry)`,
      );
  }
  delete partial.out; // taken above as the comparison folder

  let plan: ComparePlan;
  let dir: string;
  let backend: Awaited<ReturnType<typeof initBackend>>;
  let fresh = false;
  let note: string | null = null;
  if (own.resume !== undefined) {
    const extra = Object.keys(partial).filter((k) => k !== 'backend');
    if (own.decoders !== undefined || own.seeds !== undefined || own.out !== undefined || extra.length > 0) {
      throw new ConfigError(`--resume: the plan comes from ${PLAN_FILE}; only --backend may be given with it`);
    }
    dir = own.resume;
    checkUnlocked(dir);
    plan = readPlan(dir, '--resume ');
    checkScene(plan.config.data);
    backend = await initBackend((partial.backend as TrainConfig['backend']) ?? plan.config.backend);
  } else {
    const early = resolveConfig(partial); // validate every flag before anything slow happens
    let seedsN = 1;
    if (own.seeds !== undefined) {
      seedsN = parseDecimal(own.seeds);
      if (!Number.isInteger(seedsN) || seedsN < 1 || seedsN > 100)
        throw new ConfigError(`--seeds: expected an integer from 1 to 100, got '${own.seeds}'`);
    }
    planSeeds(early.seed, seedsN);
    const specs: DecoderSpec[] = parseDecoderSpecs(own.decoders ?? 'mlp,siren,splitnet', partial);
    dir = own.out ?? join('runs', `compare-${runStamp()}`);
    checkRunTarget(dir); // a file, a folder in use or not empty, a parent that cannot be written: refused before loading
    checkScene(early.data);
    // the preset default depends on the backend, as in train:lego
    backend = await initBackend((partial.backend as TrainConfig['backend']) ?? 'auto');
    const { cfg, scheduleNote } = resolveForBackend(partial, backend.name);
    note = scheduleNote;
    plan = newPlan(specs, cfg, seedsN, dir);
    fresh = true; // written once the scene has loaded: a bad scene leaves no comparison folder
  }
  say(`preset ${plan.config.preset}: ${PRESET_NOTES[plan.config.preset]}`);
  say(`backend ${backend.name}: ${backend.reason}`);
  if (note) say(note);
  const todo = plan.runs.filter((r) => !runComplete(join(dir, r.label)));
  say(
    `comparison ${dir}: ${plan.runs.length} runs planned (${plan.entries.map((e) => e.label).join(', ')} x ${plan.seeds.length} seed${plan.seeds.length > 1 ? 's' : ''}), ${todo.length} to run`,
  );

  let runner: ComparisonRunner | null = null;
  let stopping = false;
  let evaluating = false; // the entry in progress is in its final evaluation
  const what = () =>
    evaluating
      ? `stopping this entry's final evaluation after this view (its checkpoint is saved; again to quit at once); --resume ${dir} continues`
      : `stopping after this iteration, saving a checkpoint (again to quit at once); --resume ${dir} continues`;
  onStopSignals(say, what, () => {
    stopping = true;
    runner?.stop();
  });
  let failed = 0;
  let md: string;
  if (todo.length > 0) {
    const data = loadRunData(plan.config, say);
    if (fresh) writePlan(dir, plan);
    let print: ReturnType<typeof consoleOutput> = () => {};
    runner = new ComparisonRunner(dir, plan, data, backend, {
      say,
      onRunStart: (r, i, n) => {
        say(`\n[${i + 1}/${n}] ${r.label} (seed ${r.seed})`);
        print = consoleOutput(say, join(dir, r.label));
      },
      onEvent: (_r, e) => {
        if (e.type === 'evaluating' || e.type === 'started' || e.type === 'resumed') evaluating = e.type === 'evaluating';
        print(e);
      },
    });
    if (stopping) runner.stop();
    const result = await runner.run();
    failed = result.failed;
    md = result.markdown;
  } else md = writeReports(dir, plan);
  process.stdout.write(md);
  say(`reports: ${join(dir, 'report.md')}, report.html, report.json`);
  if (stopping) return 130;
  return failed > 0 ? 1 : 0;
}

runMain(main);
