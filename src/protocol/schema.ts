/**
 * Validation of protocol messages, both directions. `parseClientMessage` is what the Node side
 * runs on every incoming message (from a WebSocket or the Electron preload): anything that is not
 * exactly a known message throws one ProtocolError naming the field and what was expected.
 * Training options go through the config schema's `resolveConfig`, so the app accepts exactly
 * what the CLI accepts.
 */
import { arr, bool, type Check, fail, type Fields, isObj, num, numOrNaN, obj, oneOf, optional, str, unchecked } from '../core/checks';
import { parseDecoderSpecs } from '../core/compare/decoder-spec';
import { BACKEND_NAMES, resolveConfig, type TrainConfig } from '../core/config';
import { SchemaError } from '../core/errors';
import { decodeSnapshot } from '../core/snapshot/snapshot-codec';
import { EVENT_FIELDS, TRAIN_EVENT_TYPES, type TrainEvent, type TrainEventType } from '../core/train/events';
import {
  type ClientMessage,
  COMPARE_STATUSES,
  MAX_FRAME_SIDE,
  MAX_RECORD_FRAMES,
  OUTPUT_KINDS,
  QUALITIES,
  type ServerMessage,
  SESSION_STATES,
} from './messages';

/** A message that is not exactly a known message; the message names the field and what was expected. */
export { SchemaError as ProtocolError };

/** Largest accepted message, in characters of JSON (a start message is well under 4 KB). */
export const MAX_MESSAGE_CHARS = 64 * 1024;

const any = unchecked<unknown>();

const pose = arr(num(), 16, 16);
const vec3 = arr(num(), 3, 3);
const side = num(1, MAX_FRAME_SIDE, true);
const id = num(0, Number.MAX_SAFE_INTEGER, true);
const camera = obj({ pose, fovY: num(1e-3, Math.PI - 1e-3), width: side, height: side });
const startConfig: Check<Partial<TrainConfig>> = (v, at) => {
  if (!isObj(v)) fail(at, 'an object of training options', v);
  try {
    resolveConfig(v, `${at}.`);
  } catch (e) {
    throw new SchemaError((e as Error).message);
  }
};

const compareDecoders: Check<string> = (v, at) => {
  str(1000)(v, at);
  try {
    parseDecoderSpecs(v as string);
  } catch (e) {
    throw new SchemaError(`${at}: ${(e as Error).message.replace(/^--decoders /, '')}`);
  }
};
const compareConfig: Check<Partial<TrainConfig>> = (v, at) => {
  startConfig(v, at);
  for (const k of ['decoder', 'name', 'out'] as const) {
    if ((v as Record<string, unknown>)[k] !== undefined)
      throw new SchemaError(`${at}.${k}: not a comparison option (the entries choose the decoders; runs go into the comparison folder)`);
  }
};
const modelLabel = optional(str(200));
/** A model snapshot's bytes: decodable, every array of the size its shapes imply (snapshot-codec.ts). */
const snapshotBytes: Check<Uint8Array> = (v, at) => {
  if (!(v instanceof Uint8Array)) fail(at, 'the bytes of a model snapshot', typeof v);
  try {
    decodeSnapshot(v);
  } catch (e) {
    throw new SchemaError(`${at}: ${(e as Error).message}`);
  }
};

const CLIENT: Record<ClientMessage['type'], Fields> = {
  start: { config: startConfig },
  pause: {},
  resume: {},
  stop: {},
  evaluate: {},
  render: { id, camera, output: oneOf(OUTPUT_KINDS), quality: oneOf(QUALITIES), model: modelLabel },
  compare: { decoders: compareDecoders, config: compareConfig },
  snapTestView: { id, view: num(0, 100000, true) },
  openScene: { path: str() },
  openRun: { path: str() },
  watchModel: { on: bool },
  resumeRun: { path: str() },
  saveCheckpoint: {},
  record: { id, camera, frames: num(1, MAX_RECORD_FRAMES, true), fps: num(1, 120, true) },
};

const image = obj({ width: num(1, 1e5, true), height: num(1, 1e5, true), rgba: str(64 * 1024 * 1024) });
const sceneInfo = obj({
  path: str(),
  cameraAngleX: num(0, Math.PI),
  aspect: num(0),
  box: obj({ min: vec3, max: vec3 }),
  trainPoses: arr(pose),
  testPoses: arr(pose),
  valViews: optional(num(0, 1e6, true)),
  imageSize: optional(arr(num(1, 1e6, true), 2, 2)),
});
const config: Check<Partial<TrainConfig>> = (v, at) => {
  if (!isObj(v)) fail(at, 'a training config', v);
};

