//! `custodia backup --out FILE` and `custodia restore FILE`: moving a store between
//! backends (SQLite <-> PostgreSQL) or machines.
//!
//! The leaves are the whole truth of a store (projections are their replay), so a backup is
//! one header line, `{"format":"custodia-backup/1","entries":N,"root":"<hex>"}`, followed
//! by the N leaves exactly as `log export` writes them. A restore checks the whole file
//! first (every leaf parses, carries its line's seq, and the leaves give the header's root),
//! then re-appends the leaves verbatim into an empty store, recomputing tree hashes and
//! projections and signing checkpoints with the target store's own key, all in one
//! transaction: a restore that fails half-way leaves the store empty and can be retried.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use custodia_ledger::{Frontier, leaf_hash};
use custodia_model::events::Leaf;

use crate::ctx::{open_store, progress, store_err};
use crate::error::{CliError, CliResult};

/// The format named in a backup's header line.
pub const FORMAT: &str = "custodia-backup/1";

/// Leaves per restored batch (one signed checkpoint each) at most.
const MAX_BATCH: usize = 20_000;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Where to write the backup.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup file.
    pub file: PathBuf,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    format: String,
    entries: u64,
    root: String,
}

fn io_err(path: &Path, e: std::io::Error) -> CliError {
    CliError::Internal(anyhow::anyhow!("cannot write `{}`: {e}", path.display()))
}

pub fn backup(db: &str, args: &BackupArgs) -> CliResult {
    let mut store = open_store(db)?;
    // The log only grows: leaves 0..size of this checkpoint are fixed, whatever is appended
    // while the backup runs.
    let cp = store.checkpoint().map_err(store_err)?;
    let tmp = args.out.with_extension("partial");
    let file = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let header = Header {
        format: FORMAT.into(),
        entries: cp.size,
        root: hex::encode(cp.root.0),
    };
    let line = serde_json::to_string(&header).map_err(|e| CliError::Internal(e.into()))?;
    writeln!(out, "{line}").map_err(|e| io_err(&tmp, e))?;
    let pb = progress(cp.size, "backup");
    let mut n = 0u64;
    store
        .export(0, Some(cp.size), &mut |_, body| {
            n += 1;
            if n.is_multiple_of(65_536) {
                pb.set_position(n);
            }
            out.write_all(body.as_bytes())
                .and_then(|_| out.write_all(b"\n"))
                .map_err(|e| {
                    custodia_store::StoreError::Db(format!("cannot write `{}`: {e}", tmp.display()))
                })
        })
        .map_err(store_err)?;
    pb.finish_and_clear();
    out.flush().map_err(|e| io_err(&tmp, e))?;
    out.get_ref().sync_all().map_err(|e| io_err(&tmp, e))?;
    drop(out);
    if n != cp.size {
        let _ = std::fs::remove_file(&tmp);
        return Err(CliError::Internal(anyhow::anyhow!(
            "the store's checkpoint signs {} entries but only {n} were read",
            cp.size
        )));
    }
    std::fs::rename(&tmp, &args.out).map_err(|e| io_err(&args.out, e))?;
    eprintln!(
        "backup `{}`: {n} entries, root {}",
        args.out.display(),
        header.root
    );
    Ok(())
}

/// Reads the header line of the backup at `path`; the reader is left at the first leaf.
fn open_backup(path: &Path) -> Result<(Header, Box<dyn BufRead>), CliError> {
    let name = path.display();
    let mut r = crate::io::open_input(path)?;
    let mut first = String::new();
    r.read_line(&mut first)
        .map_err(|e| CliError::input(format!("`{name}`: line 1: cannot read: {e}")))?;
    let h: Header =
        crate::io::parse_json(&name.to_string(), 1, first.trim_end()).map_err(|e| {
            CliError::input(format!(
                "{e}; expected a backup header {{\"format\":\"{FORMAT}\",\"entries\":N,\"root\":\"<hex>\"}}"
            ))
        })?;
    if h.format != FORMAT {
        return Err(CliError::input(format!(
            "`{name}`: line 1, field `format`: `{}`, expected `{FORMAT}`",
            h.format
        )));
    }
    Ok((h, r))
}

/// Reads leaf lines one at a time, checking that leaf `i` is on line `i + 2` and carries
/// seq `i`.
struct Leaves<'a> {
    path: &'a Path,
    r: Box<dyn BufRead>,
    seq: u64,
    line: String,
}

impl<'a> Leaves<'a> {
    fn new(path: &'a Path, r: Box<dyn BufRead>) -> Self {
        Self {
            path,
            r,
            seq: 0,
            line: String::new(),
        }
    }

