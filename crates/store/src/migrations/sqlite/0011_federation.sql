-- CONTRACT §10 "Two governments" (issue 16). Projections, rebuilt by replay (project.rs).
-- The other governments' stores this one knows (`peer_added`); `facilities` is `;`-separated.
CREATE TABLE peers (name TEXT PRIMARY KEY, url TEXT NOT NULL, log_key TEXT NOT NULL, facilities TEXT NOT NULL, seq INTEGER NOT NULL);
-- Hand-overs, both ways: `out` (this store sent the document; it is the outbox until a
-- receipt is recorded) and `in` (a peer's document, received). `state`: `sent` or
-- `receipted`. `receipt` is the signed receipt note (out) or the receipt's text (in).
CREATE TABLE handovers (doc_hash TEXT NOT NULL, direction TEXT NOT NULL, peer TEXT NOT NULL, manifest_id TEXT NOT NULL, document TEXT, state TEXT NOT NULL, issued_seq INTEGER NOT NULL, receipt TEXT, receipt_seq INTEGER, PRIMARY KEY (doc_hash, direction));
CREATE INDEX handovers_manifest ON handovers (manifest_id);
