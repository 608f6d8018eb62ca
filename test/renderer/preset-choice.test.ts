/**
 * The training form's preset choices (src/renderer/preset-choice.ts): the app used to start at
 * smoke while train:lego starts at the backend's preset (quick on cpu); now the form's first choice,
 * "default", names no preset, and the session's defaults name none either, so the training process
 * picks by the same rule as the CLI (config.defaultPreset).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRESET_RULE, PRESET_NAMES, resolveForBackend } from '../../src/core/config';
import { BACKEND_DEFAULT, PRESET_LABELS, presetChoices } from '../../src/renderer/preset-choice';
import { DEFAULT_UI_CONFIG } from '../../src/session/session';

describe('preset choices', () => {
  it('"default" first, labelled with the rule, then the presets', () => {
    expect(presetChoices(PRESET_NAMES)).toEqual([BACKEND_DEFAULT, ...PRESET_NAMES]);
    expect(presetChoices([BACKEND_DEFAULT, 'smoke'])).toEqual([BACKEND_DEFAULT, 'smoke']);
    expect(PRESET_LABELS[BACKEND_DEFAULT]).toBe(`default (${DEFAULT_PRESET_RULE})`);
  });

  it("the app's defaults name no preset: a start with them gets the CLI's preset for the backend", () => {
    expect(DEFAULT_UI_CONFIG.preset).toBeUndefined();
    expect(DEFAULT_UI_CONFIG.iterations).toBeUndefined();
    expect(resolveForBackend({ ...DEFAULT_UI_CONFIG, backend: 'cpu' }, 'cpu').cfg.preset).toBe('quick');
  });
});
