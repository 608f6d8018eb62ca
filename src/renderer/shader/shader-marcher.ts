/**
 * The shader ray-marcher on a three.js WebGL2 renderer: uploads a model snapshot as textures
 * (texture-layout.ts), compiles its fragment shader (march-glsl.ts), and renders a camera into a
 * float render target, whole or a band of rows at a time (so a slow GPU never runs one long draw).
 */
import * as THREE from 'three';
import type { ModelSnapshot, PlaneData } from '../../core/snapshot/model-snapshot';
import { planeShape } from '../../core/field/vm-kernels';
import { MARCH_VERTEX, marchFragment } from './march-glsl';
import { groups4, linesTexture, planeLayers, textureNeeds, weightsTexture } from './texture-layout';

/** A pinhole camera for one frame: row-major c2w pose, focal length in pixels of this frame. */
export interface MarchCamera {
  pose: number[];
  focal: number;
  width: number;
  height: number;
}

export const OUTPUT_CODES = { rgb: 0, depth: 1, acc: 1 } as const;

/** Why this renderer cannot run the shader viewer at all (null: it can). */
export function shaderSupport(renderer: THREE.WebGLRenderer): string | null {
  const gl = renderer.getContext();
  if (!(typeof WebGL2RenderingContext !== 'undefined' && gl instanceof WebGL2RenderingContext)) return 'WebGL2 is not available';
  if (!gl.getExtension('EXT_color_buffer_float')) return 'float render targets (EXT_color_buffer_float) are not available';
  return null;
}

/** Why this model does not fit the context's texture limits (null: it fits). */
export function textureLimitProblem(gl: WebGL2RenderingContext, s: ModelSnapshot): string | null {
  const need = textureNeeds(s);
  const maxSide = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
  const maxLayers = gl.getParameter(gl.MAX_ARRAY_TEXTURE_LAYERS) as number;
  const max3d = gl.getParameter(gl.MAX_3D_TEXTURE_SIZE) as number;
  if (need.side > maxSide) return `the model needs ${need.side}-texel textures; this GPU allows ${maxSide}`;
  if (need.layers > maxLayers) return `the model needs ${need.layers} texture layers; this GPU allows ${maxLayers}`;
  if (need.side3d > max3d) return `the alpha mask needs a ${need.side3d}-texel 3D texture; this GPU allows ${max3d}`;
  return null;
}

function planeTexture(data: PlaneData, shape: [number, number, number]): THREE.DataArrayTexture {
  const [H, W, C] = shape;
  const t = new THREE.DataArrayTexture(planeLayers(data, H, W, C), W, H, groups4(C));
  t.format = THREE.RGBAFormat;
  t.type = data instanceof Uint16Array ? THREE.HalfFloatType : THREE.FloatType;
  return nearest(t);
}

function nearest<T extends THREE.Texture>(t: T): T {
  t.minFilter = THREE.NearestFilter;
  t.magFilter = THREE.NearestFilter;
  t.generateMipmaps = false;
  t.unpackAlignment = 1;
  t.needsUpdate = true;
  return t;
}

function floatTexture(data: Float32Array, width: number, height: number): THREE.DataTexture {
  return nearest(new THREE.DataTexture(data, width, height, THREE.RGBAFormat, THREE.FloatType));
}

export class ShaderMarcher {
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.OrthographicCamera(-1, 1, 1, -1, 0, 1);
  private readonly quad: THREE.Mesh;
  private material: THREE.RawShaderMaterial | null = null;
  private textures: THREE.Texture[] = [];
  private current: ModelSnapshot | null = null;
  /** The last shader compile or link error (three's onShaderError). */
  shaderError: string | null = null;

  constructor(private readonly renderer: THREE.WebGLRenderer) {
    this.quad = new THREE.Mesh(new THREE.PlaneGeometry(2, 2));
    this.quad.frustumCulled = false;
    this.scene.add(this.quad);
    renderer.debug.onShaderError = (gl, program, vs, fs) => {
      this.shaderError = `${gl.getProgramInfoLog(program) ?? ''} ${gl.getShaderInfoLog(fs) ?? ''} ${gl.getShaderInfoLog(vs) ?? ''}`.trim();
    };
  }

  get snapshot(): ModelSnapshot | null {
    return this.current;
  }

