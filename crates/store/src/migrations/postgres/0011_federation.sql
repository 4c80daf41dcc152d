-- CONTRACT §10 "Two governments" (issue 16). Projections, rebuilt by replay (project.rs).
-- The other governments' stores this one knows (`peer_added`); `facilities` is `;`-separated.
CREATE TABLE peers (name TEXT COLLATE "C" PRIMARY KEY, url TEXT COLLATE "C" NOT NULL, log_key TEXT COLLATE "C" NOT NULL, facilities TEXT COLLATE "C" NOT NULL, seq BIGINT NOT NULL);
-- Hand-overs, both ways: `out` (this store sent the document; it is the outbox until a
-- receipt is recorded) and `in` (a peer's document, received). `state`: `sent` or
-- `receipted`. `receipt` is the signed receipt note (out) or the receipt's text (in).
CREATE TABLE handovers (doc_hash TEXT COLLATE "C" NOT NULL, direction TEXT COLLATE "C" NOT NULL, peer TEXT COLLATE "C" NOT NULL, manifest_id TEXT COLLATE "C" NOT NULL, document TEXT COLLATE "C", state TEXT COLLATE "C" NOT NULL, issued_seq BIGINT NOT NULL, receipt TEXT COLLATE "C", receipt_seq BIGINT, PRIMARY KEY (doc_hash, direction));
CREATE INDEX handovers_manifest ON handovers (manifest_id);
