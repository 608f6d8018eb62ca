/**
 * The one config schema. Every training option is declared once in OPTIONS: its type, default,
 * range and help text. CLI flags, the saved config.json and protocol messages are all validated
 * by `resolveConfig`, so an option cannot exist in one place and not the others.
 */
import { DEFAULT_DECODER_OPTIONS } from './decoders/defaults';
import { ConfigError } from './errors';

export const DECODER_NAMES = ['mlp', 'siren', 'splitnet'] as const;
export type DecoderName = (typeof DECODER_NAMES)[number];
export const BACKEND_NAMES = ['auto', 'tensorflow', 'webgpu', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export const PRESET_NAMES = ['thesis', 'paper', 'quick', 'smoke'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
export const SPLITNET_INITS = ['default', 'lsuv'] as const;
export type SplitnetInit = (typeof SPLITNET_INITS)[number];

export interface TrainConfig {
  preset: PresetName;
  data: string;
  downscale: number;
  trainViews: number; // 0 = all
  decoder: DecoderName;
  decoderWidth: number; // 0 = the decoder's default (128 mlp/siren, 45 splitnet)
  sirenFlic: number;
  sirenInitc: number;
  splitnetM: number;
  splitnetInit: SplitnetInit;
  backend: BackendName;
  threads: number; // compute threads on the cpu backend; 0 = the machine's cores
  iterations: number;
  batchSize: number;
  gridStart: number; // voxels per side at the start (cubic box)
  gridEnd: number; // voxels per side after the last upsampling
  upsampleAt: number[];
  alphaMaskAt: number[];
  densityComps: number;
  appComps: number;
  appDim: number;
  lrFactors: number;
  lrNetwork: number;
  lrDecayRatio: number;
  l1Initial: number;
  l1Rest: number;
  visEvery: number; // 0 = never
  visViews: number;
  evalViews: number; // 0 = all test views
  seed: number;
  chunk: number; // rays per chunk when rendering
  checkpointEvery: number; // 0 = only when the run ends or stops
  out: string; // '' = runs/<name>
  name: string; // '' = <decoder>-<preset>-<stamp>
}

/** The largest seed: the RNG's state is 32 bits, so larger seeds would wrap onto smaller ones. */
export const MAX_SEED = 0xffffffff;

type Kind = 'int' | 'number' | 'string' | 'ints' | 'enum';
interface OptionSpec {
  kind: Kind;
  flag: string;
  help: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** Words a flag may give instead of a number (`--eval-views all`), and the number each stands for. */
  words?: Readonly<Record<string, number>>;
}

const ALL = { all: 0 } as const;

export const OPTIONS: { [K in keyof TrainConfig]: OptionSpec } = {
  preset: { kind: 'enum', flag: 'preset', choices: PRESET_NAMES, help: 'named set of defaults' },
  data: { kind: 'string', flag: 'data', help: 'NeRF-synthetic scene folder' },
  downscale: { kind: 'int', flag: 'downscale', min: 1, max: 64, help: 'image downscale factor (area average)' },
  trainViews: { kind: 'int', flag: 'train-views', min: 0, words: ALL, help: 'use the first N training views (all or 0 = all)' },
  decoder: { kind: 'enum', flag: 'decoder', choices: DECODER_NAMES, help: 'colour decoder' },
  decoderWidth: { kind: 'int', flag: 'decoder-width', min: 0, max: 4096, help: 'hidden width (0 = default)' },
  sirenFlic: { kind: 'number', flag: 'siren-flic', min: 0, help: 'SIREN first-layer init constant' },
  sirenInitc: { kind: 'number', flag: 'siren-initc', min: 0, help: 'SIREN hidden init constant' },
  splitnetM: { kind: 'number', flag: 'splitnet-m', help: 'SplitNet branch-product multiplier m' },
  splitnetInit: { kind: 'enum', flag: 'splitnet-init', choices: SPLITNET_INITS, help: 'SplitNet init' },
  backend: { kind: 'enum', flag: 'backend', choices: BACKEND_NAMES, help: 'compute backend' },
  threads: {
    kind: 'int',
    flag: 'threads',
    min: 0,
    max: 256,
    help: "cpu-backend compute threads (0 = the machine's cores; 1 = single-threaded)",
  },
  iterations: { kind: 'int', flag: 'iterations', min: 1, help: 'training iterations' },
  batchSize: { kind: 'int', flag: 'batch', min: 1, help: 'rays per iteration' },
  gridStart: { kind: 'int', flag: 'grid-start', min: 2, max: 1024, help: 'initial grid side (voxels)' },
  gridEnd: { kind: 'int', flag: 'grid-end', min: 2, max: 1024, help: 'final grid side (voxels)' },
  upsampleAt: { kind: 'ints', flag: 'upsample-at', min: 1, help: 'iterations at which the grid grows' },
  alphaMaskAt: { kind: 'ints', flag: 'alpha-mask-at', min: 1, help: 'iterations of alpha-mask updates' },
  densityComps: { kind: 'int', flag: 'density-comps', min: 1, max: 256, help: 'density components per pair' },
  appComps: { kind: 'int', flag: 'app-comps', min: 1, max: 512, help: 'appearance components per pair' },
  appDim: { kind: 'int', flag: 'app-dim', min: 1, max: 256, help: 'appearance feature size (basis output)' },
  lrFactors: { kind: 'number', flag: 'lr-factors', min: 0, help: 'Adam lr of the factor planes/lines' },
  lrNetwork: { kind: 'number', flag: 'lr-network', min: 0, help: 'Adam lr of basis matrix and decoder' },
  lrDecayRatio: { kind: 'number', flag: 'lr-decay', min: 0, max: 1, help: 'final lr / initial lr' },
  l1Initial: { kind: 'number', flag: 'l1-initial', min: 0, help: 'density L1 weight before first mask' },
  l1Rest: { kind: 'number', flag: 'l1-rest', min: 0, help: 'density L1 weight after first mask' },
  visEvery: { kind: 'int', flag: 'vis-every', min: 0, help: 'test-PSNR preview every N iterations (0 = off)' },
  visViews: { kind: 'int', flag: 'vis-views', min: 1, help: 'test views in the running test PSNR' },
  evalViews: { kind: 'int', flag: 'eval-views', min: 0, words: ALL, help: 'final evaluation views (all or 0 = all)' },
  seed: { kind: 'int', flag: 'seed', min: 0, max: MAX_SEED, help: `random seed (0 to ${MAX_SEED}, the RNG's 32-bit state)` },
  chunk: { kind: 'int', flag: 'chunk', min: 1, help: 'rays per rendering chunk' },
  checkpointEvery: {
    kind: 'int',
    flag: 'checkpoint-every',
    min: 0,
    help: 'write checkpoint.trf every N iterations (0 = only at the end or on stop)',
  },
  out: { kind: 'string', flag: 'out', help: 'run folder (default runs/<name>)' },
  name: { kind: 'string', flag: 'name', help: 'run name' },
};

const THESIS: TrainConfig = {
  preset: 'thesis',
  data: 'datasets/nerf_synthetic/lego',
  downscale: 1,
  trainViews: 0,
  decoder: 'mlp',
  decoderWidth: 0,
  sirenFlic: DEFAULT_DECODER_OPTIONS.sirenFlic,
  sirenInitc: DEFAULT_DECODER_OPTIONS.sirenInitc,
  splitnetM: DEFAULT_DECODER_OPTIONS.splitnetM,
  splitnetInit: DEFAULT_DECODER_OPTIONS.splitnetInit,
  backend: 'auto',
  threads: 0,
  iterations: 7000,
  batchSize: 4096,
  gridStart: 128,
  gridEnd: 300,
  upsampleAt: [2000, 3000, 4000, 5500, 7000],
  alphaMaskAt: [2000, 4000],
  densityComps: 16,
  appComps: 48,
  appDim: 27,
  lrFactors: 0.02,
  lrNetwork: 1e-3,
  lrDecayRatio: 0.1,
  l1Initial: 8e-5,
  l1Rest: 4e-5,
  visEvery: 1000,
  visViews: 5,
  evalViews: 0,
  seed: 20211202,
  chunk: 4096,
  checkpointEvery: 500,
  out: '',
  name: '',
};

/** Preset = complete config. Smaller presets say what they scale down in PRESET_NOTES. */
export const PRESETS: Record<PresetName, TrainConfig> = {
  thesis: THESIS,
  paper: { ...THESIS, preset: 'paper', iterations: 30000, visEvery: 5000 },
  quick: {
    ...THESIS,
    preset: 'quick',
    downscale: 8,
    batchSize: 1024,
    iterations: 1500,
    gridStart: 64,
    gridEnd: 128,
    upsampleAt: [300, 600, 900],
    alphaMaskAt: [300, 700],
    visEvery: 250,
    checkpointEvery: 250,
  },
  smoke: {
    ...THESIS,
    preset: 'smoke',
    downscale: 16,
    trainViews: 50,
    batchSize: 512,
    iterations: 100,
    gridStart: 32,
    gridEnd: 48,
    upsampleAt: [40, 70],
    alphaMaskAt: [40, 70],
    visEvery: 50,
    visViews: 3,
    evalViews: 20,
    checkpointEvery: 0,
  },
};

export const PRESET_NOTES: Record<PresetName, string> = {
  thesis: 'DESIGN.md section 4 at 800x800: 7000 iterations, 128^3 -> 300^3, batch 4096',
  paper: 'TensoRF paper setting: as thesis, 30000 iterations',
  quick: 'CPU-sized: 100x100 images, batch 1024, 1500 iterations, 64^3 -> 128^3 at [300,600,900], mask at [300,700]',
  smoke:
    'under-2-minute check on a 2-core CPU: 50x50 images, 50 views, batch 512, 100 iterations, 32^3 -> 48^3, 20 test views evaluated at the end (3 more for the running test PSNR)',
};

function checkNumber(spec: OptionSpec, v: number, where: string): void {
  const label = `${where}${spec.flag}`;
  if (!Number.isFinite(v)) throw new ConfigError(`${label}: expected a number, got ${v}`);
  if (spec.kind === 'int' || spec.kind === 'ints') {
    if (!Number.isInteger(v)) throw new ConfigError(`${label}: expected an integer, got ${v}`);
  }
  if (spec.min !== undefined && v < spec.min) throw new ConfigError(`${label}: expected >= ${spec.min}, got ${v}`);
  if (spec.max !== undefined && v > spec.max) throw new ConfigError(`${label}: expected <= ${spec.max}, got ${v}`);
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A number written in decimal (`12`, `-0.5`, `2e-3`), or NaN: JavaScript's other forms (`0x10`,
 * `0b1`, `0o7`, `Infinity`, an empty string) are not numbers on a command line.
 */
export function parseDecimal(raw: string): number {
  const s = raw.trim();
  return DECIMAL.test(s) ? Number(s) : NaN;
}

/** Parses a string value (from a CLI flag) into the option's type. */
export function parseOptionValue(key: keyof TrainConfig, raw: string): unknown {
  const spec = OPTIONS[key];
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const word = spec.words && Object.hasOwn(spec.words, raw.trim().toLowerCase()) ? spec.words[raw.trim().toLowerCase()] : undefined;
      if (word !== undefined) return word;
      const v = parseDecimal(raw);
      const or = spec.words
        ? ` or ${Object.keys(spec.words)
            .map((w) => `'${w}'`)
            .join(', ')}`
        : '';
      if (Number.isNaN(v)) throw new ConfigError(`--${spec.flag}: expected a number in decimal${or}, got '${raw}'`);
      return v;
    }
    case 'ints':
      if (raw.trim() === '') return [];
      return raw.split(',').map((s) => {
        const v = parseDecimal(s);
        if (Number.isNaN(v)) throw new ConfigError(`--${spec.flag}: expected comma-separated integers in decimal, got '${raw}'`);
        return v;
      });
    default:
      return raw;
  }
}

