#!/usr/bin/env bash
# Prepares .device/ (git-ignored) for a run on a lent GPU machine, which has no Node.js and no
# network: Node's binary (xz), the bench and train CLIs bundled with esbuild, webgpu's linux-x64
# dawn.node, the Vulkan loader packages, and small copies of the Lego scene (about 53 MB; a carry
# may hold 64 MiB).
# Then, on the device (see scripts/device/run.sh): carry .device, run `bash .device/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.device
rm -rf "$out" && mkdir -p "$out/dist/linux-x64" "$out/gl" "$out/data"
xz -T2 -6 < "$(command -v node)" > "$out/node.xz"
for cli in bench train; do
  npx esbuild "src/cli/$cli.ts" --bundle --platform=node --format=esm --target=node20 \
    --main-fields=module,main --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
    --outfile="$out/$cli.mjs" --log-level=error
done
# webgpu's index.js (bundled above) loads dist/<platform>-<arch>/dawn.node beside the bundle
cp node_modules/webgpu/dist/linux-x64/dawn.node "$out/dist/linux-x64/"
( cd "$out/gl" && o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64'; apt-get $o download libvulkan1 >/dev/null )
node scripts/run.mjs scripts/device/small-scene.ts datasets/nerf_synthetic/lego "$out/data/lego-100" 8 100 1
node scripts/run.mjs scripts/device/small-scene.ts datasets/nerf_synthetic/lego "$out/data/lego-800" 1 10 1
cp scripts/device/run.sh "$out/run.sh"
du -sh "$out"
