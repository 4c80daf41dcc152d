-- What housing must respect for each person (event `separation_recorded`).
CREATE TABLE separation (person_id TEXT PRIMARY KEY, groups TEXT NOT NULL, separate_from TEXT NOT NULL, avoid_persons TEXT NOT NULL, seq BIGINT NOT NULL);
