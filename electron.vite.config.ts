/**
 * electron-vite build of the desktop app into out/: main (the main process and the training
 * process entry), preload (sandboxed, so CommonJS) and renderer (the same page as browser mode).
 * tfjs is bundled into the training process from its ES module sources (its gradient
 * registrations are ES modules); native and optional packages stay external.
 */
import { builtinModules } from 'node:module';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './vite.renderer.config';

const external = [
  'electron',
  'webgpu',
  'esbuild',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
];

export default defineConfig({
  main: {
    resolve: { mainFields: ['module', 'main'] },
    build: {
      outDir: 'out/main',
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: 'src/main/index.ts', trainer: 'src/session/trainer-process.ts' },
        external,
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: 'src/preload/index.ts' },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
});
