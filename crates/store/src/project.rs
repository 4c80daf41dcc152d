//! Events → projections. [`apply`] is the only code that writes a projection table, and
//! `verify` runs it again over the whole log into an empty database to prove the stored
//! tables equal a replay.
//!
//! INVARIANT: `apply` reads nothing but the event and the tables it writes, and uses only
//! the event's own fields and `seq` (never the clock, never a random id), so a replay gives
//! the same rows on every backend.

use custodia_model::events::{EventData, Leaf};

use crate::backend::{Conn, Value};
use crate::error::Result;

/// The projection tables and their key columns, in the order verify compares them.
pub const PROJECTIONS: &[(&str, &str)] = &[
    ("facilities", "id"),
    ("cells", "id"),
    ("persons", "id"),
    ("person_events", "person_id, seq"),
    ("legal_records", "seq"),
    ("counsel", "person_id, counsel"),
    ("stays", "seq"),
    ("placements", "seq"),
    ("screenings", "seq"),
    ("manifests", "id"),
    ("manifest_passengers", "manifest_id, person_id"),
    ("manifest_justifications", "manifest_id, person_id"),
    ("intake", "facility_id, record_id"),
    ("cases", "id"),
    ("agreements", "id"),
    ("invoices", "id"),
    ("invoice_notes", "id"),
    ("conditions", "seq"),
    ("access_log", "seq, person_id"),
    ("separation", "person_id"),
    ("manifest_editors", "manifest_id, name"),
    ("manifest_reopened", "seq, manifest_id, person_id"),
    ("corrections", "id"),
    ("class_orders", "seq"),
    ("person_classes", "person_id, class_id"),
    ("approval_justifications", "seq, person_id"),
    ("manifest_events", "manifest_id, seq"),
    ("facility_contacts", "facility_id"),
    ("locator_withheld", "person_id"),
    ("peers", "name"),
    ("handovers", "doc_hash, direction"),
];

fn date_of(t: jiff::Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    Ok(serde_json::to_string(v)?)
}

/// One `access_log` row per person a read returned (each once), all under the read's `seq`.
fn access(
    c: &mut dyn Conn,
    seq: i64,
    actor: &str,
    leaf: &Leaf,
    person_ids: &[String],
    via: &str,
) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for person_id in person_ids.iter().filter(|p| seen.insert(p.as_str())) {
        c.execute(
            "INSERT INTO access_log (seq, actor, person_id, at, via) VALUES (?, ?, ?, ?, ?)",
            &[
                seq.into(),
                actor.into(),
                person_id.as_str().into(),
                leaf.occurred_at.to_string().into(),
                via.into(),
            ],
        )?;
    }
    Ok(())
}

fn person_event(c: &mut dyn Conn, person: &str, seq: i64) -> Result<()> {
    c.execute(
        "INSERT INTO person_events (person_id, seq) VALUES (?, ?) ON CONFLICT DO NOTHING",
        &[person.into(), seq.into()],
    )?;
    Ok(())
}

/// Closes `person`'s open stay and placement on `on`.
fn close_open(c: &mut dyn Conn, person: &str, on: &str) -> Result<()> {
    c.execute(
        "UPDATE stays SET released_on = ? WHERE person_id = ? AND released_on IS NULL",
        &[on.into(), person.into()],
    )?;
    c.execute(
        "UPDATE placements SET to_on = ? WHERE person_id = ? AND to_on IS NULL",
        &[on.into(), person.into()],
    )?;
    Ok(())
}

fn set_status(c: &mut dyn Conn, person: &str, status: &str, on: &str) -> Result<()> {
    c.execute(
        "UPDATE persons SET status = ?, status_since = ?, cell_id = NULL WHERE id = ?",
        &[status.into(), on.into(), person.into()],
    )?;
    Ok(())
}

const REOPEN: &str = "UPDATE manifests SET state = 'draft', approved_by = NULL, updated_seq = ? \
                      WHERE id = ? AND state IN ('screened', 'approved')";

