//! Two governments through the library (CONTRACT §10, issue 16): two SQLite stores with their
//! own keys, the receiving one served in process (axum on 127.0.0.1:0), the sending one
//! delivering with `custodia_server::federation::deliver`. A hand-over with one person
//! missing and one unexpected; the receipt; idempotence by document hash; a tampered receipt
//! refused; the cross-check; and the 300-passenger hand-over of BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use custodia_app::federation::check::{LogView, check};
use custodia_app::federation::{self as fed, Peer};
use custodia_ledger::LogKey;
use custodia_model::clock::{Clock, ManualClock};
use custodia_model::events::{
    CellRecord, CustodyStatus, EventData, FacilityRecord, IntakeRecord, Leaf, NewEvent,
    PavilionRecord, PersonRecord,
};
use custodia_model::legal::{Basis, CountryCode};
use custodia_server::federation::{Delivery, deliver};
use custodia_server::{AppState, Config};
use custodia_store::{OpenOptions, Store};

struct Gov {
    _dir: tempfile::TempDir,
    path: String,
    key: std::path::PathBuf,
    clock: Arc<ManualClock>,
    store: Store,
    /// On PostgreSQL: the server's admin URL and the database this test created.
    pg: Option<(String, String)>,
}

impl Drop for Gov {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            // WITH (FORCE): the store's own sessions end with it.
            let _ = custodia_store::postgres::drop_database(admin, name);
        }
    }
}

/// A government's store: SQLite in a temporary directory, or, given the admin URL of a
/// PostgreSQL server, a database of its own there (`custodia_fed_<pid>_<n>`), dropped after.
fn gov_in(origin: &str, pg_admin: Option<&str>) -> Gov {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = tempfile::tempdir().unwrap();
    let (path, key, pg) = match pg_admin {
        None => {
            let path = dir.path().join("g.db").to_str().unwrap().to_string();
            let key = std::path::PathBuf::from(format!("{path}.key"));
            (path, key, None)
        }
        Some(admin) => {
            let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let name = format!("custodia_fed_{}_{n}", std::process::id());
            let _ = custodia_store::postgres::drop_database(admin, &name);
            let url = custodia_store::postgres::create_database(admin, &name).unwrap();
            (
                url,
                dir.path().join("pg.key"),
                Some((admin.to_string(), name)),
            )
        }
    };
    LogKey::load_or_create(&key, origin).unwrap();
    let clock = Arc::new(ManualClock::new("2025-06-01T12:00:00Z".parse().unwrap()));
    let store = Store::open(
        &path,
        OpenOptions {
            key_path: Some(key.clone()),
            clock: clock.clone(),
        },
    )
    .unwrap();
    Gov {
        _dir: dir,
        path,
        key,
        clock,
        store,
        pg,
    }
}

fn at(g: &Gov, t: &str) {
    g.clock.set(t.parse().unwrap());
}

fn append(g: &mut Gov, actor: &str, events: Vec<EventData>) {
    let now = g.clock.now();
    g.store
        .append(
            events
                .into_iter()
                .map(|data| NewEvent {
                    occurred_at: now,
                    actor: actor.into(),
                    data,
                })
                .collect(),
        )
        .unwrap();
}

fn facility(id: &str, country: &str) -> EventData {
    EventData::FacilityRegistered(FacilityRecord {
        id: id.into(),
        name: format!("{id} (test)"),
        country: CountryCode::new(country).unwrap(),
        kind: "prison".into(),
        adult_only: false,
        pavilions: vec![PavilionRecord {
            id: "P1".into(),
            cells: vec![CellRecord {
                id: format!("{id}-C1"),
                area_m2: 100.0,
                capacity: 1000,
                windows: false,
                sanitation: "shared".into(),
            }],
        }],
    })
}

fn person(i: usize) -> PersonRecord {
    PersonRecord {
        id: format!("P-{i:04}"),
        family_names: format!(
            "{} {}",
            FAMILY[i % FAMILY.len()],
            FAMILY[(i / 7) % FAMILY.len()]
        ),
        given_names: format!(
            "{} {}",
            GIVEN[i % GIVEN.len()],
            GIVEN[(i / 3) % GIVEN.len()]
        ),
        date_of_birth: Some(if i == MINOR {
            jiff::civil::date(2012, 3, 3)
        } else {
            jiff::civil::date(
                1960 + (i % 40) as i16,
                1 + (i % 12) as i8,
                1 + (i % 28) as i8,
            )
        }),
        sex: Some("M".into()),
        country_of_birth: Some(CountryCode::new("SV").unwrap()),
        nationalities: vec![CountryCode::new("SV").unwrap()],
        us_status: None,
        languages: vec![],
        identity_verified: true,
    }
}

