/**
 * The training form checked in the page as the Node side checks a `start` (the one config schema,
 * src/core/config.ts), so a bad value is reported before anything is sent, and the report goes
 * away once the value is right (DOM-free).
 */
import { resolveConfig, type TrainConfig } from '../core/config';

/** The prefix the Node side puts on a start message's config errors. */
const SERVER_PREFIX = /^(start|compare)\.config\./;

/** Why the form's options cannot start a training (the schema's line, e.g. `decoder-width: expected >= 0, got -1`), or null. */
export function configProblem(config: Partial<TrainConfig>): string | null {
  try {
    resolveConfig(config as Record<string, unknown>, '');
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/** Whether an error reply is about the form's options (the schema's check of a start or compare config). */
export function isConfigError(message: string): boolean {
  return SERVER_PREFIX.test(message);
}
