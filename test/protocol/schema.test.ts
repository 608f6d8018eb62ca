/**
 * The protocol schema: one valid sample of every message type (both directions) round-trips
 * through JSON and the validator unchanged; malformed messages are rejected with a ProtocolError
 * naming the field; random corruptions of valid messages never raise anything else.
 */
import { describe, expect, it } from 'vitest';
import type { ClientMessage, ServerMessage } from '../../src/protocol/messages';
import {
  CLIENT_MESSAGE_TYPES,
  MAX_MESSAGE_CHARS,
  parseClientMessage,
  parseServerMessage,
  ProtocolError,
  SERVER_MESSAGE_TYPES,
  startConfigOf,
} from '../../src/protocol/schema';
import { flagsToPartial, PRESETS, resolveConfig } from '../../src/core/config';
import { Rng } from '../../src/core/random';

import { encodeSnapshot } from '../../src/core/snapshot/snapshot-codec';
import { snapshotOf } from '../../src/core/snapshot/snapshot-of';
import { randomModel } from '../core/snapshot/random-model';

const pose = [1, 0, 0, 0, 0, 0, -1, -4, 0, 1, 0, 0.5, 0, 0, 0, 1];
const camera = { pose, fovY: 0.7, width: 64, height: 48 };
const image = { width: 2, height: 1, rgba: Buffer.from([1, 2, 3, 255, 4, 5, 6, 255]).toString('base64') };

const CLIENT_SAMPLES: Record<ClientMessage['type'], ClientMessage> = {
  start: {
    type: 'start',
    config: { preset: 'smoke', decoder: 'splitnet', iterations: 30, data: 'datasets/nerf_synthetic/lego', backend: 'cpu', decoderWidth: 0 },
  },
  pause: { type: 'pause' },
  resume: { type: 'resume' },
  stop: { type: 'stop' },
  evaluate: { type: 'evaluate' },
  render: { type: 'render', id: 7, camera, output: 'depth', quality: 'coarse' },
  snapTestView: { type: 'snapTestView', id: 3, view: 12 },
  openScene: { type: 'openScene', path: 'datasets/nerf_synthetic/lego' },
  openRun: { type: 'openRun', path: 'runs/mlp-smoke-1' },
  watchModel: { type: 'watchModel', on: true },
  resumeRun: { type: 'resumeRun', path: 'runs/mlp-smoke-1' },
  saveCheckpoint: { type: 'saveCheckpoint' },
  record: { type: 'record', id: 4, camera, frames: 36, fps: 12 },
  compare: { type: 'compare', decoders: 'mlp,siren:flic=2,initc=40,splitnet:m=10', config: { preset: 'smoke', iterations: 50 } },
};

const summary = {
  ...{ decoder: 'mlp', decoderWidth: 128, decoderParams: 36227, finalTotalParams: 1, preset: 'smoke', iterations: 100, backend: 'cpu' },
  trainSeconds: 1,
  testPSNR: 22,
  testSSIM: 0.8,
  evalViews: 20,
  imageSize: [50, 50],
  finalReso: [48, 48, 48],
  finalBox: { min: [-1, -1, -1], max: [1, 1, 1] },
  seed: 1,
};

const snapshot = encodeSnapshot(snapshotOf(randomModel('splitnet').model, null, { iteration: 9 }));

