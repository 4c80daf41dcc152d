//! The store suite, written once against the store's API and run on both backends: SQLite
//! (a temporary file) and PostgreSQL (a fresh database per test on the server named by
//! `CUSTODIA_TEST_PG`, dropped afterwards; skipped with a notice when it is unset).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use custodia_ledger::{LogKey, leaf_hash, verify_consistency, verify_inclusion};
use custodia_model::clock::ManualClock;
use custodia_model::events::{CustodyStatus, EventData, Leaf, NewEvent, PersonRecord};
use custodia_store::commands::PersonImport;
use custodia_store::{DEFAULT_ORIGIN, OpenOptions, Store, StoreError, Verdict};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Sqlite,
    Postgres,
}

/// One test's store location, removed (file or database) when dropped.
struct Env {
    location: String,
    key: PathBuf,
    dir: PathBuf,
    pg: Option<(String, String)>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        nanos
    )
}

impl Env {
    fn new(kind: Kind) -> Option<Self> {
        let id = unique();
        let dir = std::env::temp_dir().join(format!("custodia-backends-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("store.key");
        match kind {
            Kind::Sqlite => Some(Self {
                location: dir.join("store.db").to_str().unwrap().to_string(),
                key,
                dir,
                pg: None,
            }),
            Kind::Postgres => {
                let Some(url) = std::env::var("CUSTODIA_TEST_PG")
                    .ok()
                    .filter(|s| !s.is_empty())
                else {
                    eprintln!("skipping: CUSTODIA_TEST_PG not set");
                    let _ = std::fs::remove_dir_all(&dir);
                    return None;
                };
                let name = format!("custodia_t_{id}");
                let location = custodia_store::postgres::create_database(&url, &name).unwrap();
                Some(Self {
                    location,
                    key,
                    dir,
                    pg: Some((url, name)),
                })
            }
        }
    }

    fn open(&self) -> Store {
        self.open_with(Arc::new(ManualClock::new(
            "2025-03-15T12:00:00Z".parse().unwrap(),
        )))
    }

    fn open_with(&self, clock: Arc<ManualClock>) -> Store {
        Store::open(
            &self.location,
            OpenOptions {
                key_path: Some(self.key.clone()),
                clock,
            },
        )
        .unwrap()
    }

    /// Runs raw SQL on the store's database, outside the store (tampering).
    fn sql(&self, sql: &str) {
        match &self.pg {
            Some(_) => custodia_store::postgres::admin_execute(&self.location, sql).unwrap(),
            None => rusqlite::Connection::open(&self.location)
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some((url, name)) = &self.pg {
            let _ = custodia_store::postgres::drop_database(url, name);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every test runs once per backend.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(mod $name {
            #[test]
            fn sqlite() {
                if let Some(env) = super::Env::new(super::Kind::Sqlite) {
                    super::$name(&env, super::Kind::Sqlite);
                }
            }
            #[test]
            fn postgres() {
                if let Some(env) = super::Env::new(super::Kind::Postgres) {
                    super::$name(&env, super::Kind::Postgres);
                }
            }
        })*
    };
}

on_both!(
    append_and_read,
    proofs,
    verify_and_ledger_tamper,
    projection_tamper,
    import_idempotent,
    concurrent_writers,
    demo_root_is_the_reference,
    restore_refuses_wrong_seq,
    restore_all_is_one_transaction,
    connection_loss,
    cosignatures_kept_beside_checkpoints,
    read_records_change_nothing,
    migration_checksums,
);

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn read(actor: &str, person: &str) -> NewEvent {
    NewEvent {
        occurred_at: at("2025-03-15T10:00:00Z"),
        actor: actor.to_string(),
        data: EventData::PersonRead {
            person_id: person.to_string(),
        },
    }
}

fn append_and_read(env: &Env, _: Kind) {
    let mut s = env.open();
    assert_eq!(s.size().unwrap(), 0);
    let r = s.append(vec![read("a", "P-1"), read("a", "P-2")]).unwrap();
    assert_eq!((r.first_seq, r.size), (0, 2));
    let r2 = s.append(vec![read("b", "P-3")]).unwrap();
    assert_eq!((r2.first_seq, r2.size), (2, 3));
    assert_eq!(s.size().unwrap(), 3);
    let leaf = Leaf::from_bytes(s.leaf(2).unwrap().unwrap().as_bytes()).unwrap();
    assert_eq!(leaf.seq, 2);
    assert_eq!(leaf.actor, "b");
    assert_eq!(leaf.recorded_at, at("2025-03-15T12:00:00Z"));
    assert!(s.leaf(3).unwrap().is_none());
    let mut lines = Vec::new();
    s.export(0, None, &mut |seq, body| {
        lines.push((seq, body.to_string()));
        Ok(())
    })
    .unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), vec![0, 1, 2]);
    let cp = s.checkpoint().unwrap();
    assert_eq!((cp.size, cp.root), (3, r2.root));
    assert_eq!(
        s.checkpoints(10)
            .unwrap()
            .iter()
            .map(|c| c.size)
            .collect::<Vec<_>>(),
        vec![3, 2, 0]
    );
    // The projection holds what was appended.
    let rows = s
        .read(|c| {
            c.query(
                "SELECT seq, actor, person_id FROM access_log ORDER BY seq",
                &[],
            )
        })
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2][0].as_i64(), Some(2));
    assert_eq!(rows[2][2].as_str(), Some("P-3"));
    // A parameter only tested for NULL (the server must be told its type) and a sum.
    for (who, want) in [(Some("P-3"), 1), (None, 3)] {
        let n = s
            .read(|c| {
                c.query(
                    "SELECT COUNT(*), SUM(seq) FROM access_log WHERE (? IS NULL OR person_id = ?)",
                    &[who.into(), who.into()],
                )
            })
            .unwrap();
        assert_eq!(n[0][0].as_i64(), Some(want));
        assert_eq!(n[0][1].as_i64(), Some(if want == 1 { 2 } else { 3 }));
    }
    // Reopening finds the same store and key.
    drop(s);
    let mut s = env.open();
    assert_eq!(s.size().unwrap(), 3);
    assert_eq!(s.checkpoint().unwrap().root, r2.root);
}

