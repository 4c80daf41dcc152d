//! Typed errors of the housing engine. Messages are lowercase, name the input at fault in
//! backticks and say what was expected.

use thiserror::Error;

/// Bad input to [`crate::assign`].
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AssignError {
    #[error("not a valid `assign` input: {0}")]
    Json(String),
    #[error("{item}: {message}")]
    Item { item: String, message: String },
    #[error("`standard_m2_per_person` is `{0}`; expected a positive number of square metres")]
    BadStandard(f64),
    #[error("a {what} has an empty `id`; expected a non-empty id")]
    EmptyId { what: String },
    #[error("duplicate cell id `{0}`; expected each cell id once")]
    DuplicateCell(String),
    #[error(
        "duplicate person id `{0}`; expected each person once, as an occupant or as a new person"
    )]
    DuplicatePerson(String),
    #[error("cell `{cell}`: `area_m2` is `{area}`; expected a positive number of square metres")]
    BadArea { cell: String, area: f64 },
    #[error(
        "cell `{cell}`: `capacity` is 0 but it has {occupants} occupant(s); expected a capacity of at least the occupants"
    )]
    ZeroCapacityOccupied { cell: String, occupants: usize },
    #[error(
        "cell `{cell}`: {occupants} occupants exceed its `capacity` {capacity}; expected at most {capacity}"
    )]
    OverCapacity {
        cell: String,
        occupants: usize,
        capacity: u32,
    },
}

/// Bad input to the standards report or the daily census.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StandardsError {
    #[error("`min_m2_per_person` is `{0}`; expected a positive number of square metres")]
    BadStandard(f64),
    #[error("cell `{cell}`: `area_m2` is `{area}`; expected a positive number of square metres")]
    BadArea { cell: String, area: f64 },
    #[error("duplicate cell id `{0}`; expected each cell once")]
    DuplicateCell(String),
    #[error("the period starts `{from}` after it ends `{to}`; expected `from` on or before `to`")]
    BadPeriod { from: String, to: String },
    #[error(
        "person `{person}`: a stay ends `{to}` before it starts `{from}`; expected `to` on or after `from`"
    )]
    StayReversed {
        person: String,
        from: String,
        to: String,
    },
    #[error(
        "person `{person}`: two stays overlap on `{date}`; expected one place per person per day"
    )]
    StayOverlap { person: String, date: String },
    #[error(
        "person `{person}`: a solitary spell ends `{to}` before it starts `{from}`; expected `to` on or after `from`"
    )]
    SpellReversed {
        person: String,
        from: String,
        to: String,
    },
    #[error(
        "person `{person}`: exercise of `{hours}` hours on `{date}`; expected between 0 and 24"
    )]
    BadHours {
        person: String,
        date: String,
        hours: f64,
    },
}
