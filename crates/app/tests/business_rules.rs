//! The manifest rules of CONTRACT §9 against a real store, on SQLite and, when
//! `CUSTODIA_TEST_PG` is set, on PostgreSQL too (a database of its own, dropped afterwards):
//!
//! - the two-person rule: neither the creator nor anyone who changed the passenger list may
//!   approve, whatever their role; a second supervisor may;
//! - a blocked passenger stops the approval, and a passenger blocked on the day of departure
//!   stops the departure;
//! - an open discrepancy case stops closing the manifest;
//! - idempotency under concurrency: two threads claiming one key with [`Store::claim`] and
//!   running the same use case at once give exactly one effect.
//!
//! Each refusal is checked to change nothing (the ledger's size), and each rule is followed
//! by the step that succeeds once the obstacle is gone, so a test cannot pass by refusing
//! everything. With `CUSTODIA_TEST_PG` set, a server that cannot be reached fails the tests;
//! unset, the PostgreSQL half is skipped with a notice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use custodia_model::state::ManifestState;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier};

use common::{cc, facility};
use custodia_app::manifests::{self, NewManifest};
use custodia_app::{Actor, AppError, Role};
use custodia_model::clock::ManualClock;
use custodia_model::events::{CustodyStatus, EventData, IntakeRecord, NewEvent, PersonRecord};
use custodia_model::ids;
use custodia_model::legal::{Basis, Record, UsStatus};
use custodia_rules::Params;
use custodia_store::auth::IdempotencyClaim;
use custodia_store::{ClaimState, OpenOptions, Store};

/// Where a test's store lives.
struct Env {
    location: String,
    key: PathBuf,
    _dir: tempfile::TempDir,
    /// The admin URL and database name to drop, on PostgreSQL.
    pg: Option<(String, String)>,
    clock: Arc<ManualClock>,
}

impl Env {
    fn open(&self) -> Store {
        Store::open(
            &self.location,
            OpenOptions {
                key_path: Some(self.key.clone()),
                clock: self.clock.clone(),
            },
        )
        .unwrap()
    }

    fn at(&self, instant: &str) {
        self.clock.set(instant.parse().unwrap());
    }