/// Applies one leaf to the projections.
pub fn apply(c: &mut dyn Conn, leaf: &Leaf) -> Result<()> {
    if let Some(m) = manifest_of(&leaf.data) {
        c.execute(
            "INSERT INTO manifest_events (manifest_id, seq) VALUES (?, ?) ON CONFLICT DO NOTHING",
            &[m.into(), i64::try_from(leaf.seq).unwrap_or(i64::MAX).into()],
        )?;
    }
    apply_event(c, leaf)
}

/// The manifest an event belongs to, if any.
fn manifest_of(e: &EventData) -> Option<&str> {
    match e {
        EventData::ManifestCreated { manifest_id, .. }
        | EventData::PassengerAdded { manifest_id, .. }
        | EventData::PassengerRemoved { manifest_id, .. }
        | EventData::ManifestScreened { manifest_id }
        | EventData::ManifestApproved { manifest_id, .. }
        | EventData::ManifestDeparted { manifest_id }
        | EventData::ManifestArrived { manifest_id }
        | EventData::ManifestReconciled { manifest_id, .. }
        | EventData::ManifestClosed { manifest_id }
        | EventData::CaseOpened { manifest_id, .. }
        | EventData::HandoverIssued { manifest_id, .. } => Some(manifest_id),
        EventData::ScreeningDecided { manifest_id, .. } => manifest_id.as_deref(),
        _ => None,
    }
}

