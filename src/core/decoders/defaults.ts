/**
 * Every decoder default in one place: hidden widths (the thesis's Table 6.2 sizes), the SIREN
 * init constants, SplitNet's branch multiplier and init. The presets (config.ts) and the decoders
 * read them from here.
 */
import type { DecoderOptions } from './types';

export const DECODER_DEFAULT_WIDTH = { mlp: 128, siren: 128, splitnet: 45 } as const;

export const DEFAULT_DECODER_OPTIONS: DecoderOptions = {
  width: 0,
  inFeatures: 27,
  /** SIREN first-layer and hidden init constants (flic, initc). */
  sirenFlic: 1,
  sirenInitc: 6,
  /** SplitNet branch-product multiplier m, and its init. */
  splitnetM: 10,
  splitnetInit: 'default',
};
