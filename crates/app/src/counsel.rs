//! Counsel (CONTRACT §9 "Counsel"): assignment by a supervisor or an admin, and the notices
//! feed a lawyer reads for their clients: every screening, manifest change, departure and
//! custody change, oldest first.

use custodia_model::events::{EventData, NewEvent};
use custodia_store::Store;
use serde::Serialize;

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};

/// The actor id counsel is recorded under (`counsel:name`), as tokens name them.
pub fn counsel_id(name: &str) -> String {
    format!("{}:{name}", Role::Counsel.as_str())
}

/// Assigns (`assign` true) or unassigns counsel `name` to a person. Idempotent: returns
/// whether anything changed.
pub fn set(
    store: &mut Store,
    actor: &Actor,
    person_id: &str,
    name: &str,
    assign: bool,
) -> Result<bool> {
    if !matches!(actor.role, Role::SendingSupervisor | Role::Admin) {
        return Err(AppError::Forbidden(format!(
            "role `{}` may not assign counsel (a `sending_supervisor` or `admin` does)",
            actor.role
        )));
    }
    crate::auth::check_name(name).map_err(|_| {
        AppError::Invalid(format!(
            "field `counsel`: `{name}` must be a token holder's name, without spaces or `:`"
        ))
    })?;
    let counsel = counsel_id(name);
    let now = store.clock().now();
    let (changed, _) = store.transact_with(|tx| -> Result<bool> {
        if !tx.reads().person_exists(person_id)? {
            return Err(AppError::NotFound(format!("no person `{person_id}`")));
        }
        let has = tx.reads().is_counsel_of(person_id, &counsel)?;
        if has == assign {
            return Ok(false);
        }
        let data = if assign {
            EventData::CounselAssigned {
                person_id: person_id.into(),
                counsel: counsel.clone(),
            }
        } else {
            EventData::CounselUnassigned {
                person_id: person_id.into(),
                counsel: counsel.clone(),
            }
        };
        tx.emit(NewEvent {
            occurred_at: now,
            actor: actor.id(),
            data,
        });
        Ok(true)
    })?;
    Ok(changed)
}

/// One notice: an event about a client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub seq: u64,
    pub occurred_at: String,
    pub recorded_at: String,
    pub kind: String,
    pub actor: String,
    /// The clients it concerns (for a manifest-wide event, those on the manifest).
    pub persons: Vec<String>,
    pub data: serde_json::Value,
}

/// Whether an event is a notice counsel receives: screenings, manifest changes, departures
/// and custody changes (reads, conditions evidence and housing are not).
fn is_notice(e: &EventData) -> bool {
    matches!(
        e,
        EventData::ScreeningDecided { .. }
            | EventData::ManifestCreated { .. }
            | EventData::PassengerAdded { .. }
            | EventData::PassengerRemoved { .. }
            | EventData::ManifestScreened { .. }
            | EventData::ManifestApproved { .. }
            | EventData::ManifestDeparted { .. }
            | EventData::ManifestArrived { .. }
            | EventData::ManifestReconciled { .. }
            | EventData::ManifestClosed { .. }
            | EventData::CaseOpened { .. }
            | EventData::CaseResolved { .. }
            | EventData::Admitted { .. }
            | EventData::Released { .. }
            | EventData::Removed { .. }
            | EventData::Died { .. }
            | EventData::CustodyReported { .. }
            | EventData::LegalRecordAdded { .. }
            | EventData::CorrectionProposed { .. }
            | EventData::CorrectionConfirmed { .. }
            | EventData::CounselAssigned { .. }
            | EventData::CounselUnassigned { .. }
            | EventData::ClassTagged { .. }
    )
}

/// Counsel's notices for every current client, oldest first, after leaf `after` (at most
/// `limit`). A manifest event about passengers concerns only the clients on it; a screening
/// of someone else on the same manifest is not shown.
pub fn notices(
    store: &mut Store,
    actor: &Actor,
    after: Option<u64>,
    limit: u64,
) -> Result<Vec<Notice>> {
    if actor.role != Role::Counsel {
        return Err(AppError::Forbidden(format!(
            "role `{}` has no notices feed (counsel read their clients')",
            actor.role
        )));
    }
    let clients = store.clients_of(&actor.id())?;
    let after = after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX));
    let limit = i64::try_from(limit.clamp(1, 10_000)).unwrap_or(10_000);
    let leaves = store.leaves_about(&clients, after, i64::MAX)?;
    let mut out = Vec::new();
    for leaf in leaves {
        if !is_notice(&leaf.data) {
            continue;
        }
        let about: Vec<String> = match person_of(&leaf.data) {
            Some(p) if clients.iter().any(|c| c == p) => vec![p.to_string()],
            Some(_) => continue,
            None => clients.clone(),
        };
        let v = serde_json::to_value(&leaf.data).map_err(custodia_store::StoreError::from)?;
        out.push(Notice {
            seq: leaf.seq,
            occurred_at: leaf.occurred_at.to_string(),
            recorded_at: leaf.recorded_at.to_string(),
            kind: leaf.data.kind().to_string(),
            actor: leaf.actor.clone(),
            persons: about,
            data: v.get("data").cloned().unwrap_or(serde_json::Value::Null),
        });
        if out.len() as i64 >= limit {
            break;
        }
    }
    Ok(out)
}

/// The one person an event is about, when it names one.
fn person_of(e: &EventData) -> Option<&str> {
    match e {
        EventData::ScreeningDecided { person_id, .. }
        | EventData::PassengerAdded { person_id, .. }
        | EventData::PassengerRemoved { person_id, .. }
        | EventData::Admitted { person_id, .. }
        | EventData::Released { person_id, .. }
        | EventData::Removed { person_id, .. }
        | EventData::Died { person_id, .. }
        | EventData::CustodyReported { person_id, .. }
        | EventData::LegalRecordAdded { person_id, .. }
        | EventData::CorrectionProposed { person_id, .. }
        | EventData::CounselAssigned { person_id, .. }
        | EventData::CounselUnassigned { person_id, .. }
        | EventData::ClassTagged { person_id, .. } => Some(person_id),
        EventData::CaseOpened { subject_id, .. } => Some(subject_id),
        _ => None,
    }
}