/// The one passenger born in 2012 (13 on the day of the flight); no other test reaches it.
const MINOR: usize = 9_000;

const FAMILY: &[&str] = &[
    "Martínez",
    "Hernández",
    "López",
    "Portillo",
    "Ayala",
    "Mejía",
    "Rivas",
    "Guzmán",
    "Arévalo",
    "Quintanilla",
    "Flores",
    "Ramírez",
    "Cruz",
];
const GIVEN: &[&str] = &[
    "José", "Luis", "Walter", "Carlos", "Alberto", "Kevin", "Mario", "Óscar", "Juan", "Pedro",
    "Miguel",
];

/// The US store: two facilities, `n` persons held in Texas, one departed manifest of all of
/// them to CECOT (the peer's), and the peer registered.
fn us_with_flight(n: usize, sv_key: &str, sv_url: &str) -> Gov {
    us_with_flight_in(n, sv_key, sv_url, None)
}

fn us_with_flight_in(n: usize, sv_key: &str, sv_url: &str, pg: Option<&str>) -> Gov {
    us_with_flight_of(&(0..n).collect::<Vec<_>>(), sv_key, sv_url, pg)
}

/// [`us_with_flight_in`] with the persons `ids`.
fn us_with_flight_of(ids: &[usize], sv_key: &str, sv_url: &str, pg: Option<&str>) -> Gov {
    let mut us = gov_in("us.example/custodia", pg);
    let admin = custodia_app::Actor {
        role: custodia_app::Role::Admin,
        name: "root".into(),
        facility_id: None,
    };
    append(
        &mut us,
        "admin:root",
        vec![facility("USDC-TX", "US"), facility("CECOT", "SV")],
    );
    let mut evs = Vec::new();
    for &i in ids {
        evs.push(EventData::PersonRegistered(person(i)));
        evs.push(EventData::CustodyReported {
            person_id: person(i).id,
            facility_id: Some("USDC-TX".into()),
            status: CustodyStatus::InCustody,
        });
    }
    append(&mut us, "sending_officer:importer", evs);
    fed::add_peer(
        &mut us.store,
        &admin,
        &Peer {
            name: "SV".into(),
            url: sv_url.into(),
            log_key: sv_key.into(),
            facilities: vec!["CECOT".into()],
        },
    )
    .unwrap();
    at(&us, "2025-06-05T08:00:00Z");
    let mut evs = vec![EventData::ManifestCreated {
        manifest_id: "MAN-0001".into(),
        flight: "CST3001".into(),
        from_facility: "USDC-TX".into(),
        to_facility: "CECOT".into(),
        destination_country: CountryCode::new("SV").unwrap(),
        basis: Basis::Removal,
        departure_on: jiff::civil::date(2025, 6, 5),
    }];
    evs.extend(ids.iter().map(|&i| EventData::PassengerAdded {
        manifest_id: "MAN-0001".into(),
        person_id: person(i).id,
    }));
    evs.push(EventData::ManifestScreened {
        manifest_id: "MAN-0001".into(),
    });
    evs.push(EventData::ManifestApproved {
        manifest_id: "MAN-0001".into(),
        justifications: vec![],
    });
    append(&mut us, "sending_officer:ana", evs);
    append(
        &mut us,
        "sending_officer:ana",
        vec![EventData::ManifestDeparted {
            manifest_id: "MAN-0001".into(),
        }],
    );
    us
}

/// The SV store: CECOT, and its intake for the flight: every passenger but the last, typed
/// in capitals without accents, and one person nobody sent.
fn sv_with_intake(n: usize) -> Gov {
    sv_with_intake_in(n, None)
}

fn sv_with_intake_in(n: usize, pg: Option<&str>) -> Gov {
    sv_with_intake_of(&(0..n.saturating_sub(1)).collect::<Vec<_>>(), pg)
}

