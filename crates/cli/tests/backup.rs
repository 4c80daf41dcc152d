#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `custodia backup` and `custodia restore` through the real binary, on SQLite (the
//! PostgreSQL round trips are in `pg.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Self {
        let d = std::env::temp_dir().join(format!("custodia-backup-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Self(d)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custodia"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("CUSTODIA_KEY")
        .env_remove("CUSTODIA_DB")
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn verify_line(db: &str) -> String {
    ok(&run(db, &["verify"]))
}

fn demo(db: &str) {
    ok(&run(db, &["demo", "--seed", "11", "--scale", "tiny"]));
}

#[test]
fn backup_then_restore_gives_the_same_leaves_and_root() {
    let d = Dir::new("roundtrip");
    let (a, b, file) = (d.path("a.db"), d.path("b.db"), d.path("a.backup"));
    demo(&a);
    ok(&run(&a, &["backup", "--out", &file]));
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["format"], "custodia-backup/1");
    let export = ok(&run(&a, &["log", "export"]));
    // The rest of the file is exactly `log export`.
    assert_eq!(text.split_once('\n').unwrap().1, export);
    assert_eq!(
        header["entries"].as_u64().unwrap(),
        export.lines().count() as u64
    );

    ok(&run(&b, &["restore", &file]));
    assert_eq!(ok(&run(&b, &["log", "export"])), export);
    let va = verify_line(&a);
    assert_eq!(verify_line(&b), va);
    assert!(va.contains(header["root"].as_str().unwrap()), "{va}");
    // The target signs with its own key.
    assert_ne!(ok(&run(&a, &["log", "key"])), ok(&run(&b, &["log", "key"])));
    // Restoring into a store that holds anything is refused, and changes nothing.
    let o = run(&b, &["restore", &file]);
    assert_eq!(code(&o), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty store"));
    assert_eq!(ok(&run(&b, &["log", "export"])), export);
}

fn write(p: &str, s: &str) {
    std::fs::write(Path::new(p), s).unwrap();
}

#[test]
fn damaged_backups_are_refused_before_the_store_is_touched() {
    let d = Dir::new("damaged");
    let (a, file) = (d.path("a.db"), d.path("a.backup"));
    demo(&a);
    ok(&run(&a, &["backup", "--out", &file]));
    let text = std::fs::read_to_string(&file).unwrap();
    let (header, leaves) = text.split_once('\n').unwrap();

    let cases = [
        (
            "one changed byte",
            format!(
                "{header}\n{}",
                leaves.replacen("\"seq\":3,", "\"seq\":3, ", 1)
            ),
        ),
        (
            "a missing leaf",
            format!("{header}\n{}", leaves.split_once('\n').unwrap().1),
        ),
        (
            "a truncated file",
            format!(
                "{header}\n{}",
                &leaves[..leaves.len() / 2].rsplit_once('\n').unwrap().0
            ),
        ),
        ("not a backup", leaves.to_string()),
        (
            "another format",
            format!(
                "{}\n{leaves}",
                header.replace("custodia-backup/1", "custodia-backup/9")
            ),
        ),
    ];
    for (i, (what, body)) in cases.iter().enumerate() {
        let f = d.path(&format!("bad{i}.backup"));
        write(&f, body);
        let target = d.path(&format!("t{i}.db"));
        let o = run(&target, &["restore", &f]);
        assert_eq!(
            code(&o),
            Some(2),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            err.contains(&format!("bad{i}.backup")),
            "{what}: the message names the file: {err}"
        );
        assert!(
            !Path::new(&target).exists(),
            "{what}: the store was created"
        );
    }
    let o = run(&d.path("t.db"), &["restore", &d.path("missing.backup")]);
    assert_eq!(code(&o), Some(2));
}

#[test]
fn an_empty_store_backs_up_and_restores() {
    let d = Dir::new("empty");
    let (a, b, file) = (d.path("a.db"), d.path("b.db"), d.path("a.backup"));
    ok(&run(&a, &["log", "key"]));
    ok(&run(&a, &["backup", "--out", &file]));
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 1);
    ok(&run(&b, &["restore", &file]));
    // The restored store has the same (empty) log; an empty log is not `ok` for verify.
    assert_eq!(
        ok(&run(&b, &["log", "checkpoint"])).lines().nth(1),
        Some("0")
    );
    let v = run(&b, &["verify"]);
    assert_eq!(code(&v), Some(1));
    assert!(String::from_utf8_lossy(&v.stderr).contains("no entries"));
}

#[test]
fn verify_never_creates_a_store() {
    let d = Dir::new("verify-missing");
    let target = d.path("typo.db");
    let v = run(&target, &["verify"]);
    assert_eq!(code(&v), Some(1), "{}", String::from_utf8_lossy(&v.stderr));
    assert!(String::from_utf8_lossy(&v.stderr).contains("no store"));
    assert!(!Path::new(&target).exists(), "verify created a store");
    assert!(
        !Path::new(&format!("{target}.key")).exists(),
        "verify created a key"
    );
}
