-- The public locator (issue 15): facilities' public contact information, and persons
-- withheld from the public locator at their own or their counsel's request.
CREATE TABLE facility_contacts (facility_id TEXT PRIMARY KEY, visiting TEXT, consular TEXT, counsel_access TEXT);
CREATE TABLE locator_withheld (person_id TEXT PRIMARY KEY, requested_by TEXT NOT NULL, reason TEXT NOT NULL, actor TEXT NOT NULL, seq BIGINT NOT NULL);
-- The occupancy of a cell (the heat map, the standards report) counts persons by cell.
CREATE INDEX persons_cell ON persons (cell_id);
