/** The registry of colour decoders (DESIGN.md section 5): a decoder by name. */
import * as tf from '@tensorflow/tfjs-core';
import { paramTensors } from '../params';
import type { Rng } from '../random';
import { createMlp } from './mlp';
import { createSiren } from './siren';
import { createSplitnet } from './splitnet';
import type { Decoder, DecoderFactory, DecoderOptions } from './types';

export const DECODERS: Record<string, DecoderFactory> = {
  mlp: createMlp,
  siren: createSiren,
  splitnet: createSplitnet,
};

export function createDecoder(name: string, opts: DecoderOptions, rng: Rng): Decoder {
  const factory = Object.hasOwn(DECODERS, name) ? DECODERS[name] : undefined;
  if (!factory) throw new Error(`unknown decoder '${name}' (known: ${Object.keys(DECODERS).join(', ')})`);
  return factory(opts, rng);
}

/** Convenience forward with the decoder's current parameter values (no gradients needed). */
export function decode(decoder: Decoder, features: tf.Tensor2D, dirs: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => decoder.apply(paramTensors(decoder.params), features, dirs));
}
