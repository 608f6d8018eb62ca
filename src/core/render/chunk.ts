/** What a render path takes and gives back for one chunk of rays (render-path.ts). */
import type * as tf from '@tensorflow/tfjs-core';
import type { Decoder } from '../decoders/types';
import type { VMField } from '../field/vm';
import type { ParamGroups } from '../params';

/** A chunk's render: rgb [n*3], expected depth [n] and accumulated opacity [n]. */
export interface ChunkRender {
  rgb: Float32Array;
  depth: Float32Array;
  acc: Float32Array;
}

export interface ChunkInput {
  field: VMField;
  decoder: Decoder;
  params: ParamGroups<tf.Tensor>;
  origins: Float32Array;
  dirs: Float32Array;
  count: number;
  step: number;
  nSamples: number;
}
