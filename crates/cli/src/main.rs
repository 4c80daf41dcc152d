//! The `custodia` binary: parse the command line, call the crates, map errors to exit codes
//! (0 success, 1 a check failed, 2 bad input or usage, 3 internal error).

mod cmd;
mod ctx;

/// mimalloc rather than the system allocator: a server request or an import allocates many
/// small, short-lived values (rows, JSON), and glibc's malloc was a fifth of a person read's
/// CPU time (BENCHMARKS.md, issue 18).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
mod error;
mod io;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "custodia",
    version,
    about = "Accountable custody transfers: ledger, screening, manifests, housing, billing, locator"
)]
struct Cli {
    /// The store: a SQLite file path or a postgres:// URL.
    #[arg(
        long,
        global = true,
        env = "CUSTODIA_DB",
        default_value = "custodia.db"
    )]
    db: String,
    /// The bearer token of the person acting (`custodia token create`); every command that
    /// changes the store needs one, except `demo`, `restore` and `token create`.
    #[arg(long, global = true, env = "CUSTODIA_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The log's witnesses, a C2SP tlog-policy file (CONTRACT §10): every batch appended is
    /// submitted to them and their cosignatures kept; `verify` checks the policy's quorum.
    #[arg(long, global = true, env = "CUSTODIA_POLICY")]
    policy: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web interface and the JSON API over the store (CONTRACT §8).
    Serve(cmd::serve::Args),
    /// Bearer tokens for the server's roles.
    #[command(subcommand)]
    Token(cmd::token::TokenCmd),
    /// Screen transfer requests against the legal rules (pure; CONTRACT §1).
    Screen(cmd::screen::Args),
    /// Reconcile a manifest against an intake (pure; CONTRACT §2).
    Reconcile(cmd::reconcile::Args),
    /// Assign persons to cells (pure; CONTRACT §7).
    Assign(cmd::assign::Args),
    /// Invoice a month under an agreement (pure; CONTRACT §6).
    Bill(cmd::bill::Args),
    /// Build the deterministic demo world into an empty store (CONTRACT §4).
    Demo(cmd::demo::Args),
    /// Import records into the store.
    #[command(subcommand)]
    Import(cmd::import::ImportCmd),
    /// The ledger: export, checkpoint, key, proofs (CONTRACT §3).
    #[command(subcommand)]
    Log(cmd::log::LogCmd),
    /// Verify the log, its checkpoints and every projection (CONTRACT §3).
    Verify(cmd::verify::Args),
    /// Register a facility (facility → pavilion → cell).
    #[command(subcommand)]
    Facility(cmd::register::FacilityCmd),
    /// Register an agreement.
    #[command(subcommand)]
    Agreement(cmd::register::AgreementCmd),
    /// The manifest lifecycle: create, add, remove, screen, approve, depart, arrive,
    /// reconcile, close.
    #[command(subcommand)]
    Manifest(cmd::manifest::ManifestCmd),
    /// The receiving facility's own intake records.
    #[command(subcommand)]
    Intake(cmd::manifest::IntakeCmd),
    /// Discrepancy cases opened by reconciliation.
    #[command(subcommand)]
    Case(cmd::manifest::CaseCmd),
    /// A person's record (each read is recorded in the ledger).
    #[command(subcommand)]
    Person(cmd::person::PersonCmd),
    /// Custody changes: admit, release, remove, death (reportable late with `--at`).
    #[command(subcommand)]
    Custody(cmd::custody::CustodyCmd),
    /// Cells, placements, moves and cell status.
    #[command(subcommand)]
    Housing(cmd::housing::HousingCmd),
    /// Conditions evidence: exercise, visits, solitary confinement, family notification.
    #[command(subcommand)]
    Condition(cmd::housing::ConditionCmd),
    /// Reports: standards, census, costs.
    #[command(subcommand)]
    Report(cmd::housing::ReportCmd),
    /// Invoices under an agreement: issue, correct, list, export.
    #[command(subcommand)]
    Invoice(cmd::invoice::InvoiceCmd),
    /// Occupancy and cost forecast (seeded Monte Carlo).
    Forecast(cmd::invoice::ForecastArgs),
    /// Write the store's leaves (all that replay needs) to a file, for any backend.
    Backup(cmd::backup::BackupArgs),
    /// Rebuild an empty store, on any backend, from a backup.
    Restore(cmd::backup::RestoreArgs),
    /// Counsel: assign, unassign, and a lawyer's notices feed (CONTRACT §9).
    #[command(subcommand)]
    Counsel(cmd::law::CounselCmd),
    /// Class-wide court orders: tag the persons a class covers.
    #[command(subcommand)]
    Class(cmd::law::ClassCmd),
    /// Find a person by name as a relative types it, or by id (public; CONTRACT §5).
    Locate(cmd::locate::Args),
    /// A C2SP witness for other logs: init a key, serve add-checkpoint (CONTRACT §10).
    #[command(subcommand)]
    Witness(cmd::witness::WitnessCmd),
    /// The other government's store: register a peer, list peers (CONTRACT §10).
    #[command(subcommand)]
    Peer(cmd::federation::PeerCmd),
    /// Two governments: send hand-over documents, cross-check both logs (CONTRACT §10).
    #[command(subcommand)]
    Federation(cmd::federation::FederationCmd),
}

