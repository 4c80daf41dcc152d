//! Screening a person held in the store, with the legal records recorded for them. The
//! decision is itself appended to the ledger, so a transfer can later show what it rested on.

use custodia_model::events::{EventData, FindingRecord, NewEvent};
use custodia_model::legal::{
    Basis, CountryCode, Facility, Person, ScreeningRequest, Transfer, VersionedRecord,
};
use custodia_rules::{Decision, Params};
use custodia_store::{Store, Tx};
use jiff::civil::Date;

use crate::actor::Actor;
use crate::error::{AppError, Result};

/// A proposed transfer of one person.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub person_id: String,
    pub basis: Basis,
    pub destination_country: CountryCode,
    pub facility_id: Option<String>,
    pub on: Date,
    pub manifest_id: Option<String>,
}

/// Builds the screening request for a stored person.
pub(crate) fn request_for(tx: &mut Tx<'_>, p: &Proposal) -> Result<ScreeningRequest> {
    let (person, _, _) = {
        let mut out = None;
        let rows = tx.query(
            &format!(
                "SELECT {} FROM persons WHERE id = ?",
                custodia_store::commands::PERSON_COLUMNS
            ),
            &[p.person_id.as_str().into()],
        )?;
        if let Some(r) = rows.first() {
            out = Some((custodia_store::commands::person_from_row(r)?, (), ()));
        }
        out.ok_or_else(|| AppError::NotFound(format!("no person `{}`", p.person_id)))?
    };
    let us_status = person.us_status.ok_or_else(|| {
        AppError::Invalid(format!(
            "person `{}` has no recorded US status; record it before screening",
            person.id
        ))
    })?;
    let mut records = Vec::new();
    for r in tx.query(
        "SELECT body FROM legal_records WHERE person_id = ? ORDER BY seq",
        &[p.person_id.as_str().into()],
    )? {
        let body = r.first().and_then(|v| v.as_str()).unwrap_or("");
        // A stored body may carry `id`/`as_of` (a record version); the rules resolve them.
        let rec: VersionedRecord =
            serde_json::from_str(body).map_err(|e| AppError::Store(e.into()))?;
        records.push(rec);
    }
    // Class-wide orders apply to every person tagged with their class.
    for body in custodia_store::law::class_orders_for(tx.conn(), &p.person_id)? {
        let rec: VersionedRecord = serde_json::from_str(&body).map_err(|e| {
            AppError::Store(custodia_store::StoreError::Corrupt(format!(
                "class_orders: a stored order does not parse: {e}"
            )))
        })?;
        records.push(rec);
    }
    let facility = match &p.facility_id {
        None => None,
        Some(f) => {
            let rows = tx.query(
                "SELECT adult_only FROM facilities WHERE id = ?",
                &[f.as_str().into()],
            )?;
            let adult_only = rows
                .first()
                .and_then(|r| r.first())
                .and_then(|v| v.as_i64())
                .ok_or_else(|| AppError::NotFound(format!("no facility `{f}`")))?;
            Some(Facility {
                id: f.clone(),
                adult_only: adult_only != 0,
            })
        }
    };
    Ok(ScreeningRequest {
        id: format!("{}@{}", person.id, p.on),
        on: p.on,
        person: Person {
            id: person.id.clone(),
            given_names: Some(person.given_names.clone()),
            family_names: Some(person.family_names.clone()),
            date_of_birth: person.date_of_birth,
            country_of_birth: person.country_of_birth,
            nationalities: person.nationalities.clone(),
            us_status,
            languages: person.languages.clone(),
            identity_verified: person.identity_verified,
            sex: person.sex.clone(),
        },
        records,
        transfer: Transfer {
            basis: p.basis,
            destination_country: p.destination_country,
            facility,
        },
    })
}

/// The screening request for a stored person as the store holds it now (read only; records
/// nothing). What `manifest depart` screens.
pub fn request_now(store: &mut Store, p: &Proposal) -> Result<ScreeningRequest> {
    let (req, _) = store.transact_with(|tx| request_for(tx, p))?;
    Ok(req)
}

/// The ledger event for a decision.
pub(crate) fn decided(actor: &Actor, at: jiff::Timestamp, p: &Proposal, d: &Decision) -> NewEvent {
    NewEvent {
        occurred_at: at,
        actor: actor.id(),
        data: EventData::ScreeningDecided {
            person_id: p.person_id.clone(),
            manifest_id: p.manifest_id.clone(),
            on: p.on,
            basis: p.basis,
            destination_country: p.destination_country,
            facility_id: p.facility_id.clone(),
            outcome: d.outcome.as_str().to_string(),
            rules_version: d.rules_version.clone(),
            findings: d
                .findings
                .iter()
                .map(|f| FindingRecord {
                    rule: f.rule.as_str().to_string(),
                    effect: f.effect.as_str().to_string(),
                    citation: f.citation.to_string(),
                    detail: f.detail.clone(),
                })
                .collect(),
        },
    }
}

/// Screens one stored person and records the decision. Sending roles only.
pub fn screen_person(
    store: &mut Store,
    actor: &Actor,
    p: &Proposal,
    params: &Params,
) -> Result<Decision> {
    if !actor.role.is_sending() {
        return Err(AppError::Forbidden(format!(
            "role `{}` may not screen transfers",
            actor.role
        )));
    }
    let now = store.clock().now();
    let (d, _) = store
        .transact(|tx| {
            let req = request_for(tx, p).map_err(into_store)?;
            let d = custodia_rules::screen(&req, params);
            tx.emit(decided(actor, now, p, &d));
            Ok(d)
        })
        .map_err(from_store)?;
    Ok(d)
}

pub(crate) fn load_person_tx(tx: &mut Tx<'_>, id: &str) -> custodia_store::Result<Option<String>> {
    let rows = tx.query("SELECT id FROM persons WHERE id = ?", &[id.into()])?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(|v| v.opt_str()))
}

/// Carries an application error through a store transaction closure.
pub(crate) fn into_store(e: AppError) -> custodia_store::StoreError {
    match e {
        AppError::Store(s) => s,
        AppError::Forbidden(m) => custodia_store::StoreError::Invalid(format!("forbidden: {m}")),
        AppError::Unauthorized(m) => {
            custodia_store::StoreError::Invalid(format!("unauthorized: {m}"))
        }
        e @ AppError::DepartureRefused(_) => custodia_store::StoreError::Conflict(e.to_string()),
        AppError::Conflict(m) => custodia_store::StoreError::Conflict(m),
        AppError::NotFound(m) => custodia_store::StoreError::NotFound(m),
        AppError::Invalid(m) => custodia_store::StoreError::Invalid(m),
    }
}

/// And back.
pub(crate) fn from_store(e: custodia_store::StoreError) -> AppError {
    match e {
        custodia_store::StoreError::Conflict(m) => AppError::Conflict(m),
        custodia_store::StoreError::NotFound(m) => AppError::NotFound(m),
        custodia_store::StoreError::Invalid(m) => match m.strip_prefix("forbidden: ") {
            Some(f) => AppError::Forbidden(f.to_string()),
            None => AppError::Invalid(m),
        },
        other => AppError::Store(other),
    }
}
