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

/// Builds the demo world into the store at `db`.
///
/// An empty store gets the whole world. A store that holds a prefix of this seed and scale's
/// world (a killed earlier run: each batch is one transaction, so a kill leaves whole
/// batches) is resumed from the next batch, after checking that its size is a batch
/// boundary and its root is the root of exactly that prefix; anything else is refused, and
/// so a demo never appends onto someone else's log. A store that already holds the whole
/// world is left as it is.
pub fn build_into(db: &str, seed: u64, scale: ScaleArg) -> CliResult {
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH));
    let mut store = open_store_with(db, clock.clone())?;
    let size = store.size().map_err(store_err)?;
    let scale = match scale {
        ScaleArg::Tiny => Scale::Tiny,
        ScaleArg::Small => Scale::Small,
        ScaleArg::Cecot => Scale::Cecot,
    };
    let batches = custodia_demo::build(seed, scale);
    let done = if size == 0 {
        0
    } else {
        resume_point(&mut store, db, seed, &batches, size)?
    };
    let total: usize = batches.iter().map(|b| b.events.len()).sum();
    let pb = progress(total as u64, "demo");
    pb.set_position(size);
    for b in batches.into_iter().skip(done) {
        clock.set(b.recorded_at);
        let n = b.events.len() as u64;
        store.append(b.events).map_err(store_err)?;
        pb.inc(n);
    }
    pb.finish_and_clear();
    let cp = store.checkpoint().map_err(store_err)?;
    eprintln!(
        "demo world (seed {seed}): {} entries, root {}{}",
        cp.size,
        hex::encode(cp.root.0),
        if size > 0 {
            format!("; resumed from {size} entries")
        } else {
            String::new()
        }
    );
    Ok(())
}

/// How many of `batches` the store (of `size` entries) already holds, when what it holds is
/// exactly the first of them: `size` on a batch boundary and the same root as those leaves
/// (their `recorded_at` is the batch's, as [`build_into`] appends them). Refuses otherwise.
fn resume_point(
    store: &mut custodia_store::Store,
    db: &str,
    seed: u64,
    batches: &[custodia_demo::Batch],
    size: u64,
) -> Result<usize, CliError> {
    let refuse = |why: &str| {
        CliError::input(format!(
            "store `{db}` already holds {size} entries, {why}; `demo` builds only into an empty store or resumes its own world"
        ))
    };
    let mut frontier = custodia_ledger::Frontier::default();
    let mut scratch = Vec::new();
    let mut seq = 0u64;
    for (i, b) in batches.iter().enumerate() {
        if seq == size {
            let stored = store.root_at(size).map_err(store_err)?;
            if stored != frontier.root() {
                return Err(refuse(&format!(
                    "which are not the first {i} batches of the demo world of seed {seed} at this scale"
                )));
            }
            return Ok(i);
        }
        for ev in &b.events {
            let leaf = custodia_model::events::Leaf {
                seq,
                occurred_at: ev.occurred_at,
                recorded_at: b.recorded_at,
                data: ev.data.clone(),
                actor: ev.actor.clone(),
            };
            let bytes = leaf
                .to_bytes()
                .map_err(|e| CliError::Internal(anyhow::anyhow!("demo leaf {seq}: {e}")))?;
            scratch.clear();
            frontier
                .push(custodia_ledger::leaf_hash(&bytes), &mut scratch)
                .map_err(|e| CliError::Internal(anyhow::anyhow!("demo leaf {seq}: {e}")))?;
            seq += 1;
        }
        if seq > size {
            return Err(refuse(&format!(
                "which is not a batch boundary of the demo world of seed {seed} at this scale"
            )));
        }
    }
    // The whole world is there: the same root, or someone else's log of the same size.
    let stored = store.root_at(size).map_err(store_err)?;
    if seq == size && stored == frontier.root() {
        Ok(batches.len())
    } else {
        Err(refuse(&format!(
            "which are not the demo world of seed {seed} at this scale"
        )))
    }
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
