-- A list or search read names every person it returned (issue 18): one event, several rows,
-- so the access log's key becomes (seq, person_id) and it says how the read was made.
ALTER TABLE access_log DROP CONSTRAINT access_log_pkey;
ALTER TABLE access_log ADD PRIMARY KEY (seq, person_id);
ALTER TABLE access_log ADD COLUMN via TEXT COLLATE "C" NOT NULL DEFAULT 'record';
CREATE INDEX access_log_person ON access_log (person_id, seq);
