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
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    const short: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return short[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
