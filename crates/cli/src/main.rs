//! The `custodia` binary: parse the command line, call the crates, map errors to exit codes.

mod cmd;
mod error;
mod io;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::error::CliError;

#[derive(Debug, Parser)]
#[command(name = "custodia", version, about = "Accountable custody transfers: ledger, screening, manifests, housing, billing, locator")]
struct Cli {
    /// The store: a SQLite file path or a postgres:// URL.
    #[arg(long, global = true, env = "CUSTODIA_DB", default_value = "custodia.db")]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Screen transfer requests against the legal rules (pure; CONTRACT §1).
    Screen(cmd::screen::Args),
    /// Reconcile a manifest against an intake (pure; CONTRACT §2).
    Reconcile(cmd::reconcile::Args),
    /// Assign persons to cells (pure; CONTRACT §7).
    Assign(cmd::assign::Args),
    /// Invoice a month under an agreement (pure; CONTRACT §6).
    Bill(cmd::bill::Args),
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let result = match &cli.command {
        Command::Screen(a) => cmd::screen::run(a),
        Command::Reconcile(a) => cmd::reconcile::run(a),
        Command::Assign(a) => cmd::assign::run(a),
        Command::Bill(a) => cmd::bill::run(a),
    };
    let _ = &cli.db;
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(e.exit_code());
    }
}

#[allow(dead_code)]
fn _unused(_: PathBuf) -> Option<CliError> {
    None
}
