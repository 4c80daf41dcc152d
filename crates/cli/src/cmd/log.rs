//! `custodia log …` (CONTRACT §3): export, checkpoint, key, prove, consistency; and the
//! checkpoint history an auditor's trail is kept from (`log checkpoints --since N`).

use std::io::Write;

use crate::ctx::{open_store, store_err};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Subcommand)]
pub enum LogCmd {
    /// Write leaves as JSON Lines: line i is exactly leaf i.
    Export {
        #[arg(long, default_value_t = 0)]
        from: u64,
        #[arg(long)]
        to: Option<u64>,
    },
    /// Print the current signed checkpoint (C2SP tlog-checkpoint), with every witness
    /// cosignature collected for it.
    Checkpoint,
    /// Print the checkpoint history as JSON Lines, oldest first: every stored signed
    /// checkpoint of size SINCE or more, each with the consistency proof from the one
    /// before it: `{"size","root","note","consistency":{"old_size","new_size","proof"}}`.
    Checkpoints {
        #[arg(long, default_value_t = 0)]
        since: u64,
    },
    /// Print the verifier key.
    Key,
    /// Print the inclusion proof of entry INDEX.
    Prove {
        #[arg(long)]
        index: u64,
        #[arg(long)]
        size: Option<u64>,
    },
    /// Print the consistency proof between two tree sizes.
    Consistency {
        #[arg(long)]
        old: u64,
        #[arg(long)]
        new: Option<u64>,
    },
}

/// Whether the SQLite store at `db` has no key file to open it for writing with: its
/// `PATH.key` is absent and no `CUSTODIA_KEY` is set.
fn key_missing(db: &str) -> bool {
    // A PostgreSQL store's key is always named by `CUSTODIA_KEY` (the key is the file's,
    // never the database's): without it, every command is refused as before.
    std::env::var_os("CUSTODIA_KEY").is_none()
        && !db.starts_with("postgres://")
        && !db.starts_with("postgresql://")
        && !std::path::Path::new(&format!("{db}.key")).exists()
}

pub fn run(db: &str, cmd: &LogCmd) -> CliResult {
    // The history is what an auditor keeps a trail from: it needs no signing key and never
    // creates a store (a missing one is exit 1, as for `verify`).
    let mut store = match cmd {
        LogCmd::Checkpoints { .. } => {
            custodia_store::Store::open_read_only(db, crate::ctx::clock()?).map_err(store_err)?
        }
        // Every other log command only reads too: an auditor with a copy of a SQLite store
        // and no key file still exports, proves and prints the recorded key and checkpoint. The writing open is tried first, so a
        // store with its key behaves as before (a key that does not match is still refused).
        _ => match open_store(db) {
            Ok(s) => s,
            Err(e) if key_missing(db) => {
                custodia_store::Store::open_read_only(db, crate::ctx::clock()?).map_err(|_| e)?
            }
            Err(e) => return Err(e),
        },
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    match cmd {
        LogCmd::Export { from, to } => {
            if let Some(t) = to.filter(|t| t < from) {
                return Err(CliError::input(format!(
                    "`--to {t}` is before `--from {from}`"
                )));
            }
            store
                .export(*from, *to, &mut |_, body| {
                    out.write_all(body.as_bytes())
                        .and_then(|_| out.write_all(b"\n"))
                        .map_err(|e| custodia_store::StoreError::Db(e.to_string()))
                })
                .map_err(store_err)?;
        }
        LogCmd::Checkpoint => {
            let cp = store.cosigned_checkpoint().map_err(store_err)?;
            out.write_all(cp.note.as_bytes())?;
        }
        LogCmd::Checkpoints { since } => {
            for e in store.checkpoint_history(*since, None).map_err(store_err)? {
                let v = serde_json::to_string(&e.to_wire())
                    .map_err(|e| CliError::Internal(e.into()))?;
                writeln!(out, "{v}")?;
            }
        }
        LogCmd::Key => {
            writeln!(out, "{}", store.verifier_key())?;
        }
        LogCmd::Prove { index, size } => {
            let p = store.prove(*index, *size).map_err(store_err)?;
            let v =
                serde_json::to_string(&p.to_wire()).map_err(|e| CliError::Internal(e.into()))?;
            writeln!(out, "{v}")?;
        }
        LogCmd::Consistency { old, new } => {
            let (old, new, proof) = store.consistency(*old, *new).map_err(store_err)?;
            let wire = custodia_store::ConsistencyProofJson::new(old, new, &proof);
            let v = serde_json::to_string(&wire).map_err(|e| CliError::Internal(e.into()))?;
            writeln!(out, "{v}")?;
        }
    }
    out.flush()?;
    Ok(())
}
