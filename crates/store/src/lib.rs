//! custodia-store: the event-sourced store. Every change is an event appended to the ledger
//! (leaf bytes, the tree hashes it completes, and a signed checkpoint per batch) and applied
//! to projection tables, all in one database transaction. SQLite (one file, WAL) is the
//! default; PostgreSQL is the second implementation of the same [`backend::Backend`] seam.
//!
//! The only crate that knows SQL. Main types: [`Store`], [`Tx`] (read state, emit events,
//! atomically), [`VerifyOptions`]/[`Verdict`].
//!
//! ```
//! use std::sync::Arc;
//! use custodia_model::{clock::ManualClock, events::{EventData, NewEvent}};
//! use custodia_store::{OpenOptions, Store};
//! let dir = std::env::temp_dir().join(format!("custodia-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("s.db");
//! let clock = Arc::new(ManualClock::new("2025-03-15T00:00:00Z".parse().unwrap()));
//! let mut store = Store::open(path.to_str().unwrap(), OpenOptions { key_path: None, clock }).unwrap();
//! let ev = NewEvent { occurred_at: "2025-03-15T00:00:00Z".parse().unwrap(), actor: "doc".into(),
//!                     data: EventData::PersonRead { person_id: "P-1".into() } };
//! let r = store.append(vec![ev]).unwrap();
//! assert_eq!(r.size, 1);
//! assert!(matches!(store.verify(&Default::default(), &mut |_| {}).unwrap(), custodia_store::Verdict::Ok { .. }));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
#![deny(clippy::indexing_slicing)]

/// Raw SQL (`Store::read`, `Store::stream`, `Tx::query`, `Tx::conn`, the [`backend`] seam) is
/// the store's own: `pub(crate)`. Tests that tamper with or inspect a store's tables build
/// with the `test-sql` feature (a dev-dependency), which makes these items `pub` again.
macro_rules! raw_sql {
    ($(#[$m:meta])* fn $($rest:tt)*) => {
        #[cfg(feature = "test-sql")]
        $(#[$m])* pub fn $($rest)*
        #[cfg(not(feature = "test-sql"))]
        $(#[$m])* pub(crate) fn $($rest)*
    };
}

pub mod auth;
#[cfg(feature = "test-sql")]
pub mod backend;
#[cfg(not(feature = "test-sql"))]
pub(crate) mod backend;
pub mod commands;
mod cosign;
mod decode;
mod error;
pub mod law;
pub mod locator;
mod migrate;
mod pg_batch;
pub mod postgres;
pub mod project;
pub mod queries;
pub mod reads;
mod restore;
pub mod sqlite;
mod store;
pub mod trail;
mod verify;

pub use cosign::StoredCosignature;
pub use error::{Result, StoreError};
pub use reads::Reads;
pub use store::{
    ClaimState, CommitHook, ConsistencyProofJson, DEFAULT_ORIGIN, HistoryEntry, HistoryEntryJson,
    InclusionProof, InclusionProofJson, OpenOptions, Receipt, Store, Tx, default_key_path,
    is_postgres,
};
pub use trail::Trail;
pub use verify::{Verdict, VerifyOptions};
