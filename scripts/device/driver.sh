#!/usr/bin/env bash
# The long part of a lent-GPU session, started once by device.sh in its own process session
# (setsid), so that it outlives the call that started it (the device README: such a process runs
# until the machine goes back). In order, each phase named in S/status and timed in
# S/results/phases.tsv:
#   bench-early  the thesis step shape, steps 31-35 of a real run (dispatch timing, then --sync-phases)
#   wait-data    until every part is staged (data.complete)
#   train        the thesis preset (7000 iterations, 800x800, mlp) on webgpu with its final
#                evaluation of all 200 test views; events timestamped in results/train-events.tsv
#   bench-late   thesis steps from the run's checkpoint at iteration 6000 (after the last upsample)
#   done
# nvidia-smi is polled every 0.5 s into results/gpu-memory.csv throughout.
# TENSORF_DEVICE_DRY=1 shrinks every phase to a few small steps (the local dry run on lavapipe).
#   bash driver.sh STATE_DIR
set -uo pipefail
S=${1:?usage: driver.sh STATE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=gpu-env.sh
source "$here/gpu-env.sh"
R=$S/results T=$S/tools D=$S/stage/lego
mkdir -p "$R"
echo $$ >"$S/driver.pid"
now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }
phase() {
  printf '%s\t%s\n' "$(now)" "$1" >>"$R/phases.tsv"
  echo "$1" >"$S/status"
  echo "[driver $(date -u +%T)] $1${2:+: $2}"
}
runjs() { "$T/node" --experimental-wasm-relaxed-simd "$@"; }
progress() { tr '\r' '\n' | grep -v '^ *$' | grep -v 'iteration [0-9]*/[0-9]* (to reach' || true; }

if [ "${TENSORF_DEVICE_DRY:-0}" = 1 ]; then
  small=(--downscale 16 --batch 256 --grid-start 32 --grid-end 48)
  early=(--from-iteration 2 --iters 2 "${small[@]}")
  train=(--iterations 26 "${small[@]}" --upsample-at 12,18 --alpha-mask-at 1000 --vis-every 12 --vis-views 2 --eval-views 2 --checkpoint-every 6)
  late_at=18 late=(--iters 2) # the checkpoint at 18 (after the last upsample): steps 24-25 of 26
else
  early=(--from-iteration 30 --iters 5)
  train=()
  late_at=6000 late=(--iters 5)
fi

if command -v nvidia-smi >/dev/null; then
  (
    echo 'time,memory_used_mib,utilization_pct,apps_pid_mib'
    while :; do
      m=$(timeout 5 nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv,noheader,nounits 2>/dev/null | head -1 | tr -d ' ')
      a=$(timeout 5 nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits 2>/dev/null | tr -d ' ' | tr ',' ':' | tr '\n' ';')
      echo "$(now),$m,$a"
      sleep 0.5
    done
  ) >"$R/gpu-memory.csv" &
  poller=$!
  trap 'kill $poller 2>/dev/null' EXIT
fi

phase bench-early
until [ -f "$S/early.ready" ]; do sleep 2; done
for mode in dispatch synced; do
  extra=()
  [ $mode = synced ] && extra=(--sync-phases)
  runjs "$T/bench.mjs" --backends webgpu --cases thesis-early --data "$D" "${early[@]}" "${extra[@]}" \
    --out "$R/bench-early-$mode.json" 2>&1 >/dev/null | progress
done

phase wait-data
until [ -f "$S/data.complete" ]; do sleep 2; done

phase train "thesis preset, mlp, webgpu${train[*]:+ (dry run: ${train[*]})}"
# Each NDJSON event with the time it arrived; the first checkpoint at or after late_at is kept for bench-late.
runjs "$T/train.mjs" --preset thesis --decoder mlp --backend webgpu --data "$D" --out "$S/run" --json "${train[@]}" 2>"$R/train-stderr.log" |
  while IFS= read -r line; do
    printf '%s\t%s\n' "$(now)" "$line"
    if [ ! -f "$S/late.trf" ] && [[ $line == *'"type":"checkpoint"'* ]] && [[ $line =~ \"iteration\":([0-9]+) ]] &&
      [ "${BASH_REMATCH[1]}" -ge "$late_at" ]; then
      cp "$S/run/checkpoint.trf" "$S/late.trf.tmp" && mv "$S/late.trf.tmp" "$S/late.trf"
    fi
  done >"$R/train-events.tsv"
echo "${PIPESTATUS[0]}" >"$R/train.rc"
tail -5 "$R/train-stderr.log"

phase bench-late
if [ "${TENSORF_DEVICE_LATE:-1}" = 0 ]; then
  echo "bench-late skipped (TENSORF_DEVICE_LATE=0)"
elif [ -f "$S/late.trf" ]; then
  for mode in dispatch synced; do
    extra=()
    [ $mode = synced ] && extra=(--sync-phases)
    runjs "$T/bench.mjs" --backends webgpu --cases thesis-late --checkpoint "$S/late.trf" --data "$D" "${late[@]}" "${extra[@]}" \
      --out "$R/bench-late-$mode.json" 2>&1 >/dev/null | progress
  done
else
  echo "no checkpoint at or after iteration $late_at was written; bench-late skipped"
fi
phase done
