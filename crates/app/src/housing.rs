//! Housing in the store: the facility hierarchy, placements proposed by the assignment
//! engine and confirmed by an officer, moves, cell status, conditions evidence (exercise,
//! visits, solitary confinement, family notification), the standards report and the daily
//! census, all read from the ledger's projections.

use std::collections::BTreeMap;

use custodia_housing::{
    AssignInput, AssignOutput, CellCensus, CellInput, CensusDay, ContactRecord, ExerciseRecord,
    NotificationOccasion, NotificationRecord, PersonInput, Placement, PresentPerson, SolitarySpell,
    StandardsInput, StandardsParams, StandardsReport,
};
use custodia_model::events::{EventData, NewEvent};
use custodia_store::reads::housing::Separation;
use custodia_store::{Store, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};
use crate::screening::from_store;

/// One cell with its current occupants.
pub use custodia_store::reads::housing::Cell as CellView;

/// Every cell (of one facility, or all) with its occupancy now.
pub fn cells(store: &mut Store, facility: Option<&str>) -> Result<Vec<CellView>> {
    store.view(|r| r.cells(facility)).map_err(from_store)
}

/// Gathers what the standards report judges, as of `as_of`, over `period_from..=as_of`.
pub fn standards_input(
    store: &mut Store,
    facility: Option<&str>,
    period_from: Date,
    as_of: Date,
) -> Result<StandardsInput> {
    store
        .view(|r| {
            let cells = r
                .cells(facility)?
                .into_iter()
                .map(|v| CellCensus {
                    cell_id: v.id,
                    pavilion: v.pavilion,
                    area_m2: v.area_m2,
                    capacity: v.capacity,
                    occupants: v.occupants,
                    in_use: v.in_use,
                })
                .collect();
            let mut persons = Vec::new();
            let mut notifications = Vec::new();
            let mut present = std::collections::BTreeSet::new();
            for st in r.open_stays(facility)? {
                present.insert(st.person_id.clone());
                persons.push(PresentPerson {
                    person_id: st.person_id.clone(),
                    admitted_on: st.admitted_on,
                });
                if st.admitted_on >= period_from && st.admitted_on <= as_of {
                    notifications.push(NotificationRecord {
                        person_id: st.person_id,
                        occasion: NotificationOccasion::Admission,
                        occurred_at: st.occurred_at,
                        notified_at: None,
                    });
                }
            }
            // The first family notification after each admission.
            let mut notified: BTreeMap<String, Vec<Timestamp>> = BTreeMap::new();
            for (pid, t) in r.family_notifications()? {
                notified.entry(pid).or_default().push(t);
            }
            for n in &mut notifications {
                n.notified_at = notified
                    .get(&n.person_id)
                    .and_then(|ts| ts.iter().copied().filter(|t| *t >= n.occurred_at).min());
            }
            let mut exercise = Vec::new();
            let mut contacts = Vec::new();
            let mut starts: BTreeMap<String, Date> = BTreeMap::new();
            let mut solitary = Vec::new();
            for c in r.conditions()? {
                if !present.contains(&c.person_id) {
                    continue;
                }
                let (pid, date) = (c.person_id, c.on);
                match c.kind.as_str() {
                    "exercise" => {
                        let minutes: f64 = c.value.parse().map_err(|_| {
                            StoreError::Corrupt(format!(
                                "table `conditions`: exercise of `{pid}` on {date}: minutes `{}` is not a number",
                                c.value
                            ))
                        })?;
                        exercise.push(ExerciseRecord { person_id: pid, date, hours: minutes / 60.0 });
                    }
                    "visit" => contacts.push(ContactRecord { person_id: pid, date, kind: c.value }),
                    "solitary_start" => {
                        starts.insert(pid, date);
                    }
                    "solitary_end" => {
                        if let Some(from) = starts.remove(&pid) {
                            solitary.push(SolitarySpell { person_id: pid, from, to: Some(date) });
                        }
                    }
                    _ => {}
                }
            }
            for (pid, from) in starts {
                solitary.push(SolitarySpell { person_id: pid, from, to: None });
            }
            Ok(StandardsInput {
                facility_id: facility.map(str::to_string),
                period_from,
                as_of,
                cells,
                persons,
                exercise,
                contacts,
                solitary,
                notifications,
            })
        })
        .map_err(from_store)
}

