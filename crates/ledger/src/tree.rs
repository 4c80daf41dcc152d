//! RFC 6962 tree hashing over stored hashes (Go `tlog` layout, via `tlog_tiles`).

use tlog_tiles::tlog::{self, Hash, HashReader};

/// Errors of the Merkle layer.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A proof did not verify.
    #[error("invalid proof: {0}")]
    InvalidProof(String),
    /// An index or size outside the tree.
    #[error("out of range: {0}")]
    OutOfRange(String),
    /// The hash storage failed or lacked a hash it should hold.
    #[error("hash storage: {0}")]
    Storage(String),
}

impl From<tlog::Error> for LedgerError {
    fn from(e: tlog::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

/// SHA-256(0x00 ‖ leaf): RFC 6962 §2.1 leaf hash.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    tlog::record_hash(leaf)
}

/// SHA-256(0x01 ‖ left ‖ right): RFC 6962 §2.1 interior node hash.
pub fn node_hash(left: Hash, right: Hash) -> Hash {
    tlog::node_hash(left, right)
}

/// Where the hash of the subtree at `level`, position `n` is stored (Go tlog layout).
pub fn stored_hash_index(level: u8, n: u64) -> u64 {
    tlog::stored_hash_index(level, n)
}

/// Which leaf stores the hash at stored index `index`, and at which position in that leaf's
/// list: the subtree at (level, k) is completed, and stored, by leaf `(k + 1) * 2^level - 1`.
pub fn stored_hash_location(index: u64) -> (u64, usize) {
    let (level, k) = tlog::split_stored_hash_index(index);
    (((k + 1) << level) - 1, usize::from(level))
}

/// How many hashes a tree of `n` leaves stores.
pub fn stored_hash_count(n: u64) -> u64 {
    tlog::stored_hash_count(n)
}

/// The root of the tree of the first `size` leaves: at most 1 + log2(size) reads.
pub fn tree_root<R: HashReader>(size: u64, r: &R) -> Result<Hash, LedgerError> {
    Ok(tlog::tree_hash(size, r)?)
}

/// RFC 9162 §2.1.3 inclusion proof of leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof<R: HashReader>(
    size: u64,
    index: u64,
    r: &R,
) -> Result<Vec<Hash>, LedgerError> {
    if index >= size {
        return Err(LedgerError::OutOfRange(format!(
            "index {index} is not below tree size {size}"
        )));
    }
    Ok(tlog::prove_record(size, index, r)?)
}

/// RFC 9162 §2.1.4 consistency proof from the tree of `old` leaves to the tree of `new`.
pub fn consistency_proof<R: HashReader>(
    old: u64,
    new: u64,
    r: &R,
) -> Result<Vec<Hash>, LedgerError> {
    if old > new {
        return Err(LedgerError::OutOfRange(format!(
            "old size {old} is larger than new size {new}"
        )));
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    Ok(tlog::prove_tree(new, old, r)?)
}

/// Checks an inclusion proof against a root.
pub fn verify_inclusion(
    proof: &[Hash],
    size: u64,
    root: Hash,
    index: u64,
    leaf: Hash,
) -> Result<(), LedgerError> {
    tlog::check_record(&proof.to_vec(), size, root, index, leaf)
        .map_err(|e| LedgerError::InvalidProof(e.to_string()))
}

/// Checks a consistency proof between two roots.
pub fn verify_consistency(
    proof: &[Hash],
    old: u64,
    old_root: Hash,
    new: u64,
    new_root: Hash,
) -> Result<(), LedgerError> {
    if old == new {
        return if old_root == new_root && proof.is_empty() {
            Ok(())
        } else {
            Err(LedgerError::InvalidProof(
                "equal sizes with different roots".into(),
            ))
        };
    }
    if old == 0 {
        return Ok(());
    }
    tlog::check_tree(&proof.to_vec(), new, new_root, old, old_root)
        .map_err(|e| LedgerError::InvalidProof(e.to_string()))
}

/// An in-memory hash store, for tests, replay and verification.
#[derive(Debug, Default, Clone)]
pub struct MemoryHashes {
    hashes: Vec<Hash>,
}

impl MemoryHashes {
    /// Stores `hashes` from stored index `start` on; `start` must be the current length.
    pub fn put(&mut self, start: u64, hashes: &[Hash]) {
        debug_assert_eq!(start, self.hashes.len() as u64);
        self.hashes.extend_from_slice(hashes);
    }
    /// All stored hashes in index order.
    pub fn as_slice(&self) -> &[Hash] {
        &self.hashes
    }
}

impl HashReader for MemoryHashes {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.hashes.get(i).copied())
                    .ok_or(tlog::Error::IndexesNotInTree)
            })
            .collect()
    }
}

/// The right edge of a tree (its "compact range"): the roots of the complete subtrees that
/// cover it, largest first. Appending a leaf costs one leaf hash and, on average, about one
/// node hash; the hashes it produces are exactly the ones Go's `tlog` layout stores for that
/// leaf, in the same order.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    size: u64,
    stack: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the stored tree of `size` leaves (at most log2 n reads).
    pub fn load<R: HashReader>(size: u64, r: &R) -> Result<Self, LedgerError> {
        let indexes = tlog::sub_tree_index(0, size, vec![]);
        let stack = if indexes.is_empty() {
            Vec::new()
        } else {
            r.read_hashes(&indexes)?
        };
        if stack.len() != size.count_ones() as usize {
            return Err(LedgerError::Storage(format!(
                "expected {} edge hashes for size {size}, read {}",
                size.count_ones(),
                stack.len()
            )));
        }
        Ok(Self { size, stack })
    }

    /// Appends a leaf hash and writes the hashes to store for it into `out`.
    pub fn push(&mut self, leaf: Hash, out: &mut Vec<Hash>) -> Result<(), LedgerError> {
        out.push(leaf);
        let mut h = leaf;
        let mut n = self.size;
        while n & 1 == 1 {
            let left = self
                .stack
                .pop()
                .ok_or_else(|| LedgerError::Storage("frontier underflow".into()))?;
            h = node_hash(left, h);
            out.push(h);
            n >>= 1;
        }
        self.stack.push(h);
        self.size += 1;
        Ok(())
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The RFC 6962 root of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        match it.next() {
            None => tlog::EMPTY_HASH,
            Some(&last) => it.fold(last, |acc, &left| node_hash(left, acc)),
        }
    }
}

/// Computes the hashes to store for a batch of leaves appended to a stored tree.
pub struct BatchHasher {
    start_size: u64,
    start_index: u64,
    frontier: Frontier,
    new: Vec<Hash>,
}

impl BatchHasher {
    /// Prepares to append to a tree of `size` leaves whose hashes `r` can read.
    pub fn new<R: HashReader>(size: u64, r: &R) -> Result<Self, LedgerError> {
        Ok(Self {
            start_size: size,
            start_index: tlog::stored_hash_count(size),
            frontier: Frontier::load(size, r)?,
            new: Vec::new(),
        })
    }

    /// Appends one leaf; returns its leaf hash.
    pub fn push(&mut self, leaf: &[u8]) -> Result<Hash, LedgerError> {
        let h = leaf_hash(leaf);
        self.frontier.push(h, &mut self.new)?;
        Ok(h)
    }

    /// The size the tree will have.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The size the tree had.
    pub fn start_size(&self) -> u64 {
        self.start_size
    }

    /// The root of the tree so far.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Returns (first stored index, hashes to store from there, new root).
    pub fn finish(self) -> (u64, Vec<Hash>, Hash) {
        let root = self.frontier.root();
        (self.start_index, self.new, root)
    }
}