/// The SV store with CECOT and an intake of the persons `ids` (and the unexpected one).
fn sv_with_intake_of(ids: &[usize], pg: Option<&str>) -> Gov {
    let mut sv = gov_in("sv.example/custodia", pg);
    append(&mut sv, "admin:root", vec![facility("CECOT", "SV")]);
    let mut evs = Vec::new();
    for &i in ids {
        let p = person(i);
        let plain = |s: &str| {
            s.to_uppercase()
                .chars()
                .map(|c| match c {
                    'Á' => 'A',
                    'É' => 'E',
                    'Í' => 'I',
                    'Ó' => 'O',
                    'Ú' => 'U',
                    c => c,
                })
                .collect::<String>()
        };
        evs.push(EventData::IntakeRecorded {
            facility_id: "CECOT".into(),
            manifest_id: Some("MAN-0001".into()),
            record: IntakeRecord {
                record_id: format!("I-{i:04}"),
                family_names: plain(&p.family_names),
                given_names: plain(&p.given_names),
                date_of_birth: p.date_of_birth.map(|d| d.to_string()),
                sex: Some("M".into()),
                nationality: Some("SV".into()),
                document_number: None,
            },
        });
    }
    evs.push(EventData::IntakeRecorded {
        facility_id: "CECOT".into(),
        manifest_id: Some("MAN-0001".into()),
        record: IntakeRecord {
            record_id: "I-UNEXPECTED".into(),
            family_names: "Zelaya Funes".into(),
            given_names: "Óscar Armando".into(),
            date_of_birth: Some("1979-05-05".into()),
            sex: Some("M".into()),
            nationality: Some("HN".into()),
            document_number: None,
        },
    });
    append(&mut sv, "receiving_officer:intake", evs);
    sv
}

/// Serves `path` in process; returns its URL and a stopper.
fn serve(
    g: &Gov,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let state = AppState::open(
        &g.path,
        Some(g.key.clone()),
        g.clock.clone(),
        Config::default(),
    )
    .unwrap();
    // A PostgreSQL client may not be dropped inside a runtime: this clone outlives it.
    let keep = state.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (atx, arx) = std::sync::mpsc::channel();
    let h = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            atx.send(l.local_addr().unwrap()).unwrap();
            custodia_server::serve_with(
                l,
                custodia_server::app(state),
                Duration::from_secs(10),
                async {
                    let _ = rx.await;
                },
            )
            .await
            .unwrap();
        });
        drop(rt);
        drop(keep);
    });
    (format!("http://{}", arx.recv().unwrap()), tx, h)
}

fn register_us(sv: &mut Gov, us_key: &str) {
    let admin = custodia_app::Actor {
        role: custodia_app::Role::Admin,
        name: "root".into(),
        facility_id: None,
    };
    fed::add_peer(
        &mut sv.store,
        &admin,
        &Peer {
            name: "US".into(),
            url: "http://127.0.0.1:9".into(),
            log_key: us_key.into(),
            facilities: vec![],
        },
    )
    .unwrap();
}

fn leaves(s: &mut Store) -> Vec<Leaf> {
    let mut out = Vec::new();
    s.export(0, None, &mut |_, b| {
        out.push(Leaf::from_bytes(b.as_bytes()).unwrap());
        Ok(())
    })
    .unwrap();
    out
}

/// The SV server of a hand-over, still running.
struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    h: std::thread::JoinHandle<()>,
}

impl Running {
    fn stop(self) {
        let _ = self.stop.send(());
        self.h.join().unwrap();
    }
}

fn hand_over(n: usize) -> (Gov, Gov, Duration) {
    let (us, sv, took, srv) = hand_over_running(n);
    srv.stop();
    (us, sv, took)
}

fn hand_over_running(n: usize) -> (Gov, Gov, Duration, Running) {
    hand_over_running_in(n, None, None)
}

