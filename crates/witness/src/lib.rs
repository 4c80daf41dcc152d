//! custodia-witness: a C2SP transparency-log witness for the custody ledger, and the library a
//! log uses to get its checkpoints cosigned and to check them against a trust policy.
//!
//! Two governments that each keep a custody log cannot be shown different histories if
//! independent witnesses cosign each checkpoint only after checking it extends the last one
//! they cosigned. Everything here follows the C2SP documents, which are normative:
//! `tlog-witness` (the HTTP protocol), `tlog-cosignature` (`cosignature/v1`, Ed25519 type
//! `0x04`), `tlog-policy` (which witnesses, what quorum), `signed-note`, `tlog-checkpoint`.
//!
//! Main types and functions:
//! - [`CosignerKey`]: a witness's key (`generate`, `load`/`save` a key file, `vkey`,
//!   `sign(checkpoint_body, time)`); [`verify_cosignature`] checks one cosignature on a note.
//! - [`Policy`]: a parsed `tlog-policy` file; [`Policy::satisfied`] checks a checkpoint's log
//!   signature and counts valid cosignatures through the groups up to the quorum.
//! - [`Witness`] and [`app`]: the witness itself, `POST /add-checkpoint` as an axum router,
//!   over a [`WitnessDb`] (SQLite; one writer thread, group commit) whose check-and-persist is
//!   one transaction, so the rollback race of tlog-witness cannot happen; [`run_blocking`]
//!   serves it. Refused inconsistent checkpoints (422) are kept as evidence
//!   ([`WitnessDb::refused`]).
//! - [`Submitter`]: the log's client. [`Submitter::submit`] posts a checkpoint to every
//!   witness with the consistency proof each needs (a [`ProofSource`] the log provides),
//!   retries from the size a 409 reports, verifies what comes back and returns a
//!   [`Submission`] (the note with the cosignatures merged in, and each witness's status and
//!   lag); it never fails. [`add_cosignatures`] merges signature lines into a note.
//!   `submit` must run inside a tokio runtime (the HTTP client spawns its connections there);
//!   a synchronous caller keeps one runtime beside the `Submitter` and `block_on`s it.
//!
//! This crate knows HTTP (it is a server of its own) and SQL (its own state, never the
//! store's); it knows nothing of the store or of custody events.
//!
//! ```
//! use custodia_ledger::LogKey;
//! use custodia_witness::{CosignerKey, Policy, Witness, WitnessDb, verify_cosignature};
//!
//! // A log and a witness that follows it.
//! let log = LogKey::generate("example.org/log").unwrap();
//! let key = CosignerKey::generate("example.org/witness").unwrap();
//! let vkey = key.vkey();
//! let db = WitnessDb::open_in_memory().unwrap();
//! let witness = Witness::new(key, &[log.verifier_key().to_string()], db).unwrap();
//!
//! // The log's first checkpoint, submitted from size 0 (no proof needed).
//! let root = custodia_ledger::leaf_hash(b"first entry");
//! let cp = log.sign(1, root).unwrap();
//! let lines = witness.add_checkpoint(format!("old 0\n\n{}", cp.note).as_bytes()).unwrap();
//! let cosigned = custodia_witness::add_cosignatures(&cp.note, &[lines]).unwrap();
//! assert_eq!(verify_cosignature(&cosigned, &vkey).unwrap().checkpoint.size, 1);
//!
//! // A policy requiring that witness.
//! let policy = Policy::parse(&format!(
//!     "log {}\nwitness w1 {vkey} http://127.0.0.1:7380\nquorum w1\n",
//!     log.verifier_key()
//! ))
//! .unwrap();
//! assert_eq!(policy.satisfied(&cosigned).unwrap().cosigned_by, ["w1"]);
//! assert!(policy.satisfied(&cp.note).is_err());
//! ```

pub mod client;
pub mod cosignature;
pub mod policy;
pub mod server;
pub mod state;

pub use client::{
    DEFAULT_TIMEOUT, ProofSource, Submission, Submitter, SubmitterError, WitnessOutcome,
    WitnessStatus, add_cosignatures,
};
pub use cosignature::{
    Cosignature, CosignatureError, CosignerKey, CosignerVerifier, signed_message,
    verify_cosignature,
};
pub use policy::{Policy, PolicyError, PolicyLog, PolicyParseError, PolicyWitness, Satisfied};
pub use server::{AddError, AddRequest, ConfigError, Witness, app, run_blocking};
pub use state::{Latest, Refused, StateError, WitnessDb};
