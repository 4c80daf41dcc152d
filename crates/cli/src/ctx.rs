//! Opening the store the way every command does: `--db`/`CUSTODIA_DB`, the key from
//! `CUSTODIA_KEY` or beside the store, and the clock (`CUSTODIA_CLOCK` pins it, for tests).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use custodia_app::witnessing::{Background, Witnessing, WitnessingError};
use custodia_store::CommitHook;
use custodia_witness::Policy;

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

/// Opens the store with a given clock. With a policy (`--policy`), every batch it commits
/// is then submitted to the policy's witnesses, off the append path (CONTRACT §10).
pub fn open_store_with(db: &str, clock: Arc<dyn Clock>) -> Result<Store, CliError> {
    // Each government's store has its own origin (CONTRACT §10): `CUSTODIA_ORIGIN` names the
    // key, and so the log, when the key file is created.
    if let Ok(origin) = std::env::var("CUSTODIA_ORIGIN")
        && !origin.is_empty()
        && let Some(path) = key_path().or_else(|| custodia_store::default_key_path(db))
        && !path.exists()
    {
        custodia_ledger::LogKey::load_or_create(&path, &origin)
            .map_err(|e| CliError::input(format!("`CUSTODIA_ORIGIN`: {e}")))?;
    }
    let mut store = Store::open(
        db,
        OpenOptions {
            key_path: key_path(),
            clock: clock.clone(),
        },
    )
    .map_err(store_err)?;
    if policy().is_some() {
        let db = db.to_string();
        // The witnessing thread starts at the first commit, so that commands that only read
        // never start it.
        let forward: Mutex<Option<CommitHook>> = Mutex::new(None);
        store.set_on_commit(Some(Arc::new(move |r| {
            let mut f = forward.lock().unwrap_or_else(PoisonError::into_inner);
            if f.is_none() {
                *f = background(&db, clock.clone()).map(Background::hook);
            }
            if let Some(h) = f.as_ref() {
                h(r);
            }
        })));
    }
    Ok(store)
}

/// The policy given with the global `--policy` (or `CUSTODIA_POLICY`), set once by `main`.
static POLICY: OnceLock<Option<Policy>> = OnceLock::new();

/// The witnessing thread of this process, started at the first commit under a policy.
static BACKGROUND: OnceLock<Option<Background>> = OnceLock::new();

/// The time each witness is given for one submission from the CLI: short, since the
/// command waits for it before it exits (the append itself never does).
const WITNESS_TIMEOUT: Duration = Duration::from_secs(2);

/// Records the policy of this invocation.
pub fn set_policy(p: Option<Policy>) {
    let _ = POLICY.set(p);
}

/// The policy of this invocation, if any.
pub fn policy() -> Option<&'static Policy> {
    POLICY.get().and_then(Option::as_ref)
}

fn background(db: &str, clock: Arc<dyn Clock>) -> Option<&'static Background> {
    BACKGROUND
        .get_or_init(|| {
            let policy = policy()?.clone();
            let store = Store::open(
                db,
                OpenOptions {
                    key_path: key_path(),
                    clock,
                },
            );
            match store
                .map_err(WitnessingError::from)
                .and_then(|s| Witnessing::new(policy, s, WITNESS_TIMEOUT))
            {
                Ok(w) => Some(Background::start(w)),
                Err(e) => {
                    eprintln!("warning: the witnesses will not be asked: {e}");
                    None
                }
            }
        })
        .as_ref()
}

/// Waits (briefly) until the last batch this process committed has been submitted to the
/// witnesses, and says on standard error what they did. Never fails: a witness that is down
/// or refuses does not change the command's outcome.
pub fn finish_witnessing() {
    let Some(Some(bg)) = BACKGROUND.get() else {
        return;
    };
    match bg.flush(WITNESS_TIMEOUT + Duration::from_secs(1)) {
        Ok(Some(r)) => {
            let asked = r.witnesses.iter().filter(|w| w.url.is_some()).count();
            eprintln!(
                "witnesses: checkpoint {} cosigned by {} of {asked}{}",
                r.size,
                r.cosigned,
                if r.quorum {
                    " (quorum reached)"
                } else {
                    " (quorum not reached)"
                }
            );
            for w in r.witnesses.iter().filter(|w| w.status != "cosigned") {
                eprintln!("witness `{}`: {} (lag {})", w.name, w.status, w.lag);
            }
        }
        Ok(None) => {}
        Err(e) => eprintln!("warning: witnesses: {e}"),
    }
    bg.stop();
}

/// Maps a store error to the CLI's exit codes.
pub fn store_err(e: StoreError) -> CliError {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) | StoreError::NotFound(m) => {
            CliError::Input(m)
        }
        StoreError::Key(k) => CliError::Input(k.to_string()),
        StoreError::Missing(m) => CliError::Check(m),
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

/// The bearer token given with the global `--token` (or `CUSTODIA_TOKEN`), set once by
/// `main` before any command runs.
static TOKEN: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Records the token of this invocation.
pub fn set_token(t: Option<String>) {
    let _ = TOKEN.set(t);
}

/// The bearer token given with `--token` or `CUSTODIA_TOKEN`, if any.
pub fn given_token() -> Option<&'static str> {
    TOKEN.get().and_then(|t| t.as_deref())
}

/// Who acts, for commands that change the store (CONTRACT §9 "Who acts"): the holder of the
/// bearer token given with `--token` or `CUSTODIA_TOKEN`, never a name typed on the command
/// line. The ledger records them as `role:name`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ActorArg {}

impl ActorArg {
    /// Resolves the token against the store: missing, unknown or revoked is refused.
    pub fn actor(&self, store: &mut Store) -> Result<custodia_app::Actor, CliError> {
        let token = TOKEN.get().and_then(|t| t.as_deref());
        custodia_app::auth::require_actor(store, token).map_err(app_err)
    }
}

/// Maps an application error to the CLI's exit codes: refusals are bad input (exit 2) and
/// write nothing.
pub fn app_err(e: custodia_app::AppError) -> CliError {
    use custodia_app::AppError;
    match e {
        AppError::Forbidden(m) => CliError::Input(format!("forbidden: {m}")),
        AppError::Unauthorized(m) => CliError::Input(format!("unauthorized: {m}")),
        e @ AppError::DepartureRefused(_) => CliError::Input(e.to_string()),
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
