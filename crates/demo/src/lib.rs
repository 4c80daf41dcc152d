//! custodia-demo: the deterministic synthetic world of CONTRACT §4.
//!
//! [`build`] turns a seed and a [`Scale`] into the batches of events that a store appends:
//! US detention sites, a CECOT-like prison (8 pavilions × 32 cells of about 100 m²), a
//! Guantánamo-like site, an agreement with its rates, persons of many nationalities with
//! legal histories, flights of 100–250 people screened by the real rules engine, approved by a
//! second person, met by the receiving facility's own intake (with its own spellings) and
//! reconciled by the real linkage engine, then cell placements, family notifications,
//! exercise, visits and solitary confinement, and releases.
//!
//! Everything comes from one `ChaCha8Rng` seeded with the seed, and every instant from a
//! simulated timeline, so the same seed and scale give byte-identical leaves. Names are
//! random combinations of common names; none is taken from a real case.
//!
//! ```
//! let batches = custodia_demo::build(7, custodia_demo::Scale::Tiny);
//! let again = custodia_demo::build(7, custodia_demo::Scale::Tiny);
//! assert_eq!(batches, again);
//! assert!(batches.iter().map(|b| b.events.len()).sum::<usize>() > 100);
//! ```

use std::collections::BTreeMap;

use custodia_linkage::Record as LinkRecord;
use custodia_linkage::reconcile::Reconciliation;
use custodia_linkage::synth::{names, noise};
use custodia_model::events::{
    AgreementRecord, CellRecord, EventData, FacilityRecord, FindingRecord, IntakeRecord,
    Justification, NewEvent, PavilionRecord, PersonRecord, RateRecord,
};
use custodia_model::ids;
use custodia_model::legal::{
    Basis, CatKind, CountryCode, Facility, HabeasStatus, Person, Record, ScreeningRequest,
    Severity, StayScope, Transfer, UsStatus,
};
use jiff::civil::{Date, DateTime};
use jiff::{Span, Timestamp, ToSpan};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How big a world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// A few hundred events, for doc tests and quick tests.
    Tiny,
    /// A few thousand events.
    Small,
    /// About 40,000 persons in the CECOT-like facility.
    Cecot,
}

impl Scale {
    fn persons(self) -> usize {
        match self {
            Self::Tiny => 80,
            Self::Small => 700,
            Self::Cecot => 46_000,
        }
    }
    fn target_in_cecot(self) -> usize {
        match self {
            Self::Tiny => 40,
            Self::Small => 450,
            Self::Cecot => 40_000,
        }
    }
}

/// One transaction's worth of events, and when the store records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub recorded_at: Timestamp,
    pub events: Vec<NewEvent>,
}

/// The facility id of the CECOT-like prison.
pub const CECOT: &str = "CECOT";
/// The Guantánamo-like site.
pub const GTMO: &str = "GTMO-MOC";
/// The US detention sites.
pub const US_SITES: [&str; 3] = ["USDC-TX", "USDC-LA", "USDC-AZ"];
/// Actors of the demo world.
pub const OFFICER: &str = "sending_officer:m.ortiz";
pub const SUPERVISOR: &str = "sending_supervisor:r.castellanos";
pub const RECEIVING: &str = "receiving_officer:cecot.intake";
pub const COUNSEL: &str = "counsel:demo";

fn ts(d: Date, h: i8, m: i8) -> Timestamp {
    DateTime::from_parts(d, jiff::civil::time(h, m, 0, 0))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn date(y: i16, m: i8, d: i8) -> Date {
    Date::new(y, m, d).unwrap_or(Date::MIN)
}

fn cc(s: &str) -> CountryCode {
    CountryCode::new(s)
        .unwrap_or_else(|_| CountryCode::new("ZZ").unwrap_or_else(|_| unreachable_cc()))
}

#[expect(
    clippy::panic,
    reason = "static two-letter literals are always valid country codes"
)]
fn unreachable_cc() -> CountryCode {
    panic!("`ZZ` is a valid country code")
}

struct Sim {
    rng: ChaCha8Rng,
    batches: Vec<Batch>,
}

impl Sim {
    fn push(&mut self, recorded_at: Timestamp, events: Vec<NewEvent>) {
        if !events.is_empty() {
            self.batches.push(Batch {
                recorded_at,
                events,
            });
        }
    }
    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }
}

fn ev(at: Timestamp, actor: &str, data: EventData) -> NewEvent {
    NewEvent {
        occurred_at: at,
        actor: actor.to_string(),
        data,
    }
}

#[derive(Clone)]
struct SimPerson {
    record: PersonRecord,
    records: Vec<Record>,
    site: &'static str,
    admitted: Date,
    group: Option<&'static str>,
    document: String,
    flown: bool,
}