fn proofs(env: &Env, _: Kind) {
    let mut s = env.open();
    let mut roots = Vec::new();
    for b in 0..7 {
        let evs = (0..(b + 1))
            .map(|i| read("p", &format!("P-{b}-{i}")))
            .collect();
        let r = s.append(evs).unwrap();
        roots.push((r.size, r.root));
    }
    let (size, root) = *roots.last().unwrap();
    for index in [0, 1, 5, size - 1] {
        let p = s.prove(index, None).unwrap();
        let body = s.leaf(index).unwrap().unwrap();
        assert_eq!(p.leaf_hash, leaf_hash(body.as_bytes()));
        verify_inclusion(&p.proof, size, root, index, p.leaf_hash).unwrap();
        // A proof does not fit another entry.
        assert!(verify_inclusion(&p.proof, size, root, (index + 1) % size, p.leaf_hash).is_err());
    }
    for &(old, old_root) in &roots {
        let (o, n, proof) = s.consistency(old, None).unwrap();
        assert_eq!((o, n), (old, size));
        verify_consistency(&proof, old, old_root, size, root).unwrap();
        assert_eq!(s.root_at(old).unwrap(), old_root);
    }
    assert!(matches!(s.prove(size, None), Err(StoreError::Invalid(_))));
    assert!(matches!(
        s.consistency(3, Some(size + 1)),
        Err(StoreError::Invalid(_))
    ));
}

fn demo(s: &mut Store, clock: &ManualClock, scale: custodia_demo::Scale) {
    for b in custodia_demo::build(7, scale) {
        clock.set(b.recorded_at);
        s.append(b.events).unwrap();
    }
}

fn verdict(s: &mut Store) -> Verdict {
    s.verify(&Default::default(), &mut |_| {}).unwrap()
}

fn verify_and_ledger_tamper(env: &Env, _: Kind) {
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH));
    let mut s = env.open_with(clock.clone());
    demo(&mut s, &clock, custodia_demo::Scale::Tiny);
    let n = s.size().unwrap();
    assert!(n > 100, "the tiny demo has {n} entries");
    match verdict(&mut s) {
        Verdict::Ok { entries, root, .. } => {
            assert_eq!(entries, n);
            assert_eq!(root, s.checkpoint().unwrap().root);
        }
        Verdict::Failed(f) => panic!("fresh demo fails verify: {f}"),
    }
    // An earlier checkpoint the log extends passes; a forged one does not.
    let old = s.checkpoints(3).unwrap().pop().unwrap();
    let opts = custodia_store::VerifyOptions {
        checkpoint: Some(old.note.clone()),
        ..Default::default()
    };
    assert!(matches!(
        s.verify(&opts, &mut |_| {}).unwrap(),
        Verdict::Ok { .. }
    ));
    // One byte more in one leaf body.
    env.sql("UPDATE ledger SET body = body || ' ' WHERE seq = 17");
    match verdict(&mut s) {
        Verdict::Failed(f) => assert!(f.contains("entry 17"), "{f}"),
        v => panic!("tampered leaf not found: {v:?}"),
    }
}

