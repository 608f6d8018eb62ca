/**
 * The viewport's keyboard (DOM-free): which key does what, and the orbit camera after a move.
 * W/S or Up/Down dolly toward / away from the orbit target; A/D or Left/Right orbit around it,
 * about the +Z axis through the target; Space toggles pause.
 */
import type { OrbitPlacement } from './camera-math';

export type KeyAction = 'in' | 'out' | 'left' | 'right' | 'pause';

const KEYS: Record<string, KeyAction> = {
  w: 'in',
  arrowup: 'in',
  s: 'out',
  arrowdown: 'out',
  a: 'left',
  arrowleft: 'left',
  d: 'right',
  arrowright: 'right',
  ' ': 'pause',
};

/** What a KeyboardEvent.key does (null: nothing; modifier chords are left to the browser). */
export function keyAction(key: string, modifiers = false): KeyAction | null {
  if (modifiers) return null;
  return KEYS[key.toLowerCase()] ?? null;
}

/** Distance to the target is multiplied by this per W press (divided per S press). */
export const DOLLY_FACTOR = 0.9;
/** Radians the camera orbits per A/D press. */
export const ORBIT_STEP = (5 * Math.PI) / 180;
/** The camera never gets closer to the target than this. */
export const MIN_DISTANCE = 0.05;

/** The camera after one key move; the target stays where it is. */
export function moveCamera(p: OrbitPlacement, action: Exclude<KeyAction, 'pause'>): OrbitPlacement {
  const [tx, ty, tz] = p.target;
  const d = [p.position[0] - tx, p.position[1] - ty, p.position[2] - tz];
  if (action === 'in' || action === 'out') {
    const len = Math.hypot(d[0], d[1], d[2]);
    if (!(len > 0)) return { position: [...p.position], target: [...p.target] };
    const next = Math.max(MIN_DISTANCE, action === 'in' ? len * DOLLY_FACTOR : len / DOLLY_FACTOR);
    const k = next / len;
    return { position: [tx + d[0] * k, ty + d[1] * k, tz + d[2] * k], target: [tx, ty, tz] };
  }
  // 'right' moves the camera toward its own right, counter-clockwise seen from +Z; 'left' the other way
  const a = action === 'left' ? -ORBIT_STEP : ORBIT_STEP;
  const c = Math.cos(a);
  const s = Math.sin(a);
  return { position: [tx + c * d[0] - s * d[1], ty + s * d[0] + c * d[1], tz + d[2]], target: [tx, ty, tz] };
}