fn apply_event(c: &mut dyn Conn, leaf: &Leaf) -> Result<()> {
    let seq = i64::try_from(leaf.seq).unwrap_or(i64::MAX);
    let on = date_of(leaf.occurred_at);
    let on = on.as_str();
    let actor = leaf.actor.as_str();
    match &leaf.data {
        EventData::FacilityRegistered(f) => {
            c.execute(
                "INSERT INTO facilities (id, name, country, kind, adult_only) VALUES (?, ?, ?, ?, ?)",
                &[f.id.as_str().into(), f.name.as_str().into(), f.country.as_str().into(), f.kind.as_str().into(), f.adult_only.into()],
            )?;
            let mut rows = Vec::new();
            for p in &f.pavilions {
                for cell in &p.cells {
                    rows.push(vec![
                        Value::from(cell.id.as_str()),
                        f.id.as_str().into(),
                        p.id.as_str().into(),
                        cell.area_m2.into(),
                        cell.capacity.into(),
                        cell.windows.into(),
                        cell.sanitation.as_str().into(),
                        true.into(),
                        Value::Null,
                    ]);
                }
            }
            c.insert_many(
                "cells",
                &[
                    "id",
                    "facility_id",
                    "pavilion",
                    "area_m2",
                    "capacity",
                    "windows",
                    "sanitation",
                    "in_use",
                    "out_of_use_reason",
                ],
                &rows,
            )?;
        }
        EventData::CellStatusChanged {
            cell_id,
            in_use,
            reason,
        } => {
            c.execute(
                "UPDATE cells SET in_use = ?, out_of_use_reason = ? WHERE id = ?",
                &[
                    (*in_use).into(),
                    reason.clone().into(),
                    cell_id.as_str().into(),
                ],
            )?;
        }
        EventData::PersonRegistered(p) | EventData::PersonUpdated(p) => {
            let nats: Vec<&str> = p.nationalities.iter().map(|n| n.as_str()).collect();
            let values = vec![
                Value::from(p.id.as_str()),
                p.family_names.as_str().into(),
                p.given_names.as_str().into(),
                p.date_of_birth.map(|d| d.to_string()).into(),
                p.sex.clone().into(),
                p.country_of_birth.map(|c| c.as_str().to_string()).into(),
                nats.join(";").into(),
                p.us_status.map(|s| s.as_str().to_string()).into(),
                p.languages.join(";").into(),
                p.identity_verified.into(),
                seq.into(),
            ];
            if matches!(leaf.data, EventData::PersonRegistered(_)) {
                c.execute(
                    "INSERT INTO persons (id, family_names, given_names, date_of_birth, sex, country_of_birth, \
                     nationalities, us_status, languages, identity_verified, registered_seq) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    &values,
                )?;
            } else {
                let mut v: Vec<Value> = values.iter().skip(1).take(9).cloned().collect();
                v.push(p.id.as_str().into());
                c.execute(
                    "UPDATE persons SET family_names = ?, given_names = ?, date_of_birth = ?, sex = ?, \
                     country_of_birth = ?, nationalities = ?, us_status = ?, languages = ?, identity_verified = ? \
                     WHERE id = ?",
                    &v,
                )?;
            }
            person_event(c, &p.id, seq)?;
        }
        EventData::CustodyReported {
            person_id,
            facility_id,
            status,
        } => {
            c.execute(
                "UPDATE persons SET facility_id = ?, status = ?, status_since = ? WHERE id = ?",
                &[
                    facility_id.clone().into(),
                    status.as_str().into(),
                    on.into(),
                    person_id.as_str().into(),
                ],
            )?;
            person_event(c, person_id, seq)?;
        }
        EventData::LegalRecordAdded { person_id, record } => {
            c.execute(
                "INSERT INTO legal_records (seq, person_id, record_type, body) VALUES (?, ?, ?, ?)",
                &[
                    seq.into(),
                    person_id.as_str().into(),
                    record.type_name().into(),
                    json(record)?.into(),
                ],
            )?;
            person_event(c, person_id, seq)?;
            reopen_for(
                c,
                person_id,
                seq,
                &format!("legal_record:{}", record.type_name()),
            )?;
        }
        EventData::CounselAssigned { person_id, counsel } => {
            c.execute(
                "INSERT INTO counsel (person_id, counsel) VALUES (?, ?) ON CONFLICT DO NOTHING",
                &[person_id.as_str().into(), counsel.as_str().into()],
            )?;
            person_event(c, person_id, seq)?;
        }
        EventData::Admitted {
            person_id,
            facility_id,
            ..
        } => {
            close_open(c, person_id, on)?;
            c.execute(
                "INSERT INTO stays (seq, person_id, facility_id, admitted_on, released_on) VALUES (?, ?, ?, ?, NULL)",
                &[seq.into(), person_id.as_str().into(), facility_id.as_str().into(), on.into()],
            )?;
            c.execute(
                "UPDATE persons SET facility_id = ?, cell_id = NULL, status = 'in_custody', status_since = ? WHERE id = ?",
                &[facility_id.as_str().into(), on.into(), person_id.as_str().into()],
            )?;
            person_event(c, person_id, seq)?;
        }
        EventData::SeparationRecorded {
            person_id,
            groups,
            separate_from,
            avoid_persons,
        } => {
            c.execute(
                "INSERT INTO separation (person_id, groups, separate_from, avoid_persons, seq) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (person_id) DO UPDATE SET groups = excluded.groups, separate_from = excluded.separate_from, \
                 avoid_persons = excluded.avoid_persons, seq = excluded.seq",
                &[person_id.as_str().into(), groups.join(";").into(), separate_from.join(";").into(), avoid_persons.join(";").into(), seq.into()],
            )?;
            person_event(c, person_id, seq)?;
        }
        EventData::Placed { person_id, cell_id } => {
            c.execute(
                "UPDATE placements SET to_on = ? WHERE person_id = ? AND to_on IS NULL",
                &[on.into(), person_id.as_str().into()],
            )?;
            c.execute(
                "INSERT INTO placements (seq, person_id, cell_id, from_on, to_on) VALUES (?, ?, ?, ?, NULL)",
                &[seq.into(), person_id.as_str().into(), cell_id.as_str().into(), on.into()],
            )?;
            c.execute(
                "UPDATE persons SET cell_id = ? WHERE id = ?",
                &[cell_id.as_str().into(), person_id.as_str().into()],
            )?;
            person_event(c, person_id, seq)?;
        }
        EventData::Released { person_id, .. } => {
            close_open(c, person_id, on)?;
            set_status(c, person_id, "released", on)?;
            person_event(c, person_id, seq)?;
        }
        EventData::Removed { person_id, .. } => {
            close_open(c, person_id, on)?;
            set_status(c, person_id, "removed", on)?;
            person_event(c, person_id, seq)?;
        }
        EventData::Died { person_id, .. } => {
            close_open(c, person_id, on)?;
            set_status(c, person_id, "deceased", on)?;
            person_event(c, person_id, seq)?;
        }
        EventData::ScreeningDecided {
            person_id,
            manifest_id,
            on: day,
            basis,
            destination_country,
            facility_id,
            outcome,
            rules_version,
            findings,
        } => {
            c.execute(
                "INSERT INTO screenings (seq, person_id, manifest_id, on_date, basis, destination, facility_id, outcome, rules_version, findings) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    seq.into(),
                    person_id.as_str().into(),
                    manifest_id.clone().into(),
                    day.to_string().into(),
                    basis.as_str().into(),
                    destination_country.as_str().into(),
                    facility_id.clone().into(),
                    outcome.as_str().into(),
                    rules_version.as_str().into(),
                    json(findings)?.into(),
                ],
            )?;
            person_event(c, person_id, seq)?;
        }
        EventData::ManifestCreated {
            manifest_id,
            flight,
            from_facility,
            to_facility,
            destination_country,
            basis,
            departure_on,
        } => {
            c.execute(
                "INSERT INTO manifests (id, flight, from_facility, to_facility, destination_country, basis, departure_on, state, created_by, approved_by, updated_seq) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, 'draft', ?, NULL, ?)",
                &[
                    manifest_id.as_str().into(),
                    flight.as_str().into(),
                    from_facility.as_str().into(),
                    to_facility.as_str().into(),
                    destination_country.as_str().into(),
                    basis.as_str().into(),
                    departure_on.to_string().into(),
                    actor.into(),
                    seq.into(),
                ],
            )?;
            editor(c, manifest_id, actor)?;
        }
        EventData::PassengerAdded {
            manifest_id,
            person_id,
        } => {
            c.execute(
                "INSERT INTO manifest_passengers (manifest_id, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                &[manifest_id.as_str().into(), person_id.as_str().into()],
            )?;
            passengers_changed(c, manifest_id, person_id, seq)?;
            editor(c, manifest_id, actor)?;
        }
        EventData::PassengerRemoved {
            manifest_id,
            person_id,
        } => {
            c.execute(
                "DELETE FROM manifest_passengers WHERE manifest_id = ? AND person_id = ?",
                &[manifest_id.as_str().into(), person_id.as_str().into()],
            )?;
            passengers_changed(c, manifest_id, person_id, seq)?;
            editor(c, manifest_id, actor)?;
        }
        EventData::ManifestScreened { manifest_id } => {
            // Screening an approved manifest again voids its approval (approver and
            // justifications); for a draft or screened one there are none to void.
            c.execute(
                "UPDATE manifests SET state = 'screened', approved_by = NULL, updated_seq = ? WHERE id = ?",
                &[seq.into(), manifest_id.as_str().into()],
            )?;
            c.execute(
                "DELETE FROM manifest_justifications WHERE manifest_id = ?",
                &[manifest_id.as_str().into()],
            )?;
        }
        EventData::ManifestApproved {
            manifest_id,
            justifications,
        } => {
            c.execute(
                "UPDATE manifests SET state = 'approved', approved_by = ?, updated_seq = ? WHERE id = ?",
                &[actor.into(), seq.into(), manifest_id.as_str().into()],
            )?;
            for j in justifications {
                c.execute(
                    "INSERT INTO manifest_justifications (manifest_id, person_id, text, approver) VALUES (?, ?, ?, ?)",
                    &[manifest_id.as_str().into(), j.person_id.as_str().into(), j.text.as_str().into(), actor.into()],
                )?;
                c.execute(
                    "INSERT INTO approval_justifications (seq, manifest_id, person_id, text, approver) VALUES (?, ?, ?, ?, ?)",
                    &[seq.into(), manifest_id.as_str().into(), j.person_id.as_str().into(), j.text.as_str().into(), actor.into()],
                )?;
            }
        }
        EventData::ManifestDeparted { manifest_id } => {
            state(c, manifest_id, "departed", seq)?;
            let sub = "SELECT person_id FROM manifest_passengers WHERE manifest_id = ?";
            c.execute(
                &format!("UPDATE stays SET released_on = ? WHERE released_on IS NULL AND person_id IN ({sub})"),
                &[on.into(), manifest_id.as_str().into()],
            )?;
            c.execute(
                &format!(
                    "UPDATE placements SET to_on = ? WHERE to_on IS NULL AND person_id IN ({sub})"
                ),
                &[on.into(), manifest_id.as_str().into()],
            )?;
            c.execute(
                &format!("UPDATE persons SET status = 'transferred', status_since = ?, cell_id = NULL WHERE id IN ({sub})"),
                &[on.into(), manifest_id.as_str().into()],
            )?;
            c.execute(
                "INSERT INTO person_events (person_id, seq) SELECT person_id, ? FROM manifest_passengers WHERE manifest_id = ? ON CONFLICT DO NOTHING",
                &[seq.into(), manifest_id.as_str().into()],
            )?;
        }
        EventData::ManifestArrived { manifest_id } => state(c, manifest_id, "arrived", seq)?,
        EventData::ManifestReconciled { manifest_id, .. } => {
            state(c, manifest_id, "reconciled", seq)?
        }
        EventData::ManifestClosed { manifest_id } => state(c, manifest_id, "closed", seq)?,
        EventData::IntakeRecorded {
            facility_id,
            manifest_id,
            record,
        } => {
            c.execute(
                "INSERT INTO intake (facility_id, record_id, manifest_id, family_names, given_names, date_of_birth, sex, nationality, document_number, seq) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    facility_id.as_str().into(),
                    record.record_id.as_str().into(),
                    manifest_id.clone().into(),
                    record.family_names.as_str().into(),
                    record.given_names.as_str().into(),
                    record.date_of_birth.clone().into(),
                    record.sex.clone().into(),
                    record.nationality.clone().into(),
                    record.document_number.clone().into(),
                    seq.into(),
                ],
            )?;
        }
        EventData::CaseOpened {
            case_id,
            manifest_id,
            case_kind,
            subject_id,
            detail,
        } => {
            c.execute(
                "INSERT INTO cases (id, manifest_id, kind, subject_id, detail, state, opened_seq, resolved_reason, resolved_by) \
                 VALUES (?, ?, ?, ?, ?, 'open', ?, NULL, NULL)",
                &[case_id.as_str().into(), manifest_id.as_str().into(), case_kind.as_str().into(), subject_id.as_str().into(), detail.as_str().into(), seq.into()],
            )?;
            if case_kind == "missing_from_intake" {
                person_event(c, subject_id, seq)?;
            }
        }
        EventData::CaseResolved { case_id, reason } => {
            c.execute(
                "UPDATE cases SET state = 'resolved', resolved_reason = ?, resolved_by = ? WHERE id = ?",
                &[reason.as_str().into(), actor.into(), case_id.as_str().into()],
            )?;
        }
        EventData::AgreementRegistered(a) => {
            c.execute(
                "INSERT INTO agreements (id, facility_id, body) VALUES (?, ?, ?)",
                &[
                    a.id.as_str().into(),
                    a.facility_id.as_str().into(),
                    json(a)?.into(),
                ],
            )?;
        }
        EventData::InvoiceIssued {
            invoice_id,
            agreement_id,
            month,
            person_days,
            total,
        } => {
            c.execute(
                "INSERT INTO invoices (id, agreement_id, month, person_days, total, seq) VALUES (?, ?, ?, ?, ?, ?)",
                &[invoice_id.as_str().into(), agreement_id.as_str().into(), month.as_str().into(), (*person_days).into(), total.as_str().into(), seq.into()],
            )?;
        }
        EventData::InvoiceAdjusted {
            note_id,
            invoice_id,
            note_kind,
            amount,
            reason,
        } => {
            c.execute(
                "INSERT INTO invoice_notes (id, invoice_id, kind, amount, reason, seq) VALUES (?, ?, ?, ?, ?, ?)",
                &[note_id.as_str().into(), invoice_id.as_str().into(), note_kind.as_str().into(), amount.as_str().into(), reason.as_str().into(), seq.into()],
            )?;
        }
        EventData::ExerciseRecorded {
            person_id,
            on: day,
            minutes,
        } => {
            condition(
                c,
                seq,
                person_id,
                "exercise",
                &day.to_string(),
                &minutes.to_string(),
            )?;
        }
        EventData::VisitRecorded {
            person_id,
            on: day,
            visit_kind,
        } => {
            condition(c, seq, person_id, "visit", &day.to_string(), visit_kind)?;
        }
        EventData::SolitaryStarted { person_id, on: day } => {
            condition(c, seq, person_id, "solitary_start", &day.to_string(), "")?;
        }
        EventData::SolitaryEnded { person_id, on: day } => {
            condition(c, seq, person_id, "solitary_end", &day.to_string(), "")?;
        }
        EventData::FamilyNotified {
            person_id,
            occasion,
        } => {
            condition(c, seq, person_id, "family_notified", on, occasion)?;
        }
        EventData::CounselUnassigned { person_id, counsel } => {
            c.execute(
                "DELETE FROM counsel WHERE person_id = ? AND counsel = ?",
                &[person_id.as_str().into(), counsel.as_str().into()],
            )?;
            person_event(c, person_id, seq)?;
        }
        EventData::CorrectionProposed {
            correction_id,
            person_id,
            field,
            value,
            reason,
        } => {
            c.execute(
                "INSERT INTO corrections (id, person_id, field, value, reason, proposed_by, proposed_seq, state, confirmed_by, confirmed_seq) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, 'proposed', NULL, NULL)",
                &[
                    correction_id.as_str().into(),
                    person_id.as_str().into(),
                    field.as_str().into(),
                    value.as_str().into(),
                    reason.as_str().into(),
                    actor.into(),
                    seq.into(),
                ],
            )?;
            person_event(c, person_id, seq)?;
        }
        EventData::CorrectionConfirmed { correction_id } => {
            let rows = c.query(
                "SELECT person_id, field, value FROM corrections WHERE id = ?",
                &[correction_id.as_str().into()],
            )?;
            let row = rows.first().ok_or_else(|| {
                crate::error::StoreError::Corrupt(format!(
                    "leaf {seq}: correction `{correction_id}` was never proposed"
                ))
            })?;
            let text = |i: usize| row.get(i).and_then(Value::opt_str).unwrap_or_default();
            let (person_id, field, value) = (text(0), text(1), text(2));
            let column = match field.as_str() {
                "family_names" | "given_names" | "date_of_birth" | "country_of_birth"
                | "nationalities" | "us_status" => field.as_str(),
                other => {
                    return Err(crate::error::StoreError::Corrupt(format!(
                        "leaf {seq}: correction of unknown field `{other}`"
                    )));
                }
            };
            let v: Value = if value.is_empty() && column != "nationalities" {
                Value::Null
            } else {
                value.as_str().into()
            };
            c.execute(
                &format!("UPDATE persons SET {column} = ? WHERE id = ?"),
                &[v, person_id.as_str().into()],
            )?;
            c.execute(
                "UPDATE corrections SET state = 'confirmed', confirmed_by = ?, confirmed_seq = ? WHERE id = ?",
                &[actor.into(), seq.into(), correction_id.as_str().into()],
            )?;
            person_event(c, &person_id, seq)?;
            reopen_for(c, &person_id, seq, &format!("correction:{correction_id}"))?;
        }
        EventData::ClassOrderRecorded { class_id, record } => {
            c.execute(
                "INSERT INTO class_orders (seq, class_id, body) VALUES (?, ?, ?)",
                &[seq.into(), class_id.as_str().into(), json(record)?.into()],
            )?;
            // A class order is a late record for every tagged person on an approved manifest.
            let members: Vec<String> = c
                .query(
                    "SELECT person_id FROM person_classes WHERE class_id = ? ORDER BY person_id",
                    &[class_id.as_str().into()],
                )?
                .iter()
                .filter_map(|r| r.first().and_then(Value::opt_str))
                .collect();
            for p in members {
                person_event(c, &p, seq)?;
                reopen_for(c, &p, seq, &format!("class_order:{class_id}"))?;
            }
        }
        EventData::ClassTagged {
            person_id,
            class_id,
        } => {
            c.execute(
                "INSERT INTO person_classes (person_id, class_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                &[person_id.as_str().into(), class_id.as_str().into()],
            )?;
            person_event(c, person_id, seq)?;
            // Tagged into a class that already has orders: those orders now apply to them.
            let has_orders = !c
                .query(
                    "SELECT seq FROM class_orders WHERE class_id = ?",
                    &[class_id.as_str().into()],
                )?
                .is_empty();
            if has_orders {
                reopen_for(c, person_id, seq, &format!("class_tag:{class_id}"))?;
            }
        }
        EventData::PersonRead { person_id } => {
            access(
                c,
                seq,
                actor,
                leaf,
                std::slice::from_ref(person_id),
                "record",
            )?;
        }
        EventData::PersonsRead { person_ids, via } => {
            access(c, seq, actor, leaf, person_ids, via)?;
        }
        // ---- public locator (issue 15) ----
        EventData::FacilityContactPublished {
            facility_id,
            visiting,
            consular,
            counsel_access,
        } => {
            c.execute(
                "DELETE FROM facility_contacts WHERE facility_id = ?",
                &[facility_id.as_str().into()],
            )?;
            c.execute(
                "INSERT INTO facility_contacts (facility_id, visiting, consular, counsel_access) VALUES (?, ?, ?, ?)",
                &[
                    facility_id.as_str().into(),
                    visiting.clone().into(),
                    consular.clone().into(),
                    counsel_access.clone().into(),
                ],
            )?;
        }
        EventData::LocatorWithheld {
            person_id,
            requested_by,
            reason,
        } => {
            c.execute(
                "INSERT INTO locator_withheld (person_id, requested_by, reason, actor, seq) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (person_id) DO UPDATE SET requested_by = excluded.requested_by, reason = excluded.reason, actor = excluded.actor, seq = excluded.seq",
                &[
                    person_id.as_str().into(),
                    requested_by.as_str().into(),
                    reason.as_str().into(),
                    actor.into(),
                    seq.into(),
                ],
            )?;
            person_event(c, person_id, seq)?;
            // ---- end public locator ----
        }
        EventData::PeerAdded {
            name,
            url,
            log_key,
            facilities,
        } => {
            c.execute(
                "INSERT INTO peers (name, url, log_key, facilities, seq) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (name) DO UPDATE SET url = excluded.url, log_key = excluded.log_key, \
                 facilities = excluded.facilities, seq = excluded.seq",
                &[
                    name.as_str().into(),
                    url.as_str().into(),
                    log_key.as_str().into(),
                    facilities.join(";").into(),
                    seq.into(),
                ],
            )?;
        }
        EventData::HandoverIssued {
            doc_hash,
            peer,
            manifest_id,
            person_ids,
            document,
        } => {
            c.execute(
                "INSERT INTO handovers (doc_hash, direction, peer, manifest_id, document, state, issued_seq, receipt, receipt_seq) \
                 VALUES (?, 'out', ?, ?, ?, 'sent', ?, NULL, NULL)",
                &[doc_hash.as_str().into(), peer.as_str().into(), manifest_id.as_str().into(), document.as_str().into(), seq.into()],
            )?;
            for p in person_ids {
                person_event(c, p, seq)?;
            }
        }
        EventData::HandoverReceived {
            doc_hash,
            peer,
            manifest_id,
            person_ids,
            ..
        } => {
            c.execute(
                "INSERT INTO handovers (doc_hash, direction, peer, manifest_id, document, state, issued_seq, receipt, receipt_seq) \
                 VALUES (?, 'in', ?, ?, NULL, 'sent', ?, NULL, NULL)",
                &[doc_hash.as_str().into(), peer.as_str().into(), manifest_id.as_str().into(), seq.into()],
            )?;
            for p in person_ids {
                person_event(c, p, seq)?;
            }
        }
        EventData::ReceiptIssued {
            doc_hash, receipt, ..
        } => {
            c.execute(
                "UPDATE handovers SET state = 'receipted', receipt = ?, receipt_seq = ? WHERE doc_hash = ? AND direction = 'in'",
                &[receipt.as_str().into(), seq.into(), doc_hash.as_str().into()],
            )?;
        }
        EventData::ReceiptRecorded {
            doc_hash, receipt, ..
        } => {
            c.execute(
                "UPDATE handovers SET state = 'receipted', receipt = ?, receipt_seq = ? WHERE doc_hash = ? AND direction = 'out'",
                &[receipt.as_str().into(), seq.into(), doc_hash.as_str().into()],
            )?;
        }
    }
    Ok(())
}

