/** Entry point of the page (Electron renderer or browser): connects and starts the UI. */
import { startApp } from './app';
import { getApi } from './bridge';

startApp(document, getApi());
