//! The manifest lifecycle: draft → screened → approved → departed → arrived → reconciled →
//! closed. Every transition is a ledger event carrying its actor; an illegal one is refused
//! with a message and changes nothing.
//!
//! Rules enforced here (the projection also sends a manifest whose passenger list changes
//! after screening back to `draft`):
//! - approval needs a `sending_supervisor` who did not create the manifest (two-person rule);
//! - no approval while any passenger's latest screening on this manifest is `blocked`;
//! - a `needs_review` passenger needs the approver's written justification;
//! - reconciling opens a discrepancy case for each person missing from intake, each
//!   unexpected arrival and each ambiguous match; open cases block closing.

use custodia_linkage::Record as LinkRecord;
use custodia_model::events::{EventData, IntakeRecord, Justification, NewEvent};
use custodia_model::legal::{Basis, CountryCode};
use custodia_model::state::{CaseState, ManifestState};
use custodia_rules::Params;
use custodia_store::reads::Reads;
use custodia_store::{Store, Tx};
use jiff::civil::Date;
use serde::Serialize;

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};
use crate::screening::{Proposal, decided, from_store, into_store, request_for};

/// A manifest to draft.
#[derive(Debug, Clone)]
pub struct NewManifest {
    pub flight: String,
    pub from_facility: String,
    pub to_facility: String,
    pub destination_country: CountryCode,
    pub basis: Basis,
    pub departure_on: Date,
}

/// A manifest as stored (the store's row, with its passenger count).
pub use custodia_store::queries::ManifestRow as Manifest;

/// One passenger's latest screening on a manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassengerScreening {
    pub person_id: String,
    pub outcome: String,
    pub rules: Vec<String>,
}

/// What reconciling did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReconcileSummary {
    pub matched: u32,
    pub missing: Vec<String>,
    pub unexpected: Vec<String>,
    pub review: Vec<String>,
    pub cases_opened: Vec<String>,
}

fn ev(actor: &Actor, at: jiff::Timestamp, data: EventData) -> NewEvent {
    NewEvent {
        occurred_at: at,
        actor: actor.id(),
        data,
    }
}

type SResult<T> = custodia_store::Result<T>;

fn load(tx: &mut Tx<'_>, id: &str) -> SResult<Manifest> {
    find(&mut tx.reads(), id)
}

fn find(r: &mut Reads<'_>, id: &str) -> SResult<Manifest> {
    r.manifest(id)?
        .ok_or_else(|| custodia_store::StoreError::NotFound(format!("no manifest `{id}`")))
}

/// Reads a manifest.
pub fn get(store: &mut Store, id: &str) -> Result<Manifest> {
    store.view(|r| find(r, id)).map_err(from_store)
}

fn refuse(m: &Manifest, what: &str, allowed: &[ManifestState]) -> SResult<()> {
    if allowed.contains(&m.state) {
        Ok(())
    } else {
        Err(custodia_store::StoreError::Conflict(format!(
            "manifest `{}` is `{}`; {what} needs it to be {}",
            m.id,
            m.state,
            allowed
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )))
    }
}

fn need(actor: &Actor, ok: bool, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "role `{}` may not {what}",
            actor.role
        )))
    }
}

fn passengers(tx: &mut Tx<'_>, id: &str) -> SResult<Vec<String>> {
    tx.reads().passengers(id)
}

/// Drafts a manifest; returns its id.
pub fn create(store: &mut Store, actor: &Actor, m: &NewManifest) -> Result<String> {
    need(actor, actor.role.is_sending(), "draft manifests")?;
    if m.flight.trim().is_empty() {
        return Err(AppError::Invalid(
            "field `flight`: empty, expected a flight number".into(),
        ));
    }
    let now = store.clock().now();
    let (id, _) = store
        .transact(|tx| {
            for f in [&m.from_facility, &m.to_facility] {
                if !tx.reads().facility_exists(f)? {
                    return Err(custodia_store::StoreError::NotFound(format!(
                        "no facility `{f}`"
                    )));
                }
            }
            let n = tx.reads().manifest_count()?;
            let id = custodia_model::ids::manifest_id(n + 1);
            tx.emit(ev(
                actor,
                now,
                EventData::ManifestCreated {
                    manifest_id: id.clone(),
                    flight: m.flight.clone(),
                    from_facility: m.from_facility.clone(),
                    to_facility: m.to_facility.clone(),
                    destination_country: m.destination_country,
                    basis: m.basis,
                    departure_on: m.departure_on,
                },
            ));
            Ok(id)
        })
        .map_err(from_store)?;
    Ok(id)
}

