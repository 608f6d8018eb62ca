/**
 * The colour decoder interface (DESIGN.md section 5). A decoder maps appearance features
 * [N, inFeatures] and unit view directions [N, 3] to rgb in (0, 1) [N, 3]. Its parameters are
 * plain Float32Arrays (group 'network') that the trainer owns; `apply` takes one tensor per
 * parameter, in the order of `params`, so the trainer can differentiate w.r.t. them.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Param } from '../params';
import type { Rng } from '../random';
import type { FusedSpec } from './fused-cpu';

export interface DecoderOptions {
  /** Hidden width; 0 = the decoder's default (128 mlp/siren, 45 splitnet). */
  width: number;
  /** Number of appearance features (27). */
  inFeatures: number;
  /** SIREN first-layer init constant: first W ~ U(+-flic/fan_in). */
  sirenFlic: number;
  /** SIREN hidden init constant: hidden and last W ~ U(+-sqrt(initc/fan_in)/30). */
  sirenInitc: number;
  /** SplitNet branch-product multiplier m. */
  splitnetM: number;
  /** SplitNet init: framework default, or default followed by LSUV on a data batch (`dataInit`). */
  splitnetInit: 'default' | 'lsuv';
}

export interface Decoder {
  readonly name: 'mlp' | 'siren' | 'splitnet';
  readonly width: number;
  /** group 'network'; names like 'decoder.l1.w' (weights [in, out]) and 'decoder.l1.b'. */
  readonly params: Param[];
  /** rgb in (0,1) [N,3]; `p` holds one tensor per entry of `params`, same order. */
  apply(p: tf.Tensor[], features: tf.Tensor2D, dirs: tf.Tensor2D): tf.Tensor2D;
  /** The hidden activation etc. for the fused CPU kernel (fused-cpu.ts), which replaces `apply` on the cpu backend. */
  readonly fused?: FusedSpec;
  /** Optional data-dependent init (SplitNet LSUV): called once before training; mutates params[].data. */
  dataInit?(features: tf.Tensor2D, dirs: tf.Tensor2D): void;
}

export type DecoderFactory = (opts: DecoderOptions, rng: Rng) => Decoder;
