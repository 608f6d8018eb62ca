/** Number formatting for the status fields (DOM-free). Missing values show as an em dash. */

export const MISSING = '—';

/** NaN arrives as null over JSON; both mean "not computed". */
const ok = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** Seconds as m:ss (minutes are not wrapped into hours: 75:03). */
export function formatEta(seconds: number | null | undefined): string {
  if (!ok(seconds) || seconds < 0) return MISSING;
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

export function formatIteration(iteration: number, total: number): string {
  return `${iteration} / ${total}`;
}

/** PSNR in dB with two decimals. */
export function formatPsnr(db: number | null | undefined): string {
  return ok(db) ? db.toFixed(2) : MISSING;
}

/** Loss: four decimals, or exponent notation when small. */
export function formatLoss(loss: number | null | undefined): string {
  if (!ok(loss)) return MISSING;
  return loss !== 0 && Math.abs(loss) < 1e-3 ? loss.toExponential(2) : loss.toFixed(4);
}

/** Iterations per second: one decimal below 100, none above. */
export function formatRate(itsPerSecond: number | null | undefined): string {
  if (!ok(itsPerSecond)) return MISSING;
  return itsPerSecond >= 100 ? itsPerSecond.toFixed(0) : itsPerSecond.toFixed(1);
}

/** SSIM with four decimals. */
export function formatSsim(ssim: number | null | undefined): string {
  return ok(ssim) ? ssim.toFixed(4) : MISSING;
}

/** A count with thousands separators: 36227 -> 36,227. */
export function formatCount(n: number | null | undefined): string {
  if (!ok(n)) return MISSING;
  const r = Math.round(n);
  return (r < 0 ? '-' : '') + String(Math.abs(r)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Seconds with one decimal (a run's training time). */
export function formatSeconds(seconds: number | null | undefined): string {
  return ok(seconds) && seconds >= 0 ? seconds.toFixed(1) : MISSING;
}
