-- The ledger itself. `hashes` holds the tree hashes this leaf completes (Go tlog layout):
-- its leaf hash first, then one node hash per trailing one bit of `seq`.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE ledger (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, hashes BLOB NOT NULL);
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL);
