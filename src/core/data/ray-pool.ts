/**
 * The training ray pool (all pixels of the training views as rays with their colours), the
 * filters that drop rays, and the batch sampler (a random permutation walked in batch-sized
 * slices, reshuffled when exhausted, as TensoRF's SimpleSampler).
 */
import { Rng } from '../random';

export interface RayPool {
  count: number;
  origins: Float32Array; // count * 3
  dirs: Float32Array; // count * 3
  rgbs: Float32Array; // count * 3
}

/** Keeps the rays whose `keep` flag is set, in order. */
export function filterPool(pool: RayPool, keep: Uint8Array): RayPool {
  let n = 0;
  for (let i = 0; i < pool.count; i++) if (keep[i]) n++;
  const out: RayPool = { count: n, origins: new Float32Array(3 * n), dirs: new Float32Array(3 * n), rgbs: new Float32Array(3 * n) };
  for (let i = 0, j = 0; i < pool.count; i++) {
    if (!keep[i]) continue;
    for (let c = 0; c < 3; c++) {
      out.origins[3 * j + c] = pool.origins[3 * i + c];
      out.dirs[3 * j + c] = pool.dirs[3 * i + c];
      out.rgbs[3 * j + c] = pool.rgbs[3 * i + c];
    }
    j++;
  }
  return out;
}

export function gatherRays(pool: RayPool, idx: ArrayLike<number>): RayPool {
  const n = idx.length;
  const out: RayPool = { count: n, origins: new Float32Array(3 * n), dirs: new Float32Array(3 * n), rgbs: new Float32Array(3 * n) };
  for (let j = 0; j < n; j++) {
    const i = idx[j];
    for (let c = 0; c < 3; c++) {
      out.origins[3 * j + c] = pool.origins[3 * i + c];
      out.dirs[3 * j + c] = pool.dirs[3 * i + c];
      out.rgbs[3 * j + c] = pool.rgbs[3 * i + c];
    }
  }
  return out;
}

/** What a BatchSampler needs to continue exactly: the RNG state its permutation was drawn from, and the cursor. */
export interface SamplerState {
  total: number;
  batch: number;
  permRng: { state: number; spare: number | null };
  cursor: number;
}

export class BatchSampler {
  private perm: Uint32Array;
  private cursor: number;
  /** The shared stream's state just before `perm` was drawn (a checkpoint redraws it from here). */
  private permRng: { state: number; spare: number | null };

  constructor(
    readonly total: number,
    readonly batch: number,
    private readonly rng: Rng,
  ) {
    this.permRng = rng.getState();
    this.perm = rng.permutation(total);
    this.cursor = 0;
  }

  next(): Uint32Array {
    if (this.cursor + this.batch > this.total) {
      this.permRng = this.rng.getState();
      this.perm = this.rng.permutation(this.total);
      this.cursor = 0;
    }
    const out = this.perm.subarray(this.cursor, Math.min(this.total, this.cursor + this.batch));
    this.cursor += this.batch;
    return out;
  }

  getState(): SamplerState {
    return { total: this.total, batch: this.batch, permRng: { ...this.permRng }, cursor: this.cursor };
  }

  /**
   * Continues from a saved state: the permutation is redrawn from its saved RNG state with a
   * private generator, so the shared stream is not advanced.
   */
  setState(s: SamplerState): void {
    if (s.total !== this.total || s.batch !== this.batch) {
      throw new RangeError(
        `sampler state for ${s.total} rays in batches of ${s.batch}, this sampler has ${this.total} in batches of ${this.batch}`,
      );
    }
    if (!Number.isInteger(s.cursor) || s.cursor < 0) throw new RangeError(`sampler cursor ${s.cursor} is not a valid position`);
    this.permRng = { ...s.permRng };
    const redraw = new Rng(0);
    redraw.setState(s.permRng);
    this.perm = redraw.permutation(this.total);
    this.cursor = s.cursor;
  }
}