/// Puts a person on a manifest (an approved manifest goes back to `draft`).
pub fn add_passenger(
    store: &mut Store,
    actor: &Actor,
    manifest_id: &str,
    person_id: &str,
) -> Result<()> {
    change_passenger(store, actor, manifest_id, person_id, true)
}

/// Takes a person off a manifest (an approved manifest goes back to `draft`).
pub fn remove_passenger(
    store: &mut Store,
    actor: &Actor,
    manifest_id: &str,
    person_id: &str,
) -> Result<()> {
    change_passenger(store, actor, manifest_id, person_id, false)
}

fn change_passenger(
    store: &mut Store,
    actor: &Actor,
    manifest_id: &str,
    person_id: &str,
    add: bool,
) -> Result<()> {
    need(actor, actor.role.is_sending(), "change passenger lists")?;
    let now = store.clock().now();
    store
        .transact(|tx| {
            let m = load(tx, manifest_id)?;
            refuse(
                &m,
                "changing the passenger list",
                &[
                    ManifestState::Draft,
                    ManifestState::Screened,
                    ManifestState::Approved,
                ],
            )?;
            if crate::screening::load_person_tx(tx, person_id)?.is_none() {
                return Err(custodia_store::StoreError::NotFound(format!(
                    "no person `{person_id}`"
                )));
            }
            let on = passengers(tx, manifest_id)?.iter().any(|p| p == person_id);
            let (manifest_id, person_id) = (manifest_id.to_string(), person_id.to_string());
            let data = match (add, on) {
                (true, true) => {
                    return Err(custodia_store::StoreError::Conflict(format!(
                        "person `{person_id}` is already on `{manifest_id}`"
                    )));
                }
                (false, false) => {
                    return Err(custodia_store::StoreError::Conflict(format!(
                        "person `{person_id}` is not on `{manifest_id}`"
                    )));
                }
                (true, false) => EventData::PassengerAdded {
                    manifest_id,
                    person_id,
                },
                (false, true) => EventData::PassengerRemoved {
                    manifest_id,
                    person_id,
                },
            };
            tx.emit(ev(actor, now, data));
            Ok(())
        })
        .map_err(from_store)?;
    Ok(())
}

/// Screens every passenger as of the departure date; records each decision and marks the
/// manifest `screened`.
pub fn screen(
    store: &mut Store,
    actor: &Actor,
    manifest_id: &str,
    params: &Params,
) -> Result<Vec<PassengerScreening>> {
    need(actor, actor.role.is_sending(), "screen manifests")?;
    let now = store.clock().now();
    let (out, _) = store
        .transact(|tx| {
            let m = load(tx, manifest_id)?;
            // An approved manifest may be screened again: its approval no longer holds and
            // it must be approved again (the way on when the departure gate finds a passenger
            // who needs review with no justification after their latest screening).
            refuse(
                &m,
                "screening",
                &[
                    ManifestState::Draft,
                    ManifestState::Screened,
                    ManifestState::Approved,
                ],
            )?;
            let people = passengers(tx, manifest_id)?;
            if people.is_empty() {
                return Err(custodia_store::StoreError::Conflict(format!(
                    "manifest `{manifest_id}` has no passengers"
                )));
            }
            let on: Date = m
                .departure_on
                .parse()
                .map_err(|_| custodia_store::StoreError::Corrupt("departure date".into()))?;
            let basis: Basis = serde_json::from_value(serde_json::Value::String(m.basis.clone()))?;
            let dest = CountryCode::new(&m.destination_country)
                .map_err(|e| custodia_store::StoreError::Corrupt(e.to_string()))?;
            let mut out = Vec::new();
            for pid in people {
                let p = Proposal {
                    person_id: pid.clone(),
                    basis,
                    destination_country: dest,
                    facility_id: Some(m.to_facility.clone()),
                    on,
                    manifest_id: Some(manifest_id.to_string()),
                };
                let req = request_for(&mut tx.reads(), &p).map_err(into_store)?;
                let d = custodia_rules::screen(&req, params);
                out.push(PassengerScreening {
                    person_id: pid,
                    outcome: d.outcome.as_str().to_string(),
                    rules: d
                        .findings
                        .iter()
                        .map(|f| f.rule.as_str().to_string())
                        .collect(),
                });
                tx.emit(decided(actor, now, &p, &d));
            }
            tx.emit(ev(
                actor,
                now,
                EventData::ManifestScreened {
                    manifest_id: manifest_id.into(),
                },
            ));
            Ok(out)
        })
        .map_err(from_store)?;
    Ok(out)
}