fn projection_tamper(env: &Env, _: Kind) {
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH));
    let mut s = env.open_with(clock.clone());
    demo(&mut s, &clock, custodia_demo::Scale::Tiny);
    assert!(matches!(verdict(&mut s), Verdict::Ok { .. }));
    env.sql("UPDATE persons SET family_names = family_names || 'x' WHERE id = (SELECT MIN(id) FROM persons)");
    match verdict(&mut s) {
        Verdict::Failed(f) => assert!(
            f.contains("table `persons`") && f.contains("column 2"),
            "{f}"
        ),
        v => panic!("tampered projection not found: {v:?}"),
    }
    env.sql("UPDATE persons SET family_names = substr(family_names, 1, length(family_names) - 1) WHERE id = (SELECT MIN(id) FROM persons)");
    assert!(matches!(verdict(&mut s), Verdict::Ok { .. }));
    env.sql("DELETE FROM person_events WHERE seq = (SELECT MAX(seq) FROM person_events)");
    match verdict(&mut s) {
        Verdict::Failed(f) => assert!(f.contains("table `person_events`"), "{f}"),
        v => panic!("deleted projection row not found: {v:?}"),
    }
}

fn person(id: &str, family: &str) -> PersonImport {
    PersonImport {
        line: 2,
        person: PersonRecord {
            id: id.to_string(),
            family_names: family.to_string(),
            given_names: "Ana".into(),
            date_of_birth: Some("1990-02-03".parse().unwrap()),
            sex: Some("F".into()),
            country_of_birth: None,
            nationalities: Vec::new(),
            us_status: None,
            languages: Vec::new(),
            identity_verified: false,
        },
        facility_id: Some("F-1".into()),
        status: Some(CustodyStatus::InCustody),
    }
}

/// A facility registration (adult-only or not), as the imports need one first.
fn facility(id: &str, adult_only: bool) -> NewEvent {
    NewEvent {
        occurred_at: at("2025-03-15T09:00:00Z"),
        actor: "admin".into(),
        data: EventData::FacilityRegistered(custodia_model::events::FacilityRecord {
            id: id.into(),
            name: id.into(),
            country: custodia_model::legal::CountryCode::new("US").unwrap(),
            kind: "us_detention".into(),
            adult_only,
            pavilions: Vec::new(),
        }),
    }
}

fn import_idempotent(env: &Env, _: Kind) {
    let mut s = env.open();
    let t = at("2025-03-15T09:00:00Z");
    // The facility first: an import into a facility the store does not hold is refused.
    let unknown = s
        .import_persons(&[person("P-1", "Pérez")], "import", t, 18)
        .unwrap_err()
        .to_string();
    assert!(
        unknown.contains("line 2")
            && unknown.contains("`facility_id`")
            && unknown.contains("`F-1`"),
        "{unknown}"
    );
    assert_eq!(s.size().unwrap(), 0);
    s.append(vec![facility("F-1", false), facility("ADULTS", true)])
        .unwrap();
    // Someone under 18 on the import's date is never put into an adult-only facility.
    let mut child = person("P-9", "Niño");
    child.person.date_of_birth = Some("2015-01-01".parse().unwrap());
    child.facility_id = Some("ADULTS".into());
    let minor = s
        .import_persons(&[child], "import", t, 18)
        .unwrap_err()
        .to_string();
    assert!(
        minor.contains("line 2")
            && minor.contains("`date_of_birth`")
            && minor.contains("adult-only"),
        "{minor}"
    );
    assert_eq!(s.size().unwrap(), 2);
    let rows = vec![
        person("P-1", "Pérez"),
        person("P-2", "García"),
        person("P-3", "Núñez"),
    ];
    let a = s.import_persons(&rows, "import", t, 18).unwrap();
    assert_eq!(
        (a.added, a.updated, a.custody_changed, a.unchanged),
        (3, 0, 3, 0)
    );
    assert_eq!(a.receipt.as_ref().unwrap().size, 8);
    let b = s.import_persons(&rows, "import", t, 18).unwrap();
    assert_eq!(
        (b.added, b.updated, b.custody_changed, b.unchanged),
        (0, 0, 0, 3)
    );
    assert!(b.receipt.is_none());
    assert_eq!(s.size().unwrap(), 8);
    // An identity fact never changes by import (CONTRACT §9): refused, naming line and field.
    let mut renamed = rows.clone();
    renamed[1].person.family_names = "García López".into();
    let e = s
        .import_persons(&renamed, "import", t, 18)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2") && e.contains("`family_names`"), "{e}");
    assert_eq!(s.size().unwrap(), 8);
    let mut changed = rows.clone();
    changed[1].person.languages = vec!["es".into(), "en".into()];
    changed[2].status = Some(CustodyStatus::Released);
    let c = s.import_persons(&changed, "import", t, 18).unwrap();
    assert_eq!(
        (c.added, c.updated, c.custody_changed, c.unchanged),
        (0, 1, 1, 1)
    );
    assert_eq!(s.size().unwrap(), 10);
    let got = s
        .read(|c| {
            c.query(
                "SELECT id, family_names, status FROM persons ORDER BY id",
                &[],
            )
        })
        .unwrap();
    assert_eq!(got[1][1].as_str(), Some("García"));
    assert_eq!(got[2][2].as_str(), Some("released"));
    assert!(matches!(verdict(&mut s), Verdict::Ok { entries: 10, .. }));
}

