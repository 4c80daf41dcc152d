//! Housing reads: cells and occupancy, who is held where, placements, separation profiles,
//! conditions evidence, and the leaf instants the standards report measures from.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::Reads;
use crate::backend::Value;
use crate::decode::rows;
use crate::error::Result;

/// One cell with its current occupants (persons in custody placed in it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub id: String,
    pub facility_id: String,
    pub pavilion: String,
    pub area_m2: f64,
    pub capacity: u32,
    pub occupants: u32,
    pub in_use: bool,
    pub out_of_use_reason: Option<String>,
    pub windows: bool,
    pub sanitation: String,
}

impl Cell {
    /// Floor area per occupant, if occupied.
    pub fn m2_per_person(&self) -> Option<f64> {
        (self.occupants > 0).then(|| self.area_m2 / f64::from(self.occupants))
    }
}

/// A person present at a facility: an open stay, and when the admission occurred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenStay {
    pub person_id: String,
    pub admitted_on: Date,
    /// When the admission event occurred (from its leaf).
    pub occurred_at: Timestamp,
}

/// One piece of conditions evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub person_id: String,
    /// `exercise`, `visit`, `solitary_start`, `solitary_end`, `family_notified`.
    pub kind: String,
    pub on: Date,
    /// Minutes of exercise, the kind of visit, or empty.
    pub value: String,
}

/// A placement of a person in a cell over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementSpan {
    pub person_id: String,
    pub facility_id: String,
    pub pavilion: String,
    pub from: Date,
    pub to: Option<Date>,
}

/// What housing must respect for one person held at a facility.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Separation {
    pub person_id: String,
    pub cell_id: Option<String>,
    pub groups: Vec<String>,
    pub separate_from: Vec<String>,
    pub avoid_persons: Vec<String>,
}

/// A cell's facility, capacity, status and occupancy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellOccupancy {
    pub facility_id: String,
    pub capacity: u32,
    pub in_use: bool,
    pub occupants: u32,
}

/// Where a person is held, as the projection says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whereabouts {
    pub facility_id: Option<String>,
    pub status: Option<custodia_model::events::CustodyStatus>,
}

const CELL_COLS: &[&str] = &[
    "id",
    "facility_id",
    "pavilion",
    "area_m2",
    "capacity",
    "in_use",
    "out_of_use_reason",
    "windows",
    "sanitation",
    "occupants",
];

fn facility_param(facility: Option<&str>) -> Value {
    facility.map(str::to_string).into()
}