/// The latest screening outcome of each passenger on this manifest.
fn latest_outcomes(tx: &mut Tx<'_>, manifest_id: &str) -> SResult<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    for pid in passengers(tx, manifest_id)? {
        let outcome = tx.reads().latest_outcome(&pid, manifest_id)?;
        out.push((pid, outcome));
    }
    Ok(out)
}

/// Approves a screened manifest: a supervisor other than its creator; nobody blocked; a
/// justification for each `needs_review` passenger.
pub fn approve(
    store: &mut Store,
    actor: &Actor,
    manifest_id: &str,
    justifications: &[Justification],
) -> Result<()> {
    need(
        actor,
        actor.role == Role::SendingSupervisor,
        "approve manifests (a `sending_supervisor` must)",
    )?;
    let now = store.clock().now();
    store
        .transact(|tx| {
            let m = load(tx, manifest_id)?;
            refuse(&m, "approval", &[ManifestState::Screened])?;
            // CONTRACT §9 "Two persons": natural persons (a token's name), under any role.
            let editors = tx.reads().manifest_editors(manifest_id)?;
            let creator = custodia_store::project::actor_name(&m.created_by);
            let same = |n: &str| custodia_store::project::same_person(n, &actor.name);
            if same(creator) || editors.iter().any(|e| same(e)) {
                let what = if same(creator) {
                    "created"
                } else {
                    "changed the passenger list of"
                };
                return Err(custodia_store::StoreError::Conflict(format!(
                    "`{}` {what} manifest `{manifest_id}`; approval needs a second person (two-person rule compares names, whatever the role)",
                    actor.name
                )));
            }
            let mut needed = Vec::new();
            for (pid, outcome) in latest_outcomes(tx, manifest_id)? {
                match outcome.as_deref() {
                    Some("blocked") => {
                        return Err(custodia_store::StoreError::Conflict(format!(
                            "passenger `{pid}` is blocked by screening; take them off `{manifest_id}` first"
                        )))
                    }
                    Some("needs_review") => {
                        match justifications.iter().find(|j| j.person_id == pid) {
                            Some(j) if !j.text.trim().is_empty() => needed.push(j.clone()),
                            _ => {
                                return Err(custodia_store::StoreError::Invalid(format!(
                                    "passenger `{pid}` needs review: a justification is required to approve"
                                )))
                            }
                        }
                    }
                    Some(_) => {}
                    None => {
                        return Err(custodia_store::StoreError::Conflict(format!("passenger `{pid}` has not been screened")))
                    }
                }
            }
            tx.emit(ev(actor, now, EventData::ManifestApproved { manifest_id: manifest_id.into(), justifications: needed.clone() }));
            Ok(())
        })
        .map_err(from_store)?;
    Ok(())
}

fn transition(
    store: &mut Store,
    actor: &Actor,
    manifest_id: &str,
    what: &str,
    from: &[ManifestState],
    data: impl Fn() -> EventData,
) -> Result<()> {
    let now = store.clock().now();
    store
        .transact(|tx| {
            let m = load(tx, manifest_id)?;
            refuse(&m, what, from)?;
            tx.emit(ev(actor, now, data()));
            Ok(())
        })
        .map_err(from_store)?;
    Ok(())
}

