/**
 * A stand-in for the parts of Electron that the built main process (out/main/index.cjs) and
 * preload (out/preload/index.cjs) use, so that both load under plain Node, where Electron's binary
 * cannot be downloaded. It follows Electron's documented behaviour where the app depends on it:
 *
 * - IPC is asynchronous and structured-cloned both ways; a message sent to a window reaches only
 *   listeners of the document loaded at the time (Electron drops what is sent before the
 *   document exists; electron/electron#8663), so `loadPage` models a page load: a fresh document
 *   (no listeners), the preload run in it, the page's own script (`onPage`), then
 *   `did-finish-load`.
 * - `utilityProcess.fork` is child_process.fork of the module with an IPC channel using
 *   structured clone ('advanced' serialization), so the trainer takes its Node-IPC path rather
 *   than `process.parentPort`; `exit` carries a number as Electron's does (for a signal:
 *   128 + its number, an assumption: the app only prints it).
 * - `app.quit()` emits `before-quit` with a cancellable event and quits only if it was not
 *   prevented; closing the last window emits `window-all-closed`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import Module, { createRequire } from 'node:module';
import { constants } from 'node:os';

const require = createRequire(import.meta.url);
const nextTurn = (f: () => void) => void setImmediate(f);

export class StandInWebContents extends EventEmitter {
  /** Listeners of the current document's ipcRenderer, by channel. */
  document = new EventEmitter();
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
  sentBeforeLoad = 0;
  loaded = false;
  send(channel: string, ...args: unknown[]): void {
    if (!this.loaded) this.sentBeforeLoad++;
    const doc = this.document;
    const copy = structuredClone(args);
    nextTurn(() => doc.emit(channel, { sender: null }, ...copy));
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
}

export class StandInWindow extends EventEmitter {
  static readonly windows: StandInWindow[] = [];
  static getAllWindows(): StandInWindow[] {
    return [...StandInWindow.windows];
  }
  readonly webContents = new StandInWebContents();
  readonly loaded: { file?: string; url?: string }[] = [];
  private destroyed = false;
  constructor(
    readonly options: { webPreferences?: Record<string, unknown> } & Record<string, unknown>,
    private readonly onAllClosed: () => void,
  ) {
    super();
    StandInWindow.windows.push(this);
  }
  loadFile(file: string): Promise<void> {
    this.loaded.push({ file });
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.loaded.push({ url });
    return Promise.resolve();
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  close(): void {
    this.destroyed = true;
    StandInWindow.windows.splice(StandInWindow.windows.indexOf(this), 1);
    this.emit('closed');
    if (StandInWindow.windows.length === 0) this.onAllClosed();
  }
}

export class StandInUtilityProcess extends EventEmitter {
  readonly child: ChildProcess;
  output = '';
  exitCode: number | null = null;
  constructor(
    readonly modulePath: string,
    args: string[],
    readonly options: Record<string, unknown>,
  ) {
    super();
    this.child = fork(modulePath, args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: (options.env as NodeJS.ProcessEnv | undefined) ?? process.env,
      cwd: options.cwd as string | undefined,
    });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
    this.child.on('spawn', () => this.emit('spawn'));
    this.child.on('message', (m) => this.emit('message', m));
    this.child.on('exit', (code, signal) => {
      this.exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
      this.emit('exit', this.exitCode);
    });
  }
  get pid(): number | undefined {
    return this.child.pid;
  }
  postMessage(m: unknown): void {
    if (this.child.connected) this.child.send(m as object);
  }
  kill(): boolean {
    return this.child.kill('SIGTERM');
  }
}

type Listener = (e: { sender: unknown; preventDefault?: () => void }, ...args: unknown[]) => void;

export function electronStandIn() {
  const forks: StandInUtilityProcess[] = [];
  const ipcMain = new EventEmitter() as EventEmitter & { handlers: Map<string, Listener>; handle(c: string, h: Listener): void };
  ipcMain.handlers = new Map();
  ipcMain.handle = (c, h) => void ipcMain.handlers.set(c, h);
  let readyResolve = () => {};
  const ready = new Promise<void>((r) => (readyResolve = r));
  const app = Object.assign(new EventEmitter(), {
    quitted: false,
    whenReady: () => ready,
    quit(): void {
      let prevented = false;
      app.emit('before-quit', { preventDefault: () => (prevented = true) });
      if (prevented) return;
      app.quitted = true;
      app.emit('quit');
    },
  });
  class BrowserWindow extends StandInWindow {
    constructor(options: ConstructorParameters<typeof StandInWindow>[0]) {
      super(options, () => app.emit('window-all-closed'));
    }
  }
  const main = {
    app,
    BrowserWindow,
    ipcMain,
    utilityProcess: {
      fork(modulePath: string, args: string[] = [], options: Record<string, unknown> = {}) {
        const p = new StandInUtilityProcess(modulePath, args, options);
        forks.push(p);
        return p;
      },
    },
  };

  /** The renderer side of one window's current document: contextBridge and ipcRenderer. */
  const rendererModule = (win: StandInWindow, exposed: Record<string, unknown>) => {
    const doc = win.webContents.document;
    return {
      contextBridge: {
        exposeInMainWorld(key: string, api: unknown): void {
          exposed[key] = api;
        },
      },
      ipcRenderer: {
        on: (channel: string, l: Listener) => void doc.on(channel, l),
        removeListener: (channel: string, l: Listener) => void doc.removeListener(channel, l),
        send(channel: string, ...args: unknown[]): void {
          const copy = structuredClone(args);
          nextTurn(() => ipcMain.emit(channel, { sender: win.webContents }, ...copy));
        },
        async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
          const h = ipcMain.handlers.get(channel);
          if (!h) throw new Error(`No handler registered for '${channel}'`);
          return structuredClone(await h({ sender: win.webContents }, ...structuredClone(args)));
        },
      },
    };
  };

  /** Loads a CommonJS bundle afresh with `require('electron')` answered by `electron`; returns what it required. */
  function load(file: string, electron: object): string[] {
    const path = require.resolve(file);
    delete require.cache[path];
    const requests: string[] = [];
    const m = Module as unknown as { _load: (request: string, parent: { filename?: string } | null, isMain: boolean) => unknown };
    const original = m._load;
    m._load = function (request, parent, isMain) {
      if (parent?.filename === path) requests.push(request);
      if (request === 'electron') return electron;
      return original.call(this, request, parent, isMain);
    };
    try {
      require(path);
    } finally {
      m._load = original;
    }
    return requests;
  }

  return {
    main,
    forks,
    /** Runs the main bundle and lets `app.whenReady()` resolve. */
    async start(file: string): Promise<string[]> {
      const requests = load(file, main);
      readyResolve();
      await new Promise((r) => setImmediate(r));
      return requests;
    },
    /**
     * One page load in `win`: a new document, its preload, then `onPage` with what the preload
     * exposed (the page's script), then did-finish-load. Returns what was exposed and required.
     */
    loadPage(win: StandInWindow, preload: string, onPage: (exposed: Record<string, unknown>) => void) {
      win.webContents.document = new EventEmitter();
      const exposed: Record<string, unknown> = {};
      const requests = load(preload, rendererModule(win, exposed));
      onPage(exposed);
      win.webContents.loaded = true;
      win.webContents.emit('did-finish-load');
      return { exposed, requests };
    },
  };
}
