//! `custodia verify [--checkpoint FILE]` (CONTRACT §3); with the global `--policy FILE`,
//! also the witnesses' quorum on the latest checkpoint and on the one given (CONTRACT §10).

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
    let (entries, root) = match verdict {
        Verdict::Ok { entries, root, .. } => (entries, root),
        Verdict::Failed(why) => return Err(CliError::Check(why)),
    };
    if let Some(policy) = crate::ctx::policy() {
        let vkey = args
            .vkey
            .clone()
            .unwrap_or_else(|| store.key().verifier_key().to_string());
        let latest = store.cosigned_checkpoint().map_err(store_err)?;
        let by = check_policy(policy, &vkey, &latest.note, "the latest checkpoint")?;
        if let Some(text) = &opts.checkpoint {
            check_policy(policy, &vkey, text, "the given checkpoint")?;
        }
        eprintln!(
            "witnesses: quorum `{}` reached at size {} (cosigned by {})",
            policy.quorum_name(),
            latest.size,
            if by.is_empty() {
                "none needed".into()
            } else {
                by.join(", ")
            }
        );
    }
    println!("ok: {entries} entries, root {}", hex::encode(root.0));
    Ok(())
}

/// Checks a checkpoint note against the policy: the policy must trust this log's key (a
/// policy with no `log` line trusts the store's own key, which is then checked here), the
/// note must carry a valid signature of that key, and valid cosignatures must reach the
/// quorum. Returns the witnesses that cosigned.
fn check_policy(
    policy: &custodia_witness::Policy,
    vkey: &str,
    note: &str,
    what: &str,
) -> Result<Vec<String>, CliError> {
    if !policy.logs().is_empty() && !policy.logs().iter().any(|l| l.vkey == vkey) {
        return Err(CliError::Check(format!(
            "the policy lists no `log` with this log's key `{vkey}`"
        )));
    }
    let cp = custodia_ledger::verify_checkpoint(note, vkey)
        .map_err(|e| CliError::Check(format!("{what}: {e}")))?;
    policy
        .satisfied(note)
        .map(|s| s.cosigned_by)
        .map_err(|e| CliError::Check(format!("{what} (size {}): {e}", cp.size)))
}