/// `changed_between` tells entries that change state from those that only record a read,
/// which is what lets the server keep a report across person reads.
fn read_records_change_nothing(env: &Env, _: Kind) {
    let mut s = env.open();
    let t = at("2025-03-15T09:00:00Z");
    s.append(vec![facility("F-1", false)]).unwrap();
    s.import_persons(&[person("P-1", "Pérez")], "import", t, 18)
        .unwrap();
    let imported = s.size().unwrap();
    assert!(s.changed_between(0, imported).unwrap());
    s.append(vec![read("a", "P-1")]).unwrap();
    s.append(vec![NewEvent {
        occurred_at: t,
        actor: "a".into(),
        data: EventData::PersonsRead {
            person_ids: vec!["P-1".into()],
            via: "search".into(),
        },
    }])
    .unwrap();
    let after_reads = s.size().unwrap();
    assert_eq!(after_reads, imported + 2);
    assert!(!s.changed_between(imported, after_reads).unwrap());
    assert!(!s.changed_between(after_reads, after_reads).unwrap());
    // One state change among reads is seen, wherever it falls in the range.
    s.import_persons(&[person("P-2", "García")], "import", t, 18)
        .unwrap();
    s.append(vec![read("a", "P-2")]).unwrap();
    let end = s.size().unwrap();
    assert!(s.changed_between(imported, end).unwrap());
    assert!(!s.changed_between(end - 1, end).unwrap());
}

fn concurrent_writers(env: &Env, _: Kind) {
    // The key exists but the store does not: the writers also race to migrate it.
    LogKey::load_or_create(&env.key, DEFAULT_ORIGIN).unwrap();
    const WRITERS: usize = 4;
    const BATCHES: usize = 12;
    const PER_BATCH: usize = 40;
    let start = Arc::new(std::sync::Barrier::new(WRITERS));
    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let location = env.location.clone();
            let key = env.key.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                let clock = Arc::new(ManualClock::new(at("2025-03-15T12:00:00Z")));
                let mut s = Store::open(
                    &location,
                    OpenOptions {
                        key_path: Some(key),
                        clock,
                    },
                )
                .unwrap();
                let mut receipts = Vec::new();
                for b in 0..BATCHES {
                    let evs = (0..PER_BATCH)
                        .map(|i| read(&format!("w{w}"), &format!("P-{w}-{b}-{i}")))
                        .collect();
                    receipts.push(s.append(evs).unwrap());
                }
                receipts
            })
        })
        .collect();
    let mut receipts: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    receipts.sort_by_key(|r| r.first_seq);
    // The batches tile the log: no gap, no overlap, each one whole.
    let mut next = 0;
    for r in &receipts {
        assert_eq!(r.first_seq, next);
        assert_eq!(r.size, next + PER_BATCH as u64);
        next = r.size;
    }
    let total = (WRITERS * BATCHES * PER_BATCH) as u64;
    assert_eq!(next, total);
    let mut s = env.open();
    assert_eq!(s.size().unwrap(), total);
    // One checkpoint per batch (plus the empty tree's), each over the log's own prefix.
    let cps = s.checkpoints(1000).unwrap();
    assert_eq!(cps.len(), WRITERS * BATCHES + 1);
    for cp in &cps {
        assert_eq!(
            s.root_at(cp.size).unwrap(),
            cp.root,
            "checkpoint at {}",
            cp.size
        );
    }
    // Each batch's entries are contiguous and from one writer.
    let rows = s
        .read(|c| c.query("SELECT seq, actor FROM access_log ORDER BY seq", &[]))
        .unwrap();
    assert_eq!(rows.len() as u64, total);
    for chunk in rows.chunks(PER_BATCH) {
        assert!(
            chunk.iter().all(|r| r[1] == chunk[0][1]),
            "a batch was interleaved"
        );
    }
    match verdict(&mut s) {
        Verdict::Ok {
            entries,
            checkpoints,
            ..
        } => {
            assert_eq!(entries, total);
            assert_eq!(checkpoints, cps.len() as u64);
        }
        Verdict::Failed(f) => panic!("{f}"),
    }
}