/// The natural person behind an actor `role:name`: the name.
pub fn actor_name(actor: &str) -> &str {
    actor.split_once(':').map_or(actor, |(_, n)| n)
}

/// Whether two token names are one natural person (CONTRACT §9 "Two persons"): compared
/// without regard to case or to runs of white space, so `ana` and ` Ana ` are one person.
pub fn same_person(a: &str, b: &str) -> bool {
    let key = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    key(a) == key(b)
}

/// Records that `actor` created or changed the passenger list of a manifest (CONTRACT §9
/// "Two persons": nobody among them may approve it).
fn editor(c: &mut dyn Conn, manifest_id: &str, actor: &str) -> Result<()> {
    c.execute(
        "INSERT INTO manifest_editors (manifest_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
        &[manifest_id.into(), actor_name(actor).into()],
    )?;
    Ok(())
}

/// A late record (CONTRACT §9): a legal record, a correction or a class order about a
/// passenger of an approved manifest that has not departed sends it back to `screened`; it
/// must be approved again, with fresh justifications.
fn reopen_for(c: &mut dyn Conn, person_id: &str, seq: i64, cause: &str) -> Result<()> {
    let manifests: Vec<String> = c
        .query(
            "SELECT m.id FROM manifests m JOIN manifest_passengers mp ON mp.manifest_id = m.id \
             WHERE mp.person_id = ? AND m.state = 'approved' ORDER BY m.id",
            &[person_id.into()],
        )?
        .iter()
        .filter_map(|r| r.first().and_then(Value::opt_str))
        .collect();
    for m in manifests {
        c.execute(
            "UPDATE manifests SET state = 'screened', approved_by = NULL, updated_seq = ? WHERE id = ?",
            &[seq.into(), m.as_str().into()],
        )?;
        c.execute(
            "DELETE FROM manifest_justifications WHERE manifest_id = ?",
            &[m.as_str().into()],
        )?;
        c.execute(
            "INSERT INTO manifest_reopened (seq, manifest_id, person_id, cause) VALUES (?, ?, ?, ?)",
            &[seq.into(), m.as_str().into(), person_id.into(), cause.into()],
        )?;
    }
    Ok(())
}