/// One passenger the departure gate stopped, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateStop {
    pub person_id: String,
    /// `blocked`, or `needs_review` without a justification recorded after the passenger's
    /// latest screening.
    pub outcome: String,
    pub findings: Vec<custodia_model::events::FindingRecord>,
}

/// Why the departure gate refused a manifest (CONTRACT §9 "Departure gate").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartureRefused {
    pub manifest_id: String,
    /// The clock's date the gate screened on.
    pub on: Date,
    /// Set when the clock's date is before the manifest's departure date.
    pub too_early: Option<Date>,
    pub stops: Vec<GateStop>,
}

impl std::fmt::Display for DepartureRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "departure of manifest `{}` refused on {}",
            self.manifest_id, self.on
        )?;
        if let Some(d) = self.too_early {
            write!(
                f,
                "; it is scheduled for {d}, and no one may leave before that date"
            )?;
        }
        for s in &self.stops {
            write!(f, "\n  passenger `{}`: {}", s.person_id, s.outcome)?;
            if s.outcome == "needs_review" {
                write!(
                    f,
                    " with no justification recorded after the latest screening; screen the manifest again (`custodia manifest screen`) and approve it with one, or take the passenger off"
                )?;
            }
            for x in &s.findings {
                write!(
                    f,
                    "\n    {} ({}): {} [{}]",
                    x.rule, x.effect, x.detail, x.citation
                )?;
            }
        }
        Ok(())
    }
}

/// What the departure gate decided for each passenger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Departure {
    pub manifest_id: String,
    pub on: Date,
    pub passengers: Vec<PassengerScreening>,
}

/// The flight leaves (CONTRACT §9 "Departure gate"): every passenger is screened again on the
/// clock's date with the records in the store now, and those decisions are recorded with the
/// departure. Refused, writing nothing to the ledger, when the date is before the departure
/// date, when any passenger is now `blocked`, or when a `needs_review` passenger has no
/// justification recorded after their latest screening. A refusal is kept for auditors
/// (`report overrides`) outside the ledger.
pub fn depart(
    store: &mut Store,
    actor: &Actor,
    manifest_id: &str,
    params: &Params,
) -> Result<Departure> {
    need(actor, actor.role.is_sending(), "record departures")?;
    let now = store.clock().now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let res = store.transact_with(|tx| -> Result<std::result::Result<Departure, DepartureRefused>> {
        let m = load(tx, manifest_id)?;
        if m.state == ManifestState::Screened {
            // Sent back by a late record? Say who and what, so the officer knows why.
            let why: Vec<String> = tx
                .reads()
                .reopened(manifest_id)?
                .into_iter()
                .map(|(person, cause)| format!("passenger `{person}` ({cause})"))
                .collect();
            if !why.is_empty() {
                return Err(AppError::Conflict(format!(
                    "manifest `{manifest_id}` is `screened`: a record entered after its approval sent it back ({}); screen and approve it again",
                    why.join(", ")
                )));
            }
        }
        refuse(&m, "departure", &[ManifestState::Approved])?;
        let (refused, out, decisions) = evaluate_gate(tx, actor, &m, today, now, params)?;
        if refused.too_early.is_some() || !refused.stops.is_empty() {
            return Ok(Err(refused));
        }
        for ev in decisions {
            tx.emit(ev);
        }
        tx.emit(ev(
            actor,
            now,
            EventData::ManifestDeparted {
                manifest_id: manifest_id.into(),
            },
        ));
        Ok(Ok(Departure {
            manifest_id: manifest_id.to_string(),
            on: today,
            passengers: out,
        }))
    });
    match res {
        Ok((Ok(d), _)) => Ok(d),
        Ok((Err(refused), _)) => {
            // Kept outside the ledger, so the refusal itself changes no custody state.
            store.record_departure_refusal(now, &actor.id(), manifest_id, &refused.to_string())?;
            Err(AppError::DepartureRefused(Box::new(refused)))
        }
        Err(e) => Err(e),
    }
}

