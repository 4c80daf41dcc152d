//! Read queries for the server's pages and API: a person's file, manifests, cases, housing,
//! population, invoices, access. Each runs on one read snapshot and returns plain,
//! serializable rows; deciding who may see them is the caller's.

use custodia_model::events::CustodyStatus;
use custodia_model::state::{CaseState, ManifestState};
use serde::Serialize;
use serde_json::Value as Json;

use crate::backend::{Conn, Row, Value};
use crate::commands::load_person;
use crate::error::{Result, StoreError};
use crate::store::Store;

// Row decoders: a projection row that does not decode is damage, named, never a default.
fn bad(r: &Row, i: usize, expected: &str) -> StoreError {
    let key = r.first().map(Value::canonical).unwrap_or_default();
    let found = r
        .get(i)
        .map(Value::canonical)
        .unwrap_or_else(|| "nothing".into());
    StoreError::Corrupt(format!(
        "row {key}: column {i}: expected {expected}, found {found}"
    ))
}
fn s(r: &Row, i: usize) -> Result<String> {
    r.get(i)
        .and_then(Value::opt_str)
        .ok_or_else(|| bad(r, i, "text"))
}
fn os(r: &Row, i: usize) -> Result<Option<String>> {
    match r.get(i) {
        Some(Value::Null) => Ok(None),
        Some(v) => v
            .opt_str()
            .map(Some)
            .ok_or_else(|| bad(r, i, "text or NULL")),
        None => Err(bad(r, i, "text or NULL")),
    }
}
fn n(r: &Row, i: usize) -> Result<u64> {
    r.get(i)
        .and_then(Value::as_i64)
        .and_then(|x| u64::try_from(x).ok())
        .ok_or_else(|| bad(r, i, "a non-negative integer"))
}
fn f(r: &Row, i: usize) -> Result<f64> {
    r.get(i)
        .and_then(Value::as_f64)
        .ok_or_else(|| bad(r, i, "a number"))
}
/// A state stored by its wire name ([`custodia_model::state`]).
fn st<T: std::str::FromStr>(r: &Row, i: usize, expected: &str) -> Result<T> {
    s(r, i)?.parse().map_err(|_| bad(r, i, expected))
}
fn ost<T: std::str::FromStr>(r: &Row, i: usize, expected: &str) -> Result<Option<T>> {
    os(r, i)?
        .map(|t| t.parse().map_err(|_| bad(r, i, expected)))
        .transpose()
}
fn j(r: &Row, i: usize) -> Result<Json> {
    serde_json::from_str(&s(r, i)?).map_err(|_| bad(r, i, "JSON"))
}

/// A legal record of a person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegalRecordRow {
    pub seq: u64,
    pub record_type: String,
    pub record: Json,
}

/// A screening decision recorded for a person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreeningRow {
    pub seq: u64,
    pub person_id: String,
    pub manifest_id: Option<String>,
    pub on: String,
    pub basis: String,
    pub destination_country: String,
    pub facility_id: Option<String>,
    pub outcome: String,
    pub rules_version: String,
    /// `[{rule, effect, citation, detail}]`.
    pub findings: Json,
}

/// One event of a custody timeline: the leaf, with its seq so its inclusion proof can be
/// fetched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEvent {
    pub seq: u64,
    pub occurred_at: String,
    pub recorded_at: String,
    pub kind: String,
    pub actor: String,
    pub data: Json,
}

/// Everything recorded about one person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonFile {
    pub person: custodia_model::events::PersonRecord,
    pub facility_id: Option<String>,
    pub cell_id: Option<String>,
    pub status: Option<CustodyStatus>,
    pub status_since: Option<String>,
    pub counsel: Vec<String>,
    pub legal_records: Vec<LegalRecordRow>,
    pub screenings: Vec<ScreeningRow>,
    /// Discrepancy cases about this person (open ones first), so an unresolved
    /// disappearance shows on the record itself.
    pub cases: Vec<CaseRow>,
    pub timeline: Vec<TimelineEvent>,
}

