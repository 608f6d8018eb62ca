/**
 * Typed validators: each check both validates a value at run time and carries its TypeScript type,
 * so a shape is declared once and the type is derived from it (`Infer`). Used for the training
 * events (train/events.ts) and the app's protocol (src/protocol/schema.ts). A failed check throws
 * one SchemaError naming the field (`at`) and what was expected.
 */
import { SchemaError } from './errors';

export interface Check<T> {
  (v: unknown, at: string): void;
  /** Phantom: the type a value that passes has. */
  readonly __type?: T;
  readonly optional?: undefined;
}
export type OptionalCheck<T> = ((v: unknown, at: string) => void) & { readonly __type?: T | undefined; readonly optional: true };
export type AnyCheck = Check<unknown> | OptionalCheck<unknown>;
export type Fields = Record<string, AnyCheck>;
export type Infer<C> = C extends { readonly __type?: infer T } ? Exclude<T, undefined> : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** The object type described by `fields`: optional checks give optional keys. */
export type Shape<F extends Fields> = Simplify<
  { -readonly [K in keyof F as F[K] extends { optional: true } ? never : K]: Infer<F[K]> } & {
    -readonly [K in keyof F as F[K] extends { optional: true } ? K : never]?: Infer<F[K]>;
  }
>;

export function fail(at: string, expected: string, v: unknown): never {
  let got: string;
  try {
    got = JSON.stringify(v) ?? String(v);
  } catch {
    got = String(v);
  }
  if (got.length > 60) got = `${got.slice(0, 57)}...`;
  throw new SchemaError(`${at}: expected ${expected}, got ${got}`);
}

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const num =
  (min = -Infinity, max = Infinity, int = false): Check<number> =>
  (v, at) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, 'a finite number', v);
    if (int && !Number.isInteger(v)) fail(at, 'an integer', v);
    if (v < min || v > max) fail(at, `a number in [${min}, ${max}]`, v);
  };

/** A number, or null: JSON turns NaN into null (metrics that were not computed arrive so). */
export const numOrNaN: Check<number> = (v, at) => {
  if (v === null) return;
  if (typeof v !== 'number') fail(at, 'a number or null', v);
};

export const str =
  (maxLen = 4096): Check<string> =>
  (v, at) => {
    if (typeof v !== 'string') fail(at, 'a string', v);
    if (v.length > maxLen) fail(at, `a string of at most ${maxLen} characters`, `${v.length} characters`);
  };

export const oneOf =
  <const C extends readonly string[]>(choices: C): Check<C[number]> =>
  (v, at) => {
    if (typeof v !== 'string' || !choices.includes(v)) fail(at, `one of ${choices.join(', ')}`, v);
  };

export const bool: Check<boolean> = (v, at) => {
  if (typeof v !== 'boolean') fail(at, 'true or false', v);
};

export const arr =
  <T>(item: Check<T>, minLen = 0, maxLen = Infinity): Check<T[]> =>
  (v, at) => {
    if (!Array.isArray(v)) fail(at, 'an array', v);
    if (v.length < minLen || v.length > maxLen)
      fail(at, minLen === maxLen ? `${minLen} items` : `${minLen}..${maxLen} items`, `${v.length} items`);
    v.forEach((x, i) => item(x, `${at}[${i}]`));
  };

/** A value of type T checked by `check` (for shapes the combinators cannot spell, e.g. tuples). */
export const typed = <T>(check: (v: unknown, at: string) => void): Check<T> => check;

/** Not checked here (validated elsewhere, or free-form), but typed. */
export const unchecked =
  <T>(): Check<T> =>
  () => {};

export const optional = <T>(c: Check<T>): OptionalCheck<T> =>
  Object.assign((v: unknown, at: string) => (v === undefined ? undefined : c(v, at)), { optional: true as const });

/** Exactly these fields, each checked; a field that is not one of them (own properties only) is an error. */
export const obj =
  <F extends Fields>(fields: F): Check<Shape<F>> =>
  (v, at) => {
    if (!isObj(v)) fail(at, 'an object', v);
    for (const k of Object.keys(v)) if (!Object.hasOwn(fields, k)) throw new SchemaError(`${at}: unknown field '${k}'`);
    for (const [k, check] of Object.entries(fields)) {
      const value = Object.hasOwn(v, k) ? v[k] : undefined;
      if (value === undefined && !check.optional) throw new SchemaError(`${at}: missing field '${k}'`);
      check(value, `${at}.${k}`);
    }
  };
