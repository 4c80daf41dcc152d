//! A seeded generator of synthetic screening requests (no real person's data), shared by the
//! benchmark examples. The mix is meant to look like a day's caseload: mostly removals of
//! nationals with final orders, some third-country and Alien Enemies Act transfers, some
//! prisoner transfers, and protection, stays, habeas and fear claims here and there. Version
//! 2 records too: citizenship claims, fear reviews, acceptances, asylum cooperative transfers
//! with threshold screenings, verified consents, class and district stays, and records in
//! several versions (`id`, `as_of`).

use custodia_model::legal::{
    Basis, CatKind, ClaimStatus, CountryCode, Facility, HabeasStatus, Person, Record,
    ReviewOutcome, ScreeningOutcome, ScreeningRequest, Severity, StayScope, Transfer, UsStatus,
    VersionedRecord,
};
use jiff::civil::{Date, date};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

const GIVEN: [&str; 12] = [
    "José Luis",
    "Kevin",
    "Ana Sofía",
    "Mario",
    "Anderson",
    "Nelson",
    "Fabián",
    "Luis Ángel",
    "Jairo",
    "Wilmer",
    "Yeison",
    "Óscar",
];
const FAMILY: [&str; 12] = [
    "Martínez Hernández",
    "Arévalo Guzmán",
    "Reyes Portillo",
    "Quintanilla",
    "Herrera Rondón",
    "Javier Albornoz",
    "Jesús Carrizales",
    "Paz Mejía",
    "Rivas Benítez",
    "Chávez Rivas",
    "Márquez",
    "Ramírez Lemus",
];
const NATIONALITIES: [(&str, u32); 7] = [
    ("SV", 40),
    ("VE", 20),
    ("HN", 15),
    ("GT", 10),
    ("CO", 5),
    ("MX", 5),
    ("US", 5),
];

fn cc(s: &str) -> CountryCode {
    CountryCode::new(s).unwrap_or_else(|_| unreachable!("constant country codes are valid"))
}

fn days(d: Date, n: i64) -> Date {
    d.saturating_add(jiff::Span::new().days(n))
}

fn pick_weighted(rng: &mut ChaCha8Rng) -> &'static str {
    let total: u32 = NATIONALITIES.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total);
    for (c, w) in NATIONALITIES {
        if x < w {
            return c;
        }
        x -= w;
    }
    "SV"
}

/// Request number `i` drawn from `rng`.
#[allow(
    dead_code,
    reason = "bench_engine calls it; gen_requests calls request_with"
)]
pub fn request(rng: &mut ChaCha8Rng, i: usize) -> ScreeningRequest {
    request_with(rng, i, 0)
}

