/**
 * How a run's event stream looks on a terminal: `consoleOutput` draws progress bars (training,
 * then the final evaluation) and one line per notable event on stderr; `ndjsonOutput` prints
 * every event as one JSON line on stdout (`--json`). Both are plain subscribers of the run
 * driver's events (core/run/train-run.ts).
 */
import type { TrainEvent } from '../core/train/events';
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
          `parameters: decoder ${e.params.decoder}, field ${e.params.field}, total ${e.params.total}; ${e.trainRays} rays hit the box${e.backend === 'cpu' ? `; ${e.threads} compute thread${e.threads === 1 ? '' : 's'}` : ''}`,
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
          testPSNR: lastTest,
        });
      case 'schedule':
        return line(`after it ${e.iteration}: ${e.action} ${e.detail}`);
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
        return say(
          `test PSNR ${s.testPSNR.toFixed(2)} dB, SSIM ${s.testSSIM.toFixed(4)} over ${s.evalViews} views; trained ${s.trainSeconds.toFixed(1)} s; ${runDir}`,
        );
      }
      case 'checkpoint':
        return;
    }
  };
}
