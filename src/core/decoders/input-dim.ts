/** The decoder input's size (DESIGN.md section 5), with no tensor library (the page's shader viewer reads it too). */

/** Default number of frequencies for the feature and view-direction encodings (TensoRF fea_pe / view_pe). */
export const FEA_PE = 2;
export const VIEW_PE = 2;

/** Number of columns of `decoderInput` for `inFeatures` features and a 3-vector direction: [f, d, PE(f), PE(d)]. */
export function decoderInputDim(inFeatures: number, fePe = FEA_PE, viewPe = VIEW_PE): number {
  return inFeatures + 3 + 2 * inFeatures * fePe + 2 * 3 * viewPe;
}
