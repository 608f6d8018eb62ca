import { describe, expect, it } from 'vitest';
import { CameraLink, type OrbitState, sameOrbit } from '../../src/renderer/camera-link';

const at = (x: number, fovY = 0.7): OrbitState => ({ position: [x, -4, 3], target: [0, 0, 0], fovY });

function members(link: CameraLink, n: number) {
  const seen: { state: OrbitState; jump: boolean }[][] = [];
  const ms = Array.from({ length: n }, (_, i) => {
    seen.push([]);
    return link.join((state, jump) => seen[i].push({ state, jump }));
  });
  return { ms, seen };
}

describe('CameraLink', () => {
  it('tells every other member, not the one that moved', () => {
    const link = new CameraLink();
    const { ms, seen } = members(link, 3);
    expect(ms[1].publish(at(1), false)).toBe(true);
    expect(seen[0]).toEqual([{ state: at(1), jump: false }]);
    expect(seen[1]).toEqual([]);
    expect(seen[2]).toEqual([{ state: at(1), jump: false }]);
    ms[2].publish(at(2), true);
    expect(seen[1]).toEqual([{ state: at(2), jump: true }]);
    expect(link.state).toEqual(at(2));
  });

  it('ignores a state it already holds, so copies do not echo', () => {
    const link = new CameraLink();
    const { ms, seen } = members(link, 2);
    ms[0].publish(at(1), false);
    expect(ms[1].publish(at(1), false)).toBe(false);
    expect(ms[1].publish({ ...at(1), position: [1 + 1e-12, -4, 3] }, false)).toBe(false);
    expect(seen[0]).toEqual([]);
    expect(ms[1].publish(at(1, 0.8), false)).toBe(true); // a zoom (fov) is a change
    expect(seen[0]).toHaveLength(1);
  });

  it('stops telling a member that left', () => {
    const link = new CameraLink();
    const { ms, seen } = members(link, 2);
    ms[1].leave();
    expect(link.size).toBe(1);
    ms[0].publish(at(3), false);
    expect(seen[1]).toEqual([]);
  });

  it('keeps the state for members that join later, and hands out copies', () => {
    const link = new CameraLink();
    expect(link.state).toBeNull();
    const { ms } = members(link, 1);
    const s = at(5);
    ms[0].publish(s, false);
    s.position[0] = 99; // the caller's array is not the link's
    const got = link.state!;
    expect(got).toEqual(at(5));
    got.target[0] = 7;
    expect(link.state).toEqual(at(5));
  });

  it('counts one listener joined twice as two members', () => {
    const link = new CameraLink();
    const calls: number[] = [];
    const l = () => calls.push(1);
    const a = link.join(l);
    link.join(l);
    a.publish(at(1), false);
    expect(calls).toHaveLength(1);
  });

  it('compares orbit states with a relative tolerance', () => {
    expect(sameOrbit(at(1), at(1))).toBe(true);
    expect(sameOrbit(at(1), at(1.000001))).toBe(false);
    expect(sameOrbit(at(1), { ...at(1), target: [0, 0, 1e-6] })).toBe(false);
  });
});
