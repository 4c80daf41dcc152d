-- The locator catches up by log position: events after a given seq.
CREATE INDEX person_events_seq ON person_events (seq);
