-- A list or search read names every person it returned (issue 18): one event, several rows,
-- so the access log's key becomes (seq, person_id) and it says how the read was made.
CREATE TABLE access_log_new (seq INTEGER NOT NULL, actor TEXT NOT NULL, person_id TEXT NOT NULL, at TEXT NOT NULL, via TEXT NOT NULL DEFAULT 'record', PRIMARY KEY (seq, person_id));
INSERT INTO access_log_new (seq, actor, person_id, at) SELECT seq, actor, person_id, at FROM access_log;
DROP TABLE access_log;
ALTER TABLE access_log_new RENAME TO access_log;
CREATE INDEX access_log_person ON access_log (person_id, seq);
