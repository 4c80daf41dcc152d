//! The log asks its witnesses (CONTRACT §10), through the real binary: two `custodia witness
//! serve` processes on loopback and a tlog-policy naming both. Appends collect their
//! cosignatures, `log checkpoint` shows them, `verify --policy` checks the quorum; a witness
//! that is down never fails an append and is caught up (through a 409) when it is back; a
//! rewritten history (a restored, truncated backup with other events appended under the same
//! key) is refused by the witnesses and by `verify --policy`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};

use base64::Engine as _;
use sha2::{Digest, Sha256};
use support::{Scratch, s};

/// A witness process on a fixed loopback address (so a restart keeps its URL).
struct W {
    name: String,
    key: String,
    state: String,
    addr: String,
    vkey: String,
    child: Option<Child>,
}

fn free_addr() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

impl W {
    fn new(sc: &Scratch, n: &str) -> Self {
        let name = format!("witness.example.org/{n}");
        let key = s(&sc.path(&format!("{n}.key"))).to_string();
        let vkey = sc
            .ok(&["witness", "init", "--name", &name, "--key-file", &key])
            .trim()
            .to_string();
        Self {
            name,
            key,
            state: s(&sc.path(&format!("{n}.state"))).to_string(),
            addr: free_addr(),
            vkey,
            child: None,
        }
    }
    fn start(&mut self, sc: &Scratch, log_vkey: &str) {
        let mut child = sc
            .cmd(&[
                "witness",
                "serve",
                "--addr",
                &self.addr,
                "--name",
                &self.name,
                "--key-file",
                &self.key,
                "--state",
                &self.state,
                "--log",
                log_vkey,
            ])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let line = lines.next().unwrap().unwrap();
        assert!(line.contains(&self.addr), "{line}");
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }
}

impl Drop for W {
    fn drop(&mut self) {
        self.kill();
    }
}

fn post(addr: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /add-checkpoint HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    (head[9..12].parse().unwrap(), body.to_string())
}

/// The cosignature lines of a note (every signature line after the log's own).
fn cosignature_lines(note: &str) -> Vec<String> {
    note.lines()
        .filter(|l| l.starts_with("— witness.example.org/"))
        .map(str::to_string)
        .collect()
}

/// Checks a `cosignature/v1` line on a checkpoint independently of the witness crate: the
/// key id is SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4], the signature is Ed25519 over
/// `cosignature/v1\ntime T\n` ‖ the checkpoint body (C2SP tlog-cosignature).
fn check_cosignature(note: &str, line: &str, vkey: &str) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let (body, _) = note.split_once("\n\n").unwrap();
    let body = format!("{body}\n");
    let mut parts = vkey.splitn(3, '+');
    let (name, id_hex, key) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let key = b64.decode(key).unwrap();
    assert_eq!(key[0], 0x04, "a cosignature/v1 vkey");
    let pk: [u8; 32] = key[1..].try_into().unwrap();
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', 0x04]);
    h.update(pk);
    let id = h.finalize();
    assert_eq!(hex::encode(&id[..4]), id_hex);
    let (who, sig) = line.trim_start_matches("— ").split_once(' ').unwrap();
    assert_eq!(who, name);
    let sig = b64.decode(sig).unwrap();
    assert_eq!(sig.len(), 4 + 8 + 64);
    assert_eq!(&sig[..4], &id[..4]);
    let time = u64::from_be_bytes(sig[4..12].try_into().unwrap());
    let msg = format!("cosignature/v1\ntime {time}\n{body}");
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk).unwrap();
    let signature = ed25519_dalek::Signature::from_bytes(&sig[12..].try_into().unwrap());
    vk.verify_strict(msg.as_bytes(), &signature).unwrap();
}

fn policy(sc: &Scratch, file: &str, log_vkey: &str, ws: &[&W], quorum: &str) -> String {
    let mut text = format!("# test policy\nlog {log_vkey}\n");
    for (i, w) in ws.iter().enumerate() {
        text.push_str(&format!(
            "witness w{} {} http://{}\n",
            i + 1,
            w.vkey,
            w.addr
        ));
    }
    text.push_str(&format!("group g {quorum} w1 w2\nquorum g\n"));
    s(&sc.write(file, &text)).to_string()
}

