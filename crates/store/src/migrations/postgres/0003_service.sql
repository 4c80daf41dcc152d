-- Service state that is not custody state and so is not in the ledger: API tokens (only
-- their SHA-256 is kept), browser sessions, idempotency keys, the locator's query counter.
CREATE TABLE tokens (hash TEXT COLLATE "C" PRIMARY KEY, role TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C" NOT NULL, facility_id TEXT COLLATE "C", created_at TEXT COLLATE "C" NOT NULL, revoked BIGINT NOT NULL DEFAULT 0);
CREATE TABLE sessions (id_hash TEXT COLLATE "C" PRIMARY KEY, token_hash TEXT COLLATE "C" NOT NULL, csrf TEXT COLLATE "C" NOT NULL, expires_at TEXT COLLATE "C" NOT NULL);
CREATE TABLE idempotency (key TEXT COLLATE "C" NOT NULL, token_hash TEXT COLLATE "C" NOT NULL, request_hash TEXT COLLATE "C" NOT NULL, status BIGINT NOT NULL, response TEXT COLLATE "C" NOT NULL, PRIMARY KEY (key, token_hash));
CREATE TABLE locator_counts (day TEXT COLLATE "C" PRIMARY KEY, anonymous BIGINT NOT NULL, authenticated BIGINT NOT NULL);
