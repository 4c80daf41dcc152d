//! The departure gate as a property (issue 12): whatever random sequence of manifest actions,
//! record entries, clock moves and removals, by whatever random actors, no person whose
//! screening on the departure day would be `blocked` ever ends up `departed` or `removed`.
//!
//! The check is independent of the gate: after every successful departure the test screens
//! each passenger itself, with the rules engine, on the clock's date and the records then in
//! the store; and at the end, every removed person must have left on such a departure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::{cc, facility};
use custodia_app::custody::{self, Change};
use custodia_app::manifests::{self, NewManifest};
use custodia_app::records::{self, Entry, Subject};
use custodia_app::screening::{Proposal, request_now};
use custodia_app::{Actor, Role};
use custodia_model::clock::ManualClock;
use custodia_model::events::{CustodyStatus, EventData, Justification, NewEvent, PersonRecord};
use custodia_model::legal::{Basis, Record, UsStatus};
use custodia_rules::{Outcome, Params};
use custodia_store::{OpenOptions, Store};
use proptest::prelude::*;

const PERSONS: usize = 5;

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

/// A fresh store: a US site, CECOT, and five persons of varied standing.
fn world(dir: &std::path::Path, clock: Arc<ManualClock>) -> Store {
    let mut s = Store::open(
        dir.join("s.db").to_str().unwrap(),
        OpenOptions {
            key_path: Some(dir.join("s.key")),
            clock,
        },
    )
    .unwrap();
    let ev = |data| NewEvent {
        occurred_at: at("2025-05-01T00:00:00Z"),
        actor: "admin:root".into(),
        data,
    };
    let mut batch = vec![
        ev(facility("US-1", "US", false)),
        ev(facility("CECOT", "SV", true)),
    ];
    for i in 0..PERSONS {
        let id = format!("P-{i}");
        let (dob, status) = match i {
            0 => ("1990-01-01", UsStatus::Undocumented),
            1 => ("2012-03-03", UsStatus::Undocumented), // a child
            2 => ("1985-05-05", UsStatus::CitizenByBirth),
            3 => ("1979-07-07", UsStatus::Refugee),
            _ => ("1995-09-09", UsStatus::Undocumented),
        };
        batch.push(ev(EventData::PersonRegistered(PersonRecord {
            id: id.clone(),
            family_names: format!("Family{i}"),
            given_names: format!("Given{i}"),
            date_of_birth: Some(dob.parse().unwrap()),
            sex: Some("M".into()),
            country_of_birth: Some(cc("SV")),
            nationalities: vec![cc("SV")],
            us_status: Some(status),
            languages: vec!["es".into()],
            identity_verified: i != 4,
        })));
        batch.push(ev(EventData::CustodyReported {
            person_id: id.clone(),
            facility_id: Some("US-1".into()),
            status: CustodyStatus::InCustody,
        }));
        batch.push(ev(EventData::LegalRecordAdded {
            person_id: id,
            record: Record::RemovalOrder {
                date: "2025-01-01".parse().unwrap(),
                is_final: true,
                countries: None,
            }
            .into(),
        }));
    }
    s.append(batch).unwrap();
    s
}

#[derive(Debug, Clone)]
enum Op {
    Create {
        who: usize,
        days_ahead: u8,
    },
    Add {
        who: usize,
        person: usize,
    },
    Remove {
        who: usize,
        person: usize,
    },
    Screen {
        who: usize,
    },
    Approve {
        who: usize,
    },
    Depart {
        who: usize,
    },
    Record {
        who: usize,
        person: usize,
        kind: u8,
        days_back: u8,
    },
    Advance {
        days: u8,
    },
    RemoveCustody {
        who: usize,
        person: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..6usize, 0..4u8).prop_map(|(who, days_ahead)| Op::Create { who, days_ahead }),
        4 => (0..6usize, 0..PERSONS).prop_map(|(who, person)| Op::Add { who, person }),
        1 => (0..6usize, 0..PERSONS).prop_map(|(who, person)| Op::Remove { who, person }),
        3 => (0..6usize).prop_map(|who| Op::Screen { who }),
        3 => (0..6usize).prop_map(|who| Op::Approve { who }),
        3 => (0..6usize).prop_map(|who| Op::Depart { who }),
        3 => (0..6usize, 0..PERSONS, 0..7u8, 0..5u8)
            .prop_map(|(who, person, kind, days_back)| Op::Record { who, person, kind, days_back }),
        1 => (0..4u8).prop_map(|days| Op::Advance { days }),
        1 => (0..6usize, 0..PERSONS).prop_map(|(who, person)| Op::RemoveCustody { who, person }),
    ]
}

