//! Identity-fact corrections (CONTRACT §9 "Identity facts"): a person's names, date of
//! birth, country of birth, nationalities and US status change only by a proposal with a
//! reason, which takes effect when a second natural person confirms it. A confirmed
//! correction sends every approved manifest carrying the person back to `screened`.

use custodia_model::events::{EventData, NewEvent};
use custodia_model::legal::{CountryCode, UsStatus};
use custodia_store::Store;

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};

/// The identity facts a correction may change.
pub const FIELDS: [&str; 6] = [
    "family_names",
    "given_names",
    "date_of_birth",
    "country_of_birth",
    "nationalities",
    "us_status",
];

/// Checks and normalizes a value for `field`; empty means unknown (not allowed for names
/// or US status).
pub fn normalize(field: &str, value: &str) -> Result<String> {
    let v = value.trim();
    let bad = |what: &str| {
        Err(AppError::Invalid(format!(
            "field `value`: `{value}` is not a valid `{field}`: expected {what}"
        )))
    };
    if v.chars().any(char::is_control) || v.chars().count() > 200 {
        return bad("at most 200 characters and no control characters");
    }
    match field {
        "family_names" | "given_names" => {
            if v.is_empty() {
                return bad("a non-empty name");
            }
            Ok(v.to_string())
        }
        "date_of_birth" => {
            if v.is_empty() {
                return Ok(String::new());
            }
            match custodia_model::legal::parse_date(v) {
                Ok(d) if d.year() >= 1900 => Ok(d.to_string()),
                _ => bad("a date as YYYY-MM-DD from 1900 on, or empty for unknown"),
            }
        }
        "country_of_birth" => {
            if v.is_empty() {
                return Ok(String::new());
            }
            match CountryCode::new(v) {
                Ok(c) if custodia_model::country::is_iso_alpha2(c.as_str()) => Ok(c.to_string()),
                _ => bad("an ISO 3166-1 alpha-2 code such as `SV`, or empty for unknown"),
            }
        }
        "nationalities" => {
            let mut out = Vec::new();
            for part in v.split([';', ',']).map(str::trim).filter(|p| !p.is_empty()) {
                match CountryCode::new(part) {
                    Ok(c) if custodia_model::country::is_iso_alpha2(c.as_str()) => {
                        out.push(c.to_string());
                    }
                    _ => return bad("ISO 3166-1 alpha-2 codes separated by `;`"),
                }
            }
            Ok(out.join(";"))
        }
        "us_status" => {
            match serde_json::from_value::<UsStatus>(serde_json::Value::String(v.into())) {
                Ok(s) => Ok(s.as_str().to_string()),
                Err(_) => {
                    bad("a `us_status` of CONTRACT §1 (e.g. `citizen_by_birth`, `undocumented`)")
                }
            }
        }
        other => Err(AppError::Invalid(format!(
            "field `field`: `{other}` is not an identity fact; expected one of {}",
            FIELDS.join(", ")
        ))),
    }
}

fn may(actor: &Actor, what: &str) -> Result<()> {
    match actor.role {
        Role::SendingOfficer | Role::SendingSupervisor | Role::ReceivingOfficer | Role::Admin => {
            Ok(())
        }
        _ => Err(AppError::Forbidden(format!(
            "role `{}` may not {what} identity corrections",
            actor.role
        ))),
    }
}

/// Proposes a correction; returns its id (`COR-000001`, …).
pub fn propose(
    store: &mut Store,
    actor: &Actor,
    person_id: &str,
    field: &str,
    value: &str,
    reason: &str,
) -> Result<String> {
    may(actor, "propose")?;
    if !FIELDS.contains(&field) {
        return Err(AppError::Invalid(format!(
            "field `field`: `{field}` is not an identity fact; expected one of {}",
            FIELDS.join(", ")
        )));
    }
    let value = normalize(field, value)?;
    let now = store.clock().now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    if field == "date_of_birth"
        && custodia_model::legal::parse_date(&value).is_ok_and(|d| d > today)
    {
        return Err(AppError::Invalid(format!(
            "field `value`: `{value}` is not a valid `date_of_birth`: it is after today ({today})"
        )));
    }
    if reason.trim().is_empty() || reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::Invalid(
            "field `reason`: a correction needs a reason, in words".into(),
        ));
    }
    let (id, _) = store.transact_with(|tx| -> Result<String> {
        if !tx.reads().person_exists(person_id)? {
            return Err(AppError::NotFound(format!("no person `{person_id}`")));
        }
        let n = tx.reads().correction_count()?;
        let id = format!("COR-{:06}", n + 1);
        tx.emit(NewEvent {
            occurred_at: now,
            actor: actor.id(),
            data: EventData::CorrectionProposed {
                correction_id: id.clone(),
                person_id: person_id.into(),
                field: field.into(),
                value: value.clone(),
                reason: reason.trim().into(),
            },
        });
        Ok(id)
    })?;
    Ok(id)
}

/// Confirms a correction: a second natural person (a different name, whatever the role).
/// Returns the manifests sent back to `screened`.
pub fn confirm(store: &mut Store, actor: &Actor, correction_id: &str) -> Result<Vec<String>> {
    may(actor, "confirm")?;
    let now = store.clock().now();
    let (_, receipt) = store.transact_with(|tx| -> Result<()> {
        let c = tx.reads().correction(correction_id)?
            .ok_or_else(|| AppError::NotFound(format!("no correction `{correction_id}`")))?;
        if c.state != "proposed" {
            return Err(AppError::Conflict(format!(
                "correction `{correction_id}` is already `{}`",
                c.state
            )));
        }
        if custodia_store::project::same_person(
            custodia_store::project::actor_name(&c.proposed_by),
            &actor.name,
        ) {
            return Err(AppError::Conflict(format!(
                "`{}` proposed correction `{correction_id}`; it takes effect only when a second person confirms it",
                actor.name
            )));
        }
        tx.emit(NewEvent {
            occurred_at: now,
            actor: actor.id(),
            data: EventData::CorrectionConfirmed {
                correction_id: correction_id.into(),
            },
        });
        Ok(())
    })?;
    match receipt {
        Some(r) => Ok(store.manifests_reopened_since(r.first_seq)?),
        None => Ok(Vec::new()),
    }
}
