/**
 * `npm run build` for the e2e tests, which run in parallel: one build at a time (flock), and none
 * when the bundles are there and no source file is newer than the page's (the last one written).
 */
import { execFileSync } from 'node:child_process';

const OUTPUTS = ['out/main/index.cjs', 'out/main/trainer.cjs', 'out/preload/index.cjs', 'out/renderer/index.html'];

const IF_STALE = `for f in ${OUTPUTS.join(' ')}; do [ -e "$f" ] || exec npm run build; done
[ -z "$(find src -newer out/renderer/index.html -print -quit)" ] || exec npm run build`;

export function buildOnce(): void {
  execFileSync('flock', ['/tmp/tensorf-e2e-build.lock', 'sh', '-c', IF_STALE], { stdio: 'pipe' });
}
