/**
 * The typed API a user interface calls: one method per client message, plus a subscription to
 * server messages. The Electron preload exposes exactly this object as `window.tensorf`; in the
 * browser the same object is built over a WebSocket (src/renderer/bridge.ts), so the UI code does
 * not know which one it talks to.
 */
import type { TrainConfig } from '../core/config';
import type { CameraSpec, ClientMessage, OutputKind, Quality, ServerMessage } from './messages';

export interface TensorfApi {
  start(config: Partial<TrainConfig>): void;
  pause(): void;
  resume(): void;
  stop(): void;
  evaluate(): void;
  /** `model`: a comparison entry's label (absent: the model being trained or opened). */
  render(id: number, camera: CameraSpec, output: OutputKind, quality: Quality, model?: string): void;
  /** Trains the decoder entries in turn (`decoders` as for `npm run compare -- --decoders`). */
  compare(decoders: string, config: Partial<TrainConfig>): void;
  snapTestView(id: number, view: number): void;
  openScene(path: string): void;
  openRun(path: string): void;
  /** Says whether this page shows the shader view, so gets model snapshots. */
  watchModel(on: boolean): void;
  /** Continues the run folder `path` from its checkpoint (as `train:lego --resume`). */
  resumeRun(path: string): void;
  /** The running training writes its checkpoint at the next step boundary. */
  saveCheckpoint(): void;
  /** A turntable recording around +Z from `camera`'s position; replies are `recording` messages. */
  record(id: number, camera: CameraSpec, frames: number, fps: number): void;
  /** Calls `listener` with every message from the Node side; returns the unsubscribe function. */
  onMessage(listener: (m: ServerMessage) => void): () => void;
}

/** Builds the API over a function that delivers one client message and a subscription. */
export function makeApi(send: (m: ClientMessage) => void, subscribe: (listener: (m: ServerMessage) => void) => () => void): TensorfApi {
  return {
    start: (config) => send({ type: 'start', config }),
    pause: () => send({ type: 'pause' }),
    resume: () => send({ type: 'resume' }),
    stop: () => send({ type: 'stop' }),
    evaluate: () => send({ type: 'evaluate' }),
    render: (id, camera, output, quality, model) =>
      send({ type: 'render', id, camera, output, quality, ...(model === undefined ? {} : { model }) }),
    compare: (decoders, config) => send({ type: 'compare', decoders, config }),
    snapTestView: (id, view) => send({ type: 'snapTestView', id, view }),
    openScene: (path) => send({ type: 'openScene', path }),
    openRun: (path) => send({ type: 'openRun', path }),
    watchModel: (on) => send({ type: 'watchModel', on }),
    resumeRun: (path) => send({ type: 'resumeRun', path }),
    saveCheckpoint: () => send({ type: 'saveCheckpoint' }),
    record: (id, camera, frames, fps) => send({ type: 'record', id, camera, frames, fps }),
    onMessage: subscribe,
  };
}

/** The IPC channel names the Electron main process and preload share. */
export const IPC_TO_MAIN = 'tensorf:client';
export const IPC_TO_RENDERER = 'tensorf:server';
