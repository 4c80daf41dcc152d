//! Properties of screening over random requests.
//!
//! Monotonicity (issue 3): adding a protection order, a stay, a fear claim or a pending habeas
//! petition never turns `blocked` or `needs_review` into `eligible`; removing a final order
//! never makes a removal eligible. (Adding *any* record is not monotone: a notice or a
//! consent can lift a block, so only these are tested.) Version 2: appending a record
//! version entered after `on` changes nothing at all. Each is checked in its stronger form:
//! the outcome's severity never decreases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia_model::legal::{
    Basis, CatKind, ClaimStatus, CountryCode, Facility, HabeasStatus, Person, Record,
    ReviewOutcome, ScreeningOutcome, ScreeningRequest, Severity, StayScope, Transfer, UsStatus,
    VersionedRecord,
};
use custodia_rules::{Decision, Outcome, Params, earliest_date, screen};
use jiff::civil::{Date, date};
use proptest::prelude::*;

const COUNTRIES: [&str; 5] = ["SV", "HN", "VE", "US", "GT"];

fn country() -> impl Strategy<Value = CountryCode> {
    prop::sample::select(COUNTRIES.to_vec()).prop_map(|c| CountryCode::new(c).unwrap())
}

/// A day of 2025, when `on` also falls, so records land before, on and after it.
fn day() -> impl Strategy<Value = Date> {
    (0i64..365).prop_map(|d| date(2025, 1, 1).saturating_add(jiff::Span::new().days(d)))
}

fn lang() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["es", "en"]).prop_map(str::to_owned)
}

fn protection() -> impl Strategy<Value = Record> {
    prop_oneof![
        (country(), day(), any::<bool>()).prop_map(|(country, date, terminated)| {
            Record::WithholdingOfRemoval {
                country,
                date,
                terminated,
            }
        }),
        (country(), day(), any::<bool>(), any::<bool>()).prop_map(
            |(country, date, w, terminated)| Record::CatProtection {
                country,
                date,
                kind: if w {
                    CatKind::Withholding
                } else {
                    CatKind::Deferral
                },
                terminated
            }
        ),
    ]
}

fn stay() -> impl Strategy<Value = Record> {
    (day(), prop::option::of(day()), 0u8..4, country()).prop_map(|(issued, expires, scope, c)| {
        let scope = match scope {
            0 => StayScope::AllRemovals,
            1 => StayScope::Country,
            2 => StayScope::Class,
            _ => StayScope::NoTransferOutOfDistrict,
        };
        Record::Stay {
            issued,
            expires,
            scope,
            country: (scope == StayScope::Country).then_some(c),
            class: (scope == StayScope::Class).then(|| "class".to_owned()),
            district: (scope == StayScope::NoTransferOutOfDistrict).then(|| "D. Mass.".to_owned()),
            court: None,
            docket: None,
        }
    })
}

fn fear_claim() -> impl Strategy<Value = Record> {
    (country(), day()).prop_map(|(country, date)| Record::FearClaim { country, date })
}

fn pending_habeas() -> impl Strategy<Value = Record> {
    day().prop_map(|filed| Record::HabeasPetition {
        filed,
        status: HabeasStatus::Pending,
    })
}

fn record() -> impl Strategy<Value = Record> {
    prop_oneof![
        3 => (day(), prop::bool::weighted(0.8), prop::option::weighted(0.2, prop::collection::vec(country(), 0..3)))
            .prop_map(|(date, is_final, countries)| Record::RemovalOrder { date, is_final, countries }),
        1 => (day(), any::<bool>()).prop_map(|(date, is_final)| Record::Denaturalization { date, is_final }),
        1 => protection(),
        1 => stay(),
        1 => (day(), prop::sample::select(vec![HabeasStatus::Pending, HabeasStatus::Denied, HabeasStatus::Granted]))
            .prop_map(|(filed, status)| Record::HabeasPetition { filed, status }),
        1 => (day(), any::<bool>()).prop_map(|(date, violent)| Record::Conviction {
            date, offense: "offense".into(), severity: Severity::Felony, violent, sentence_months: Some(12) }),
        1 => fear_claim(),
        1 => (country(), day(), any::<bool>()).prop_map(|(country, date, p)| Record::FearScreening {
            country, date, outcome: if p { ScreeningOutcome::Positive } else { ScreeningOutcome::Negative } }),
        2 => (country(), day(), lang()).prop_map(|(country, served, language)| Record::ThirdCountryNotice { country, served, language }),
        1 => day().prop_map(|date| Record::AeaDesignation { date }),
        1 => (day(), lang()).prop_map(|(served, language)| Record::AeaNotice { served, language }),
        1 => (country(), day(), prop::option::of(day()), prop::bool::weighted(0.2))
            .prop_map(|(country, date, verified, withdrawn)| Record::TransferConsent { country, date, verified, withdrawn }),
        1 => (day(), prop::sample::select(vec![ClaimStatus::Pending, ClaimStatus::Established, ClaimStatus::Rejected]))
            .prop_map(|(date, status)| Record::CitizenshipClaim { date, status }),
        1 => (country(), day(), any::<bool>()).prop_map(|(country, date, v)| Record::FearReview {
            country, date, outcome: if v { ReviewOutcome::Vacated } else { ReviewOutcome::Affirmed } }),
        1 => (country(), day()).prop_map(|(country, date)| Record::Acceptance { country, date }),
        1 => (country(), day(), any::<bool>()).prop_map(|(country, date, p)| Record::AcaThresholdScreening {
            country, date, outcome: if p { ScreeningOutcome::Positive } else { ScreeningOutcome::Negative } }),
    ]
}