/// The hand-over of `n` passengers, each store on SQLite or (given an admin URL) PostgreSQL;
/// the SV server still running.
fn hand_over_running_in(
    n: usize,
    us_pg: Option<&str>,
    sv_pg: Option<&str>,
) -> (Gov, Gov, Duration, Running) {
    let mut sv = sv_with_intake_in(n, sv_pg);
    at(&sv, "2025-06-05T09:00:00Z");
    let sv_key = sv.store.verifier_key().to_string();
    let (url, stop, h) = serve(&sv);
    let mut us = us_with_flight_in(n, &sv_key, &url, us_pg);
    let us_key = us.store.verifier_key().to_string();
    register_us(&mut sv, &us_key);
    let t = Instant::now();
    let out = deliver(&mut us.store, "sending_officer:ana").unwrap();
    let took = t.elapsed();
    let srv = Running { stop, h };
    assert_eq!(out.len(), 1, "{out:?}");
    let Delivery::Receipted(r) = &out[0] else {
        panic!("{out:?}")
    };
    assert!(r.appended);
    assert_eq!(r.received.len(), n - 1, "{r:?}");
    assert_eq!(r.not_received, vec![person(n - 1).id]);
    assert_eq!(r.unexpected, vec!["I-UNEXPECTED".to_string()]);
    (us, sv, took, srv)
}

#[test]
fn hand_over_receipt_idempotence_and_check_in_process() {
    let (mut us, mut sv, _) = hand_over(3);
    // Received persons are in SV's custody in both stores; the missing one stays the US's.
    for s in [&mut us.store, &mut sv.store] {
        let rows = s.read(|c| c.query("SELECT id, facility_id, status FROM persons WHERE id IN ('P-0000', 'P-0001') ORDER BY id", &[])).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(
            rows.iter()
                .all(|r| r[1].opt_str().as_deref() == Some("CECOT")
                    && r[2].opt_str().as_deref() == Some("in_custody"))
        );
        let cases = s
            .read(|c| {
                c.query(
                    "SELECT subject_id FROM cases WHERE kind = 'not_received' AND state = 'open'",
                    &[],
                )
            })
            .unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0][0].opt_str().as_deref(), Some("P-0002"));
    }
    // The same document again: the same receipt, nothing appended.
    let doc = fed::outbox(&mut us.store).unwrap();
    assert!(doc.is_empty(), "receipted documents leave the outbox");
    let document = us
        .store
        .read(|c| c.query("SELECT doc_hash, document FROM handovers", &[]))
        .unwrap();
    let (hash, document) = (
        document[0][0].opt_str().unwrap(),
        document[0][1].opt_str().unwrap(),
    );
    let n = sv.store.size().unwrap();
    let a = fed::receive(&mut sv.store, &document).unwrap();
    let b = fed::receive(&mut sv.store, &document).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.doc_hash, hash);
    assert_eq!(sv.store.size().unwrap(), n);
    let m = us.store.size().unwrap();
    let again = fed::record_receipt(&mut us.store, "sending_officer:ana", &a).unwrap();
    assert!(!again.appended);
    assert_eq!(us.store.size().unwrap(), m);
    // A tampered receipt is refused and writes nothing.
    let mut bad = a.clone();
    bad.receipt = bad.receipt.replacen("not_received", "received", 1);
    let e = fed::record_receipt(&mut us.store, "sending_officer:ana", &bad).unwrap_err();
    assert!(e.to_string().contains("signature"), "{e}");
    let mut bad = a.clone();
    bad.entry.proof.reverse();
    bad.entry.proof.push("00".repeat(32));
    assert!(fed::check_receipt(&bad, &document, sv.store.verifier_key()).is_err());
    assert_eq!(us.store.size().unwrap(), m);
    // The cross-check passes.
    let us_view = LogView {
        label: "US".into(),
        vkey: us.store.verifier_key().into(),
        leaves: leaves(&mut us.store),
    };
    let sv_view = LogView {
        label: "SV".into(),
        vkey: sv.store.verifier_key().into(),
        leaves: leaves(&mut sv.store),
    };
    let r = check(&us_view, &sv_view);
    assert!(r.breaks.is_empty(), "{r:?}");
    assert_eq!((r.handovers, r.receipted, r.persons), (1, 1, 3));
    // A person in both custodies, and a receipt for a person never sent, are named.
    at(&sv, "2025-06-06T09:00:00Z");
    append(
        &mut sv,
        "receiving_officer:x",
        vec![EventData::Admitted {
            person_id: "P-0002".into(),
            facility_id: "CECOT".into(),
            manifest_id: None,
        }],
    );
    let sv_view = LogView {
        label: "SV".into(),
        vkey: sv.store.verifier_key().into(),
        leaves: leaves(&mut sv.store),
    };
    let r = check(&us_view, &sv_view);
    assert!(
        r.breaks
            .iter()
            .any(|b| b.contains("`P-0002` is in both custodies")),
        "{r:?}"
    );
    // Released in SV without the US ever having held them again: not a break.
    append(
        &mut sv,
        "receiving_officer:x",
        vec![EventData::Released {
            person_id: "P-0000".into(),
            facility_id: "CECOT".into(),
        }],
    );
    // The store's own projections still agree with a replay.
    let v = sv
        .store
        .verify(
            &custodia_store::VerifyOptions {
                checkpoint: None,
                verifier_key: None,
                skip_replay: false,
                trail: None,
            },
            &mut |_| {},
        )
        .unwrap();
    assert!(matches!(v, custodia_store::Verdict::Ok { .. }), "{v:?}");
    let v = us
        .store
        .verify(
            &custodia_store::VerifyOptions {
                checkpoint: None,
                verifier_key: None,
                skip_replay: false,
                trail: None,
            },
            &mut |_| {},
        )
        .unwrap();
    assert!(matches!(v, custodia_store::Verdict::Ok { .. }), "{v:?}");
}