impl Reads<'_> {
    /// Every cell (of one facility, or all), by facility, pavilion and cell.
    pub fn cells(&mut self, facility: Option<&str>) -> Result<Vec<Cell>> {
        let f = facility_param(facility);
        let r = self.query(
            "SELECT c.id, c.facility_id, c.pavilion, c.area_m2, c.capacity, c.in_use, c.out_of_use_reason, c.windows, c.sanitation, \
             (SELECT COUNT(*) FROM persons p WHERE p.cell_id = c.id AND p.status = 'in_custody') \
             FROM cells c WHERE (? IS NULL OR c.facility_id = ?) ORDER BY c.facility_id, c.pavilion, c.id",
            &[f.clone(), f],
        )?;
        rows("cells", CELL_COLS, &r, |a| {
            Ok(Cell {
                id: a.text(0)?,
                facility_id: a.text(1)?,
                pavilion: a.text(2)?,
                area_m2: a.f64(3)?,
                capacity: a.u32(4)?,
                in_use: a.flag(5)?,
                out_of_use_reason: a.opt_text(6)?,
                windows: a.flag(7)?,
                sanitation: a.text(8)?,
                occupants: a.u32(9)?,
            })
        })
    }

    /// Open stays (of one facility, or all), by person, with the admission's instant.
    pub fn open_stays(&mut self, facility: Option<&str>) -> Result<Vec<OpenStay>> {
        let f = facility_param(facility);
        let r = self.query(
            "SELECT st.person_id, st.admitted_on, l.body FROM stays st JOIN ledger l ON l.seq = st.seq \
             WHERE st.released_on IS NULL AND (? IS NULL OR st.facility_id = ?) ORDER BY st.person_id",
            &[f.clone(), f],
        )?;
        rows(
            "stays",
            &["person_id", "admitted_on", "ledger.body"],
            &r,
            |a| {
                Ok(OpenStay {
                    person_id: a.text(0)?,
                    admitted_on: a.date(1)?,
                    occurred_at: a.leaf_occurred_at(2)?,
                })
            },
        )
    }

    /// When each family notification occurred, in ledger order.
    pub fn family_notifications(&mut self) -> Result<Vec<(String, Timestamp)>> {
        let r = self.query(
            "SELECT co.person_id, l.body FROM conditions co JOIN ledger l ON l.seq = co.seq \
             WHERE co.kind = 'family_notified' ORDER BY co.seq",
            &[],
        )?;
        rows("conditions", &["person_id", "ledger.body"], &r, |a| {
            Ok((a.text(0)?, a.leaf_occurred_at(1)?))
        })
    }

    /// All conditions evidence, in ledger order.
    pub fn conditions(&mut self) -> Result<Vec<Condition>> {
        let r = self.query(
            "SELECT person_id, kind, on_date, value FROM conditions ORDER BY seq",
            &[],
        )?;
        rows(
            "conditions",
            &["person_id", "kind", "on_date", "value"],
            &r,
            |a| {
                Ok(Condition {
                    person_id: a.text(0)?,
                    kind: a.text(1)?,
                    on: a.date(2)?,
                    value: a.opt_text(3)?.unwrap_or_default(),
                })
            },
        )
    }

    /// Every placement (at one facility, or all), in ledger order.
    pub fn placements(&mut self, facility: Option<&str>) -> Result<Vec<PlacementSpan>> {
        let f = facility_param(facility);
        let r = self.query(
            "SELECT p.person_id, c.facility_id, c.pavilion, p.from_on, p.to_on FROM placements p JOIN cells c ON c.id = p.cell_id \
             WHERE (? IS NULL OR c.facility_id = ?) ORDER BY p.seq",
            &[f.clone(), f],
        )?;
        rows(
            "placements",
            &["person_id", "facility_id", "pavilion", "from_on", "to_on"],
            &r,
            |a| {
                Ok(PlacementSpan {
                    person_id: a.text(0)?,
                    facility_id: a.text(1)?,
                    pavilion: a.text(2)?,
                    from: a.date(3)?,
                    to: a.opt_date(4)?,
                })
            },
        )
    }

    /// Everyone in custody at `facility`, with or without a cell, and their separation
    /// profile, by person id.
    pub fn held_at(&mut self, facility: &str, placed: bool) -> Result<Vec<Separation>> {
        let sql = if placed {
            "SELECT p.id, p.cell_id, sp.groups, sp.separate_from, sp.avoid_persons FROM persons p LEFT JOIN separation sp ON sp.person_id = p.id \
             WHERE p.facility_id = ? AND p.status = 'in_custody' AND p.cell_id IS NOT NULL ORDER BY p.id"
        } else {
            "SELECT p.id, p.cell_id, sp.groups, sp.separate_from, sp.avoid_persons FROM persons p LEFT JOIN separation sp ON sp.person_id = p.id \
             WHERE p.facility_id = ? AND p.status = 'in_custody' AND p.cell_id IS NULL ORDER BY p.id"
        };
        let r = self.query(sql, &[facility.into()])?;
        rows(
            "persons",
            &["id", "cell_id", "groups", "separate_from", "avoid_persons"],
            &r,
            |a| {
                Ok(Separation {
                    person_id: a.text(0)?,
                    cell_id: a.opt_text(1)?,
                    groups: a.list(2)?,
                    separate_from: a.list(3)?,
                    avoid_persons: a.list(4)?,
                })
            },
        )
    }

    /// One person's separation profile (empty when none is recorded).
    pub fn separation(&mut self, person: &str) -> Result<Separation> {
        let r = self.query(
            "SELECT person_id, groups, separate_from, avoid_persons FROM separation WHERE person_id = ?",
            &[person.into()],
        )?;
        let mut v = rows(
            "separation",
            &["person_id", "groups", "separate_from", "avoid_persons"],
            &r,
            |a| {
                Ok(Separation {
                    person_id: a.text(0)?,
                    cell_id: None,
                    groups: a.list(1)?,
                    separate_from: a.list(2)?,
                    avoid_persons: a.list(3)?,
                })
            },
        )?;
        Ok(v.pop().unwrap_or_else(|| Separation {
            person_id: person.to_string(),
            ..Separation::default()
        }))
    }

    /// A cell's facility, capacity, status and occupancy, if the cell exists.
    pub fn cell_occupancy(&mut self, cell: &str) -> Result<Option<CellOccupancy>> {
        let r = self.query(
            "SELECT c.id, c.facility_id, c.capacity, c.in_use, \
             (SELECT COUNT(*) FROM persons p WHERE p.cell_id = c.id AND p.status = 'in_custody') FROM cells c WHERE c.id = ?",
            &[cell.into()],
        )?;
        let mut v = rows(
            "cells",
            &["id", "facility_id", "capacity", "in_use", "occupants"],
            &r,
            |a| {
                Ok(CellOccupancy {
                    facility_id: a.text(1)?,
                    capacity: a.u32(2)?,
                    in_use: a.flag(3)?,
                    occupants: a.u32(4)?,
                })
            },
        )?;
        Ok(v.pop())
    }

    /// Who is in custody in `cell`, other than `except`.
    pub fn cellmates(&mut self, cell: &str, except: &str) -> Result<Vec<String>> {
        let r = self.query(
            "SELECT id FROM persons WHERE cell_id = ? AND status = 'in_custody' AND id <> ? ORDER BY id",
            &[cell.into(), except.into()],
        )?;
        rows("persons", &["id"], &r, |a| a.text(0))
    }

    /// Where a person is held, if the person exists.
    pub fn whereabouts(&mut self, person: &str) -> Result<Option<Whereabouts>> {
        let r = self.query(
            "SELECT id, facility_id, status FROM persons WHERE id = ?",
            &[person.into()],
        )?;
        let mut v = rows("persons", &["id", "facility_id", "status"], &r, |a| {
            Ok(Whereabouts {
                facility_id: a.opt_text(1)?,
                status: a.opt_parsed(2, "a custody status or NULL")?,
            })
        })?;
        Ok(v.pop())
    }

    /// Whether a cell exists.
    pub fn cell_exists(&mut self, cell: &str) -> Result<bool> {
        self.exists("SELECT id FROM cells WHERE id = ?", &[cell.into()])
    }

    /// The design capacity of the cells in use at a facility.
    pub fn capacity_in_use(&mut self, facility: &str) -> Result<u32> {
        let r = self.query(
            "SELECT COALESCE(SUM(capacity), 0) FROM cells WHERE facility_id = ? AND in_use = 1",
            &[facility.into()],
        )?;
        Ok(rows("cells", &["sum(capacity)"], &r, |a| a.u32(0))?
            .pop()
            .unwrap_or(0))
    }
}
