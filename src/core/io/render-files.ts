/**
 * Names of a run's test-view renders: `test_NNN_<psnr>dB.png` (the view's PSNR, two decimals;
 * `inf` for an exact render), and `renders/index.json` beside them. Older runs wrote
 * `test_NNN.png`, which every reader still accepts.
 */
export const RENDERS_INDEX = 'index.json';

/** `test_007_31.42dB.png` for view 7 at 31.4249 dB. */
export function renderFileName(view: number, psnr: number): string {
  const db = Number.isFinite(psnr) ? psnr.toFixed(2) : psnr > 0 ? 'inf' : 'nan';
  return `test_${String(view).padStart(3, '0')}_${db}dB.png`;
}

const RENDER_FILE = /^test_(\d+)(?:_(?:-?\d+\.\d+|inf|nan)dB)?\.png$/;

/** The test view id of a render's file name (either form), or null for any other name. */
export function renderFileView(name: string): number | null {
  const m = RENDER_FILE.exec(name);
  return m ? Number(m[1]) : null;
}
