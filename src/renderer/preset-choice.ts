/**
 * The training form's preset choices: the presets, and first "default", which names no preset so
 * that the training process picks the backend's (config.defaultPreset), as `train:lego` does.
 */
import { DEFAULT_PRESET_RULE } from '../core/config';

/** The preset select's value that names no preset. */
export const BACKEND_DEFAULT = '';
export const PRESET_LABELS: Readonly<Record<string, string>> = { [BACKEND_DEFAULT]: `default (${DEFAULT_PRESET_RULE})` };

export function presetChoices(names: readonly string[]): string[] {
  return [BACKEND_DEFAULT, ...names.filter((n) => n !== BACKEND_DEFAULT)];
}
