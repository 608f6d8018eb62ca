/**
 * Every error class of the library, in one module that imports nothing, so any module can throw
 * one without depending on another's folder. Front ends map the input errors (bad flags, scenes,
 * checkpoints, run folders, backends) to exit code 2 and one printed line.
 */

/** A bad option value (flag, saved config field or message field); the message names it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * A problem with a dataset on disk (missing scene, malformed transforms JSON, unreadable PNG,
 * inconsistent image sizes). The message is one line that names the file and what was wrong,
 * so front ends can print it as is: control characters that reach it (from a file name or a
 * parser's message) are written as escapes.
 */
export class DatasetError extends Error {
  override name = 'DatasetError';

  constructor(message: string) {
    super(escapeControls(message));
  }
}

/** Control characters and line separators as JSON-style escapes (\n, \t, \u0000, ...). */
export function escapeControls(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    const short: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return short[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** A checkpoint file is missing, corrupt, of an unknown version, or does not fit the run. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** A run folder cannot be used (missing, not a run folder, not empty for a new run). */
export class RunFolderError extends Error {
  override name = 'RunFolderError';
}

/** An output could not be written (full disk, I/O error, ...); the message is one line. */
export class OutputWriteError extends Error {
  override name = 'OutputWriteError';
}

/** A requested compute backend cannot start; the message names the backend and what to do. */
export class BackendError extends Error {
  override name = 'BackendError';
}

/** The training loss became Inf or NaN. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';

  constructor(readonly value: number) {
    super(`loss is ${value}`);
  }
}

/** A run cannot be saved: its parameters or optimizer moments hold Inf or NaN. */
export class NonFiniteStateError extends Error {
  override name = 'NonFiniteStateError';
}

/** A value does not have the declared shape (checks.ts); the message names the field. */
export class SchemaError extends Error {
  override name = 'SchemaError';
}