impl SimPerson {
    /// The first nationality's code, as intake and linkage records write it.
    fn nationality(&self) -> Option<String> {
        self.record
            .nationalities
            .first()
            .map(|c| c.as_str().to_string())
    }
}

fn facilities() -> Vec<FacilityRecord> {
    let mut out = Vec::new();
    for (i, id) in US_SITES.iter().enumerate() {
        let name = [
            "South Texas Processing Center",
            "Central Louisiana Processing Center",
            "Sonoran Desert Processing Center",
        ][i];
        let cells = (1..=12)
            .map(|c| CellRecord {
                id: format!("{id}-D{c:02}"),
                area_m2: 180.0,
                capacity: 60,
                windows: true,
                sanitation: "shared".into(),
            })
            .collect();
        out.push(FacilityRecord {
            id: (*id).to_string(),
            name: format!("{name} (synthetic)"),
            country: cc("US"),
            kind: "us_detention".into(),
            adult_only: false,
            pavilions: vec![PavilionRecord {
                id: format!("{id}-D"),
                cells,
            }],
        });
    }
    out.push(FacilityRecord {
        id: GTMO.into(),
        name: "Migrant Operations Center (synthetic, Guantánamo-like)".into(),
        country: cc("CU"),
        kind: "military_base".into(),
        adult_only: true,
        pavilions: vec![PavilionRecord {
            id: "GTMO-A".into(),
            cells: (1..=10)
                .map(|c| CellRecord {
                    id: format!("GTMO-A{c:02}"),
                    area_m2: 60.0,
                    capacity: 20,
                    windows: false,
                    sanitation: "shared".into(),
                })
                .collect(),
        }],
    });
    // 8 pavilions × 32 cells of about 100 m². The design figure of 40,000 places puts about
    // 156 people in each cell: the capacity below is that claim, not a standard.
    let pavilions = (1..=8)
        .map(|p| PavilionRecord {
            id: format!("P{p}"),
            cells: (1..=32)
                .map(|c| CellRecord {
                    id: format!("P{p}-C{c:02}"),
                    area_m2: 96.0 + f64::from((p * 7 + c * 3) % 17) * 0.5,
                    capacity: 160,
                    windows: false,
                    sanitation: "in_cell".into(),
                })
                .collect(),
        })
        .collect();
    out.push(FacilityRecord {
        id: CECOT.into(),
        name: "Centro de Confinamiento (synthetic, CECOT-like)".into(),
        country: cc("SV"),
        kind: "prison".into(),
        adult_only: true,
        pavilions,
    });
    out
}

fn agreement() -> AgreementRecord {
    AgreementRecord {
        id: "US-SV-2025".into(),
        facility_id: CECOT.into(),
        currency: "USD".into(),
        start: date(2025, 3, 15),
        end: Some(date(2026, 3, 14)),
        reserved_beds: Some(300),
        over_reserved_per_person_day: Some("90.00".into()),
        rates: vec![
            RateRecord {
                from: date(2025, 3, 15),
                per_person_day: "54.35".into(),
            },
            RateRecord {
                from: date(2025, 9, 1),
                per_person_day: "60.00".into(),
            },
        ],
    }
}

fn make_person(sim: &mut Sim, i: usize) -> SimPerson {
    let rng = &mut sim.rng;
    let nat = names::weighted(rng, names::NATIONALITIES);
    let female = nat != "US" && rng.gen_bool(0.04);
    let pool = names::family_pool(nat);
    let fam1 = pool.choose(rng).copied().unwrap_or("García");
    let family = if nat == "US" || rng.gen_bool(0.08) {
        fam1.to_string()
    } else {
        let fam2 = pool.choose(rng).copied().unwrap_or("López");
        if rng.gen_bool(0.03) {
            format!("{fam1} de {fam2}")
        } else {
            format!("{fam1} {fam2}")
        }
    };
    let given = if nat == "US" {
        names::GIVEN_US
            .choose(rng)
            .copied()
            .unwrap_or("John")
            .to_string()
    } else if female {
        names::GIVEN_FEMALE
            .choose(rng)
            .copied()
            .unwrap_or("María")
            .to_string()
    } else {
        names::GIVEN_MALE
            .choose(rng)
            .copied()
            .unwrap_or("José")
            .to_string()
    };
    // Ages 18–55 mostly; about 1% are 16 or 17, whom the minor rule must stop.
    let year = if rng.gen_bool(0.01) {
        2008
    } else {
        rng.gen_range(1970..=2006)
    };
    let dob = date(year, rng.gen_range(1..=12), rng.gen_range(1..=28));
    let us_status = if nat == "US" {
        UsStatus::CitizenByBirth
    } else {
        match rng.gen_range(0..1000) {
            0..=699 => UsStatus::Undocumented,
            700..=779 => UsStatus::Parolee,
            780..=829 => UsStatus::Tps,
            830..=869 => UsStatus::LawfulPermanentResident,
            870..=889 => UsStatus::Asylee,
            890..=899 => UsStatus::Refugee,
            900..=979 => UsStatus::VisaHolder,
            _ => UsStatus::CitizenNaturalized,
        }
    };
    let site = US_SITES[i % US_SITES.len()];
    let admitted = date(2024, 10, 1).saturating_add(rng.gen_range(0..150).days());
    let languages = if nat == "US" {
        vec!["en".to_string()]
    } else if rng.gen_bool(0.03) {
        vec!["quc".to_string()]
    } else {
        vec!["es".to_string()]
    };
    let record = PersonRecord {
        id: format!("P-{:06}", i + 1),
        family_names: family,
        given_names: given,
        date_of_birth: Some(dob),
        sex: Some(if female { "F".into() } else { "M".into() }),
        country_of_birth: Some(cc(nat)),
        nationalities: vec![cc(nat)],
        us_status: Some(us_status),
        languages,
        identity_verified: rng.gen_bool(0.96),
    };
    let group = match nat {
        "SV" | "HN" | "GT" if rng.gen_bool(0.5) => Some(if rng.gen_bool(0.55) { "A" } else { "B" }),
        _ => None,
    };
    let document = format!("{:09}", rng.gen_range(0..1_000_000_000u64));
    let mut p = SimPerson {
        record,
        records: Vec::new(),
        site,
        admitted,
        group,
        document,
        flown: false,
    };
    legal_history(&mut sim.rng, &mut p, nat);
    p
}

