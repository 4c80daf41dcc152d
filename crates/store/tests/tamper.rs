#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Any single changed byte in a stored event, or any changed value in a projection row,
//! makes `verify` fail and name the first bad entry; an untouched store verifies; the demo
//! world is byte-identical for one seed. Against an auditor's trail that saw a checkpoint,
//! a rollback (everything cut back together), a truncation, an emptied store and a history
//! re-signed under another key all fail, naming what broke, though most verify alone.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use custodia_model::clock::ManualClock;
use custodia_model::events::Leaf;
use custodia_store::{OpenOptions, Store, Trail, Verdict, VerifyOptions};
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

fn open(p: &Path) -> Store {
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH));
    Store::open(
        p.to_str().unwrap(),
        OpenOptions {
            key_path: None,
            clock,
        },
    )
    .unwrap()
}

/// The pristine store, read-only (tests run in parallel and share it).
fn pristine_ro() -> Store {
    Store::open_read_only(
        pristine().to_str().unwrap(),
        Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH)),
    )
    .unwrap()
}

/// The pristine store's checkpoint sizes, smallest first.
fn checkpoint_sizes() -> Vec<u64> {
    let mut v: Vec<u64> = pristine_ro()
        .checkpoints(u64::MAX >> 1)
        .unwrap()
        .iter()
        .map(|c| c.size)
        .collect();
    v.sort_unstable();
    v
}

/// A trail in a fresh directory that saw the pristine store's checkpoint of size `k`.
fn trail_at(case: &str, k: u64) -> Trail {
    let dir = tmp(case).join("trail");
    let _ = std::fs::remove_dir_all(&dir);
    let mut s = pristine_ro();
    let cp = s
        .checkpoints(u64::MAX >> 1)
        .unwrap()
        .into_iter()
        .find(|c| c.size == k)
        .unwrap();
    let mut t = Trail::open(&dir).unwrap();
    t.save(s.verifier_key(), &cp).unwrap();
    Trail::open(&dir).unwrap()
}

fn verify_with(p: &Path, trail: Option<Trail>) -> Verdict {
    let mut s = Store::open_read_only(
        p.to_str().unwrap(),
        Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH)),
    )
    .unwrap();
    let opts = VerifyOptions {
        trail,
        ..Default::default()
    };
    s.verify(&opts, &mut |_| {}).unwrap()
}

/// Cuts the store at `p` back to its first `j` entries: ledger rows, checkpoints after `j`,
/// and every projection rebuilt from the remaining leaves, so it is whole and signed.
fn roll_back(p: &Path, j: u64) {
    let mut s = open(p);
    s.transact(|tx| {
        let leaves: Vec<Leaf> = tx
            .query(
                "SELECT body FROM ledger WHERE seq < ? ORDER BY seq",
                &[j.into()],
            )?
            .iter()
            .map(|r| Leaf::from_bytes(r[0].as_str().unwrap().as_bytes()).unwrap())
            .collect();
        tx.execute_service("DELETE FROM ledger WHERE seq >= ?", &[j.into()])?;
        tx.execute_service("DELETE FROM checkpoints WHERE size > ?", &[j.into()])?;
        for (table, _) in custodia_store::project::PROJECTIONS {
            tx.execute_service(&format!("DELETE FROM {table}"), &[])?;
        }
        for l in &leaves {
            custodia_store::project::apply(tx.conn(), l)?;
        }
        Ok(())
    })
    .unwrap();
}