/// The tiny demo gives one root, whatever the backend (a constant would tie this test to
/// the demo's content; an in-memory reference keeps it about the backend).
fn demo_root_is_the_reference(env: &Env, _: Kind) {
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH));
    let mut s = env.open_with(clock.clone());
    demo(&mut s, &clock, custodia_demo::Scale::Tiny);
    let mut frontier = custodia_ledger::Frontier::default();
    let mut scratch = Vec::new();
    let mut n = 0u64;
    for b in custodia_demo::build(7, custodia_demo::Scale::Tiny) {
        for e in b.events {
            let leaf = Leaf {
                seq: n,
                occurred_at: e.occurred_at,
                recorded_at: b.recorded_at,
                data: e.data,
                actor: e.actor,
            };
            frontier
                .push(leaf_hash(&leaf.to_bytes().unwrap()), &mut scratch)
                .unwrap();
            n += 1;
        }
    }
    assert_eq!(s.size().unwrap(), n);
    assert_eq!(s.checkpoint().unwrap().root, frontier.root());
}

fn restore_refuses_wrong_seq(env: &Env, _: Kind) {
    let mut src = Store::open(
        env.dir.join("src.db").to_str().unwrap(),
        OpenOptions {
            key_path: None,
            clock: Arc::new(ManualClock::new(at("2025-03-15T12:00:00Z"))),
        },
    )
    .unwrap();
    src.append(vec![read("a", "P-1"), read("a", "P-2"), read("a", "P-3")])
        .unwrap();
    let mut leaves = Vec::new();
    src.export(0, None, &mut |_, b| {
        leaves.push(b.to_string());
        Ok(())
    })
    .unwrap();
    let mut s = env.open();
    assert!(matches!(
        s.restore_leaves(&leaves[1..]),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.size().unwrap(), 0);
    s.restore_leaves(&leaves[..2]).unwrap();
    let r = s.restore_leaves(&leaves[2..]).unwrap();
    assert_eq!(r.root, src.checkpoint().unwrap().root);
    assert!(matches!(
        s.restore_leaves(&leaves[2..]),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(verdict(&mut s), Verdict::Ok { entries: 3, .. }));
}

/// Issue 18: a whole restore is one transaction. One that fails at its third batch (a bad
/// leaf, or an error from the reader) leaves nothing, not even the batches before it; a
/// retry then succeeds; a restore into a store that is not empty is refused.
fn restore_all_is_one_transaction(env: &Env, _: Kind) {
    let clock = Arc::new(ManualClock::new(at("2025-03-15T12:00:00Z")));
    let mut src = Store::open(
        env.dir.join("src-all.db").to_str().unwrap(),
        OpenOptions {
            key_path: None,
            clock: clock.clone(),
        },
    )
    .unwrap();
    demo(&mut src, &clock, custodia_demo::Scale::Tiny);
    let mut leaves = Vec::new();
    src.export(0, None, &mut |_, b| {
        leaves.push(b.to_string());
        Ok(())
    })
    .unwrap();
    let batches: Vec<Vec<String>> = leaves.chunks(100).map(<[String]>::to_vec).collect();
    assert!(batches.len() > 3);
    let mut s = env.open();
    for fail in ["bad leaf", "reader"] {
        let mut i = 0;
        let r = s.restore_all(
            &mut || {
                i += 1;
                match (i, fail) {
                    (3, "reader") => Err(StoreError::Invalid("the file went away".into())),
                    (3, _) => {
                        let mut b = batches[2].clone();
                        b[50] = b[50].replacen("\"seq\":", "\"seq\":9", 1);
                        Ok(Some(b))
                    }
                    _ => Ok(batches.get(i - 1).cloned()),
                }
            },
            &mut |_| {},
        );
        assert!(r.is_err(), "{fail}: {r:?}");
        assert_eq!(s.size().unwrap(), 0, "{fail}: batches were left behind");
        assert_eq!(s.checkpoint().unwrap().size, 0, "{fail}");
        let persons = s
            .read(|c| c.query("SELECT COUNT(*) FROM persons", &[]))
            .unwrap();
        assert_eq!(persons[0][0].as_i64(), Some(0), "{fail}");
    }
    let mut it = batches.clone().into_iter();
    let r = s.restore_all(&mut || Ok(it.next()), &mut |_| {}).unwrap();
    assert_eq!(r.root, src.checkpoint().unwrap().root);
    assert!(matches!(verdict(&mut s), Verdict::Ok { .. }));
    let mut it = batches.into_iter();
    assert!(matches!(
        s.restore_all(&mut || Ok(it.next()), &mut |_| {}),
        Err(StoreError::Conflict(_))
    ));
}

fn connection_loss(env: &Env, kind: Kind) {
    let mut s = env.open();
    s.append(vec![read("a", "P-1")]).unwrap();
    if kind == Kind::Sqlite {
        return;
    }
    let pid = s.read(|c| c.query("SELECT pg_backend_pid()", &[])).unwrap()[0][0]
        .as_i64()
        .unwrap();
    env.sql(&format!("SELECT pg_terminate_backend({pid})"));
    // The first call after the loss fails cleanly as unavailable ...
    match s.append(vec![read("a", "P-2")]) {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("expected unavailable, got {other:?}"),
    }
    // ... and the next one connects again.
    let r = s.append(vec![read("a", "P-3")]).unwrap();
    assert_eq!((r.first_seq, r.size), (1, 2));
    assert!(matches!(verdict(&mut s), Verdict::Ok { entries: 2, .. }));
}

/// Leaves moved between backends keep their bytes and root, and verify on the target.
#[test]
fn restore_across_backends() {
    let (Some(sq), Some(pg)) = (Env::new(Kind::Sqlite), Env::new(Kind::Postgres)) else {
        return;
    };
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH));
    let mut a = sq.open_with(clock.clone());
    demo(&mut a, &clock, custodia_demo::Scale::Tiny);
    let export = |s: &mut Store| {
        let mut v = Vec::new();
        s.export(0, None, &mut |_, b| {
            v.push(b.to_string());
            Ok(())
        })
        .unwrap();
        v
    };
    let leaves = export(&mut a);
    // SQLite -> PostgreSQL, in uneven chunks.
    let mut b = pg.open();
    for chunk in leaves.chunks(37) {
        b.restore_leaves(chunk).unwrap();
    }
    assert_eq!(export(&mut b), leaves);
    assert_eq!(b.checkpoint().unwrap().root, a.checkpoint().unwrap().root);
    assert!(matches!(verdict(&mut b), Verdict::Ok { .. }));
    // PostgreSQL -> SQLite, into a second file with its own key.
    let back = sq.dir.join("back.db");
    let mut c = Store::open(
        back.to_str().unwrap(),
        OpenOptions {
            key_path: None,
            clock: Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH)),
        },
    )
    .unwrap();
    c.restore_leaves(&export(&mut b)).unwrap();
    assert_eq!(export(&mut c), leaves);
    assert_eq!(c.checkpoint().unwrap().root, a.checkpoint().unwrap().root);
    assert_ne!(c.verifier_key(), b.verifier_key());
    assert!(matches!(verdict(&mut c), Verdict::Ok { .. }));
}

