-- CONTRACT §9. Projections (rebuilt by replay, compared by verify):
-- everyone who created a manifest or changed its passenger list (two-person rule by name);
CREATE TABLE manifest_editors (manifest_id TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (manifest_id, name));
-- approved manifests sent back to `screened` by a late record or a correction;
CREATE TABLE manifest_reopened (seq INTEGER NOT NULL, manifest_id TEXT NOT NULL, person_id TEXT NOT NULL, cause TEXT NOT NULL, PRIMARY KEY (seq, manifest_id, person_id));
-- identity-fact corrections, proposed then confirmed by a second person;
CREATE TABLE corrections (id TEXT PRIMARY KEY, person_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL, proposed_by TEXT NOT NULL, proposed_seq INTEGER NOT NULL, state TEXT NOT NULL, confirmed_by TEXT, confirmed_seq INTEGER);
CREATE INDEX corrections_person ON corrections (person_id);
-- every justification ever given for approving a `needs_review` passenger (oversight);
CREATE TABLE approval_justifications (seq INTEGER NOT NULL, manifest_id TEXT NOT NULL, person_id TEXT NOT NULL, text TEXT NOT NULL, approver TEXT NOT NULL, PRIMARY KEY (seq, person_id));
-- the leaves of each manifest's life (counsel's notices);
CREATE TABLE manifest_events (manifest_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (manifest_id, seq));
-- class-wide court orders and the persons an officer tagged with a class.
CREATE TABLE class_orders (seq INTEGER PRIMARY KEY, class_id TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX class_orders_class ON class_orders (class_id);
CREATE TABLE person_classes (person_id TEXT NOT NULL, class_id TEXT NOT NULL, PRIMARY KEY (person_id, class_id));
-- Service state, not custody state: departures the gate refused (the refusal itself writes
-- nothing to the ledger; auditors read these in `report overrides`).
CREATE TABLE departure_refusals (at TEXT NOT NULL, actor TEXT NOT NULL, manifest_id TEXT NOT NULL, detail TEXT NOT NULL);