/// The standards report (ICRC space, design capacity, Mandela Rules 23, 44–45, 58, 68).
pub fn standards_report(
    store: &mut Store,
    facility: Option<&str>,
    period_from: Date,
    as_of: Date,
    params: &StandardsParams,
) -> Result<StandardsReport> {
    let input = standards_input(store, facility, period_from, as_of)?;
    custodia_housing::standards(&input, params).map_err(|e| AppError::Invalid(e.to_string()))
}

/// The daily census per facility and pavilion from the ledger's placements.
pub fn census(
    store: &mut Store,
    facility: Option<&str>,
    from: Date,
    to: Date,
) -> Result<Vec<CensusDay>> {
    let placements: Vec<Placement> = store
        .view(|r| r.placements(facility))
        .map_err(from_store)?
        .into_iter()
        .map(|p| Placement {
            person_id: p.person_id,
            facility_id: p.facility_id,
            pavilion: Some(p.pavilion),
            from: p.from,
            to: p.to,
        })
        .collect();
    custodia_housing::daily_census(&placements, from, to)
        .map_err(|e| AppError::Invalid(e.to_string()))
}

/// Proposes cells for everyone held at `facility` without one, by the assignment engine.
/// Nothing is written: an officer confirms with [`confirm`].
pub fn propose(store: &mut Store, facility: &str, standard_m2: f64) -> Result<AssignOutput> {
    let person = |p: Separation| PersonInput {
        id: p.person_id,
        groups: p.groups,
        separate_from: p.separate_from,
        avoid_persons: p.avoid_persons,
    };
    let input = store
        .view(|r| {
            let mut by_cell: BTreeMap<String, Vec<PersonInput>> = BTreeMap::new();
            for p in r.held_at(facility, true)? {
                by_cell
                    .entry(p.cell_id.clone().unwrap_or_default())
                    .or_default()
                    .push(person(p));
            }
            let cells = r
                .cells(Some(facility))?
                .into_iter()
                .filter(|v| v.in_use)
                .map(|v| CellInput {
                    occupants: by_cell.remove(&v.id).unwrap_or_default(),
                    id: v.id,
                    pavilion: Some(v.pavilion),
                    area_m2: v.area_m2,
                    capacity: v.capacity,
                })
                .collect();
            let persons = r
                .held_at(facility, false)?
                .into_iter()
                .map(person)
                .collect();
            Ok(AssignInput {
                standard_m2_per_person: standard_m2,
                cells,
                persons,
            })
        })
        .map_err(from_store)?;
    custodia_housing::assign(&input).map_err(|e| AppError::Invalid(e.to_string()))
}

fn receiving(actor: &Actor) -> Result<()> {
    if actor.role == Role::ReceivingOfficer {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "role `{}` may not change housing",
            actor.role
        )))
    }
}