/// BENCHMARKS.md: a 300-passenger hand-over on SQLite, receipt included (issue the
/// document, POST it, verify, reconcile 300 against 300, record, sign the receipt, prove it,
/// verify and record it on the sending side). Target < 2 s. In release:
/// `cargo test --release -p custodia-server --test federation -- --ignored --nocapture bench`
#[test]
#[ignore = "benchmark; run in release"]
fn bench_300_passenger_hand_over() {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let (_, _, took) = hand_over(300);
        best = best.min(took);
        println!(
            "300-passenger hand-over, receipt included: {:.0} ms",
            took.as_secs_f64() * 1000.0
        );
    }
    assert!(best < Duration::from_secs(2), "{best:?}");
}

#[test]
fn three_hundred_passengers_round_trip() {
    let (_, _, took) = hand_over(300);
    println!("300-passenger hand-over (debug build): {took:?}");
}

fn open_cases(s: &mut Store, kind: &str) -> Vec<String> {
    s.read(|c| {
        c.query(
            "SELECT subject_id FROM cases WHERE kind = ? AND state = 'open' ORDER BY subject_id",
            &[kind.into()],
        )
    })
    .unwrap()
    .iter()
    .map(|r| r[0].opt_str().unwrap())
    .collect()
}

fn view(label: &str, s: &mut Store) -> LogView {
    LogView {
        label: label.into(),
        vkey: s.verifier_key().into(),
        leaves: leaves(s),
    }
}

/// Issue 16: a person missing at the first hand-over and taken in later. The sender presents
/// the document again; the receiver signs a further receipt that says received; custody
/// passes at that receipt's entry in both stores; both `not_received` cases are resolved;
/// the check passes; and presenting it once more appends nothing anywhere.
#[test]
fn a_person_taken_in_late_gets_a_further_receipt_and_custody_passes_on_it() {
    let (us, sv, _, srv) = hand_over_running(3);
    late_receipt(us, sv, srv);
}

/// Issue 16 on PostgreSQL (gated on `CUSTODIA_TEST_PG`): both governments' stores on the
/// server, each in a database of its own: the hand-over, the receipt, a person taken in late
/// and the further receipt, the cross-check and both stores' `verify`.
#[test]
fn the_hand_over_and_a_late_receipt_on_postgresql() {
    let Some(admin) = std::env::var("CUSTODIA_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        eprintln!("skipping: CUSTODIA_TEST_PG not set");
        return;
    };
    let (us, sv, _, srv) = hand_over_running_in(3, Some(&admin), Some(&admin));
    assert!(us.path.starts_with("postgres") && sv.path.starts_with("postgres"));
    late_receipt(us, sv, srv);
    // And one on each backend.
    let (us, sv, _, srv) = hand_over_running_in(3, None, Some(&admin));
    late_receipt(us, sv, srv);
}