fn legal_history(rng: &mut ChaCha8Rng, p: &mut SimPerson, nat: &str) {
    let before = |rng: &mut ChaCha8Rng, d: Date, max_days: i64| {
        d.saturating_sub(rng.gen_range(1..max_days.max(2)).days())
    };
    let home = cc(nat);
    let a = p.admitted;
    if nat != "US" {
        match rng.gen_range(0..100) {
            0..=89 => p.records.push(Record::RemovalOrder {
                date: before(rng, a, 700),
                is_final: true,
                countries: None,
            }),
            90..=94 => p.records.push(Record::RemovalOrder {
                date: before(rng, a, 200),
                is_final: false,
                countries: None,
            }),
            _ => {}
        }
    }
    if p.record.us_status == Some(UsStatus::CitizenNaturalized) && rng.gen_bool(0.3) {
        p.records.push(Record::Denaturalization {
            date: before(rng, a, 300),
            is_final: true,
        });
    }
    if rng.gen_bool(0.02) {
        p.records.push(Record::WithholdingOfRemoval {
            country: home,
            date: before(rng, a, 2000),
            terminated: false,
        });
    }
    if rng.gen_bool(0.01) {
        p.records.push(Record::CatProtection {
            country: home,
            date: before(rng, a, 2000),
            kind: CatKind::Deferral,
            terminated: false,
        });
    }
    if rng.gen_bool(0.015) {
        let issued = a.saturating_add(rng.gen_range(10..120).days());
        let expires = if rng.gen_bool(0.5) {
            Some(issued.saturating_add(14.days()))
        } else {
            None
        };
        p.records.push(Record::Stay {
            issued,
            expires,
            scope: StayScope::AllRemovals,
            country: None,
            class: None,
            district: None,
            court: None,
            docket: None,
        });
    }
    if rng.gen_bool(0.03) {
        p.records.push(Record::HabeasPetition {
            filed: a.saturating_add(rng.gen_range(5..100).days()),
            status: HabeasStatus::Pending,
        });
    }
    if rng.gen_bool(0.04) {
        let claim = a.saturating_add(rng.gen_range(1..60).days());
        p.records.push(Record::FearClaim {
            country: cc("SV"),
            date: claim,
        });
        if rng.gen_bool(0.6) {
            let outcome = if rng.gen_bool(0.3) {
                custodia_model::legal::ScreeningOutcome::Positive
            } else {
                custodia_model::legal::ScreeningOutcome::Negative
            };
            p.records.push(Record::FearScreening {
                country: cc("SV"),
                date: claim.saturating_add(rng.gen_range(3..20).days()),
                outcome,
            });
        }
    }
    if rng.gen_bool(0.3) || nat == "US" {
        let (offense, severity, violent) = *[
            ("illegal reentry", Severity::Felony, false),
            ("drug possession", Severity::Misdemeanor, false),
            ("aggravated assault", Severity::Felony, true),
            ("robbery", Severity::Felony, true),
            ("driving under the influence", Severity::Misdemeanor, false),
        ]
        .choose(rng)
        .unwrap_or(&("illegal reentry", Severity::Felony, false));
        p.records.push(Record::Conviction {
            date: before(rng, a, 1500),
            offense: offense.into(),
            severity,
            violent,
            sentence_months: Some(rng.gen_range(3..120)),
        });
    }
    // Third-country nationals sent to SV need notice; most get it in time.
    if nat != "SV" && nat != "US" && rng.gen_bool(0.85) {
        let lang = if rng.gen_bool(0.95) { "es" } else { "en" };
        p.records.push(Record::ThirdCountryNotice {
            country: cc("SV"),
            served: date(2025, 3, 1).saturating_add(rng.gen_range(0..200).days()),
            language: lang.into(),
        });
    }
    if nat == "VE" && rng.gen_bool(0.5) {
        p.records.push(Record::AeaDesignation {
            date: date(2025, 3, 14).saturating_add(rng.gen_range(0..30).days()),
        });
        if rng.gen_bool(0.7) {
            p.records.push(Record::AeaNotice {
                served: date(2025, 3, 14).saturating_add(rng.gen_range(0..60).days()),
                language: "es".into(),
            });
        }
    }
    if nat == "US" && rng.gen_bool(0.5) {
        p.records.push(Record::TransferConsent {
            country: cc("SV"),
            date: before(rng, a, 100),
            verified: None,
            withdrawn: false,
        });
    }
}

