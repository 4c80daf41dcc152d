//! `custodia manifest …`: the manifest lifecycle with two-person approval; `custodia intake
//! …` and `custodia case resolve` for the receiving side.

use std::path::PathBuf;

use custodia_app::manifests::{self, NewManifest};
use custodia_model::events::{IntakeRecord, Justification};
use custodia_model::legal::{Basis, CountryCode};

use crate::ctx::{ActorArg, app_err, open_store, parse_date, print_json};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Subcommand)]
pub enum ManifestCmd {
    /// Draft a manifest; prints its id.
    Create {
        #[command(flatten)]
        who: ActorArg,
        #[arg(long)]
        flight: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Destination country (ISO 3166-1 alpha-2).
        #[arg(long)]
        country: String,
        /// `removal`, `alien_enemies_act` or `prisoner_transfer`.
        #[arg(long, default_value = "removal")]
        basis: String,
        /// Departure date, YYYY-MM-DD.
        #[arg(long)]
        departure: String,
    },
    /// Put persons on a manifest.
    Add {
        #[command(flatten)]
        who: ActorArg,
        manifest: String,
        #[arg(required = true)]
        persons: Vec<String>,
    },
    /// Take persons off a manifest.
    Remove {
        #[command(flatten)]
        who: ActorArg,
        manifest: String,
        #[arg(required = true)]
        persons: Vec<String>,
    },
    /// Screen every passenger (decisions go to the ledger).
    Screen {
        #[command(flatten)]
        who: ActorArg,
        manifest: String,
    },
    /// Approve (a supervisor who did not create it).
    Approve {
        #[command(flatten)]
        who: ActorArg,
        manifest: String,
        /// `PERSON_ID=text`: the justification for a needs_review passenger.
        #[arg(long = "justify", value_name = "PERSON=TEXT")]
        justify: Vec<String>,
    },
    /// Record the departure.
    Depart {
        #[command(flatten)]
        who: ActorArg,
        manifest: String,
    },
    /// Record the arrival.
    Arrive {
        #[command(flatten)]
        who: ActorArg,
        manifest: String,
    },
    /// Reconcile against the receiving facility's intake; opens cases.
    Reconcile {
        #[command(flatten)]
        who: ActorArg,
        manifest: String,
    },
    /// Close a reconciled manifest with no open case.
    Close {
        #[command(flatten)]
        who: ActorArg,
        manifest: String,
    },
    /// Print a manifest.
    Show { manifest: String },
}