/// The departure gate's judgement of a manifest on `today`: who would be stopped, each
/// passenger's outcome, and the decisions to record. Reads only.
fn evaluate_gate(
    tx: &mut Tx<'_>,
    actor: &Actor,
    m: &Manifest,
    today: Date,
    now: jiff::Timestamp,
    params: &Params,
) -> Result<(DepartureRefused, Vec<PassengerScreening>, Vec<NewEvent>)> {
    let manifest_id = m.id.as_str();
    let scheduled: Date = m.departure_on.parse().map_err(|_| {
        custodia_store::StoreError::Corrupt(format!(
            "manifests row `{manifest_id}`: departure_on `{}` is not a date",
            m.departure_on
        ))
    })?;
    let basis: Basis =
        serde_json::from_value(serde_json::Value::String(m.basis.clone())).map_err(|_| {
            custodia_store::StoreError::Corrupt(format!(
                "manifests row `{manifest_id}`: basis `{}`",
                m.basis
            ))
        })?;
    let dest = CountryCode::new(&m.destination_country)
        .map_err(|e| custodia_store::StoreError::Corrupt(e.to_string()))?;
    let approved_seq = m_updated_seq(tx, manifest_id)?;
    let mut refused = DepartureRefused {
        manifest_id: manifest_id.to_string(),
        on: today,
        too_early: (today < scheduled).then_some(scheduled),
        stops: Vec::new(),
    };
    let mut out = Vec::new();
    let mut decisions = Vec::new();
    for pid in passengers(tx, manifest_id)? {
        let p = Proposal {
            person_id: pid.clone(),
            basis,
            destination_country: dest,
            facility_id: Some(m.to_facility.clone()),
            on: today,
            manifest_id: Some(manifest_id.to_string()),
        };
        let req = request_for(&mut tx.reads(), &p)?;
        let d = custodia_rules::screen(&req, params);
        let ev = decided(actor, now, &p, &d);
        let findings = match &ev.data {
            EventData::ScreeningDecided { findings, .. } => findings.clone(),
            _ => Vec::new(),
        };
        match d.outcome {
            custodia_rules::Outcome::Blocked => refused.stops.push(GateStop {
                person_id: pid.clone(),
                outcome: "blocked".into(),
                findings,
            }),
            custodia_rules::Outcome::NeedsReview => {
                // The justification must postdate the passenger's latest screening: the
                // approval that recorded it comes after the screening it answered.
                let latest = tx.reads().latest_screening_seq(&pid)?;
                let justified = tx.reads().justified(manifest_id, &pid)?
                    && latest.is_none_or(|l| l < approved_seq);
                if !justified {
                    refused.stops.push(GateStop {
                        person_id: pid.clone(),
                        outcome: "needs_review".into(),
                        findings,
                    });
                }
            }
            custodia_rules::Outcome::Eligible => {}
        }
        out.push(PassengerScreening {
            person_id: pid,
            outcome: d.outcome.as_str().to_string(),
            rules: d
                .findings
                .iter()
                .map(|f| f.rule.as_str().to_string())
                .collect(),
        });
        decisions.push(ev);
    }
    Ok((refused, out, decisions))
}

/// What the departure gate would say if the manifest departed now (the manifest page shows
/// it before anyone presses the button). Records nothing.
pub fn gate_preview(
    store: &mut Store,
    manifest_id: &str,
    params: &Params,
) -> Result<DepartureRefused> {
    let now = store.clock().now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let nobody = Actor::new(Role::Auditor, "preview");
    let (r, _) = store.transact_with(|tx| -> Result<DepartureRefused> {
        let m = load(tx, manifest_id)?;
        let (refused, _, _) = evaluate_gate(tx, &nobody, &m, today, now, params)?;
        Ok(refused)
    })?;
    Ok(r)
}

fn m_updated_seq(tx: &mut Tx<'_>, manifest_id: &str) -> SResult<u64> {
    tx.reads()
        .manifest_updated_seq(manifest_id)?
        .ok_or_else(|| custodia_store::StoreError::NotFound(format!("no manifest `{manifest_id}`")))
}

/// The flight arrives at the receiving facility.
pub fn arrive(store: &mut Store, actor: &Actor, manifest_id: &str) -> Result<()> {
    need(
        actor,
        actor.role == Role::ReceivingOfficer,
        "record arrivals",
    )?;
    transition(
        store,
        actor,
        manifest_id,
        "arrival",
        &[ManifestState::Departed],
        || EventData::ManifestArrived {
            manifest_id: manifest_id.into(),
        },
    )
}

