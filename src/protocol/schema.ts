/**
 * Validation of protocol messages, both directions. `parseClientMessage` is what the Node side
 * runs on every incoming message (from a WebSocket or the Electron preload): anything that is not
 * exactly a known message throws one ProtocolError naming the field and what was expected.
 * Training options go through the config schema's `resolveConfig`, so the app accepts exactly
 * what the CLI accepts.
 */
import { resolveConfig, type TrainConfig } from '../core/config';
import { parseDecoderSpecs } from '../core/compare/decoder-spec';
import {
  type ClientMessage,
  COMPARE_STATUSES,
  MAX_FRAME_SIDE,
  OUTPUT_KINDS,
  QUALITIES,
  type ServerMessage,
  SESSION_STATES,
} from './messages';

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** Largest accepted message, in characters of JSON (a start message is well under 4 KB). */
export const MAX_MESSAGE_CHARS = 64 * 1024;

type Check = (v: unknown, at: string) => void;

function fail(at: string, expected: string, v: unknown): never {
  let got: string;
  try {
    got = JSON.stringify(v) ?? String(v);
  } catch {
    got = String(v);
  }
  if (got.length > 60) got = got.slice(0, 57) + '...';
  throw new ProtocolError(`${at}: expected ${expected}, got ${got}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const num = (min = -Infinity, max = Infinity, int = false): Check => (v, at) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, 'a finite number', v);
  if (int && !Number.isInteger(v)) fail(at, 'an integer', v);
  if (v < min || v > max) fail(at, `a number in [${min}, ${max}]`, v);
};
const numOrNaN: Check = (v, at) => {
  // JSON turns NaN into null: metrics that were not computed (SSIM of a preview) arrive as null.
  if (v === null) return;
  if (typeof v !== 'number') fail(at, 'a number or null', v);
};
const str = (maxLen = 4096): Check => (v, at) => {
  if (typeof v !== 'string') fail(at, 'a string', v);
  if (v.length > maxLen) fail(at, `a string of at most ${maxLen} characters`, `${v.length} characters`);
};
const oneOf = (choices: readonly string[]): Check => (v, at) => {
  if (typeof v !== 'string' || !choices.includes(v)) fail(at, `one of ${choices.join(', ')}`, v);
};
const bool: Check = (v, at) => {
  if (typeof v !== 'boolean') fail(at, 'true or false', v);
};
const arr = (item: Check, minLen = 0, maxLen = Infinity): Check => (v, at) => {
  if (!Array.isArray(v)) fail(at, 'an array', v);
  if (v.length < minLen || v.length > maxLen) fail(at, minLen === maxLen ? `${minLen} items` : `${minLen}..${maxLen} items`, `${v.length} items`);
  v.forEach((x, i) => item(x, `${at}[${i}]`));
};
const any: Check = () => {};
const optional = (c: Check): Check & { optional: true } => Object.assign((v: unknown, at: string) => (v === undefined ? undefined : c(v, at)), { optional: true as const });

type Fields = Record<string, Check & { optional?: true }>;

/** Exactly these fields (unknown ones are errors), each checked. */
const obj = (fields: Fields): Check => (v, at) => {
  if (!isObj(v)) fail(at, 'an object', v);
  // own properties only: `in` would also find what every object inherits (constructor, toString, __proto__ ...)
  for (const k of Object.keys(v)) if (!Object.hasOwn(fields, k)) throw new ProtocolError(`${at}: unknown field '${k}'`);
  for (const [k, check] of Object.entries(fields)) {
    if (v[k] === undefined && !check.optional) throw new ProtocolError(`${at}: missing field '${k}'`);
    check(v[k], `${at}.${k}`);
  }
};

const pose = arr(num(), 16, 16);
const vec3 = arr(num(), 3, 3);
const side = num(1, MAX_FRAME_SIDE, true);
const id = num(0, Number.MAX_SAFE_INTEGER, true);
const camera = obj({ pose, fovY: num(1e-3, Math.PI - 1e-3), width: side, height: side });
const startConfig: Check = (v, at) => {
  if (!isObj(v)) fail(at, 'an object of training options', v);
  try {
    resolveConfig(v, `${at}.`);
  } catch (e) {
    throw new ProtocolError((e as Error).message);
  }
};

const compareDecoders: Check = (v, at) => {
  str(1000)(v, at);
  try {
    parseDecoderSpecs(v as string);
  } catch (e) {
    throw new ProtocolError(`${at}: ${(e as Error).message.replace(/^--decoders /, '')}`);
  }
};
const compareConfig: Check = (v, at) => {
  startConfig(v, at);
  for (const k of ['decoder', 'name', 'out'] as const) {
    if ((v as Record<string, unknown>)[k] !== undefined) throw new ProtocolError(`${at}.${k}: not a comparison option (the entries choose the decoders; runs go into the comparison folder)`);
  }
};
const modelLabel = optional(str(200));

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
};

const image = obj({ width: num(1, 1e5, true), height: num(1, 1e5, true), rgba: str(64 * 1024 * 1024) });
const sceneInfo = obj({
  path: str(),
  cameraAngleX: num(0, Math.PI),
  aspect: num(0),
  box: obj({ min: vec3, max: vec3 }),
  trainPoses: arr(pose),
  testPoses: arr(pose),
});
const config: Check = (v, at) => {
  if (!isObj(v)) fail(at, 'a training config', v);
};

const EVENTS: Record<string, Fields> = {
  started: { config, backend: str(), backendReason: str(), params: any, trainRays: num(0), imageSize: arr(num(0), 2, 2) },
  step: {
    iteration: num(0),
    total: num(0),
    loss: numOrNaN,
    mse: numOrNaN,
    trainPSNR: numOrNaN,
    raysPerSecond: numOrNaN,
    stepSeconds: numOrNaN,
    itsPerSecond: numOrNaN,
    elapsed: num(0),
    samples: num(0),
    decoded: num(0),
  },
  schedule: { iteration: num(0), action: oneOf(['decoder-init', 'upsample', 'alpha-mask', 'shrink', 'filter-rays']), detail: str() },
  eval: { iteration: num(0), testPSNR: numOrNaN, testSSIM: numOrNaN, views: num(0), final: bool },
  checkpoint: { iteration: num(0), path: str() },
  done: { summary: any },
  error: { message: str(), recoverable: bool },
};
const event: Check = (v, at) => {
  if (!isObj(v)) fail(at, 'a training event', v);
  const fields = EVENTS[v.type as string];
  if (!fields) fail(`${at}.type`, `one of ${Object.keys(EVENTS).join(', ')}`, v.type);
  obj({ type: any, ...fields })(v, at);
};

const SERVER: Record<ServerMessage['type'], Fields> = {
  hello: { version: num(1, 1e6, true), state: oneOf(SESSION_STATES), defaults: config, backends: arr(str()), presets: arr(str()), decoders: arr(str()) },
  state: { state: oneOf(SESSION_STATES), detail: str() },
  event: { event },
  scene: { scene: sceneInfo },
  history: { points: arr(obj({ iteration: num(0), trainPSNR: optional(numOrNaN), testPSNR: optional(numOrNaN) })), run: str() },
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
  testView: { id, view: num(0), iteration: num(0), psnr: numOrNaN, pose, cameraAngleX: num(0, Math.PI), render: image, truth: image, error: image },
  error: { message: str(), request: optional(str()) },
  crash: { message: str() },
};

function parseWith<T>(table: Record<string, Fields>, raw: unknown, what: string): T {
  let v = raw;
  if (typeof raw === 'string') {
    if (raw.length > MAX_MESSAGE_CHARS) throw new ProtocolError(`${what}: message of ${raw.length} characters; at most ${MAX_MESSAGE_CHARS} accepted`);
    try {
      v = JSON.parse(raw);
    } catch {
      throw new ProtocolError(`${what}: not valid JSON`);
    }
  }
  if (!isObj(v)) fail(what, 'a JSON object with a "type"', v);
  const type = v.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(table, type)) {
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
