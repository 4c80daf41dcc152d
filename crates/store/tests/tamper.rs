#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Any single changed byte in a stored event, or any changed value in a projection row,
//! makes `verify` fail and name the first bad entry; an untouched store verifies; the demo
//! world is byte-identical for one seed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use custodia_model::clock::ManualClock;
use custodia_store::{OpenOptions, Store, Verdict};
use proptest::prelude::*;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("custodia-tamper-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn build(path: &Path) -> Store {
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH));
    let mut s = Store::open(
        path.to_str().unwrap(),
        OpenOptions {
            key_path: None,
            clock: clock.clone(),
        },
    )
    .unwrap();
    for b in custodia_demo::build(11, custodia_demo::Scale::Tiny) {
        clock.set(b.recorded_at);
        s.append(b.events).unwrap();
    }
    s
}

/// One pristine tiny store, built once; each case works on a copy.
fn pristine() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let dir = tmp("pristine");
        let p = dir.join("s.db");
        let _ = std::fs::remove_file(&p);
        let mut s = build(&p);
        assert!(matches!(
            s.verify(&Default::default(), &mut |_| {}).unwrap(),
            Verdict::Ok { .. }
        ));
        drop(s);
        // Fold the WAL into the main file so a plain copy is complete.
        let c = rusqlite::Connection::open(&p).unwrap();
        c.pragma_update(None, "wal_checkpoint", "TRUNCATE").unwrap();
        p
    })
}

fn copy(case: &str) -> PathBuf {
    let src = pristine();
    let dir = tmp(case);
    let dst = dir.join("s.db");
    let _ = std::fs::remove_file(&dst);
    let _ = std::fs::remove_file(dir.join("s.db-wal"));
    std::fs::copy(src, &dst).unwrap();
    std::fs::copy(
        format!("{}.key", src.display()),
        format!("{}.key", dst.display()),
    )
    .unwrap();
    dst
}

fn verify(p: &Path) -> Verdict {
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH));
    let mut s = Store::open(
        p.to_str().unwrap(),
        OpenOptions {
            key_path: None,
            clock,
        },
    )
    .unwrap();
    s.verify(&Default::default(), &mut |_| {}).unwrap()
}

#[test]
fn untouched_store_verifies() {
    let p = copy("untouched");
    assert!(matches!(verify(&p), Verdict::Ok { .. }));
}

#[test]
fn a_deleted_last_entry_is_found() {
    let p = copy("deleted");
    let c = rusqlite::Connection::open(&p).unwrap();
    c.execute(
        "DELETE FROM ledger WHERE seq = (SELECT MAX(seq) FROM ledger)",
        [],
    )
    .unwrap();
    drop(c);
    match verify(&p) {
        Verdict::Failed(m) => assert!(m.contains("checkpoint") || m.contains("entries"), "{m}"),
        v => panic!("deletion not detected: {v:?}"),
    }
}