fn persons(sc: &Scratch, file: &str, ids: &[&str]) -> String {
    let mut csv = String::from(
        "person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,status,us_status,languages,identity_verified\n",
    );
    for id in ids {
        csv.push_str(&format!(
            "{id},Martínez Hernández,José Luis,1991-04-12,M,SV,SV,,released,undocumented,es,true\n"
        ));
    }
    s(&sc.write(file, &csv)).to_string()
}

fn size_of(note: &str) -> u64 {
    note.lines().nth(1).unwrap().parse().unwrap()
}

fn run_with(sc: &Scratch, args: &[&str]) -> (Option<i32>, String, String) {
    let o = sc.run(args);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn appends_are_cosigned_by_the_policy_witnesses_and_verify_checks_the_quorum() {
    let sc = Scratch::new("policy");
    let log_vkey = sc.ok(&["log", "key"]).trim().to_string();
    let (mut w1, mut w2) = (W::new(&sc, "w1"), W::new(&sc, "w2"));
    w1.start(&sc, &log_vkey);
    w2.start(&sc, &log_vkey);
    let all = policy(&sc, "all.policy", &log_vkey, &[&w1, &w2], "2");
    let any = policy(&sc, "any.policy", &log_vkey, &[&w1, &w2], "any");

    // An append (the demo world, batch by batch) with the policy: both witnesses cosign.
    let err = sc.ok_err(&["--policy", &all, "demo", "--scale", "tiny"]);
    assert!(err.contains("cosigned by 2 of 2 (quorum reached)"), "{err}");
    let note = sc.ok(&["log", "checkpoint"]);
    let lines = cosignature_lines(&note);
    assert_eq!(lines.len(), 2, "{note}");
    check_cosignature(&note, &lines[0], &w1.vkey);
    check_cosignature(&note, &lines[1], &w2.vkey);
    let out = sc.ok(&["--policy", &all, "verify"]);
    assert!(out.starts_with("ok: "), "{out}");
    // The cosigned checkpoint also passes as `--checkpoint`.
    let saved = s(&sc.write("cp1.txt", &note)).to_string();
    sc.ok(&["--policy", &all, "verify", "--checkpoint", &saved]);
    // Without `--policy`, the bare checkpoint given is not enough for a policy check …
    let bare = sc.write("bare.txt", &log_signed_only(&note));
    let e = sc.fails(1, &["--policy", &all, "verify", "--checkpoint", s(&bare)]);
    assert!(
        e.contains("the given checkpoint") && e.contains("quorum `g`"),
        "{e}"
    );

    // One witness down: the append still succeeds, with one cosignature.
    w2.kill();
    let p1 = persons(&sc, "p1.csv", &["P-9001", "P-9002"]);
    let err = sc.ok_err(&["import", "persons", &p1, "--policy", &all]);
    assert!(err.contains("witness `w2`: unreachable"), "{err}");
    let note = sc.ok(&["log", "checkpoint"]);
    assert_eq!(cosignature_lines(&note).len(), 1, "{note}");
    let e = sc.fails(1, &["--policy", &all, "verify"]);
    assert!(
        e.contains("quorum `g` not reached") && e.contains("w1"),
        "{e}"
    );
    sc.ok(&["--policy", &any, "verify"]);

    // w2 is back, and meanwhile someone else has given it the log's current checkpoint
    // (a mirror, say): our next append learns its size from a 409 and catches it up.
    w2.start(&sc, &log_vkey);
    advance(&sc, &w2, &note);
    let p2 = persons(&sc, "p2.csv", &["P-9003"]);
    let err = sc.ok_err(&["import", "persons", &p2, "--policy", &all]);
    assert!(err.contains("cosigned by 2 of 2 (quorum reached)"), "{err}");
    let note = sc.ok(&["log", "checkpoint"]);
    let lines = cosignature_lines(&note);
    assert_eq!(lines.len(), 2, "{note}");
    check_cosignature(&note, &lines[1], &w2.vkey);
    sc.ok(&["--policy", &all, "verify"]);
    // A policy without a `log` line still checks the log's signature, with the store's key;
    // a policy for another log is refused.
    let nolog = sc.write(
        "nolog.policy",
        &std::fs::read_to_string(&all)
            .unwrap()
            .replace(&format!("log {log_vkey}\n"), ""),
    );
    sc.ok(&["--policy", s(&nolog), "verify"]);
    let other_log = custodia_ledger::LogKey::generate("other.example/log").unwrap();
    let other = sc.write(
        "other.policy",
        &std::fs::read_to_string(&all).unwrap().replace(
            &format!("log {log_vkey}\n"),
            &format!("log {}\n", other_log.verifier_key()),
        ),
    );
    let e = sc.fails(1, &["--policy", s(&other), "verify"]);
    assert!(e.contains("lists no `log` with this log's key"), "{e}");

    // A rewritten history: the backup cut short, restored under the same key into a fresh
    // store, and other events appended. The witnesses refuse it; verify --policy fails.
    let backup = sc.path("a.backup");
    sc.ok(&["backup", "--out", s(&backup)]);
    let text = std::fs::read_to_string(&backup).unwrap();
    let leaves: Vec<&str> = text.lines().skip(1).collect();
    let keep = &leaves[..leaves.len() - 1];
    let root = mth(&keep.iter().map(|l| l.as_bytes()).collect::<Vec<_>>());
    let edited = sc.write(
        "edited.backup",
        &format!(
            "{{\"format\":\"custodia-backup/1\",\"entries\":{},\"root\":\"{}\"}}\n{}\n",
            keep.len(),
            hex::encode(root),
            keep.join("\n")
        ),
    );
    let fork = Scratch::new("policy-fork");
    std::fs::copy(format!("{}.key", s(&sc.db)), format!("{}.key", s(&fork.db))).unwrap();
    fork.ok(&["--policy", &all, "restore", s(&edited)]);
    let p3 = persons(&fork, "p3.csv", &["P-7001", "P-7002", "P-7003"]);
    let (code, _, err) = run_with(&fork, &["import", "persons", &p3, "--policy", &all]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("refused with 422"), "{err}");
    assert!(err.contains("cosigned by 0 of 2"), "{err}");
    let fork_note = fork.ok(&["log", "checkpoint"]);
    assert!(size_of(&fork_note) > size_of(&note));
    assert!(cosignature_lines(&fork_note).is_empty(), "{fork_note}");
    // The fork verifies as a log on its own, but not against the policy.
    fork.ok(&["verify"]);
    let e = fork.fails(1, &["--policy", &any, "verify"]);
    assert!(e.contains("quorum `g` not reached"), "{e}");
}

/// Gives witness `w` the log's checkpoint `note` directly, from the size it cosigned last,
/// so that its size is ahead of what the store has kept for it.
fn advance(sc: &Scratch, w: &W, note: &str) {
    let note = &log_signed_only(note);
    let size = size_of(note);
    let (status, body) = post(&w.addr, &format!("old 0\n\n{note}"));
    assert_eq!(status, 409, "{body}");
    let old: u64 = body.trim().parse().unwrap();
    assert!(old < size);
    let proof = sc.ok(&[
        "log",
        "consistency",
        "--old",
        &old.to_string(),
        "--new",
        &size.to_string(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&proof).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let lines: String = v["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{}\n",
                b64.encode(hex::decode(h.as_str().unwrap()).unwrap())
            )
        })
        .collect();
    let (status, body) = post(&w.addr, &format!("old {old}\n{lines}\n{note}"));
    assert_eq!(status, 200, "{body}");
}

/// The note with the log's own signature only.
fn log_signed_only(note: &str) -> String {
    let (body, sigs) = note.split_once("\n\n").unwrap();
    format!("{body}\n\n{}\n", sigs.lines().next().unwrap())
}

/// The RFC 6962 Merkle tree hash, written out here.
fn mth(leaves: &[&[u8]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest(b"").into(),
        1 => {
            let mut h = Sha256::new();
            h.update([0]);
            h.update(leaves[0]);
            h.finalize().into()
        }
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            let mut h = Sha256::new();
            h.update([1]);
            h.update(mth(&leaves[..k]));
            h.update(mth(&leaves[k..]));
            h.finalize().into()
        }
    }
}