/// Every leaf of the pristine store.
fn leaves() -> Vec<String> {
    let mut s = pristine_ro();
    let mut v = Vec::new();
    s.export(0, None, &mut |_, b| {
        v.push(b.to_string());
        Ok(())
    })
    .unwrap();
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// An untouched store extends every checkpoint a trail saw.
    #[test]
    fn an_untouched_store_extends_any_trail(pick in any::<u64>()) {
        let sizes = checkpoint_sizes();
        let k = sizes[(pick % sizes.len() as u64) as usize];
        let p = copy("trail-ok");
        let v = verify_with(&p, Some(trail_at("trail-ok", k)));
        prop_assert!(matches!(v, Verdict::Ok { .. }), "{v:?}");
    }

    /// A rollback to an earlier checkpoint, or to nothing at all, verifies alone but not
    /// against a trail that saw a later checkpoint.
    #[test]
    fn a_rollback_fails_against_the_trail(pick_k in any::<u64>(), pick_j in any::<u64>()) {
        let sizes = checkpoint_sizes();
        let k = sizes[1 + (pick_k % (sizes.len() as u64 - 1)) as usize];
        let earlier: Vec<u64> = sizes.iter().copied().filter(|&s| s < k).collect();
        let j = earlier[(pick_j % earlier.len() as u64) as usize];
        let p = copy("rollback");
        roll_back(&p, j);
        if j > 0 {
            let alone = verify_with(&p, None);
            prop_assert!(matches!(alone, Verdict::Ok { entries, .. } if entries == j), "{alone:?}");
        }
        match verify_with(&p, Some(trail_at("rollback", k))) {
            Verdict::Failed(m) => prop_assert!(
                m.contains("rolled back") && m.contains(&format!("size {k}")) && m.contains(&format!("holds {j} entries")),
                "{m}"
            ),
            v => prop_assert!(false, "rollback from {k} to {j} not detected: {v:?}"),
        }
    }

    /// Entries cut from the end of the ledger (with or without the checkpoints that sign
    /// them), below what the trail saw, are named as such.
    #[test]
    fn a_truncation_fails_against_the_trail(pick_k in any::<u64>(), cut in any::<u64>(), drop_cps in any::<bool>()) {
        let sizes = checkpoint_sizes();
        let k = sizes[1 + (pick_k % (sizes.len() as u64 - 1)) as usize];
        let t = cut % k;
        let p = copy("trunc");
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute("DELETE FROM ledger WHERE seq >= ?", [t as i64]).unwrap();
        if drop_cps {
            c.execute("DELETE FROM checkpoints WHERE size > ?", [t as i64]).unwrap();
        }
        drop(c);
        match verify_with(&p, Some(trail_at("trunc", k))) {
            Verdict::Failed(m) => prop_assert!(m.contains("rolled back") && m.contains(&format!("holds {t} entries")), "{m}"),
            v => prop_assert!(false, "truncation to {t} not detected: {v:?}"),
        }
    }

    /// The same leaves (or the leaves with one byte changed, a re-hashed rewrite) restored
    /// under another key verify alone and fail against the trail, which names the keys.
    #[test]
    fn a_re_signed_history_fails_against_the_trail(pick_k in any::<u64>(), edit in any::<bool>(), pick in any::<u64>()) {
        let sizes = checkpoint_sizes();
        let k = sizes[(pick_k % sizes.len() as u64) as usize];
        let mut ls = leaves();
        if edit {
            let i = (pick % ls.len() as u64) as usize;
            // One more letter in the actor's name: the leaf still parses, its hash changes.
            if let Some(at) = ls[i].rfind("\"actor\":\"") {
                ls[i].insert(at + 9, 'x');
            }
        }
        let dir = tmp("resign");
        let p = dir.join("r.db");
        for ext in ["", "-wal", "-shm", ".key"] {
            let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
        }
        let mut s = open(&p);
        s.restore_leaves(&ls).unwrap();
        drop(s);
        let alone = verify_with(&p, None);
        prop_assert!(matches!(alone, Verdict::Ok { .. }), "{alone:?}");
        let trail = trail_at("resign", k);
        let pinned = trail.pinned().unwrap().to_string();
        match verify_with(&p, Some(trail)) {
            Verdict::Failed(m) => prop_assert!(m.contains("re-signed") && m.contains(&pinned), "{m}"),
            v => prop_assert!(false, "re-signed history not detected: {v:?}"),
        }
    }
}

#[test]
fn an_emptied_store_fails_against_the_trail() {
    let sizes = checkpoint_sizes();
    let k = *sizes.last().unwrap();
    let p = copy("emptied");
    let c = rusqlite::Connection::open(&p).unwrap();
    c.execute_batch("DELETE FROM ledger; DELETE FROM checkpoints WHERE size > 0;")
        .unwrap();
    drop(c);
    match verify_with(&p, Some(trail_at("emptied", k))) {
        Verdict::Failed(m) => assert!(
            m.contains("rolled back") && m.contains("holds 0 entries"),
            "{m}"
        ),
        v => panic!("emptied store not detected: {v:?}"),
    }
    // An empty file is no store at all: a read-only open refuses it and creates nothing.
    let dir = tmp("empty-file");
    let f = dir.join("e.db");
    std::fs::write(&f, "").unwrap();
    let r = Store::open_read_only(
        f.to_str().unwrap(),
        Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH)),
    );
    assert!(matches!(r, Err(custodia_store::StoreError::Missing(_))));
    assert_eq!(std::fs::metadata(&f).unwrap().len(), 0);
    assert!(!dir.join("e.db.key").exists());
}
