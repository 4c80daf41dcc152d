-- Issue 18: a person read asks which manifests carry the person (`person_scope`, the
-- proposed transfer); without an index on the person that was a scan of every passenger
-- row (23,000 on the cecot world), which capped person reads over HTTP near 150/s.
CREATE INDEX IF NOT EXISTS manifest_passengers_person ON manifest_passengers (person_id);