/// Records the receiving facility's own intake rows. Atomic and idempotent: a row already
/// recorded with the same values adds nothing; the same id with other values is refused.
pub fn record_intake(
    store: &mut Store,
    actor: &Actor,
    facility_id: &str,
    manifest_id: Option<&str>,
    rows: &[IntakeRecord],
) -> Result<u32> {
    need(actor, actor.role == Role::ReceivingOfficer, "record intake")?;
    let now = store.clock().now();
    let (added, _) = store
        .transact(|tx| {
            if !tx.reads().facility_exists(facility_id)? {
                return Err(custodia_store::StoreError::NotFound(format!("no facility `{facility_id}`")));
            }
            let mut added = 0;
            let mut seen = std::collections::BTreeSet::new();
            for r in rows {
                if !seen.insert(r.record_id.clone()) {
                    return Err(custodia_store::StoreError::Invalid(format!("intake record `{}` appears twice", r.record_id)));
                }
                match tx.reads().intake_row(facility_id, &r.record_id)? {
                    Some(e) => {
                        let same = e.family_names == r.family_names
                            && e.given_names == r.given_names
                            && e.date_of_birth == r.date_of_birth
                            && e.sex == r.sex
                            && e.nationality == r.nationality
                            && e.document_number == r.document_number
                            && e.manifest_id.as_deref() == manifest_id;
                        if !same {
                            return Err(custodia_store::StoreError::Conflict(format!(
                                "intake record `{}` is already recorded at `{facility_id}` with other values",
                                r.record_id
                            )));
                        }
                    }
                    None => {
                        added += 1;
                        tx.emit(ev(actor, now, EventData::IntakeRecorded {
                            facility_id: facility_id.into(),
                            manifest_id: manifest_id.map(str::to_string),
                            record: r.clone(),
                        }));
                    }
                }
            }
            Ok(added)
        })
        .map_err(from_store)?;
    Ok(added)
}

/// Reconciles an arrived manifest against the receiving facility's intake: admits everyone
/// matched, and opens a case for every missing person, unexpected arrival and ambiguity.
pub fn reconcile(store: &mut Store, actor: &Actor, manifest_id: &str) -> Result<ReconcileSummary> {
    need(
        actor,
        actor.role == Role::ReceivingOfficer,
        "reconcile arrivals",
    )?;
    let now = store.clock().now();
    let (summary, _) = store
        .transact(|tx| {
            let m = load(tx, manifest_id)?;
            refuse(&m, "reconciliation", &[ManifestState::Arrived])?;
            let manifest: Vec<LinkRecord> = tx
                .reads()
                .passenger_link_rows(manifest_id)?
                .into_iter()
                .map(link_record)
                .collect();
            let intake: Vec<LinkRecord> = tx
                .reads()
                .intake_link_rows(&m.to_facility, manifest_id)?
                .into_iter()
                .map(link_record)
                .collect();
            let rec = custodia_linkage::reconcile::reconcile(&manifest, &intake);
            let mut opened = Vec::new();
            let mut n = tx.reads().case_count(manifest_id)?;
            let mut open = |tx: &mut Tx<'_>, kind: &str, subject: &str, detail: String| {
                n += 1;
                let case_id = custodia_model::ids::case_id(manifest_id, n);
                tx.emit(ev(
                    actor,
                    now,
                    EventData::CaseOpened {
                        case_id: case_id.clone(),
                        manifest_id: manifest_id.into(),
                        case_kind: kind.into(),
                        subject_id: subject.into(),
                        detail,
                    },
                ));
                opened.push(case_id);
            };
            for id in &rec.missing_from_intake {
                open(
                    tx,
                    "missing_from_intake",
                    id,
                    format!(
                        "`{id}` was on flight {} but no intake record matches",
                        m.flight
                    ),
                );
            }
            for id in &rec.unexpected_in_intake {
                open(
                    tx,
                    "unexpected_in_intake",
                    id,
                    format!(
                        "intake record `{id}` matches no passenger of flight {}",
                        m.flight
                    ),
                );
            }
            for r in &rec.needs_review {
                let c: Vec<String> = r
                    .candidates
                    .iter()
                    .map(|c| format!("{} ({:.2})", c.intake_id, c.score))
                    .collect();
                open(
                    tx,
                    "needs_review",
                    &r.manifest_id,
                    format!(
                        "`{}` has close intake candidates: {}",
                        r.manifest_id,
                        c.join(", ")
                    ),
                );
            }
            for mt in &rec.matches {
                tx.emit(ev(
                    actor,
                    now,
                    EventData::Admitted {
                        person_id: mt.manifest_id.clone(),
                        facility_id: m.to_facility.clone(),
                        manifest_id: Some(manifest_id.into()),
                    },
                ));
            }
            tx.emit(ev(
                actor,
                now,
                EventData::ManifestReconciled {
                    manifest_id: manifest_id.into(),
                    matched: rec.matches.len() as u32,
                    missing: rec.missing_from_intake.len() as u32,
                    unexpected: rec.unexpected_in_intake.len() as u32,
                    review: rec.needs_review.len() as u32,
                },
            ));
            Ok(ReconcileSummary {
                matched: rec.matches.len() as u32,
                missing: rec.missing_from_intake.clone(),
                unexpected: rec.unexpected_in_intake.clone(),
                review: rec
                    .needs_review
                    .iter()
                    .map(|r| r.manifest_id.clone())
                    .collect(),
                cases_opened: opened,
            })
        })
        .map_err(from_store)?;
    Ok(summary)
}

