/**
 * Electron main process: one window, one Session. Training runs in a utilityProcess
 * (src/session/trainer-process.ts, bundled as out/main/trainer.cjs), never on this event loop;
 * the window talks to the Session only through the preload's typed API. Everything the app does
 * goes through the same Session and TrainerHost as browser mode (`npm run serve`), where the
 * tests exercise it.
 */
import { app, BrowserWindow, ipcMain, utilityProcess } from 'electron';
import { join } from 'node:path';
import { IPC_TO_MAIN, IPC_TO_RENDERER } from '../protocol/api';
import { type ClientConnection, Session, type SpawnTrainer } from '../session/session';

const spawnTrainer: SpawnTrainer = ({ onMessage, onExit }) => {
  const child = utilityProcess.fork(join(__dirname, 'trainer.cjs'), [], { serviceName: 'TensoRF trainer', stdio: 'inherit' });
  child.on('message', onMessage);
  child.on('exit', (code) => onExit(`exit code ${code}`));
  return { send: (m) => child.postMessage(m), kill: () => void child.kill() };
};

const session = new Session(spawnTrainer);

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'TensoRF',
    backgroundColor: '#15171c',
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    },
  });
  // each page load is a client of its own, greeted once it has loaded: Electron drops what is
  // sent to a window before its document exists, and a reload needs the greeting again
  let conn: ClientConnection | null = null;
  win.webContents.on('did-finish-load', () => {
    conn?.close();
    conn = session.connect((m) => {
      if (!win.isDestroyed()) win.webContents.send(IPC_TO_RENDERER, m);
    });
  });
  const onMessage = (e: Electron.IpcMainEvent, raw: unknown) => {
    if (e.sender === win.webContents) conn?.receive(raw);
  };
  ipcMain.on(IPC_TO_MAIN, onMessage);
  win.on('closed', () => {
    ipcMain.removeListener(IPC_TO_MAIN, onMessage);
    conn?.close();
  });
  // the page never navigates or opens windows
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(join(__dirname, '../renderer/index.html'));
}

void app.whenReady().then(() => {
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

let quitting = false;
app.on('before-quit', (e) => {
  if (quitting) return;
  // let a running training save its checkpoint before the app exits
  e.preventDefault();
  quitting = true;
  session.close();
  void session.closed.then(() => app.quit());
});
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