fn late_receipt(mut us: Gov, mut sv: Gov, srv: Running) {
    let late = person(2);
    let doc = us
        .store
        .read(|c| c.query("SELECT document FROM handovers", &[]))
        .unwrap()[0][0]
        .opt_str()
        .unwrap();
    let hash = custodia_model::federation::doc_hash(&doc);
    let first = fed::envelope_for(&mut sv.store, &hash).unwrap().unwrap();
    // Nothing new at SV yet: presenting the document again appends nothing.
    let (n_us, n_sv) = (us.store.size().unwrap(), sv.store.size().unwrap());
    let out = deliver(&mut us.store, "sending_officer:ana").unwrap();
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(
        (us.store.size().unwrap(), sv.store.size().unwrap()),
        (n_us, n_sv)
    );
    // The next day SV's intake records the missing passenger (its own spelling).
    at(&sv, "2025-06-06T10:00:00Z");
    append(
        &mut sv,
        "receiving_officer:intake",
        vec![EventData::IntakeRecorded {
            facility_id: "CECOT".into(),
            manifest_id: Some("MAN-0001".into()),
            record: IntakeRecord {
                record_id: "I-LATE".into(),
                family_names: late.family_names.to_uppercase(),
                given_names: late.given_names.clone(),
                date_of_birth: late.date_of_birth.map(|d| d.to_string()),
                sex: Some("M".into()),
                nationality: Some("SV".into()),
                document_number: None,
            },
        }],
    );
    at(&us, "2025-06-06T10:05:00Z");
    let out = deliver(&mut us.store, "sending_officer:ana").unwrap();
    assert_eq!(out.len(), 1, "{out:?}");
    let Delivery::Receipted(r) = &out[0] else {
        panic!("{out:?}")
    };
    assert!(r.appended);
    assert_eq!(r.received.len(), 3, "{r:?}");
    assert!(r.not_received.is_empty(), "{r:?}");
    for s in [&mut us.store, &mut sv.store] {
        let rows = s
            .read(|c| {
                c.query(
                    "SELECT facility_id, status FROM persons WHERE id = ?",
                    &[late.id.as_str().into()],
                )
            })
            .unwrap();
        assert_eq!(rows[0][0].opt_str().as_deref(), Some("CECOT"));
        assert_eq!(rows[0][1].opt_str().as_deref(), Some("in_custody"));
        assert!(open_cases(s, "not_received").is_empty());
    }
    // Two receipts in SV's log for the one document; the page and the envelope show the
    // later one.
    let issued = leaves(&mut sv.store)
        .iter()
        .filter(|l| matches!(l.data, EventData::ReceiptIssued { .. }))
        .count();
    assert_eq!(issued, 2);
    let h = fed::manifest_handovers(&mut us.store, "MAN-0001").unwrap();
    let rv = h[0].receipt.as_ref().unwrap();
    assert_eq!((rv.received, rv.not_received, rv.unexpected), (3, 0, 1));
    // Custody passed at the later receipt's entry: no one in both custodies, or in neither.
    let r = check(&view("US", &mut us.store), &view("SV", &mut sv.store));
    assert!(r.breaks.is_empty(), "{r:?}");
    assert_eq!((r.handovers, r.receipted), (1, 1));
    // Once more: nothing is awaited any more, nothing appended.
    let (n_us, n_sv) = (us.store.size().unwrap(), sv.store.size().unwrap());
    assert!(fed::awaiting(&mut us.store).unwrap().is_empty());
    let out = deliver(&mut us.store, "sending_officer:ana").unwrap();
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(
        (us.store.size().unwrap(), sv.store.size().unwrap()),
        (n_us, n_sv)
    );
    srv.stop();
    let later = fed::envelope_for(&mut sv.store, &hash).unwrap().unwrap();
    assert_ne!(later, first);
    let again = fed::record_receipt(&mut us.store, "sending_officer:ana", &later).unwrap();
    assert!(!again.appended, "the same later receipt again: nothing new");
    // Receipts in the wrong order are refused: the first receipt after the later one.
    let n = us.store.size().unwrap();
    let e = fed::record_receipt(&mut us.store, "sending_officer:ana", &first).unwrap_err();
    assert!(e.to_string().contains("is not after entry"), "{e}");
    assert_eq!(us.store.size().unwrap(), n);
    for s in [&mut us.store, &mut sv.store] {
        let v = s
            .verify(
                &custodia_store::VerifyOptions {
                    checkpoint: None,
                    verifier_key: None,
                    skip_replay: false,
                    trail: None,
                },
                &mut |_| {},
            )
            .unwrap();
        assert!(matches!(v, custodia_store::Verdict::Ok { .. }), "{v:?}");
    }
}

