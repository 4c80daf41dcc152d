//! Restoring a store from its leaves (`custodia restore`): the leaves are the whole truth
//! of a store, so appending them verbatim to an empty store, on any backend, rebuilds the
//! same log (same bytes, same seq, same root) and, by replay, the same projections.

use std::cell::RefCell;

use custodia_ledger::{Frontier, LogKey, leaf_hash};
use custodia_model::events::Leaf;

use crate::backend::Conn;
use crate::error::{Result, StoreError};
use crate::project;
use crate::store::{ConnHashes, Receipt, Store, size_of};

/// Appends `leaves` verbatim at the frontier's end on `c` (inside a write transaction), with
/// their tree hashes and projections, and signs one checkpoint for the new size.
fn restore_batch(
    c: &mut dyn Conn,
    key: &LogKey,
    frontier: &mut Frontier,
    leaves: &[String],
) -> Result<()> {
    let start = frontier.size();
    let mut hashes = Vec::with_capacity(8);
    for (i, body) in leaves.iter().enumerate() {
        let seq = start + i as u64;
        let leaf = Leaf::from_bytes(body.as_bytes())
            .map_err(|e| StoreError::Invalid(format!("leaf {seq}: not a valid event: {e}")))?;
        if leaf.seq != seq {
            return Err(StoreError::Conflict(format!(
                "leaf says seq {} but the log's next entry is {seq}",
                leaf.seq
            )));
        }
        hashes.clear();
        frontier.push(leaf_hash(body.as_bytes()), &mut hashes)?;
        let blob: Vec<u8> = hashes.iter().flat_map(|h| h.0).collect();
        c.execute(
            "INSERT INTO ledger (seq, body, hashes) VALUES (?, ?, ?)",
            &[seq.into(), body.as_str().into(), blob.into()],
        )
        .map_err(|e| match e {
            StoreError::Db(m) => StoreError::Db(format!("leaf {seq}: {m}")),
            other => other,
        })?;
        project::apply(c, &leaf).map_err(|e| match e {
            StoreError::Db(m) => StoreError::Db(format!("leaf {seq}: {m}")),
            other => other,
        })?;
    }
    let cp = key
        .sign(frontier.size(), frontier.root())
        .map_err(|e| StoreError::Db(e.to_string()))?;
    c.execute(
        "INSERT INTO checkpoints (size, root, note) VALUES (?, ?, ?)",
        &[
            frontier.size().into(),
            frontier.root().0.to_vec().into(),
            cp.note.into(),
        ],
    )?;
    Ok(())
}

impl Store {
    /// Appends pre-formed leaves verbatim (their bytes as given, without newline) in one
    /// transaction, recomputing their tree hashes and projections, and signs one checkpoint
    /// with this store's key. Leaf `i` must carry seq `size + i`, where `size` is the log's
    /// size when the transaction starts; otherwise nothing is written.
    pub fn restore_leaves(&mut self, leaves: &[String]) -> Result<Receipt> {
        if leaves.is_empty() {
            return Err(StoreError::Invalid("restore: empty batch of leaves".into()));
        }
        let key = self.signing_key()?.clone();
        let mut out = None;
        self.backend_mut().write(&mut |c| {
            let start = size_of(c)?;
            let mut frontier = Frontier::load(
                start,
                &ConnHashes {
                    conn: RefCell::new(&mut *c),
                },
            )?;
            restore_batch(c, &key, &mut frontier, leaves)?;
            out = Some(Receipt {
                first_seq: start,
                size: frontier.size(),
                root: frontier.root(),
            });
            Ok(())
        })?;
        let r = out.ok_or_else(|| StoreError::Db("restore produced no result".into()))?;
        self.committed(&r);
        Ok(r)
    }

    /// Restores a whole backup into this empty store in ONE transaction, on every backend:
    /// `next` yields the batches of leaves in order (the leaves first recorded together, one
    /// signed checkpoint each) until `None`. The log must be empty when the transaction
    /// starts. Any failure half-way (a leaf the database refuses, a lost connection, a
    /// killed process) rolls back everything, so the store is left empty and the restore
    /// can simply be run again. `progress` is told the entries restored so far.
    pub fn restore_all(
        &mut self,
        next: &mut dyn FnMut() -> Result<Option<Vec<String>>>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Receipt> {
        let key = self.signing_key()?.clone();
        let mut out = None;
        let mut ran = false;
        self.backend_mut().write(&mut |c| {
            // INVARIANT: the batches are consumed once; a backend never re-runs a write.
            if ran {
                return Err(StoreError::Db("restore: the transaction was run twice".into()));
            }
            ran = true;
            let start = size_of(c)?;
            if start > 0 {
                return Err(StoreError::Conflict(format!(
                    "the store already holds {start} entries; `restore` writes only into an empty store"
                )));
            }
            let mut frontier = Frontier::default();
            while let Some(batch) = next()? {
                if batch.is_empty() {
                    continue;
                }
                restore_batch(c, &key, &mut frontier, &batch)?;
                progress(frontier.size());
            }
            out = Some(Receipt {
                first_seq: 0,
                size: frontier.size(),
                root: frontier.root(),
            });
            Ok(())
        })?;
        let r = out.ok_or_else(|| StoreError::Db("restore produced no result".into()))?;
        if r.size > 0 {
            self.committed(&r);
        }
        Ok(r)
    }
}
