/**
 * TensoRF's MLP_Fea (MLPRender_Fea): [f, d, PE(f), PE(d)] (150) -> w ReLU -> w ReLU -> 3, sigmoid.
 * PyTorch nn.Linear default init (W and b ~ U(+-1/sqrt(fan_in))), last bias 0, as in the reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random';
import { DECODER_DEFAULT_WIDTH } from './defaults';
import type { Decoder, DecoderOptions } from './types';
import { decoderInput, decoderInputDim, FEA_PE, VIEW_PE } from './encoding';
import { checkParams, defaultBound, linear, linearParams } from './layers';

export function createMlp(opts: DecoderOptions, rng: Rng): Decoder {
  const width = opts.width > 0 ? opts.width : DECODER_DEFAULT_WIDTH.mlp;
  const inDim = decoderInputDim(opts.inFeatures);
  const params = [
    ...linearParams('decoder.l1', inDim, width, rng, defaultBound(inDim), defaultBound(inDim)),
    ...linearParams('decoder.l2', width, width, rng, defaultBound(width), defaultBound(width)),
    ...linearParams('decoder.l3', width, 3, rng, defaultBound(width), 0),
  ];
  return {
    name: 'mlp',
    width,
    params,
    fused: { act: { kind: 'relu' }, fePe: FEA_PE, viewPe: VIEW_PE },
    apply(p, features, dirs) {
      checkParams('mlp', params, p);
      return tf.tidy(() => {
        const x = decoderInput(features, dirs);
        const h1 = linear(x, p[0], p[1], 'relu');
        const h2 = linear(h1, p[2], p[3], 'relu');
        return tf.sigmoid(linear(h2, p[4], p[5]));
      });
    },
  };
}
