/** The trainable model: the VM field plus a colour decoder, and its parameter bookkeeping. */
import type { Decoder } from './decoders/types';
import type { TrainConfig } from './config';
import { createDecoder } from './decoders/decoder';
import { type Box, nToReso } from './field/geometry';
import { createField, fieldParams, type VMField } from './field/vm';
import { countParams, type Param } from './params';
export { paramTensors } from './params';
import type { Rng } from './random';

export interface Model {
  field: VMField;
  decoder: Decoder;
}

export interface ParamCounts {
  decoder: number;
  basis: number;
  field: number; // factors + basis
  total: number;
}

export function createModel(cfg: TrainConfig, box: Box, rng: Rng): Model {
  const field = createField(
    { box, reso: nToReso(cfg.gridStart ** 3, box), densityComps: cfg.densityComps, appComps: cfg.appComps, appDim: cfg.appDim },
    rng,
  );
  const decoder = createDecoder(
    cfg.decoder,
    {
      width: cfg.decoderWidth,
      inFeatures: cfg.appDim,
      sirenFlic: cfg.sirenFlic,
      sirenInitc: cfg.sirenInitc,
      splitnetM: cfg.splitnetM,
      splitnetInit: cfg.splitnetInit,
    },
    rng,
  );
  return { field, decoder };
}

/** Every trainable parameter in the order renderBatch expects. */
export function modelParams(m: Model): Param[] {
  return [...fieldParams(m.field), ...m.decoder.params];
}

export function paramCounts(m: Model): ParamCounts {
  const decoder = countParams(m.decoder.params);
  const field = countParams(fieldParams(m.field));
  return { decoder, basis: m.field.basis.data.length, field, total: decoder + field };
}
