//! `custodia demo [--seed S] [--scale small|cecot]` (CONTRACT §4).

use std::sync::Arc;

use custodia_demo::Scale;
use custodia_model::clock::ManualClock;

use crate::ctx::{open_store_with, progress, store_err};
use crate::error::{CliError, CliResult};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ScaleArg {
    Tiny,
    Small,
    Cecot,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The seed: the same seed and scale give the same leaves and the same root.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// How big a world.
    #[arg(long, value_enum, default_value = "small")]
    pub scale: ScaleArg,
    /// Build the world as two governments instead (US and SV stores, their keys, the
    /// witnesses' keys and policies) in this directory; `--db` is not used.
    #[arg(long, value_name = "DIR")]
    pub federated: Option<std::path::PathBuf>,
}

/// Builds the demo world into the store at `db`; refuses a store that holds anything.
pub fn build_into(db: &str, seed: u64, scale: ScaleArg) -> CliResult {
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH));
    let mut store = open_store_with(db, clock.clone())?;
    let size = store.size().map_err(store_err)?;
    if size > 0 {
        return Err(CliError::input(format!(
            "store `{db}` already holds {size} entries; `demo` builds only into an empty store"
        )));
    }
    let scale = match scale {
        ScaleArg::Tiny => Scale::Tiny,
        ScaleArg::Small => Scale::Small,
        ScaleArg::Cecot => Scale::Cecot,
    };
    let batches = custodia_demo::build(seed, scale);
    let total: usize = batches.iter().map(|b| b.events.len()).sum();
    let pb = progress(total as u64, "demo");
    for b in batches {
        clock.set(b.recorded_at);
        let n = b.events.len() as u64;
        store.append(b.events).map_err(store_err)?;
        pb.inc(n);
    }
    pb.finish_and_clear();
    let cp = store.checkpoint().map_err(store_err)?;
    eprintln!(
        "demo world (seed {seed}): {} entries, root {}",
        cp.size,
        hex::encode(cp.root.0)
    );
    Ok(())
}

pub fn run(db: &str, args: &Args) -> CliResult {
    if let Some(dir) = &args.federated {
        return crate::cmd::demo_federated::run(dir, args.seed, scale_of(args.scale));
    }
    build_into(db, args.seed, args.scale)
}

fn scale_of(s: ScaleArg) -> Scale {
    match s {
        ScaleArg::Tiny => Scale::Tiny,
        ScaleArg::Small => Scale::Small,
        ScaleArg::Cecot => Scale::Cecot,
    }
}