/// A reader that stops reading (`custodia log export | head`) ends the output, not the
/// command in error: `println!` panics on a closed pipe, and this ends the process quietly
/// with success instead (the output asked for was delivered as far as it was read).
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Whether `e` is a write to a pipe its reader closed.
fn closed_pipe(e: &error::CliError) -> bool {
    matches!(e, error::CliError::Internal(a)
        if a.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

fn main() {
    quiet_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    ctx::set_token(cli.token.clone());
    match cli.policy.as_deref().map(custodia_witness::Policy::load) {
        Some(Err(e)) => {
            eprintln!("error: `--policy`: {e}");
            std::process::exit(2);
        }
        p => ctx::set_policy(p.and_then(Result::ok)),
    }
    let db = cli.db.as_str();
    let result = match &cli.command {
        Command::Serve(a) => cmd::serve::run(db, a),
        Command::Token(c) => cmd::token::run(db, c),
        Command::Screen(a) => cmd::screen::run(db, a),
        Command::Reconcile(a) => cmd::reconcile::run(a),
        Command::Assign(a) => cmd::assign::run(a),
        Command::Bill(a) => cmd::bill::run(a),
        Command::Demo(a) => cmd::demo::run(db, a),
        Command::Import(c) => cmd::import::run(db, c),
        Command::Log(c) => cmd::log::run(db, c),
        Command::Verify(a) => cmd::verify::run(db, a),
        Command::Facility(c) => cmd::register::run_facility(db, c),
        Command::Agreement(c) => cmd::register::run_agreement(db, c),
        Command::Manifest(c) => cmd::manifest::run(db, c),
        Command::Intake(c) => cmd::manifest::run_intake(db, c),
        Command::Case(c) => cmd::manifest::run_case(db, c),
        Command::Person(c) => cmd::person::run(db, c),
        Command::Custody(c) => cmd::custody::run(db, c),
        Command::Housing(c) => cmd::housing::run_housing(db, c),
        Command::Condition(c) => cmd::housing::run_condition(db, c),
        Command::Report(c) => cmd::housing::run_report(db, c),
        Command::Invoice(c) => cmd::invoice::run(db, c),
        Command::Forecast(a) => cmd::invoice::run_forecast(db, a),
        Command::Backup(a) => cmd::backup::backup(db, a),
        Command::Restore(a) => cmd::backup::restore(db, a),
        Command::Locate(a) => cmd::locate::run(db, a),
        Command::Counsel(c) => cmd::law::run_counsel(db, c),
        Command::Class(c) => cmd::law::run_class(db, c),
        Command::Witness(c) => cmd::witness::run(c),
        Command::Peer(c) => cmd::federation::run_peer(db, c),
        Command::Federation(c) => cmd::federation::run(db, c),
    };
    ctx::finish_witnessing();
    if let Err(e) = result {
        if closed_pipe(&e) {
            return;
        }
        eprintln!("{e}");
        std::process::exit(e.exit_code());
    }
}
