/** A run's summary.json (the numbers a run ends with), from its trainer and final evaluation. */
import type { TrainConfig } from '../config';
import type { ViewSet } from '../data/view-set';
import { type Model, paramCounts } from '../model';
import type { RunSummary } from './events';

/** What runSummary reads of a trainer. */
export interface SummarySource {
  cfg: TrainConfig;
  model: Model;
  iteration: number;
  trainSeconds: number;
  backend: { name: string };
  data: { test: ViewSet };
}

export function runSummary(t: SummarySource, scores: { testPSNR: number; testSSIM: number; evalViews: number }): RunSummary {
  const counts = paramCounts(t.model);
  return {
    decoder: t.cfg.decoder,
    decoderWidth: t.model.decoder.width,
    decoderParams: counts.decoder,
    finalTotalParams: counts.total,
    preset: t.cfg.preset,
    iterations: t.iteration,
    backend: t.backend.name,
    trainSeconds: t.trainSeconds,
    ...scores,
    imageSize: [t.data.test.width, t.data.test.height],
    finalReso: [...t.model.field.reso],
    finalBox: t.model.field.box,
    seed: t.cfg.seed,
  };
}