#[derive(Debug, clap::Subcommand)]
pub enum IntakeCmd {
    /// Import intake rows (CSV with CONTRACT §2 columns): atomic and idempotent.
    Import {
        #[command(flatten)]
        who: ActorArg,
        #[arg(long)]
        facility: String,
        #[arg(long)]
        manifest: Option<String>,
        file: PathBuf,
    },
    /// Record one arrival, as the receiving facility writes it.
    Add {
        #[command(flatten)]
        who: ActorArg,
        #[arg(long)]
        facility: String,
        #[arg(long)]
        manifest: Option<String>,
        #[arg(long)]
        record_id: String,
        #[arg(long)]
        family: String,
        #[arg(long, default_value = "")]
        given: String,
        #[arg(long)]
        dob: Option<String>,
        #[arg(long)]
        sex: Option<String>,
        #[arg(long)]
        nationality: Option<String>,
        #[arg(long)]
        document: Option<String>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum CaseCmd {
    /// Resolve a discrepancy case with a reason.
    Resolve {
        #[command(flatten)]
        who: ActorArg,
        case: String,
        #[arg(long)]
        reason: String,
    },
}

pub fn run(db: &str, cmd: &ManifestCmd) -> CliResult {
    let mut store = open_store(db)?;
    match cmd {
        ManifestCmd::Create {
            who,
            flight,
            from,
            to,
            country,
            basis,
            departure,
        } => {
            let basis: Basis = serde_json::from_value(serde_json::Value::String(basis.clone())).map_err(|_| {
                CliError::input(format!("`--basis {basis}`: expected `removal`, `alien_enemies_act` or `prisoner_transfer`"))
            })?;
            let m = NewManifest {
                flight: flight.clone(),
                from_facility: from.clone(),
                to_facility: to.clone(),
                destination_country: CountryCode::new(country)
                    .map_err(|e| CliError::input(format!("`--country`: {e}")))?,
                basis,
                departure_on: parse_date("--departure", departure)?,
            };
            let actor = who.actor(&mut store)?;
            let id = manifests::create(&mut store, &actor, &m).map_err(app_err)?;
            println!("{id}");
        }
        ManifestCmd::Add {
            who,
            manifest,
            persons,
        } => {
            let a = who.actor(&mut store)?;
            for p in persons {
                manifests::add_passenger(&mut store, &a, manifest, p).map_err(app_err)?;
            }
        }
        ManifestCmd::Remove {
            who,
            manifest,
            persons,
        } => {
            let a = who.actor(&mut store)?;
            for p in persons {
                manifests::remove_passenger(&mut store, &a, manifest, p).map_err(app_err)?;
            }
        }
        ManifestCmd::Screen { who, manifest } => {
            let actor = who.actor(&mut store)?;
            let out = manifests::screen(
                &mut store,
                &actor,
                manifest,
                custodia_rules::Params::builtin(),
            )
            .map_err(app_err)?;
            print_json(&out)?;
        }
        ManifestCmd::Approve {
            who,
            manifest,
            justify,
        } => {
            let js = justify
                .iter()
                .map(|j| {
                    j.split_once('=')
                        .map(|(p, t)| Justification {
                            person_id: p.trim().into(),
                            text: t.trim().into(),
                        })
                        .ok_or_else(|| {
                            CliError::input(format!("`--justify {j}`: expected PERSON=TEXT"))
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let actor = who.actor(&mut store)?;
            manifests::approve(&mut store, &actor, manifest, &js).map_err(app_err)?;
        }
        ManifestCmd::Depart { who, manifest } => {
            let actor = who.actor(&mut store)?;
            let d = manifests::depart(
                &mut store,
                &actor,
                manifest,
                custodia_rules::Params::builtin(),
            )
            .map_err(app_err)?;
            eprintln!(
                "manifest `{manifest}` departed on {}: {} passengers screened again at the gate",
                d.on,
                d.passengers.len()
            );
            print_json(&d)?;
            // CONTRACT §10: a departure to a peer's facility sends its hand-over document,
            // after the departure committed; a peer that is down never fails the departure.
            if !custodia_app::federation::peers(&mut store)
                .map_err(app_err)?
                .is_empty()
            {
                crate::cmd::federation::deliver_and_report(&mut store, &actor.id());
            }
        }
        ManifestCmd::Arrive { who, manifest } => {
            let actor = who.actor(&mut store)?;
            manifests::arrive(&mut store, &actor, manifest).map_err(app_err)?
        }
        ManifestCmd::Reconcile { who, manifest } => {
            let actor = who.actor(&mut store)?;
            let s = manifests::reconcile(&mut store, &actor, manifest).map_err(app_err)?;
            print_json(&s)?;
        }
        ManifestCmd::Close { who, manifest } => {
            let actor = who.actor(&mut store)?;
            manifests::close(&mut store, &actor, manifest).map_err(app_err)?
        }
        ManifestCmd::Show { manifest } => {
            let m = manifests::get(&mut store, manifest).map_err(app_err)?;
            print_json(&m)?;
        }
    }
    Ok(())
}

pub fn run_intake(db: &str, cmd: &IntakeCmd) -> CliResult {
    match cmd {
        IntakeCmd::Add {
            who,
            facility,
            manifest,
            record_id,
            family,
            given,
            dob,
            sex,
            nationality,
            document,
        } => {
            if let Some(d) = dob {
                crate::ctx::parse_date("--dob", d)?;
            }
            if let Some(n) = nationality {
                CountryCode::new(n)
                    .map_err(|e| CliError::input(format!("`--nationality`: {e}")))?;
            }
            let row = IntakeRecord {
                record_id: record_id.clone(),
                family_names: family.clone(),
                given_names: given.clone(),
                date_of_birth: dob.clone(),
                sex: sex.clone(),
                nationality: nationality.clone(),
                document_number: document.clone(),
            };
            let mut store = open_store(db)?;
            let actor = who.actor(&mut store)?;
            let n =
                manifests::record_intake(&mut store, &actor, facility, manifest.as_deref(), &[row])
                    .map_err(app_err)?;
            if n == 0 {
                eprintln!("intake record `{record_id}` is already recorded; nothing new");
            }
        }
        IntakeCmd::Import {
            who,
            facility,
            manifest,
            file,
        } => {
            let name = file.display().to_string();
            let text = crate::io::read_input(file)?;
            let rows = custodia_linkage::parse_csv(&name, &text)
                .map_err(|e| CliError::input(e.to_string()))?;
            let rows: Vec<IntakeRecord> = rows
                .into_iter()
                .map(|r| IntakeRecord {
                    record_id: r.record_id,
                    family_names: r.family_names,
                    given_names: r.given_names,
                    date_of_birth: r.date_of_birth.map(|d| d.to_string()),
                    sex: r.sex,
                    nationality: r.nationality,
                    document_number: r.document_number,
                })
                .collect();
            let mut store = open_store(db)?;
            let actor = who.actor(&mut store)?;
            let n =
                manifests::record_intake(&mut store, &actor, facility, manifest.as_deref(), &rows)
                    .map_err(app_err)?;
            eprintln!(
                "intake `{name}`: {} rows, {n} new{}",
                rows.len(),
                if n == 0 {
                    "; nothing new to record"
                } else {
                    ""
                }
            );
        }
    }
    Ok(())
}

pub fn run_case(db: &str, cmd: &CaseCmd) -> CliResult {
    let mut store = open_store(db)?;
    match cmd {
        CaseCmd::Resolve { who, case, reason } => {
            let actor = who.actor(&mut store)?;
            manifests::resolve_case(&mut store, &actor, case, reason).map_err(app_err)?
        }
    }
    Ok(())
}
