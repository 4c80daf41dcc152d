//! `custodia housing …`, `custodia condition …` and `custodia report …`: the receiving
//! facility's housing, conditions evidence, and the standards, census and cost reports.

use custodia_app::{billing, housing};
use custodia_billing::Month;
use custodia_housing::StandardsParams;
use custodia_model::events::EventData;

use crate::ctx::{ActorArg, app_err, open_store, parse_date, print_json};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Subcommand)]
pub enum HousingCmd {
    /// Propose cells for everyone held without one (nothing is written).
    Propose {
        #[arg(long)]
        facility: String,
    },
    /// Place persons: `PERSON=CELL` pairs, or `--proposal FILE` (the output of `propose`).
    Place {
        #[command(flatten)]
        who: ActorArg,
        #[arg(long)]
        proposal: Option<std::path::PathBuf>,
        #[arg(value_name = "PERSON=CELL")]
        pairs: Vec<String>,
    },
    /// Take a cell out of use (with a reason) or back into use.
    Cell {
        #[command(flatten)]
        who: ActorArg,
        cell: String,
        #[arg(long, conflicts_with = "in_use")]
        out_of_use: Option<String>,
        #[arg(long)]
        in_use: bool,
    },
    /// Record what housing must respect for a person: groups, groups to keep apart from,
    /// co-defendants.
    Separation {
        #[command(flatten)]
        who: ActorArg,
        person: String,
        #[arg(long = "group")]
        groups: Vec<String>,
        #[arg(long = "separate-from")]
        separate_from: Vec<String>,
        #[arg(long = "avoid")]
        avoid: Vec<String>,
    },
    /// List cells with occupancy and space per person.
    Cells {
        #[arg(long)]
        facility: Option<String>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ConditionCmd {
    /// Open-air exercise (Mandela Rule 23).
    Exercise {
        #[command(flatten)]
        who: ActorArg,
        person: String,
        #[arg(long)]
        on: String,
        #[arg(long)]
        minutes: u32,
    },
    /// A visit or family contact (Rule 58).
    Visit {
        #[command(flatten)]
        who: ActorArg,
        person: String,
        #[arg(long)]
        on: String,
        #[arg(long, default_value = "family")]
        kind: String,
    },
    /// Solitary confinement begins (Rules 44–45).
    SolitaryStart {
        #[command(flatten)]
        who: ActorArg,
        person: String,
        #[arg(long)]
        on: String,
    },
    /// Solitary confinement ends.
    SolitaryEnd {
        #[command(flatten)]
        who: ActorArg,
        person: String,
        #[arg(long)]
        on: String,
    },
    /// The family was notified (Rule 68): `admission` or `transfer`.
    Notified {
        #[command(flatten)]
        who: ActorArg,
        person: String,
        #[arg(long, default_value = "admission")]
        occasion: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ReportCmd {
    /// The oversight report: approvals of `needs_review` passengers with their
    /// justifications, refused departures, identity corrections, and late records that
    /// sent a manifest back (auditor, supervisor, admin).
    Overrides {
        #[command(flatten)]
        who: ActorArg,
        /// Only this month (`YYYY-MM`).
        #[arg(long)]
        month: Option<String>,
    },
    /// Space per person against the ICRC standard, design capacity and the Mandela Rules.
    Standards {
        #[arg(long)]
        facility: Option<String>,
        /// The last complete day judged (default: today by the clock).
        #[arg(long)]
        as_of: Option<String>,
        /// The first day of the period (default: 30 days before `--as-of`).
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Daily census per facility and pavilion.
    Census {
        #[arg(long)]
        facility: Option<String>,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// What the month's person-days would cost under each scheme.
    Costs {
        #[arg(long, default_value = "US-SV-2025")]
        agreement: String,
        #[arg(long)]
        month: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run_housing(db: &str, cmd: &HousingCmd) -> CliResult {
    let mut store = open_store(db)?;
    match cmd {
        HousingCmd::Propose { facility } => {
            let out = housing::propose(&mut store, facility, 3.4).map_err(app_err)?;
            print_json(&out)?;
        }
        HousingCmd::Place {
            who,
            proposal,
            pairs,
        } => {
            let mut list: Vec<(String, String)> = Vec::new();
            if let Some(p) = proposal {
                let text = crate::io::read_input(p)?;
                let file: ProposalFile = crate::io::parse_json(&p.display().to_string(), 1, &text)?;
                list.extend(
                    file.assignments
                        .into_iter()
                        .map(|a| (a.person_id, a.cell_id)),
                );
            }
            for pair in pairs {
                let (p, c) = pair
                    .split_once('=')
                    .ok_or_else(|| CliError::input(format!("`{pair}`: expected PERSON=CELL")))?;
                list.push((p.into(), c.into()));
            }
            let actor = who.actor(&mut store)?;
            let n = housing::confirm(&mut store, &actor, &list).map_err(app_err)?;
            eprintln!("placed {n} person(s)");
        }
        HousingCmd::Cell {
            who,
            cell,
            out_of_use,
            in_use,
        } => {
            if out_of_use.is_none() && !in_use {
                return Err(CliError::input("give `--out-of-use REASON` or `--in-use`"));
            }
            let actor = who.actor(&mut store)?;
            housing::set_cell_status(&mut store, &actor, cell, *in_use, out_of_use.as_deref())
                .map_err(app_err)?;
        }
        HousingCmd::Separation {
            who,
            person,
            groups,
            separate_from,
            avoid,
        } => {
            let actor = who.actor(&mut store)?;
            housing::record_separation(
                &mut store,
                &actor,
                person,
                groups.clone(),
                separate_from.clone(),
                avoid.clone(),
            )
            .map_err(app_err)?;
        }
        HousingCmd::Cells { facility } => {
            let cells = housing::cells(&mut store, facility.as_deref()).map_err(app_err)?;
            let rows: Vec<serde_json::Value> = cells
                .iter()
                .map(|c| serde_json::json!({"cell": c, "m2_per_person": c.m2_per_person()}))
                .collect();
            print_json(&rows)?;
        }
    }
    Ok(())
}

pub fn run_condition(db: &str, cmd: &ConditionCmd) -> CliResult {
    let mut store = open_store(db)?;
    let (who, data) = match cmd {
        ConditionCmd::Exercise {
            who,
            person,
            on,
            minutes,
        } => (
            who,
            EventData::ExerciseRecorded {
                person_id: person.clone(),
                on: parse_date("--on", on)?,
                minutes: *minutes,
            },
        ),
        ConditionCmd::Visit {
            who,
            person,
            on,
            kind,
        } => (
            who,
            EventData::VisitRecorded {
                person_id: person.clone(),
                on: parse_date("--on", on)?,
                visit_kind: kind.clone(),
            },
        ),
        ConditionCmd::SolitaryStart { who, person, on } => (
            who,
            EventData::SolitaryStarted {
                person_id: person.clone(),
                on: parse_date("--on", on)?,
            },
        ),
        ConditionCmd::SolitaryEnd { who, person, on } => (
            who,
            EventData::SolitaryEnded {
                person_id: person.clone(),
                on: parse_date("--on", on)?,
            },
        ),
        ConditionCmd::Notified {
            who,
            person,
            occasion,
        } => {
            if occasion != "admission" && occasion != "transfer" {
                return Err(CliError::input(format!(
                    "`--occasion {occasion}`: expected `admission` or `transfer`"
                )));
            }
            (
                who,
                EventData::FamilyNotified {
                    person_id: person.clone(),
                    occasion: occasion.clone(),
                },
            )
        }
    };
    let actor = who.actor(&mut store)?;
    housing::record_condition(&mut store, &actor, data).map_err(app_err)
}

fn today(store: &custodia_store::Store) -> jiff::civil::Date {
    store.clock().now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

pub fn run_report(db: &str, cmd: &ReportCmd) -> CliResult {
    let mut store = open_store(db)?;
    match cmd {
        ReportCmd::Overrides { who, month } => {
            return crate::cmd::law::overrides(db, who, month.as_deref());
        }
        ReportCmd::Standards {
            facility,
            as_of,
            from,
            json,
        } => {
            let as_of = match as_of {
                Some(d) => parse_date("--as-of", d)?,
                None => today(&store),
            };
            let from = match from {
                Some(d) => parse_date("--from", d)?,
                None => as_of.saturating_sub(jiff::ToSpan::days(29)),
            };
            let r = housing::standards_report(
                &mut store,
                facility.as_deref(),
                from,
                as_of,
                &StandardsParams::default(),
            )
            .map_err(app_err)?;
            if *json {
                print_json(&r)?;
            } else {
                print!("{}", custodia_housing::render_text(&r));
            }
        }
        ReportCmd::Census { facility, from, to } => {
            let days = housing::census(
                &mut store,
                facility.as_deref(),
                parse_date("--from", from)?,
                parse_date("--to", to)?,
            )
            .map_err(app_err)?;
            print_json(&days)?;
        }
        ReportCmd::Costs {
            agreement,
            month,
            json,
        } => {
            let m: Month = month
                .parse()
                .map_err(|_| CliError::input(format!("`--month {month}`: expected YYYY-MM")))?;
            let (inv, lines) = billing::costs(&mut store, agreement, m).map_err(app_err)?;
            if *json {
                print_json(
                    &serde_json::json!({"agreement": agreement, "month": month, "person_days": inv.person_days, "invoice_total": custodia_billing::format_money(&inv.total), "schemes": lines}),
                )?;
            } else {
                println!(
                    "{month}: {} person-days at `{agreement}`; invoiced {} {}",
                    inv.person_days,
                    custodia_billing::format_money(&inv.total),
                    inv.currency
                );
                for l in lines {
                    println!(
                        "  {:<48} {:>10}/day  {:>16}  ({})",
                        l.label,
                        custodia_billing::format_money(&l.per_person_day),
                        custodia_billing::format_money(&l.total),
                        l.source
                    );
                }
            }
        }
    }
    Ok(())
}

/// A placement proposal as `housing propose` writes it; only the assignments are read.
#[derive(serde::Deserialize)]
struct ProposalFile {
    assignments: Vec<Assignment>,
}

#[derive(serde::Deserialize)]
struct Assignment {
    person_id: String,
    cell_id: String,
}
