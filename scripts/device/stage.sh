#!/usr/bin/env bash
# Stages the carry parts found in DEVICE_DIR (written by pack.sh: part1/, part2/, ...) into
# STATE_DIR, in any order and any number of times (a part already staged is skipped):
#   bash scripts/device/stage.sh DEVICE_DIR STATE_DIR
# Each part's files are checked against its SHA256SUMS before anything is copied, and again after
# the copy. Markers written in STATE_DIR:
#   parts/K.ok      part K is staged          tools.ready   the tools are unpacked into tools/
#   early.ready     the early benchmark's files are there (EARLY.list)
#   data.complete   every file of ALL.SHA256 is staged and verifies
# Exit status: 0 staged (or nothing new), 4 a part of another pack, 5 a file that fails its checksum.
set -uo pipefail
dev=${1:?usage: stage.sh DEVICE_DIR STATE_DIR}
S=${2:?usage: stage.sh DEVICE_DIR STATE_DIR}
mkdir -p "$S/parts" "$S/stage"
say() { echo "stage: $*"; }
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2"; }

for p in "$dev"/part*/; do
  [ -f "$p/PACK" ] || continue
  id=$(field id "$p/PACK")
  k=$(field part "$p/PACK")
  n=$(field parts "$p/PACK")
  if [ -f "$S/PACK" ] && [ "$(field id "$S/PACK")" != "$id" ]; then
    say "$p is part $k of pack $id, but $S holds pack $(field id "$S/PACK") (from an earlier pack.sh):" \
      "carry the parts of one pack, or remove $S to start over"
    exit 4
  fi
  if [ -f "$S/parts/$k.ok" ]; then
    say "part $k of $n: already staged"
    continue
  fi
  if ! bad=$(cd "$p/files" && sha256sum -c --quiet ../SHA256SUMS 2>&1); then
    say "part $k of $n: these files do not match their checksums (a broken transfer?); carry $p again:"
    echo "$bad" | head -20
    exit 5
  fi
  cp -r "$p/files/." "$S/stage/"
  if ! bad=$(cd "$S/stage" && sha256sum -c --quiet "$p/SHA256SUMS" 2>&1); then
    say "part $k of $n: the copy into $S/stage does not verify (disk full?):"
    echo "$bad" | head -20
    exit 5
  fi
  for f in ALL.SHA256 PLAN.tsv EARLY.list; do [ -f "$S/$f" ] || cp "$p/$f" "$S/$f"; done
  [ -f "$S/PACK" ] || echo "id=$id parts=$n" >"$S/PACK"
  touch "$S/parts/$k.ok"
  say "part $k of $n: $(wc -l <"$p/SHA256SUMS") files verified and staged ($(du -sh "$p/files" | cut -f1))"
done

if [ ! -f "$S/PACK" ]; then
  say "no part staged yet (none found in $dev; carry .device/part1 first)"
  exit 0
fi
n=$(field parts "$S/PACK")
missing=$(for k in $(seq 1 "$n"); do [ -f "$S/parts/$k.ok" ] || printf '%s ' "$k"; done)

if [ ! -f "$S/tools.ready" ] && [ -d "$S/stage/tools" ]; then
  # every tools/X.xz becomes tools/X (node, the bundles, dawn.node); the rest is copied
  (cd "$S/stage/tools" && find . -type f) | while read -r f; do
    mkdir -p "$S/tools/$(dirname "$f")"
    case "$f" in
      *.xz) xz -d -T0 -c "$S/stage/tools/$f" >"$S/tools/${f%.xz}" ;;
      *) cp "$S/stage/tools/$f" "$S/tools/$f" ;;
    esac
  done
  [ -f "$S/tools/node" ] && chmod +x "$S/tools/node"
  touch "$S/tools.ready"
  say "tools unpacked into $S/tools"
fi

if [ ! -f "$S/early.ready" ] && [ -f "$S/EARLY.list" ]; then
  if (cd "$S/stage" && while read -r f; do [ -f "$f" ] || exit 1; done <"$S/EARLY.list"); then
    touch "$S/early.ready"
  fi
fi

if [ -z "$missing" ] && [ ! -f "$S/data.complete" ]; then
  if bad=$(cd "$S/stage" && sha256sum -c --quiet "$S/ALL.SHA256" 2>&1); then
    touch "$S/data.complete"
    say "all $n parts staged: $(wc -l <"$S/ALL.SHA256") files verified"
  else
    say "all parts staged, but these files do not verify:"
    echo "$bad" | head -20
    exit 5
  fi
elif [ -n "$missing" ]; then
  say "staged $(ls "$S/parts" | wc -l) of $n parts; still to carry: part ${missing% }"
fi
exit 0
