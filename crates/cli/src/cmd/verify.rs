//! `custodia verify [--checkpoint FILE]` (CONTRACT §3).

use std::path::PathBuf;

use custodia_store::{Verdict, VerifyOptions};

use crate::ctx::{open_store, progress, store_err};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An earlier checkpoint the log must extend.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Trust this verifier key instead of the key file's.
    #[arg(long)]
    vkey: Option<String>,
    /// Check the log only, not the projections.
    #[arg(long)]
    log_only: bool,
}

pub fn run(db: &str, args: &Args) -> CliResult {
    let checkpoint = match &args.checkpoint {
        Some(p) => Some(crate::io::read_input(p)?),
        None => None,
    };
    // A verify that found nothing to check must not say `ok` (issue 18): it never creates a
    // store, and an empty one vouches for nothing.
    if !custodia_store::is_postgres(db) && !std::path::Path::new(db).exists() {
        return Err(CliError::Check(format!(
            "no store at `{db}`; verify never creates one"
        )));
    }
    let mut store = open_store(db)?;
    let total = store.size().map_err(store_err)?;
    if total == 0 {
        return Err(CliError::Check(format!(
            "the store at `{db}` holds no entries; an empty log vouches for nothing"
        )));
    }
    let pb = progress(total, "verifying");
    let opts = VerifyOptions {
        checkpoint,
        verifier_key: args.vkey.clone(),
        skip_replay: args.log_only,
    };
    let verdict = store
        .verify(&opts, &mut |n| pb.set_position(n))
        .map_err(store_err)?;
    pb.finish_and_clear();
    match verdict {
        Verdict::Ok { entries, root, .. } => {
            println!("ok: {entries} entries, root {}", hex::encode(root.0));
            Ok(())
        }
        Verdict::Failed(why) => Err(CliError::Check(why)),
    }
}