/**
 * Validates `partial` (from flags, a saved config or a message) over the named preset and returns
 * the full config. Unknown keys, wrong types and out-of-range values throw one ConfigError naming
 * the option. `where` prefixes messages ('--' for flags, 'config.json: ' for files).
 */
export function resolveConfig(partial: Record<string, unknown>, where = '--'): TrainConfig {
  const presetName = partial.preset ?? 'thesis';
  if (typeof presetName !== 'string' || !(PRESET_NAMES as readonly string[]).includes(presetName)) {
    throw new ConfigError(`${where}preset: expected one of ${PRESET_NAMES.join(', ')}, got '${String(presetName)}'`);
  }
  const out: TrainConfig = structuredClone(PRESETS[presetName as PresetName]);
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(OPTIONS, key)) throw new ConfigError(`${where === '--' ? 'unknown option' : `${where}unknown field`} '${key}'`);
    const k = key as keyof TrainConfig;
    const spec = OPTIONS[k];
    const label = `${where}${spec.flag}`;
    switch (spec.kind) {
      case 'int':
      case 'number':
        if (typeof value !== 'number') throw new ConfigError(`${label}: expected a number, got ${JSON.stringify(value)}`);
        checkNumber(spec, value, where);
        break;
      case 'ints':
        if (!Array.isArray(value) || value.some((x) => typeof x !== 'number')) {
          throw new ConfigError(`${label}: expected a list of integers, got ${JSON.stringify(value)}`);
        }
        for (const x of value as number[]) checkNumber(spec, x, where);
        break;
      case 'enum':
        if (typeof value !== 'string' || !spec.choices!.includes(value)) {
          throw new ConfigError(`${label}: expected one of ${spec.choices!.join(', ')}, got '${String(value)}'`);
        }
        break;
      case 'string':
        if (typeof value !== 'string') throw new ConfigError(`${label}: expected a string, got ${JSON.stringify(value)}`);
        break;
    }
    (out as unknown as Record<string, unknown>)[k] = Array.isArray(value) ? [...value] : value;
  }
  Object.assign(out, scaledSchedule(PRESETS[out.preset], partial)); // a shorter run's upsampling
  for (const k of ['upsampleAt', 'alphaMaskAt'] as const) {
    const xs = out[k];
    for (let i = 1; i < xs.length; i++) {
      if (xs[i] <= xs[i - 1]) throw new ConfigError(`${where}${OPTIONS[k].flag}: expected increasing iterations, got ${xs.join(',')}`);
    }
  }
  if (out.gridEnd < out.gridStart) {
    throw new ConfigError(`${where}grid-end: expected >= grid-start (${out.gridStart}), got ${out.gridEnd}`);
  }
  return out;
}