/// A changed passenger list sends a screened or approved manifest back to `draft`, and its
/// approval's justifications no longer hold.
fn passengers_changed(
    c: &mut dyn Conn,
    manifest_id: &str,
    person_id: &str,
    seq: i64,
) -> Result<()> {
    c.execute(REOPEN, &[seq.into(), manifest_id.into()])?;
    c.execute(
        "DELETE FROM manifest_justifications WHERE manifest_id = ?",
        &[manifest_id.into()],
    )?;
    person_event(c, person_id, seq)
}

fn state(c: &mut dyn Conn, manifest: &str, st: &str, seq: i64) -> Result<()> {
    c.execute(
        "UPDATE manifests SET state = ?, updated_seq = ? WHERE id = ?",
        &[st.into(), seq.into(), manifest.into()],
    )?;
    Ok(())
}

fn condition(
    c: &mut dyn Conn,
    seq: i64,
    person: &str,
    kind: &str,
    on: &str,
    value: &str,
) -> Result<()> {
    c.execute(
        "INSERT INTO conditions (seq, person_id, kind, on_date, value) VALUES (?, ?, ?, ?, ?)",
        &[
            seq.into(),
            person.into(),
            kind.into(),
            on.into(),
            value.into(),
        ],
    )?;
    person_event(c, person, seq)?;
    Ok(())
}
