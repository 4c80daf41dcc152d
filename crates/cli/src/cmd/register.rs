//! `custodia facility register FILE` and `custodia agreement register FILE`: the reference
//! data the rest stands on, each a ledger event (admin only).

use std::path::PathBuf;

use custodia_model::events::{AgreementRecord, FacilityRecord, RateRecord};

use crate::ctx::{ActorArg, app_err, open_store};
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

pub fn run_facility(db: &str, cmd: &FacilityCmd) -> CliResult {
    match cmd {
        FacilityCmd::Register { who, file } => {
            let mut store = open_store(db)?;
            let a = who.actor(&mut store)?;
            let name = file.display().to_string();
            let f: FacilityRecord = crate::io::parse_json(&name, 1, &crate::io::read_input(file)?)?;
            custodia_app::registry::register_facility(&mut store, &a, f).map_err(|e| match e {
                custodia_app::AppError::Invalid(m) => CliError::input(format!("`{name}`: {m}")),
                e => app_err(e),
            })
        }
    }
}

pub fn run_agreement(db: &str, cmd: &AgreementCmd) -> CliResult {
    match cmd {
        AgreementCmd::Register { who, file } => {
            let mut store = open_store(db)?;
            let a = who.actor(&mut store)?;
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
            custodia_app::registry::register_agreement(&mut store, &a, rec).map_err(app_err)
        }
    }
}
