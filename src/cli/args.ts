import { ConfigError } from '../core/errors';
/** argv parsing shared by the CLIs: `--flag value`, `--flag=value`, and boolean switches. */

export interface ParsedArgs {
  flags: Record<string, string>;
  switches: Set<string>;
}

export function parseArgs(argv: string[], switchNames: readonly string[]): ParsedArgs {
  const flags: Record<string, string> = {};
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || a === '--') throw new ConfigError(`unexpected argument '${a}' (options look like --name value)`);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (switchNames.includes(name)) {
      if (eq >= 0) throw new ConfigError(`--${name} takes no value`);
      switches.add(name);
      continue;
    }
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new ConfigError(`--${name}: expected a value`);
      value = argv[++i];
    }
    if (name in flags) throw new ConfigError(`--${name} given twice`);
    flags[name] = value;
  }
  return { flags, switches };
}

/** Takes the named flags out of `flags` (CLI-only options that are not training config). */
export function takeFlags(flags: Record<string, string>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    if (n in flags) {
      out[n] = flags[n];
      delete flags[n];
    }
  }
  return out;
}