fn request(
    p: &SimPerson,
    on: Date,
    basis: Basis,
    facility: &str,
    adult_only: bool,
    dest: CountryCode,
) -> ScreeningRequest {
    ScreeningRequest {
        id: p.record.id.clone(),
        on,
        person: Person {
            id: p.record.id.clone(),
            given_names: Some(p.record.given_names.clone()),
            family_names: Some(p.record.family_names.clone()),
            date_of_birth: p.record.date_of_birth,
            country_of_birth: p.record.country_of_birth,
            nationalities: p.record.nationalities.clone(),
            us_status: p.record.us_status.unwrap_or(UsStatus::Undocumented),
            languages: p.record.languages.clone(),
            identity_verified: p.record.identity_verified,
            sex: p.record.sex.clone(),
        },
        records: p.records.iter().cloned().map(Into::into).collect(),
        transfer: Transfer {
            basis,
            destination_country: dest,
            facility: Some(Facility {
                id: facility.into(),
                adult_only,
            }),
        },
    }
}

/// Builds the world: the sites, the population, flight after flight until the CECOT-like
/// facility holds the scale's target, then the cases resolved and the rest released or
/// removed. Each step draws from the one generator in this order, so the order is the
/// determinism contract: reorder nothing.
pub fn build(seed: u64, scale: Scale) -> Vec<Batch> {
    let mut sim = Sim {
        rng: ChaCha8Rng::seed_from_u64(seed),
        batches: Vec::new(),
    };
    sites(&mut sim);
    let mut persons = population(&mut sim, scale);
    let mut cecot = Cecot::new();
    let mut open_cases: Vec<String> = Vec::new();
    let mut day = date(2025, 3, 15);
    let mut flight_no = 0u64;
    let mut next = 0usize;
    while cecot.held < scale.target_in_cecot() && next < persons.len() {
        flight_no += 1;
        let size = sim
            .rng
            .gen_range(100..=250)
            .min(scale.target_in_cecot() - cecot.held + 20);
        let end = (next + size).min(persons.len());
        let flight = Flight::new(flight_no, day, (next..end).collect());
        next = end;
        let screened = draft_and_screen(&mut sim, &persons, &flight);
        approve(&mut sim, &persons, &flight, &screened);
        let boarding: Vec<usize> = flight
            .passengers
            .iter()
            .copied()
            .filter(|i| !screened.blocked.contains(i))
            .collect();
        let mut evs = depart(&flight);
        let rec = intake_and_reconcile(&mut sim, &persons, &flight, &boarding, &mut evs);
        open_cases.extend(open_cases_for(&flight, &rec, &mut evs));
        evs.push(reconciled(&flight, &rec));
        let admitted =
            admit_and_place(&mut persons, &flight, &boarding, &rec, &mut cecot, &mut evs);
        sim.push(ts(day, 16, 30), evs);
        aftercare(&mut sim, &persons, &admitted, day);
        day = day.saturating_add(if scale == Scale::Cecot { 1 } else { 3 }.days());
    }
    resolve_some(&mut sim, &open_cases, day);
    release_or_remove(&mut sim, &persons, day);
    sim.batches
}

/// The sites and the agreement.
fn sites(sim: &mut Sim) {
    let start = date(2025, 1, 6);
    let setup: Vec<NewEvent> = facilities()
        .into_iter()
        .map(|f| {
            ev(
                ts(start, 9, 0),
                "admin:setup",
                EventData::FacilityRegistered(f),
            )
        })
        .chain(std::iter::once(ev(
            ts(date(2025, 3, 14), 12, 0),
            "admin:setup",
            EventData::AgreementRegistered(agreement()),
        )))
        .collect();
    sim.push(ts(start, 9, 5), setup);
}

