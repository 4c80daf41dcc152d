//! custodia-housing: where each person sleeps, what that means in square metres, and what
//! the international standards say about it. Pure: no I/O, no clock, no store.
//!
//! - [`assign`] places arriving persons in cells (CONTRACT §7): capacity, existing
//!   occupants, rival-group separation and `avoid_persons` are hard rules; the objective is
//!   to place as many as possible, then to maximise the smallest space per person. The
//!   output carries upper bounds ([`Bound`]) so its quality can be judged.
//! - [`standards`] builds a [`StandardsReport`] from a cell census and ledger evidence:
//!   ICRC space per person, design capacity, and the Mandela Rules items the ledger can
//!   evidence (rules 23, 44–45, 58, 68), with [`render_text`] for people.
//! - [`census`] counts persons per day per facility and pavilion from placements.
//!
//! ```
//! let input = r#"{"standard_m2_per_person": 3.4,
//!   "cells": [{"id": "C1", "area_m2": 20.0, "capacity": 4, "occupants": []}],
//!   "persons": [{"id": "N-1", "groups": ["A"], "separate_from": ["B"], "avoid_persons": []}]}"#;
//! let out = custodia_housing::assign_json(input).unwrap();
//! assert_eq!(out.assignments[0].cell_id, "C1");
//! assert_eq!(out.summary.min_m2_per_person, Some(20.0));
//! ```

pub mod assign;
pub mod census;
mod error;
pub mod standards;

pub use assign::{
    AssignInput, AssignOptions, AssignOutput, Assignment, Bound, CellInput, ExistingConflict,
    Method, PersonInput, Summary, Unassigned, UnassignedReason, assign, assign_json, assign_with,
    parse_input, validate,
};
pub use census::{CensusDay, Placement, daily_census};
pub use error::{AssignError, StandardsError};
pub use standards::{
    CellCensus, ContactRecord, ExerciseRecord, NotificationOccasion, NotificationRecord,
    PresentPerson, SolitarySpell, SpaceStandard, StandardsInput, StandardsParams, StandardsReport,
    render_text, standards,
};
