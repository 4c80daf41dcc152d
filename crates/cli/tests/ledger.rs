#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! CONTRACT §3 and §4 through the real binary: the log commands, `verify`, `demo`.

mod support;

use base64::Engine as _;
use custodia_ledger::{Hash, leaf_hash, verify_consistency, verify_inclusion};
use support::{Scratch, s};

fn hash(h: &str) -> Hash {
    Hash(hex::decode(h).unwrap().try_into().unwrap())
}

fn root_of(checkpoint: &str) -> (u64, Hash) {
    let mut l = checkpoint.lines();
    let _origin = l.next().unwrap();
    let size = l.next().unwrap().parse().unwrap();
    let b = base64::engine::general_purpose::STANDARD
        .decode(l.next().unwrap())
        .unwrap();
    (size, Hash(b.try_into().unwrap()))
}

#[test]
fn log_commands_follow_the_contract() {
    let w = Scratch::new("log");
    w.ok(&["demo", "--scale", "tiny", "--seed", "3"]);
    let cp = w.ok(&["log", "checkpoint"]);
    let (size, root) = root_of(&cp);
    assert!(size > 100);
    // Signed note: origin, size, root, blank line, signature line(s).
    let lines: Vec<&str> = cp.lines().collect();
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with("\u{2014} custodia.example/ledger "));
    let key = w.ok(&["log", "key"]);
    let key = key.trim();
    assert!(key.starts_with("custodia.example/ledger+"));
    custodia_ledger::verify_checkpoint(&cp, key).unwrap();

    // Export: line i is exactly leaf i; its hash is the stored leaf hash.
    let export = w.ok(&["log", "export"]);
    let leaves: Vec<&str> = export.lines().collect();
    assert_eq!(leaves.len() as u64, size);
    for (i, l) in leaves.iter().enumerate() {
        assert!(
            l.starts_with(&format!("{{\"seq\":{i},\"occurred_at\":\"")),
            "leaf {i}: {l}"
        );
        // The first keys, in order: seq, occurred_at, recorded_at, kind.
        let rest = &l[format!("{{\"seq\":{i},\"occurred_at\":\"").len()..];
        let rest = &rest[rest
            .find("\",\"recorded_at\":\"")
            .expect("recorded_at third")..];
        assert!(
            rest[18..].find("\",\"kind\":\"").is_some_and(|k| k <= 25),
            "kind fourth: {l}"
        );
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["seq"], i);
    }
    let part = w.ok(&["log", "export", "--from", "5", "--to", "8"]);
    assert_eq!(part.lines().collect::<Vec<_>>(), leaves[5..8].to_vec());

    // The proofs print their keys in the contract's order.
    let p = w.ok(&["log", "prove", "--index", "1"]);
    assert!(
        p.starts_with(&format!("{{\"index\":1,\"size\":{size},\"leaf_hash\":\"")),
        "{p}"
    );
    assert!(p.contains("\",\"proof\":["), "{p}");
    let c = w.ok(&["log", "consistency", "--old", "2"]);
    assert!(
        c.starts_with(&format!("{{\"old_size\":2,\"new_size\":{size},\"proof\":[")),
        "{c}"
    );

    // Every inclusion proof verifies against the checkpoint's root.
    for i in [0, 1, size / 2, size - 1] {
        let p: serde_json::Value =
            serde_json::from_str(&w.ok(&["log", "prove", "--index", &i.to_string()])).unwrap();
        assert_eq!(p["index"], i);
        assert_eq!(p["size"], size);
        let lh = hash(p["leaf_hash"].as_str().unwrap());
        assert_eq!(lh, leaf_hash(leaves[i as usize].as_bytes()));
        let proof: Vec<Hash> = p["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hash(h.as_str().unwrap()))
            .collect();
        verify_inclusion(&proof, size, root, i, lh).unwrap();
    }
    // A proof in an older tree, and a consistency proof to it.
    let old = size / 3;
    let c: serde_json::Value =
        serde_json::from_str(&w.ok(&["log", "consistency", "--old", &old.to_string()])).unwrap();
    assert_eq!(
        (c["old_size"].as_u64(), c["new_size"].as_u64()),
        (Some(old), Some(size))
    );
    let proof: Vec<Hash> = c["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hash(h.as_str().unwrap()))
        .collect();
    let old_root = {
        // The root of the first `old` leaves, computed independently from the export.
        let mut f = custodia_ledger::Frontier::default();
        let mut out = Vec::new();
        for l in &leaves[..old as usize] {
            f.push(leaf_hash(l.as_bytes()), &mut out).unwrap();
        }
        f.root()
    };
    verify_consistency(&proof, old, old_root, size, root).unwrap();

    // Bad arguments: exit 2.
    w.fails(2, &["log", "prove", "--index", &size.to_string()]);
    w.fails(2, &["log", "consistency", "--old", &(size + 1).to_string()]);
    w.fails(2, &["log", "export", "--from", "9", "--to", "3"]);

    // verify, and verify against an earlier checkpoint.
    let out = w.ok(&["verify"]);
    assert_eq!(
        out.trim(),
        format!("ok: {size} entries, root {}", hex::encode(root.0))
    );
    let cp_file = w.write("old.checkpoint", &cp);
    w.ok(&[
        "import",
        "persons",
        s(&w.write(
            "p.csv",
            "person_id,family_names,given_names\nX-1,Ramos,Elena\n",
        )),
    ]);
    w.ok(&["verify", "--checkpoint", s(&cp_file)]);
    // A checkpoint from another log is not one this log extends.
    let other = Scratch::new("log-other");
    other.ok(&["demo", "--scale", "tiny", "--seed", "4"]);
    let foreign = other.write("foreign.checkpoint", &other.ok(&["log", "checkpoint"]));
    let err = w.fails(
        1,
        &[
            "verify",
            "--checkpoint",
            s(&foreign),
            "--vkey",
            other.ok(&["log", "key"]).trim(),
        ],
    );
    assert!(err.contains("checkpoint"), "{err}");
    // A file that is no checkpoint at all is bad input (exit 2), the file named.
    let junk = w.write("junk.checkpoint", "this is not a signed note\n");
    let err = w.fails(2, &["verify", "--checkpoint", s(&junk)]);
    assert!(err.contains("junk.checkpoint"), "{err}");
}

#[test]
fn verify_names_the_first_tampered_entry() {
    let w = Scratch::new("tamper");
    w.ok(&["demo", "--scale", "tiny", "--seed", "3"]);
    let c = rusqlite::Connection::open(&w.db).unwrap();
    c.execute(
        "UPDATE ledger SET body = replace(body, 'Admitted', 'admitted') WHERE seq = 40",
        [],
    )
    .unwrap();
    c.execute(
        "UPDATE ledger SET body = replace(body, '\"seq\":41', '\"seq\":42') WHERE seq = 41",
        [],
    )
    .unwrap();
    drop(c);
    let err = w.fails(1, &["verify"]);
    assert!(err.contains("entry 41"), "{err}");
    let c = rusqlite::Connection::open(&w.db).unwrap();
    c.execute(
        "UPDATE persons SET facility_id = 'ELSEWHERE' WHERE id = (SELECT MIN(id) FROM persons)",
        [],
    )
    .unwrap();
    c.execute(
        "UPDATE ledger SET body = replace(body, '\"seq\":42', '\"seq\":41') WHERE seq = 41",
        [],
    )
    .unwrap();
    drop(c);
    let err = w.fails(1, &["verify"]);
    assert!(err.contains("table `persons`"), "{err}");
}

#[test]
fn demo_is_deterministic_and_refuses_a_full_store() {
    let a = Scratch::new("det-a");
    let b = Scratch::new("det-b");
    a.ok(&["demo", "--scale", "tiny", "--seed", "9"]);
    b.ok(&["demo", "--scale", "tiny", "--seed", "9"]);
    assert_eq!(a.ok(&["log", "export"]), b.ok(&["log", "export"]));
    assert_eq!(
        root_of(&a.ok(&["log", "checkpoint"])),
        root_of(&b.ok(&["log", "checkpoint"]))
    );
    let before = a.size();
    let err = a.fails(2, &["demo", "--scale", "tiny"]);
    assert!(err.contains("already holds"), "{err}");
    assert_eq!(a.size(), before);
}

#[test]
fn import_persons_is_atomic_and_idempotent() {
    let w = Scratch::new("import");
    w.facility("CECOT", "SV", true);
    let good = w.write(
        "good.csv",
        "status,person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,extra\n\
         in_custody,A-1,Martínez Hernández,José Luis,1991-04-12,M,SV,SV,CECOT,x\n\
         released,A-2,Rondón,Anderson,1993-02-14,M,VE,VE;CO,,y\n\
         ,A-3,Pérez,,,,,,,\n",
    );
    w.ok(&["import", "persons", s(&good)]);
    let after_first = w.size();
    assert!(after_first >= 5);
    let o = w.run(&["import", "persons", s(&good)]);
    assert!(o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("nothing new"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(w.size(), after_first, "re-import adds nothing");

    // One bad row anywhere rejects the whole file, naming line and field; nothing is written.
    for (body, line, field) in [
        (
            "A-9,Ruiz,Ana,1990-02-30,F,SV,SV,,in_custody",
            3,
            "date_of_birth",
        ),
        (
            "A-9,Ruiz,Ana,1990-02-03,F,El Salvador,SV,,in_custody",
            3,
            "country_of_birth",
        ),
        ("A-9,Ruiz,Ana,1990-02-03,F,SV,SV,,deported", 3, "status"),
        ("A-9,,Ana,1990-02-03,F,SV,SV,,in_custody", 3, "family_names"),
        (
            "A-8,Ruiz,Ana,1990-02-03,F,SV,SV,,in_custody",
            3,
            "person_id",
        ),
    ] {
        let bad = w.write(
            "bad.csv",
            &format!("person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,status\nA-8,Nuevo,Uno,1980-01-01,M,SV,SV,,\n{body}\n"),
        );
        let err = w.fails(2, &["import", "persons", s(&bad)]);
        assert!(
            err.contains("bad.csv")
                && err.contains(&format!("line {line}"))
                && err.contains(&format!("`{field}`")),
            "{err}"
        );
        assert_eq!(w.size(), after_first);
    }
    // A changed row updates; the unchanged ones add nothing.
    let changed = w.write("changed.csv", "person_id,family_names,given_names,facility_id,status\nA-1,Martínez Hernández,José Luis,CECOT,released\n");
    w.ok(&["import", "persons", s(&changed)]);
    let grew = w.size() - after_first;
    assert!(grew >= 1);
    w.ok(&["verify"]);
}

#[test]
fn a_killed_import_leaves_a_store_that_verifies() {
    let w = Scratch::new("kill");
    // Many batches: the demo appends one transaction per batch.
    let mut child = w
        .cmd(&["demo", "--scale", "cecot", "--seed", "1"])
        .spawn()
        .unwrap();
    // Wait until some batches are committed, then kill -9 in the middle of the next.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let probe = rusqlite::Connection::open(&w.db).ok().and_then(|c| {
            c.query_row("SELECT COUNT(*) FROM ledger", [], |r| r.get::<_, i64>(0))
                .ok()
        });
        if probe.unwrap_or(0) > 20_000 || std::time::Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    let out = w.ok(&["verify"]);
    let n: u64 = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(n > 0, "{out}");
    // The log ends on a batch boundary: the latest checkpoint signs every entry.
    assert_eq!(w.size(), n);
}

#[test]
fn tokens_are_revoked_once() {
    use std::io::Write;
    let w = Scratch::new("token");
    let t = w.ok(&["token", "create", "--role", "auditor", "--name", "ines"]);
    assert_eq!(t.trim().lines().count(), 1);
    // The holder revokes their own token (CONTRACT §9: the command takes a token).
    let revoke = |token: &str| {
        let mut c = w.cmd(&["--token", t.trim(), "token", "revoke"]);
        c.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(token.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap().status.code()
    };
    assert_eq!(revoke(&t), Some(0));
    // Revoked, it acts no more: not even to revoke itself again.
    assert_eq!(revoke(&t), Some(2));
    assert_eq!(revoke("not-a-token"), Some(2));
}

/// A reader that stops reading (`custodia locate … | head -1`) ends the output quietly:
/// no panic, no error, success. The reader here is gone before the command writes.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let w = Scratch::new("closed-pipe");
    w.ok(&["demo", "--scale", "tiny", "--seed", "3"]);
    for args in [
        &[
            "locate",
            "--family",
            "Hernandez",
            "--given",
            "Jose",
            "--country",
            "SV",
            "--json",
        ][..],
        &["log", "export"][..],
    ] {
        let mut child = w
            .cmd(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// An auditor with a copy of the store and no key file reads the log: `log export`,
/// `checkpoint`, `key` and `prove` answer from the copy as from the original (they only
/// read), and no key file is created beside it. A key that does not match is still refused.
#[test]
fn the_log_is_read_without_the_key_file() {
    let w = Scratch::new("no-key");
    w.ok(&["demo", "--scale", "tiny", "--seed", "3"]);
    let copy = w.path("copy.db");
    std::fs::copy(&w.db, &copy).unwrap();
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_custodia"))
            .arg("--db")
            .arg(&copy)
            .args(args)
            .env_remove("CUSTODIA_KEY")
            .env_remove("CUSTODIA_DB")
            .env("CUSTODIA_CLOCK", "2025-06-01T12:00:00Z")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    for args in [
        &["log", "export"][..],
        &["log", "checkpoint"][..],
        &["log", "key"][..],
        &["log", "prove", "--index", "1"][..],
    ] {
        assert_eq!(run(args), w.ok(args), "{args:?}");
    }
    assert!(!w.path("copy.db.key").exists(), "a read created a key file");
    // Another key beside the copy is still refused.
    let other = Scratch::new("no-key-other");
    other.ok(&["demo", "--scale", "tiny", "--seed", "4"]);
    std::fs::copy(
        other.path(&format!(
            "{}.key",
            other.db.file_name().unwrap().to_str().unwrap()
        )),
        w.path("copy.db.key"),
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_custodia"))
        .arg("--db")
        .arg(&copy)
        .args(["log", "export"])
        .env_remove("CUSTODIA_KEY")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
