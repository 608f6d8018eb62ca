/**
 * The messages between a user interface (the Electron renderer or the browser page) and the Node
 * side that trains (the Electron main process or `npm run serve`). Both directions are plain JSON
 * objects with a `type`; `schema.ts` validates every one of them. The training options inside
 * `start` are the one config schema of src/core/config.ts.
 */
import type { TrainConfig } from '../core/config';
import type { TrainEvent } from '../core/train/events';

export const PROTOCOL_VERSION = 1;

/** What the viewport shows: colour, expected depth, or accumulated opacity. */
export const OUTPUT_KINDS = ['rgb', 'depth', 'acc'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** Coarse frames while the camera moves, sharp ones once it stops, then (host frames, camera still, not training) full: up to the viewport's max side. */
export const QUALITIES = ['coarse', 'sharp', 'full'] as const;
export type Quality = (typeof QUALITIES)[number];

/** Least opacity for a pixel's depth to count (depth = sum w t / opacity), in host frames and the shader view alike. */
export const DEPTH_MIN_ACC = 0.05;

/** Largest side of a rendered frame, in pixels. */
export const MAX_FRAME_SIDE = 800;
/** Most frames of a recording, and most pixels over all its frames (the file comes back in one message). */
export const MAX_RECORD_FRAMES = 360;
export const MAX_RECORD_PIXELS = 24_000_000;

/** A pinhole camera: row-major 4x4 camera-to-world (OpenGL: the camera looks down its -Z). */
export interface CameraSpec {
  pose: number[]; // 16 numbers
  fovY: number; // vertical field of view, radians, in (0, pi)
  width: number; // pixels, 1..MAX_FRAME_SIDE
  height: number;
}

/** User interface -> Node side. */
export type ClientMessage =
  | { type: 'start'; config: Partial<TrainConfig> }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'evaluate' }
  | { type: 'render'; id: number; camera: CameraSpec; output: OutputKind; quality: Quality; model?: string }
  /** Trains each decoder entry in turn (same data, schedule, views, seed): `decoders` as for `npm run compare -- --decoders`. */
  | { type: 'compare'; decoders: string; config: Partial<TrainConfig> }
  | { type: 'snapTestView'; id: number; view: number }
  | { type: 'openScene'; path: string }
  | { type: 'openRun'; path: string }
  /** Whether this client shows the shader view (and so wants model snapshots; see `model`). */
  | { type: 'watchModel'; on: boolean }
  /** Continues a stopped or killed run folder from its checkpoint, as `train:lego --resume DIR`. */
  | { type: 'resumeRun'; path: string }
  /** Asks the running training to write its checkpoint at the next step boundary (a `checkpoint` event says when). */
  | { type: 'saveCheckpoint' }
  /** A turntable of `frames` frames around +Z at `camera`'s distance and height (the poses of `npm run render -- --turntable`). */
  | { type: 'record'; id: number; camera: CameraSpec; frames: number; fps: number };

export type ClientMessageType = ClientMessage['type'];

export const SESSION_STATES = [
  'idle',
  'loading',
  'training',
  'paused',
  'stopping',
  'evaluating',
  'done',
  'stopped',
  'failed',
  'viewing',
] as const;
export type SessionState = (typeof SESSION_STATES)[number];
/** The states in which nothing runs: a new training, comparison or opened run may begin. */
export const IDLE_STATES: readonly SessionState[] = ['idle', 'done', 'stopped', 'failed', 'viewing'];
export const isIdleState = (s: SessionState): boolean => IDLE_STATES.includes(s);

/** Cameras of a scene, for drawing frustums and snapping to test views. */
export interface SceneInfo {
  path: string;
  /** Horizontal field of view (camera_angle_x), radians. */
  cameraAngleX: number;
  /** Width / height of the images. */
  aspect: number;
  box: { min: [number, number, number]; max: [number, number, number] };
  trainPoses: number[][]; // each 16 numbers, row-major c2w
  testPoses: number[][];
  /** Views of the val split (absent: the scene has none, or its cameras could not be read). */
  valViews?: number;
  /** Width and height of the images, pixels (absent when the scene could not be read). */
  imageSize?: [number, number];
}

