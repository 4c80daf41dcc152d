//! Reference data: facilities (with their pavilions and cells) and agreements. Each is one
//! ledger event, registered once, by an admin.

use custodia_model::events::{AgreementRecord, EventData, FacilityRecord, NewEvent};
use custodia_store::Store;

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};

fn admin_only(actor: &Actor) -> Result<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "role `{}` may not register reference data (admin only)",
            actor.role
        )))
    }
}

/// Registers a facility: cell ids unique within it, every area positive, the id new.
pub fn register_facility(store: &mut Store, actor: &Actor, f: FacilityRecord) -> Result<()> {
    admin_only(actor)?;
    // Clean text only (issue 18): ids at most 64 characters, names 200, no control
    // characters; a country that ISO 3166-1 knows.
    let plain = |field: &str, v: &str, max: usize| -> Result<()> {
        if v.trim().is_empty() || v.chars().any(char::is_control) || v.chars().count() > max {
            return Err(AppError::Invalid(format!(
                "facility `{}`: field `{field}`: expected 1 to {max} characters and no control characters",
                f.id.escape_debug()
            )));
        }
        Ok(())
    };
    plain("id", &f.id, 64)?;
    plain("name", &f.name, 200)?;
    plain("kind", &f.kind, 64)?;
    if !custodia_model::country::is_iso_alpha2(f.country.as_str()) {
        return Err(AppError::Invalid(format!(
            "facility `{}`: field `country`: `{}` is not an ISO 3166-1 country code",
            f.id, f.country
        )));
    }
    for p in &f.pavilions {
        plain("pavilions[].id", &p.id, 64)?;
        for c in &p.cells {
            plain("pavilions[].cells[].id", &c.id, 64)?;
            plain("pavilions[].cells[].sanitation", &c.sanitation, 64)?;
        }
    }
    let mut ids = std::collections::BTreeSet::new();
    for p in &f.pavilions {
        for c in &p.cells {
            if !ids.insert(c.id.as_str()) {
                return Err(AppError::Invalid(format!("cell `{}` appears twice", c.id)));
            }
            if c.area_m2.is_nan() || c.area_m2 <= 0.0 {
                return Err(AppError::Invalid(format!(
                    "cell `{}`: field `area_m2`: expected a positive area",
                    c.id
                )));
            }
        }
    }
    let id = f.id.clone();
    append_new(
        store,
        actor,
        &id,
        EventData::FacilityRegistered(f),
        |tx, id| tx.reads().facility_exists(id),
    )
}

/// Registers an agreement under a new id.
pub fn register_agreement(store: &mut Store, actor: &Actor, a: AgreementRecord) -> Result<()> {
    admin_only(actor)?;
    let id = a.id.clone();
    append_new(
        store,
        actor,
        &id,
        EventData::AgreementRegistered(a),
        |tx, id| tx.reads().agreement_exists(id),
    )
}

fn append_new(
    store: &mut Store,
    actor: &Actor,
    id: &str,
    data: EventData,
    exists: impl Fn(&mut custodia_store::Tx<'_>, &str) -> custodia_store::Result<bool>,
) -> Result<()> {
    let now = store.clock().now();
    store.transact_with(|tx| -> Result<()> {
        if exists(tx, id)? {
            return Err(AppError::Conflict(format!("`{id}` is already registered")));
        }
        tx.emit(NewEvent {
            occurred_at: now,
            actor: actor.id(),
            data: data.clone(),
        });
        Ok(())
    })?;
    Ok(())
}
