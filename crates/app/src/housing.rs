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
use custodia_store::Store;
use custodia_store::backend::{Conn, Value};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};
use crate::screening::from_store;

type SResult<T> = custodia_store::Result<T>;

fn s(v: &Value) -> String {
    v.opt_str().unwrap_or_default()
}

/// The instant a leaf says its event occurred (the leaf starts with `seq` then
/// `occurred_at`, by the leaf format's invariant).
fn occurred_at(body: &str) -> Option<Timestamp> {
    let i = body.find("\"occurred_at\":\"")? + 15;
    let j = body[i..].find('"')? + i;
    body[i..j].parse().ok()
}

/// One cell with its current occupants.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CellView {
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

impl CellView {
    /// Floor area per occupant, if occupied.
    pub fn m2_per_person(&self) -> Option<f64> {
        (self.occupants > 0).then(|| self.area_m2 / f64::from(self.occupants))
    }
}

fn cells_in(c: &mut dyn Conn, facility: Option<&str>) -> SResult<Vec<CellView>> {
    let sql = "SELECT c.id, c.facility_id, c.pavilion, c.area_m2, c.capacity, c.in_use, c.out_of_use_reason, c.windows, c.sanitation, \
               (SELECT COUNT(*) FROM persons p WHERE p.cell_id = c.id AND p.status = 'in_custody') \
               FROM cells c WHERE (? IS NULL OR c.facility_id = ?) ORDER BY c.facility_id, c.pavilion, c.id";
    let f: Value = facility.map(str::to_string).into();
    Ok(c.query(sql, &[f.clone(), f])?
        .iter()
        .map(|r| CellView {
            id: s(&r[0]),
            facility_id: s(&r[1]),
            pavilion: s(&r[2]),
            area_m2: r[3].as_f64().unwrap_or(0.0),
            capacity: u32::try_from(r[4].as_i64().unwrap_or(0)).unwrap_or(0),
            in_use: r[5].as_i64().unwrap_or(0) != 0,
            out_of_use_reason: r[6].opt_str(),
            windows: r[7].as_i64().unwrap_or(0) != 0,
            sanitation: s(&r[8]),
            occupants: u32::try_from(r[9].as_i64().unwrap_or(0)).unwrap_or(0),
        })
        .collect())
}

/// Every cell (of one facility, or all) with its occupancy now.
pub fn cells(store: &mut Store, facility: Option<&str>) -> Result<Vec<CellView>> {
    store.read(|c| cells_in(c, facility)).map_err(from_store)
}