/// What deciding access to a person needs: where they are, where they are bound, who
/// represents them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonScope {
    pub facility_id: Option<String>,
    /// Receiving facilities of manifests the person is on.
    pub bound_for: Vec<String>,
    /// Counsel actor ids (`counsel:<name>`).
    pub counsel: Vec<String>,
}

/// A manifest with its passenger count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestRow {
    pub id: String,
    pub flight: String,
    pub from_facility: String,
    pub to_facility: String,
    pub destination_country: String,
    pub basis: String,
    pub departure_on: String,
    pub state: ManifestState,
    pub created_by: String,
    pub approved_by: Option<String>,
    pub passengers: u64,
}

/// A passenger with their latest screening on the manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassengerRow {
    pub person_id: String,
    pub family_names: String,
    pub given_names: String,
    pub nationalities: String,
    pub outcome: Option<String>,
    pub findings: Json,
    pub justification: Option<String>,
}

/// A discrepancy case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseRow {
    pub id: String,
    pub manifest_id: String,
    pub kind: String,
    pub subject_id: String,
    pub detail: String,
    pub state: CaseState,
    pub opened_seq: u64,
    pub resolved_reason: Option<String>,
    pub resolved_by: Option<String>,
}

/// A manifest, its passengers and its cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestFile {
    pub manifest: ManifestRow,
    pub passengers: Vec<PassengerRow>,
    pub cases: Vec<CaseRow>,
    pub reconciliation: Option<Json>,
}

/// A facility.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacilityRow {
    pub id: String,
    pub name: String,
    pub country: String,
    pub kind: String,
    pub adult_only: bool,
    pub in_custody: u64,
}

/// A cell and who is in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellRow {
    pub id: String,
    pub facility_id: String,
    pub pavilion: String,
    pub area_m2: f64,
    pub capacity: u64,
    pub in_use: bool,
    pub occupants: u64,
    /// Floor area per occupant; `None` when empty.
    pub m2_per_person: Option<f64>,
}

/// An issued invoice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceRow {
    pub id: String,
    pub agreement_id: String,
    pub month: String,
    pub person_days: u64,
    pub total: String,
    pub seq: u64,
}

/// A registered agreement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgreementRow {
    pub id: String,
    pub facility_id: String,
    pub agreement: custodia_model::events::AgreementRecord,
}

/// A stay as the projection holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StayRow {
    pub person_id: String,
    pub facility_id: String,
    pub admitted_on: String,
    pub released_on: Option<String>,
}

/// One recorded read of a person's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRow {
    pub seq: u64,
    pub actor: String,
    pub person_id: String,
    pub at: String,
    /// How the person was read: `record` (their file), `search`, `leaves`.
    pub via: String,
}

/// A person as staff lists show them: the staff search and a counsel's clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonListing {
    pub person_id: String,
    pub family_names: String,
    pub given_names: String,
    pub country_of_birth: Option<String>,
    pub date_of_birth: Option<String>,
    pub facility_id: Option<String>,
    pub status: Option<CustodyStatus>,
    /// When `status` took effect.
    pub status_since: Option<String>,
}

/// A summary count of some key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub key: String,
    pub count: u64,
}

const MANIFEST_COLS: &str = "m.id, m.flight, m.from_facility, m.to_facility, m.destination_country, m.basis, \
    m.departure_on, m.state, m.created_by, m.approved_by, \
    (SELECT COUNT(*) FROM manifest_passengers mp WHERE mp.manifest_id = m.id)";

/// One manifest by id, on a connection (inside a read or a write transaction).
pub fn manifest_by_id(c: &mut dyn Conn, id: &str) -> Result<Option<ManifestRow>> {
    let rows = c.query(
        &format!("SELECT {MANIFEST_COLS} FROM manifests m WHERE m.id = ?"),
        &[id.into()],
    )?;
    rows.first().map(manifest_row).transpose()
}