const SERVER_SAMPLES: Record<ServerMessage['type'], ServerMessage[]> = {
  // binary: a WebSocket binary frame or a buffer over IPC, never JSON (tested below)
  model: [{ type: 'model', snapshot }],
  hello: [
    {
      type: 'hello',
      version: 1,
      state: 'idle',
      defaults: { preset: 'smoke', data: 'x' },
      backends: ['auto', 'cpu'],
      presets: ['smoke'],
      decoders: ['mlp'],
    },
  ],
  state: [{ type: 'state', state: 'paused', detail: 'paused after iteration 3' }],
  event: [
    {
      type: 'event',
      event: {
        type: 'started',
        config: PRESETS.smoke,
        backend: 'cpu',
        backendReason: 'asked',
        params: { decoder: 1, basis: 2, field: 3, total: 6 } as never,
        threads: 1,
        trainRays: 100,
        imageSize: [50, 50],
      },
    },
    {
      type: 'event',
      event: {
        type: 'step',
        iteration: 3,
        total: 100,
        loss: 0.1,
        mse: 0.09,
        trainPSNR: 10.4,
        raysPerSecond: 1000,
        stepSeconds: 0.5,
        itsPerSecond: 2,
        etaSeconds: 48.5,
        elapsed: 1.5,
        samples: 1000,
        decoded: 10,
      },
    },
    { type: 'event', event: { type: 'schedule', iteration: 40, action: 'upsample', detail: 'grid 40x40x40' } },
    { type: 'event', event: { type: 'eval', iteration: 40, testPSNR: 18, testSSIM: 0.5, views: 3, final: false }, entry: 'siren' },
    { type: 'event', event: { type: 'eval', iteration: 50, testPSNR: 18.5, testSSIM: 0.7, views: 3, final: false } },
    { type: 'event', event: { type: 'checkpoint', iteration: 100, path: 'runs/x/checkpoint.trf' } },
    { type: 'event', event: { type: 'done', summary: summary as never } },
    { type: 'event', event: { type: 'error', message: 'iteration 5: loss is NaN' } },
  ],
  scene: [
    {
      type: 'scene',
      scene: {
        path: 'lego',
        cameraAngleX: 0.69,
        aspect: 1,
        box: { min: [-1.5, -1.5, -1.5], max: [1.5, 1.5, 1.5] },
        trainPoses: [pose, pose],
        testPoses: [pose],
      },
    },
  ],
  history: [
    {
      type: 'history',
      points: [
        { iteration: 1, trainPSNR: 9 },
        { iteration: 50, testPSNR: 17 },
      ],
      run: 'runs/x',
    },
    { type: 'history', points: [{ iteration: 20, trainPSNR: 12 }], run: 'runs/y', opened: { iteration: 20, total: 30, backend: 'cpu' } },
    {
      type: 'history',
      points: [
        { iteration: 10, trainPSNR: 12, loss: 0.05 },
        { iteration: 10, testPSNR: 11, final: false, views: 3 },
      ],
      run: 'runs/c/mlp',
      entry: 'mlp',
    },
  ],
  backends: [
    {
      type: 'backends',
      backends: [
        { name: 'auto', available: true, why: '' },
        { name: 'tensorflow', available: false, why: 'TensorFlow for Node is not installed' },
      ],
    },
  ],
  frame: [
    { type: 'frame', id: 9, output: 'rgb', quality: 'sharp', iteration: 40, seconds: 0.2, image },
    { type: 'frame', id: 10, output: 'acc', quality: 'coarse', iteration: 40, seconds: 0.2, image, model: 'splitnet' },
  ],
  testView: [
    { type: 'testView', id: 2, view: 12, iteration: 40, psnr: 20.5, pose, cameraAngleX: 0.69, render: image, truth: image, error: image },
  ],
  error: [
    { type: 'error', message: 'nope', request: 'start' },
    { type: 'error', message: 'bad message' },
  ],
  crash: [{ type: 'crash', message: 'the training process ended unexpectedly (killed by SIGKILL)' }],
  recording: [
    { type: 'recording', id: 4, done: 3, total: 36, width: 64, height: 48, fps: 12 },
    { type: 'recording', id: 4, done: 36, total: 36, width: 64, height: 48, fps: 12, apng: 'iVBORw0KGgo=', iterations: [40, 52] },
  ],
  compare: [
    {
      type: 'compare',
      dir: 'runs/compare-1',
      rows: [
        {
          label: 'mlp',
          entry: 'mlp',
          status: 'done',
          iteration: 100,
          decoderParams: 36227,
          testPSNR: 22.7,
          testSSIM: 0.81,
          trainSeconds: 70,
          itsPerSecond: 1.4,
        },
        {
          label: 'siren',
          entry: 'siren',
          status: 'waiting',
          iteration: 0,
          decoderParams: null,
          testPSNR: null,
          testSSIM: null,
          trainSeconds: null,
          itsPerSecond: null,
        },
      ],
    },
  ],
};

