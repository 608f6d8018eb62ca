/**
 * Preload (sandboxed, context-isolated): exposes exactly the typed TensorfApi as
 * `window.tensorf`: one method per client message and `onMessage`, nothing else of Electron.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_TO_MAIN, IPC_TO_RENDERER, makeApi } from '../protocol/api';
import type { ServerMessage } from '../protocol/messages';

const api = makeApi(
  (m) => ipcRenderer.send(IPC_TO_MAIN, m),
  (listener) => {
    const h = (_e: IpcRendererEvent, m: ServerMessage) => listener(m);
    ipcRenderer.on(IPC_TO_RENDERER, h);
    return () => void ipcRenderer.removeListener(IPC_TO_RENDERER, h);
  },
);
contextBridge.exposeInMainWorld('tensorf', api);
