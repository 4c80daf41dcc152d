//! Screening a person held in the store, with the legal records recorded for them. The
//! decision is itself appended to the ledger, so a transfer can later show what it rested on.

use custodia_model::events::{EventData, FindingRecord, NewEvent};
use custodia_model::legal::{
    Basis, CountryCode, Facility, Person, ScreeningRequest, Transfer, VersionedRecord,
};
use custodia_rules::{Decision, Params};
use custodia_store::reads::Reads;
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
pub(crate) fn request_for(r: &mut Reads<'_>, p: &Proposal) -> Result<ScreeningRequest> {
    let person = r
        .person(&p.person_id)?
        .ok_or_else(|| AppError::NotFound(format!("no person `{}`", p.person_id)))?;
    let us_status = person.us_status.ok_or_else(|| {
        AppError::Invalid(format!(
            "person `{}` has no recorded US status; record it before screening",
            person.id
        ))
    })?;
    let mut records = Vec::new();
    for body in r.legal_record_bodies(&p.person_id)? {
        // A stored body may carry `id`/`as_of` (a record version); the rules resolve them.
        let rec: VersionedRecord = serde_json::from_str(&body).map_err(|e| {
            AppError::Store(custodia_store::StoreError::Corrupt(format!(
                "legal_records: a stored record of `{}` does not parse: {e}",
                p.person_id
            )))
        })?;
        records.push(rec);
    }
    // Class-wide orders apply to every person tagged with their class.
    for body in r.class_orders_for(&p.person_id)? {
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
            let adult_only = r
                .facility_adult_only(f)?
                .ok_or_else(|| AppError::NotFound(format!("no facility `{f}`")))?;
            Some(Facility {
                id: f.clone(),
                adult_only,
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
    store.view_with(|r| request_for(r, p))
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
            let req = request_for(&mut tx.reads(), p).map_err(into_store)?;
            let d = custodia_rules::screen(&req, params);
            tx.emit(decided(actor, now, p, &d));
            Ok(d)
        })
        .map_err(from_store)?;
    Ok(d)
}

pub(crate) fn load_person_tx(tx: &mut Tx<'_>, id: &str) -> custodia_store::Result<Option<String>> {
    Ok(tx.reads().person_exists(id)?.then(|| id.to_string()))
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

/// When a proposed transfer becomes lawful (CONTRACT §9 "When it becomes lawful").
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Lawful {
    /// The manifest proposing the transfer, when it comes from one.
    pub manifest_id: Option<String>,
    pub destination_country: CountryCode,
    pub facility_id: Option<String>,
    pub basis: Basis,
    /// The clock's date the answer is for.
    pub today: Date,
    /// The first date on which no finding that a waiting period lifts remains; `None` when a
    /// finding no waiting period lifts remains.
    #[serde(with = "custodia_model::legal::ymd_opt")]
    pub earliest_date: Option<Date>,
    /// Days from `today` to `earliest_date` (0: lawful today).
    pub days_left: Option<i64>,
}

/// The earliest lawful date of a proposal, given the records in the store now.
pub fn lawful_from(store: &mut Store, p: &Proposal, params: &Params) -> Result<Lawful> {
    store.view_with(|r| lawful_in(r, p, params))
}

/// [`lawful_from`] inside a snapshot the caller holds (the person's file is read in the
/// same one).
pub fn lawful_in(r: &mut Reads<'_>, p: &Proposal, params: &Params) -> Result<Lawful> {
    let req = request_for(r, p)?;
    let earliest = custodia_rules::earliest_date(&req, params);
    Ok(Lawful {
        manifest_id: p.manifest_id.clone(),
        destination_country: p.destination_country,
        facility_id: p.facility_id.clone(),
        basis: p.basis,
        today: p.on,
        earliest_date: earliest,
        days_left: earliest.map(|d| (d - p.on).get_days().into()),
    })
}

/// The transfer a person is proposed for, on `today`, read in the caller's snapshot: the
/// manifest they are on that has not departed (`draft`, `screened` or `approved`). `None`
/// when there is none.
pub fn proposed_transfer_in(
    r: &mut Reads<'_>,
    person_id: &str,
    today: Date,
) -> Result<Option<Proposal>> {
    let m = match r.pending_manifest_of(person_id)? {
        None => None,
        Some(id) => r.manifest(&id)?,
    };
    let Some(m) = m else { return Ok(None) };
    let basis: Basis =
        serde_json::from_value(serde_json::Value::String(m.basis.clone())).map_err(|_| {
            AppError::Store(custodia_store::StoreError::Corrupt(format!(
                "manifests row `{}`: basis `{}`",
                m.id, m.basis
            )))
        })?;
    let dest = CountryCode::new(&m.destination_country).map_err(|e| {
        AppError::Store(custodia_store::StoreError::Corrupt(format!(
            "manifests row `{}`: {e}",
            m.id
        )))
    })?;
    Ok(Some(Proposal {
        person_id: person_id.to_string(),
        basis,
        destination_country: dest,
        facility_id: Some(m.to_facility.clone()),
        on: today,
        manifest_id: Some(m.id),
    }))
}