/// A record version: sometimes one of two ids (so versions supersede each other), sometimes
/// an `as_of`.
fn version() -> impl Strategy<Value = VersionedRecord> {
    (
        record(),
        prop::option::weighted(0.3, prop::sample::select(vec!["A", "B"])),
        prop::option::weighted(0.3, day()),
    )
        .prop_map(|(record, id, as_of)| VersionedRecord::new(record, id.map(str::to_owned), as_of))
}

fn status() -> impl Strategy<Value = UsStatus> {
    prop_oneof![
        6 => Just(UsStatus::Undocumented),
        1 => prop::sample::select(vec![
            UsStatus::CitizenByBirth, UsStatus::CitizenNaturalized, UsStatus::NonCitizenNational,
            UsStatus::LawfulPermanentResident, UsStatus::Refugee, UsStatus::Asylee, UsStatus::VisaHolder,
            UsStatus::Parolee, UsStatus::Tps,
        ]),
    ]
}

fn request() -> impl Strategy<Value = ScreeningRequest> {
    let person = (
        prop::option::weighted(0.9, (1990i16..2015, 1i8..=12, 1i8..=28)),
        prop::bool::weighted(0.7),
        prop::collection::vec(country(), 0..2),
        status(),
        prop::collection::vec(lang(), 0..2),
        prop::bool::weighted(0.85),
    );
    let transfer = (
        prop::sample::select(vec![
            Basis::Removal,
            Basis::Removal,
            Basis::AlienEnemiesAct,
            Basis::PrisonerTransfer,
            Basis::AsylumCooperative,
        ]),
        country(),
        prop::option::of((prop::sample::select(vec!["CECOT", "OTHER"]), any::<bool>())),
    );
    (
        day(),
        person,
        transfer,
        prop::collection::vec(version(), 0..8),
    )
        .prop_map(
            |(
                on,
                (dob, national, mut nationalities, us_status, languages, identity_verified),
                (basis, to, facility),
                records,
            )| {
                if national {
                    nationalities.push(to);
                }
                ScreeningRequest {
                    id: "prop".into(),
                    on,
                    person: Person {
                        id: "P".into(),
                        given_names: None,
                        family_names: None,
                        date_of_birth: dob.map(|(y, m, d)| date(y, m, d)),
                        country_of_birth: None,
                        nationalities,
                        us_status,
                        languages,
                        identity_verified,
                        sex: None,
                    },
                    records,
                    transfer: Transfer {
                        basis,
                        destination_country: to,
                        facility: facility.map(|(id, adult_only)| Facility {
                            id: id.into(),
                            adult_only,
                        }),
                    },
                }
            },
        )
}

fn decide(req: &ScreeningRequest) -> Decision {
    screen(req, Params::builtin())
}

/// The stated property, and the stronger one: the outcome never gets less severe.
fn not_weaker(before: &Decision, after: &Decision) -> Result<(), TestCaseError> {
    prop_assert!(
        !(before.outcome != Outcome::Eligible && after.outcome == Outcome::Eligible),
        "{:?} became eligible",
        before.outcome
    );
    prop_assert!(
        after.outcome >= before.outcome,
        "{:?} -> {:?}",
        before.outcome,
        after.outcome
    );
    Ok(())
}