describe('protocol round trip', () => {
  it('has a sample for every message type', () => {
    expect(Object.keys(CLIENT_SAMPLES).sort()).toEqual([...CLIENT_MESSAGE_TYPES].sort());
    expect(Object.keys(SERVER_SAMPLES).sort()).toEqual([...SERVER_MESSAGE_TYPES].sort());
  });

  it.each(Object.values(CLIENT_SAMPLES))('client $type survives JSON and validation unchanged', (m) => {
    const back = parseClientMessage(JSON.stringify(m));
    expect(back).toEqual(m);
    expect(parseClientMessage(structuredClone(m))).toEqual(m);
  });

  it.each(
    Object.values(SERVER_SAMPLES)
      .flat()
      .filter((m) => m.type !== 'model'),
  )('server $type survives JSON and validation unchanged', (m) => {
    expect(parseServerMessage(JSON.stringify(m))).toEqual(m);
  });

  it('a model snapshot survives a structured clone (IPC) and validation; broken bytes are refused with the field named', () => {
    const m = parseServerMessage(structuredClone(SERVER_SAMPLES.model[0])) as Extract<ServerMessage, { type: 'model' }>;
    expect(Array.from(m.snapshot)).toEqual(Array.from(snapshot));
    const bad = [
      [{ type: 'model', snapshot: 'AAAA' }, /model\.snapshot: expected the bytes of a model snapshot/],
      [
        { type: 'model', snapshot: snapshot.subarray(0, snapshot.length - 4) },
        /model\.snapshot: snapshot\.arrays\[\d+\]: .* runs past the end/,
      ],
      [{ type: 'model', snapshot: new Uint8Array(40) }, /model\.snapshot: snapshot: not a model snapshot/],
    ] as const;
    for (const [raw, re] of bad) expect(() => parseServerMessage(raw)).toThrow(re);
  });

  it('NaN metrics (sent as null by JSON) are accepted', () => {
    const m = { type: 'event', event: { type: 'eval', iteration: 5, testPSNR: 18, testSSIM: NaN, views: 3, final: false } };
    const parsed = parseServerMessage(JSON.stringify(m)) as Extract<ServerMessage, { type: 'event' }>;
    expect((parsed.event as { testSSIM: unknown }).testSSIM).toBeNull();
  });

  it('the start config resolves over its preset exactly as the CLI would', () => {
    const cfg = startConfigOf(CLIENT_SAMPLES.start as Extract<ClientMessage, { type: 'start' }>);
    // 30 of smoke's 100 iterations: the upsampling scaled (config.scaledSchedule), as on the command line
    expect(cfg).toEqual({ ...PRESETS.smoke, decoder: 'splitnet', iterations: 30, backend: 'cpu', upsampleAt: [12, 21] });
    expect(cfg).toEqual(resolveConfig(flagsToPartial({ preset: 'smoke', decoder: 'splitnet', iterations: '30', backend: 'cpu' })));
  });
});

function rejects(raw: unknown, pattern: RegExp) {
  let err: unknown;
  try {
    parseClientMessage(raw);
  } catch (e) {
    err = e;
  }
  expect(err, `accepted ${JSON.stringify(raw)}`).toBeInstanceOf(ProtocolError);
  expect((err as Error).message).toMatch(pattern);
}

