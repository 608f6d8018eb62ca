/** The shader view's DOM-free arithmetic: a test view's PSNR against 8-bit truth, the depth range, the GLSL float literals. */
import { describe, expect, it } from 'vitest';
import { depthRange } from '../../../src/renderer/shader/display';
import { glslFloat } from '../../../src/renderer/shader/march-glsl';
import { psnrAgainst } from '../../../src/renderer/shader/view-psnr';

const image = (bytes: number[], width: number, height: number) => ({ width, height, rgba: Buffer.from(bytes).toString('base64') });

describe('shader view arithmetic', () => {
  it('PSNR of floats against RGBA bytes / 255, clamping the render to [0, 1]', () => {
    // two pixels: truth (255,0,51) and (0,0,0); errors 0.1 (one channel) and 0.2, 0 (clamped 1.3 -> 1 against 255)
    const truth = image([255, 0, 51, 255, 0, 0, 0, 255], 2, 1);
    const rgb = Float32Array.from([1.3, 0.1, 0.2, 0, 0.2, 0]);
    const mse = (0.1 ** 2 + 0.2 ** 2) / 6;
    expect(psnrAgainst(rgb, truth)).toBeCloseTo(-10 * Math.log10(mse), 5);
    expect(() => psnrAgainst(new Float32Array(3), truth)).toThrow(/3 values for a 2x1 image/);
  });

  it('depth range over the pixels with enough opacity (depth is sum w t / opacity)', () => {
    const px = Float32Array.from([2, 0.5, 0, 1, 9, 0.01, 0, 1, 3, 1, 0, 1]); // t = 4, (skipped), 3
    expect(depthRange(px)).toEqual([3, 4]);
    expect(depthRange(Float32Array.from([1, 0, 0, 1]))).toBeNull();
  });

  it('writes float literals GLSL accepts', () => {
    expect(glslFloat(2)).toBe('2.0');
    expect(glslFloat(-10)).toBe('-10.0');
    expect(glslFloat(0.5)).toBe('0.5');
    expect(glslFloat(1e-10)).toBe(String(Math.fround(1e-10)));
    expect(() => glslFloat(Infinity)).toThrow(/not finite/);
  });
});
