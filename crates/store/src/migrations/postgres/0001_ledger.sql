-- PostgreSQL twin of migrations/sqlite/0001_ledger.sql: the same tables, columns and order;
-- INTEGER -> BIGINT, BLOB -> BYTEA, REAL -> DOUBLE PRECISION, and every TEXT column collates
-- "C" (byte order, as SQLite's BINARY) so `ORDER BY` agrees across backends and verify's
-- row-by-row comparison with the SQLite replay holds whatever the database's locale.
-- The ledger itself. `hashes` holds the tree hashes this leaf completes (Go tlog layout):
-- its leaf hash first, then one node hash per trailing one bit of `seq`.
CREATE TABLE meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT COLLATE "C" NOT NULL);
CREATE TABLE ledger (seq BIGINT PRIMARY KEY, body TEXT COLLATE "C" NOT NULL, hashes BYTEA NOT NULL);
CREATE TABLE checkpoints (size BIGINT PRIMARY KEY, root BYTEA NOT NULL, note TEXT COLLATE "C" NOT NULL);
