#!/usr/bin/env bash
# Runs the PostgreSQL suites (store backends, CLI pg and backup tests) against the local
# server, starting it first if it is installed but down. Each test creates and drops its own
# database (custodia_t_*). Usage: scripts/pg_test.sh [extra cargo test args]
set -euo pipefail
export CUSTODIA_TEST_PG="${CUSTODIA_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    # Debian layout: start every installed cluster.
    pg_lsclusters -h | while read -r ver name _; do pg_ctlcluster "$ver" "$name" start || true; done
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable at 127.0.0.1:5432" >&2; exit 1; }

# The tests need a database to connect to for CREATE DATABASE; make the URL's one exist.
db="${CUSTODIA_TEST_PG##*/}"; db="${db%%\?*}"
psql "${CUSTODIA_TEST_PG%/*}/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
  || psql "${CUSTODIA_TEST_PG%/*}/postgres" -qc "CREATE DATABASE \"$db\""

cargo test -p custodia-store --test backends "$@"
cargo test -p custodia-cli --test pg --test backup "$@"
