//! custodia-model: the domain types every other crate shares, with validated constructors
//! and no I/O.
//!
//! - [`legal`]: persons' US status and the legal records of CONTRACT §1, with their exact
//!   JSON shape.

pub mod legal;