    fn name(&self) -> &'static str {
        if self.pg.is_some() {
            "postgresql"
        } else {
            "sqlite"
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            let _ = custodia_store::postgres::drop_database(admin, name);
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A SQLite store in a temporary directory and, when `CUSTODIA_TEST_PG` is set, a fresh
/// PostgreSQL database on that server. Set but unreachable is a failure, not a skip.
fn envs(tag: &str) -> Vec<Env> {
    let clock = || Arc::new(ManualClock::new("2025-06-01T09:00:00Z".parse().unwrap()));
    let mut out = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    out.push(Env {
        location: dir.path().join("s.db").to_str().unwrap().to_string(),
        key: dir.path().join("s.key"),
        _dir: dir,
        pg: None,
        clock: clock(),
    });
    match std::env::var("CUSTODIA_TEST_PG") {
        Ok(admin) if !admin.trim().is_empty() => {
            let name = format!(
                "custodia_t_rules_{tag}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst)
            );
            let _ = custodia_store::postgres::drop_database(&admin, &name);
            let location =
                custodia_store::postgres::create_database(&admin, &name).unwrap_or_else(|e| {
                    panic!("CUSTODIA_TEST_PG is set but its server cannot be used: {e}")
                });
            let dir = tempfile::tempdir().unwrap();
            out.push(Env {
                location,
                key: dir.path().join("pg.key"),
                _dir: dir,
                pg: Some((admin, name)),
                clock: clock(),
            });
        }
        _ => eprintln!("skipping PostgreSQL: CUSTODIA_TEST_PG not set"),
    }
    out
}

/// Adults removable to El Salvador (final removal orders): eligible.
const ADULTS: [&str; 2] = ["P-ADULT-1", "P-ADULT-2"];
/// A US citizen by birth: blocked.
const CITIZEN: &str = "P-CITIZEN";

/// A US site, the adult-only CECOT, two removable adults and a US citizen, all held at the
/// US site.
fn world(env: &Env) -> Store {
    let mut s = env.open();
    let ev = |data| NewEvent {
        occurred_at: "2025-05-01T00:00:00Z".parse().unwrap(),
        actor: "admin:root".into(),
        data,
    };
    let mut batch = vec![
        ev(facility("US-1", "US", false)),
        ev(facility("CECOT", "SV", true)),
    ];
    for (i, (id, status)) in [
        (ADULTS[0], UsStatus::Undocumented),
        (ADULTS[1], UsStatus::Undocumented),
        (CITIZEN, UsStatus::CitizenByBirth),
    ]
    .into_iter()
    .enumerate()
    {
        batch.push(ev(EventData::PersonRegistered(PersonRecord {
            id: id.into(),
            family_names: ["Hernández López", "Martínez Cruz", "Smith"][i].into(),
            given_names: ["José", "Ana María", "John"][i].into(),
            date_of_birth: Some(
                ["1990-01-01", "1988-04-12", "1985-05-05"][i]
                    .parse()
                    .unwrap(),
            ),
            sex: Some(["M", "F", "M"][i].into()),
            country_of_birth: Some(cc(["SV", "SV", "US"][i])),
            nationalities: vec![cc(["SV", "SV", "US"][i])],
            us_status: Some(status),
            languages: vec!["es".into()],
            identity_verified: true,
        })));
        batch.push(ev(EventData::CustodyReported {
            person_id: id.into(),
            facility_id: Some("US-1".into()),
            status: CustodyStatus::InCustody,
        }));
        if status != UsStatus::CitizenByBirth {
            batch.push(ev(EventData::LegalRecordAdded {
                person_id: id.into(),
                record: Record::RemovalOrder {
                    date: "2025-01-01".parse().unwrap(),
                    is_final: true,
                    countries: None,
                }
                .into(),
            }));
        }
    }
    s.append(batch).unwrap();
    s
}

fn officer() -> Actor {
    Actor::new(Role::SendingOfficer, "ana")
}

fn supervisor(name: &str) -> Actor {
    Actor::new(Role::SendingSupervisor, name)
}

fn receiving() -> Actor {
    Actor::new(Role::ReceivingOfficer, "cecot.intake")
}

fn flight(departure_on: &str) -> NewManifest {
    NewManifest {
        flight: "CST0101".into(),
        from_facility: "US-1".into(),
        to_facility: "CECOT".into(),
        destination_country: cc("SV"),
        basis: Basis::Removal,
        departure_on: departure_on.parse().unwrap(),
    }
}

fn state(s: &mut Store, manifest_id: &str) -> ManifestState {
    manifests::get(s, manifest_id).unwrap().state
}

/// Runs `f`, which the rule must refuse, and checks that it wrote nothing; returns the
/// refusal's message.
fn refused<T: std::fmt::Debug>(
    s: &mut Store,
    f: impl FnOnce(&mut Store) -> Result<T, AppError>,
) -> String {
    let before = s.size().unwrap();
    let e = f(s).expect_err("the rule should refuse this");
    assert_eq!(s.size().unwrap(), before, "a refusal wrote: {e}");
    e.to_string()
}

/// Two persons (CONTRACT §9): the creator and whoever changed the passenger list may not
/// approve, under any role; another supervisor may.
#[test]
fn the_two_person_rule_holds_on_every_backend() {
    for env in envs("two") {
        let s = &mut world(&env);
        let params = Params::builtin();
        // Ana drafts as an officer; Carla, a supervisor, adds a passenger; Ana screens.
        let mid = manifests::create(s, &officer(), &flight("2025-06-01")).unwrap();
        assert_eq!(mid, ids::manifest_id(1), "{}", env.name());
        manifests::add_passenger(s, &officer(), &mid, ADULTS[0]).unwrap();
        manifests::add_passenger(s, &supervisor("carla"), &mid, ADULTS[1]).unwrap();
        let screened = manifests::screen(s, &officer(), &mid, params).unwrap();
        assert!(
            screened.iter().all(|p| p.outcome == "eligible"),
            "{}: {screened:?}",
            env.name()
        );

        // An officer may not approve at all.
        let n = s.size().unwrap();
        let e = refused(s, |s| manifests::approve(s, &officer(), &mid, &[]));
        assert!(e.starts_with("forbidden"), "{}: {e}", env.name());
        // The creator, now acting as a supervisor: the same natural person.
        let e = refused(s, |s| manifests::approve(s, &supervisor("ana"), &mid, &[]));
        assert!(
            e.contains("`ana` created manifest") && e.contains("two-person rule"),
            "{}: {e}",
            env.name()
        );
        // A supervisor who changed the passenger list.
        let e = refused(s, |s| {
            manifests::approve(s, &supervisor("carla"), &mid, &[])
        });
        assert!(
            e.contains("`carla` changed the passenger list"),
            "{}: {e}",
            env.name()
        );
        assert_eq!(state(s, &mid), ManifestState::Screened, "{}", env.name());

        // A second person approves.
        manifests::approve(s, &supervisor("bea"), &mid, &[]).unwrap();
        assert_eq!(state(s, &mid), ManifestState::Approved, "{}", env.name());
        assert_eq!(s.size().unwrap(), n + 1, "{}", env.name());
    }
}

/// A passenger whose screening is `blocked` stops the approval until taken off; a passenger
/// the departure gate finds blocked on the day of departure stops the departure, and nobody
/// leaves.
#[test]
fn a_blocked_passenger_stops_approval_and_departure() {
    for env in envs("blocked") {
        let s = &mut world(&env);
        // The law changes the day after the scheduled departure: from 2025-06-03, only those
        // 40 or older may be held in an adult-only facility (ADULTS[0] is 35).
        let later_law = Params::from_toml_str(&custodia_rules::DEFAULT_PARAMS_TOML.replace(
            "values = [{ from = 1900-01-01, value = 18 }]",
            "values = [{ from = 1900-01-01, value = 18 }, { from = 2025-06-03, value = 40 }]",
        ))
        .unwrap();
        assert_eq!(
            later_law.adult_age.at("2025-06-03".parse().unwrap()),
            Some(40)
        );

        let mid = manifests::create(s, &officer(), &flight("2025-06-02")).unwrap();
        for p in [ADULTS[0], CITIZEN] {
            manifests::add_passenger(s, &officer(), &mid, p).unwrap();
        }
        let screened = manifests::screen(s, &officer(), &mid, &later_law).unwrap();
        let outcome = |id: &str| {
            screened
                .iter()
                .find(|p| p.person_id == id)
                .map(|p| p.outcome.clone())
        };
        assert_eq!(
            outcome(ADULTS[0]).as_deref(),
            Some("eligible"),
            "{}",
            env.name()
        );
        assert_eq!(
            outcome(CITIZEN).as_deref(),
            Some("blocked"),
            "{}",
            env.name()
        );

        let e = refused(s, |s| manifests::approve(s, &supervisor("bea"), &mid, &[]));
        assert!(
            e.contains(&format!("passenger `{CITIZEN}` is blocked")),
            "{}: {e}",
            env.name()
        );
        assert_eq!(state(s, &mid), ManifestState::Screened, "{}", env.name());

        // Taken off, screened again: approved.
        manifests::remove_passenger(s, &officer(), &mid, CITIZEN).unwrap();
        manifests::screen(s, &officer(), &mid, &later_law).unwrap();
        manifests::approve(s, &supervisor("bea"), &mid, &[]).unwrap();

        // A day late, under the new law: the gate screens again and finds ADULTS[0] blocked.
        env.at("2025-06-03T06:00:00Z");
        let n = s.size().unwrap();
        let r = manifests::depart(s, &officer(), &mid, &later_law);
        let Err(AppError::DepartureRefused(why)) = &r else {
            panic!("{}: the departure should be refused: {r:?}", env.name())
        };
        assert_eq!(why.stops.len(), 1, "{}: {why}", env.name());
        assert_eq!(why.stops[0].person_id, ADULTS[0], "{}: {why}", env.name());
        assert_eq!(why.stops[0].outcome, "blocked", "{}: {why}", env.name());
        assert_eq!(s.size().unwrap(), n, "{}: the refusal wrote", env.name());
        assert_eq!(state(s, &mid), ManifestState::Approved, "{}", env.name());

        // Under the law the approval was made under, the same flight leaves.
        let d = manifests::depart(s, &officer(), &mid, Params::builtin()).unwrap();
        assert_eq!(d.passengers.len(), 1, "{}", env.name());
        assert_eq!(state(s, &mid), ManifestState::Departed, "{}", env.name());
    }
}

/// Reconciliation opens a case for a passenger missing from the receiving facility's intake
/// (named as the application names cases); the manifest cannot close while it is open.
#[test]
fn an_open_case_stops_closing() {
    for env in envs("close") {
        let s = &mut world(&env);
        let params = Params::builtin();
        let mid = manifests::create(s, &officer(), &flight("2025-06-01")).unwrap();
        for p in ADULTS {
            manifests::add_passenger(s, &officer(), &mid, p).unwrap();
        }
        manifests::screen(s, &officer(), &mid, params).unwrap();
        manifests::approve(s, &supervisor("bea"), &mid, &[]).unwrap();
        manifests::depart(s, &officer(), &mid, params).unwrap();
        env.at("2025-06-01T12:00:00Z");
        manifests::arrive(s, &receiving(), &mid).unwrap();
        // Only the first passenger is taken in.
        let intake = IntakeRecord {
            record_id: "I-1".into(),
            family_names: "HERNANDEZ LOPEZ".into(),
            given_names: "JOSE".into(),
            date_of_birth: Some("1990-01-01".into()),
            sex: Some("M".into()),
            nationality: Some("SV".into()),
            document_number: None,
        };
        manifests::record_intake(s, &receiving(), "CECOT", Some(&mid), &[intake]).unwrap();
        let summary = manifests::reconcile(s, &receiving(), &mid).unwrap();
        assert_eq!(summary.matched, 1, "{}: {summary:?}", env.name());
        assert_eq!(
            summary.missing,
            vec![ADULTS[1].to_string()],
            "{}",
            env.name()
        );
        let case = ids::case_id(&mid, 1);
        assert_eq!(summary.cases_opened, vec![case.clone()], "{}", env.name());

        let e = refused(s, |s| manifests::close(s, &receiving(), &mid));
        assert!(
            e.contains("1 open case(s)") && e.contains(&case),
            "{}: {e}",
            env.name()
        );
        assert_eq!(state(s, &mid), ManifestState::Reconciled, "{}", env.name());

        manifests::resolve_case(s, &receiving(), &case, "found at the medical unit").unwrap();
        manifests::close(s, &receiving(), &mid).unwrap();
        assert_eq!(state(s, &mid), ManifestState::Closed, "{}", env.name());
    }
}

/// Two requests under one idempotency key at the same moment, each on a store of its own
/// (two server workers): exactly one drafts the manifest, the other is told the key is
/// taken, and the ledger grows by one event. Repeated with fresh keys, so the two threads
/// really race.
#[test]
fn one_idempotency_key_claimed_twice_at_once_has_one_effect() {
    for env in envs("idem") {
        drop(world(&env));
        const ROUNDS: u64 = 8;
        for round in 0..ROUNDS {
            let before = env.open().size().unwrap();
            let barrier = Arc::new(Barrier::new(2));
            let outcomes: Vec<(Result<String, String>, ClaimState)> = std::thread::scope(|sc| {
                let handles: Vec<_> = (0..2)
                    .map(|_| {
                        let barrier = barrier.clone();
                        let env = &env;
                        sc.spawn(move || {
                            let mut s = env.open();
                            s.claim(IdempotencyClaim {
                                key: format!("key-{round}"),
                                token_hash: "officer-token".into(),
                                request_hash: "same-request".into(),
                            });
                            barrier.wait();
                            let r = manifests::create(&mut s, &officer(), &flight("2025-06-05"))
                                .map_err(|e| e.to_string());
                            (r, s.end_claim())
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let made: Vec<&String> = outcomes.iter().filter_map(|o| o.0.as_ref().ok()).collect();
            assert_eq!(made.len(), 1, "{} round {round}: {outcomes:?}", env.name());
            assert_eq!(
                made[0],
                &ids::manifest_id(round + 1),
                "{} round {round}",
                env.name()
            );
            let states: Vec<ClaimState> = outcomes.iter().map(|o| o.1).collect();
            assert!(
                states.contains(&ClaimState::Recorded) && states.contains(&ClaimState::Taken),
                "{} round {round}: {outcomes:?}",
                env.name()
            );
            let taken = outcomes.iter().find_map(|o| o.0.as_ref().err()).unwrap();
            assert!(
                taken.contains(&format!("idempotency key `key-{round}` is already in use")),
                "{} round {round}: {taken}",
                env.name()
            );
            let mut s = env.open();
            assert_eq!(
                s.size().unwrap(),
                before + 1,
                "{} round {round}",
                env.name()
            );
            assert!(
                manifests::get(&mut s, &ids::manifest_id(round + 2)).is_err(),
                "{} round {round}: a second manifest was drafted",
                env.name()
            );
        }
    }
}
