/** Debian's Chromium (playwright-core) with WebGL2 on SwiftShader, for the shader tests and benchmarks. */
import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);

/** Chromium's flags for WebGL2 through SwiftShader without a GPU. */
export const WEBGL_ARGS = ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('Chromium not found (apt-get install chromium)');
  return chromium.launch({ executablePath: CHROMIUM, args: WEBGL_ARGS });
}

/** An entry module bundled for the page (an IIFE with three.js inside). */
export async function bundleForPage(entry: string): Promise<string> {
  const r = await build({ entryPoints: [entry], bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'error' });
  return r.outputFiles[0].text;
}
