#!/usr/bin/env bash
# The lent-GPU calls rehearsed here, without a GPU (README "On a lent GPU", "Dry run here"): after
# `bash scripts/device/pack.sh`, each part is copied into a carry folder of its own and
# device.sh runs once per call as on the device (call 1 with WAIT=300, so it returns once the
# driver waits for parts 2-3; call 3 with WAIT=600; a fourth call that must change nothing), with
# the dry-run settings (a few small steps per phase on lavapipe), the software adapter allowed, and
# a stand-in nvidia-smi that answers the memory queries with made-up figures.
#   bash scripts/device/dry-run.sh [WORK_DIR]   (default /tmp/tensorf-dry-run; removed first)
# A few minutes on 2 cores; run it under `flock /tmp/heavy.lock` where others share the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
w=${1:-/tmp/tensorf-dry-run}
[ -f .device/part1/PACK ] || { echo "no .device/part1: run bash scripts/device/pack.sh first" >&2; exit 2; }
rm -rf "$w" && mkdir -p "$w/bin"
n=$(sed -n 's/.*parts=\([0-9]*\).*/\1/p' .device/part1/PACK)
for k in $(seq 1 "$n"); do mkdir -p "$w/carry$k" && cp -r ".device/part$k" "$w/carry$k/"; done
cat >"$w/bin/nvidia-smi" <<'EOF'
#!/bin/bash
# a stand-in: made-up answers to the queries device.sh and driver.sh make
case "$*" in
  *query-gpu=memory.used*) echo "$((1000 + RANDOM % 100)), 37" ;;
  *query-compute-apps*) echo "12345, $((900 + RANDOM % 50))" ;;
  *query-gpu=name*) echo "Stand-in GPU, 0.0, 1000 MiB" ;;
  *) echo "stand-in nvidia-smi" ;;
esac
EOF
chmod +x "$w/bin/nvidia-smi"
export PATH=$w/bin:$PATH TENSORF_DEVICE_STATE=$w/state TENSORF_DEVICE_DRY=1 TENSORF_DEVICE_ALLOW_SOFTWARE=1
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-runtime}
call() { # call NUMBER CARRY_FOLDER WAIT
  local t0=$SECONDS rc=0
  TENSORF_DEVICE_CARRY=$2 OUT=$w/out$1 WAIT=$3 bash scripts/device/device.sh || rc=$?
  echo "== call $1: exit $rc after $((SECONDS - t0)) s; \$OUT: $(ls "$w/out$1" | tr '\n' ' ')"
  [ $rc = 0 ] || exit $rc
}
call 1 "$w/carry1" 300
for k in $(seq 2 $((n - 1))); do call "$k" "$w/carry$k" 0; done
call "$n" "$w/carry$n" 600
call $((n + 1)) "$w/none" 60
grep -q '"status": "done"' "$w/out$n/results.json" || { echo "the driver did not finish: see $w/out$n" >&2; exit 1; }
echo "dry run done: $w/out$n/results.json"
