/**
 * scripts/device/device.sh on a machine whose GPU WebGPU cannot use: it stops with one line
 * saying so (exit 3), names the missing Vulkan ICD for the NVIDIA GPU, starts nothing, and says
 * the same on the next call. The tools are stand-ins: a `node` that answers the probe with the
 * adapter under test, and an `nvidia-smi` that answers its queries.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../core/data/scene-fixture';

const DEVICE = join(__dirname, '../../scripts/device/device.sh');

function machine(probeAnswer: string): { S: string; env: NodeJS.ProcessEnv } {
  const root = tempDir('device-probe');
  const S = join(root, 'state');
  const bin = join(root, 'bin');
  mkdirSync(join(S, 'tools'), { recursive: true });
  mkdirSync(bin);
  writeFileSync(join(S, 'tools.ready'), '');
  for (const f of ['probe.mjs', 'collect.mjs']) writeFileSync(join(S, 'tools', f), '');
  const node = [
    '#!/bin/bash',
    'case "$1" in',
    `  *probe.mjs) echo '${probeAnswer}' ;;`,
    '  *collect.mjs) echo "results: stand-in" ;;',
    'esac',
  ];
  writeFileSync(join(S, 'tools', 'node'), `${node.join('\n')}\n`);
  writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/bash\necho "NVIDIA H200, 580.0, 143771 MiB"\n');
  chmodSync(join(S, 'tools', 'node'), 0o755);
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  const icd = join(root, 'lvp_icd.json'); // an ICD that is not NVIDIA's
  writeFileSync(icd, '{"ICD": {"library_path": "libvulkan_lvp.so"}}');
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    TENSORF_DEVICE_STATE: S,
    TENSORF_DEVICE_CARRY: join(root, 'no-carry'),
    OUT: join(root, 'out'),
    VK_DRIVER_FILES: icd,
    TENSORF_DEVICE_ALLOW_SOFTWARE: '0',
  };
  return { S, env };
}

const run = (env: NodeJS.ProcessEnv) => {
  const r = spawnSync('bash', [DEVICE], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: r.stdout + r.stderr };
};

describe('device.sh without a hardware WebGPU adapter', () => {
  it('stops at a software adapter with one clear line, naming the missing NVIDIA ICD, and starts nothing', () => {
    const { S, env } = machine('{"device":"llvmpipe (LLVM 15)","software":true}');
    let r = run(env);
    expect(r.status).toBe(3);
    expect(r.out).toContain('NO VULKAN DRIVER FOR THIS GPU: WebGPU fell back to a software adapter');
    expect(r.out).toContain('no Vulkan ICD for the NVIDIA GPU (looked at: ');
    expect(r.out).toContain('GPU: NVIDIA H200, 580.0, 143771 MiB');
    expect(existsSync(join(S, 'driver.pid'))).toBe(false);
    expect(readFileSync(join(env.OUT!, 'calls.log'), 'utf8')).toContain('NO VULKAN DRIVER FOR THIS GPU');
    r = run(env); // the next call says it again, without probing again
    expect(r.status).toBe(3);
    expect(r.out).toContain('NO VULKAN DRIVER FOR THIS GPU');
    expect(existsSync(join(S, 'driver.pid'))).toBe(false);
  });

  it('stops when WebGPU finds no adapter at all', () => {
    const { S, env } = machine('{"device":null,"software":false}');
    const r = run(env);
    expect(r.status).toBe(3);
    expect(r.out).toContain('NO VULKAN DRIVER FOR THIS GPU: WebGPU found no adapter');
    expect(existsSync(join(S, 'driver.pid'))).toBe(false);
  });
});