describe('malformed client messages are rejected with the field named', () => {
  it.each([
    ['not JSON', '{"type": "start"', /not valid JSON/],
    ['a JSON array', '[1,2]', /expected a JSON object/],
    ['null', null, /expected a JSON object/],
    ['a number', 42, /expected a JSON object/],
    ['no type', { config: {} }, /message\.type: expected one of start, pause/],
    ['unknown type', { type: 'format-disk' }, /message\.type: expected one of/],
    ['type of wrong kind', { type: 5 }, /message\.type/],
    ['__proto__ type', { type: '__proto__' }, /message\.type/],
    ['extra field', { type: 'pause', now: true }, /pause: unknown field 'now'/],
    ['missing config', { type: 'start' }, /start: missing field 'config'/],
    ['config not an object', { type: 'start', config: 'smoke' }, /start\.config: expected an object/],
    ['unknown preset', { type: 'start', config: { preset: 'huge' } }, /start\.config\.preset: expected one of thesis, paper, quick, smoke/],
    [
      'unknown decoder',
      { type: 'start', config: { decoder: 'transformer' } },
      /start\.config\.decoder: expected one of mlp, siren, splitnet/,
    ],
    ['iterations 0', { type: 'start', config: { iterations: 0 } }, /start\.config\.iterations: expected >= 1/],
    ['iterations as a string', { type: 'start', config: { iterations: '100' } }, /start\.config\.iterations: expected a number/],
    ['unknown option', { type: 'start', config: { learningRate: 1 } }, /unknown field 'learningRate'/],
    ['render without camera', { type: 'render', id: 1, output: 'rgb', quality: 'sharp' }, /render: missing field 'camera'/],
    [
      'pose of 15 numbers',
      { type: 'render', id: 1, camera: { ...camera, pose: pose.slice(1) }, output: 'rgb', quality: 'sharp' },
      /render\.camera\.pose: expected 16 items/,
    ],
    [
      'pose with a string',
      { type: 'render', id: 1, camera: { ...camera, pose: [...pose.slice(1), 'x'] }, output: 'rgb', quality: 'sharp' },
      /render\.camera\.pose\[15\]: expected a finite number/,
    ],
    [
      'huge frame',
      { type: 'render', id: 1, camera: { ...camera, width: 5000 }, output: 'rgb', quality: 'sharp' },
      /render\.camera\.width: expected a number in \[1, 800\]/,
    ],
    [
      'fractional size',
      { type: 'render', id: 1, camera: { ...camera, height: 10.5 }, output: 'rgb', quality: 'sharp' },
      /render\.camera\.height: expected an integer/,
    ],
    ['fov of 0', { type: 'render', id: 1, camera: { ...camera, fovY: 0 }, output: 'rgb', quality: 'sharp' }, /render\.camera\.fovY/],
    [
      'unknown output',
      { type: 'render', id: 1, camera, output: 'normals', quality: 'sharp' },
      /render\.output: expected one of rgb, depth, acc/,
    ],
    ['negative id', { type: 'snapTestView', id: -1, view: 0 }, /snapTestView\.id/],
    ['view as text', { type: 'snapTestView', id: 1, view: 'one' }, /snapTestView\.view: expected a finite number/],
    ['path not a string', { type: 'openRun', path: ['runs'] }, /openRun\.path: expected a string/],
    ['resume without a path', { type: 'resumeRun' }, /resumeRun: missing field 'path'/],
    ['saveCheckpoint with a field', { type: 'saveCheckpoint', now: true }, /saveCheckpoint/],
    ['record of 0 frames', { type: 'record', id: 1, camera, frames: 0, fps: 12 }, /record\.frames: expected a number in \[1, 360\]/],
    ['record of 361 frames', { type: 'record', id: 1, camera, frames: 361, fps: 12 }, /record\.frames: expected a number in \[1, 360\]/],
    ['record at 0 fps', { type: 'record', id: 1, camera, frames: 8, fps: 0 }, /record\.fps: expected a number in \[1, 120\]/],
    ['record too large', { type: 'record', id: 1, camera: { ...camera, width: 801 }, frames: 8, fps: 12 }, /record\.camera\.width/],
    [
      'compare with an unknown decoder',
      { type: 'compare', decoders: 'mlp,gpt', config: {} },
      /compare\.decoders: entry 'gpt': unknown decoder 'gpt'/,
    ],
    ['compare with a bad option', { type: 'compare', decoders: 'splitnet:m=ten', config: {} }, /compare\.decoders: entry 'splitnet:m=ten'/],
    [
      'compare choosing a decoder in config',
      { type: 'compare', decoders: 'mlp', config: { decoder: 'siren' } },
      /compare\.config\.decoder: not a comparison option/,
    ],
    ['compare with a bad config', { type: 'compare', decoders: 'mlp', config: { batchSize: 0 } }, /compare\.config\.batch: expected >= 1/],
    [
      'render for a model label of a number',
      { type: 'render', id: 1, camera, output: 'rgb', quality: 'sharp', model: 3 },
      /render\.model: expected a string/,
    ],
  ])('%s', (_, raw, pattern) => rejects(raw, pattern));

  // the unknown-field check looks at own properties: names that every object inherits
  // (constructor, toString, valueOf, hasOwnProperty, __proto__) are unknown fields too
  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'])('a field named %s is unknown', (name) => {
    rejects(`{"type":"pause","${name}":1}`, new RegExp(`pause: unknown field '${name}'`));
    rejects(`{"type":"openScene","path":"x","${name}":{}}`, new RegExp(`openScene: unknown field '${name}'`));
    rejects(
      `{"type":"render","id":1,"camera":{"pose":${JSON.stringify(pose)},"fovY":0.7,"width":8,"height":8,"${name}":0},"output":"rgb","quality":"sharp"}`,
      new RegExp(`render\\.camera: unknown field '${name}'`),
    );
    rejects(`{"type":"start","config":{"preset":"smoke","${name}":1}}`, new RegExp(`start\\.config\\.unknown field '${name}'`));
  });

  it('an oversized message is refused before parsing', () => {
    rejects(JSON.stringify({ type: 'openRun', path: 'x'.repeat(MAX_MESSAGE_CHARS) }), /at most 65536 accepted/);
  });

  it('malformed server messages are rejected too', () => {
    expect(() => parseServerMessage({ type: 'frame', id: 1 })).toThrow(ProtocolError);
    expect(() => parseServerMessage({ type: 'event', event: { type: 'step', iteration: 1 } })).toThrow(/missing field/);
    expect(() => parseServerMessage({ type: 'event', event: { type: 'party' } })).toThrow(/event\.type/);
    expect(() => parseServerMessage({ type: 'state', state: 'dancing', detail: '' })).toThrow(/state\.state: expected one of idle/);
  });
});