/// Persons in US detention with their legal histories, registered in batches of 2,000 in
/// order of admission, and counsel for every 97th.
fn population(sim: &mut Sim, scale: Scale) -> Vec<SimPerson> {
    let mut persons: Vec<SimPerson> = (0..scale.persons()).map(|i| make_person(sim, i)).collect();
    persons.sort_by(|a, b| {
        a.admitted
            .cmp(&b.admitted)
            .then_with(|| a.record.id.cmp(&b.record.id))
    });
    for (chunk_no, chunk) in persons.chunks(2_000).enumerate() {
        let mut evs = Vec::new();
        for p in chunk {
            let at = ts(p.admitted, 10, 0);
            evs.push(ev(
                at,
                "import:us-registry",
                EventData::PersonRegistered(p.record.clone()),
            ));
            evs.push(ev(
                at,
                "sending_officer:intake",
                EventData::Admitted {
                    person_id: p.record.id.clone(),
                    facility_id: p.site.into(),
                    manifest_id: None,
                },
            ));
            for r in &p.records {
                evs.push(ev(
                    ts(r.date().min(p.admitted), 11, 0),
                    "import:court-records",
                    EventData::LegalRecordAdded {
                        person_id: p.record.id.clone(),
                        record: r.clone().into(),
                    },
                ));
            }
        }
        sim.push(
            ts(date(2025, 3, 10), 8, 0)
                .saturating_add(Span::new().minutes(chunk_no as i64))
                .unwrap_or(Timestamp::UNIX_EPOCH),
            evs,
        );
    }
    let counsel_evs = persons
        .iter()
        .step_by(97)
        .map(|p| {
            ev(
                ts(date(2025, 3, 12), 9, 0),
                "admin:setup",
                EventData::CounselAssigned {
                    person_id: p.record.id.clone(),
                    counsel: COUNSEL.into(),
                },
            )
        })
        .collect();
    sim.push(ts(date(2025, 3, 12), 9, 30), counsel_evs);
    persons
}

/// The cells of the CECOT-like facility and how many each holds, filled by pavilion group:
/// A in P1–P4, B in P5–P8.
struct Cecot {
    occupancy: BTreeMap<String, usize>,
    /// Persons placed so far.
    held: usize,
}

impl Cecot {
    fn new() -> Self {
        let mut occupancy = BTreeMap::new();
        for p in 1..=8 {
            for c in 1..=32 {
                occupancy.insert(format!("P{p}-C{c:02}"), 0);
            }
        }
        Self { occupancy, held: 0 }
    }

    /// The least occupied cell of the group's pavilions (the first by id among equals),
    /// counted as taken.
    fn place(&mut self, group: Option<&str>) -> String {
        let range = match group {
            Some("A") => 1..=4,
            Some(_) => 5..=8,
            None => 1..=8,
        };
        let cell = self
            .occupancy
            .iter()
            .filter(|(k, _)| {
                k.get(1..2)
                    .and_then(|p| p.parse::<u8>().ok())
                    .is_some_and(|p| range.contains(&p))
            })
            .min_by_key(|(k, v)| (**v, (*k).clone()))
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| "P1-C01".into());
        *self.occupancy.entry(cell.clone()).or_insert(0) += 1;
        self.held += 1;
        cell
    }
}

/// One flight to the CECOT-like facility: its manifest, as the application names it, and
/// the persons (indices into the population) put on it.
struct Flight {
    no: u64,
    manifest_id: String,
    code: String,
    day: Date,
    passengers: Vec<usize>,
}

impl Flight {
    fn new(no: u64, day: Date, passengers: Vec<usize>) -> Self {
        Self {
            no,
            manifest_id: ids::manifest_id(no),
            code: format!("CST{:04}", 100 + no),
            day,
            passengers,
        }
    }
}

/// Who the screening blocked and who it sent to review.
struct Screened {
    blocked: Vec<usize>,
    review: Vec<usize>,
}

