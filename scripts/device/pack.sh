#!/usr/bin/env bash
# Builds the carry for a lent GPU machine (no Node.js, no network there) as parts of at most
# 64 MiB less this checkout's travelling files (less 3 MiB of margin), in .device/ (git-ignored):
#   part1   the tools (Node's binary, the bench, train, probe and collect CLIs bundled with esbuild,
#           webgpu's linux-x64 dawn.node, all xz-compressed; the Vulkan loader package) and the
#           first scene files (the early benchmark's views first)
#   part2.. the rest of the Lego scene's train and test images, as they are (their checksums are
#           the original files')
# One call per part, each carrying one: README "On a lent GPU".
#   bash scripts/device/pack.sh [SCENE_DIR]   (default datasets/nerf_synthetic/lego)
set -euo pipefail
cd "$(dirname "$0")/../.."
scene=${1:-datasets/nerf_synthetic/lego}
out=.device
build=$out/build
rm -rf "$out" && mkdir -p "$build/dist/linux-x64" "$build/gl"
xz -T0 -6 <"$(command -v node)" >"$build/node.xz"
for cli in src/cli/bench.ts src/cli/train.ts scripts/device/probe.ts scripts/device/collect.ts; do
  name=$(basename "$cli" .ts)
  npx esbuild "$cli" --bundle --platform=node --format=esm --target=node20 \
    --main-fields=module,main --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
    --outfile="$build/$name.mjs" --log-level=error
  xz -T0 -9 "$build/$name.mjs"
done
# webgpu's index.js (bundled above) loads dist/<platform>-<arch>/dawn.node beside the bundle
xz -T0 -9 <node_modules/webgpu/dist/linux-x64/dawn.node >"$build/dist/linux-x64/dawn.node.xz"
(cd "$build/gl" && apt-get -oAPT::Architecture=amd64 -oAPT::Architectures=amd64 download libvulkan1 >/dev/null 2>&1)
ls "$build"/gl/libvulkan1_*.deb >/dev/null
# What travels besides the carry: this checkout's tracked and untracked-not-ignored files.
tree=$(git ls-files -z -c -o --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
budget=$((64 * 1024 * 1024 - tree - 3 * 1024 * 1024))
echo "checkout files that travel with every call: $((tree / 1024)) KiB; budget per part: $((budget / 1024 / 1024)) MiB"
node scripts/run.mjs scripts/device/pack-parts.ts "$build" "$scene" "$out" "$budget"
rm -rf "$build"
du -sh "$out"/part*
