//! `custodia token create` and `custodia serve` through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_custodia"))
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
    out
}

#[test]
fn token_create_prints_one_token_and_refuses_unknown_roles() {
    let dir = tempfile_dir();
    let db = dir.join("t.db");
    let out = bin()
        .args([
            "--db",
            db.to_str().unwrap(),
            "token",
            "create",
            "--role",
            "auditor",
            "--name",
            "ana",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(text.starts_with("cst_") && text.trim().len() > 40);
    let out = bin()
        .args([
            "--db",
            db.to_str().unwrap(),
            "token",
            "create",
            "--role",
            "king",
            "--name",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("king"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "custodia-serve-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn serve_demo_answers_the_contract_routes() {
    let dir = tempfile_dir();
    let db = dir.join("s.db");
    let db = db.to_str().unwrap();
    let token = String::from_utf8(
        bin()
            .args([
                "--db", db, "token", "create", "--role", "auditor", "--name", "ana",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let token = token.trim();
    let mut child = bin()
        .args([
            "--db",
            db,
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--demo",
            "--locate-auditor-rate",
            "1",
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    let mut line = String::new();
    while err.read_line(&mut line).unwrap() > 0 {
        if let Some(a) = line.split("http://").nth(1) {
            addr = Some(a.trim().to_string());
            break;
        }
        line.clear();
    }
    let addr = addr.expect("server did not say where it listens");
    std::thread::spawn(move || for _ in err.lines() {});
    assert!(get(&addr, "/healthz", None).starts_with("HTTP/1.1 200"));
    let cp = get(&addr, "/api/v1/log/checkpoint", None);
    assert!(
        cp.starts_with("HTTP/1.1 200") && cp.contains("custodia.example/ledger"),
        "{cp}"
    );
    assert!(get(&addr, "/api/v1/persons/P-000001", None).starts_with("HTTP/1.1 401"));
    let p = get(&addr, "/api/v1/persons/P-000001", Some(token));
    assert!(p.starts_with("HTTP/1.1 200"), "{p}");
    assert!(get(&addr, "/", None).contains("<html lang=\"en\">"));
    assert!(get(&addr, "/api/openapi.json", None).contains("/api/v1/persons/{id}"));
    // The auditor's locator limit is configurable (CONTRACT §8): at one a minute, the
    // second query in the same minute is refused.
    let q = "/api/v1/locate?family=Hernandez&given=Jose&country=SV";
    let first = get(&addr, q, Some(token));
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    let second = get(&addr, q, Some(token));
    assert!(second.starts_with("HTTP/1.1 429"), "{second}");
    // SIGTERM: a graceful stop.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
