/**
 * One orbit camera shared by several viewports (DOM-free). Each viewport keeps its own three.js
 * camera and OrbitControls (its own canvas and aspect) and joins the link: when the user drags in
 * one, it publishes its orbit state and every other member copies it. Publishing the state the
 * link already holds notifies nobody, so members that copy a state cannot echo it back and forth.
 */

export type Vec3 = [number, number, number];

/** Where the orbit camera is: position, the point it orbits (and looks at), vertical fov in radians. Up is +Z. */
export interface OrbitState {
  position: Vec3;
  target: Vec3;
  fovY: number;
}

/** `jump`: the camera was placed (snap, first view), not dragged: members ask for a sharp frame at once. */
export type LinkListener = (state: OrbitState, jump: boolean) => void;

export interface LinkMember {
  /** Shares this member's camera; returns whether the others were told (false: nothing changed). */
  publish(state: OrbitState, jump: boolean): boolean;
  leave(): void;
}

const EPS = 1e-9;

export function sameOrbit(a: OrbitState, b: OrbitState): boolean {
  const close = (x: number, y: number) => Math.abs(x - y) <= EPS * Math.max(1, Math.abs(x), Math.abs(y));
  return close(a.fovY, b.fovY) && a.position.every((v, i) => close(v, b.position[i])) && a.target.every((v, i) => close(v, b.target[i]));
}

const copy = (s: OrbitState): OrbitState => ({ position: [...s.position], target: [...s.target], fovY: s.fovY });

export class CameraLink {
  private current: OrbitState | null = null;
  private readonly listeners = new Set<LinkListener>();
  /** Whether the user has dragged any member (then a newly opened scene keeps the camera). */
  userMoved = false;

  /** The shared state (a copy), or null before any member published. */
  get state(): OrbitState | null {
    return this.current && copy(this.current);
  }

  get size(): number {
    return this.listeners.size;
  }

  join(listener: LinkListener): LinkMember {
    // a wrapper per member, so one function joined twice still counts as two members
    const own: LinkListener = (s, jump) => listener(s, jump);
    this.listeners.add(own);
    return {
      publish: (state, jump) => {
        if (this.current && sameOrbit(this.current, state)) return false;
        this.current = copy(state);
        for (const l of [...this.listeners]) if (l !== own && this.listeners.has(l)) l(copy(state), jump);
        return true;
      },
      leave: () => {
        this.listeners.delete(own);
      },
    };
  }
}