fn manifest_row(r: &Row) -> Result<ManifestRow> {
    Ok(ManifestRow {
        id: s(r, 0)?,
        flight: s(r, 1)?,
        from_facility: s(r, 2)?,
        to_facility: s(r, 3)?,
        destination_country: s(r, 4)?,
        basis: s(r, 5)?,
        departure_on: s(r, 6)?,
        state: st(r, 7, "a manifest state")?,
        created_by: s(r, 8)?,
        approved_by: os(r, 9)?,
        passengers: n(r, 10)?,
    })
}

const CASE_COLS: &str =
    "id, manifest_id, kind, subject_id, detail, state, opened_seq, resolved_reason, resolved_by";

fn case_row(r: &Row) -> Result<CaseRow> {
    Ok(CaseRow {
        id: s(r, 0)?,
        manifest_id: s(r, 1)?,
        kind: s(r, 2)?,
        subject_id: s(r, 3)?,
        detail: s(r, 4)?,
        state: st(r, 5, "a case state")?,
        opened_seq: n(r, 6)?,
        resolved_reason: os(r, 7)?,
        resolved_by: os(r, 8)?,
    })
}

const SCREENING_COLS: &str = "seq, person_id, manifest_id, on_date, basis, destination, facility_id, outcome, rules_version, findings";

fn screening_row(r: &Row) -> Result<ScreeningRow> {
    Ok(ScreeningRow {
        seq: n(r, 0)?,
        person_id: s(r, 1)?,
        manifest_id: os(r, 2)?,
        on: s(r, 3)?,
        basis: s(r, 4)?,
        destination_country: s(r, 5)?,
        facility_id: os(r, 6)?,
        outcome: s(r, 7)?,
        rules_version: s(r, 8)?,
        findings: j(r, 9)?,
    })
}

