-- CONTRACT §9. Projections (rebuilt by replay, compared by verify):
-- everyone who created a manifest or changed its passenger list (two-person rule by name);
CREATE TABLE manifest_editors (manifest_id TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C" NOT NULL, PRIMARY KEY (manifest_id, name));
-- approved manifests sent back to `screened` by a late record or a correction;
CREATE TABLE manifest_reopened (seq BIGINT NOT NULL, manifest_id TEXT COLLATE "C" NOT NULL, person_id TEXT COLLATE "C" NOT NULL, cause TEXT COLLATE "C" NOT NULL, PRIMARY KEY (seq, manifest_id, person_id));
-- identity-fact corrections, proposed then confirmed by a second person;
CREATE TABLE corrections (id TEXT COLLATE "C" PRIMARY KEY, person_id TEXT COLLATE "C" NOT NULL, field TEXT COLLATE "C" NOT NULL, value TEXT COLLATE "C" NOT NULL, reason TEXT COLLATE "C" NOT NULL, proposed_by TEXT COLLATE "C" NOT NULL, proposed_seq BIGINT NOT NULL, state TEXT COLLATE "C" NOT NULL, confirmed_by TEXT COLLATE "C", confirmed_seq BIGINT);
CREATE INDEX corrections_person ON corrections (person_id);
-- every justification ever given for approving a `needs_review` passenger (oversight);
CREATE TABLE approval_justifications (seq BIGINT NOT NULL, manifest_id TEXT COLLATE "C" NOT NULL, person_id TEXT COLLATE "C" NOT NULL, text TEXT COLLATE "C" NOT NULL, approver TEXT COLLATE "C" NOT NULL, PRIMARY KEY (seq, person_id));
-- the leaves of each manifest's life (counsel's notices);
CREATE TABLE manifest_events (manifest_id TEXT COLLATE "C" NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (manifest_id, seq));
-- class-wide court orders and the persons an officer tagged with a class.
CREATE TABLE class_orders (seq BIGINT PRIMARY KEY, class_id TEXT COLLATE "C" NOT NULL, body TEXT COLLATE "C" NOT NULL);
CREATE INDEX class_orders_class ON class_orders (class_id);
CREATE TABLE person_classes (person_id TEXT COLLATE "C" NOT NULL, class_id TEXT COLLATE "C" NOT NULL, PRIMARY KEY (person_id, class_id));
-- Service state, not custody state: departures the gate refused (the refusal itself writes
-- nothing to the ledger; auditors read these in `report overrides`).
CREATE TABLE departure_refusals (at TEXT COLLATE "C" NOT NULL, actor TEXT COLLATE "C" NOT NULL, manifest_id TEXT COLLATE "C" NOT NULL, detail TEXT COLLATE "C" NOT NULL);