/// Gathers what the standards report judges, as of `as_of`, over `period_from..=as_of`.
pub fn standards_input(
    store: &mut Store,
    facility: Option<&str>,
    period_from: Date,
    as_of: Date,
) -> Result<StandardsInput> {
    store
        .read(|c| {
            let f: Value = facility.map(str::to_string).into();
            let cells = cells_in(c, facility)?
                .into_iter()
                .map(|v| CellCensus { cell_id: v.id, pavilion: v.pavilion, area_m2: v.area_m2, capacity: v.capacity, occupants: v.occupants, in_use: v.in_use })
                .collect();
            let mut persons = Vec::new();
            let mut notifications = Vec::new();
            let mut present = std::collections::BTreeSet::new();
            for r in c.query(
                "SELECT st.person_id, st.admitted_on, l.body FROM stays st JOIN ledger l ON l.seq = st.seq \
                 WHERE st.released_on IS NULL AND (? IS NULL OR st.facility_id = ?) ORDER BY st.person_id",
                &[f.clone(), f.clone()],
            )? {
                let pid = s(&r[0]);
                let admitted_on: Date = s(&r[1]).parse().unwrap_or(as_of);
                present.insert(pid.clone());
                persons.push(PresentPerson { person_id: pid.clone(), admitted_on });
                if admitted_on >= period_from && admitted_on <= as_of {
                    notifications.push(NotificationRecord {
                        person_id: pid,
                        occasion: NotificationOccasion::Admission,
                        occurred_at: occurred_at(&s(&r[2])).unwrap_or(Timestamp::UNIX_EPOCH),
                        notified_at: None,
                    });
                }
            }
            // The first family notification after each admission.
            let mut notified: BTreeMap<String, Vec<Timestamp>> = BTreeMap::new();
            for r in c.query(
                "SELECT co.person_id, l.body FROM conditions co JOIN ledger l ON l.seq = co.seq WHERE co.kind = 'family_notified' ORDER BY co.seq",
                &[],
            )? {
                if let Some(t) = occurred_at(&s(&r[1])) {
                    notified.entry(s(&r[0])).or_default().push(t);
                }
            }
            for n in &mut notifications {
                n.notified_at = notified.get(&n.person_id).and_then(|ts| ts.iter().copied().filter(|t| *t >= n.occurred_at).min());
            }
            let mut exercise = Vec::new();
            let mut contacts = Vec::new();
            let mut starts: BTreeMap<String, Date> = BTreeMap::new();
            let mut solitary = Vec::new();
            for r in c.query("SELECT person_id, kind, on_date, value FROM conditions ORDER BY seq", &[])? {
                let pid = s(&r[0]);
                if !present.contains(&pid) {
                    continue;
                }
                let Ok(date) = s(&r[2]).parse::<Date>() else { continue };
                match s(&r[1]).as_str() {
                    "exercise" => exercise.push(ExerciseRecord { person_id: pid, date, hours: s(&r[3]).parse::<f64>().unwrap_or(0.0) / 60.0 }),
                    "visit" => contacts.push(ContactRecord { person_id: pid, date, kind: s(&r[3]) }),
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
    let placements = store
        .read(|c| {
            let f: Value = facility.map(str::to_string).into();
            Ok(c.query(
                "SELECT p.person_id, c.facility_id, c.pavilion, p.from_on, p.to_on FROM placements p JOIN cells c ON c.id = p.cell_id \
                 WHERE (? IS NULL OR c.facility_id = ?) ORDER BY p.seq",
                &[f.clone(), f],
            )?
            .iter()
            .filter_map(|r| {
                Some(Placement {
                    person_id: s(&r[0]),
                    facility_id: s(&r[1]),
                    pavilion: r[2].opt_str(),
                    from: s(&r[3]).parse().ok()?,
                    to: r[4].opt_str().and_then(|d| d.parse().ok()),
                })
            })
            .collect::<Vec<_>>())
        })
        .map_err(from_store)?;
    custodia_housing::daily_census(&placements, from, to)
        .map_err(|e| AppError::Invalid(e.to_string()))
}

/// Proposes cells for everyone held at `facility` without one, by the assignment engine.
/// Nothing is written: an officer confirms with [`confirm`].
pub fn propose(store: &mut Store, facility: &str, standard_m2: f64) -> Result<AssignOutput> {
    let input = store
        .read(|c| {
            let split = |v: &Value| -> Vec<String> { s(v).split(';').filter(|x| !x.is_empty()).map(str::to_string).collect() };
            let person = |r: &Vec<Value>| PersonInput { id: s(&r[0]), groups: split(&r[2]), separate_from: split(&r[3]), avoid_persons: split(&r[4]) };
            let mut by_cell: BTreeMap<String, Vec<PersonInput>> = BTreeMap::new();
            for r in c.query(
                "SELECT p.id, p.cell_id, sp.groups, sp.separate_from, sp.avoid_persons FROM persons p LEFT JOIN separation sp ON sp.person_id = p.id \
                 WHERE p.facility_id = ? AND p.status = 'in_custody' AND p.cell_id IS NOT NULL ORDER BY p.id",
                &[facility.into()],
            )? {
                by_cell.entry(s(&r[1])).or_default().push(person(&r));
            }
            let cells = cells_in(c, Some(facility))?
                .into_iter()
                .filter(|v| v.in_use)
                .map(|v| CellInput { occupants: by_cell.remove(&v.id).unwrap_or_default(), id: v.id, pavilion: Some(v.pavilion), area_m2: v.area_m2, capacity: v.capacity })
                .collect();
            let persons = c
                .query(
                    "SELECT p.id, p.cell_id, sp.groups, sp.separate_from, sp.avoid_persons FROM persons p LEFT JOIN separation sp ON sp.person_id = p.id \
                     WHERE p.facility_id = ? AND p.status = 'in_custody' AND p.cell_id IS NULL ORDER BY p.id",
                    &[facility.into()],
                )?
                .iter()
                .map(person)
                .collect();
            Ok(AssignInput { standard_m2_per_person: standard_m2, cells, persons })
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
                let rows = tx.query(
                    "SELECT c.facility_id, c.capacity, c.in_use, (SELECT COUNT(*) FROM persons p WHERE p.cell_id = c.id AND p.status = 'in_custody') FROM cells c WHERE c.id = ?",
                    &[cell.as_str().into()],
                )?;
                let r = rows.first().ok_or_else(|| custodia_store::StoreError::NotFound(format!("no cell `{cell}`")))?;
                if r[2].as_i64() == Some(0) {
                    return Err(custodia_store::StoreError::Conflict(format!("cell `{cell}` is out of use")));
                }
                let occ = r[3].as_i64().unwrap_or(0) + i64::from(*added.get(cell).unwrap_or(&0));
                if occ >= r[1].as_i64().unwrap_or(0) {
                    return Err(custodia_store::StoreError::Conflict(format!("cell `{cell}` is at its capacity of {}", r[1].as_i64().unwrap_or(0))));
                }
                let p = tx.query("SELECT facility_id, status FROM persons WHERE id = ?", &[person.as_str().into()])?;
                let p = p.first().ok_or_else(|| custodia_store::StoreError::NotFound(format!("no person `{person}`")))?;
                if p[0].opt_str() != r[0].opt_str() || p[1].opt_str().as_deref() != Some("in_custody") {
                    return Err(custodia_store::StoreError::Conflict(format!("person `{person}` is not held at `{}`", s(&r[0]))));
                }
                // Separation is a hard rule here too, whoever proposes the cell.
                let profile = |tx: &mut custodia_store::Tx<'_>, id: &str| -> SResult<(Vec<String>, Vec<String>, Vec<String>)> {
                    let r = tx.query("SELECT groups, separate_from, avoid_persons FROM separation WHERE person_id = ?", &[id.into()])?;
                    let sp = |i: usize| r.first().map(|r| s(&r[i]).split(';').filter(|x| !x.is_empty()).map(str::to_string).collect()).unwrap_or_default();
                    Ok((sp(0), sp(1), sp(2)))
                };
                let me = profile(tx, person)?;
                let mut mates: Vec<String> = tx
                    .query("SELECT id FROM persons WHERE cell_id = ? AND status = 'in_custody' AND id <> ?", &[cell.as_str().into(), person.as_str().into()])?
                    .iter()
                    .map(|r| s(&r[0]))
                    .collect();
                mates.extend(placed.iter().filter(|(_, c)| c == cell).map(|(p, _)| p.clone()));
                for other in mates {
                    let them = profile(tx, &other)?;
                    let clash = me.1.iter().any(|g| them.0.contains(g))
                        || them.1.iter().any(|g| me.0.contains(g))
                        || me.2.contains(&other)
                        || them.2.contains(person);
                    if clash {
                        return Err(custodia_store::StoreError::Conflict(format!(
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
            if tx
                .query("SELECT id FROM cells WHERE id = ?", &[cell.into()])?
                .is_empty()
            {
                return Err(custodia_store::StoreError::NotFound(format!(
                    "no cell `{cell}`"
                )));
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
                return Err(custodia_store::StoreError::NotFound(format!(
                    "no person `{person_id}`"
                )));
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
                return Err(custodia_store::StoreError::NotFound(format!(
                    "no person `{person}`"
                )));
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