/// The visible text of a page: no style, no script, no English asides (`lang="en"`), no tags.
fn visible_text(html: &str) -> String {
    let mut s = html.to_string();
    for (open, close) in [
        ("<style", "</style>"),
        ("<script", "</script>"),
        ("<small lang=\"en\"", "</small>"),
    ] {
        while let Some(i) = s.find(open) {
            let j = s[i..].find(close).map_or(s.len(), |j| i + j + close.len());
            s.replace_range(i..j, " ");
        }
    }
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let j = rest[i..].find('>').map_or(rest.len(), |j| i + j + 1);
        out.push(' ');
        rest = &rest[j..];
    }
    out.push_str(rest);
    out
}

fn english_in(text: &str) -> Vec<&'static str> {
    custodia_server::i18n::STRINGS
        .iter()
        .filter(|(_, en, es)| en != es && (en.contains(' ') || en.len() >= 6))
        .filter(|(_, en, _)| {
            text.match_indices(en).any(|(i, _)| {
                let before = text[..i].chars().next_back();
                let after = text[i + en.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            })
        })
        .map(|(_, en, _)| *en)
        .collect()
}

fn get_page(state: &AppState, uri: &str, cookie: &str) -> (u16, String) {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = custodia_server::app(state.clone())
            .oneshot(
                axum::http::Request::builder()
                    .uri(uri)
                    .header("cookie", cookie)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let st = r.status().as_u16();
        let b = r.into_body().collect().await.unwrap().to_bytes();
        (st, String::from_utf8(b.to_vec()).unwrap())
    })
}

/// Issue 16: the manifest page shows the hand-over on both sides: the document's hash, the
/// receipt (who signed, when, received / not received / unexpected), its entry, proof and
/// checkpoint; in English and in Spanish, the Spanish page with no English catalogue string.
#[test]
fn the_manifest_page_shows_the_hand_over_and_its_receipt_in_both_languages() {
    let (mut us, mut sv, _) = hand_over(3);
    let hash = us
        .store
        .read(|c| c.query("SELECT doc_hash FROM handovers", &[]))
        .unwrap()[0][0]
        .opt_str()
        .unwrap();
    for (g, direction, signer) in [
        (&mut us, "out", "sv.example/custodia"),
        (&mut sv, "in", "sv.example/custodia"),
    ] {
        let token = custodia_server::auth::create_token(
            &mut g.store,
            custodia_app::Role::Auditor,
            "ines",
            None,
        )
        .unwrap();
        let (session, _) = custodia_server::auth::open_session(&mut g.store, &token, 12)
            .unwrap()
            .unwrap();
        let state = AppState::open(
            &g.path,
            Some(g.key.clone()),
            g.clock.clone(),
            Config::default(),
        )
        .unwrap();
        let expect = fed::manifest_handovers(&mut g.store, "MAN-0001").unwrap();
        assert_eq!(expect.len(), 1);
        let rv = expect[0].receipt.clone().unwrap();
        assert_eq!((rv.received, rv.not_received, rv.unexpected), (2, 1, 1));
        assert!(!rv.proof.is_empty() && rv.checkpoint.is_some(), "{rv:?}");
        for lang in ["en", "es"] {
            let (st, html) = get_page(
                &state,
                &format!("/manifests/MAN-0001?lang={lang}"),
                &format!("custodia_session={session}"),
            );
            assert_eq!(st, 200, "{html}");
            let sec = html
                .split("<section class=\"handover\"")
                .nth(1)
                .unwrap_or_else(|| panic!("{direction} {lang}: no hand-over section: {html}"));
            let sec = &sec[..sec.find("</section>").unwrap()];
            assert!(sec.contains(&format!("data-doc=\"{hash}\"")), "{sec}");
            assert!(
                sec.contains(&format!("data-direction=\"{direction}\"")),
                "{sec}"
            );
            assert!(sec.contains("data-state=\"receipted\""), "{sec}");
            assert!(sec.contains(signer), "{sec}");
            assert!(
                sec.contains("class=\"receipt-received\" data-n=\"2\"")
                    && sec.contains("class=\"receipt-not-received\" data-n=\"1\"")
                    && sec.contains("class=\"receipt-unexpected\" data-n=\"1\""),
                "{sec}"
            );
            assert!(
                sec.contains(&format!(
                    "data-entry=\"{}\" data-size=\"{}\"",
                    rv.entry, rv.size
                )),
                "{sec}"
            );
            assert!(sec.contains(&rv.proof[0]), "{sec}");
            let cp_first = rv.checkpoint.as_deref().unwrap().lines().next().unwrap();
            assert!(sec.contains(cp_first), "{sec}");
            let words = if lang == "en" {
                ["Hand-over", "Receipt", "Signed by"]
            } else {
                ["Entrega", "Acuse de recibo", "Firmado por"]
            };
            for w in words {
                assert!(sec.contains(w), "{lang}: `{w}` missing: {sec}");
            }
            if lang == "es" {
                let bad = english_in(&visible_text(&html));
                assert!(
                    bad.is_empty(),
                    "{direction}: English on the Spanish page: {bad:?}"
                );
            }
        }
    }
    // Before the receipt: the page says the document waits.
    let mut sv2 = sv_with_intake(2);
    let sv_key = sv2.store.verifier_key().to_string();
    let mut us2 = us_with_flight(2, &sv_key, "http://127.0.0.1:9");
    register_us(&mut sv2, us2.store.verifier_key());
    fed::issue_pending(&mut us2.store, "sending_officer:ana").unwrap();
    let token = custodia_server::auth::create_token(
        &mut us2.store,
        custodia_app::Role::Auditor,
        "ines",
        None,
    )
    .unwrap();
    let (session, _) = custodia_server::auth::open_session(&mut us2.store, &token, 12)
        .unwrap()
        .unwrap();
    let state = AppState::open(
        &us2.path,
        Some(us2.key.clone()),
        us2.clock.clone(),
        Config::default(),
    )
    .unwrap();
    let (st, html) = get_page(
        &state,
        "/manifests/MAN-0001?lang=es",
        &format!("custodia_session={session}"),
    );
    assert_eq!(st, 200);
    assert!(html.contains("data-state=\"sent\""), "{html}");
    assert!(html.contains("id=\"no-receipt\""), "{html}");
    assert!(html.contains("Aún sin acuse"), "{html}");
}