/// A stored person or intake row as the linkage engine compares it.
pub(crate) fn link_record(r: custodia_store::reads::manifests::LinkRow) -> LinkRecord {
    let mut rec = LinkRecord::new(&r.id, &r.family_names, &r.given_names);
    rec.date_of_birth = r.date_of_birth;
    rec.sex = r.sex;
    rec.nationality = r.nationality;
    rec.document_number = r.document_number;
    rec
}

/// Resolves a discrepancy case with a reason.
pub fn resolve_case(store: &mut Store, actor: &Actor, case_id: &str, reason: &str) -> Result<()> {
    need(
        actor,
        matches!(actor.role, Role::ReceivingOfficer | Role::SendingSupervisor),
        "resolve cases",
    )?;
    if reason.trim().is_empty() {
        return Err(AppError::Invalid(
            "field `reason`: empty, a case is resolved with a reason".into(),
        ));
    }
    let now = store.clock().now();
    store
        .transact(|tx| {
            match tx.reads().case_state(case_id)? {
                None => {
                    return Err(custodia_store::StoreError::NotFound(format!(
                        "no case `{case_id}`"
                    )));
                }
                Some(CaseState::Open) => {}
                Some(s) => {
                    return Err(custodia_store::StoreError::Conflict(format!(
                        "case `{case_id}` is already `{s}`"
                    )));
                }
            }
            tx.emit(ev(
                actor,
                now,
                EventData::CaseResolved {
                    case_id: case_id.into(),
                    reason: reason.into(),
                },
            ));
            Ok(())
        })
        .map_err(from_store)?;
    Ok(())
}

/// Closes a reconciled manifest with no open case.
pub fn close(store: &mut Store, actor: &Actor, manifest_id: &str) -> Result<()> {
    need(
        actor,
        matches!(actor.role, Role::ReceivingOfficer | Role::SendingSupervisor),
        "close manifests",
    )?;
    let now = store.clock().now();
    store
        .transact(|tx| {
            let m = load(tx, manifest_id)?;
            refuse(&m, "closing", &[ManifestState::Reconciled])?;
            let ids = tx.reads().open_case_ids(manifest_id)?;
            if !ids.is_empty() {
                return Err(custodia_store::StoreError::Conflict(format!(
                    "manifest `{manifest_id}` has {} open case(s): {}; resolve them first",
                    ids.len(),
                    ids.join(", ")
                )));
            }
            tx.emit(ev(
                actor,
                now,
                EventData::ManifestClosed {
                    manifest_id: manifest_id.into(),
                },
            ));
            Ok(())
        })
        .map_err(from_store)?;
    Ok(())
}
