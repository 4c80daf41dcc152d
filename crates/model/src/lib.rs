//! custodia-model: the domain types every other crate shares, with validated constructors
//! and no I/O.
//!
//! - [`legal`]: persons' US status and the legal records of CONTRACT §1, with their exact
//!   JSON shape.
//! - [`events`]: the ledger's events ([`events::EventData`]), the envelope of a new event
//!   ([`events::NewEvent`]) and the leaf format ([`events::Leaf`]) of CONTRACT §3.
//! - [`country`]: country names in English and Spanish for codes typed by people.
//! - [`federation`]: the wire formats two governments' stores exchange (CONTRACT §10): the
//!   hand-over document, the receipt and the envelope a receipt travels in.
//! - [`ids`]: the ids of manifests and cases, as the application makes them.
//! - [`locator`]: a person as the public locator sees them.
//! - [`state`]: manifest and case states, with their wire names (`strum`).
//! - [`clock`]: the injected clock; nothing reads the wall clock but [`clock::SystemClock`].
//!
//! ```
//! use custodia_model::events::{EventData, Leaf};
//! let leaf = Leaf {
//!     seq: 0,
//!     occurred_at: "2025-03-15T06:30:00Z".parse().unwrap(),
//!     recorded_at: "2025-03-15T06:31:00Z".parse().unwrap(),
//!     data: EventData::PersonRead { person_id: "P-1".into() },
//!     actor: "auditor:ana".into(),
//! };
//! let bytes = String::from_utf8(leaf.to_bytes().unwrap()).unwrap();
//! assert!(bytes.starts_with(r#"{"seq":0,"occurred_at":"2025-03-15T06:30:00Z","recorded_at":"2025-03-15T06:31:00Z","kind":"person_read""#));
//! ```

pub mod clock;
pub mod country;
pub mod events;
pub mod federation;
pub mod ids;
pub mod legal;
pub mod lines;
pub mod locator;
pub mod state;