fn added(mut req: ScreeningRequest, at: usize, r: Record) -> ScreeningRequest {
    let at = at % (req.records.len() + 1);
    req.records.insert(at, r.into());
    req
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn adding_a_protection_order_never_helps(req in request(), r in protection(), at in any::<usize>()) {
        not_weaker(&decide(&req), &decide(&added(req.clone(), at, r)))?;
    }

    #[test]
    fn adding_a_stay_never_helps(req in request(), r in stay(), at in any::<usize>()) {
        not_weaker(&decide(&req), &decide(&added(req.clone(), at, r)))?;
    }

    #[test]
    fn adding_a_fear_claim_never_helps(req in request(), r in fear_claim(), at in any::<usize>()) {
        not_weaker(&decide(&req), &decide(&added(req.clone(), at, r)))?;
    }

    #[test]
    fn adding_a_pending_habeas_petition_never_helps(req in request(), r in pending_habeas(), at in any::<usize>()) {
        not_weaker(&decide(&req), &decide(&added(req.clone(), at, r)))?;
    }

    #[test]
    fn removing_a_final_order_never_makes_a_removal_eligible(mut req in request(), which in any::<usize>(), on_or_before in any::<bool>()) {
        req.transfer.basis = Basis::Removal;
        // Make sure there is a final order to remove, sometimes one that exists on `on`.
        let d = if on_or_before { req.on } else { req.on.saturating_add(jiff::Span::new().days(1)) };
        req.records.push(Record::RemovalOrder { date: d, is_final: true, countries: None }.into());
        // Version 2: an order that designates countries can make D a third country, so
        // removing it can lift `third-country`; removing one that designates none cannot
        // help (it can only leave an older, designating order as the final one).
        let finals: Vec<usize> = req.records.iter().enumerate()
            .filter(|(_, r)| matches!(&r.record, Record::RemovalOrder { is_final: true, countries, .. } if countries.as_ref().is_none_or(|c| c.is_empty())))
            .map(|(i, _)| i)
            .collect();
        let i = finals[which % finals.len()];
        let before = decide(&req);
        let mut less = req.clone();
        less.records.remove(i);
        not_weaker(&before, &decide(&less))?;
    }

    #[test]
    fn a_version_entered_after_on_changes_nothing(
        req in request(), r in record(), id in prop::option::of(prop::sample::select(vec!["A", "B"])),
        later in 1i64..400, at in any::<usize>(),
    ) {
        let as_of = req.on.saturating_add(jiff::Span::new().days(later));
        let v = VersionedRecord::new(r, id.map(str::to_owned), Some(as_of));
        let mut more = req.clone();
        let at = at % (more.records.len() + 1);
        more.records.insert(at, v);
        prop_assert_eq!(decide(&req), decide(&more));
        prop_assert_eq!(earliest_date(&req, Params::builtin()), earliest_date(&more, Params::builtin()));
    }

    #[test]
    fn earliest_date_is_consistent(req in request()) {
        let d = decide(&req);
        let e = earliest_date(&req, Params::builtin());
        if d.outcome != Outcome::Blocked {
            prop_assert_eq!(e, Some(req.on));
        }
        if let Some(e) = e {
            prop_assert!(e >= req.on);
            // Only the rules with a waiting period can leave a date.
            for f in d.findings.iter().filter(|f| f.effect == custodia_rules::Effect::Blocked) {
                prop_assert!(matches!(f.rule.as_str(), "third-country" | "alien-enemies" | "fear"), "{:#?}", f);
            }
        }
    }

    /// `earliest_date` is exact: screening day by day with the same records, a waiting
    /// finding remains on every day before it and none on it (records all dated on or
    /// before `on`, so moving `on` forward adds none).
    #[test]
    fn earliest_date_matches_screening_day_by_day(mut req in request()) {
        let on = req.on;
        req.records.retain(|v| v.record.date() <= on);
        for v in &mut req.records {
            v.as_of = None;
        }
        let waiting = |d: &Decision| d.findings.iter().any(|f| {
            f.effect == custodia_rules::Effect::Blocked
                && (matches!(f.rule.as_str(), "third-country" | "fear")
                    || (f.rule.as_str() == "alien-enemies" && f.detail.starts_with("(e)")))
        });
        if let Some(e) = earliest_date(&req, Params::builtin()) {
            let mut day = req.clone();
            let mut d = on;
            while d < e && d < on.saturating_add(jiff::Span::new().days(60)) {
                day.on = d;
                prop_assert!(waiting(&decide(&day)), "lawful on {d}, before {e}");
                d = d.tomorrow().unwrap();
            }
            day.on = e;
            prop_assert!(!waiting(&decide(&day)), "still waiting on {e}: {:#?}", decide(&day));
        }
    }

    #[test]
    fn decisions_are_consistent(req in request()) {
        let d = decide(&req);
        let max = d.findings.iter().map(|f| f.effect.outcome()).max().unwrap_or(Outcome::Eligible);
        prop_assert_eq!(d.outcome, max);
        prop_assert!(d.findings.windows(2).all(|w| w[0].rule <= w[1].rule), "findings out of table order");
        prop_assert_eq!(&d, &decide(&req));
        // The request survives its own wire format.
        let back: ScreeningRequest = serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        prop_assert_eq!(&back, &req);
    }
}

/// The generator reaches every outcome, so the properties above are not vacuous.
#[test]
fn generator_reaches_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..2000 {
        let req = request().new_tree(&mut runner).unwrap().current();
        *seen.entry(decide(&req).outcome).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[&Outcome::Eligible] >= 20, "{seen:?}");
}
