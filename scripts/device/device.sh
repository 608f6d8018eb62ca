#!/usr/bin/env bash
# The command of every call on a lent GPU machine (README "On a lent GPU" says which calls, with
# which carry and timeout):
#   [WAIT=SECONDS] bash scripts/device/device.sh
# 1. stages whatever parts of .device/ this call carried (stage.sh: checksums, any order, again
#    and again); 2. once the tools are there, sets up Vulkan and asks WebGPU for its adapter, and
#    stops with one clear line (exit 3) when there is no Vulkan driver for the GPU or WebGPU falls
#    back to a software adapter; 3. starts driver.sh once, detached (it outlives the call);
# 4. with WAIT, waits up to that many seconds for the driver to finish; 5. gathers the figures so
#    far (collect.mjs) and copies them to $OUT. State lives in /tmp/tensorf-device, which a warm
#    machine keeps between calls.
# Environment: TENSORF_DEVICE_STATE (state folder), TENSORF_DEVICE_CARRY (where the parts are,
# default .device), TENSORF_DEVICE_DRY=1 (a few small steps per phase, driver.sh),
# TENSORF_DEVICE_ALLOW_SOFTWARE=1 (go on with a software adapter: the local dry run on lavapipe),
# TENSORF_DEVICE_LATE=0 (no bench-late; read by the driver when the first call starts it).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
S=${TENSORF_DEVICE_STATE:-/tmp/tensorf-device}
carry=${TENSORF_DEVICE_CARRY:-$repo/.device}
out=${OUT:-$S/out}
wait_s=${WAIT:-0}
mkdir -p "$S/results" "$out"

collect() {
  if [ -x "$S/tools/node" ] && [ -f "$S/tools/collect.mjs" ]; then
    "$S/tools/node" "$S/tools/collect.mjs" "$S"
  else
    echo "results: $( [ -f "$S/PACK" ] && echo "parts staged: $(ls "$S/parts" | tr '\n' ' ')" || echo 'no part staged'); no tools yet (they come in part 1)"
  fi
}

copy_out() {
  [ -f "$S/results.json" ] && cp "$S/results.json" "$out/"
  [ -f "$S/results/benches.json" ] && cp "$S/results/benches.json" "$out/"
  for f in train-events.tsv gpu-memory.csv driver.log train-stderr.log; do
    [ -f "$S/results/$f" ] && cp "$S/results/$f" "$out/"
  done
  [ -f "$S/run/renders/index.json" ] && cp "$S/run/renders/index.json" "$out/renders-index.json"
  cp "$S/calls.log" "$out/" 2>/dev/null
  true
}

probe() {
  # shellcheck source=gpu-env.sh
  source "$here/gpu-env.sh"
  echo "$ICD_NOTE" | tee "$S/icd.txt"
  if command -v nvidia-smi >/dev/null; then
    timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1 >"$S/gpu.txt"
  else
    echo 'no nvidia-smi on this machine' >"$S/gpu.txt"
  fi
  echo "GPU: $(cat "$S/gpu.txt")"
  timeout 90 "$S/tools/node" "$S/tools/probe.mjs" >"$S/probe.json" 2>"$S/probe.log"
  local p why=''
  p=$(cat "$S/probe.json")
  echo "WebGPU adapter: $p"
  case "$p" in
    *'"error"'*) why="WebGPU could not start: $p" ;;
    *'"device":null'*) why='WebGPU found no adapter' ;;
    *'"software":true'*) [ "${TENSORF_DEVICE_ALLOW_SOFTWARE:-0}" = 1 ] || why="WebGPU fell back to a software adapter ($p)" ;;
    '') why="the probe printed nothing in 90 s ($(tail -3 "$S/probe.log" | tr '\n' ' '))" ;;
  esac
  if [ -n "$why" ]; then
    echo "NO VULKAN DRIVER FOR THIS GPU: $why; $ICD_NOTE. Nothing was started: give the machine back." | tee "$S/probe.failed"
  fi
}

start_driver() {
  mkdir -p "$S/bin" && cp "$here/driver.sh" "$here/gpu-env.sh" "$S/bin/"
  if command -v setsid >/dev/null; then
    setsid nohup bash "$S/bin/driver.sh" "$S" >"$S/results/driver.log" 2>&1 </dev/null &
  else # a new process session all the same, so that the driver outlives this call
    python3 -c 'import os, sys; os.setsid(); os.execvp("bash", ["bash"] + sys.argv[1:])' "$S/bin/driver.sh" "$S" \
      >"$S/results/driver.log" 2>&1 </dev/null &
  fi
  echo $! >"$S/driver.pid"
  echo "driver started (pid $!, log $S/results/driver.log)"
}

main() {
  echo "== device.sh $(date -u +%FT%TZ), state $S, parts from $carry"
  bash "$here/stage.sh" "$carry" "$S"
  local rc=$?
  if [ $rc != 0 ]; then
    collect
    copy_out
    return $rc
  fi
  [ -f "$S/tools.ready" ] && [ ! -f "$S/probe.json" ] && probe
  if [ -f "$S/probe.failed" ]; then
    cat "$S/probe.failed"
    collect
    copy_out
    return 3
  fi
  if [ -f "$S/probe.json" ] && [ ! -f "$S/driver.pid" ]; then start_driver; fi
  if [ "$wait_s" -gt 0 ] && [ -f "$S/driver.pid" ]; then
    local end=$((SECONDS + wait_s)) next=$((SECONDS + 30))
    echo "waiting up to $wait_s s for the driver"
    while [ $SECONDS -lt $end ]; do
      [ "$(cat "$S/status" 2>/dev/null)" = done ] && break
      if [ "$(cat "$S/status" 2>/dev/null)" = wait-data ] && [ ! -f "$S/data.complete" ]; then
        echo "the driver waits for parts not carried yet (the stage: line above names them); carry them"
        break
      fi
      [ -e "/proc/$(cat "$S/driver.pid")" ] || break
      if [ $SECONDS -ge $next ]; then
        collect && copy_out # what a call cut short leaves in $OUT
        next=$((SECONDS + 30))
      fi
      sleep 2
    done
  fi
  collect
  copy_out
  if [ -f "$S/driver.pid" ] && [ ! -e "/proc/$(cat "$S/driver.pid")" ] && [ "$(cat "$S/status" 2>/dev/null)" != done ]; then
    echo "the driver is gone before its end; the last lines of its log:"
    tail -20 "$S/results/driver.log"
  fi
  echo "== files in \$OUT: $(ls "$out" | tr '\n' ' ')"
}

main 2>&1 | tee -a "$S/calls.log"
exit "${PIPESTATUS[0]}"
