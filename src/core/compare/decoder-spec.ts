/**
 * `--decoders` entries for the decoder comparison: `mlp`, `mlp:width=119`, `siren:flic=2,initc=40`,
 * `splitnet:m=10,init=lsuv`, separated by commas (`mlp,siren:flic=2,initc=40,splitnet`): a
 * comma-separated token with `=` and no `:` is one more option of the entry before it. Each option
 * maps to one config key and every value is validated by `resolveConfig`, so an entry accepts what
 * the matching training flag accepts.
 */
import { ConfigError } from '../errors';
import { DECODER_NAMES, OPTIONS, parseOptionValue, resolveConfig, type DecoderName, type TrainConfig } from '../config';

/** Entry option name -> config key, per decoder. */
export const DECODER_OPTIONS: Record<DecoderName, Record<string, keyof TrainConfig>> = {
  mlp: { width: 'decoderWidth' },
  siren: { width: 'decoderWidth', flic: 'sirenFlic', initc: 'sirenInitc' },
  splitnet: { width: 'decoderWidth', m: 'splitnetM', init: 'splitnetInit' },
};

/** The config keys an entry may set; every other key is shared by all entries. */
export const DECODER_KEYS: readonly (keyof TrainConfig)[] = [
  'decoder',
  'decoderWidth',
  'sirenFlic',
  'sirenInitc',
  'splitnetM',
  'splitnetInit',
];

export interface DecoderSpec {
  /** The entry as written, e.g. `siren:flic=2,initc=40`. */
  entry: string;
  /** Folder-safe label: `mlp`, `mlp-width=119`, `siren-flic=2-initc=40`. */
  label: string;
  decoder: DecoderName;
  /** Options as written (name -> raw value), in the entry's order. */
  options: Record<string, string>;
  /** The config fields this entry sets (decoder plus mapped options). */
  overrides: Partial<TrainConfig>;
}

function knownOptions(): string {
  return DECODER_NAMES.map((d) => `${d}: ${Object.keys(DECODER_OPTIONS[d]).join(', ')}`).join('; ');
}

/** Splits the `--decoders` value into entries (see the module comment). */
export function splitDecoderEntries(raw: string): string[] {
  const entries: string[] = [];
  for (const tok of raw.split(',').map((t) => t.trim())) {
    if (tok === '') throw new ConfigError(`--decoders: empty entry in '${raw}'`);
    if (tok.includes('=') && !tok.includes(':')) {
      if (entries.length === 0)
        throw new ConfigError(`--decoders entry '${tok}': expected a decoder name first (${DECODER_NAMES.join(', ')})`);
      entries[entries.length - 1] += `,${tok}`;
    } else entries.push(tok);
  }
  return entries;
}

/** Parses one entry; `base` (the shared config flags) is used to validate the values in context. */
export function parseDecoderEntry(entry: string, base: Record<string, unknown> = {}): DecoderSpec {
  const colon = entry.indexOf(':');
  const name = (colon >= 0 ? entry.slice(0, colon) : entry).trim();
  const fail = (why: string): never => {
    throw new ConfigError(`--decoders entry '${entry}': ${why}; known: ${knownOptions()}`);
  };
  if (!(DECODER_NAMES as readonly string[]).includes(name)) fail(`unknown decoder '${name}'`);
  const decoder = name as DecoderName;
  const options: Record<string, string> = {};
  const overrides: Record<string, unknown> = { decoder };
  if (colon >= 0) {
    const rest = entry.slice(colon + 1);
    if (rest.trim() === '') fail('expected options after ":" (name=value)');
    for (const part of rest.split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) fail(`expected name=value, got '${part}'`);
      const opt = part.slice(0, eq).trim();
      const value = part.slice(eq + 1).trim();
      const key = DECODER_OPTIONS[decoder][opt];
      if (!key) fail(`unknown option '${opt}' for ${decoder}`);
      if (opt in options) fail(`option '${opt}' given twice`);
      options[opt] = value;
      try {
        overrides[key] = parseOptionValue(key, value);
      } catch (e) {
        fail(`${opt}=${value}: ${(e as Error).message.replace(/^--[\w-]+: /, '')}`);
      }
    }
  }
  try {
    resolveConfig({ ...base, ...overrides });
  } catch (e) {
    const msg = (e as Error).message;
    const optOf = Object.entries(DECODER_OPTIONS[decoder]).find(([, k]) => msg.startsWith(`--${OPTIONS[k].flag}:`));
    fail(optOf ? `${optOf[0]}: ${msg.replace(/^--[\w-]+: /, '')}` : msg);
  }
  const label = [decoder, ...Object.entries(options).map(([k, v]) => `${k}=${v}`)].join('-').replace(/[^A-Za-z0-9=._+-]/g, '_');
  return { entry, label, decoder, options, overrides: overrides as Partial<TrainConfig> };
}

/** Parses the whole `--decoders` value; duplicate labels are an error. */
export function parseDecoderSpecs(raw: string, base: Record<string, unknown> = {}): DecoderSpec[] {
  const specs = splitDecoderEntries(raw).map((e) => parseDecoderEntry(e, base));
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.label)) throw new ConfigError(`--decoders entry '${s.entry}': given twice`);
    seen.add(s.label);
  }
  return specs;
}

/** Run folder label for an entry and seed: `mlp`, or `mlp-s20211203` when several seeds run. */
export function runLabel(spec: { label: string }, seed: number, multiSeed: boolean): string {
  return multiSeed ? `${spec.label}-s${seed}` : spec.label;
}

/** The per-run config: the shared config with the entry's decoder fields (others reset to the base). */
export function entryConfig(base: TrainConfig, spec: DecoderSpec, seed: number): TrainConfig {
  return { ...structuredClone(base), ...spec.overrides, seed };
}