fn timeline_event(seq: u64, body: &str) -> Result<TimelineEvent> {
    let v: Json = serde_json::from_str(body).map_err(|_| {
        StoreError::Corrupt(format!("ledger row {seq}: column body: expected JSON"))
    })?;
    let g = |k: &str| {
        v.get(k)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Ok(TimelineEvent {
        seq,
        occurred_at: g("occurred_at"),
        recorded_at: g("recorded_at"),
        kind: g("kind"),
        actor: g("actor"),
        data: v.get("data").cloned().unwrap_or(Json::Null),
    })
}

/// Who represents the person, by actor id.
fn counsel_of(c: &mut dyn Conn, id: &str) -> Result<Vec<String>> {
    c.query(
        "SELECT counsel FROM counsel WHERE person_id = ? ORDER BY counsel",
        &[id.into()],
    )?
    .iter()
    .map(|r| s(r, 0))
    .collect()
}

pub(crate) fn person_scope(c: &mut dyn Conn, id: &str) -> Result<Option<PersonScope>> {
    let rows = c.query("SELECT facility_id FROM persons WHERE id = ?", &[id.into()])?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let facility_id = os(r, 0)?;
    let bound_for = c
        .query(
            "SELECT DISTINCT m.to_facility FROM manifests m JOIN manifest_passengers mp ON mp.manifest_id = m.id \
             WHERE mp.person_id = ? ORDER BY 1",
            &[id.into()],
        )?
        .iter()
        .map(|r| s(r, 0))
        .collect::<Result<Vec<_>>>()?;
    let counsel = counsel_of(c, id)?;
    Ok(Some(PersonScope {
        facility_id,
        bound_for,
        counsel,
    }))
}

pub(crate) fn person_file(c: &mut dyn Conn, id: &str) -> Result<Option<PersonFile>> {
    let Some((person, facility_id, status)) = load_person(c, id)? else {
        return Ok(None);
    };
    let extra = c.query(
        "SELECT cell_id, status_since FROM persons WHERE id = ?",
        &[id.into()],
    )?;
    let (cell_id, status_since) = extra
        .first()
        .map(|r| Ok::<_, StoreError>((os(r, 0)?, os(r, 1)?)))
        .transpose()?
        .unwrap_or_default();
    let counsel = counsel_of(c, id)?;
    let legal_records = c
        .query(
            "SELECT seq, record_type, body FROM legal_records WHERE person_id = ? ORDER BY seq",
            &[id.into()],
        )?
        .iter()
        .map(|r| {
            Ok(LegalRecordRow {
                seq: n(r, 0)?,
                record_type: s(r, 1)?,
                record: j(r, 2)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let screenings = c
        .query(
            &format!("SELECT {SCREENING_COLS} FROM screenings WHERE person_id = ? ORDER BY seq"),
            &[id.into()],
        )?
        .iter()
        .map(screening_row)
        .collect::<Result<Vec<_>>>()?;
    let timeline = c
        .query(
            "SELECT l.seq, l.body FROM person_events pe JOIN ledger l ON l.seq = pe.seq WHERE pe.person_id = ? ORDER BY pe.seq",
            &[id.into()],
        )?
        .iter()
        .map(|r| timeline_event(n(r, 0)?, &s(r, 1)?))
        .collect::<Result<Vec<_>>>()?;
    let cases = c
        .query(
            &format!("SELECT {CASE_COLS} FROM cases WHERE subject_id = ? ORDER BY state = 'open' DESC, id"),
            &[id.into()],
        )?
        .iter()
        .map(case_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(PersonFile {
        person,
        facility_id,
        cell_id,
        status,
        status_since,
        counsel,
        legal_records,
        screenings,
        cases,
        timeline,
    }))
}

impl Store {
    /// A person's whole file, or `None` when no such person exists.
    pub fn person_file(&mut self, id: &str) -> Result<Option<PersonFile>> {
        self.read(|c| person_file(c, id))
    }

    /// What deciding access to a person needs; `None` when no such person exists.
    pub fn person_scope(&mut self, id: &str) -> Result<Option<PersonScope>> {
        self.read(|c| person_scope(c, id))
    }

    /// Persons assigned to a counsel actor id, with their names.
    pub fn counsel_persons(&mut self, counsel: &str) -> Result<Vec<PersonListing>> {
        self.read(|c| {
            c.query(
                "SELECT p.id, p.family_names, p.given_names, p.country_of_birth, p.date_of_birth, p.facility_id, p.status, p.status_since \
                 FROM counsel k JOIN persons p ON p.id = k.person_id WHERE k.counsel = ? ORDER BY p.id LIMIT 500",
                &[counsel.into()],
            )?
            .iter()
            .map(listing)
            .collect::<Result<Vec<_>>>()
        })
    }

    /// Persons whose name contains `q` (case-insensitive) or whose id equals it, at most `limit`.
    pub fn search_persons(
        &mut self,
        q: &str,
        facility: Option<&str>,
        limit: u64,
    ) -> Result<Vec<PersonListing>> {
        let like = format!("%{}%", q.to_lowercase());
        self.read(|c| {
            c.query(
                "SELECT id, family_names, given_names, country_of_birth, date_of_birth, facility_id, status, status_since FROM persons \
                 WHERE (id = ? OR LOWER(family_names) LIKE ? OR LOWER(given_names) LIKE ?) AND (? IS NULL OR facility_id = ?) \
                 ORDER BY id LIMIT ?",
                &[q.into(), like.as_str().into(), like.as_str().into(), facility.map(str::to_string).into(), facility.map(str::to_string).into(), limit.into()],
            )?
            .iter()
            .map(listing)
            .collect::<Result<Vec<_>>>()
        })
    }

    /// Manifests, newest first; only those touching `facility` when given.
    pub fn manifests(&mut self, facility: Option<&str>, limit: u64) -> Result<Vec<ManifestRow>> {
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {MANIFEST_COLS} FROM manifests m WHERE (? IS NULL OR m.to_facility = ? OR m.from_facility = ?) \
                     ORDER BY m.departure_on DESC, m.id DESC LIMIT ?"
                ),
                &[facility.map(str::to_string).into(), facility.map(str::to_string).into(), facility.map(str::to_string).into(), limit.into()],
            )?
            .iter()
            .map(manifest_row)
            .collect::<Result<Vec<_>>>()
        })
    }

    /// One manifest with its passengers (and their latest screening on it) and its cases.
    pub fn manifest_file(&mut self, id: &str) -> Result<Option<ManifestFile>> {
        self.read(|c| {
            let rows = c.query(&format!("SELECT {MANIFEST_COLS} FROM manifests m WHERE m.id = ?"), &[id.into()])?;
            let Some(r) = rows.first() else { return Ok(None) };
            let manifest = manifest_row(r)?;
            let passengers = c
                .query(
                    "SELECT p.id, p.family_names, p.given_names, p.nationalities, \
                     (SELECT outcome FROM screenings s WHERE s.person_id = p.id AND s.manifest_id = mp.manifest_id ORDER BY seq DESC LIMIT 1), \
                     (SELECT findings FROM screenings s WHERE s.person_id = p.id AND s.manifest_id = mp.manifest_id ORDER BY seq DESC LIMIT 1), \
                     (SELECT text FROM manifest_justifications mj WHERE mj.manifest_id = mp.manifest_id AND mj.person_id = p.id) \
                     FROM manifest_passengers mp JOIN persons p ON p.id = mp.person_id WHERE mp.manifest_id = ? ORDER BY p.id",
                    &[id.into()],
                )?
                .iter()
                .map(|r| Ok(PassengerRow {
                    person_id: s(r, 0)?,
                    family_names: s(r, 1)?,
                    given_names: s(r, 2)?,
                    nationalities: s(r, 3)?,
                    outcome: os(r, 4)?,
                    findings: match os(r, 5)? {
                        None => Json::Array(vec![]),
                        Some(_) => j(r, 5)?,
                    },
                    justification: os(r, 6)?,
                }))
                .collect::<Result<Vec<_>>>()?;
            let cases = c
                .query(&format!("SELECT {CASE_COLS} FROM cases WHERE manifest_id = ? ORDER BY id"), &[id.into()])?
                .iter()
                .map(case_row)
                .collect::<Result<Vec<_>>>()?;
            // The reconciliation event follows the manifest's intake rows: search from there.
            let from = c
                .query("SELECT COALESCE(MAX(seq), 0) FROM intake WHERE manifest_id = ?", &[id.into()])?
                .first()
                .map(|r| n(r, 0))
                .transpose()?
                .unwrap_or(0);
            let rec = if matches!(manifest.state, ManifestState::Reconciled | ManifestState::Closed) {
                c.query(
                    "SELECT body FROM ledger WHERE seq > ? AND body LIKE ? ORDER BY seq LIMIT 1",
                    &[from.into(), format!("%\"kind\":\"manifest_reconciled\",\"data\":{{\"manifest_id\":\"{}\"%", id.replace(['%', '_'], "")).into()],
                )?
            } else {
                Vec::new()
            };
            let reconciliation = match rec.first() {
                None => None,
                Some(r) => j(r, 0)?.get("data").cloned(),
            };
            Ok(Some(ManifestFile { manifest, passengers, cases, reconciliation }))
        })
    }

    /// Discrepancy cases; only open ones when `open_only`; only for manifests to `facility`
    /// when given.
    pub fn cases(
        &mut self,
        open_only: bool,
        facility: Option<&str>,
        limit: u64,
    ) -> Result<Vec<CaseRow>> {
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {CASE_COLS} FROM cases WHERE (? = 0 OR state = 'open') AND \
                     (? IS NULL OR manifest_id IN (SELECT id FROM manifests WHERE to_facility = ?)) ORDER BY id LIMIT ?"
                ),
                &[open_only.into(), facility.map(str::to_string).into(), facility.map(str::to_string).into(), limit.into()],
            )?
            .iter()
            .map(case_row)
            .collect::<Result<Vec<_>>>()
        })
    }

    /// One case.
    pub fn case(&mut self, id: &str) -> Result<Option<CaseRow>> {
        self.read(|c| {
            c.query(
                &format!("SELECT {CASE_COLS} FROM cases WHERE id = ?"),
                &[id.into()],
            )?
            .first()
            .map(case_row)
            .transpose()
        })
    }

    /// Facilities with how many persons each holds.
    pub fn facilities(&mut self) -> Result<Vec<FacilityRow>> {
        self.read(|c| {
            c.query(
                "SELECT f.id, f.name, f.country, f.kind, f.adult_only, \
                 (SELECT COUNT(*) FROM persons p WHERE p.facility_id = f.id AND p.status = 'in_custody') FROM facilities f ORDER BY f.id",
                &[],
            )?
            .iter()
            .map(|r| Ok(FacilityRow {
                id: s(r, 0)?,
                name: s(r, 1)?,
                country: s(r, 2)?,
                kind: s(r, 3)?,
                adult_only: n(r, 4)? != 0,
                in_custody: n(r, 5)?,
            }))
            .collect::<Result<Vec<_>>>()
        })
    }

    /// The cells of a facility with their current occupants, by pavilion then cell.
    pub fn cells(&mut self, facility: &str) -> Result<Vec<CellRow>> {
        self.read(|c| {
            c.query(
                "SELECT c.id, c.facility_id, c.pavilion, c.area_m2, c.capacity, c.in_use, \
                 (SELECT COUNT(*) FROM persons p WHERE p.cell_id = c.id AND p.status = 'in_custody') \
                 FROM cells c WHERE c.facility_id = ? ORDER BY c.pavilion, c.id",
                &[facility.into()],
            )?
            .iter()
            .map(|r| {
                let (area, occ) = (f(r, 3)?, n(r, 6)?);
                Ok(CellRow {
                    id: s(r, 0)?,
                    facility_id: s(r, 1)?,
                    pavilion: s(r, 2)?,
                    area_m2: area,
                    capacity: n(r, 4)?,
                    in_use: n(r, 5)? != 0,
                    occupants: occ,
                    m2_per_person: (occ > 0).then(|| area / occ as f64),
                })
            })
            .collect::<Result<Vec<_>>>()
        })
    }

    /// Persons in custody by first nationality, most first; only at `facility` when given.
    pub fn population_by_nationality(&mut self, facility: Option<&str>) -> Result<Vec<Count>> {
        self.read(|c| {
            let rows = c.query(
                "SELECT nationalities, COUNT(*) FROM persons WHERE status = 'in_custody' AND (? IS NULL OR facility_id = ?) GROUP BY nationalities",
                &[facility.map(str::to_string).into(), facility.map(str::to_string).into()],
            )?;
            let mut m = std::collections::BTreeMap::<String, u64>::new();
            for r in &rows {
                let nat = s(r, 0)?.split(';').next().filter(|x| !x.is_empty()).unwrap_or("??").to_string();
                *m.entry(nat).or_default() += n(r, 1)?;
            }
            let mut v: Vec<Count> = m.into_iter().map(|(key, count)| Count { key, count }).collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
            Ok(v)
        })
    }

    /// Issued invoices, newest month first.
    pub fn invoices(&mut self, limit: u64) -> Result<Vec<InvoiceRow>> {
        self.read(|c| {
            c.query("SELECT id, agreement_id, month, person_days, total, seq FROM invoices ORDER BY month DESC, id LIMIT ?", &[limit.into()])?
                .iter()
                .map(|r| Ok(InvoiceRow { id: s(r, 0)?, agreement_id: s(r, 1)?, month: s(r, 2)?, person_days: n(r, 3)?, total: s(r, 4)?, seq: n(r, 5)? }))
                .collect::<Result<Vec<_>>>()
        })
    }

    /// Registered agreements.
    pub fn agreements(&mut self) -> Result<Vec<AgreementRow>> {
        self.read(|c| {
            let mut out = Vec::new();
            for r in c.query(
                "SELECT id, facility_id, body FROM agreements ORDER BY id",
                &[],
            )? {
                let agreement = serde_json::from_str(&s(&r, 2)?)?;
                out.push(AgreementRow {
                    id: s(&r, 0)?,
                    facility_id: s(&r, 1)?,
                    agreement,
                });
            }
            Ok(out)
        })
    }

    /// Every stay at a facility.
    pub fn stays(&mut self, facility: &str) -> Result<Vec<StayRow>> {
        self.read(|c| {
            c.query("SELECT person_id, facility_id, admitted_on, released_on FROM stays WHERE facility_id = ? ORDER BY seq", &[facility.into()])?
                .iter()
                .map(|r| Ok(StayRow { person_id: s(r, 0)?, facility_id: s(r, 1)?, admitted_on: s(r, 2)?, released_on: os(r, 3)? }))
                .collect::<Result<Vec<_>>>()
        })
    }

    /// Recorded reads of person files, newest first; only of `person` when given.
    pub fn access_log(&mut self, person: Option<&str>, limit: u64) -> Result<Vec<AccessRow>> {
        self.read(|c| {
            c.query(
                "SELECT seq, actor, person_id, at, via FROM access_log WHERE (? IS NULL OR person_id = ?) ORDER BY seq DESC, person_id LIMIT ?",
                &[person.map(str::to_string).into(), person.map(str::to_string).into(), limit.into()],
            )?
            .iter()
            .map(|r| Ok(AccessRow { seq: n(r, 0)?, actor: s(r, 1)?, person_id: s(r, 2)?, at: s(r, 3)?, via: s(r, 4)? }))
            .collect::<Result<Vec<_>>>()
        })
    }
}

