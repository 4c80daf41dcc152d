#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A `verify` that needs a trust anchor (issue 18), through the real binary: it never
//! creates or migrates a store; an emptied, deleted or mistyped store is exit 1; a store
//! signed by a key other than the trusted one is exit 1; and against an auditor's trail
//! (`verify --trail DIR`) a rollback, a truncation, a lost commit, a re-signed history and a
//! rewritten one are exit 1 naming what broke, although each verifies on its own.
//! `log checkpoints --since` serves the history a trail is kept from.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use custodia_ledger::{Frontier, Hash, leaf_hash, verify_checkpoint, verify_consistency};
use support::{Scratch, s};

/// `custodia --db DB ARGS` with a pinned clock and no inherited store settings.
fn at(db: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_custodia"));
    c.arg("--db").arg(db).args(args);
    c.env("CUSTODIA_CLOCK", "2025-06-01T12:00:00Z")
        .env_remove("CUSTODIA_DB")
        .env_remove("CUSTODIA_KEY")
        .env_remove("CUSTODIA_VKEY")
        .env_remove("CUSTODIA_TOKEN")
        .env_remove("CUSTODIA_POLICY");
    c
}

fn out(db: &Path, args: &[&str]) -> Output {
    at(db, args).output().unwrap()
}

/// Asserts the exit code; returns stderr.
fn code(db: &Path, want: i32, args: &[&str]) -> String {
    let o = out(db, args);
    assert_eq!(
        o.status.code(),
        Some(want),
        "custodia {args:?}: stdout {} stderr {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stderr).unwrap()
}

/// A tiny demo store with one import after it.
fn world(name: &str) -> Scratch {
    let w = Scratch::new(name);
    w.ok(&["demo", "--scale", "tiny", "--seed", "3"]);
    w
}

fn import(w: &Scratch, file: &str, rows: &str) {
    let p = w.write(file, &format!("person_id,family_names,given_names\n{rows}"));
    w.ok(&["import", "persons", s(&p)]);
}

/// Copies a store (its file, WAL if any, and key) to `to`.
fn copy_store(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    for ext in ["-wal", ".key"] {
        let src = format!("{}{ext}", from.display());
        let dst = format!("{}{ext}", to.display());
        let _ = std::fs::remove_file(&dst);
        if Path::new(&src).exists() {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn remove_store(db: &Path) {
    for ext in ["", "-wal", "-shm", ".key"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
}

fn saved_sizes(trail: &Path) -> Vec<u64> {
    let mut v: Vec<u64> = std::fs::read_dir(trail.join("checkpoints"))
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.strip_suffix(".checkpoint").map(|s| s.parse().unwrap())
        })
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn verify_never_creates_or_migrates_a_store() {
    let w = Scratch::new("vt-create");
    // A mistyped path: nothing is created, not even a key.
    let typo = w.path("stroe.db");
    let err = code(&typo, 1, &["verify"]);
    assert!(err.contains("no store"), "{err}");
    assert!(!typo.exists(), "verify created a store");
    assert!(!w.path("stroe.db.key").exists(), "verify created a key");
    // An empty file (an emptied store file): exit 1, and it stays empty, with no key made.
    let empty = w.write("empty.db", "");
    let err = code(&empty, 1, &["verify"]);
    assert!(err.contains("no custodia store"), "{err}");
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0, "verify wrote");
    assert!(!w.path("empty.db.key").exists(), "verify created a key");
    // A directory is no store either.
    let err = code(&w.dir, 1, &["verify"]);
    assert!(err.contains("no store"), "{err}");
    // An existing store is verified without its signing key: an auditor has none.
    w.ok(&["demo", "--scale", "tiny", "--seed", "3"]);
    let key = w.path("store.db.key");
    std::fs::rename(&key, w.path("elsewhere.key")).unwrap();
    let o = out(&w.db, &["verify"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!key.exists(), "verify created a key");
}

#[test]
fn without_an_anchor_verify_says_ok_but_not_authentic() {
    let w = world("vt-anchor");
    let vkey = w.ok(&["log", "key"]).trim().to_string();
    // CONTRACT §3: plain verify on a good store is exit 0 with the one-line summary; the
    // missing anchor is said on standard error.
    let o = out(&w.db, &["verify"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ok: "));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no trust anchor"), "{err}");
    // The published key, given three ways, is an anchor.
    let err = w.ok_err(&["verify", "--vkey", &vkey]);
    assert!(!err.contains("no trust anchor"), "{err}");
    let kf = w.write(
        "published.vkey",
        &format!("# the log's published key\n{vkey}\n"),
    );
    w.ok(&["verify", "--vkey-file", s(&kf)]);
    let o = at(&w.db, &["verify"])
        .env("CUSTODIA_VKEY", &vkey)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("no trust anchor"));
    // Another log's key is not this store's: exit 1, both keys named.
    let other = world("vt-anchor-other");
    let other_key = other.ok(&["log", "key"]).trim().to_string();
    let err = w.fails(1, &["verify", "--vkey", &other_key]);
    assert!(err.contains("not by the trusted key"), "{err}");
    let kf2 = w.write("other.vkey", &format!("{other_key}\n"));
    w.fails(1, &["verify", "--vkey-file", s(&kf2)]);
    let o = at(&w.db, &["verify"])
        .env("CUSTODIA_VKEY", &other_key)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    // A key file with no key in it is bad input.
    let blank = w.write("blank.vkey", "# nothing\n\n");
    w.fails(2, &["verify", "--vkey-file", s(&blank)]);
}

#[test]
fn the_trail_pins_the_key_and_saves_each_checkpoint() {
    let w = world("vt-pin");
    let trail = w.path("trail");
    let err = w.ok_err(&["verify", "--trail", s(&trail)]);
    assert!(err.contains("first use"), "{err}");
    let vkey = w.ok(&["log", "key"]);
    assert_eq!(std::fs::read_to_string(trail.join("vkey")).unwrap(), vkey);
    let first = w.size();
    assert_eq!(saved_sizes(&trail), vec![first]);
    import(&w, "a.csv", "X-1,Ramos,Elena\n");
    w.ok(&["verify", "--trail", s(&trail)]);
    let second = w.size();
    assert!(second > first);
    assert_eq!(saved_sizes(&trail), vec![first, second]);
    // Each saved file is exactly a checkpoint the log signed.
    let note = std::fs::read_to_string(
        trail
            .join("checkpoints")
            .join(format!("{second:020}.checkpoint")),
    )
    .unwrap();
    assert_eq!(note, w.ok(&["log", "checkpoint"]));
    // A key given against a trail that pinned another is refused.
    let other = world("vt-pin-other");
    let other_key = other.ok(&["log", "key"]).trim().to_string();
    let err = w.fails(1, &["verify", "--trail", s(&trail), "--vkey", &other_key]);
    assert!(err.contains("pins key"), "{err}");
    // A tampered trail file is named.
    let f = trail
        .join("checkpoints")
        .join(format!("{first:020}.checkpoint"));
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, text.replacen(&format!("\n{first}\n"), "\n1\n", 1)).unwrap();
    let err = w.fails(1, &["verify", "--trail", s(&trail)]);
    assert!(err.contains("trail file"), "{err}");
}

#[test]
fn a_rollback_verifies_alone_but_not_against_the_trail() {
    let w = world("vt-rollback");
    let trail = w.path("trail");
    w.ok(&["verify", "--trail", s(&trail)]);
    // The operator keeps a copy of the whole store (ledger, checkpoints, projections)...
    let snapshot = w.path("snapshot.db");
    copy_store(&w.db, &snapshot);
    import(&w, "a.csv", "X-1,Ramos,Elena\nX-2,Cruz,Ana\n");
    let later = w.size();
    w.ok(&["verify", "--trail", s(&trail)]);
    // ...and puts it back: ledger rows, checkpoints and projections cut back together.
    remove_store(&w.db);
    copy_store(&snapshot, &w.db);
    w.ok(&["verify"]);
    let err = w.fails(1, &["verify", "--trail", s(&trail)]);
    assert!(err.contains("rolled back"), "{err}");
    assert!(err.contains(&format!("size {later}")), "{err}");
    // The trail is not overwritten by the failed run.
    assert_eq!(saved_sizes(&trail).last(), Some(&later));
}

#[test]
fn a_truncated_log_is_named_against_the_trail() {
    let w = world("vt-trunc");
    let trail = w.path("trail");
    import(&w, "a.csv", "X-1,Ramos,Elena\n");
    w.ok(&["verify", "--trail", s(&trail)]);
    let size = w.size();
    // Cut the last entry and every checkpoint that signs it.
    let c = rusqlite::Connection::open(&w.db).unwrap();
    c.execute("DELETE FROM ledger WHERE seq = ?", [size as i64 - 1])
        .unwrap();
    c.execute("DELETE FROM checkpoints WHERE size >= ?", [size as i64])
        .unwrap();
    drop(c);
    let err = w.fails(1, &["verify", "--trail", s(&trail)]);
    assert!(err.contains("rolled back"), "{err}");
    assert!(
        err.contains(&format!("holds {} entries", size - 1)),
        "{err}"
    );
}

#[test]
fn a_lost_commit_is_named_against_the_trail() {
    let w = world("vt-lost");
    let trail = w.path("trail");
    w.ok(&["verify", "--trail", s(&trail)]);
    // Hold the database open so the import's pages stay in the WAL file, then lose that file.
    let hold = rusqlite::Connection::open(&w.db).unwrap();
    hold.pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    import(&w, "a.csv", "X-1,Ramos,Elena\n");
    let committed = w.size();
    w.ok(&["verify", "--trail", s(&trail)]);
    let lost = w.path("lost.db");
    std::fs::copy(&w.db, &lost).unwrap();
    std::fs::copy(w.path("store.db.key"), w.path("lost.db.key")).unwrap();
    drop(hold);
    // Without its WAL the store is whole, smaller, and verifies on its own...
    let o = out(&lost, &["verify"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains(&format!("ok: {committed} ")),
        "the copy kept the commit; the test lost nothing"
    );
    // ...but not against the trail that saw the commit.
    let err = code(&lost, 1, &["verify", "--trail", s(&trail)]);
    assert!(err.contains("rolled back"), "{err}");
    assert!(err.contains(&format!("size {committed}")), "{err}");
}

/// A backup with one leaf edited and the header's root made to match.
fn edited_backup(w: &Scratch, from: &str, to: &str) -> std::path::PathBuf {
    let file = w.path("store.backup");
    w.ok(&["backup", "--out", s(&file)]);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
    let i = lines.iter().position(|l| l.contains(from)).unwrap();
    lines[i] = lines[i].replace(from, to);
    let mut f = Frontier::default();
    let mut scratch = Vec::new();
    for l in &lines {
        f.push(leaf_hash(l.as_bytes()), &mut scratch).unwrap();
    }
    let header = format!(
        "{{\"format\":\"custodia-backup/1\",\"entries\":{},\"root\":\"{}\"}}",
        lines.len(),
        hex::encode(f.root().0)
    );
    let edited = w.path("edited.backup");
    std::fs::write(&edited, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    edited
}

#[test]
fn a_re_signed_history_is_named_against_the_trail() {
    let w = world("vt-resign");
    let trail = w.path("trail");
    import(&w, "a.csv", "X-1,Ramos,Elena\n");
    w.ok(&["verify", "--trail", s(&trail)]);
    let vkey = w.ok(&["log", "key"]).trim().to_string();
    let old = w.write("old.checkpoint", &w.ok(&["log", "checkpoint"]));
    let edited = edited_backup(&w, "\"Ramos\"", "\"Romas\"");
    // The edited history restored in place of the store, under a new key.
    remove_store(&w.db);
    w.ok(&["restore", s(&edited)]);
    assert_ne!(w.ok(&["log", "key"]).trim(), vkey);
    let o = out(&w.db, &["verify"]);
    assert!(
        o.status.success(),
        "the re-signed store verifies on its own"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("no trust anchor"));
    let err = w.fails(1, &["verify", "--trail", s(&trail)]);
    assert!(err.contains("re-signed"), "{err}");
    assert!(err.contains(&vkey), "{err}");
    let err = w.fails(1, &["verify", "--vkey", &vkey]);
    assert!(err.contains("re-signed"), "{err}");
    // An earlier checkpoint kept by the auditor anchors too: the new key did not sign it.
    let err = w.fails(1, &["verify", "--checkpoint", s(&old)]);
    assert!(err.contains("the given checkpoint"), "{err}");
}

#[test]
fn a_history_rewritten_under_the_same_key_is_named_against_the_trail() {
    let w = world("vt-rewrite");
    let trail = w.path("trail");
    import(&w, "a.csv", "X-1,Ramos,Elena\n");
    w.ok(&["verify", "--trail", s(&trail)]);
    let edited = edited_backup(&w, "\"Ramos\"", "\"Romas\"");
    // Whoever holds the signing key restores the edited history and signs it again.
    let key = std::fs::read(w.path("store.db.key")).unwrap();
    remove_store(&w.db);
    std::fs::write(w.path("store.db.key"), key).unwrap();
    w.ok(&["restore", s(&edited)]);
    w.ok(&["verify"]);
    let err = w.fails(1, &["verify", "--trail", s(&trail)]);
    assert!(err.contains("not an extension"), "{err}");
    assert!(err.contains("rewritten"), "{err}");
}

#[test]
fn emptied_and_deleted_stores_fail_against_the_trail() {
    let w = world("vt-empty");
    let trail = w.path("trail");
    w.ok(&["verify", "--trail", s(&trail)]);
    let size = w.size();
    // Emptied: every row of the ledger and its checkpoints gone.
    let c = rusqlite::Connection::open(&w.db).unwrap();
    c.execute_batch("DELETE FROM ledger; DELETE FROM checkpoints;")
        .unwrap();
    drop(c);
    let err = w.fails(1, &["verify", "--trail", s(&trail)]);
    assert!(err.contains("no entries"), "{err}");
    assert!(err.contains(&format!("size {size}")), "{err}");
    // An empty file in its place.
    remove_store(&w.db);
    std::fs::write(&w.db, "").unwrap();
    w.fails(1, &["verify", "--trail", s(&trail)]);
    // Deleted.
    remove_store(&w.db);
    let err = w.fails(1, &["verify", "--trail", s(&trail)]);
    assert!(err.contains("no store"), "{err}");
    assert!(!w.db.exists());
    // The trail still holds what it saw.
    assert_eq!(saved_sizes(&trail), vec![size]);
}

fn hash(h: &str) -> Hash {
    Hash(hex::decode(h).unwrap().try_into().unwrap())
}

#[test]
fn log_checkpoints_serves_the_history_with_consistency_proofs() {
    let w = world("vt-history");
    import(&w, "a.csv", "X-1,Ramos,Elena\n");
    import(&w, "b.csv", "X-2,Cruz,Ana\n");
    let vkey = w.ok(&["log", "key"]).trim().to_string();
    let all: Vec<serde_json::Value> = w
        .ok(&["log", "checkpoints"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(all.len() >= 3, "{all:?}");
    assert_eq!(all[0]["size"], 0);
    // Every note verifies under the log's key and says its size and root; each step has a
    // consistency proof from the one before.
    let mut prev: Option<(u64, Hash)> = None;
    for e in &all {
        let cp = verify_checkpoint(e["note"].as_str().unwrap(), &vkey).unwrap();
        let size = e["size"].as_u64().unwrap();
        let root = hash(e["root"].as_str().unwrap());
        assert_eq!((cp.size, cp.root), (size, root));
        let c = &e["consistency"];
        assert_eq!(c["new_size"].as_u64(), Some(size));
        let proof: Vec<Hash> = c["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hash(h.as_str().unwrap()))
            .collect();
        if let Some((ps, pr)) = prev {
            assert_eq!(c["old_size"].as_u64(), Some(ps));
            verify_consistency(&proof, ps, pr, size, root).unwrap();
        }
        prev = Some((size, root));
    }
    assert_eq!(
        prev.unwrap().0,
        w.size(),
        "the last is the current checkpoint"
    );
    // `--since N`: the checkpoints of size N or more; the first proves from the one before.
    let mid = all[all.len() - 2]["size"].as_u64().unwrap();
    let since: Vec<serde_json::Value> = w
        .ok(&["log", "checkpoints", "--since", &mid.to_string()])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(since.as_slice(), &all[all.len() - 2..]);
    // It needs no signing key, and creates no store.
    std::fs::rename(w.path("store.db.key"), w.path("moved.key")).unwrap();
    assert_eq!(w.ok(&["log", "checkpoints"]).lines().count(), all.len());
    let typo = w.path("typo.db");
    code(&typo, 1, &["log", "checkpoints"]);
    assert!(!typo.exists());
}