/// Cosignatures (migration 0007) are kept per size and witness, merged into the served
/// checkpoint, outside the replay `verify` compares; the commit hook sees every batch.
fn cosignatures_kept_beside_checkpoints(env: &Env, _: Kind) {
    let mut s = env.open();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    s.set_on_commit(Some(Arc::new(move |r: &custodia_store::Receipt| {
        seen2.lock().unwrap().push(r.size)
    })));
    s.append(vec![read("a", "P-1"), read("a", "P-2")]).unwrap();
    s.append(vec![read("a", "P-3")]).unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![2, 3]);
    let bare = s.checkpoint().unwrap();
    assert_eq!(s.cosigned_checkpoint().unwrap(), bare);
    // Lines as a witness returns them (any valid signed-note signature line).
    let w1 = "— w1.example/w AAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==".to_string();
    let w2 = "— w2.example/w AAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==".to_string();
    s.add_cosignatures(3, &[("w1+vkey".into(), w1.clone())])
        .unwrap();
    s.add_cosignatures(
        3,
        &[
            ("w1+vkey".into(), w1.clone()),
            ("w2+vkey".into(), w2.clone()),
        ],
    )
    .unwrap();
    s.add_cosignatures(2, &[("w1+vkey".into(), w1.clone())])
        .unwrap();
    assert_eq!(s.cosignatures(3).unwrap().len(), 2);
    assert_eq!(
        s.cosigned_sizes().unwrap(),
        vec![("w1+vkey".to_string(), 3), ("w2+vkey".to_string(), 3)]
    );
    let cp = s.cosigned_checkpoint().unwrap();
    assert_eq!(cp.size, 3);
    assert_eq!(cp.note, format!("{}{w1}\n{w2}\n", bare.note));
    // Not a projection: verify still passes, and the cosignatures are no part of the log.
    assert!(matches!(verdict(&mut s), Verdict::Ok { .. }));
}

