#!/usr/bin/env bash
# Runs on the device machine from the repository root, with .device carried:
#   bash .device/run.sh   (results go to $OUT/bench-*.json and $OUT/log)
set -uo pipefail
d=.device
mkdir -p /tmp/node/bin && xz -d < "$d/node.xz" > /tmp/node/bin/node && chmod +x /tmp/node/bin/node
export PATH=/tmp/node/bin:$PATH XDG_RUNTIME_DIR=/tmp
for f in "$d"/gl/*.deb; do dpkg -x "$f" /; done; ldconfig
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
nvidia-smi --query-gpu=name,memory.total --format=csv 2>&1 | tail -1
out=${OUT:-/tmp/out}; mkdir -p "$out"
# Which adapter WebGPU gets: a software one (or none) means no Vulkan driver for this GPU was found.
probe=$(node "$d/train.mjs" --backend webgpu --preset smoke --dry-run 2>&1 >/dev/null | grep -E '^(backend|error)' | head -1)
echo "$probe" | tee "$out/adapter.txt"
case "$probe" in
  *"software adapter"* | error*)
    echo "no Vulkan driver for this machine's GPU (WebGPU: ${probe#*: }); check that VK_DRIVER_FILES names the NVIDIA ICD (/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json) and that libvulkan1 from .device/gl was unpacked" | tee -a "$out/adapter.txt"
    exit 3 ;;
esac
# thesis step shape (4096 rays, 128^3) on webgpu, steps 31-35 of a real thesis run (dispatch
# timing, then device time per phase with --sync-phases), then the quick preset's steps, then cpu for reference
node "$d/bench.mjs" --backends webgpu --cases thesis-early --data "$d/data/lego-800" --from-iteration 30 --iters 5 --out "$out/bench-thesis-webgpu.json" 2>&1 | tr '\r' '\n' | tail -3
node "$d/bench.mjs" --backends webgpu --cases thesis-early --data "$d/data/lego-800" --from-iteration 30 --iters 5 --sync-phases --out "$out/bench-thesis-webgpu-synced.json" 2>&1 | tr '\r' '\n' | tail -3
node "$d/bench.mjs" --backends webgpu,cpu --cases quick --data "$d/data/lego-100" --downscale 1 --from-iteration 30 --iters 5 --out "$out/bench-quick.json" 2>&1 | tr '\r' '\n' | tail -4
