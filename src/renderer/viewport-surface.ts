/**
 * What a viewport draws on: a WebGL canvas (the latest frame as a full-screen quad behind the
 * three.js overlay), or, without WebGL (some headless browsers), a 2D canvas with the frame only.
 */
import * as THREE from 'three';
import { flipRows } from './rgba-decode';

export interface Surface {
  canvas: HTMLCanvasElement;
  resize(w: number, h: number): void;
  setFrame(rgba: Uint8ClampedArray<ArrayBuffer>, w: number, h: number): void;
  draw(scene: THREE.Scene, camera: THREE.Camera): void;
  dispose(): void;
  /** The WebGL renderer (absent on a 2D canvas). */
  renderer?: THREE.WebGLRenderer;
  /** Draws the background instead of the last frame (the shader view), or the frame again (null). */
  setBackground?(draw: (() => void) | null): void;
}

export function webglSurface(): Surface {
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  renderer.setClearColor(0x15171c, 1);
  renderer.autoClear = false;
  const bgScene = new THREE.Scene();
  const bgCamera = new THREE.OrthographicCamera(-1, 1, 1, -1, 0, 1);
  const material = new THREE.MeshBasicMaterial({ depthTest: false, depthWrite: false, toneMapped: false });
  const quad = new THREE.Mesh(new THREE.PlaneGeometry(2, 2), material);
  quad.visible = false;
  bgScene.add(quad);
  let texture: THREE.DataTexture | null = null;
  let background: (() => void) | null = null;
  return {
    renderer,
    setBackground: (draw) => {
      background = draw;
    },
    canvas: renderer.domElement,
    resize: (w, h) => renderer.setSize(w, h, false),
    setFrame(rgba, w, h) {
      const bytes = flipRows(rgba, w, h); // rows arrive top first; texture row 0 is the bottom
      if (texture && texture.image.width === w && texture.image.height === h) {
        (texture.image.data as Uint8Array).set(bytes);
      } else {
        texture?.dispose();
        texture = new THREE.DataTexture(bytes, w, h, THREE.RGBAFormat);
        texture.colorSpace = THREE.SRGBColorSpace;
        texture.minFilter = THREE.LinearFilter;
        texture.magFilter = THREE.LinearFilter;
        texture.generateMipmaps = false;
        material.map = texture;
        material.needsUpdate = true;
      }
      texture.needsUpdate = true;
      quad.visible = true;
    },
    draw(scene, camera) {
      renderer.clear();
      if (background) background();
      else renderer.render(bgScene, bgCamera);
      renderer.render(scene, camera);
    },
    dispose() {
      texture?.dispose();
      material.dispose();
      renderer.dispose();
      renderer.forceContextLoss(); // give the context back now: browsers keep only a few
    },
  };
}

export function canvasSurface(): Surface {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d')!;
  const frame = document.createElement('canvas');
  return {
    canvas,
    resize(w, h) {
      canvas.width = Math.max(1, Math.round(w));
      canvas.height = Math.max(1, Math.round(h));
    },
    setFrame(rgba, w, h) {
      frame.width = w;
      frame.height = h;
      frame.getContext('2d')!.putImageData(new ImageData(rgba, w, h), 0, 0);
    },
    draw() {
      ctx.fillStyle = '#15171c';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      if (frame.width > 0 && frame.height > 0) ctx.drawImage(frame, 0, 0, canvas.width, canvas.height);
    },
    dispose() {},
  };
}

/** Removes and frees a group's line objects. */
export function clearGroup(group: THREE.Group): void {
  for (const child of [...group.children]) {
    group.remove(child);
    const line = child as THREE.LineSegments;
    line.geometry?.dispose();
    (line.material as THREE.Material | undefined)?.dispose();
  }
}
