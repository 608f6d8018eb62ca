/** `npm run serve` flags: a token on every bind (127.0.0.1 included) unless --no-token. */
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseServeArgs } from '../../src/cli/serve-options';

describe('parseServeArgs', () => {
  it('makes a new token on every bind, the default loopback one included', () => {
    const a = parseServeArgs([]);
    expect(a.host).toBe('127.0.0.1');
    expect(a.port).toBe(8765);
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(parseServeArgs([]).token).not.toBe(a.token);
    for (const host of ['localhost', '::1', '0.0.0.0', '10.1.2.3'])
      expect(parseServeArgs(['--host', host]).token).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });

  it('--no-token leaves it out', () => {
    expect(parseServeArgs(['--no-token']).token).toBeNull();
    expect(parseServeArgs(['--host', '0.0.0.0', '--no-token']).token).toBeNull();
    expect(() => parseServeArgs(['--no-token=1'])).toThrow(/--no-token takes no value/);
  });

  it('allows the working folder and the --allow folders; checks the flags', () => {
    expect(parseServeArgs(['--allow', tmpdir()], '/').allowed).toEqual(['/', tmpdir()]);
    expect(() => parseServeArgs(['--allow', '/no/such/folder'])).toThrow(/--allow: folder \/no\/such\/folder does not exist/);
    expect(() => parseServeArgs(['--port', '70000'])).toThrow(/--port: expected an integer/);
    expect(() => parseServeArgs(['--token', 'x'])).toThrow(/unknown flag --token/);
  });
});