/** Random edits of a JSON value: drop/duplicate keys, swap values for wrong types, truncate text. */
function corrupt(v: unknown, rng: Rng, depth = 0): unknown {
  const r = rng.next();
  const junk = [null, -1, 1e308, 'x', '', true, [], {}, [1, 2], { type: 'pause' }, NaN, '__proto__'];
  if (depth > 0 && r < 0.15) return junk[Math.floor(rng.next() * junk.length)];
  if (Array.isArray(v)) {
    const out = v.map((x) => (rng.next() < 0.3 ? corrupt(x, rng, depth + 1) : x));
    if (rng.next() < 0.2) out.pop();
    if (rng.next() < 0.1) out.push(junk[Math.floor(rng.next() * junk.length)]);
    return out;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const q = rng.next();
      if (q < 0.1) continue;
      out[q < 0.15 ? `${k}_` : k] = q < 0.5 ? corrupt(x, rng, depth + 1) : x;
    }
    return out;
  }
  return v;
}

describe('fuzz: corruptions of valid messages', () => {
  it('every corruption is either still a valid message or a ProtocolError (2000 cases)', () => {
    const rng = new Rng(12345);
    const samples = Object.values(CLIENT_SAMPLES);
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      const base = samples[i % samples.length];
      let raw: unknown = corrupt(base, rng);
      if (i % 5 === 0) {
        const text = JSON.stringify(raw) ?? '';
        raw = text.slice(0, Math.floor(rng.next() * text.length));
      }
      try {
        const m = parseClientMessage(raw);
        // accepted: it must really be a message of a known type with only known fields
        expect(CLIENT_MESSAGE_TYPES).toContain(m.type);
        expect(parseClientMessage(JSON.stringify(m))).toEqual(m);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw new Error(`non-protocol error for ${JSON.stringify(raw)}: ${e}`);
        expect((e as Error).message.split('\n')).toHaveLength(1);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(800); // the field-less messages (pause, stop, ...) mostly survive
  });
});
