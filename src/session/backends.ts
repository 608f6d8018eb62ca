/**
 * The compute backends of the training process: each is started once (initBackend), and asking
 * for one that was started before makes it tfjs's active backend again, so a run opened with one
 * backend after a training with another renders on the backend it asked for.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo } from '../core/backend';
import type { BackendName } from '../core/config';

export class Backends {
  private readonly started = new Map<BackendName, BackendInfo>();

  async use(name: BackendName): Promise<BackendInfo> {
    const known = this.started.get(name);
    if (!known) {
      const info = await initBackend(name);
      this.started.set(name, info);
      return info;
    }
    if (tf.getBackend() !== known.name) await tf.setBackend(known.name);
    return known;
  }
}
