#!/usr/bin/env bash
# Locator benchmarks (docs/bench/locator.md): in-process recall/latency/memory at 1,000,000
# persons, then `custodia import persons` of a generated 1,000,000-row CSV and `custodia
# locate` against that store. Usage: scripts/bench_locator.sh [PERSONS]
set -euo pipefail
N="${1:-1000000}"
DIR="${BENCH_DIR:-$(mktemp -d)}"
cd "$(dirname "$0")/.."
cargo build --release -p custodia-linkage --example locator_bench --example locator_csv
cargo build --release -p custodia-cli
echo "== in-process index: build, recall, latency, calibration ($N persons)"
target/release/examples/locator_bench --persons "$N" --per-noise 500
echo "== resident memory of generating + indexing"
target/release/examples/locator_bench --persons "$N" --memory
echo "== generated CSV"
target/release/examples/locator_csv --persons "$N" > "$DIR/persons.csv"
ls -l "$DIR/persons.csv"
export CUSTODIA_CLOCK=2025-06-01T12:00:00Z
rm -f "$DIR/store.db"*
echo "== custodia import persons ($N rows)"
/usr/bin/time -f "import: %e s wall, %M KB max resident" \
  target/release/custodia --db "$DIR/store.db" import persons "$DIR/persons.csv"
echo "== re-import (idempotent)"
/usr/bin/time -f "re-import: %e s wall" \
  target/release/custodia --db "$DIR/store.db" import persons "$DIR/persons.csv"
echo "== custodia locate (reads one country's rows, builds its index, one query)"
/usr/bin/time -f "locate: %e s wall, %M KB max resident" \
  target/release/custodia --db "$DIR/store.db" locate --family Hernandez --given Jose --country SV --dob 1990-04-12 --json
echo "store: $DIR/store.db"