/**
 * The one rule for a run shorter than its preset (CLI flags, the app's messages): when `partial`
 * asks for fewer iterations than the preset's and names no --upsample-at, the preset's upsample
 * iterations are scaled by iterations / the preset's iterations (rounded, kept increasing and at
 * least 1), so the shorter run still grows its grid to --grid-end instead of staying at the
 * starting grid. The alpha-mask iterations are not scaled: an update needs a trained density,
 * and moved earlier it finds no occupied cell and stops the run (measured on smoke: at 10, 20 and
 * 30 steps); scheduleNote says which of them the run does not reach.
 */
export function scaledSchedule(preset: TrainConfig, partial: Record<string, unknown>): Partial<Pick<TrainConfig, 'upsampleAt'>> {
  const n = partial.iterations;
  if (typeof n !== 'number' || !(n < preset.iterations) || partial.upsampleAt !== undefined || preset.upsampleAt.length === 0) return {};
  let last = 0;
  return { upsampleAt: preset.upsampleAt.map((at) => (last = Math.max(last + 1, Math.round((at * n) / preset.iterations)))) };
}

/**
 * The one line a front end prints for a run shorter than its preset (see scaledSchedule): the
 * scaled upsample iterations and the alpha-mask updates it does not reach; null for other runs.
 */
