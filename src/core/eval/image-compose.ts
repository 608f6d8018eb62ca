/** Composing HWC RGB float images for display and saving. */

export interface RgbImage {
  data: Float32Array;
  width: number;
  height: number;
}

/** Concatenates same-sized HWC RGB images left to right: result is (n * width) x height. */
export function sideBySide(images: Float32Array[], width: number, height: number): RgbImage {
  const n = images.length;
  const rowLen = width * 3;
  for (const im of images) {
    if (im.length !== rowLen * height) throw new Error(`sideBySide: image of ${im.length} floats, expected ${rowLen * height}`);
  }
  const outW = width * n;
  const data = new Float32Array(outW * height * 3);
  for (let y = 0; y < height; y++) {
    for (let k = 0; k < n; k++) {
      data.set(images[k].subarray(y * rowLen, (y + 1) * rowLen), (y * outW + k * width) * 3);
    }
  }
  return { data, width: outW, height };
}
