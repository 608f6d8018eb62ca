/**
 * The 3D viewport: an orbit camera (+Z up), the scene box and camera frustums as lines, and behind
 * them the latest frame the Node side rendered for this camera. Frame timing is FrameScheduler's.
 * Without WebGL (some headless browsers) frames are drawn on a 2D canvas and the lines are left out.
 * Viewports that share a CameraLink move together (the compare view's entries, and the main one).
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { CameraSpec, OutputKind, Quality, SceneInfo, ServerMessage, SessionState } from '../protocol/messages';
import { decodeSnapshot } from '../core/snapshot/snapshot-codec';
import { ShaderLayer } from './shader/shader-layer';
import { CameraLink, type LinkMember, type OrbitState } from './camera-link';
import {
  type OrbitPlacement,
  cameraSpec,
  camerasAt,
  columnMajorFromRowMajor,
  fovYFromAngleX,
  frustumSegments,
  hiddenOf,
  rowMajorFromColumnMajor,
  SHARP_SIDE,
  startView,
  type ViewCamera,
} from './camera-math';
import { keyAction, moveCamera } from './camera-keys';
import { FrameScheduler } from './frame-scheduler';
import { decodeRgba } from './rgba-decode';
import { canvasSurface, clearGroup, type Surface, webglSurface } from './viewport-surface';
import { hasModel, isLive } from './status';

type FrameMessage = Extract<ServerMessage, { type: 'frame' }>;
export type RequestFrame = (id: number, camera: CameraSpec, quality: Quality) => void;

const INITIAL_POSITION = new THREE.Vector3(4, -4, 3);
const INITIAL_FOV_DEG = 40;

export class Viewport {
  readonly scheduler: FrameScheduler<ViewCamera>;
  private readonly surface: Surface;
  private readonly scene = new THREE.Scene();
  private readonly camera: THREE.PerspectiveCamera;
  private readonly controls: OrbitControls;
  private readonly overlays = new THREE.Group();
  private readonly frustums = new THREE.Group();
  private sceneInfo: SceneInfo | null = null;
  private shown = { train: true, test: false };
  /** The cameras at the eye (no frustum drawn), as a key: 'train:3,test:' */
  private eyeKey = '';
  private readonly resizeObserver: ResizeObserver;
  private readonly member: LinkMember;
  private quiet = false; // true while the code (not the user) moves the camera
  private active = true; // shown on the page (a hidden viewport asks for nothing)
  private modelReady = false;
  private live = false;
  private frameCount = 0;
  private raf = 0;
  private size = { w: 0, h: 0 };
  private maxSide = SHARP_SIDE;
  /** Space pressed while the viewport has focus (the app toggles pause/resume). */
  onPauseKey: (() => void) | null = null;
  /** The page's own ray-marcher of the model (the main viewport only), or null. */
  readonly shader: ShaderLayer | null = null;

  constructor(
    private readonly container: HTMLElement,
    requestFrame: RequestFrame,
    private readonly link: CameraLink = new CameraLink(),
    private readonly options: { shader?: boolean; outputKind?: () => OutputKind } = {},
  ) {
    THREE.Object3D.DEFAULT_UP.set(0, 0, 1);
    this.camera = new THREE.PerspectiveCamera(INITIAL_FOV_DEG, 1, 0.05, 100);
    this.camera.up.set(0, 0, 1); // before OrbitControls, which caches the up axis
    this.camera.position.copy(INITIAL_POSITION);
    this.camera.lookAt(0, 0, 0);
    let surface: Surface;
    try {
      surface = webglSurface();
    } catch (e) {
      console.warn('tensorf: WebGL unavailable, drawing frames without the 3D overlay:', (e as Error).message);
      surface = canvasSurface();
    }
    this.surface = surface;
    surface.canvas.classList.add('viewport-canvas');
    container.prepend(surface.canvas);
    if (options.shader) this.shader = new ShaderLayer(surface, container);
    container.dataset.frameCount = '0';
    this.scene.add(this.overlays, this.frustums);

    this.controls = new OrbitControls(this.camera, surface.canvas);
    this.controls.target.set(0, 0, 0);
    this.controls.update();
    this.scheduler = new FrameScheduler<ViewCamera>((id, view, quality) =>
      requestFrame(id, cameraSpec(view, quality, this.maxSide), quality),
    );
    // A viewport joining a link that has a camera takes it; the first one gives it its own.
    const shared = link.state;
    if (shared) this.applyOrbit(shared);
    this.member = link.join((state, jump) => {
      this.applyOrbit(state);
      if (jump) this.scheduler.refresh(this.view());
      else this.scheduler.moved(this.view());
    });
    if (!shared) this.member.publish(this.orbit(), false);
    this.controls.addEventListener('start', () => {
      link.userMoved = true;
    });
    this.controls.addEventListener('change', () => {
      container.dataset.cameraDistance = this.camera.position.distanceTo(this.controls.target).toFixed(4);
      container.dataset.cameraAzimuth = this.azimuth().toFixed(4);
      this.updateEye();
      this.invalidate();
      if (this.quiet) return;
      this.scheduler.moved(this.view());
      this.member.publish(this.orbit(), false);
    });
    // focusable (Tab or a click), then keys move the camera; form fields never see these keys
    surface.canvas.tabIndex = 0;
    surface.canvas.setAttribute('aria-label', 'viewport: W/S or Up/Down move in and out, A/D or Left/Right orbit, Space pauses');
    surface.canvas.addEventListener('pointerdown', () => surface.canvas.focus());
    surface.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.resize();
  }

  /** The camera as the protocol describes it (pose row-major, fovY in radians). */
  view(): ViewCamera {
    this.camera.updateMatrixWorld();
    return {
      pose: rowMajorFromColumnMajor(this.camera.matrixWorld.elements),
      fovY: THREE.MathUtils.degToRad(this.camera.fov),
      aspect: this.camera.aspect,
    };
  }

  setState(state: SessionState): void {
    this.setModel(hasModel(state), isLive(state));
  }

  /** Whether the Node side can render this viewport's model, and whether the picture follows training. */
  setModel(ready: boolean, live: boolean): void {
    this.modelReady = ready;
    this.live = live;
    this.applyScheduling();
  }

  /** Shown or hidden (a hidden viewport requests and draws nothing; shown again, it asks for a sharp frame). */
  setActive(on: boolean): void {
    if (on === this.active) return;
    this.active = on;
    if (on) {
      this.resize();
      this.invalidate();
    }
    this.applyScheduling();
  }

  setScene(scene: SceneInfo): void {
    clearGroup(this.overlays);
    const box = new THREE.Box3(new THREE.Vector3(...scene.box.min), new THREE.Vector3(...scene.box.max));
    this.overlays.add(new THREE.Box3Helper(box, new THREE.Color(0x9aa0a6)));
    this.sceneInfo = scene;
    this.eyeKey = this.eyeCameras();
    this.drawCameras();
    // first view: outside the ring of cameras, looking at the object
    if (!this.link.userMoved) {
      const fovY = scene.cameraAngleX > 0 ? fovYFromAngleX(scene.cameraAngleX, scene.aspect) : undefined;
      this.place(startView(scene), fovY);
    }
    this.invalidate();
  }

  /** Which cameras' frustums are drawn (the scene's training and test cameras). */
  setCamerasShown(train: boolean, test: boolean): void {
    if (train === this.shown.train && test === this.shown.test) return;
    this.shown = { train, test };
    this.drawCameras();
    this.invalidate();
  }

  /** The frustums shown, less the camera at the eye (looking through a camera, its own frustum would cross the picture). */
  private drawCameras(): void {
    clearGroup(this.frustums);
    const scene = this.sceneInfo;
    if (!scene) return;
    const size = new THREE.Vector3(...scene.box.max).sub(new THREE.Vector3(...scene.box.min));
    const depth = Math.max(0.05, 0.06 * size.length());
    const hidden = this.eyeKey;
    const lines = (kind: 'train' | 'test', poses: number[][], color: number) => {
      const skip = new Set(hiddenOf(hidden, kind));
      const drawn = poses.filter((_, i) => !skip.has(i));
      const geometry = new THREE.BufferGeometry();
      geometry.setAttribute('position', new THREE.BufferAttribute(frustumSegments(drawn, scene.cameraAngleX, scene.aspect, depth), 3));
      const l = new THREE.LineSegments(geometry, new THREE.LineBasicMaterial({ color }));
      l.name = kind;
      return l;
    };
    if (this.shown.train) this.frustums.add(lines('train', scene.trainPoses, 0x4aa3ff));
    if (this.shown.test) this.frustums.add(lines('test', scene.testPoses, 0xffa94a));
    this.container.dataset.frustums = String(
      (this.shown.train ? scene.trainPoses.length - hiddenOf(hidden, 'train').length : 0) +
        (this.shown.test ? scene.testPoses.length - hiddenOf(hidden, 'test').length : 0),
    );
  }

  /** The scene cameras at the camera's position, as a key (see eyeKey). */
  private eyeCameras(): string {
    const scene = this.sceneInfo;
    if (!scene) return '';
    const eye = this.camera.position.toArray();
    const size = new THREE.Vector3(...scene.box.max).sub(new THREE.Vector3(...scene.box.min)).length();
    const eps = 1e-3 * Math.max(size, 1e-3);
    return `train:${camerasAt(scene.trainPoses, eye, eps).join(',')};test:${camerasAt(scene.testPoses, eye, eps).join(',')}`;
  }

  /** After a camera move: redraws the frustums when the camera moved onto or off a scene camera. */
  private updateEye(): void {
    const key = this.eyeCameras();
    if (key === this.eyeKey) return;
    this.eyeKey = key;
    this.drawCameras();
  }

  /** Puts the camera at `p` (looking at its target), tells the link, and asks for a sharp frame. */
  private place(p: OrbitPlacement, fovY?: number): void {
    this.quiet = true;
    this.camera.position.set(...p.position);
    this.controls.target.set(...p.target);
    if (fovY !== undefined) {
      this.camera.fov = THREE.MathUtils.radToDeg(fovY);
      this.camera.updateProjectionMatrix();
    }
    this.controls.update();
    this.quiet = false;
    this.updateEye();
    this.scheduler.refresh(this.view());
    this.member.publish(this.orbit(), true);
    this.invalidate();
  }

  /**
   * Puts the camera at a row-major c2w pose (optionally with a vertical fov, radians; `pullBack`
   * > 1 moves it that many times farther from the orbit centre) and asks for a sharp frame.
   */
  setPose(pose: number[], fovY?: number, pullBack = 1): void {
    const m = new THREE.Matrix4().fromArray(columnMajorFromRowMajor(pose));
    m.decompose(this.camera.position, this.camera.quaternion, new THREE.Vector3());
    if (fovY !== undefined) {
      this.camera.fov = THREE.MathUtils.radToDeg(fovY);
      this.camera.updateProjectionMatrix();
    }
    // Orbit around the point of the view axis nearest the origin (the scene centre).
    const forward = new THREE.Vector3(0, 0, -1).applyQuaternion(this.camera.quaternion);
    let t = -this.camera.position.dot(forward);
    if (!(t > 0.1)) t = Math.max(1, this.camera.position.length());
    this.quiet = true;
    this.controls.target.copy(this.camera.position).addScaledVector(forward, t);
    if (pullBack !== 1) this.camera.position.copy(this.controls.target).addScaledVector(forward, -t * pullBack);
    this.controls.update();
    this.quiet = false;
    this.updateEye();
    this.scheduler.refresh(this.view());
    this.member.publish(this.orbit(), true);
    this.invalidate();
  }

  /** A key pressed with the viewport focused: a camera move (published and framed as a drag is), or pause. */
  private onKey(e: KeyboardEvent): void {
    const action = keyAction(e.key, e.ctrlKey || e.metaKey || e.altKey);
    if (!action) return;
    e.preventDefault(); // no page scroll on Space or the arrows
    if (action === 'pause') {
      if (!e.repeat) this.onPauseKey?.();
      return;
    }
    const o = this.orbit();
    const next = moveCamera({ position: o.position, target: o.target }, action);
    this.link.userMoved = true;
    this.camera.position.set(...next.position);
    this.controls.update(); // fires 'change': a coarse frame now, a sharp one when the keys stop
  }

  /** The camera's angle around the target in the XY plane (radians). */
  private azimuth(): number {
    const p = this.camera.position;
    const t = this.controls.target;
    return Math.atan2(p.y - t.y, p.x - t.x);
  }

  /** Largest side of a host frame: a still view is refined up to it (see FrameScheduler). */
  setMaxSide(side: number): void {
    this.maxSide = side;
    this.scheduler.setRefine(side > SHARP_SIDE);
    this.refresh();
  }

  /** A sharp frame now (the output kind changed). */
  refresh(): void {
    this.scheduler.refresh(this.view());
    this.invalidate();
  }

  /** Forgets the shader view's model (a new run loads): host frames until its snapshot comes. */
  clearModel(): void {
    this.shader?.clear();
    this.applyScheduling();
  }

  /** A model snapshot for the shader view: drawn here from now on (host frames stop) unless it cannot be. */
  showModel(bytes: Uint8Array): void {
    this.shader?.load(decodeSnapshot(bytes));
    this.container.dataset.modelIteration = String(this.shader?.snapshot?.iteration ?? '');
    this.applyScheduling();
    this.invalidate();
  }

  /** Shows a frame unless a newer one is already shown; returns whether it was shown. */
  showFrame(m: FrameMessage): boolean {
    if (!this.scheduler.accept(m.id)) return false;
    let rgba: Uint8ClampedArray<ArrayBuffer>;
    try {
      rgba = decodeRgba(m.image);
    } catch (e) {
      console.warn('tensorf: bad frame:', (e as Error).message);
      return false;
    }
    this.surface.setFrame(rgba, m.image.width, m.image.height);
    this.shader?.hostFrame(m.image.width, m.image.height, m.seconds);
    this.frameCount++;
    this.container.dataset.frameCount = String(this.frameCount);
    this.container.dataset.frameIteration = String(m.iteration);
    this.container.dataset.frameOutput = m.output;
    this.invalidate();
    return true;
  }

  dispose(): void {
    cancelAnimationFrame(this.raf);
    this.member.leave();
    this.resizeObserver.disconnect();
    this.scheduler.dispose();
    this.shader?.dispose();
    this.controls.dispose();
    this.surface.dispose();
    this.surface.canvas.remove();
  }

  /** Host frames are asked for while the model is there and the shader view does not draw it. */
  private applyScheduling(): void {
    const host = this.active && !this.shader?.drawing;
    this.scheduler.setEnabled(host && this.modelReady);
    this.scheduler.setLive(host && this.live);
  }

  /** The camera as the link shares it. */
  private orbit(): OrbitState {
    const p = this.camera.position;
    const t = this.controls.target;
    return { position: [p.x, p.y, p.z], target: [t.x, t.y, t.z], fovY: THREE.MathUtils.degToRad(this.camera.fov) };
  }

  /** Takes another member's camera without asking for frames or telling the link. */
  private applyOrbit(s: OrbitState): void {
    this.quiet = true;
    this.camera.position.set(...s.position);
    this.controls.target.set(...s.target);
    const fov = THREE.MathUtils.radToDeg(s.fovY);
    if (fov !== this.camera.fov) {
      this.camera.fov = fov;
      this.camera.updateProjectionMatrix();
    }
    this.controls.update();
    this.quiet = false;
    this.updateEye();
    this.invalidate();
  }

  private resize(): void {
    const w = Math.max(1, this.container.clientWidth);
    const h = Math.max(1, this.container.clientHeight);
    if (w === this.size.w && h === this.size.h) return;
    const first = this.size.w === 0;
    this.size = { w, h };
    this.surface.resize(w, h);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    if (first) this.scheduler.setCamera(this.view());
    else this.scheduler.refresh(this.view());
    this.invalidate();
  }

  private invalidate(): void {
    if (this.raf || !this.active) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      const output = this.options.outputKind?.() ?? 'rgb';
      const more = this.shader?.frame(this.view(), this.size.w, this.size.h, output) ?? false;
      this.surface.draw(this.scene, this.camera);
      if (more) this.invalidate(); // refining, or waiting for the camera to settle
    });
  }
}
