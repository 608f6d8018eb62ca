/**
 * Model snapshots for the shader view, both sides: the Session sends the process `watchModel`
 * while any client watches and passes snapshots only to watchers (the newest at once to a client
 * that starts watching); the process's ModelFeed sends one only while watched, on settling states
 * and at most every SNAPSHOT_EVERY_MS while training, never the same iteration twice.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { groupParams, flatGroups } from '../../src/core/params';
import { modelParams } from '../../src/core/model';
import { decodeSnapshot, encodeSnapshot } from '../../src/core/snapshot/snapshot-codec';
import { snapshotOf } from '../../src/core/snapshot/snapshot-of';
import type { ClientMessage, ServerMessage } from '../../src/protocol/messages';
import { ModelFeed, SNAPSHOT_EVERY_MS } from '../../src/session/model-feed';
import { Session, type SpawnTrainer } from '../../src/session/session';
import type { ViewSource } from '../../src/session/views';
import { randomModel } from '../core/snapshot/random-model';

function fakeProcess() {
  const received: ClientMessage[] = [];
  let handlers: Parameters<SpawnTrainer>[0] | null = null;
  const spawn: SpawnTrainer = (h) => {
    handlers = h;
    return { send: (m) => received.push(m), kill: () => {} };
  };
  return { spawn, received, emit: (m: ServerMessage) => handlers!.onMessage(m) };
}

const snapshotMessage = (iteration: number): ServerMessage => ({
  type: 'model',
  snapshot: encodeSnapshot(snapshotOf(randomModel('mlp').model, null, { iteration })),
});

describe('Session: model snapshots go to watching clients only', () => {
  it('tells the process when watching starts and ends, and routes snapshots to watchers', () => {
    const p = fakeProcess();
    const s = new Session(p.spawn);
    const a: ServerMessage[] = [];
    const b: ServerMessage[] = [];
    const ca = s.connect((m) => a.push(m));
    const cb = s.connect((m) => b.push(m));
    ca.receive({ type: 'watchModel', on: true });
    p.emit({ type: 'state', state: 'idle', detail: 'up' }); // the process is up: what waited goes
    expect(p.received).toEqual([{ type: 'watchModel', on: true }]);
    p.emit(snapshotMessage(7));
    expect(a.filter((m) => m.type === 'model')).toHaveLength(1);
    expect(b.filter((m) => m.type === 'model')).toHaveLength(0);
    // a second watcher gets the newest snapshot at once; the process is not told again
    cb.receive({ type: 'watchModel', on: true });
    expect(b.filter((m) => m.type === 'model')).toHaveLength(1);
    expect(p.received).toHaveLength(1);
    cb.receive({ type: 'watchModel', on: false });
    expect(p.received).toHaveLength(1);
    ca.close(); // the last watcher leaves
    expect(p.received.at(-1)).toEqual({ type: 'watchModel', on: false });
    // a new run drops the old snapshot: nobody is handed the last run's model
    p.emit({ type: 'state', state: 'loading', detail: '' });
    const c: ServerMessage[] = [];
    s.connect((m) => c.push(m)).receive({ type: 'watchModel', on: true });
    expect(c.filter((m) => m.type === 'model')).toHaveLength(0);
  });
});

describe('ModelFeed', () => {
  const cfg = resolveConfig({ preset: 'smoke' });
  function setup() {
    const { model, mask } = randomModel('siren');
    const src: ViewSource = { model, mask, cfg, iteration: 10, test: null, testCount: 0 };
    const sent: Extract<ServerMessage, { type: 'model' }>[] = [];
    let now = 0;
    const feed = new ModelFeed(
      (m) => sent.push(m as Extract<ServerMessage, { type: 'model' }>),
      () => src,
      () => now,
    );
    return { src, sent, feed, tick: (ms: number) => (now += ms) };
  }

  it('sends nothing unless watched', () => {
    const { sent, feed } = setup();
    feed.state('paused');
    feed.step();
    expect(sent).toHaveLength(0);
  });

  it('sends on watching, on settling states and while training at most every few seconds, one per iteration', () => {
    const { src, sent, feed, tick } = setup();
    feed.setWatching(true);
    expect(sent.map((m) => decodeSnapshot(m.snapshot).iteration)).toEqual([10]);
    feed.state('paused'); // same iteration: not again
    expect(sent).toHaveLength(1);
    src.iteration = 11;
    feed.step(); // too soon
    expect(sent).toHaveLength(1);
    tick(SNAPSHOT_EVERY_MS);
    feed.step();
    expect(sent).toHaveLength(2);
    src.iteration = 12;
    feed.state('stopped'); // settled: at once
    expect(sent.map((m) => decodeSnapshot(m.snapshot).iteration)).toEqual([10, 11, 12]);
    feed.setWatching(true); // a page that starts watching gets it again
    expect(sent).toHaveLength(4);
    feed.setWatching(false);
    src.iteration = 13;
    feed.state('done');
    expect(sent).toHaveLength(4);
  });

  it('takes a device-resident training parameters from the device', async () => {
    const { src, sent, feed } = setup();
    const values = groupParams(modelParams(src.model).map((p) => Float32Array.from(p.data, (v) => v + 1)));
    const tensors = groupParams(flatGroups(values).map((a) => tf.tensor(a)));
    src.deviceParams = () => tensors;
    feed.setWatching(true);
    await feed.idle();
    const d = decodeSnapshot(sent[0].snapshot);
    expect(Array.from(d.basis)).toEqual(Array.from(values.basis));
    expect(d.decoderWeights[3][0]).toBe(values.decoder[3][0]);
    tf.dispose(flatGroups(tensors));
  });

  it('describes a device snapshot as the model was at the step, though training (and upsampling) goes on during the read', async () => {
    const { src, sent, feed } = setup();
    const tensors = groupParams(modelParams(src.model).map((p) => tf.tensor(p.data)));
    src.deviceParams = () => tensors;
    const { box, reso } = src.model.field;
    feed.setWatching(true);
    // what an upsampling and the next step do before the read resolves
    src.model.field.reso = [22, 18, 20];
    src.model.field.box = { min: [-2, -2, -2], max: [2, 2, 2] };
    src.iteration = 11;
    await feed.idle();
    const d = decodeSnapshot(sent[0].snapshot);
    expect([d.iteration, d.reso, d.box]).toEqual([10, reso, box]);
    expect(d.densityLines[0].length).toBe(tensors.densityLines[0].size);
    tf.dispose(flatGroups(tensors));
  });

  it('drops a device read that finishes after a new run began or watching stopped', async () => {
    const { src, sent, feed, tick } = setup();
    const tensors = groupParams(modelParams(src.model).map((p) => tf.tensor(p.data)));
    src.deviceParams = () => tensors;
    const before = tf.memory().numTensors;
    feed.setWatching(true);
    feed.state('loading'); // a new run: the old run's model must not reach the page
    await feed.idle();
    expect(sent).toHaveLength(0);
    src.iteration = 11;
    tick(SNAPSHOT_EVERY_MS);
    feed.setWatching(true);
    feed.setWatching(false);
    await feed.idle();
    expect(sent).toHaveLength(0);
    expect(tf.memory().numTensors).toBe(before); // the clones held for the reads are gone
    src.iteration = 12;
    feed.setWatching(true);
    await feed.idle();
    expect(sent.map((m) => decodeSnapshot(m.snapshot).iteration)).toEqual([12]);
    tf.dispose(flatGroups(tensors));
  });
});