/// A round: the life of one manifest, each step present or not, each actor drawn with a
/// bias towards the one who may act (so departures happen) but any actor possible (so the
/// refusals do too), with records entered and the clock moved at random points.
fn round() -> impl Strategy<Value = Vec<Op>> {
    let officer = prop_oneof![4 => Just(0usize), 4 => Just(3usize), 1 => 0..6usize];
    let approver = prop_oneof![6 => Just(2usize), 1 => Just(1usize), 1 => 0..6usize];
    let noise = || prop::collection::vec(op(), 0..3);
    (
        (officer.clone(), prop_oneof![3 => Just(0u8), 1 => 0..3u8]),
        prop::collection::vec((officer.clone(), 0..PERSONS), 1..4),
        noise(),
        officer.clone(),
        noise(),
        approver,
        noise(),
        officer.clone(),
        prop::collection::vec((officer, 0..PERSONS), 0..2),
    )
        .prop_map(|((cw, ahead), adds, n1, sw, n2, aw, n3, dw, removes)| {
            let mut v = vec![Op::Create {
                who: cw,
                days_ahead: ahead,
            }];
            v.extend(
                adds.into_iter()
                    .map(|(who, person)| Op::Add { who, person }),
            );
            v.extend(n1);
            v.push(Op::Screen { who: sw });
            v.extend(n2);
            v.push(Op::Approve { who: aw });
            v.extend(n3);
            v.push(Op::Depart { who: dw });
            v.extend(
                removes
                    .into_iter()
                    .map(|(who, person)| Op::RemoveCustody { who, person }),
            );
            v
        })
}

fn script() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(round(), 1..4).prop_map(|rs| rs.into_iter().flatten().collect())
}

/// Six actors: two names under several roles, so the two-person rule is exercised by name.
fn actor(i: usize) -> Actor {
    let (role, name) = [
        (Role::SendingOfficer, "ana"),
        (Role::SendingSupervisor, "ana"),
        (Role::SendingSupervisor, "rene"),
        (Role::SendingOfficer, "luis"),
        (Role::ReceivingOfficer, "sv"),
        (Role::Counsel, "maria"),
    ][i % 6];
    Actor::new(role, name)
}

