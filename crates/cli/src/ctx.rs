//! Opening the store the way every command does: `--db`/`CUSTODIA_DB`, the key from
//! `CUSTODIA_KEY` or beside the store, and the clock (`CUSTODIA_CLOCK` pins it, for tests).

use std::path::PathBuf;
use std::sync::Arc;

use custodia_model::clock::{Clock, ManualClock, SystemClock};
use custodia_store::{OpenOptions, Store, StoreError};

use crate::error::CliError;

/// The clock: the wall clock, or the instant in `CUSTODIA_CLOCK` (RFC 3339) when set.
pub fn clock() -> Result<Arc<dyn Clock>, CliError> {
    match std::env::var("CUSTODIA_CLOCK") {
        Ok(s) if !s.is_empty() => {
            let t: jiff::Timestamp = s.parse().map_err(|e| {
                CliError::input(format!(
                    "`CUSTODIA_CLOCK`: `{s}` is not an RFC 3339 instant: {e}"
                ))
            })?;
            Ok(Arc::new(ManualClock::new(t)))
        }
        _ => Ok(Arc::new(SystemClock)),
    }
}

/// The key file: `CUSTODIA_KEY`, else the store's default.
pub fn key_path() -> Option<PathBuf> {
    std::env::var_os("CUSTODIA_KEY")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
}

/// Opens the store named by `--db`.
pub fn open_store(db: &str) -> Result<Store, CliError> {
    open_store_with(db, clock()?)
}

/// Opens the store with a given clock.
pub fn open_store_with(db: &str, clock: Arc<dyn Clock>) -> Result<Store, CliError> {
    Store::open(
        db,
        OpenOptions {
            key_path: key_path(),
            clock,
        },
    )
    .map_err(store_err)
}

/// Maps a store error to the CLI's exit codes.
pub fn store_err(e: StoreError) -> CliError {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) | StoreError::NotFound(m) => {
            CliError::Input(m)
        }
        StoreError::Key(k) => CliError::Input(k.to_string()),
        other => CliError::Internal(anyhow::anyhow!(other)),
    }
}

/// A progress bar on standard error (hidden when it is not a terminal).
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg:>12} [{bar:40}] {pos}/{len} ({per_sec}, {eta})",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}

/// Who acts, for commands that change custody state: `--as role:name` or `CUSTODIA_ACTOR`.
#[derive(Debug, Clone, clap::Args)]
pub struct ActorArg {
    /// The acting person as `role:name` (e.g. `sending_supervisor:r.castellanos`).
    #[arg(long = "as", env = "CUSTODIA_ACTOR", value_name = "ROLE:NAME")]
    pub actor: String,
}

impl ActorArg {
    /// Parses the actor.
    pub fn actor(&self) -> Result<custodia_app::Actor, CliError> {
        let (role, name) = self.actor.split_once(':').ok_or_else(|| {
            CliError::input(format!("`--as {}`: expected `role:name`", self.actor))
        })?;
        let role: custodia_app::Role = role
            .parse()
            .map_err(|e: String| CliError::input(format!("`--as`: {e}")))?;
        if name.trim().is_empty() {
            return Err(CliError::input("`--as`: the name after `role:` is empty"));
        }
        Ok(custodia_app::Actor::new(role, name))
    }
}

/// Maps an application error to the CLI's exit codes: refusals are bad input (exit 2) and
/// write nothing.
pub fn app_err(e: custodia_app::AppError) -> CliError {
    use custodia_app::AppError;
    match e {
        AppError::Forbidden(m) => CliError::Input(format!("forbidden: {m}")),
        AppError::Conflict(m) | AppError::NotFound(m) | AppError::Invalid(m) => CliError::Input(m),
        AppError::Store(s) => store_err(s),
    }
}

/// Parses a `YYYY-MM-DD` argument.
pub fn parse_date(flag: &str, s: &str) -> Result<jiff::civil::Date, CliError> {
    custodia_model::legal::parse_date(s)
        .map_err(|_| CliError::input(format!("`{flag} {s}`: not a date, expected YYYY-MM-DD")))
}

/// Prints a value as JSON on standard output.
pub fn print_json<T: serde::Serialize>(v: &T) -> Result<(), CliError> {
    let s = serde_json::to_string_pretty(v).map_err(|e| CliError::Internal(e.into()))?;
    println!("{s}");
    Ok(())
}