/// A minor handed over to an adult-only facility (CECOT, adult-only by the rules'
/// parameters even where a store's record does not say so): the receipt says received, as
/// custody has changed hands, but the receiving store does not admit them there; it opens a
/// `minor_at_adult_facility` case citing Mandela Rules, rule 11(d). The adult beside them is
/// admitted as before.
#[test]
fn a_minor_handed_over_to_an_adult_only_facility_is_received_but_not_admitted() {
    let mut sv = sv_with_intake_of(&[0, MINOR], None);
    at(&sv, "2025-06-05T09:00:00Z");
    let sv_key = sv.store.verifier_key().to_string();
    let (url, stop, h) = serve(&sv);
    let mut us = us_with_flight_of(&[0, MINOR], &sv_key, &url, None);
    let us_key = us.store.verifier_key().to_string();
    register_us(&mut sv, &us_key);
    let out = deliver(&mut us.store, "sending_officer:ana").unwrap();
    Running { stop, h }.stop();
    let Delivery::Receipted(r) = &out[0] else {
        panic!("{out:?}")
    };
    let (adult, minor) = (person(0).id, person(MINOR).id);
    assert_eq!(r.received, vec![adult.clone(), minor.clone()], "{r:?}");
    let held = |s: &mut Store, id: &str| {
        s.read(|c| {
            c.query(
                "SELECT facility_id, status FROM persons WHERE id = ?",
                &[id.into()],
            )
        })
        .unwrap()
        .first()
        .map(|r| (r[0].opt_str(), r[1].opt_str()))
    };
    assert_eq!(
        held(&mut sv.store, &adult),
        Some((Some("CECOT".into()), Some("in_custody".into())))
    );
    let (fac, _) = held(&mut sv.store, &minor).expect("the minor is registered");
    assert_ne!(
        fac.as_deref(),
        Some("CECOT"),
        "a minor was admitted to CECOT"
    );
    assert_eq!(
        open_cases(&mut sv.store, "minor_at_adult_facility"),
        vec![minor.clone()]
    );
    let detail = sv
        .store
        .read(|c| {
            c.query(
                "SELECT detail FROM cases WHERE kind = 'minor_at_adult_facility'",
                &[],
            )
        })
        .unwrap()[0][0]
        .opt_str()
        .unwrap();
    assert!(
        detail.contains("Mandela Rules, rule 11(d)") && detail.contains("is 13"),
        "{detail}"
    );
}
