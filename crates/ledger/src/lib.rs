//! custodia-ledger: the RFC 6962 / RFC 9162 Merkle log under the custody ledger, its signed
//! C2SP checkpoints, and inclusion and consistency proofs. No SQL, no HTTP: the tree's hashes
//! live wherever a [`HashReader`] can read them (the store keeps them in a table), laid out
//! as Go's `tlog` package and C2SP tlog-tiles do, so that a root or a proof costs
//! O(log n) reads rather than a recomputation.
//!
//! Main types and functions:
//! - [`BatchHasher`]: given the current size and a reader, computes the hashes to store for
//!   a batch of new leaves, and the new root.
//! - [`inclusion_proof`], [`consistency_proof`], [`verify_inclusion`], [`verify_consistency`].
//! - [`LogKey`] signs checkpoints; [`verify_checkpoint`] checks one against a verifier key.
//!
//! ```
//! use custodia_ledger::{leaf_hash, BatchHasher, MemoryHashes, tree_root};
//! let mut mem = MemoryHashes::default();
//! let mut b = BatchHasher::new(0, &mem).unwrap();
//! for leaf in [&b"a"[..], b"b", b"c"] { b.push(leaf).unwrap(); }
//! let (start, hashes, root) = b.finish();
//! mem.put(start, &hashes);
//! assert_eq!(tree_root(3, &mem).unwrap(), root);
//! # let _ = leaf_hash(b"a");
//! ```

mod key;
pub mod note;
mod tree;

pub use key::{
    CheckpointError, KeyError, LogKey, SignedCheckpoint, check_verifier_key, verify_checkpoint,
    verify_note,
};
pub use note::{CheckpointBody, NoteSignature, SignedNote};
pub use tlog_tiles::tlog::{Error as HashError, HASH_SIZE, Hash, HashReader};
pub use tree::{
    BatchHasher, Frontier, LedgerError, MemoryHashes, consistency_proof, inclusion_proof,
    leaf_hash, node_hash, stored_hash_count, stored_hash_index, stored_hash_location, tree_root,
    verify_consistency, verify_inclusion,
};
