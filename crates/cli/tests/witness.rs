//! `custodia witness init|serve` through the real binary (CONTRACT §10): a key is created and
//! its vkey printed; the server cosigns over HTTP, answers 409 with its size, and remembers
//! its state across a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

use custodia_ledger::{BatchHasher, LogKey, MemoryHashes, consistency_proof, tree_root};
use support::Scratch;

/// Starts `witness serve` on a free port; returns the child and its address.
fn serve(s: &Scratch, key: &str, log_vkey: &str) -> (Child, String) {
    let mut child = s
        .cmd(&[
            "witness",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--name",
            "witness.example.org/w1",
            "--key-file",
            key,
            "--state",
            s.path("state.db").to_str().unwrap(),
            "--log",
            log_vkey,
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let addr = line.rsplit_once("http://").unwrap().1.trim().to_string();
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

fn post(addr: &str, body: &str) -> (u16, String, String) {
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
    let status = head[9..12].parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

#[test]
fn init_then_serve_cosigns_over_http_and_survives_restart() {
    let s = Scratch::new("witness");
    let key = s.path("w.key");
    let key = key.to_str().unwrap();
    let vkey = s.ok(&[
        "witness",
        "init",
        "--name",
        "witness.example.org/w1",
        "--key-file",
        key,
    ]);
    let vkey = vkey.trim();
    assert!(vkey.starts_with("witness.example.org/w1+"), "{vkey}");
    // Never overwrites a key.
    s.fails(
        2,
        &[
            "witness",
            "init",
            "--name",
            "witness.example.org/w1",
            "--key-file",
            key,
        ],
    );

    let log = LogKey::generate("example.org/custody").unwrap();
    let mut mem = MemoryHashes::default();
    let mut b = BatchHasher::new(0, &mem).unwrap();
    for i in 0..8 {
        b.push(format!("leaf {i}").as_bytes()).unwrap();
    }
    let (start, hashes, _) = b.finish();
    mem.put(start, &hashes);
    let note = |n: u64| log.sign(n, tree_root(n, &mem).unwrap()).unwrap().note;
    let proof = |o: u64, n: u64| {
        consistency_proof(o, n, &mem)
            .unwrap()
            .iter()
            .map(|h| format!("{}\n", base64_encode(&h.0)))
            .collect::<String>()
    };

    let (mut child, addr) = serve(&s, key, log.verifier_key());
    let (status, _, lines) = post(&addr, &format!("old 0\n\n{}", note(3)));
    assert_eq!(status, 200, "{lines}");
    let cosigned = custodia_witness::add_cosignatures(&note(3), &[lines.as_str()]).unwrap();
    let c = custodia_witness::verify_cosignature(&cosigned, vkey).unwrap();
    assert_eq!(c.checkpoint.size, 3);
    let (status, head, body) = post(&addr, &format!("old 0\n\n{}", note(5)));
    assert_eq!((status, body.as_str()), (409, "3\n"));
    assert!(head.contains("content-type: text/x.tlog.size"), "{head}");
    let (status, _, _) = post(&addr, &format!("old 3\n{}\n{}", proof(3, 5), note(5)));
    assert_eq!(status, 200);
    child.kill().unwrap();
    child.wait().unwrap();

    // Restarted on the same state: it still knows 5.
    let (mut child, addr) = serve(&s, key, log.verifier_key());
    let (status, _, body) = post(&addr, &format!("old 3\n{}\n{}", proof(3, 8), note(8)));
    assert_eq!((status, body.as_str()), (409, "5\n"));
    let (status, _, _) = post(&addr, &format!("old 5\n{}\n{}", proof(5, 8), note(8)));
    assert_eq!(status, 200);
    let other = LogKey::generate("example.org/other").unwrap();
    let (status, _, _) = post(
        &addr,
        &format!(
            "old 0\n\n{}",
            other.sign(0, tree_root(0, &mem).unwrap()).unwrap().note
        ),
    );
    assert_eq!(status, 404);
    child.kill().unwrap();
    child.wait().unwrap();

    // The name must be the key's.
    let e = s.fails(
        2,
        &[
            "witness",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--name",
            "someone.else",
            "--key-file",
            key,
            "--state",
            s.path("state.db").to_str().unwrap(),
            "--log",
            log.verifier_key(),
        ],
    );
    assert!(e.contains("--name someone.else"), "{e}");
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}