/// Two days before departure: the manifest drafted with its passengers and each passenger
/// screened by the real rules engine as of the departure day.
fn draft_and_screen(sim: &mut Sim, persons: &[SimPerson], f: &Flight) -> Screened {
    let params = custodia_rules::Params::builtin();
    let mid = &f.manifest_id;
    let day = f.day;
    let created = ts(day.saturating_sub(2.days()), 9, 0);
    let from = f
        .passengers
        .first()
        .and_then(|&i| persons.get(i))
        .map_or(US_SITES[0], |p| p.site);
    let mut evs = vec![ev(
        created,
        OFFICER,
        EventData::ManifestCreated {
            manifest_id: mid.clone(),
            flight: f.code.clone(),
            from_facility: from.into(),
            to_facility: CECOT.into(),
            destination_country: cc("SV"),
            basis: Basis::Removal,
            departure_on: day,
        },
    )];
    for &i in &f.passengers {
        evs.push(ev(
            created,
            OFFICER,
            EventData::PassengerAdded {
                manifest_id: mid.clone(),
                person_id: persons[i].record.id.clone(),
            },
        ));
    }
    let mut screened = Screened {
        blocked: Vec::new(),
        review: Vec::new(),
    };
    for &i in &f.passengers {
        let p = &persons[i];
        let nat = p.nationality().unwrap_or_default();
        let basis = if nat == "US" {
            Basis::PrisonerTransfer
        } else if p
            .records
            .iter()
            .any(|r| matches!(r, Record::AeaDesignation { .. }))
        {
            Basis::AlienEnemiesAct
        } else {
            Basis::Removal
        };
        let d = custodia_rules::screen(&request(p, day, basis, CECOT, true, cc("SV")), params);
        let outcome = d.outcome.as_str().to_string();
        if outcome == "blocked" {
            screened.blocked.push(i);
        } else if outcome == "needs_review" {
            screened.review.push(i);
        }
        evs.push(ev(
            ts(day.saturating_sub(2.days()), 11, 0),
            "system:screening",
            EventData::ScreeningDecided {
                person_id: p.record.id.clone(),
                manifest_id: Some(mid.clone()),
                on: day,
                basis,
                destination_country: cc("SV"),
                facility_id: Some(CECOT.into()),
                outcome,
                rules_version: d.rules_version.clone(),
                findings: d
                    .findings
                    .iter()
                    .map(|f| FindingRecord {
                        rule: f.rule.as_str().into(),
                        effect: f.effect.as_str().into(),
                        citation: f.citation.to_string(),
                        detail: f.detail.clone(),
                    })
                    .collect(),
            },
        ));
    }
    sim.push(ts(day.saturating_sub(2.days()), 11, 5), evs);
    screened
}

/// The day before: blocked persons come off; the manifest is screened and approved by a
/// supervisor who did not create it, with a justification for each needs_review person.
fn approve(sim: &mut Sim, persons: &[SimPerson], f: &Flight, s: &Screened) {
    let mid = &f.manifest_id;
    let mut evs = Vec::new();
    let at = ts(f.day.saturating_sub(1.days()), 8, 0);
    for &i in &s.blocked {
        evs.push(ev(
            at,
            OFFICER,
            EventData::PassengerRemoved {
                manifest_id: mid.clone(),
                person_id: persons[i].record.id.clone(),
            },
        ));
    }
    evs.push(ev(
        at,
        OFFICER,
        EventData::ManifestScreened {
            manifest_id: mid.clone(),
        },
    ));
    let justifications = s
        .review
        .iter()
        .map(|&i| Justification {
            person_id: persons[i].record.id.clone(),
            text: "identity confirmed by fingerprint match; habeas counsel notified".into(),
        })
        .collect();
    evs.push(ev(
        ts(f.day.saturating_sub(1.days()), 15, 0),
        SUPERVISOR,
        EventData::ManifestApproved {
            manifest_id: mid.clone(),
            justifications,
        },
    ));
    sim.push(ts(f.day.saturating_sub(1.days()), 15, 1), evs);
}

/// The departure in the morning and the arrival before noon.
fn depart(f: &Flight) -> Vec<NewEvent> {
    vec![
        ev(
            ts(f.day, 6, 30),
            OFFICER,
            EventData::ManifestDeparted {
                manifest_id: f.manifest_id.clone(),
            },
        ),
        ev(
            ts(f.day, 11, 45),
            RECEIVING,
            EventData::ManifestArrived {
                manifest_id: f.manifest_id.clone(),
            },
        ),
    ]
}