/** A training event: its fields as declared once in core/train/events.ts. */
const event: Check<TrainEvent> = (v, at) => {
  if (!isObj(v)) fail(at, 'a training event', v);
  const type = v.type;
  if (typeof type !== 'string' || !Object.hasOwn(EVENT_FIELDS, type)) fail(`${at}.type`, `one of ${TRAIN_EVENT_TYPES.join(', ')}`, type);
  obj({ type: any, ...(EVENT_FIELDS[type as TrainEventType] as Fields) })(v, at);
};

const SERVER: Record<ServerMessage['type'], Fields> = {
  hello: {
    version: num(1, 1e6, true),
    state: oneOf(SESSION_STATES),
    defaults: config,
    compareDecoders: optional(str(1000)),
    backends: arr(str()),
    presets: arr(str()),
    decoders: arr(str()),
  },
  state: { state: oneOf(SESSION_STATES), detail: str() },
  event: { event, entry: modelLabel },
  scene: { scene: sceneInfo },
  history: {
    points: arr(
      obj({
        iteration: num(0),
        trainPSNR: optional(numOrNaN),
        loss: optional(numOrNaN),
        testPSNR: optional(numOrNaN),
        final: optional(bool),
        views: optional(num(0)),
      }),
    ),
    run: str(),
    entry: modelLabel,
    opened: optional(obj({ iteration: num(0), total: num(0), backend: str(100) })),
  },
  frame: { id, output: oneOf(OUTPUT_KINDS), quality: oneOf(QUALITIES), iteration: num(0), seconds: num(0), image, model: modelLabel },
  compare: {
    dir: str(),
    rows: arr(
      obj({
        label: str(200),
        entry: str(1000),
        status: oneOf(COMPARE_STATUSES),
        iteration: num(0),
        decoderParams: numOrNaN,
        testPSNR: numOrNaN,
        testSSIM: numOrNaN,
        trainSeconds: numOrNaN,
        itsPerSecond: numOrNaN,
      }),
      0,
      100,
    ),
  },
  testView: {
    id,
    view: num(0),
    iteration: num(0),
    psnr: numOrNaN,
    pose,
    cameraAngleX: num(0, Math.PI),
    render: image,
    truth: image,
    error: image,
  },
  backends: { backends: arr(obj({ name: oneOf(BACKEND_NAMES), available: bool, why: str(300) }), 0, 16) },
  model: { snapshot: snapshotBytes },
  error: { message: str(), request: optional(str()) },
  crash: { message: str() },
  recording: {
    id,
    done: num(0, MAX_RECORD_FRAMES, true),
    total: num(1, MAX_RECORD_FRAMES, true),
    width: side,
    height: side,
    fps: num(1, 120, true),
    apng: optional(str(256 * 1024 * 1024)),
    iterations: optional(arr(num(0), 2, 2)),
  },
};

function parseWith<T>(table: Record<string, Fields>, raw: unknown, what: string): T {
  let v = raw;
  if (typeof raw === 'string') {
    if (raw.length > MAX_MESSAGE_CHARS)
      throw new SchemaError(`${what}: message of ${raw.length} characters; at most ${MAX_MESSAGE_CHARS} accepted`);
    try {
      v = JSON.parse(raw);
    } catch {
      throw new SchemaError(`${what}: not valid JSON`);
    }
  }
  if (!isObj(v)) fail(what, 'a JSON object with a "type"', v);
  const type = v.type;
  if (typeof type !== 'string' || !Object.hasOwn(table, type)) {
    fail(`${what}.type`, `one of ${Object.keys(table).join(', ')}`, type);
  }
  obj({ type: any, ...table[type] })(v, typeof type === 'string' ? type : what);
  return v as T;
}

/** Validates a message from a user interface (a JSON string or an already-parsed value). */
export function parseClientMessage(raw: unknown): ClientMessage {
  return parseWith<ClientMessage>(CLIENT, raw, 'message');
}

/** Validates a message from the Node side (the renderer checks what it receives too). */
export function parseServerMessage(raw: unknown): ServerMessage {
  return parseWith<ServerMessage>(SERVER, raw, 'message');
}

/** The resolved training config of a validated `start` message. */
export function startConfigOf(m: Extract<ClientMessage, { type: 'start' }>): TrainConfig {
  return resolveConfig(m.config as Record<string, unknown>, 'start.config.');
}

export const CLIENT_MESSAGE_TYPES = Object.keys(CLIENT) as ClientMessage['type'][];
export const SERVER_MESSAGE_TYPES = Object.keys(SERVER) as ServerMessage['type'][];
