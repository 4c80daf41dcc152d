//! Test helpers: real logs built with the ledger's tree code, and a witness over them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use custodia_ledger::{BatchHasher, Hash, LogKey, MemoryHashes, consistency_proof, tree_root};
use custodia_witness::{AddRequest, CosignerKey, Witness, WitnessDb};

/// A log: its key and its leaves' stored hashes.
#[derive(Clone)]
pub struct Log {
    pub key: LogKey,
    pub hashes: MemoryHashes,
    pub size: u64,
}

impl Log {
    pub fn new(key: LogKey) -> Self {
        Self {
            key,
            hashes: MemoryHashes::default(),
            size: 0,
        }
    }
    pub fn named(origin: &str) -> Self {
        Self::new(LogKey::generate(origin).unwrap())
    }
    /// Appends `n` leaves whose bytes start with `tag`.
    pub fn append(&mut self, n: u64, tag: &str) {
        let mut b = BatchHasher::new(self.size, &self.hashes).unwrap();
        for i in 0..n {
            b.push(format!("{tag}-{}-{i}", self.size).as_bytes())
                .unwrap();
        }
        let size = b.size();
        let (start, hashes, _) = b.finish();
        self.hashes.put(start, &hashes);
        self.size = size;
    }
    pub fn root(&self, size: u64) -> Hash {
        tree_root(size, &self.hashes).unwrap()
    }
    /// The signed checkpoint note at `size`.
    pub fn checkpoint(&self, size: u64) -> String {
        self.key.sign(size, self.root(size)).unwrap().note
    }
    pub fn proof(&self, old: u64, new: u64) -> Vec<Hash> {
        consistency_proof(old, new, &self.hashes).unwrap()
    }
    /// The add-checkpoint body from `old` to `new` with an honest proof.
    pub fn body(&self, old: u64, new: u64) -> String {
        AddRequest {
            old,
            proof: self.proof(old, new),
            note: self.checkpoint(new),
        }
        .to_body()
    }
}

pub fn cosigner(name: &str) -> CosignerKey {
    CosignerKey::generate(name).unwrap()
}

/// A witness over an in-memory state, following `logs`, with a pinned clock.
pub fn witness(key: CosignerKey, logs: &[&Log]) -> Arc<Witness> {
    witness_on(key, logs, WitnessDb::open_in_memory().unwrap())
}

pub fn witness_on(key: CosignerKey, logs: &[&Log], db: WitnessDb) -> Arc<Witness> {
    let vkeys: Vec<String> = logs
        .iter()
        .map(|l| l.key.verifier_key().to_string())
        .collect();
    Arc::new(
        Witness::new(key, &vkeys, db)
            .unwrap()
            .with_clock(Arc::new(|| 1_700_000_000)),
    )
}