/// The receiving side's own intake (most arrive, spelled its own way; now and then one is
/// not received, and now and then an unknown person is), then the real linkage engine's
/// reconciliation of the boarding list against it.
fn intake_and_reconcile(
    sim: &mut Sim,
    persons: &[SimPerson],
    f: &Flight,
    boarding: &[usize],
    evs: &mut Vec<NewEvent>,
) -> Reconciliation {
    let mut intake = Vec::new();
    let mut manifest_recs = Vec::new();
    for &i in boarding {
        let p = &persons[i];
        manifest_recs.push(link_record(&p.record.id, p));
        if sim.chance(0.004) {
            continue;
        }
        let rid = format!("I-{:04}-{:03}", f.no, intake.len() + 1);
        let fam = noise::intake_spelling(&mut sim.rng, &p.record.family_names);
        let giv = noise::intake_spelling(&mut sim.rng, &p.record.given_names);
        let doc = if sim.chance(0.2) {
            None
        } else {
            Some(p.document.clone())
        };
        intake.push(IntakeRecord {
            record_id: rid,
            family_names: fam,
            given_names: giv,
            date_of_birth: p.record.date_of_birth.map(|d| d.to_string()),
            sex: p.record.sex.clone(),
            nationality: p.nationality(),
            document_number: doc,
        });
    }
    if sim.chance(0.05) {
        let rid = format!("I-{:04}-{:03}", f.no, intake.len() + 1);
        intake.push(IntakeRecord {
            record_id: rid,
            family_names: "DESCONOCIDO".into(),
            given_names: "SIN NOMBRE".into(),
            date_of_birth: None,
            sex: Some("M".into()),
            nationality: None,
            document_number: None,
        });
    }
    for r in &intake {
        evs.push(ev(
            ts(f.day, 13, 0),
            RECEIVING,
            EventData::IntakeRecorded {
                facility_id: CECOT.into(),
                manifest_id: Some(f.manifest_id.clone()),
                record: r.clone(),
            },
        ));
    }
    let intake_recs: Vec<LinkRecord> = intake.iter().map(intake_link_record).collect();
    custodia_linkage::reconcile::reconcile(&manifest_recs, &intake_recs)
}

/// A case for every missing person, unexpected arrival and ambiguity, numbered per manifest
/// as the application numbers them; returns their ids.
fn open_cases_for(f: &Flight, rec: &Reconciliation, evs: &mut Vec<NewEvent>) -> Vec<String> {
    let code = &f.code;
    let mut opened: Vec<String> = Vec::new();
    let mut open = |kind: &str, subject: &str, detail: String| {
        let case_id = ids::case_id(&f.manifest_id, opened.len() as u64 + 1);
        evs.push(ev(
            ts(f.day, 14, 0),
            RECEIVING,
            EventData::CaseOpened {
                case_id: case_id.clone(),
                manifest_id: f.manifest_id.clone(),
                case_kind: kind.into(),
                subject_id: subject.into(),
                detail,
            },
        ));
        opened.push(case_id);
    };
    for m in &rec.missing_from_intake {
        open(
            "missing_from_intake",
            m,
            format!("{m} boarded {code} but no intake record matches"),
        );
    }
    for u in &rec.unexpected_in_intake {
        open(
            "unexpected_in_intake",
            u,
            format!("intake record {u} matches no passenger of {code}"),
        );
    }
    for r in &rec.needs_review {
        open(
            "needs_review",
            &r.manifest_id,
            format!(
                "{} has {} close intake candidates",
                r.manifest_id,
                r.candidates.len()
            ),
        );
    }
    opened
}

/// The reconciliation's counts.
fn reconciled(f: &Flight, rec: &Reconciliation) -> NewEvent {
    ev(
        ts(f.day, 14, 5),
        RECEIVING,
        EventData::ManifestReconciled {
            manifest_id: f.manifest_id.clone(),
            matched: rec.matches.len() as u32,
            missing: rec.missing_from_intake.len() as u32,
            unexpected: rec.unexpected_in_intake.len() as u32,
            review: rec.needs_review.len() as u32,
        },
    )
}

/// Admission of everyone matched, their gang-group separation, and a cell; returns who was
/// admitted.
fn admit_and_place(
    persons: &mut [SimPerson],
    f: &Flight,
    boarding: &[usize],
    rec: &Reconciliation,
    cecot: &mut Cecot,
    evs: &mut Vec<NewEvent>,
) -> Vec<usize> {
    let by_id: BTreeMap<&str, usize> = boarding
        .iter()
        .map(|&i| (persons[i].record.id.as_str(), i))
        .collect();
    let admitted: Vec<usize> = rec
        .matches
        .iter()
        .filter_map(|m| by_id.get(m.manifest_id.as_str()).copied())
        .collect();
    for &i in &admitted {
        let p = &mut persons[i];
        let pid = p.record.id.clone();
        evs.push(ev(
            ts(f.day, 15, 0),
            RECEIVING,
            EventData::Admitted {
                person_id: pid.clone(),
                facility_id: CECOT.into(),
                manifest_id: Some(f.manifest_id.clone()),
            },
        ));
        if let Some(g) = p.group {
            let other = if g == "A" { "B" } else { "A" };
            evs.push(ev(
                ts(f.day, 15, 30),
                RECEIVING,
                EventData::SeparationRecorded {
                    person_id: pid.clone(),
                    groups: vec![g.to_string()],
                    separate_from: vec![other.to_string()],
                    avoid_persons: vec![],
                },
            ));
        }
        let cell = cecot.place(p.group);
        evs.push(ev(
            ts(f.day, 16, 0),
            RECEIVING,
            EventData::Placed {
                person_id: pid,
                cell_id: cell,
            },
        ));
        p.flown = true;
    }
    admitted
}

