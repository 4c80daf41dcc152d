//! `custodia serve [--addr 127.0.0.1:8080] [--demo]` (CONTRACT §8): the web interface and
//! the JSON API over the store.

use crate::cmd::demo::{ScaleArg, build_into};
use crate::ctx::{clock, key_path, open_store, store_err};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Build the `small` demo world first when the store is empty.
    #[arg(long)]
    pub demo: bool,
    /// Anonymous locator queries allowed per client address per minute (a burst of this
    /// many, then one every 60/N seconds).
    #[arg(long, default_value_t = 3)]
    pub locate_rate: u32,
    /// Locator queries allowed per token per minute, every role but the auditor.
    #[arg(long, default_value_t = 60)]
    pub locate_token_rate: u32,
    /// Locator queries allowed per auditor token per minute (CONTRACT §8: the auditor role
    /// has a higher, configurable limit; no daily cap).
    #[arg(long, default_value_t = 600)]
    pub locate_auditor_rate: u32,
    /// Locator queries allowed per client address per UTC day, whoever asks (auditors
    /// excepted).
    #[arg(long, default_value_t = 50)]
    pub locate_daily: u32,
    /// Turn the locator's rate limits off (benchmarks only).
    #[arg(long)]
    pub no_locate_limits: bool,
    /// Stores opened on the location (concurrent requests).
    #[arg(long, default_value_t = 4)]
    pub pool: usize,
    /// Serve a store this server must not write, such as a PostgreSQL hot standby: only
    /// the public locator and the log's public routes; every write and every read of a
    /// person's record is refused (503, code `read_only`). Needs no key.
    #[arg(long, conflicts_with = "demo")]
    pub read_only: bool,
}

pub fn run(db: &str, args: &Args) -> CliResult {
    custodia_server::init_tracing();
    if args.demo {
        let size = open_store(db)?.size().map_err(store_err)?;
        if size == 0 {
            eprintln!("building the small demo world into `{db}`…");
            build_into(db, 2025, ScaleArg::Small)?;
            crate::ctx::finish_witnessing();
        }
    }
    let config = custodia_server::Config {
        locate_anon_per_minute: args.locate_rate,
        locate_token_per_minute: args.locate_token_rate,
        locate_auditor_per_minute: args.locate_auditor_rate,
        locate_daily_per_address: args.locate_daily,
        rate_limits: !args.no_locate_limits,
        pool_size: args.pool.max(1),
        policy: crate::ctx::policy().cloned(),
        read_only: args.read_only,
        ..Default::default()
    };
    let state =
        custodia_server::AppState::open(db, key_path(), clock()?, config).map_err(store_err)?;
    let mode = if args.read_only { " read-only" } else { "" };
    custodia_server::run_blocking(&args.addr, state, |a| {
        eprintln!("custodia: serving `{db}`{mode} on http://{a}")
    })
    .map_err(|e| CliError::input(format!("`--addr {}`: {e}", args.addr)))
}
