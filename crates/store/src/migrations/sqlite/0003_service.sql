-- Service state that is not custody state and so is not in the ledger: API tokens (only
-- their SHA-256 is kept), browser sessions, idempotency keys, the locator's query counter.
CREATE TABLE tokens (hash TEXT PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, facility_id TEXT, created_at TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, token_hash TEXT NOT NULL, csrf TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE idempotency (key TEXT NOT NULL, token_hash TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL, response TEXT NOT NULL, PRIMARY KEY (key, token_hash));
CREATE TABLE locator_counts (day TEXT PRIMARY KEY, anonymous INTEGER NOT NULL, authenticated INTEGER NOT NULL);
