#!/usr/bin/env bash
# Generate, reconcile and score one flight per seed.
#   crates/linkage/bench/third_generator/run_reconcile.sh PERSONS SEED [SEED...]
# Run from the repository root.  CUSTODIA_BIN overrides the binary
# (default target/release/custodia); data goes to /tmp/custodia-third-generator/rec-N-S.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 PERSONS SEED [SEED...]" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
persons="$1"; shift
bin="${CUSTODIA_BIN:-target/release/custodia}"
root="/tmp/custodia-third-generator"

# The binary may still be building elsewhere: wait up to WAIT_MINUTES (default 10).
waited=0
until [ -x "$bin" ]; do
  if [ "$waited" -ge "${WAIT_MINUTES:-10}" ]; then
    echo "no executable $bin after ${waited} min" >&2
    exit 1
  fi
  echo "waiting for $bin ..." >&2
  sleep 60
  waited=$((waited + 1))
done

for seed in "$@"; do
  dir="$root/rec-$persons-$seed"
  mkdir -p "$dir"
  python3 "$here/gen_reconcile.py" --persons "$persons" --seed "$seed" --out "$dir"
  set +e
  /usr/bin/time -v -o "$dir/time.txt" \
    "$bin" reconcile --manifest "$dir/manifest.csv" --intake "$dir/intake.csv" \
    --out "$dir/out.json" 2> "$dir/stderr.txt"
  rc=$?
  set -e
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/time.txt")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time.txt")
  echo "seed $seed: exit $rc, wall $wall, max RSS ${rss} kB" | tee "$dir/run.txt"
  if [ "$rc" -ne 0 ]; then
    echo "custodia reconcile failed; see $dir/stderr.txt" >&2
    tail -5 "$dir/stderr.txt" >&2
    continue
  fi
  python3 "$here/score_reconcile.py" "$dir" "$dir/out.json" | tee "$dir/summary.txt"
done