/// Text that tends to break a hand-made encoding: quotes, backslashes, array and CSV
/// punctuation, the word NULL, unicode, control characters other than NUL, empty strings.
const AWKWARD: &[&str] = &[
    "O'Brien",
    "back\\slash\\",
    "\"double\" quotes",
    "{braces,commas}",
    "NULL",
    "",
    "  spaces  ",
    "tab\tnew\nline\r",
    "Ñandú Peña",
    "名前 🙂",
    "a''b\\'c",
    "(parens), ;semi",
];

fn ev(data: serde_json::Value) -> NewEvent {
    NewEvent {
        occurred_at: at("2025-03-15T10:00:00Z"),
        actor: "officer:Zoë 'Z' \\ Ødegård".to_string(),
        data: serde_json::from_value(data).unwrap(),
    }
}

/// One batch that writes most projection tables through the batched path, with awkward
/// text and NULLs, and more rows per table than `UNNEST_CHUNK` (4,096) and, in all, more
/// held-back rows than `MAX_PENDING` (16,384), with UPDATEs and queries in between that
/// must see the rows held back before them.
fn awkward_batch(prefix: &str, n: usize) -> Vec<NewEvent> {
    let mut out = Vec::new();
    let w = |i: usize| AWKWARD[i % AWKWARD.len()];
    for i in 0..n {
        let mut p = serde_json::json!({
            "id": format!("{prefix}{i:05}"),
            "family_names": format!("{}{}", w(i), i % 7),
            "given_names": w(i + 3),
            "nationalities": if i % 5 == 0 { vec![] } else { vec!["SV", "HN"] },
        });
        // NULLs: every optional field left out on some persons.
        if i % 3 != 0 {
            p["date_of_birth"] = "1990-04-12".into();
            p["sex"] = w(i + 1).into();
            p["country_of_birth"] = "SV".into();
            p["languages"] = serde_json::json!([w(i + 2), "es"]);
        }
        out.push(ev(
            serde_json::json!({"kind": "person_registered", "data": p}),
        ));
    }
    for i in 0..n {
        let id = format!("{prefix}{i:05}");
        out.push(ev(serde_json::json!({"kind": "family_notified",
            "data": {"person_id": id, "occasion": w(i + 5)}})));
        out.push(ev(
            serde_json::json!({"kind": "person_read", "data": {"person_id": id}}),
        ));
        if i % 10 == 0 {
            // UPDATEs in the middle of held-back INSERTs.
            out.push(ev(serde_json::json!({"kind": "admitted",
                "data": {"person_id": id, "facility_id": "CECOT"}})));
            out.push(ev(serde_json::json!({"kind": "custody_reported",
                "data": {"person_id": id, "facility_id": null, "status": "released"}})));
        }
        if i % 50 == 0 {
            // A query in the middle (the confirmation reads the proposal held back above).
            let c = format!("C-{prefix}{i}");
            out.push(ev(serde_json::json!({"kind": "correction_proposed",
                "data": {"correction_id": c, "person_id": id, "field": "given_names",
                         "value": format!("{}·", w(i + 7)), "reason": w(i + 8)}})));
            out.push(ev(serde_json::json!({"kind": "correction_confirmed",
                "data": {"correction_id": c}})));
        }
    }
    // One read naming everyone (access_log rows under one seq, each person once).
    let mut all: Vec<String> = (0..n).map(|i| format!("{prefix}{i:05}")).collect();
    all.push(format!("{prefix}00000"));
    out.push(ev(serde_json::json!({"kind": "persons_read",
        "data": {"person_ids": all, "via": w(2)}})));
    out
}

