//! `custodia verify [--checkpoint FILE]` (CONTRACT §3); with the global `--policy FILE`,
//! also the witnesses' quorum on the latest checkpoint and on the one given (CONTRACT §10).

use std::path::PathBuf;

use custodia_store::{Store, Trail, Verdict, VerifyOptions};

use crate::ctx::{clock, progress, store_err};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An earlier checkpoint the log must extend.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Trust this verifier key (the log's published key); `CUSTODIA_VKEY` when absent.
    #[arg(long)]
    vkey: Option<String>,
    /// A file holding the log's published verifier key (its first non-empty line that is
    /// not a `#` comment).
    #[arg(long, conflicts_with = "vkey")]
    vkey_file: Option<PathBuf>,
    /// An auditor's trail directory: the store must extend every checkpoint saved there
    /// (signed by the key pinned there at first use); the new checkpoint is then saved.
    #[arg(long)]
    trail: Option<PathBuf>,
    /// Check the log only, not the projections.
    #[arg(long)]
    log_only: bool,
}

/// The trust anchor given on the command line or in the environment, and where it came
/// from: `--vkey`, then `--vkey-file`, then `CUSTODIA_VKEY`.
fn anchor(args: &Args) -> Result<Option<(String, String)>, CliError> {
    if let Some(k) = &args.vkey {
        return Ok(Some((k.trim().to_string(), "--vkey".into())));
    }
    if let Some(p) = &args.vkey_file {
        let text = crate::io::read_input(p)?;
        let key = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or_else(|| {
                CliError::input(format!(
                    "`{}`: no verifier key in the file; expected `<name>+<id>+<key>`",
                    p.display()
                ))
            })?;
        return Ok(Some((key.to_string(), format!("`{}`", p.display()))));
    }
    match std::env::var("CUSTODIA_VKEY") {
        Ok(k) if !k.trim().is_empty() => Ok(Some((k.trim().to_string(), "`CUSTODIA_VKEY`".into()))),
        _ => Ok(None),
    }
}

pub fn run(db: &str, args: &Args) -> CliResult {
    let checkpoint = match &args.checkpoint {
        Some(p) => {
            let text = crate::io::read_input(p)?;
            // A file that is no checkpoint at all is bad input (exit 2); one that is a
            // checkpoint the log does not extend, or not signed by its key, fails the check.
            custodia_ledger::SignedNote::parse(&text)
                .map_err(|e| e.to_string())
                .and_then(|n| {
                    custodia_ledger::CheckpointBody::parse(&n.text).map_err(|e| e.to_string())
                })
                .map_err(|e| {
                    CliError::input(format!(
                        "`{}`: not a checkpoint: {e}; expected a signed checkpoint as `custodia log checkpoint` prints it",
                        p.display()
                    ))
                })?;
            Some(text)
        }
        None => None,
    };
    let anchor = anchor(args)?;
    let trail = match &args.trail {
        Some(dir) => Some(Trail::open(dir).map_err(store_err)?),
        None => None,
    };
    // A verify that found nothing to check must not say `ok` (issue 18): it opens the store
    // read-only, so it never creates one (nor a key), and an empty one vouches for nothing.
    let mut store = Store::open_read_only(db, clock()?).map_err(store_err)?;
    check_key_file(db, &store)?;
    let total = store.size().map_err(store_err)?;
    if total == 0 {
        let seen = trail
            .as_ref()
            .and_then(Trail::latest)
            .map(|s| format!(" (the trail saw a checkpoint of size {})", s.size))
            .unwrap_or_default();
        return Err(CliError::Check(format!(
            "the store at `{db}` holds no entries; an empty log vouches for nothing{seen}"
        )));
    }
    let pb = progress(total, "verifying");
    let opts = VerifyOptions {
        checkpoint,
        verifier_key: anchor.as_ref().map(|(k, _)| k.clone()),
        skip_replay: args.log_only,
        trail,
    };
    let (vkey, anchored) = opts.trusted_key(&store);
    let verdict = store
        .verify(&opts, &mut |n| pb.set_position(n))
        .map_err(store_err)?;
    pb.finish_and_clear();
    let (entries, root, latest) = match verdict {
        Verdict::Ok {
            entries,
            root,
            latest,
            ..
        } => (entries, root, latest),
        Verdict::Failed(why) => return Err(CliError::Check(why)),
    };
    if let Some(policy) = crate::ctx::policy() {
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
    if let Some(mut trail) = opts.trail {
        let first = trail.pinned().is_none();
        let checked = trail.saved().len();
        trail.save(&vkey, &latest).map_err(store_err)?;
        if first {
            eprintln!(
                "trail `{}`: first use, pinned key `{vkey}`{}",
                trail.dir().display(),
                match &anchor {
                    Some((_, from)) => format!(" (from {from})"),
                    None => " (the store's own key, trusted on first use)".into(),
                }
            );
        }
        eprintln!(
            "trail `{}`: the log extends all {checked} checkpoints saved there; saved size {}",
            trail.dir().display(),
            latest.size
        );
    } else if let Some((_, from)) = &anchor {
        eprintln!("key: the checkpoints are signed by the trusted key from {from}");
    } else if opts.checkpoint.is_some() {
        eprintln!(
            "key: the store's key `{vkey}` signed the given checkpoint, which the log extends"
        );
    } else if !anchored {
        eprintln!(
            "note: no trust anchor: the checkpoints were checked against the key the store itself records (`{vkey}`); \
             this shows the store is intact, not that it is the log that was published. \
             Pass --vkey, --vkey-file, CUSTODIA_VKEY or --trail DIR to check that."
        );
    }
    println!("ok: {entries} entries, root {}", hex::encode(root.0));
    Ok(())
}

/// The operator's key file, when there is one (`CUSTODIA_KEY`, or the SQLite store's
/// `PATH.key`), must hold this store's key, as for every other command (exit 2 otherwise).
/// It is not a trust anchor: whoever replaces the store replaces the file beside it. An
/// auditor has no key file at all, and needs none.
fn check_key_file(db: &str, store: &Store) -> Result<(), CliError> {
    let explicit = crate::ctx::key_path();
    let Some(path) = explicit
        .clone()
        .or_else(|| custodia_store::default_key_path(db))
    else {
        return Ok(());
    };
    if explicit.is_none() && !path.exists() {
        return Ok(());
    }
    let key = custodia_ledger::LogKey::load(&path).map_err(|e| CliError::Input(e.to_string()))?;
    if key.verifier_key() != store.verifier_key() {
        return Err(CliError::input(format!(
            "key file `{}` does not hold this store's key (store: `{}`)",
            path.display(),
            store.verifier_key()
        )));
    }
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
