//! `custodia invoice …` and `custodia forecast`: invoices from the ledger, issued as events;
//! corrections as credit or debit notes; export; the seeded Monte Carlo forecast.

use std::path::PathBuf;

use custodia_app::billing;
use custodia_billing::Month;

use crate::ctx::{ActorArg, app_err, open_store, print_json};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Subcommand)]
pub enum InvoiceCmd {
    /// Compute a month's invoice from the ledger and issue it (a ledger event).
    Issue {
        #[command(flatten)]
        who: ActorArg,
        #[arg(long, default_value = "US-SV-2025")]
        agreement: String,
        #[arg(long)]
        month: String,
    },
    /// Recompute an issued invoice and issue a credit or debit note for any difference.
    Correct {
        #[command(flatten)]
        who: ActorArg,
        invoice: String,
        #[arg(long)]
        reason: String,
    },
    /// List issued invoices with their notes and balances.
    List,
    /// Export a month's invoice (as the ledger gives it now) as JSON or CSV.
    Export {
        #[arg(long, default_value = "US-SV-2025")]
        agreement: String,
        #[arg(long)]
        month: String,
        #[arg(long, value_parser = ["json", "csv"], default_value = "json")]
        format: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    #[arg(long, default_value = "US-SV-2025")]
    agreement: String,
    #[arg(long, default_value_t = 12)]
    months: u32,
    #[arg(long, default_value_t = 1000)]
    runs: u32,
    #[arg(long, default_value_t = 2025)]
    seed: u64,
    /// The first forecast month (default: the month after today's).
    #[arg(long)]
    from: Option<String>,
    #[arg(long)]
    json: bool,
}

fn month(s: &str) -> Result<Month, CliError> {
    s.parse()
        .map_err(|_| CliError::input(format!("`--month {s}`: expected YYYY-MM")))
}

pub fn run(db: &str, cmd: &InvoiceCmd) -> CliResult {
    let mut store = open_store(db)?;
    match cmd {
        InvoiceCmd::Issue {
            who,
            agreement,
            month: m,
        } => {
            let actor = who.actor(&mut store)?;
            let (id, inv) =
                billing::issue(&mut store, &actor, agreement, month(m)?).map_err(app_err)?;
            eprintln!(
                "issued `{id}`: {} person-days, {} {}",
                inv.person_days,
                custodia_billing::format_money(&inv.total),
                inv.currency
            );
        }
        InvoiceCmd::Correct {
            who,
            invoice,
            reason,
        } => {
            let actor = who.actor(&mut store)?;
            match billing::correct(&mut store, &actor, invoice, reason).map_err(app_err)? {
                Some(n) => print_json(&n)?,
                None => eprintln!("`{invoice}` still matches the ledger; no note issued"),
            }
        }
        InvoiceCmd::List => print_json(&billing::issued(&mut store).map_err(app_err)?)?,
        InvoiceCmd::Export {
            agreement,
            month: m,
            format,
            out,
        } => {
            let inv = billing::compute(&mut store, agreement, month(m)?).map_err(app_err)?;
            let bytes = if format == "csv" {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(["date", "persons", "amount"])
                    .map_err(|e| CliError::Internal(e.into()))?;
                for d in &inv.days {
                    w.write_record([
                        d.date.to_string(),
                        d.persons.to_string(),
                        custodia_billing::format_money(&d.amount),
                    ])
                    .map_err(|e| CliError::Internal(e.into()))?;
                }
                w.write_record([
                    "total".to_string(),
                    inv.person_days.to_string(),
                    custodia_billing::format_money(&inv.total),
                ])
                .map_err(|e| CliError::Internal(e.into()))?;
                w.into_inner()
                    .map_err(|e| CliError::Internal(anyhow::anyhow!("{e}")))?
            } else {
                let mut v =
                    serde_json::to_vec_pretty(&inv).map_err(|e| CliError::Internal(e.into()))?;
                v.push(b'\n');
                v
            };
            crate::io::write_output(out.as_deref(), &bytes)?;
        }
    }
    Ok(())
}

pub fn run_forecast(db: &str, a: &ForecastArgs) -> CliResult {
    let mut store = open_store(db)?;
    let start = match &a.from {
        Some(m) => month(m)?,
        None => {
            let today = store.clock().now().to_zoned(jiff::tz::TimeZone::UTC).date();
            Month::containing(today)
                .next()
                .ok_or_else(|| CliError::input("no month after today"))?
        }
    };
    let f = billing::forecast(&mut store, &a.agreement, start, a.months, a.runs, a.seed)
        .map_err(app_err)?;
    if a.json {
        print_json(&f)?;
    } else {
        println!(
            "forecast for `{}` from {start}, {} runs (seed {}):",
            a.agreement, f.runs, f.seed
        );
        let v = serde_json::to_value(&f).map_err(|e| CliError::Internal(e.into()))?;
        for m in v["months"].as_array().into_iter().flatten() {
            println!(
                "  {}  occupancy at month end p10/p50/p90 {}/{}/{}  cost p50 {}",
                m["month"].as_str().unwrap_or(""),
                m["occupancy_end"]["p10"],
                m["occupancy_end"]["p50"],
                m["occupancy_end"]["p90"],
                m["cost"]["p50"]
            );
        }
        println!(
            "  capacity exceeded (p10/p50/p90): {}",
            v["capacity_exceeded"]
        );
        println!(
            "  reserved beds exceeded (p10/p50/p90): {}",
            v["reserved_beds_exceeded"]
        );
    }
    Ok(())
}