#[test]
fn a_re_signed_rewrite_with_another_key_is_found() {
    let p = copy("rekey");
    // Someone with write access to the database but not the key file forges a checkpoint.
    let other = custodia_ledger::LogKey::generate(custodia_store::DEFAULT_ORIGIN).unwrap();
    let c = rusqlite::Connection::open(&p).unwrap();
    let (size, root): (i64, Vec<u8>) = c
        .query_row(
            "SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let forged = other
        .sign(size as u64, custodia_ledger::Hash(root.try_into().unwrap()))
        .unwrap();
    c.execute(
        "UPDATE checkpoints SET note = ? WHERE size = ?",
        rusqlite::params![forged.note, size],
    )
    .unwrap();
    drop(c);
    assert!(
        matches!(verify(&p), Verdict::Failed(m) if m.contains(&format!("checkpoint at size {size}")))
    );
}

#[test]
fn demo_world_is_deterministic() {
    let a = custodia_demo::build(5, custodia_demo::Scale::Tiny);
    let b = custodia_demo::build(5, custodia_demo::Scale::Tiny);
    assert_eq!(a, b);
    let c = custodia_demo::build(6, custodia_demo::Scale::Tiny);
    assert_ne!(a, c);
    // And the stores built from it have the same root, whatever the key.
    let p1 = tmp("det1").join("s.db");
    let p2 = tmp("det2").join("s.db");
    for p in [&p1, &p2] {
        let _ = std::fs::remove_file(p);
        let _ = std::fs::remove_file(format!("{}.key", p.display()));
    }
    let r1 = build(&p1).checkpoint().unwrap();
    let r2 = build(&p2).checkpoint().unwrap();
    assert_eq!((r1.size, r1.root), (r2.size, r2.root));
    assert_ne!(r1.note, r2.note, "different keys sign differently");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_changed_leaf_byte_is_found(pick in any::<u64>(), pos in any::<u64>(), bit in 0u8..7) {
        let p = copy("leaf");
        let c = rusqlite::Connection::open(&p).unwrap();
        let n: i64 = c.query_row("SELECT COUNT(*) FROM ledger", [], |r| r.get(0)).unwrap();
        let seq = (pick % n as u64) as i64;
        let body: String = c.query_row("SELECT body FROM ledger WHERE seq = ?", [seq], |r| r.get(0)).unwrap();
        let mut bytes = body.into_bytes();
        let i = (pos % bytes.len() as u64) as usize;
        // Flip one of the low 7 bits so the byte stays ASCII when it was.
        bytes[i] ^= 1 << bit;
        c.execute("UPDATE ledger SET body = CAST(? AS TEXT) WHERE seq = ?", rusqlite::params![bytes, seq]).unwrap();
        drop(c);
        match verify(&p) {
            Verdict::Failed(m) => prop_assert!(m.starts_with(&format!("entry {seq}:")), "wrong entry named: {m}"),
            v => prop_assert!(false, "tampered entry {seq} byte {i} not detected: {v:?}"),
        }
    }

    #[test]
    fn any_changed_projection_value_is_found(t in 0usize..custodia_store::project::PROJECTIONS.len(), pick in any::<u64>(), col in any::<u64>()) {
        let (table, key) = custodia_store::project::PROJECTIONS[t];
        let p = copy("proj");
        let c = rusqlite::Connection::open(&p).unwrap();
        let n: i64 = c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).unwrap();
        prop_assume!(n > 0);
        let rowid: i64 = c
            .query_row(&format!("SELECT rowid FROM {table} ORDER BY {key} LIMIT 1 OFFSET ?"), [(pick % n as u64) as i64], |r| r.get(0))
            .unwrap();
        let cols: Vec<String> = {
            let mut st = c.prepare(&format!("SELECT name FROM pragma_table_info('{table}')")).unwrap();
            st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
        };
        let name = &cols[(col % cols.len() as u64) as usize];
        let v: rusqlite::types::Value = c.query_row(&format!("SELECT {name} FROM {table} WHERE rowid = ?"), [rowid], |r| r.get(0)).unwrap();
        use rusqlite::types::Value as V;
        let changed = match v {
            V::Null => V::Text("x".into()),
            V::Integer(i) => V::Integer(i + 1),
            V::Real(f) => V::Real(f + 0.5),
            V::Text(s) => V::Text(format!("{s}~")),
            V::Blob(mut b) => { b.push(0); V::Blob(b) }
        };
        // A change that breaks a key's uniqueness cannot be written at all: not a case.
        let wrote = c.execute(&format!("UPDATE {table} SET {name} = ? WHERE rowid = ?"), rusqlite::params![changed, rowid]);
        prop_assume!(wrote.is_ok());
        drop(c);
        match verify(&p) {
            Verdict::Failed(m) => prop_assert!(m.contains(&format!("table `{table}`")), "wrong place named: {m}"),
            v => prop_assert!(false, "changed {table}.{name} not detected: {v:?}"),
        }
    }
}
