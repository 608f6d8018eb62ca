/**
 * Which WebGPU adapter Dawn gives on this machine, as one JSON line on stdout:
 * `{"device":"...","software":false}`, `{"device":null}` when there is none, or `{"error":"..."}`.
 * device.sh runs it (bundled) before starting anything on a lent GPU machine.
 */
import { webgpuAdapter } from '../../src/core/backend';

try {
  const a = await webgpuAdapter();
  process.stdout.write(`${JSON.stringify(a ?? { device: null, software: false })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: e instanceof Error ? e.message.split('\n')[0] : String(e) })}\n`);
}
process.exit(0);
