#!/bin/bash
# Runs once, when the primary's data directory is created: let the replica stream WAL
# over the compose network (trust, as the rest of this example; see docker-compose.yml).
set -euo pipefail
echo "host replication all all trust" >> "$PGDATA/pg_hba.conf"
psql -v ON_ERROR_STOP=1 -U postgres -c "SELECT pg_create_physical_replication_slot('replica1')"
