/**
 * The compute backends of the training process: which can start here (probed once, in the
 * background, as the process starts: backend-probe.ts, which loads no WebGPU without a GPU), and
 * each one started once (initBackend); asking for one that was started before makes it tfjs's
 * active backend again, so a run opened with one backend after a training with another renders
 * on the backend it asked for. A backend that cannot start is one short HostError, in the app's
 * words (no command-line flags, no file paths).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo } from '../core/backend';
import { type BackendAvailability, probeBackends, shortReason } from '../core/backend-probe';
import type { BackendName } from '../core/config';
import { HostError } from './views';

export class Backends {
  private readonly started = new Map<BackendName, BackendInfo>();
  private found: Promise<BackendAvailability[]> | null = null;

  constructor(private readonly probe: () => Promise<BackendAvailability[]> = probeBackends) {}

  /** Which backends can start here (probed on the first call). */
  available(): Promise<BackendAvailability[]> {
    this.found ??= this.probe().catch(() => []); // a failed probe offers everything; starting says why
    return this.found;
  }

  async use(name: BackendName): Promise<BackendInfo> {
    const known = this.started.get(name);
    if (!known) {
      const a = (await this.available()).find((b) => b.name === name);
      if (a && !a.available) throw new HostError(`backend ${name} is not available here: ${a.why}`);
      let info: BackendInfo;
      try {
        info = await initBackend(name);
      } catch (e) {
        throw new HostError(`backend ${name} could not start: ${shortReason(e).replace(/^--backend \w+:\s*/, '')}`);
      }
      this.started.set(name, info);
      return info;
    }
    if (tf.getBackend() !== known.name) await tf.setBackend(known.name);
    return known;
  }
}
