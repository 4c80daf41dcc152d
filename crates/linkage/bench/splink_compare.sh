#!/usr/bin/env bash
# Runs custodia's reconciliation and Splink 4 (DuckDB backend) on the same generated files,
# in one run, and prints both results. Splink lives in a throwaway virtualenv under /tmp; it
# is not a project dependency and the venv is never committed.
#
# usage: crates/linkage/bench/splink_compare.sh [PERSONS] [SEED] [--combined]
#        (defaults: 40000 2025; SPLINK_VENV=... reuses an existing venv)
set -euo pipefail
PERSONS="${1:-40000}"
SEED="${2:-2025}"
MODE="${3:-}"
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
VENV="${SPLINK_VENV:-/tmp/custodia-splink-venv}"
DATA="$(mktemp -d /tmp/custodia-bench-XXXXXX)"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import splink' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'splink>=4,<5'
fi
echo "splink $("$VENV/bin/python" -c 'import splink; print(splink.__version__)')" >&2

cd "$ROOT"
cargo build --release --quiet -p custodia-linkage --example bench_reconcile
# Ours: generates the files into $DATA, then times parse + reconcile + JSON.
"${CARGO_TARGET_DIR:-target}/release/examples/bench_reconcile" "$PERSONS" "$SEED" "$DATA" $MODE | grep -E "^RESULT|^persons|^residual|^arrived|^missing persons"
# Splink on the very same files.
"$VENV/bin/python" crates/linkage/bench/splink_compare.py "$DATA" 2>/dev/null | grep '^RESULT'
rm -rf "$DATA"