/// Afterwards: family notification (Rule 68) for some, days late for many; open-air
/// exercise (Rule 23), visits (Rule 58), and now and then solitary (Rules 44–45).
fn aftercare(sim: &mut Sim, persons: &[SimPerson], admitted: &[usize], day: Date) {
    let mut evs = Vec::new();
    for &i in admitted {
        let pid = persons[i].record.id.clone();
        if sim.chance(0.55) {
            let delay = sim.rng.gen_range(1..(24 * 6));
            evs.push(ev(
                ts(day, 16, 0)
                    .saturating_add(Span::new().hours(delay))
                    .unwrap_or(Timestamp::UNIX_EPOCH),
                RECEIVING,
                EventData::FamilyNotified {
                    person_id: pid.clone(),
                    occasion: "admission".into(),
                },
            ));
        }
        if sim.chance(0.08) {
            for k in 1..=3 {
                let minutes = *[0u32, 0, 15, 30, 60].choose(&mut sim.rng).unwrap_or(&0);
                evs.push(ev(
                    ts(day.saturating_add(k.days()), 10, 0),
                    RECEIVING,
                    EventData::ExerciseRecorded {
                        person_id: pid.clone(),
                        on: day.saturating_add(k.days()),
                        minutes,
                    },
                ));
            }
        }
        if sim.chance(0.01) {
            evs.push(ev(
                ts(day.saturating_add(20.days()), 10, 0),
                RECEIVING,
                EventData::VisitRecorded {
                    person_id: pid.clone(),
                    on: day.saturating_add(20.days()),
                    visit_kind: "consular".into(),
                },
            ));
        }
        if sim.chance(0.005) {
            let from = day.saturating_add(3.days());
            evs.push(ev(
                ts(from, 9, 0),
                RECEIVING,
                EventData::SolitaryStarted {
                    person_id: pid.clone(),
                    on: from,
                },
            ));
            let len = sim.rng.gen_range(5..40);
            evs.push(ev(
                ts(from.saturating_add(len.days()), 9, 0),
                RECEIVING,
                EventData::SolitaryEnded {
                    person_id: pid,
                    on: from.saturating_add(len.days()),
                },
            ));
        }
    }
    sim.push(ts(day.saturating_add(1.days()), 9, 0), evs);
}

/// Some cases (every third) are resolved; the rest stay open for someone to answer for.
fn resolve_some(sim: &mut Sim, open_cases: &[String], day: Date) {
    let resolve: Vec<NewEvent> = open_cases
        .iter()
        .step_by(3)
        .map(|c| {
            ev(
                ts(day, 10, 0),
                "receiving_supervisor:cecot",
                EventData::CaseResolved {
                    case_id: c.clone(),
                    reason: "located at the facility's medical unit; intake record corrected"
                        .into(),
                },
            )
        })
        .collect();
    sim.push(ts(day, 10, 5), resolve);
}

/// Of those never flown, some are released and some removed to their own country.
fn release_or_remove(sim: &mut Sim, persons: &[SimPerson], day: Date) {
    let mut evs = Vec::new();
    for p in persons.iter().filter(|p| !p.flown) {
        let at = ts(day.saturating_add(2.days()), 12, 0);
        match sim.rng.gen_range(0..10) {
            0..=1 => evs.push(ev(
                at,
                "sending_officer:release",
                EventData::Released {
                    person_id: p.record.id.clone(),
                    facility_id: p.site.into(),
                },
            )),
            2 => evs.push(ev(
                at,
                OFFICER,
                EventData::Removed {
                    person_id: p.record.id.clone(),
                    country: p
                        .record
                        .nationalities
                        .first()
                        .copied()
                        .unwrap_or_else(|| cc("SV")),
                },
            )),
            _ => {}
        }
    }
    sim.push(ts(day.saturating_add(2.days()), 12, 5), evs);
}

fn link_record(id: &str, p: &SimPerson) -> LinkRecord {
    LinkRecord {
        record_id: id.into(),
        family_names: p.record.family_names.clone(),
        given_names: p.record.given_names.clone(),
        date_of_birth: p.record.date_of_birth,
        sex: p.record.sex.clone(),
        nationality: p.nationality(),
        document_number: Some(p.document.clone()),
        line: 0,
    }
}

fn intake_link_record(r: &IntakeRecord) -> LinkRecord {
    LinkRecord {
        record_id: r.record_id.clone(),
        family_names: r.family_names.clone(),
        given_names: r.given_names.clone(),
        date_of_birth: r.date_of_birth.as_deref().and_then(|d| d.parse().ok()),
        sex: r.sex.clone(),
        nationality: r.nationality.clone(),
        document_number: r.document_number.clone(),
        line: 0,
    }
}
