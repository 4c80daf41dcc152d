#!/usr/bin/env bash
# Server benchmark (docs/bench/server.md): wrk on loopback against the `cecot` demo world.
# Bounded runs only (wrk -d), loopback only. Needs: wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/custodia}
DIR=${DIR:-$(mktemp -d)}
DB="$DIR/cecot.db"
PORT=${PORT:-18181}
DURATION=${DURATION:-10s}
[ -x "$BIN" ] || cargo build --release -p custodia-cli
if [ ! -f "$DB" ]; then
  /usr/bin/time -f "demo build: %e s, max RSS %M KiB" "$BIN" --db "$DB" demo --scale cecot
fi
TOKEN=$("$BIN" --db "$DB" token create --role auditor --name bench)
RUST_LOG=warn "$BIN" --db "$DB" serve --addr "127.0.0.1:$PORT" --no-locate-limits &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
rss() { awk '/VmRSS/ {print $2 " KiB"}' "/proc/$PID/status"; }
echo "RSS after start: $(rss)"
# Warm the locator index (built on first query).
curl -sf "http://127.0.0.1:$PORT/api/v1/locate?family=Hernandez&given=Jose&country=SV" >/dev/null
echo "RSS with the locator index: $(rss)"
PID_OF_PERSON=$(curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/persons?q=P-020000" | sed -n 's/.*"person_id":"\([^"]*\)".*/\1/p' | head -1)
PERSON=${PID_OF_PERSON:-P-020000}
echo "== GET /api/v1/locate (anonymous, rate limit lifted) =="
wrk -t2 -c32 -d"$DURATION" --latency "http://127.0.0.1:$PORT/api/v1/locate?family=Hernandez%20Lopez&given=Jose&country=SV"
echo "== GET /api/v1/persons/$PERSON (auditor token; each read appends a person_read event) =="
wrk -t2 -c32 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/persons/$PERSON"
# Every read on a different person (scripts/persons.lua rotates the ids); each is on the
# ledger (group commit, server::reads) before its answer is sent.
PERSONS=$(sqlite3 "$DB" 'SELECT COUNT(*) FROM persons' 2>/dev/null || echo 46000)
for run in 1 2 3; do
  echo "== GET /api/v1/persons/{id}, ids rotating, run $run; load average: $(cut -d' ' -f1-3 /proc/loadavg) =="
  PERSONS=$PERSONS wrk -t2 -c"${CONNS:-64}" -d"$DURATION" --latency -s scripts/persons.lua \
    -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT"
done
SIZE_AFTER=$(curl -sf "http://127.0.0.1:$PORT/api/v1/log/checkpoint" | sed -n 2p)
echo "log size after the runs: $SIZE_AFTER"
echo "RSS after the runs: $(rss)"
