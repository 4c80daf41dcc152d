//! Record linkage for custodia: Hispanic name matching and manifest/intake reconciliation.
//!
//! Pure: no I/O beyond parsing text handed in. Three parts:
//! - [`names`]: normalisation (accent folding, particles, first/second family name), a
//!   Spanish phonetic key and string similarities; shared with the public locator.
//! - [`reconcile`]: Fellegi–Sunter linkage of a transfer manifest against the receiving
//!   facility's intake (CONTRACT §2), returning a [`Reconciliation`]: names compared as
//!   strings and as word multisets, m by EM on the two files, a sibling guard, and a
//!   residual pass that links the leftovers again under their own, higher, prior.
//! - [`synth`]: a seeded generator of realistic noisy manifest/intake pairs (invented
//!   persons only), with combined noise and an adversarial set (twins, siblings, cousins of
//!   one name, people entered twice), for tests and benchmarks.
//!
//! ```
//! use custodia_linkage::{parse_csv, reconcile::reconcile};
//! let manifest = parse_csv("manifest.csv",
//!     "record_id,family_names,given_names,date_of_birth\nM-1,Menjívar Ruiz,José,1990-04-12\n").unwrap();
//! let intake = parse_csv("intake.csv",
//!     "record_id,given_names,family_names,date_of_birth\nI-7,JOSE,MENJIVAR,1990-12-04\n").unwrap();
//! let out = reconcile(&manifest, &intake);
//! assert_eq!(out.matches[0].intake_id, "I-7");
//! assert!(out.missing_from_intake.is_empty());
//! ```

pub mod locator;
pub mod names;
pub mod reconcile;
mod records;
pub mod synth;

pub use reconcile::{Candidate, Config, Match, Reconciliation, Review};
pub use records::{COLUMNS, InputError, REQUIRED_COLUMNS, Record, parse_csv, write_csv};