/// Every projection table's rows in key order, as comparable text.
fn projections(s: &mut Store) -> Vec<(String, Vec<String>)> {
    custodia_store::project::PROJECTIONS
        .iter()
        .map(|(table, key)| {
            let rows = s
                .read(|c| c.query(&format!("SELECT * FROM {table} ORDER BY {key}"), &[]))
                .unwrap();
            let rows = rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(custodia_store::backend::Value::canonical)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect();
            (table.to_string(), rows)
        })
        .collect()
}

/// The batched PostgreSQL path (COPY and `unnest`) writes exactly the rows SQLite writes
/// row by row, byte for byte, and the same leaves and root.
#[test]
fn batched_appends_equal_sqlite() {
    let (Some(sq), Some(pg)) = (Env::new(Kind::Sqlite), Env::new(Kind::Postgres)) else {
        return;
    };
    let batch = awkward_batch("P-", 6_000);
    assert!(batch.len() > 12_000);
    let (mut a, mut b) = (sq.open(), pg.open());
    // A small batch first (single-row groups go as plain statements), then the big one.
    for s in [&mut a, &mut b] {
        s.append(awkward_batch("Q-", 3)).unwrap();
    }
    let ra = a.append(batch.clone()).unwrap();
    let rb = b.append(batch).unwrap();
    assert_eq!(ra.root, rb.root);
    let (pa, pb) = (projections(&mut a), projections(&mut b));
    let mut nonempty = 0;
    for ((table, x), (_, y)) in pa.iter().zip(&pb) {
        assert_eq!(x.len(), y.len(), "`{table}`: row counts differ");
        for (i, (r, t)) in x.iter().zip(y).enumerate() {
            assert_eq!(r, t, "`{table}` row {i}: SQLite vs PostgreSQL");
        }
        nonempty += usize::from(!x.is_empty());
    }
    assert!(nonempty >= 6, "the batch should touch several tables");
    // The awkward text came through intact.
    let names = b
        .read(|c| c.query("SELECT given_names FROM persons WHERE id = 'P-00003'", &[]))
        .unwrap();
    assert_eq!(names[0][0].as_str(), Some(AWKWARD[6]));
    // And the store verifies: projections equal a replay, row by row.
    assert!(
        matches!(verdict(&mut b), Verdict::Ok { .. }),
        "{:?}",
        verdict(&mut b)
    );
}

/// Every applied migration is recorded with its checksum; an edited one, or one from a
/// newer custodia, stops both a writing and a read-only open, naming the version; a store
/// from before checksums gets them on its next writing open.
fn migration_checksums(env: &Env, _: Kind) {
    let clock = || Arc::new(ManualClock::new(at("2025-03-15T12:00:00Z")));
    drop(env.open());
    // A store from before checksums: the column is not there.
    env.sql("ALTER TABLE schema_migrations DROP COLUMN checksum");
    drop(env.open());
    Store::open_read_only(&env.location, clock()).unwrap();
    // An applied migration whose recorded text differs from this binary's.
    env.sql("UPDATE schema_migrations SET checksum = 'e3b0c442' WHERE version = 6");
    let refused = || {
        Store::open(
            &env.location,
            OpenOptions {
                key_path: Some(env.key.clone()),
                clock: clock(),
            },
        )
        .err()
        .expect("the open must be refused")
    };
    let e = refused();
    assert!(matches!(e, StoreError::Corrupt(_)), "{e:?}");
    assert!(e.to_string().contains("migration 0006"), "{e}");
    let e = Store::open_read_only(&env.location, clock())
        .err()
        .expect("and the read-only open");
    assert!(e.to_string().contains("migration 0006"), "{e}");
    // Put it back, then add a version this binary does not know.
    env.sql("UPDATE schema_migrations SET checksum = NULL WHERE version = 6");
    drop(env.open());
    env.sql("INSERT INTO schema_migrations (version, checksum) VALUES (9999, 'x')");
    let e = refused();
    assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
    assert!(e.to_string().contains("9999"), "{e}");
}