  /** Uploads a snapshot (replacing the last one). Returns why it cannot be drawn, or null. */
  load(s: ModelSnapshot): string | null {
    const gl = this.renderer.getContext() as WebGL2RenderingContext;
    const problem = textureLimitProblem(gl, s);
    if (problem) return problem;
    const sameShader = this.current !== null && sameShape(this.current, s);
    this.disposeTextures();
    const plane = (data: PlaneData, p: number, C: number) => planeTexture(data, planeShape(s.reso, p, C));
    const lines = linesTexture(s);
    const weights = weightsTexture(s);
    const uniforms: Record<string, THREE.IUniform> = {
      uDensityPlane0: { value: plane(s.densityPlanes[0], 0, s.densityComps) },
      uDensityPlane1: { value: plane(s.densityPlanes[1], 1, s.densityComps) },
      uDensityPlane2: { value: plane(s.densityPlanes[2], 2, s.densityComps) },
      uAppPlane0: { value: plane(s.appPlanes[0], 0, s.appComps) },
      uAppPlane1: { value: plane(s.appPlanes[1], 1, s.appComps) },
      uAppPlane2: { value: plane(s.appPlanes[2], 2, s.appComps) },
      uLines: { value: floatTexture(lines.data, lines.width, lines.height) },
      uWeights: { value: floatTexture(weights.data, weights.width, weights.height) },
      uRot: { value: new THREE.Matrix3() },
      uOrigin: { value: new THREE.Vector3() },
      uFocal: { value: 1 },
      uSize: { value: new THREE.Vector2(1, 1) },
      uOutput: { value: 0 },
    };
    if (s.mask && s.maskData) {
      const [nx, ny, nz] = s.mask.reso;
      const m = new THREE.Data3DTexture(s.maskData, nx, ny, nz);
      m.format = THREE.RedIntegerFormat;
      m.type = THREE.UnsignedByteType;
      m.internalFormat = 'R8UI';
      uniforms.uMask = { value: nearest(m) };
    }
    this.textures = Object.values(uniforms)
      .map((u) => u.value)
      .filter((v): v is THREE.Texture => v instanceof THREE.Texture);
    if (sameShader && this.material) {
      // same sizes and decoder: the compiled program stays, only the textures change
      for (const [k, u] of Object.entries(uniforms)) this.material.uniforms[k] = u;
    } else {
      this.material?.dispose();
      this.shaderError = null;
      this.material = new THREE.RawShaderMaterial({
        glslVersion: THREE.GLSL3,
        vertexShader: MARCH_VERTEX,
        fragmentShader: marchFragment(s, weights.layout),
        uniforms,
        depthTest: false,
        depthWrite: false,
      });
      this.quad.material = this.material;
    }
    this.current = s;
    return null;
  }

  /** Renders `cam` into `target` (sized cam.width x cam.height), rows y0..y1 from the bottom (default: all). */
  render(target: THREE.WebGLRenderTarget, cam: MarchCamera, output: keyof typeof OUTPUT_CODES, rows?: [number, number]): void {
    if (!this.material) throw new Error('ShaderMarcher.render: no model loaded');
    const u = this.material.uniforms;
    const p = cam.pose;
    (u.uRot.value as THREE.Matrix3).set(p[0], p[1], p[2], p[4], p[5], p[6], p[8], p[9], p[10]);
    (u.uOrigin.value as THREE.Vector3).set(p[3], p[7], p[11]);
    u.uFocal.value = cam.focal;
    (u.uSize.value as THREE.Vector2).set(cam.width, cam.height);
    u.uOutput.value = OUTPUT_CODES[output];
    const [y0, y1] = rows ?? [0, cam.height];
    target.scissor.set(0, y0, cam.width, y1 - y0);
    target.scissorTest = true;
    const prev = this.renderer.getRenderTarget();
    this.renderer.setRenderTarget(target);
    this.renderer.render(this.scene, this.camera);
    this.renderer.setRenderTarget(prev);
  }

  /** The target's pixels, RGBA floats, bottom row first (waits for the GPU). */
  read(target: THREE.WebGLRenderTarget): Float32Array {
    const out = new Float32Array(target.width * target.height * 4);
    this.renderer.readRenderTargetPixels(target, 0, 0, target.width, target.height, out);
    return out;
  }

  dispose(): void {
    this.disposeTextures();
    this.material?.dispose();
    this.quad.geometry.dispose();
  }

  private disposeTextures(): void {
    for (const t of this.textures) t.dispose();
    this.textures = [];
  }
}

/** A float render target for frames of this size. */
export function marchTarget(width: number, height: number, linear: boolean): THREE.WebGLRenderTarget {
  const filter = linear ? THREE.LinearFilter : THREE.NearestFilter;
  return new THREE.WebGLRenderTarget(width, height, {
    type: THREE.FloatType,
    format: THREE.RGBAFormat,
    depthBuffer: false,
    minFilter: filter,
    magFilter: filter,
    generateMipmaps: false,
  });
}

/** Whether two snapshots compile to the same shader (every size, constant and the decoder agree). */
function sameShape(a: ModelSnapshot, b: ModelSnapshot): boolean {
  const key = (s: ModelSnapshot) =>
    JSON.stringify([s.box, s.reso, s.densityComps, s.appComps, s.appDim, s.decoder, s.mask, s.render, s.planes]);
  return key(a) === key(b);
}
