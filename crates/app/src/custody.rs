//! Custody events for one person: admission, release, removal, death. Each may be reported
//! late: `occurred_at` is when it happened as the reporter says; the store stamps
//! `recorded_at` itself.

use custodia_model::events::{CustodyStatus, EventData, NewEvent};
use custodia_model::legal::CountryCode;
use custodia_store::Store;

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};
use crate::screening::from_store;

/// What happened to the person.
#[derive(Debug, Clone)]
pub enum Change {
    Admit { facility_id: String },
    Release,
    Remove { country: CountryCode },
    Death,
}

/// Records a custody change for `person_id`, refusing one that the person's current
/// custody does not allow (releasing someone not held, say).
pub fn record(
    store: &mut Store,
    actor: &Actor,
    person_id: &str,
    change: Change,
    occurred_at: Option<jiff::Timestamp>,
) -> Result<()> {
    if !matches!(
        actor.role,
        Role::SendingOfficer | Role::SendingSupervisor | Role::ReceivingOfficer
    ) {
        return Err(AppError::Forbidden(format!(
            "role `{}` may not record custody changes",
            actor.role
        )));
    }
    if matches!(change, Change::Remove { .. }) && actor.role == Role::ReceivingOfficer {
        // CONTRACT §9 "No hand-over outside a manifest".
        return Err(AppError::Forbidden(
            "a `receiving_officer` may never record a removal; removals follow a departed manifest"
                .into(),
        ));
    }
    let now = store.clock().now();
    let at = occurred_at.unwrap_or(now);
    if at > now {
        return Err(AppError::Invalid(format!("`--at {at}` is in the future")));
    }
    store
        .transact(|tx| {
            let w = tx.reads().whereabouts(person_id)?.ok_or_else(|| custodia_store::StoreError::NotFound(format!("no person `{person_id}`")))?;
            let facility = w.facility_id;
            let status = w.status;
            let held = status == Some(CustodyStatus::InCustody);
            let data = match &change {
                Change::Admit { facility_id } => {
                    let Some((to_country, to_adult_only)) = tx.reads().facility_country(facility_id)? else {
                        return Err(custodia_store::StoreError::NotFound(format!("no facility `{facility_id}`")));
                    };
                    let day = at.to_zoned(jiff::tz::TimeZone::UTC).date();
                    let dob = tx.reads().person(person_id)?.and_then(|p| p.date_of_birth);
                    if let Some(why) = barred_as_minor(facility_id, to_adult_only, person_id, dob, day)? {
                        return Err(custodia_store::StoreError::Invalid(why));
                    }
                    // Custody that crosses a border changes hands only on a departed manifest.
                    let from_country = match &facility {
                        Some(f) => tx.reads().facility_country(f)?.map(|(c, _)| c),
                        None => None,
                    };
                    if from_country.as_ref().is_some_and(|c| *c != to_country)
                        && departed_manifests(tx, person_id, &to_country, Some(facility_id))?.is_empty()
                    {
                        return Err(custodia_store::StoreError::Conflict(format!(
                            "person `{person_id}` is held in {} and `{facility_id}` is in {to_country}: custody crosses a border only on a departed manifest to that facility with the person on it",
                            from_country.unwrap_or_default()
                        )));
                    }
                    EventData::Admitted { person_id: person_id.into(), facility_id: facility_id.clone(), manifest_id: None }
                }
                Change::Remove { country } => {
                    // CONTRACT §9: only a person on a departed manifest to that country.
                    if departed_manifests(tx, person_id, country.as_str(), None)?.is_empty() {
                        return Err(custodia_store::StoreError::Conflict(format!(
                            "person `{person_id}` is on no departed manifest to {country}: a removal is recorded only after the departure gate screened them (`custodia manifest depart`)"
                        )));
                    }
                    if !matches!(status, Some(CustodyStatus::InCustody | CustodyStatus::Transferred)) {
                        return Err(custodia_store::StoreError::Conflict(format!(
                            "person `{person_id}` is `{}`, not in custody or in transfer",
                            status.map_or("", CustodyStatus::as_str)
                        )));
                    }
                    EventData::Removed { person_id: person_id.into(), country: *country }
                }
                other => {
                    let Some(f) = facility.clone().filter(|_| held) else {
                        return Err(custodia_store::StoreError::Conflict(format!("person `{person_id}` is not held anywhere")));
                    };
                    // A late report must not predate the stay it ends.
                    let day = at.to_zoned(jiff::tz::TimeZone::UTC).date();
                    let admitted = tx.reads().open_stay_since(person_id)?;
                    if let Some(adm) = admitted.filter(|adm| day < *adm) {
                        return Err(custodia_store::StoreError::Invalid(format!(
                            "person `{person_id}` was admitted on {adm}; a change on {day} would end the stay before it began"
                        )));
                    }
                    match other {
                        Change::Release => EventData::Released { person_id: person_id.into(), facility_id: f },
                        _ => EventData::Died { person_id: person_id.into(), facility_id: f },
                    }
                }
            };
            tx.emit(NewEvent { occurred_at: at, actor: actor.id(), data });
            Ok(())
        })
        .map_err(from_store)?;
    Ok(())
}

/// The departed (or later) manifests to `country` (and `facility`, when given) that carry
/// the person.
fn departed_manifests(
    tx: &mut custodia_store::Tx<'_>,
    person_id: &str,
    country: &str,
    facility: Option<&str>,
) -> custodia_store::Result<Vec<String>> {
    Ok(tx
        .reads()
        .departed_manifests_to(person_id, country)?
        .into_iter()
        .filter(|(_, to)| facility.is_none_or(|f| to == f))
        .map(|(id, _)| id)
        .collect())
}

/// Why `person_id`, born `dob`, may not be admitted to `facility_id` on `day`: they are
/// under `adult_age` and the facility is adult-only (its record says so, or
/// `rules::Params::adult_only_facility`). Mandela Rules, rule 11(d); CRC art. 37(c). `None`
/// when they may (an unknown date of birth is not a minor). Used by every admission: an
/// officer's (`change`) and a hand-over's receipt (`federation::receive`).
pub(crate) fn barred_as_minor(
    facility_id: &str,
    adult_only_record: bool,
    person_id: &str,
    dob: Option<jiff::civil::Date>,
    day: jiff::civil::Date,
) -> custodia_store::Result<Option<String>> {
    let params = custodia_rules::Params::builtin();
    if !(adult_only_record || params.adult_only_facility(facility_id)) {
        return Ok(None);
    }
    let adult_age = params.adult_age.at(day).ok_or_else(|| {
        custodia_store::StoreError::Invalid(format!("parameter `adult_age` has no value on {day}"))
    })?;
    Ok(custodia_model::legal::minor_on(dob, day, adult_age).map(|age| {
        format!(
            "person `{person_id}`, born {}, is {age} on {day}: `{facility_id}` is adult-only and holds no one under {adult_age} (Mandela Rules, rule 11(d))",
            dob.map(|d| d.to_string()).unwrap_or_default()
        )
    }))
}