    /// The next leaf (its seq, text and parsed form), or `None` at the end of the file.
    fn next_leaf(&mut self) -> Result<Option<(u64, String, Leaf)>, CliError> {
        let name = self.path.display();
        let seq = self.seq;
        self.line.clear();
        let got = self.r.read_line(&mut self.line).map_err(|e| {
            CliError::input(format!("`{name}`: line {}: cannot read: {e}", seq + 2))
        })?;
        if got == 0 {
            return Ok(None);
        }
        let text = self.line.strip_suffix('\n').unwrap_or(&self.line);
        let leaf = Leaf::from_bytes(text.as_bytes()).map_err(|e| {
            CliError::input(format!(
                "`{name}`: line {}: not a leaf ({e}); expected one exported leaf per line",
                seq + 2
            ))
        })?;
        if leaf.seq != seq {
            return Err(CliError::input(format!(
                "`{name}`: line {}, field `seq`: {}, expected {seq}",
                seq + 2,
                leaf.seq
            )));
        }
        self.seq += 1;
        Ok(Some((seq, text.to_string(), leaf)))
    }
}

/// Calls `f` with each leaf line (seq, text, parsed leaf); returns how many there were.
fn each_leaf(
    path: &Path,
    r: Box<dyn BufRead>,
    f: &mut dyn FnMut(u64, String, &Leaf) -> Result<(), CliError>,
) -> Result<u64, CliError> {
    let mut leaves = Leaves::new(path, r);
    while let Some((seq, text, leaf)) = leaves.next_leaf()? {
        f(seq, text, &leaf)?;
    }
    Ok(leaves.seq)
}

pub fn restore(db: &str, args: &RestoreArgs) -> CliResult {
    let path = args.file.as_path();
    if path.as_os_str() == "-" {
        return Err(CliError::input(
            "`-`: restore reads its file twice (check, then restore); give a file",
        ));
    }
    let name = path.display();
    // Pass 1: the whole file is checked before the store is touched.
    let (h, r) = open_backup(path)?;
    let mut frontier = Frontier::default();
    let mut scratch = Vec::with_capacity(8);
    let n = each_leaf(path, r, &mut |seq, text, _| {
        scratch.clear();
        frontier
            .push(leaf_hash(text.as_bytes()), &mut scratch)
            .map_err(|e| CliError::input(format!("`{name}`: line {}: {e}", seq + 2)))
    })?;
    if n != h.entries {
        return Err(CliError::input(format!(
            "`{name}`: the header announces {} entries but the file holds {n}: the backup is incomplete",
            h.entries
        )));
    }
    let root = hex::encode(frontier.root().0);
    if root != h.root {
        return Err(CliError::input(format!(
            "`{name}`: line 1, field `root`: `{}`, but the leaves give `{root}`: the backup is damaged",
            h.root
        )));
    }
    let mut store = open_store(db)?;
    let size = store.size().map_err(store_err)?;
    if size > 0 {
        return Err(CliError::input(format!(
            "store `{db}` already holds {size} entries; `restore` writes only into an empty store"
        )));
    }
    // Pass 2, in ONE transaction on every backend: leaves that were recorded together are
    // restored together (one checkpoint each, as they were first appended), up to
    // MAX_BATCH. A failure half-way (a value the database refuses, a lost connection, a
    // killed process) leaves the store empty, so the restore can simply be run again.
    let (_, r) = open_backup(path)?;
    let mut leaves = Leaves::new(path, r);
    let mut pending: Option<(String, Leaf)> = None;
    let mut failed: Option<CliError> = None;
    let pb = progress(n, "restore");
    let mut next = || -> Result<Option<Vec<String>>, custodia_store::StoreError> {
        let mut batch: Vec<String> = Vec::new();
        let mut at: Option<jiff::Timestamp> = None;
        loop {
            let item = match pending.take() {
                Some(p) => Some(p),
                None => match leaves.next_leaf() {
                    Ok(l) => l.map(|(_, text, leaf)| (text, leaf)),
                    Err(e) => {
                        let msg = e.to_string();
                        failed = Some(e);
                        return Err(custodia_store::StoreError::Invalid(msg));
                    }
                },
            };
            let Some((text, leaf)) = item else {
                return Ok((!batch.is_empty()).then_some(batch));
            };
            if at.is_some_and(|t| t != leaf.recorded_at) || batch.len() >= MAX_BATCH {
                pending = Some((text, leaf));
                return Ok(Some(batch));
            }
            at = Some(leaf.recorded_at);
            batch.push(text);
        }
    };
    let restored = store.restore_all(&mut next, &mut |done| pb.set_position(done));
    pb.finish_and_clear();
    if let Some(e) = failed {
        return Err(e);
    }
    restored.map_err(|e| match e {
        e @ custodia_store::StoreError::Db(_) => CliError::Internal(anyhow::anyhow!(
            "restore into `{db}` failed and was rolled back; the store is as empty as before: {e}"
        )),
        other => store_err(other),
    })?;
    let cp = store.checkpoint().map_err(store_err)?;
    let got = hex::encode(cp.root.0);
    if cp.size != n || got != h.root {
        return Err(CliError::Check(format!(
            "restored {} entries with root {got}, but the backup holds {n} with root {}",
            cp.size, h.root
        )));
    }
    eprintln!("restored `{name}` into `{db}`: {n} entries, root {got}");
    Ok(())
}
