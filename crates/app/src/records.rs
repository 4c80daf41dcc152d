//! Legal records: entering them (CLI `import records`, `POST /api/v1/persons/{id}/records`,
//! the web form), class-wide orders and class tags. One path for every entry point, so the
//! rules of CONTRACT §9 hold everywhere:
//! - no record dated after the clock's date (`date`, `served`, `filed`, `issued`,
//!   `verified`, and a version's `as_of`);
//! - counsel may file `stay`, `habeas_petition`, `fear_claim` and `citizenship_claim`
//!   records for their own clients only;
//! - a record for a passenger of an approved manifest sends it back to `screened` (the
//!   projection does it, so a replay agrees).
//!
//! Atomic (one bad line writes nothing) and idempotent (a record already stored for the
//! person, byte for byte, adds nothing).

use custodia_model::events::{EventData, NewEvent};
use custodia_model::legal::VersionedRecord;
use custodia_store::Tx;
use jiff::civil::Date;

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};

/// Who a record is about: one person, or every person tagged with a class.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    Person(String),
    Class(String),
}

/// One record to enter, with where it came from (for error messages: `file: line N`).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: String,
    pub subject: Subject,
    /// The record, or a new version of one (`id`, `as_of`).
    pub record: VersionedRecord,
}

/// The record types counsel may file for a client (CONTRACT §9 "Counsel").
pub const COUNSEL_TYPES: [&str; 4] = ["stay", "habeas_petition", "fear_claim", "citizenship_claim"];

/// The dates a record carries, by field name, read from its wire form so that every record
/// type (and any added later) is covered.
pub fn record_dates(record: &VersionedRecord) -> Vec<(String, Date)> {
    let Ok(serde_json::Value::Object(m)) = serde_json::to_value(record) else {
        return Vec::new();
    };
    m.iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "date" | "served" | "filed" | "issued" | "verified" | "as_of"
            )
        })
        .filter_map(|(k, v)| {
            v.as_str()
                .and_then(|s| custodia_model::legal::parse_date(s).ok())
                .map(|d| (k.clone(), d))
        })
        .collect()
}

/// Every country a record names (`country`, `countries`), with its field, for the check
/// that each is an ISO 3166-1 code (CONTRACT conventions: `XX` names no country).
pub fn record_countries(record: &VersionedRecord) -> Vec<(&'static str, String)> {
    let Ok(serde_json::Value::Object(m)) = serde_json::to_value(record) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(c) = m.get("country").and_then(|v| v.as_str()) {
        out.push(("country", c.to_string()));
    }
    if let Some(cs) = m.get("countries").and_then(|v| v.as_array()) {
        out.extend(
            cs.iter()
                .filter_map(|c| c.as_str())
                .map(|c| ("countries", c.to_string())),
        );
    }
    out
}

/// Whether `counsel` (an actor) represents the person.
pub fn is_client(
    tx: &mut Tx<'_>,
    counsel: &Actor,
    person_id: &str,
) -> custodia_store::Result<bool> {
    tx.reads().is_counsel_of(person_id, &counsel.id())
}

/// What [`enter`] did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Entered {
    pub added: u64,
    pub unchanged: u64,
    /// Approved manifests sent back to `screened` by these records.
    pub manifests_reopened: Vec<String>,
}

