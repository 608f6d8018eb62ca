/**
 * SIREN decoder: sin(30 (W x + b)) 150 -> w, sin(30 (W x + b)) w -> w, linear w -> 3, sigmoid.
 * Init: first W ~ U(+-flic/fan_in); hidden and last W ~ U(+-sqrt(initc/fan_in)/30);
 * all biases framework default U(+-1/sqrt(fan_in)). flic = 1, initc = 6 reproduce Sitzmann et al.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random';
import { DECODER_DEFAULT_WIDTH } from './defaults';
import type { Decoder, DecoderOptions } from './types';
import { decoderInput, decoderInputDim, FEA_PE, VIEW_PE } from './encoding';
import { checkParams, defaultBound, linear, linearParams } from './layers';

export const SIREN_OMEGA = 30;

export function createSiren(opts: DecoderOptions, rng: Rng): Decoder {
  const width = opts.width > 0 ? opts.width : DECODER_DEFAULT_WIDTH.siren;
  const inDim = decoderInputDim(opts.inFeatures);
  const hiddenBound = Math.sqrt(opts.sirenInitc / width) / SIREN_OMEGA;
  const params = [
    ...linearParams('decoder.l1', inDim, width, rng, opts.sirenFlic / inDim, defaultBound(inDim)),
    ...linearParams('decoder.l2', width, width, rng, hiddenBound, defaultBound(width)),
    ...linearParams('decoder.l3', width, 3, rng, hiddenBound, defaultBound(width)),
  ];
  return {
    name: 'siren',
    width,
    params,
    fused: { act: { kind: 'sine', omega: SIREN_OMEGA }, fePe: FEA_PE, viewPe: VIEW_PE },
    apply(p, features, dirs) {
      checkParams('siren', params, p);
      return tf.tidy(() => {
        const x = decoderInput(features, dirs);
        const h1 = tf.sin(tf.mul(linear(x, p[0], p[1]), SIREN_OMEGA)) as tf.Tensor2D;
        const h2 = tf.sin(tf.mul(linear(h1, p[2], p[3]), SIREN_OMEGA)) as tf.Tensor2D;
        return tf.sigmoid(linear(h2, p[4], p[5]));
      });
    },
  };
}
