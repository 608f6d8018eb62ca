/**
 * How a run's event stream looks on a terminal: `consoleOutput` draws progress bars (training,
 * then the final evaluation) and one line per notable event on stderr; `ndjsonOutput` prints
 * every event as one JSON line on stdout (`--json`). Both are plain subscribers of the run
 * driver's events (core/run/train-run.ts).
 */
import type { ParamCounts } from '../core/model';
import type { EventOf, TrainEvent } from '../core/train/events';
import { scheduleIteration } from '../core/train/schedule';
import { join } from 'node:path';
import { Progress } from './progress';

export type Subscriber = (e: TrainEvent) => void;

export function ndjsonOutput(out: NodeJS.WritableStream = process.stdout): Subscriber {
  return (e) => void out.write(`${JSON.stringify(e)}\n`);
}

export function consoleOutput(say: (line: string) => void, runDir: string, stream: NodeJS.WriteStream | null = process.stderr): Subscriber {
  const train = new Progress(stream);
  let evalBar: Progress | null = null;
  let lastTest: number | undefined;
  let psnrSum = 0;
  let evalStart = 0;
  const line = (l: string) => {
    if (stream) train.log(l);
    else say(l);
  };
  return (e) => {
    switch (e.type) {
      case 'started':
        return line(
          `${startParamsLine(e.params, e.config.gridStart)} (the field grows with each upsampling: summary.json's finalTotalParams counts the final grid); ${e.trainRays} rays hit the box${e.backend === 'cpu' ? `; ${e.threads} compute thread${e.threads === 1 ? '' : 's'}` : ''}`,
        );
      case 'resumed':
        return line(`resuming at iteration ${e.iteration} of ${e.total}`);
      case 'step':
        return train.update({
          iteration: e.iteration,
          total: e.total,
          loss: e.loss,
          trainPSNR: e.trainPSNR,
          itsPerSecond: e.itsPerSecond,
          etaSeconds: e.etaSeconds,
          testPSNR: lastTest,
        });
      case 'schedule':
        return line(scheduleLine(e));
      case 'eval':
        if (e.final) return evalBar?.end();
        lastTest = e.testPSNR;
        return line(`it ${e.iteration}: test PSNR ${e.testPSNR.toFixed(2)} dB (${e.views} views)`);
      case 'evaluating':
        train.end();
        evalBar = new Progress(stream, Math.max(1, Math.floor(e.views / 10)));
        evalStart = performance.now();
        psnrSum = 0;
        return say(`evaluating ${e.views} test views ...`);
      case 'view':
        psnrSum += e.psnr;
        evalBar?.update({
          kind: 'eval',
          iteration: e.done,
          total: e.total,
          loss: 0,
          trainPSNR: psnrSum / e.done,
          itsPerSecond: e.done / ((performance.now() - evalStart) / 1000),
        });
        return;
      case 'stopped':
        train.end();
        evalBar?.end();
        if (e.phase === 'evaluation')
          return say(
            `stopped during the final evaluation (training had finished at iteration ${e.iteration}); checkpoint ${e.checkpoint}; --resume ${runDir} evaluates`,
          );
        return say(`stopped at iteration ${e.iteration}; checkpoint ${e.checkpoint}`);
      case 'error':
        train.end();
        evalBar?.end();
        return say(`error: ${e.message}`);
      case 'done': {
        const s = e.summary;
        say(
          `test PSNR ${s.testPSNR.toFixed(2)} dB, SSIM ${s.testSSIM.toFixed(4)} over ${s.evalViews} views; trained ${s.trainSeconds.toFixed(1)} s; parameters on the final ${s.finalReso.join('x')} grid: total ${s.finalTotalParams}; ${runDir}`,
        );
        return say(whereToLook(runDir));
      }
      case 'checkpoint':
        return;
    }
  };
}

/**
 * A schedule change as the flags name it: `upsample at iteration 40 (--upsample-at), after step 41: ...`.
 * The event's iteration counts the steps done; the schedule's iterations (--upsample-at,
 * --alpha-mask-at) are the 0-based step after which the change runs (schedule.ts), one less.
 */
export function scheduleLine(e: EventOf<'schedule'>): string {
  if (e.action === 'decoder-init') return `decoder init: ${e.detail}`;
  const flag = e.action === 'upsample' ? ' (--upsample-at)' : e.action === 'alpha-mask' ? ' (--alpha-mask-at)' : '';
  return `${e.action} at iteration ${scheduleIteration(e.iteration)}${flag}, after step ${e.iteration}: ${e.detail}`;
}

/** The last line of a finished run: where its renders are and how to look at it in the app. */
export function whereToLook(runDir: string): string {
  return `renders in ${join(runDir, 'renders')} (test_NNN_<psnr>dB.png: render | ground truth | error map; index.json: per-view PSNR and SSIM); in the app (npm run serve, or npm start): Open run ${runDir}`;
}

/** The parameter counts of a model on its starting grid (the `started` event, --dry-run). */
export function startParamsLine(p: ParamCounts, gridStart: number): string {
  return `parameters on the starting ${gridStart}^3 grid: decoder ${p.decoder}, basis ${p.basis}, field ${p.field}, total ${p.total}`;
}
