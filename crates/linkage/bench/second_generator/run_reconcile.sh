#!/bin/sh
# The second, independent generator's reconciliation check (docs/bench/linkage.md § stop 24).
# Usage, from the repository root, after `cargo build --release -p custodia-cli`:
#   crates/linkage/bench/second_generator/run_reconcile.sh PERSONS SEED...
# Data goes under ${DATA:-/tmp/custodia-second-generator}/rec-PERSONS-SEED (never committed).
set -e
H="$(cd "$(dirname "$0")" && pwd)"
B="${CUSTODIA_BIN:-target/release/custodia}"
OUT="${DATA:-/tmp/custodia-second-generator}"
N=$1; shift
for S in "$@"; do
  D="$OUT/rec-$N-$S"
  python3 "$H/gen_reconcile.py" --persons "$N" --seed "$S" --out "$D"
  /usr/bin/time -f "reconcile seed $S: %e s elapsed, %U s user, %M KB max RSS" \
    "$B" reconcile --manifest "$D/manifest.csv" --intake "$D/intake.csv" --out "$D/out.json"
  python3 "$H/score_reconcile.py" "$D" "$D/out.json" | tee "$D/summary.txt"
done