fn record(kind: u8, day: jiff::civil::Date) -> Record {
    let json = match kind {
        0 => format!(r#"{{"type":"stay","issued":"{day}","scope":"all_removals"}}"#),
        1 => format!(r#"{{"type":"withholding_of_removal","country":"SV","date":"{day}"}}"#),
        2 => format!(r#"{{"type":"habeas_petition","filed":"{day}","status":"pending"}}"#),
        3 => format!(r#"{{"type":"fear_claim","country":"SV","date":"{day}"}}"#),
        4 => format!(r#"{{"type":"stay","issued":"{day}","scope":"country","country":"GT"}}"#),
        5 => format!(
            r#"{{"type":"stay","issued":"{day}","expires":"{day}","scope":"all_removals"}}"#
        ),
        _ => format!(
            r#"{{"type":"fear_screening","country":"SV","date":"{day}","outcome":"negative"}}"#
        ),
    };
    serde_json::from_str(&json).unwrap()
}

fn today(clock: &ManualClock) -> jiff::civil::Date {
    use custodia_model::clock::Clock;
    clock.now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// Independently screens every passenger of a manifest that just departed.
fn assert_none_blocked(s: &mut Store, clock: &ManualClock, passengers: &[String]) {
    for pid in passengers {
        let p = Proposal {
            person_id: pid.clone(),
            basis: Basis::Removal,
            destination_country: cc("SV"),
            facility_id: Some("CECOT".into()),
            on: today(clock),
            manifest_id: None,
        };
        let req = request_now(s, &p).unwrap();
        let d = custodia_rules::screen(&req, Params::builtin());
        assert_ne!(
            d.outcome,
            Outcome::Blocked,
            "{pid} departed while blocked: {d:?}"
        );
    }
}

/// What a run did: successful departures and refused ones (so the property is not vacuous).
#[derive(Default)]
struct Seen {
    departed: usize,
    refused: usize,
    removed: usize,
}

fn run(ops: &[Op]) -> Seen {
    let mut seen = Seen::default();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(at("2025-06-01T12:00:00Z")));
    let mut s = world(dir.path(), clock.clone());
    let params = Params::builtin();
    let mut current: Option<String> = None;
    let mut departed_ok: BTreeSet<String> = BTreeSet::new();
    let mut passengers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for op in ops {
        match op {
            Op::Create { who, days_ahead } => {
                let dep = today(&clock)
                    .checked_add(jiff::Span::new().days(i64::from(*days_ahead)))
                    .unwrap();
                if let Ok(id) = manifests::create(
                    &mut s,
                    &actor(*who),
                    &NewManifest {
                        flight: "F1".into(),
                        from_facility: "US-1".into(),
                        to_facility: "CECOT".into(),
                        destination_country: cc("SV"),
                        basis: Basis::Removal,
                        departure_on: dep,
                    },
                ) {
                    current = Some(id);
                }
            }
            Op::Add { who, person } | Op::Remove { who, person } => {
                let Some(m) = &current else { continue };
                let pid = format!("P-{person}");
                let add = matches!(op, Op::Add { .. });
                let r = if add {
                    manifests::add_passenger(&mut s, &actor(*who), m, &pid)
                } else {
                    manifests::remove_passenger(&mut s, &actor(*who), m, &pid)
                };
                if r.is_ok() {
                    let set = passengers.entry(m.clone()).or_default();
                    if add {
                        set.insert(pid);
                    } else {
                        set.remove(&pid);
                    }
                }
            }
            Op::Screen { who } => {
                if let Some(m) = &current {
                    let _ = manifests::screen(&mut s, &actor(*who), m, params);
                }
            }
            Op::Approve { who } => {
                let Some(m) = &current else { continue };
                // Justify every passenger: the gate must still stop anyone blocked.
                let js: Vec<Justification> = passengers
                    .get(m)
                    .into_iter()
                    .flatten()
                    .map(|p| Justification {
                        person_id: p.clone(),
                        text: "reviewed".into(),
                    })
                    .collect();
                let _ = manifests::approve(&mut s, &actor(*who), m, &js);
            }
            Op::Depart { who } => {
                let Some(m) = &current else { continue };
                match manifests::depart(&mut s, &actor(*who), m, params) {
                    Ok(_) => {
                        let on: Vec<String> =
                            passengers.get(m).into_iter().flatten().cloned().collect();
                        assert_none_blocked(&mut s, &clock, &on);
                        departed_ok.extend(on);
                        seen.departed += 1;
                        current = None;
                    }
                    Err(custodia_app::AppError::DepartureRefused(_)) => seen.refused += 1,
                    Err(_) => {}
                }
            }
            Op::Record {
                who,
                person,
                kind,
                days_back,
            } => {
                let day = today(&clock)
                    .checked_sub(jiff::Span::new().days(i64::from(*days_back)))
                    .unwrap();
                let _ = records::enter(
                    &mut s,
                    &actor(*who),
                    &[Entry {
                        at: "test".into(),
                        subject: Subject::Person(format!("P-{person}")),
                        record: record(*kind, day).into(),
                    }],
                );
            }
            Op::Advance { days } => clock.advance(i64::from(*days) * 86_400),
            Op::RemoveCustody { who, person } => {
                let pid = format!("P-{person}");
                if custody::record(
                    &mut s,
                    &actor(*who),
                    &pid,
                    Change::Remove { country: cc("SV") },
                    None,
                )
                .is_ok()
                {
                    assert!(
                        departed_ok.contains(&pid),
                        "{pid} removed without a gated departure"
                    );
                    seen.removed += 1;
                }
            }
        }
    }
    let v = s
        .verify(&custodia_store::VerifyOptions::default(), &mut |_| {})
        .unwrap();
    assert!(matches!(v, custodia_store::Verdict::Ok { .. }), "{v:?}");
    seen
}

#[test]
fn no_blocked_person_ever_departs_or_is_removed() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: 2000,
        ..Config::default()
    });
    let totals = std::cell::RefCell::new(Seen::default());
    runner
        .run(&script(), |ops| {
            let seen = run(&ops);
            let mut t = totals.borrow_mut();
            t.departed += seen.departed;
            t.refused += seen.refused;
            t.removed += seen.removed;
            Ok(())
        })
        .unwrap();
    let t = totals.into_inner();
    // Not vacuous: the sequences reach departures, gate refusals and removals.
    assert!(t.departed >= 50, "only {} departures", t.departed);
    assert!(t.refused >= 50, "only {} gate refusals", t.refused);
    assert!(t.removed >= 10, "only {} removals", t.removed);
    eprintln!(
        "2000 sequences: {} departures, {} refused at the gate, {} removals",
        t.departed, t.refused, t.removed
    );
}

#[test]
fn a_stay_entered_after_approval_never_flies() {
    let ops = [
        Op::Create {
            who: 0,
            days_ahead: 0,
        },
        Op::Add { who: 0, person: 0 },
        Op::Screen { who: 0 },
        Op::Approve { who: 2 },
        Op::Record {
            who: 0,
            person: 0,
            kind: 0,
            days_back: 0,
        },
        Op::Depart { who: 0 },
        Op::Screen { who: 0 },
        Op::Approve { who: 2 },
        Op::Depart { who: 0 },
        Op::RemoveCustody { who: 0, person: 0 },
    ];
    let seen = run(&ops);
    assert_eq!((seen.departed, seen.removed), (0, 0));
    let ok = run(&ops[..4]
        .iter()
        .cloned()
        .chain([
            Op::Depart { who: 0 },
            Op::RemoveCustody { who: 0, person: 0 },
        ])
        .collect::<Vec<_>>());
    assert_eq!((ok.departed, ok.removed), (1, 1));
}