fn get(addr: &str, path: &str, token: Option<&str>) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "GET {path}: {out}");
    out.split_once("\r\n\r\n").unwrap().1.to_string()
}

/// Polls until `f` holds (at most `secs` seconds).
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> Option<String>) {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut last = String::new();
    while std::time::Instant::now() < end {
        match f() {
            None => return,
            Some(l) => last = l,
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what}: still {last}");
}

fn witness_state(addr: &str, token: &str, name: &str) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_str(&get(addr, "/api/v1/log/witnesses", Some(token))).unwrap();
    v["witnesses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == name)
        .unwrap()
        .clone()
}

#[test]
fn the_server_submits_in_the_background_and_reports_each_witness_lag() {
    let sc = Scratch::new("policy-serve");
    let log_vkey = sc.ok(&["log", "key"]).trim().to_string();
    let (mut w1, mut w2) = (W::new(&sc, "w1"), W::new(&sc, "w2"));
    w1.start(&sc, &log_vkey);
    w2.start(&sc, &log_vkey);
    let all = policy(&sc, "all.policy", &log_vkey, &[&w1, &w2], "all");
    // Built without a policy: nothing cosigned yet.
    sc.ok(&["demo", "--scale", "tiny"]);
    let auditor = sc.token("auditor:ana");
    let export = sc.ok(&["log", "export"]);
    let person = export
        .split("\"person_id\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();

    let mut server = sc
        .cmd(&["serve", "--addr", "127.0.0.1:0", "--policy", &all])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let addr = loop {
        let l = lines.next().unwrap().unwrap();
        if let Some((_, a)) = l.split_once("custodia: serving") {
            break a.rsplit_once("http://").unwrap().1.trim().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    // At start the task submits the latest checkpoint: both cosign.
    eventually(10, "two cosignatures on the served checkpoint", || {
        let note = get(&addr, "/api/v1/log/checkpoint", None);
        (cosignature_lines(&note).len() != 2).then_some(note)
    });
    let note = get(&addr, "/api/v1/log/checkpoint", None);
    check_cosignature(&note, &cosignature_lines(&note)[1], &w2.vkey);
    let w = witness_state(&addr, &auditor, "w2");
    assert_eq!(
        (w["lag"].as_u64(), w["status"].as_str()),
        (Some(0), Some("cosigned")),
        "{w}"
    );

    // w2 goes down; an append through the server (a person read is one) still answers, w1
    // cosigns it and w2 is reported behind.
    w2.kill();
    get(&addr, &format!("/api/v1/persons/{person}"), Some(&auditor));
    eventually(10, "w2 reported unreachable and behind", || {
        let w = witness_state(&addr, &auditor, "w2");
        let behind = w["lag"].as_u64().unwrap() > 0
            && w["status"].as_str().unwrap().starts_with("unreachable");
        (!behind).then(|| w.to_string())
    });
    let w = witness_state(&addr, &auditor, "w1");
    assert_eq!(w["lag"].as_u64(), Some(0), "{w}");
    let v: serde_json::Value =
        serde_json::from_str(&get(&addr, "/api/v1/log/witnesses", Some(&auditor))).unwrap();
    assert_eq!(v["quorum"], "g");

    // Back again: the server asks the lagging witness again on its own.
    w2.start(&sc, &log_vkey);
    eventually(20, "w2 caught up by a retry", || {
        let w = witness_state(&addr, &auditor, "w2");
        (w["lag"].as_u64() != Some(0)).then(|| w.to_string())
    });
    let note = get(&addr, "/api/v1/log/checkpoint", None);
    assert_eq!(cosignature_lines(&note).len(), 2, "{note}");
    server.kill().unwrap();
    server.wait().unwrap();
    sc.ok(&["--policy", &all, "verify"]);
}