export function scheduleNote(partial: Record<string, unknown>, cfg: TrainConfig): string | null {
  const preset = PRESETS[cfg.preset];
  if (typeof partial.iterations !== 'number' || !(partial.iterations < preset.iterations)) return null;
  const parts: string[] = [];
  if (scaledSchedule(preset, partial).upsampleAt)
    parts.push(`upsampling scaled to --upsample-at ${cfg.upsampleAt.join(',')} (preset ${preset.upsampleAt.join(',')})`);
  const unreached = partial.alphaMaskAt === undefined ? cfg.alphaMaskAt.filter((at) => at >= cfg.iterations) : [];
  if (unreached.length > 0)
    parts.push(
      `the alpha-mask update${unreached.length > 1 ? 's' : ''} at ${unreached.join(',')} not reached (not scaled: an update needs a trained density)`,
    );
  if (parts.length === 0) return null;
  return `${cfg.iterations} of the ${cfg.preset} preset's ${preset.iterations} iterations: ${parts.join('; ')}; --upsample-at / --alpha-mask-at set them`;
}

/** Parses argv-style flags (`--flag value`, `--flag=value`) for the option keys only. */
export function flagsToPartial(flags: Record<string, string>): Record<string, unknown> {
  const byFlag = new Map<string, keyof TrainConfig>();
  for (const k of Object.keys(OPTIONS) as (keyof TrainConfig)[]) byFlag.set(OPTIONS[k].flag, k);
  const partial: Record<string, unknown> = {};
  for (const [flag, raw] of Object.entries(flags)) {
    const key = byFlag.get(flag);
    if (!key) throw new ConfigError(`unknown flag --${flag}`);
    partial[key] = parseOptionValue(key, raw);
  }
  return partial;
}

/**
 * The preset a run gets when none is named, in every front end (train:lego, compare, the app's
 * "default" entry): `quick` on the cpu backend (CPU-sized), `thesis` on a GPU backend. `why` is
 * said in the run's first line (the app: in its state line).
 */
export const DEFAULT_PRESET_RULE = 'quick on the cpu backend, thesis on a GPU backend';
export function defaultPreset(backend: string): { preset: PresetName; why: string } {
  if (backend === 'cpu') return { preset: 'quick', why: 'the default on the cpu backend; --preset thesis for the full setting' };
  return { preset: 'thesis', why: `the default on the ${backend} backend` };
}

/**
 * Resolves `partial` for a run on the started `backend` (its resolved name, after `auto` chose):
 * over the preset it names, or over defaultPreset(backend) when it names none; with the line to
 * print when the run is shorter than its preset (scheduleNote).
 */
export function resolveForBackend(
  partial: Record<string, unknown>,
  backend: string,
  where = '--',
): { cfg: TrainConfig; presetWhy: string; scheduleNote: string | null } {
  const d = partial.preset === undefined ? defaultPreset(backend) : null;
  const full = d ? { ...partial, preset: d.preset } : partial;
  const cfg = resolveConfig(full, where);
  return { cfg, presetWhy: d ? d.why : 'requested', scheduleNote: scheduleNote(full, cfg) };
}
