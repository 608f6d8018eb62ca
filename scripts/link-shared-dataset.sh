#!/usr/bin/env bash
# Links the Lego scene from ../shared (the team's read-only copy) into datasets/, if it is there
# and datasets/nerf_synthetic/lego is not already present. Never copies or commits the data.
set -euo pipefail
cd "$(dirname "$0")/.."
target=datasets/nerf_synthetic/lego
if [ -e "$target/transforms_train.json" ]; then
  echo "dataset: $target present"
  exit 0
fi
for src in ../shared/datasets/nerf_synthetic/lego /work/shared/datasets/nerf_synthetic/lego; do
  if [ -f "$src/transforms_train.json" ]; then
    mkdir -p datasets/nerf_synthetic
    ln -sfn "$(cd "$src" && pwd)" "$target"
    echo "dataset: linked $target -> $(cd "$src" && pwd)"
    exit 0
  fi
done
echo "dataset: no Lego scene found; run 'npm run dataset:lego' (the real-data tests will fail)" >&2
exit 1