/// Confirms placements (a proposal, or an officer's own): each is a `placed` event. Refuses
/// a full cell, a cell out of use, or a person not held at that cell's facility.
pub fn confirm(store: &mut Store, actor: &Actor, placements: &[(String, String)]) -> Result<usize> {
    receiving(actor)?;
    let now = store.clock().now();
    let (n, _) = store
        .transact(|tx| {
            let mut added: BTreeMap<String, u32> = BTreeMap::new();
            let mut placed: Vec<(String, String)> = Vec::new();
            for (person, cell) in placements {
                let mut r = tx.reads();
                let c = r
                    .cell_occupancy(cell)?
                    .ok_or_else(|| StoreError::NotFound(format!("no cell `{cell}`")))?;
                if !c.in_use {
                    return Err(StoreError::Conflict(format!("cell `{cell}` is out of use")));
                }
                if c.occupants + added.get(cell).copied().unwrap_or(0) >= c.capacity {
                    return Err(StoreError::Conflict(format!(
                        "cell `{cell}` is at its capacity of {}",
                        c.capacity
                    )));
                }
                let held = r
                    .whereabouts(person)?
                    .ok_or_else(|| StoreError::NotFound(format!("no person `{person}`")))?;
                if held.facility_id.as_deref() != Some(c.facility_id.as_str())
                    || held.status != Some(custodia_model::events::CustodyStatus::InCustody)
                {
                    return Err(StoreError::Conflict(format!(
                        "person `{person}` is not held at `{}`",
                        c.facility_id
                    )));
                }
                // Separation is a hard rule here too, whoever proposes the cell.
                let me = r.separation(person)?;
                let mut mates = r.cellmates(cell, person)?;
                mates.extend(placed.iter().filter(|(_, c)| c == cell).map(|(p, _)| p.clone()));
                for other in mates {
                    let them = r.separation(&other)?;
                    let clash = me.separate_from.iter().any(|g| them.groups.contains(g))
                        || them.separate_from.iter().any(|g| me.groups.contains(g))
                        || me.avoid_persons.contains(&other)
                        || them.avoid_persons.contains(person);
                    if clash {
                        return Err(StoreError::Conflict(format!(
                            "person `{person}` may not share cell `{cell}` with `{other}` (separation)"
                        )));
                    }
                }
                placed.push((person.clone(), cell.clone()));
                *added.entry(cell.clone()).or_insert(0) += 1;
                tx.emit(NewEvent { occurred_at: now, actor: actor.id(), data: EventData::Placed { person_id: person.clone(), cell_id: cell.clone() } });
            }
            Ok(placements.len())
        })
        .map_err(from_store)?;
    Ok(n)
}

/// Takes a cell out of use (with a reason) or back into use.
pub fn set_cell_status(
    store: &mut Store,
    actor: &Actor,
    cell: &str,
    in_use: bool,
    reason: Option<&str>,
) -> Result<()> {
    receiving(actor)?;
    if !in_use && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(AppError::Invalid(
            "field `reason`: a cell is taken out of use with a reason".into(),
        ));
    }
    let now = store.clock().now();
    store
        .transact(|tx| {
            if !tx.reads().cell_exists(cell)? {
                return Err(StoreError::NotFound(format!("no cell `{cell}`")));
            }
            tx.emit(NewEvent {
                occurred_at: now,
                actor: actor.id(),
                data: EventData::CellStatusChanged {
                    cell_id: cell.into(),
                    in_use,
                    reason: reason.map(str::to_string),
                },
            });
            Ok(())
        })
        .map_err(from_store)?;
    Ok(())
}

/// Records what housing must respect for a person (groups, separation, co-defendants).
pub fn record_separation(
    store: &mut Store,
    actor: &Actor,
    person_id: &str,
    groups: Vec<String>,
    separate_from: Vec<String>,
    avoid_persons: Vec<String>,
) -> Result<()> {
    receiving(actor)?;
    let now = store.clock().now();
    store
        .transact(|tx| {
            if crate::screening::load_person_tx(tx, person_id)?.is_none() {
                return Err(StoreError::NotFound(format!("no person `{person_id}`")));
            }
            tx.emit(NewEvent {
                occurred_at: now,
                actor: actor.id(),
                data: EventData::SeparationRecorded {
                    person_id: person_id.into(),
                    groups: groups.clone(),
                    separate_from: separate_from.clone(),
                    avoid_persons: avoid_persons.clone(),
                },
            });
            Ok(())
        })
        .map_err(from_store)?;
    Ok(())
}

/// Records conditions evidence for a person held at a facility.
pub fn record_condition(store: &mut Store, actor: &Actor, data: EventData) -> Result<()> {
    receiving(actor)?;
    let person = match &data {
        EventData::ExerciseRecorded { person_id, .. }
        | EventData::VisitRecorded { person_id, .. }
        | EventData::SolitaryStarted { person_id, .. }
        | EventData::SolitaryEnded { person_id, .. }
        | EventData::FamilyNotified { person_id, .. } => person_id.clone(),
        _ => return Err(AppError::Invalid("not a conditions event".into())),
    };
    let now = store.clock().now();
    store
        .transact(|tx| {
            if crate::screening::load_person_tx(tx, &person)?.is_none() {
                return Err(StoreError::NotFound(format!("no person `{person}`")));
            }
            tx.emit(NewEvent {
                occurred_at: now,
                actor: actor.id(),
                data: data.clone(),
            });
            Ok(())
        })
        .map_err(from_store)?;
    Ok(())
}