export const COMPARE_STATUSES = ['waiting', 'training', 'done', 'failed', 'stopped'] as const;
export type CompareStatus = (typeof COMPARE_STATUSES)[number];

/** One decoder entry of a comparison in the app; numbers are null until known. */
export interface CompareRow {
  /** The entry's label (its run folder's name, and the `model` of render requests). */
  label: string;
  /** The entry as written, e.g. `siren:flic=2,initc=40`. */
  entry: string;
  status: CompareStatus;
  iteration: number;
  decoderParams: number | null;
  testPSNR: number | null;
  testSSIM: number | null;
  trainSeconds: number | null;
  itsPerSecond: number | null;
}

/** One point of the curves a run draws: train PSNR per step, test PSNR per evaluation. */
export type { HistoryPoint } from '../core/io/run-folder';
import type { HistoryPoint } from '../core/io/run-folder';

/** A backend and whether it can start here; `why`: a short reason when not (or a note, such as a software adapter). */
export type { BackendAvailability as BackendChoice } from '../core/backend-probe';
import type { BackendAvailability as BackendChoice } from '../core/backend-probe';

/** The model of an opened run folder, as the status panel shows it. */
export interface OpenedModel {
  iteration: number;
  total: number;
  backend: string;
}

/** An image as RGBA bytes, base64-encoded, row-major from the top row. */
export interface ImageData64 {
  width: number;
  height: number;
  rgba: string;
}

/** Node side -> user interface. */
export type ServerMessage =
  | {
      type: 'hello';
      version: number;
      state: SessionState;
      /** What the form starts with: the options of the last start or comparison sent, else the app's defaults. */
      defaults: Partial<TrainConfig>;
      /** The decoder entries of the last comparison sent (absent: none yet). */
      compareDecoders?: string;
      backends: string[];
      presets: string[];
      decoders: string[];
    }
  | { type: 'state'; state: SessionState; detail: string }
  /** A run's event; `entry`: the comparison entry whose training sent it (absent: a single training). */
  | { type: 'event'; event: TrainEvent; entry?: string }
  | { type: 'scene'; scene: SceneInfo }
  /**
   * A run's curves: on connecting (the training's so far; `entry`: a comparison entry's, one
   * message per entry), and when a run is opened, with `opened`: the opened checkpoint's
   * iteration, the run's iterations and the backend it renders on.
   */
  | { type: 'history'; points: HistoryPoint[]; run: string; entry?: string; opened?: OpenedModel }
  | {
      type: 'frame';
      id: number;
      output: OutputKind;
      quality: Quality;
      iteration: number;
      seconds: number;
      image: ImageData64;
      model?: string;
    }
  /** The comparison's table, sent whenever a row changes; `dir` is the comparison folder. */
  | { type: 'compare'; dir: string; rows: CompareRow[] }
  | {
      type: 'testView';
      id: number;
      view: number;
      iteration: number;
      psnr: number;
      pose: number[];
      cameraAngleX: number;
      render: ImageData64;
      truth: ImageData64;
      error: ImageData64;
    }
  /** Which backends can start in the training process (found once, after it starts): the form offers only those. */
  | { type: 'backends'; backends: BackendChoice[] }
  /**
   * The model as a snapshot (core/snapshot: planes, lines, basis, decoder, mask, render constants;
   * its header says the iteration) for a client that watches it: latest-value, sent when a run is
   * opened, pauses or ends, and every few seconds while it trains. A binary WebSocket frame in
   * browser mode; a buffer over Electron's IPC.
   */
  | { type: 'model'; snapshot: Uint8Array }
  | { type: 'error'; message: string; request?: string }
  | { type: 'crash'; message: string }
  /**
   * A recording's progress (`done` of `total` frames); the last one (done = total) carries the
   * animated PNG, base64, and the iterations its frames were rendered at.
   */
  | {
      type: 'recording';
      id: number;
      done: number;
      total: number;
      width: number;
      height: number;
      fps: number;
      apng?: string;
      iterations?: [number, number];
    };

export type ServerMessageType = ServerMessage['type'];
