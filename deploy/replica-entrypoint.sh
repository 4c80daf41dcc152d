#!/bin/bash
# A hot standby of `primary`: cloned once with pg_basebackup (-R writes standby.signal and
# primary_conninfo), then started; later starts reuse the data directory.
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
  until pg_basebackup -h primary -U postgres -D "$PGDATA" -R -X stream -S replica1 -c fast; do
    echo "waiting for the primary…"; rm -rf "${PGDATA:?}"/*; sleep 2
  done
fi
exec postgres -c hot_standby=on
