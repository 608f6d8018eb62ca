/**
 * The parent side of the app (Electron main process or `npm run serve`): owns the training
 * process, validates every client message before it goes there, routes render replies back to the
 * client that asked, broadcasts everything else, and remembers enough (state, scene, curves) to
 * bring a client that connects mid-run up to date. A training process that dies is reported to
 * every client as a `crash` message; the next message starts a fresh process.
 *
 * What goes to the process passes through a bounded outbox (outbox.ts): commands at once,
 * latest-value requests (renders, test views, evaluations, opening scenes and runs) one of a kind
 * at a time with only the newest waiting, so that a flood of requests never delays a pause.
 *
 * When the last client leaves, a running training goes on (on purpose: a long run is watched now
 * and then, from wherever); what that client had asked for and not yet got is dropped. `close()`
 * (the server stopping, the app quitting) stops the training, saving its checkpoint.
 */
import { BACKEND_NAMES, DECODER_NAMES, PRESET_NAMES, PRESETS, type TrainConfig } from '../core/config';
import type { ClientMessage, SceneInfo, ServerMessage, SessionState } from '../protocol/messages';
import { isIdleState, PROTOCOL_VERSION } from '../protocol/messages';
import { parseClientMessage } from '../protocol/schema';
import { ChildOutbox, type OutboxOptions } from './outbox';
import { RunHistories } from './run-histories';

/** The running training process, as the session sees it. */
export interface ChildLink {
  send(m: ClientMessage): void;
  /** Ends the process (it saves a running training's checkpoint first). */
  kill(): void;
}

/** Starts a training process; `onMessage` gets what it sends, `onExit` why it ended. */
export type SpawnTrainer = (handlers: { onMessage: (m: unknown) => void; onExit: (why: string) => void }) => ChildLink;

export interface ClientConnection {
  /** A message from this client: validated, then sent on (or answered with an error). */
  receive(raw: unknown): void;
  close(): void;
}

/** Most error replies a client gets per second; a flood beyond that is dropped silently. */
export const MAX_ERRORS_PER_SECOND = 20;
/** Render/snap requests remembered per client while their replies are outstanding. */
const MAX_ROUTES_PER_CLIENT = 8;

interface Client {
  deliver: (m: ServerMessage) => void;
  errorsThisSecond: number;
  second: number;
}

export const DEFAULT_UI_CONFIG: Partial<TrainConfig> = {
  data: PRESETS.quick.data, // no preset: the backend's (config.defaultPreset), as in train:lego
  decoder: 'mlp',
  decoderWidth: 0,
  backend: 'auto',
};

export class Session {
  private child: ChildLink | null = null;
  private readonly outbox: ChildOutbox;
  private readonly clients = new Set<Client>();
  private state: SessionState = 'idle';
  private detail = '';
  private scene: SceneInfo | null = null;
  private compare: Extract<ServerMessage, { type: 'compare' }> | null = null;
  private backends: Extract<ServerMessage, { type: 'backends' }> | null = null;
  /** The form of the last start or comparison (a page reloaded later starts from it). */
  private readonly histories = new RunHistories();
  private form: { config: Partial<TrainConfig>; decoders?: string } | null = null;
  /** Render/snap requests in flight: session-wide id -> the asking client and its own id. */
  private readonly routes = new Map<number, { client: Client; id: number }>();
  /** Recordings by process id: their progress and file go to the client that asked (one at a time each). */
  private readonly recordRoutes = new Map<number, { client: Client; id: number }>();
  private nextId = 1;
  /** Clients that show the shader view, and the newest snapshot for them (latest-value). */
  private readonly watchers = new Set<Client>();
  private model: Extract<ServerMessage, { type: 'model' }> | null = null;
  private closing = false;
  private markClosed: () => void = () => {};
  /** Resolves once close() was called and the training process has ended. */
  readonly closed = new Promise<void>((r) => (this.markClosed = r));

  constructor(
    private readonly spawn: SpawnTrainer,
    private readonly defaults: Partial<TrainConfig> = DEFAULT_UI_CONFIG,
    outbox: OutboxOptions = {},
  ) {
    this.outbox = new ChildOutbox((m) => this.child?.send(m), {
      ...outbox,
      // a render or test view replaced before it was sent gets no reply: forget its route
      dropped: (m) => {
        if (m.type === 'render' || m.type === 'snapTestView') this.routes.delete(m.id);
      },
    });
  }

  connect(deliver: (m: ServerMessage) => void): ClientConnection {
    const c: Client = { deliver, errorsThisSecond: 0, second: 0 };
    this.clients.add(c);
    deliver({
      type: 'hello',
      version: PROTOCOL_VERSION,
      state: this.state,
      defaults: this.form?.config ?? this.defaults,
      ...(this.form?.decoders === undefined ? {} : { compareDecoders: this.form.decoders }),
      backends: [...BACKEND_NAMES],
      presets: [...PRESET_NAMES],
      decoders: [...DECODER_NAMES],
    });
    if (this.backends) deliver(this.backends);
    if (this.scene) deliver({ type: 'scene', scene: this.scene });
    for (const h of this.histories.messages()) deliver(h);
    if (this.compare) deliver(this.compare);
    deliver({ type: 'state', state: this.state, detail: this.detail });
    return {
      receive: (raw) => this.receive(c, raw),
      close: () => {
        this.clients.delete(c);
        this.watch(c, false);
        this.outbox.dropOwner(c);
        for (const routes of [this.routes, this.recordRoutes]) for (const [k, r] of routes) if (r.client === c) routes.delete(k);
      },
    };
  }

