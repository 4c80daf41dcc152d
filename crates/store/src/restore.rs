//! Restoring a store from its leaves (`custodia restore`): the leaves are the whole truth
//! of a store, so appending them verbatim to an empty store, on any backend, rebuilds the
//! same log (same bytes, same seq, same root) and, by replay, the same projections.

use std::cell::RefCell;

use custodia_ledger::{Frontier, leaf_hash};
use custodia_model::events::Leaf;

use crate::error::{Result, StoreError};
use crate::project;
use crate::store::{ConnHashes, Receipt, Store, size_of};

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
            let mut hashes = Vec::with_capacity(8);
            for (i, body) in leaves.iter().enumerate() {
                let seq = start + i as u64;
                let leaf = Leaf::from_bytes(body.as_bytes()).map_err(|e| {
                    StoreError::Invalid(format!("leaf {seq}: not a valid event: {e}"))
                })?;
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
                )?;
                project::apply(c, &leaf)?;
            }
            let size = frontier.size();
            let root = frontier.root();
            let cp = key
                .sign(size, root)
                .map_err(|e| StoreError::Db(e.to_string()))?;
            c.execute(
                "INSERT INTO checkpoints (size, root, note) VALUES (?, ?, ?)",
                &[size.into(), root.0.to_vec().into(), cp.note.into()],
            )?;
            out = Some(Receipt {
                first_seq: start,
                size,
                root,
            });
            Ok(())
        })?;
        let r = out.ok_or_else(|| StoreError::Db("restore produced no result".into()))?;
        self.committed(&r);
        Ok(r)
    }
}
