//! custodia-app: the use cases. Each reads the current state from the store, asks a pure
//! engine (rules, linkage, housing, billing) what follows, and appends the resulting events,
//! all in one store transaction. The CLI and the server both call these, so a rule such as
//! "approval needs a second person" lives in one place.
//!
//! Main modules: [`manifests`] (lifecycle, intake, reconciliation, cases), [`screening`]
//! (screening a stored person; recording legal records), [`witnessing`] (submitting each
//! committed checkpoint to the witnesses of a policy and keeping their cosignatures),
//! [`federation`] (two governments: peers, hand-over documents, receipts, the cross-check). Errors are [`AppError`]; the CLI
//! maps them to exit codes and the server to status codes, each in one place.
#![deny(clippy::indexing_slicing)]

pub mod actor;
pub mod auth;
pub mod billing;
pub mod corrections;
pub mod counsel;
pub mod custody;
mod error;
pub mod federation;
pub mod housing;
pub mod manifests;
pub mod oversight;
pub mod records;
pub mod registry;
pub mod screening;
pub mod witnessing;

pub use actor::{Actor, Role};
pub use error::{AppError, Result};