  /** Ends the training process (a running training saves its checkpoint first). */
  close(): void {
    this.closing = true;
    if (this.child) this.child.kill();
    else this.markClosed();
  }

  private receive(c: Client, raw: unknown): void {
    let m: ClientMessage;
    try {
      m = parseClientMessage(raw);
    } catch (e) {
      this.replyError(c, (e as Error).message);
      return;
    }
    if (m.type === 'watchModel') {
      this.watch(c, m.on);
      return;
    }
    if (m.type === 'render' || m.type === 'snapTestView') {
      const id = this.nextId++;
      this.routes.set(id, { client: c, id: m.id });
      // an older request's reply is still delivered (it may be the newest picture the client
      // gets; the client drops frames older than the one it shows), but only the last few are kept
      const mine = [...this.routes].filter(([, r]) => r.client === c);
      if (mine.length > MAX_ROUTES_PER_CLIENT) this.routes.delete(mine[0][0]);
      m = { ...m, id };
    } else if (m.type === 'record') {
      const id = this.nextId++;
      for (const [k, r] of this.recordRoutes) if (r.client === c) this.recordRoutes.delete(k); // the process replaces it too
      this.recordRoutes.set(id, { client: c, id: m.id });
      m = { ...m, id };
    }
    this.remember(m);
    if (!this.child) this.startChild();
    if (!this.outbox.push(m, c))
      this.replyError(c, `${m.type}: the training process is starting and too many commands wait for it; try again in a moment`);
  }

  /** A client starts or stops showing the shader view: it gets the newest snapshot now; the process sends snapshots while anyone watches. */
  private watch(c: Client, on: boolean): void {
    const before = this.watchers.size > 0;
    if (on) this.watchers.add(c);
    else this.watchers.delete(c);
    if (on && this.model) c.deliver(this.model);
    const after = this.watchers.size > 0;
    if (before === after || (!this.child && !on)) return;
    if (!this.child)
      this.startChild(); // which asks it for snapshots, as anyone watches
    else this.outbox.push({ type: 'watchModel', on: after }, c);
  }

  /** Keeps the form of a start or comparison for pages that connect later (a reload keeps the choices). */
  private remember(m: ClientMessage): void {
    if (m.type === 'start') this.form = { config: { ...this.defaults, ...m.config }, decoders: this.form?.decoders };
    else if (m.type === 'compare') {
      // the entries choose the decoders: keep the single training's decoder fields as they were
      const prev = this.form?.config ?? this.defaults;
      const decoder = { decoder: prev.decoder, decoderWidth: prev.decoderWidth };
      this.form = { config: { ...this.defaults, ...decoder, ...m.config }, decoders: m.decoders };
    }
  }

  private replyError(c: Client, message: string): void {
    const second = Math.floor(Date.now() / 1000);
    if (second !== c.second) {
      c.second = second;
      c.errorsThisSecond = 0;
    }
    if (++c.errorsThisSecond > MAX_ERRORS_PER_SECOND) return;
    c.deliver({ type: 'error', message });
  }

  private startChild(): void {
    this.outbox.reset();
    const link = this.spawn({
      onMessage: (raw) => {
        if (link !== this.child) return;
        if (!this.outbox.isOpen) this.outbox.opened();
        this.outbox.replied(raw as ServerMessage);
        this.fromChild(raw as ServerMessage);
      },
      onExit: (why) => {
        if (link !== this.child) return;
        this.child = null;
        this.outbox.reset();
        this.routes.clear();
        this.recordRoutes.clear();
        if (this.closing) return this.markClosed();
        const wasBusy = !isIdleState(this.state);
        this.broadcast({
          type: 'crash',
          message: `the training process ended unexpectedly (${why})${wasBusy ? '; the last checkpoint in the run folder is kept' : ''}; press Start to begin again`,
        });
        this.setState('failed', `training process ended (${why})`);
      },
    });
    this.child = link;
    if (this.watchers.size > 0) this.outbox.push({ type: 'watchModel', on: true }, this);
  }

  private fromChild(m: ServerMessage): void {
    switch (m.type) {
      case 'frame':
      case 'testView': {
        const r = this.routes.get(m.id);
        if (!r) return; // superseded or its client left
        this.routes.delete(m.id);
        r.client.deliver({ ...m, id: r.id });
        return;
      }
      case 'recording': {
        const r = this.recordRoutes.get(m.id);
        if (!r) return;
        if (m.done === m.total) this.recordRoutes.delete(m.id);
        r.client.deliver({ ...m, id: r.id });
        return;
      }
      case 'state':
        this.state = m.state;
        this.detail = m.detail;
        if (m.state === 'loading') this.model = null; // a new model is on its way
        break;
      case 'model':
        this.model = m;
        for (const c of this.watchers) c.deliver(m);
        return;
      case 'scene':
        this.scene = m.scene;
        break;
      case 'compare':
        this.compare = m;
        this.histories.compare(m.dir);
        break;
      case 'backends':
        this.backends = m;
        break;
      case 'history':
        this.histories.history(m);
        break;
      case 'event':
        this.histories.event(m);
        break;
    }
    this.broadcast(m);
  }

  private setState(state: SessionState, detail: string): void {
    this.state = state;
    this.detail = detail;
    this.broadcast({ type: 'state', state, detail });
  }

  private broadcast(m: ServerMessage): void {
    for (const c of this.clients) c.deliver(m);
  }
}