/// Request number `i`, with `extra` more records: versions of habeas petitions, notices in
/// other languages, fear claims and screenings, stays that expired (a long legal history).
pub fn request_with(rng: &mut ChaCha8Rng, i: usize, extra: usize) -> ScreeningRequest {
    let on = days(date(2025, 3, 1), rng.gen_range(0..300));
    let nat = pick_weighted(rng);
    let us_status = if nat == "US" {
        UsStatus::CitizenByBirth
    } else if rng.gen_bool(0.88) {
        UsStatus::Undocumented
    } else {
        *[
            UsStatus::LawfulPermanentResident,
            UsStatus::Tps,
            UsStatus::Parolee,
            UsStatus::CitizenNaturalized,
            UsStatus::Asylee,
        ]
        .choose(rng)
        .unwrap_or(&UsStatus::Undocumented)
    };
    let basis = match rng.gen_range(0..100) {
        0..73 => Basis::Removal,
        73..88 => Basis::AlienEnemiesAct,
        88..97 => Basis::PrisonerTransfer,
        _ => Basis::AsylumCooperative,
    };
    let to = if nat != "US" && rng.gen_bool(0.7) {
        nat
    } else {
        "SV"
    };
    let facility = match rng.gen_range(0..10) {
        0..6 => Some(Facility {
            id: "CECOT".into(),
            adult_only: true,
        }),
        6 => Some(Facility {
            id: "IZALCO".into(),
            adult_only: false,
        }),
        _ => None,
    };
    let dob = if rng.gen_bool(0.97) {
        Some(days(date(1960, 1, 1), rng.gen_range(0..18_000)))
    } else {
        None
    };
    let mut records: Vec<VersionedRecord> = Vec::new();
    let before = |rng: &mut ChaCha8Rng, max: i64| days(on, -rng.gen_range(0..max));
    if basis == Basis::Removal || rng.gen_bool(0.3) {
        records.push(
            Record::RemovalOrder {
                date: before(rng, 700),
                is_final: rng.gen_bool(0.93),
                countries: if rng.gen_bool(0.05) {
                    Some(vec![cc(to), cc("HN")])
                } else {
                    None
                },
            }
            .into(),
        );
    }
    if to != nat && rng.gen_bool(0.75) {
        records.push(VersionedRecord::from(Record::ThirdCountryNotice {
            country: cc(to),
            served: before(rng, 40),
            language: "es".into(),
        }));
    }
    if basis == Basis::AlienEnemiesAct {
        records.push(VersionedRecord::from(Record::AeaDesignation {
            date: before(rng, 60),
        }));
        if rng.gen_bool(0.8) {
            records.push(VersionedRecord::from(Record::AeaNotice {
                served: before(rng, 60),
                language: "es".into(),
            }));
        }
    }
    if basis == Basis::PrisonerTransfer || rng.gen_bool(0.1) {
        records.push(VersionedRecord::from(Record::Conviction {
            date: before(rng, 3000),
            offense: "robbery".into(),
            severity: Severity::Felony,
            violent: rng.gen_bool(0.5),
            sentence_months: Some(rng.gen_range(6..240)),
        }));
        if rng.gen_bool(0.8) {
            let date = before(rng, 90);
            let verified = rng.gen_bool(0.85).then(|| days(date, rng.gen_range(0..10)));
            records.push(VersionedRecord::from(Record::TransferConsent {
                country: cc(to),
                date,
                verified,
                withdrawn: rng.gen_bool(0.05),
            }));
        }
    }
    if rng.gen_bool(0.04) {
        records.push(VersionedRecord::from(Record::WithholdingOfRemoval {
            country: cc(to),
            date: before(rng, 2000),
            terminated: rng.gen_bool(0.2),
        }));
    }
    if rng.gen_bool(0.02) {
        records.push(VersionedRecord::from(Record::CatProtection {
            country: cc(to),
            date: before(rng, 2000),
            kind: CatKind::Deferral,
            terminated: false,
        }));
    }
    if rng.gen_bool(0.04) {
        let issued = before(rng, 60);
        let expires = if rng.gen_bool(0.5) {
            Some(days(issued, rng.gen_range(1..90)))
        } else {
            None
        };
        records.push(VersionedRecord::from(Record::Stay {
            issued,
            expires,
            scope: StayScope::AllRemovals,
            country: None,
            class: None,
            district: None,
            court: Some("D. Mass.".into()),
            docket: None,
        }));
    }
    if rng.gen_bool(0.05) {
        let status = *[HabeasStatus::Pending, HabeasStatus::Denied]
            .choose(rng)
            .unwrap_or(&HabeasStatus::Pending);
        records.push(VersionedRecord::from(Record::HabeasPetition {
            filed: before(rng, 60),
            status,
        }));
    }
    if rng.gen_bool(0.05) {
        let claimed = before(rng, 60);
        records.push(VersionedRecord::from(Record::FearClaim {
            country: cc(to),
            date: claimed,
        }));
        if rng.gen_bool(0.6) {
            let outcome = if rng.gen_bool(0.3) {
                ScreeningOutcome::Positive
            } else {
                ScreeningOutcome::Negative
            };
            let screened = days(claimed, rng.gen_range(0..20));
            records.push(VersionedRecord::from(Record::FearScreening {
                country: cc(to),
                date: screened,
                outcome,
            }));
            if outcome == ScreeningOutcome::Negative && rng.gen_bool(0.5) {
                records.push(VersionedRecord::from(Record::FearReview {
                    country: cc(to),
                    date: days(screened, rng.gen_range(1..10)),
                    outcome: if rng.gen_bool(0.8) {
                        ReviewOutcome::Affirmed
                    } else {
                        ReviewOutcome::Vacated
                    },
                }));
            }
        }
    }
    if rng.gen_bool(0.01) {
        let district = rng.gen_bool(0.5);
        records.push(VersionedRecord::from(Record::Stay {
            issued: before(rng, 60),
            expires: None,
            scope: if district {
                StayScope::NoTransferOutOfDistrict
            } else {
                StayScope::Class
            },
            country: None,
            class: (!district).then(|| "Venezuelans designated under Proclamation 10903".into()),
            district: district.then(|| "S.D. Tex.".into()),
            court: Some("S.D. Tex.".into()),
            docket: Some("1:25-cv-59".into()),
        }));
    }
    if rng.gen_bool(0.03) {
        let status = *[
            ClaimStatus::Pending,
            ClaimStatus::Rejected,
            ClaimStatus::Established,
        ]
        .choose(rng)
        .unwrap_or(&ClaimStatus::Pending);
        records.push(VersionedRecord::from(Record::CitizenshipClaim {
            date: before(rng, 200),
            status,
        }));
    }
    if basis == Basis::AsylumCooperative {
        records.push(VersionedRecord::from(Record::AcaThresholdScreening {
            country: cc(to),
            date: before(rng, 30),
            outcome: if rng.gen_bool(0.8) {
                ScreeningOutcome::Negative
            } else {
                ScreeningOutcome::Positive
            },
        }));
    }
    if to != nat && facility.is_none() && rng.gen_bool(0.5) {
        records.push(VersionedRecord::from(Record::Acceptance {
            country: cc(to),
            date: before(rng, 30),
        }));
    }
    // A habeas petition in two versions: filed pending, later denied (or granted).
    if rng.gen_bool(0.04) {
        let filed = before(rng, 90);
        let id = format!("H-{i}");
        records.push(VersionedRecord::new(
            Record::HabeasPetition {
                filed,
                status: HabeasStatus::Pending,
            },
            Some(id.clone()),
            None,
        ));
        records.push(VersionedRecord::new(
            Record::HabeasPetition {
                filed,
                status: HabeasStatus::Denied,
            },
            Some(id),
            Some(days(filed, rng.gen_range(1..60))),
        ));
    }
    for k in 0..extra {
        let id = format!("X-{}", k / 3);
        let v = match k % 6 {
            0 => VersionedRecord::new(
                Record::HabeasPetition {
                    filed: before(rng, 3000),
                    status: HabeasStatus::Pending,
                },
                Some(id),
                None,
            ),
            1 => VersionedRecord::new(
                Record::HabeasPetition {
                    filed: before(rng, 3000),
                    status: HabeasStatus::Denied,
                },
                Some(id),
                Some(before(rng, 30)),
            ),
            2 => Record::ThirdCountryNotice {
                country: cc(to),
                served: before(rng, 9),
                language: "en".into(),
            }
            .into(),
            3 => Record::FearClaim {
                country: cc(to),
                date: before(rng, 3000),
            }
            .into(),
            4 => Record::FearScreening {
                country: cc(to),
                date: before(rng, 3000),
                outcome: ScreeningOutcome::Negative,
            }
            .into(),
            _ => VersionedRecord::new(
                Record::FearReview {
                    country: cc(to),
                    date: before(rng, 3000),
                    outcome: ReviewOutcome::Affirmed,
                },
                Some(format!("R-{k}")),
                None,
            ),
        };
        records.push(v);
    }
    ScreeningRequest {
        id: format!("req-{i:07}"),
        on,
        person: Person {
            id: format!("P-{i:07}"),
            given_names: GIVEN.choose(rng).map(|s| (*s).to_owned()),
            family_names: FAMILY.choose(rng).map(|s| (*s).to_owned()),
            date_of_birth: dob,
            country_of_birth: Some(cc(nat)),
            nationalities: vec![cc(nat)],
            us_status,
            languages: vec!["es".into()],
            identity_verified: rng.gen_bool(0.92),
            sex: None,
        },
        records,
        transfer: Transfer {
            basis,
            destination_country: cc(to),
            facility,
        },
    }
}
