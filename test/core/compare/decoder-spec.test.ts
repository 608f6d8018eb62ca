import { ConfigError } from '../../../src/core/errors';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/core/config';
import { entryConfig, parseDecoderEntry, parseDecoderSpecs, runLabel, splitDecoderEntries } from '../../../src/core/compare/decoder-spec';

describe('--decoders parser', () => {
  it('splits entries, keeping option lists with their decoder', () => {
    expect(splitDecoderEntries('mlp,siren:flic=2,initc=40,splitnet:m=10,init=lsuv,mlp:width=119')).toEqual([
      'mlp',
      'siren:flic=2,initc=40',
      'splitnet:m=10,init=lsuv',
      'mlp:width=119',
    ]);
  });

  it('maps options to config keys and labels entries', () => {
    const specs = parseDecoderSpecs('mlp,mlp:width=119,splitnet:width=42,siren:flic=2,initc=40,splitnet:m=10,init=lsuv');
    expect(specs.map((s) => s.label)).toEqual([
      'mlp',
      'mlp-width=119',
      'splitnet-width=42',
      'siren-flic=2-initc=40',
      'splitnet-m=10-init=lsuv',
    ]);
    expect(specs[0].overrides).toEqual({ decoder: 'mlp' });
    expect(specs[1].overrides).toEqual({ decoder: 'mlp', decoderWidth: 119 });
    expect(specs[2].overrides).toEqual({ decoder: 'splitnet', decoderWidth: 42 });
    expect(specs[3].overrides).toEqual({ decoder: 'siren', sirenFlic: 2, sirenInitc: 40 });
    expect(specs[4].overrides).toEqual({ decoder: 'splitnet', splitnetM: 10, splitnetInit: 'lsuv' });
    expect(specs[3].options).toEqual({ flic: '2', initc: '40' });
  });

  it('entry configs differ from the base only in decoder fields and seed', () => {
    const base = resolveConfig({ preset: 'smoke', decoderWidth: 0 });
    const [s] = parseDecoderSpecs('splitnet:width=42,init=lsuv');
    const cfg = entryConfig(base, s, base.seed + 1);
    expect(cfg).toEqual({ ...base, decoder: 'splitnet', decoderWidth: 42, splitnetInit: 'lsuv', seed: base.seed + 1 });
    expect(runLabel(s, 7, true)).toBe('splitnet-width=42-init=lsuv-s7');
    expect(runLabel(s, 7, false)).toBe('splitnet-width=42-init=lsuv');
  });

  const bad: [string, RegExp][] = [
    ['mlp,transformer', /entry 'transformer': unknown decoder 'transformer'/],
    ['mlp:depth=3', /entry 'mlp:depth=3': unknown option 'depth' for mlp/],
    ['mlp:flic=2', /entry 'mlp:flic=2': unknown option 'flic' for mlp/],
    ['mlp:width=abc', /entry 'mlp:width=abc': width=abc: expected a number/],
    ['mlp:width=-3', /entry 'mlp:width=-3': width: expected >= 0, got -3/],
    ['mlp:width=1.5', /entry 'mlp:width=1.5': width: expected an integer/],
    ['splitnet:init=xavier', /entry 'splitnet:init=xavier': init: expected one of default, lsuv, got 'xavier'/],
    ['siren:flic', /entry 'siren:flic': expected name=value/],
    ['siren:', /entry 'siren:': expected options/],
    ['mlp:width=2,width=3', /option 'width' given twice/],
    ['mlp,mlp', /entry 'mlp': given twice/],
    ['width=3', /entry 'width=3': expected a decoder name first/],
    ['mlp,,siren', /empty entry/],
  ];
  for (const [raw, re] of bad) {
    it(`rejects ${raw}`, () => {
      let err: unknown;
      try {
        parseDecoderSpecs(raw);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toMatch(re);
      expect(msg.includes('\n')).toBe(false);
    });
  }

  it('lists the known options in errors about decoders and options', () => {
    expect(() => parseDecoderEntry('siren:m=2')).toThrow(/known: mlp: width; siren: width, flic, initc; splitnet: width, m, init/);
    expect(() => parseDecoderEntry('foo')).toThrow(/known: mlp: width; siren/);
  });
});