/// Enters records atomically and idempotently.
pub fn enter(
    store: &mut custodia_store::Store,
    actor: &Actor,
    entries: &[Entry],
) -> Result<Entered> {
    let may = match actor.role {
        Role::SendingOfficer | Role::SendingSupervisor | Role::Admin | Role::Counsel => true,
        Role::ReceivingOfficer | Role::Auditor => false,
    };
    if !may {
        return Err(AppError::Forbidden(format!(
            "role `{}` may not record legal records",
            actor.role
        )));
    }
    let now = store.clock().now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let (out, receipt) = store.transact_with(|tx| -> Result<Entered> {
        let mut out = Entered::default();
        let mut queued: Vec<(Subject, String)> = Vec::new();
        for e in entries {
            for (field, d) in record_dates(&e.record) {
                if d > today {
                    return Err(AppError::Invalid(format!(
                        "{}: field `record.{field}`: {d} is after today ({today}); a record from the future cannot be entered",
                        e.at
                    )));
                }
            }
            for (field, c) in record_countries(&e.record) {
                if !custodia_model::country::is_iso_alpha2(&c) {
                    return Err(AppError::Invalid(format!(
                        "{}: field `record.{field}`: `{c}` is not an ISO 3166-1 alpha-2 country code",
                        e.at
                    )));
                }
            }
            let body = serde_json::to_string(&e.record).map_err(custodia_store::StoreError::from)?;
            match &e.subject {
                Subject::Person(pid) => {
                    if !tx.reads().person_exists(pid)? {
                        return Err(AppError::Invalid(format!(
                            "{}: field `person_id`: no person `{pid}` in the store",
                            e.at
                        )));
                    }
                    if actor.role == Role::Counsel {
                        if !COUNSEL_TYPES.contains(&e.record.type_name()) {
                            return Err(AppError::Forbidden(format!(
                                "{}: counsel may file {} records, not `{}`",
                                e.at,
                                COUNSEL_TYPES.join(", "),
                                e.record.type_name()
                            )));
                        }
                        if !is_client(tx, actor, pid)? {
                            return Err(AppError::Forbidden(format!(
                                "{}: `{}` is not counsel for `{pid}`",
                                e.at,
                                actor.id()
                            )));
                        }
                    }
                    let dup = tx.reads().legal_record_exists(pid, &body)?;
                    let key = (e.subject.clone(), body);
                    if dup || queued.contains(&key) {
                        out.unchanged += 1;
                        continue;
                    }
                    queued.push(key);
                    out.added += 1;
                    tx.emit(NewEvent {
                        occurred_at: now,
                        actor: actor.id(),
                        data: EventData::LegalRecordAdded {
                            person_id: pid.clone(),
                            record: e.record.clone(),
                        },
                    });
                }
                Subject::Class(class) => {
                    check_class_id(&e.at, class)?;
                    // Counsel files for its own clients only (CONTRACT §9 "Counsel"); an
                    // order for a class reaches whoever is tagged into it, so a supervisor
                    // or an admin records it.
                    if !matches!(actor.role, Role::SendingSupervisor | Role::Admin) {
                        return Err(AppError::Forbidden(format!(
                            "{}: role `{}` may not record class-wide orders (a `sending_supervisor` or `admin` does; counsel files for its own clients)",
                            e.at, actor.role
                        )));
                    }
                    if e.record.type_name() != "stay" {
                        return Err(AppError::Invalid(format!(
                            "{}: field `record.type`: a class-wide order is a `stay`, not `{}`",
                            e.at,
                            e.record.type_name()
                        )));
                    }
                    let dup = tx.reads().class_order_exists(class, &body)?;
                    let key = (e.subject.clone(), body);
                    if dup || queued.contains(&key) {
                        out.unchanged += 1;
                        continue;
                    }
                    queued.push(key);
                    out.added += 1;
                    tx.emit(NewEvent {
                        occurred_at: now,
                        actor: actor.id(),
                        data: EventData::ClassOrderRecorded {
                            class_id: class.clone(),
                            record: e.record.clone(),
                        },
                    });
                }
            }
        }
        Ok(out)
    })?;
    let mut out = out;
    if let Some(r) = receipt {
        out.manifests_reopened = store.manifests_reopened_since(r.first_seq)?;
    }
    Ok(out)
}

fn check_class_id(at: &str, class: &str) -> Result<()> {
    if class.trim().is_empty() || class.len() > 64 || class.chars().any(char::is_control) {
        return Err(AppError::Invalid(format!(
            "{at}: field `class_id`: expected 1 to 64 characters"
        )));
    }
    Ok(())
}

/// Tags a person as a member of a class named in class-wide orders (an officer's act).
pub fn tag_class(
    store: &mut custodia_store::Store,
    actor: &Actor,
    person_id: &str,
    class_id: &str,
) -> Result<bool> {
    if !actor.role.is_sending() && actor.role != Role::Admin {
        return Err(AppError::Forbidden(format!(
            "role `{}` may not tag class members",
            actor.role
        )));
    }
    check_class_id("`--class`", class_id)?;
    let now = store.clock().now();
    let (added, _) = store.transact_with(|tx| -> Result<bool> {
        if !tx.reads().person_exists(person_id)? {
            return Err(AppError::NotFound(format!("no person `{person_id}`")));
        }
        if tx.reads().in_class(person_id, class_id)? {
            return Ok(false);
        }
        tx.emit(NewEvent {
            occurred_at: now,
            actor: actor.id(),
            data: EventData::ClassTagged {
                person_id: person_id.into(),
                class_id: class_id.into(),
            },
        });
        Ok(true)
    })?;
    Ok(added)
}
