/**
 * Vite build of the user interface (src/renderer) into out/renderer: `npm run serve` serves it
 * and Electron loads it from file:// (hence the relative base). electron.vite.config.ts reuses
 * `rendererConfig`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

export const rendererConfig: UserConfig = {
  root: fileURLToPath(new URL('./src/renderer', import.meta.url)),
  base: './',
  build: {
    outDir: fileURLToPath(new URL('./out/renderer', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500, // three.js
  },
};

export default defineConfig(rendererConfig);
