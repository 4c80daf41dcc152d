//! Custody events for one person: admission, release, removal, death. Each may be reported
//! late: `occurred_at` is when it happened as the reporter says; the store stamps
//! `recorded_at` itself.

use custodia_model::events::{EventData, NewEvent};
use custodia_model::legal::CountryCode;
use custodia_store::Store;
use custodia_store::backend::Value;

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
    let now = store.clock().now();
    let at = occurred_at.unwrap_or(now);
    if at > now {
        return Err(AppError::Invalid(format!("`--at {at}` is in the future")));
    }
    store
        .transact(|tx| {
            let rows = tx.query("SELECT facility_id, status FROM persons WHERE id = ?", &[person_id.into()])?;
            let r = rows.first().ok_or_else(|| custodia_store::StoreError::NotFound(format!("no person `{person_id}`")))?;
            let facility = r[0].opt_str();
            let held = r[1].opt_str().as_deref() == Some("in_custody");
            let data = match &change {
                Change::Admit { facility_id } => {
                    if tx.query("SELECT id FROM facilities WHERE id = ?", &[facility_id.as_str().into()])?.is_empty() {
                        return Err(custodia_store::StoreError::NotFound(format!("no facility `{facility_id}`")));
                    }
                    EventData::Admitted { person_id: person_id.into(), facility_id: facility_id.clone(), manifest_id: None }
                }
                other => {
                    let Some(f) = facility.clone().filter(|_| held) else {
                        return Err(custodia_store::StoreError::Conflict(format!("person `{person_id}` is not held anywhere")));
                    };
                    // A late report must not predate the stay it ends.
                    let open = tx.query(
                        "SELECT admitted_on FROM stays WHERE person_id = ? AND released_on IS NULL",
                        &[person_id.into()],
                    )?;
                    let day = at.to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
                    let admitted = open.first().and_then(|r| r.first()).and_then(Value::opt_str);
                    if let Some(adm) = admitted.filter(|adm| day < *adm) {
                        return Err(custodia_store::StoreError::Invalid(format!(
                            "person `{person_id}` was admitted on {adm}; a change on {day} would end the stay before it began"
                        )));
                    }
                    match other {
                        Change::Release => EventData::Released { person_id: person_id.into(), facility_id: f },
                        Change::Remove { country } => EventData::Removed { person_id: person_id.into(), country: *country },
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
