/** Out-of-memory errors from the compute backends, as one line that says which setting to lower. */

const OOM_PATTERNS = [/out of memory/i, /\bOOM\b/, /failed to allocate/i, /allocation/i];

/** Whether `e` (an Error or anything thrown) reports running out of (GPU) memory. */
export function isOutOfMemory(e: unknown): boolean {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return OOM_PATTERNS.some((p) => p.test(msg));
}

/**
 * "the webgpu backend ran out of GPU memory at iteration 1200 (batch 4096, grid 300^3); lower
 * --batch, --chunk or --grid-end". The cpu backend says "memory".
 */
export function outOfMemoryMessage(backend: string, iteration: number, batch: number, reso: readonly number[]): string {
  const grid = reso.every((r) => r === reso[0]) ? `${reso[0]}^3` : reso.join('x');
  const what = backend === 'cpu' ? 'memory' : 'GPU memory';
  return `the ${backend} backend ran out of ${what} at iteration ${iteration} (batch ${batch}, grid ${grid}); lower --batch, --chunk or --grid-end`;
}

/** The same for rendering from a checkpoint (npm run render), where only the chunk size matters. */
export function renderOutOfMemoryMessage(backend: string, chunk: number): string {
  return `the ${backend} backend ran out of ${backend === 'cpu' ? 'memory' : 'GPU memory'} while rendering (chunk ${chunk} rays); lower --chunk`;
}
