//! `custodia facility register FILE` and `custodia agreement register FILE`: the reference
//! data the rest stands on, each a ledger event (admin only).

use std::path::PathBuf;

use custodia_model::events::{AgreementRecord, EventData, FacilityRecord, NewEvent, RateRecord};

use crate::ctx::{ActorArg, open_store, store_err};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Subcommand)]
pub enum FacilityCmd {
    /// Register a facility from JSON: {id, name, country, kind, adult_only, pavilions:[{id, cells:[{id, area_m2, capacity, windows, sanitation}]}]}.
    Register {
        #[command(flatten)]
        who: ActorArg,
        file: PathBuf,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum AgreementCmd {
    /// Register an agreement from its TOML (CONTRACT §6).
    Register {
        #[command(flatten)]
        who: ActorArg,
        file: PathBuf,
    },
}

fn admin(db: &str, who: &ActorArg) -> Result<custodia_app::Actor, CliError> {
    let mut store = open_store(db)?;
    let a = who.actor(&mut store)?;
    if a.role != custodia_app::Role::Admin {
        return Err(CliError::input(format!(
            "forbidden: role `{}` may not register reference data (admin only)",
            a.role
        )));
    }
    Ok(a)
}

fn append_unique(
    db: &str,
    actor: &custodia_app::Actor,
    table: &str,
    id: &str,
    data: EventData,
) -> CliResult {
    let mut store = open_store(db)?;
    let now = store.clock().now();
    store
        .transact(|tx| {
            if !tx
                .query(
                    &format!("SELECT id FROM {table} WHERE id = ?"),
                    &[id.into()],
                )?
                .is_empty()
            {
                return Err(custodia_store::StoreError::Conflict(format!(
                    "`{id}` is already registered"
                )));
            }
            tx.emit(NewEvent {
                occurred_at: now,
                actor: actor.id(),
                data: data.clone(),
            });
            Ok(())
        })
        .map_err(store_err)?;
    Ok(())
}

pub fn run_facility(db: &str, cmd: &FacilityCmd) -> CliResult {
    match cmd {
        FacilityCmd::Register { who, file } => {
            let a = admin(db, who)?;
            let name = file.display().to_string();
            let f: FacilityRecord =
                serde_json::from_str(&crate::io::read_input(file)?).map_err(|e| {
                    CliError::input(format!(
                        "`{name}`: line {}, column {}: {e}",
                        e.line(),
                        e.column()
                    ))
                })?;
            // Clean text only (issue 18): ids at most 64 characters, names 200, no control
            // characters; a country that ISO 3166-1 knows.
            let plain = |field: &str, v: &str, max: usize| -> Result<(), CliError> {
                if v.trim().is_empty() || v.chars().any(char::is_control) || v.chars().count() > max
                {
                    return Err(CliError::input(format!(
                        "`{name}`: facility `{}`: field `{field}`: expected 1 to {max} characters and no control characters",
                        f.id.escape_debug()
                    )));
                }
                Ok(())
            };
            plain("id", &f.id, 64)?;
            plain("name", &f.name, 200)?;
            plain("kind", &f.kind, 64)?;
            if !custodia_model::country::is_iso_alpha2(f.country.as_str()) {
                return Err(CliError::input(format!(
                    "`{name}`: facility `{}`: field `country`: `{}` is not an ISO 3166-1 country code",
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
                    if !ids.insert(c.id.clone()) {
                        return Err(CliError::input(format!(
                            "`{name}`: cell `{}` appears twice",
                            c.id
                        )));
                    }
                    if c.area_m2.is_nan() || c.area_m2 <= 0.0 {
                        return Err(CliError::input(format!(
                            "`{name}`: cell `{}`: field `area_m2`: expected a positive area",
                            c.id
                        )));
                    }
                }
            }
            append_unique(
                db,
                &a,
                "facilities",
                &f.id.clone(),
                EventData::FacilityRegistered(f),
            )
        }
    }
}

pub fn run_agreement(db: &str, cmd: &AgreementCmd) -> CliResult {
    match cmd {
        AgreementCmd::Register { who, file } => {
            let a = admin(db, who)?;
            let name = file.display().to_string();
            let ag = custodia_billing::parse_agreement(&crate::io::read_input(file)?)
                .map_err(|e| CliError::input(format!("`{name}`: {e}")))?;
            let rec = AgreementRecord {
                id: ag.id.clone(),
                facility_id: ag.facility_id.clone(),
                currency: ag.currency.clone(),
                start: ag.start,
                end: ag.end,
                reserved_beds: ag.reserved_beds,
                over_reserved_per_person_day: ag
                    .over_reserved_per_person_day
                    .map(|d| custodia_billing::format_money(&d)),
                rates: ag
                    .rates
                    .iter()
                    .map(|r| RateRecord {
                        from: r.from,
                        per_person_day: custodia_billing::format_money(&r.per_person_day),
                    })
                    .collect(),
            };
            append_unique(
                db,
                &a,
                "agreements",
                &ag.id,
                EventData::AgreementRegistered(rec),
            )
        }
    }
}