fn listing(r: &Row) -> Result<PersonListing> {
    Ok(PersonListing {
        person_id: s(r, 0)?,
        family_names: s(r, 1)?,
        given_names: s(r, 2)?,
        country_of_birth: os(r, 3)?,
        date_of_birth: os(r, 4)?,
        facility_id: os(r, 5)?,
        status: ost(r, 6, "a custody status")?,
        status_since: os(r, 7)?,
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    fn manifest(state: &str) -> Row {
        [
            "M-1",
            "F1",
            "A",
            "B",
            "SV",
            "removal_order",
            "2025-03-15",
            state,
            "sending_officer:ana",
        ]
        .into_iter()
        .map(Value::from)
        .chain([Value::Null, Value::Int(2)])
        .collect()
    }

    #[test]
    fn states_decode_to_enums_and_a_bad_one_is_corrupt() {
        let m = manifest_row(&manifest("approved")).unwrap();
        assert_eq!(m.state, ManifestState::Approved);
        assert_eq!(m.passengers, 2);
        let e = manifest_row(&manifest("shipped")).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt(_)), "{e}");
        assert!(e.to_string().contains("a manifest state"), "{e}");
        assert!(e.to_string().contains("shipped"), "{e}");

        let case = |state: &str| -> Row {
            ["C-1", "M-1", "not_received", "P-1", "d", state]
                .into_iter()
                .map(Value::from)
                .chain([Value::Int(7), Value::Null, Value::Null])
                .collect()
        };
        assert_eq!(case_row(&case("open")).unwrap().state, CaseState::Open);
        assert!(matches!(
            case_row(&case("Open")).unwrap_err(),
            StoreError::Corrupt(_)
        ));
    }
}
