#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Two governments end to end on loopback (CONTRACT §10, issue 16): two stores with their own
//! keys and origins, two `custodia serve` processes and a `custodia witness serve` that
//! witnesses both logs; every actor acts by a bearer token (the departure through the US
//! server's API, as an officer's client would). A hand-over with one person missing and one
//! unexpected; the receipt comes back through the server's outbox; `federation check`
//! passes both ways; the missing person taken in later gets a further receipt and custody
//! passes on it; a re-sent document gets the same receipt and appends nothing; a tampered
//! receipt, a receipt for a person never sent and a person in both custodies are each named.
//! Faults: kill -9 of the witness, of the receiving server and of the sending server in the
//! middle of a hand-over; after the restart it completes exactly once.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use custodia_model::events::{EventData, NewEvent, PersonRecord};
use custodia_model::federation::{RECEIPT_FORMAT, ReceiptBody, ReceiptEnvelope, parse_note_text};
use support::{Scratch, s};

const OFFICER: &str = "sending_officer:ana.ortiz";
const SUPERVISOR: &str = "sending_supervisor:rene.castro";
const RECEIVING: &str = "receiving_officer:intake.sv";
const AUDITOR: &str = "auditor:ines.vega";
const ADMIN: &str = "admin:root";
/// The servers' clock: after the departure, so the receipt follows it.
const LATER: &str = "2025-06-05T09:00:00Z";

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(w: &Scratch) -> Server {
    serve_with(w, "127.0.0.1:0", None)
}

/// `custodia [--policy P] serve --addr ADDR`, waiting until it says where it listens.
fn serve_with(w: &Scratch, addr: &str, policy: Option<&str>) -> Server {
    let mut args = Vec::new();
    if let Some(p) = policy {
        args.extend(["--policy", p]);
    }
    args.extend(["serve", "--addr", addr]);
    let mut child = w
        .cmd(&args)
        .env("CUSTODIA_CLOCK", LATER)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let mut addr = None;
    while err.read_line(&mut line).unwrap() > 0 {
        if let Some(a) = line.split("http://").nth(1) {
            addr = Some(a.trim().to_string());
            break;
        }
        line.clear();
    }
    std::thread::spawn(move || for _ in err.lines() {});
    Server {
        child,
        addr: addr.expect("server did not say where it listens"),
    }
}

fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    http_as(addr, method, path, body, None)
}

/// An HTTP/1.1 request on loopback, with `Authorization: Bearer TOKEN` when given.
fn http_as(addr: &str, method: &str, path: &str, body: &str, token: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

/// A store whose key (and so origin) is its government's.
fn government(name: &str, origin: &str) -> Scratch {
    let w = Scratch::new(name);
    let key = custodia_store::default_key_path(s(&w.db)).unwrap();
    custodia_ledger::LogKey::load_or_create(&key, origin).unwrap();
    w
}

const PRISON: &str = r#"{"id":"CECOT","name":"Prison (test)","country":"SV","kind":"prison","adult_only":true,
    "pavilions":[{"id":"P1","cells":[{"id":"P1-C01","area_m2":100.0,"capacity":80,"windows":false,"sanitation":"in_cell"}]}]}"#;

fn us_world(tag: &str) -> Scratch {
    let w = government(&format!("fed-us-{tag}"), "us.example/custodia");
    let site = w.write("site.json", r#"{"id":"USDC-TX","name":"Texas site (test)","country":"US","kind":"us_detention","adult_only":false,
        "pavilions":[{"id":"A","cells":[{"id":"A-1","area_m2":100.0,"capacity":40,"windows":true,"sanitation":"shared"}]}]}"#);
    let prison = w.write("prison.json", PRISON);
    w.ok(&["facility", "register", "--as", ADMIN, s(&site)]);
    w.ok(&["facility", "register", "--as", ADMIN, s(&prison)]);
    let persons = w.write(
        "persons.csv",
        "person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,status,us_status,languages,identity_verified\n\
         P-1,Martínez Hernández,José Luis,1991-04-12,M,SV,SV,USDC-TX,in_custody,undocumented,es,true\n\
         P-4,Portillo Ayala,Walter,1988-09-09,M,SV,SV,USDC-TX,in_custody,undocumented,es,true\n\
         P-5,Mejía Rivas,Carlos Alberto,1990-02-14,M,SV,SV,USDC-TX,in_custody,undocumented,es,true\n\
         P-6,Ramírez Cruz,Mario,1985-07-07,M,SV,SV,USDC-TX,in_custody,undocumented,es,true\n",
    );
    w.ok(&["import", "persons", s(&persons)]);
    let records = w.write(
        "records.jsonl",
        r#"{"person_id":"P-1","record":{"type":"removal_order","date":"2024-11-02","final":true}}
{"person_id":"P-4","record":{"type":"removal_order","date":"2024-03-10","final":true}}
{"person_id":"P-5","record":{"type":"removal_order","date":"2024-05-20","final":true}}
{"person_id":"P-6","record":{"type":"removal_order","date":"2024-06-20","final":true}}
"#,
    );
    w.ok(&["import", "records", "--as", OFFICER, s(&records)]);
    w
}

fn sv_world(tag: &str) -> Scratch {
    let w = government(&format!("fed-sv-{tag}"), "sv.example/custodia");
    let prison = w.write("prison.json", PRISON);
    w.ok(&["facility", "register", "--as", ADMIN, s(&prison)]);
    w
}

fn query(w: &Scratch, sql: &str) -> Vec<Vec<String>> {
    let c = rusqlite::Connection::open(&w.db).unwrap();
    let mut st = c.prepare(sql).unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        Ok((0..n)
            .map(|i| {
                r.get::<_, Option<String>>(i)
                    .ok()
                    .flatten()
                    .or_else(|| r.get::<_, i64>(i).ok().map(|v| v.to_string()))
                    .unwrap_or_default()
            })
            .collect())
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn export(w: &Scratch, name: &str) -> std::path::PathBuf {
    let p = w.write(name, &w.ok(&["log", "export"]));
    w.write(&format!("{name}.checkpoint"), &w.ok(&["log", "checkpoint"]));
    p
}

/// Appends events to a store through the library, as a forger with the store's key would.
fn forge(w: &Scratch, events: Vec<EventData>) {
    let mut store = custodia_store::Store::open(
        s(&w.db),
        custodia_store::OpenOptions {
            key_path: None,
            clock: std::sync::Arc::new(custodia_model::clock::ManualClock::new(
                LATER.parse().unwrap(),
            )),
        },
    )
    .unwrap();
    let at: jiff::Timestamp = LATER.parse().unwrap();
    store
        .append(
            events
                .into_iter()
                .map(|data| NewEvent {
                    occurred_at: at,
                    actor: "receiving_officer:forger".into(),
                    data,
                })
                .collect(),
        )
        .unwrap();
}

/// Polls `f` until it returns `Some`, for at most `secs` seconds (never a timed assertion:
/// the deadline only bounds a test that would otherwise hang).
fn poll<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn free_addr() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

/// A `custodia witness serve` process on a fixed loopback address (a restart keeps its URL)
/// that witnesses both governments' logs: the independent monitor.
struct Monitor {
    name: String,
    key: String,
    state: String,
    addr: String,
    vkey: String,
    child: Option<Child>,
}

impl Monitor {
    fn new(w: &Scratch) -> Self {
        let name = "monitor.example.org/w1".to_string();
        let key = s(&w.path("monitor.key")).to_string();
        let vkey = w
            .ok(&["witness", "init", "--name", &name, "--key-file", &key])
            .trim()
            .to_string();
        Self {
            name,
            key,
            state: s(&w.path("monitor.state")).to_string(),
            addr: free_addr(),
            vkey,
            child: None,
        }
    }
    fn start(&mut self, w: &Scratch, logs: &[&str]) {
        let mut args = vec![
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
        ];
        for l in logs {
            args.extend(["--log", l]);
        }
        let mut child = w.cmd(&args).stderr(Stdio::piped()).spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let line = lines.next().unwrap().unwrap();
        assert!(line.contains(&self.addr), "{line}");
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }
    /// kill -9.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }
    /// A tlog-policy for `log_vkey`: this monitor's cosignature is the quorum.
    fn policy(&self, w: &Scratch, file: &str, log_vkey: &str) -> String {
        let text = format!(
            "log {log_vkey}\nwitness monitor {} http://{}\ngroup g all monitor\nquorum g\n",
            self.vkey, self.addr
        );
        s(&w.write(file, &text)).to_string()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `verify --policy` passes (the monitor has cosigned the latest checkpoint).
fn cosigned(w: &Scratch, policy: &str) -> Option<()> {
    w.run(&["verify", "--policy", policy])
        .status
        .success()
        .then_some(())
}

/// How many entries of `kind` the store's log holds that mention `needle`.
fn entries(w: &Scratch, kind: &str, needle: &str) -> usize {
    w.ok(&["log", "export"])
        .lines()
        .filter(|l| l.contains(&format!("\"kind\":\"{kind}\"")) && l.contains(needle))
        .count()
}

/// The out hand-over of manifest `m`: (doc_hash, state), once issued.
fn handover_of(w: &Scratch, m: &str) -> Option<(String, String)> {
    query(
        w,
        &format!(
            "SELECT doc_hash, state FROM handovers WHERE direction = 'out' AND manifest_id = '{m}'"
        ),
    )
    .first()
    .map(|r| (r[0].clone(), r[1].clone()))
}

/// A flight of `persons` from Texas to CECOT, drafted by the officer and approved by the
/// supervisor (each by their token); returns the manifest id.
fn approved_flight(us: &Scratch, flight: &str, persons: &[&str]) -> String {
    let (officer, supervisor) = (us.token(OFFICER), us.token(SUPERVISOR));
    let m = us.ok(&[
        "manifest",
        "create",
        "--token",
        &officer,
        "--flight",
        flight,
        "--from",
        "USDC-TX",
        "--to",
        "CECOT",
        "--country",
        "SV",
        "--departure",
        "2025-06-05",
    ]);
    let m = m.trim().to_string();
    let mut add = vec!["manifest", "add", "--token", &officer, &m];
    add.extend(persons);
    us.ok(&add);
    us.ok(&["manifest", "screen", "--token", &officer, &m]);
    us.ok(&["manifest", "approve", "--token", &supervisor, &m]);
    m
}

/// The officer departs `m` through the US server's API, with a bearer token; the server's
/// outbox sends the hand-over document.
fn depart_via_api(us: &Scratch, srv: &Server, m: &str) {
    let (st, body) = http_as(
        &srv.addr,
        "POST",
        &format!("/api/v1/manifests/{m}/depart"),
        "",
        Some(&us.token(OFFICER)),
    );
    assert_eq!(st, 200, "{body}");
}

#[test]
fn hand_over_receipt_and_federation_check_end_to_end() {
    let us = us_world("e2e");
    let sv = sv_world("e2e");
    let us_key = us.ok(&["log", "key"]).trim().to_string();
    let sv_key = sv.ok(&["log", "key"]).trim().to_string();
    assert!(
        us_key.starts_with("us.example/custodia+") && sv_key.starts_with("sv.example/custodia+")
    );
    // The independent monitor witnesses both logs; each server asks it after every batch.
    let mut monitor = Monitor::new(&us);
    monitor.start(&us, &[&us_key, &sv_key]);
    let us_policy = monitor.policy(&us, "us.policy", &us_key);
    let sv_policy = monitor.policy(&sv, "sv.policy", &sv_key);
    let sv_srv = serve_with(&sv, "127.0.0.1:0", Some(&sv_policy));
    let us_srv = serve_with(&us, "127.0.0.1:0", Some(&us_policy));
    // Everyone acts by a bearer token, as the server's clients do.
    let (admin_us, admin_sv) = (us.token(ADMIN), sv.token(ADMIN));
    let (officer, auditor_us, auditor_sv) =
        (us.token(OFFICER), us.token(AUDITOR), sv.token(AUDITOR));
    let receiving = sv.token(RECEIVING);

    // Peers: admin only; a bad key or an unknown facility is refused and writes nothing.
    let sv_url = format!("http://{}", sv_srv.addr);
    let us_url = format!("http://{}", us_srv.addr);
    let n = us.size();
    let add_sv = |token: &str, key: &str, facility: &str| {
        vec![
            "peer".to_string(),
            "add".into(),
            "--token".into(),
            token.into(),
            "--name".into(),
            "SV".into(),
            "--url".into(),
            sv_url.clone(),
            "--log-key".into(),
            key.into(),
            "--facility".into(),
            facility.into(),
        ]
    };
    fn args(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let e = us.fails(2, &args(&add_sv(&officer, &sv_key, "CECOT")));
    assert!(e.contains("admin"), "{e}");
    let e = us.fails(2, &args(&add_sv(&admin_us, "nonsense", "CECOT")));
    assert!(e.contains("--log-key"), "{e}");
    let e = us.fails(2, &args(&add_sv(&admin_us, &sv_key, "NOWHERE")));
    assert!(e.contains("NOWHERE"), "{e}");
    assert_eq!(us.size(), n);
    us.ok(&args(&add_sv(&admin_us, &sv_key, "CECOT")));
    let n = us.size();
    us.ok(&args(&add_sv(&admin_us, &sv_key, "CECOT")));
    assert_eq!(us.size(), n, "registering the same peer again adds nothing");
    sv.ok(&[
        "peer",
        "add",
        "--token",
        &admin_sv,
        "--name",
        "US",
        "--url",
        &us_url,
        "--log-key",
        &us_key,
    ]);

    // The receiving facility's own intake, already there when the document arrives: its
    // spellings; P-5 has not arrived; someone unexpected.
    let intake = sv.write(
        "intake.csv",
        "record_id,family_names,given_names,date_of_birth,sex,nationality,document_number\n\
         I-1,MARTINEZ HERNANDEZ,JOSE LUIS,1991-04-12,M,SV,\n\
         I-2,Portillo Ayala,Walter,1988-09-09,M,SV,\n\
         I-9,Zelaya Funes,Óscar Armando,1979-05-05,M,HN,\n",
    );
    sv.ok(&[
        "intake",
        "import",
        "--token",
        &receiving,
        "--facility",
        "CECOT",
        "--manifest",
        "MAN-0001",
        s(&intake),
    ]);

    // The flight departs through the US server's API; its outbox delivers the document and
    // records the receipt.
    let m = approved_flight(&us, "CST2001", &["P-1", "P-4", "P-5"]);
    let m = m.as_str();
    assert_eq!(m, "MAN-0001");
    depart_via_api(&us, &us_srv, m);
    let (hash, _) = poll("the receipt", 60, || {
        handover_of(&us, m).filter(|(_, st)| st == "receipted")
    });

    // Both stores agree: P-1 and P-4 are in SV's custody at CECOT; P-5 is still the US's, with
    // an open case on both sides; I-9 is an open case in SV.
    for w in [&us, &sv] {
        let held = query(
            w,
            "SELECT id, facility_id, status FROM persons WHERE id IN ('P-1', 'P-4') ORDER BY id",
        );
        assert_eq!(
            held,
            vec![
                vec!["P-1".to_string(), "CECOT".into(), "in_custody".into()],
                vec!["P-4".into(), "CECOT".into(), "in_custody".into()]
            ]
        );
        let cases = query(
            w,
            "SELECT kind, subject_id, state FROM cases WHERE kind = 'not_received'",
        );
        assert_eq!(
            cases,
            vec![vec![
                "not_received".to_string(),
                "P-5".into(),
                "open".into()
            ]]
        );
    }
    assert_eq!(
        query(&us, "SELECT status FROM persons WHERE id = 'P-5'"),
        vec![vec!["transferred".to_string()]]
    );
    assert!(
        query(&sv, "SELECT id FROM persons WHERE id = 'P-5'").is_empty(),
        "not received, not registered"
    );
    assert_eq!(
        query(
            &sv,
            "SELECT subject_id FROM cases WHERE kind = 'unexpected_in_intake'"
        ),
        vec![vec!["I-9".to_string()]]
    );

    // Never a legal record in the document (8 C.F.R. § 208.6).
    let doc = query(&us, "SELECT document FROM handovers")[0][0].clone();
    assert!(
        !doc.contains("removal_order") && !doc.contains("fear") && !doc.contains("withholding")
    );
    assert_eq!(custodia_model::federation::doc_hash(&doc), hash);

    // Re-sending the same document: the same receipt, nothing appended.
    let before = sv.size();
    let (st, first) = http(
        &sv_srv.addr,
        "GET",
        &format!("/api/v1/federation/receipts/{hash}"),
        "",
    );
    assert_eq!(st, 200, "{first}");
    let (st, again) = http(&sv_srv.addr, "POST", "/api/v1/federation/handover", &doc);
    assert_eq!(st, 200, "{again}");
    let a: ReceiptEnvelope = serde_json::from_str(&first).unwrap();
    let b: ReceiptEnvelope = serde_json::from_str(&again).unwrap();
    assert_eq!(a, b);
    assert_eq!(sv.size(), before, "a re-sent document appends nothing");
    let body: ReceiptBody = parse_note_text(
        RECEIPT_FORMAT,
        &custodia_ledger::SignedNote::parse(&a.receipt).unwrap().text,
    )
    .unwrap();
    assert_eq!(body.unexpected, vec!["I-9".to_string()]);
    let us_n = us.size();
    let sent = us.ok(&["federation", "send", "--token", &officer]);
    assert!(sent.contains("\"pending\": 0"), "{sent}");
    assert_eq!(us.size(), us_n, "nothing left in the outbox, nothing new");
    // A document not signed by a registered peer is refused.
    let (st, e) = http(
        &sv_srv.addr,
        "POST",
        "/api/v1/federation/handover",
        &doc.replace("CST2001", "CST2002"),
    );
    assert_eq!(st, 403, "{e}");
    assert_eq!(sv.size(), before);

    // Both logs verify; the check passes from either side.
    us.ok(&["verify"]);
    sv.ok(&["verify"]);
    let sv_export = export(&sv, "sv.jsonl");
    let us_export = export(&us, "us.jsonl");
    let ok = us.ok(&[
        "federation",
        "check",
        "--token",
        &auditor_us,
        "--peer-export",
        s(&sv_export),
    ]);
    assert!(
        ok.starts_with("ok: 1 hand-over(s) (1 receipted, 0 open), 3 person(s)"),
        "{ok}"
    );
    let ok = sv.ok(&[
        "federation",
        "check",
        "--token",
        &auditor_sv,
        "--peer-export",
        s(&us_export),
    ]);
    assert!(
        ok.starts_with("ok: 1 hand-over(s) (1 receipted, 0 open)"),
        "{ok}"
    );
    us.fails(
        2,
        &[
            "federation",
            "check",
            "--token",
            &officer,
            "--peer-export",
            s(&sv_export),
        ],
    );

    // P-5 is taken in later: SV's intake records them; the US server presents the
    // document again, SV signs a further receipt, and custody passes on it in both stores.
    sv.ok_at(
        LATER,
        &[
            "intake",
            "add",
            "--token",
            &receiving,
            "--facility",
            "CECOT",
            "--manifest",
            m,
            "--record-id",
            "I-5",
            "--family",
            "MEJIA RIVAS",
            "--given",
            "CARLOS ALBERTO",
            "--dob",
            "1990-02-14",
            "--sex",
            "M",
            "--nationality",
            "SV",
        ],
    );
    poll("the further receipt", 60, || {
        (entries(&us, "receipt_recorded", &hash) == 2).then_some(())
    });
    assert_eq!(entries(&sv, "receipt_issued", &hash), 2);
    for w in [&us, &sv] {
        assert_eq!(
            query(
                w,
                "SELECT facility_id, status FROM persons WHERE id = 'P-5'"
            ),
            vec![vec!["CECOT".to_string(), "in_custody".into()]]
        );
        assert!(
            query(
                w,
                "SELECT id FROM cases WHERE kind = 'not_received' AND state = 'open'"
            )
            .is_empty(),
            "the not_received case is resolved on both sides"
        );
    }
    let sv_export = export(&sv, "sv-late.jsonl");
    let ok = us.ok(&[
        "federation",
        "check",
        "--token",
        &auditor_us,
        "--peer-export",
        s(&sv_export),
    ]);
    assert!(
        ok.starts_with("ok: 1 hand-over(s) (1 receipted, 0 open)"),
        "{ok}"
    );
    let us_export = export(&us, "us-late.jsonl");
    sv.ok(&[
        "federation",
        "check",
        "--token",
        &auditor_sv,
        "--peer-export",
        s(&us_export),
    ]);
    // Nothing else waits: another round appends nothing on either side.
    let (a, b) = (us.size(), sv.size());
    let sent = us.ok(&["federation", "send", "--token", &officer]);
    assert!(sent.contains("\"receipted\": []"), "{sent}");
    assert_eq!((us.size(), sv.size()), (a, b));

    // The monitor cosigned both logs' latest checkpoints: `verify --policy` passes on each.
    poll("US cosigned", 60, || cosigned(&us, &us_policy));
    poll("SV cosigned", 60, || cosigned(&sv, &sv_policy));

    // A tampered receipt: the receipt the US recorded, altered in SV's export.
    let text = std::fs::read_to_string(&sv_export).unwrap();
    let last = text
        .lines()
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| l.contains("\"kind\":\"receipt_issued\""))
        .unwrap();
    let tampered: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == last {
                l.replacen(
                    "\\\"status\\\":\\\"received\\\"",
                    "\\\"status\\\":\\\"not_received\\\"",
                    1,
                )
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(
        tampered.trim_end(),
        text.trim_end(),
        "the export was altered"
    );
    let t = us.write("tampered.jsonl", &format!("{tampered}\n"));
    std::fs::copy(
        sv_export.with_extension("jsonl.checkpoint"),
        us.path("tampered.jsonl.checkpoint"),
    )
    .unwrap();
    let e = us.fails(
        1,
        &[
            "federation",
            "check",
            "--token",
            &auditor_us,
            "--peer-export",
            s(&t),
        ],
    );
    assert!(e.contains("does not verify"), "{e}");
    assert!(
        e.contains(&format!("hand-over `{hash}`")) && e.contains("tampered or forged receipt"),
        "{e}"
    );

    // A receipt for a person never sent, and a person in both custodies (P-6, who never left
    // Texas): SV's log says so.
    drop(sv_srv);
    let forged = ReceiptBody {
        doc_hash: hash.clone(),
        origin: "sv.example/custodia".into(),
        manifest_id: m.into(),
        facility_id: "CECOT".into(),
        passengers: vec![custodia_model::federation::ReceiptLine {
            person_id: "P-999".into(),
            status: custodia_model::federation::ReceiptStatus::Received,
            intake_id: Some("I-9".into()),
        }],
        unexpected: vec![],
    };
    forge(
        &sv,
        vec![
            EventData::ReceiptIssued {
                doc_hash: hash.clone(),
                peer: "US".into(),
                receipt: custodia_model::federation::note_text(RECEIPT_FORMAT, &forged).unwrap(),
            },
            EventData::PersonRegistered(PersonRecord {
                id: "P-6".into(),
                family_names: "Ramírez Cruz".into(),
                given_names: "Mario".into(),
                date_of_birth: None,
                sex: None,
                country_of_birth: None,
                nationalities: vec![],
                us_status: None,
                languages: vec![],
                identity_verified: false,
            }),
            EventData::Admitted {
                person_id: "P-6".into(),
                facility_id: "CECOT".into(),
                manifest_id: None,
            },
        ],
    );
    sv.ok(&["verify"]);
    let sv_export = export(&sv, "sv2.jsonl");
    let e = us.fails(
        1,
        &[
            "federation",
            "check",
            "--token",
            &auditor_us,
            "--peer-export",
            s(&sv_export),
        ],
    );
    assert!(
        e.contains("names person `P-999`, who was never sent"),
        "{e}"
    );
    assert!(e.contains("person `P-6` is in both custodies"), "{e}");
    assert!(
        !e.contains("does not verify"),
        "SV's log itself is intact: {e}"
    );
    drop(us_srv);
}

#[test]
fn a_peer_that_is_down_never_fails_the_departure_and_the_outbox_retries() {
    let us = us_world("down");
    let sv = sv_world("down");
    let us_key = us.ok(&["log", "key"]).trim().to_string();
    let sv_key = sv.ok(&["log", "key"]).trim().to_string();
    // A port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    us.ok(&[
        "peer",
        "add",
        "--as",
        ADMIN,
        "--name",
        "SV",
        "--url",
        &dead_url,
        "--log-key",
        &sv_key,
        "--facility",
        "CECOT",
    ]);
    sv.ok(&[
        "peer",
        "add",
        "--as",
        ADMIN,
        "--name",
        "US",
        "--url",
        "http://127.0.0.1:9",
        "--log-key",
        &us_key,
    ]);
    let m = us.ok(&[
        "manifest",
        "create",
        "--as",
        OFFICER,
        "--flight",
        "CST2002",
        "--from",
        "USDC-TX",
        "--to",
        "CECOT",
        "--country",
        "SV",
        "--departure",
        "2025-06-05",
    ]);
    let m = m.trim();
    us.ok(&["manifest", "add", "--as", OFFICER, m, "P-1", "P-4"]);
    us.ok(&["manifest", "screen", "--as", OFFICER, m]);
    us.ok(&["manifest", "approve", "--as", SUPERVISOR, m]);
    let o = us
        .cmd(&["manifest", "depart", "--as", OFFICER, m])
        .env("CUSTODIA_CLOCK", "2025-06-05T08:00:00Z")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "the departure stands: {err}");
    assert!(err.contains("stays in the outbox"), "{err}");
    assert_eq!(
        query(&us, "SELECT state FROM handovers"),
        vec![vec!["sent".to_string()]]
    );
    // The check sees it open, not broken.
    let sv_export = export(&sv, "sv.jsonl");
    let ok = us.ok(&[
        "federation",
        "check",
        "--as",
        AUDITOR,
        "--peer-export",
        s(&sv_export),
    ]);
    assert!(ok.contains("(0 receipted, 1 open)"), "{ok}");
    // The peer comes up (at a new address): re-register its URL, send again.
    let sv_srv = serve(&sv);
    us.ok(&[
        "peer",
        "add",
        "--as",
        ADMIN,
        "--name",
        "SV",
        "--url",
        &format!("http://{}", sv_srv.addr),
        "--log-key",
        &sv_key,
        "--facility",
        "CECOT",
    ]);
    let n = us.size();
    let out = us.ok(&["federation", "send", "--as", OFFICER]);
    assert!(out.contains("\"pending\": 0"), "{out}");
    assert!(us.size() > n);
    assert_eq!(
        query(&us, "SELECT state FROM handovers"),
        vec![vec!["receipted".to_string()]]
    );
    // Not one document more: idempotent by hash.
    assert_eq!(
        query(&us, "SELECT COUNT(*) FROM handovers"),
        vec![vec!["1".to_string()]]
    );
    assert_eq!(
        query(&sv, "SELECT COUNT(*) FROM handovers"),
        vec![vec!["1".to_string()]]
    );
}

/// What the proxy between the two servers does with the next hand-over it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Carry it through.
    Pass,
    /// Hold the request until told, then carry it through.
    HoldRequest,
    /// Forward the request, then tell the test at once (which kills the receiver).
    AfterForward,
    /// Forward, read the receipt, and hold it until told (the sender is killed meanwhile).
    HoldResponse,
}

/// A loopback proxy in front of the SV server that can stop a hand-over in the middle.
struct Proxy {
    addr: String,
    arm: mpsc::Sender<Fault>,
    /// Told when a faulted exchange reaches its point.
    at_point: mpsc::Receiver<()>,
    /// Tells a held exchange to go on.
    go: mpsc::Sender<()>,
}

fn read_http(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf)
}

impl Proxy {
    fn start(target: String) -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let (arm, armed) = mpsc::channel::<Fault>();
        let (point, at_point) = mpsc::channel();
        let (go, went) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            let mut fault = Fault::Pass;
            for conn in l.incoming() {
                let Ok(mut c) = conn else { return };
                while let Ok(f) = armed.try_recv() {
                    fault = f;
                }
                let Some(req) = read_http(&mut c) else {
                    continue;
                };
                // Only the hand-over route is faulted; a fault serves once.
                let is_handover = req.starts_with(b"POST /api/v1/federation/handover");
                let f = if is_handover { fault } else { Fault::Pass };
                if f != Fault::Pass {
                    fault = Fault::Pass;
                }
                if f == Fault::HoldRequest {
                    point.send(()).unwrap();
                    went.recv().unwrap();
                }
                let Ok(mut up) = TcpStream::connect(&target) else {
                    let _ = c.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    continue;
                };
                up.write_all(&req).unwrap();
                if f == Fault::AfterForward {
                    point.send(()).unwrap();
                    went.recv().unwrap();
                }
                let Some(resp) = read_http(&mut up) else {
                    let _ = c.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    continue;
                };
                if f == Fault::HoldResponse {
                    point.send(()).unwrap();
                    went.recv().unwrap();
                }
                let _ = c.write_all(&resp);
            }
        });
        Self {
            addr,
            arm,
            at_point,
            go,
        }
    }
    fn arm(&self, f: Fault) {
        self.arm.send(f).unwrap();
    }
    /// Waits until the armed exchange reached its point.
    fn reached(&self, what: &str) {
        self.at_point
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the hand-over never reached {what}"));
    }
    fn release(&self) {
        self.go.send(()).unwrap();
    }
}

/// The hand-over of `m` completed exactly once: one document, one receipt issued and one
/// recorded, in each log.
fn exactly_once(us: &Scratch, sv: &Scratch, m: &str) -> String {
    let (hash, state) = handover_of(us, m).unwrap();
    assert_eq!(state, "receipted", "{m}");
    assert_eq!(
        entries(us, "handover_issued", &hash),
        1,
        "{m}: documents issued"
    );
    assert_eq!(
        entries(sv, "handover_received", &hash),
        1,
        "{m}: documents received"
    );
    assert_eq!(
        entries(sv, "receipt_issued", &hash),
        1,
        "{m}: receipts issued"
    );
    assert_eq!(
        entries(us, "receipt_recorded", &hash),
        1,
        "{m}: receipts recorded"
    );
    assert_eq!(
        query(
            us,
            &format!("SELECT COUNT(*) FROM handovers WHERE manifest_id = '{m}'")
        ),
        vec![vec!["1".to_string()]]
    );
    hash
}

/// Issue 16, faults: kill -9 of the witness, of the receiving server and of the sending
/// server, each in the middle of a hand-over (real `custodia` processes; a proxy between the
/// servers holds the exchange at the chosen point). After the restart the hand-over completes
/// exactly once — the receiver answers a document it has seen with the same receipt, by its
/// hash — both logs are cosigned again and `federation check` passes.
#[test]
fn kill_9_mid_hand_over_then_it_completes_exactly_once() {
    let us = us_world("kill");
    let sv = sv_world("kill");
    let us_key = us.ok(&["log", "key"]).trim().to_string();
    let sv_key = sv.ok(&["log", "key"]).trim().to_string();
    let mut monitor = Monitor::new(&us);
    monitor.start(&us, &[&us_key, &sv_key]);
    let us_policy = monitor.policy(&us, "us.policy", &us_key);
    let sv_policy = monitor.policy(&sv, "sv.policy", &sv_key);
    let sv_addr = free_addr();
    let mut sv_srv = serve_with(&sv, &sv_addr, Some(&sv_policy));
    let proxy = Proxy::start(sv_addr.clone());
    let mut us_srv = serve_with(&us, "127.0.0.1:0", Some(&us_policy));
    let admin = us.token(ADMIN);
    us.ok(&[
        "peer",
        "add",
        "--token",
        &admin,
        "--name",
        "SV",
        "--url",
        &format!("http://{}", proxy.addr),
        "--log-key",
        &sv_key,
        "--facility",
        "CECOT",
    ]);
    sv.ok(&[
        "peer",
        "add",
        "--token",
        &sv.token(ADMIN),
        "--name",
        "US",
        "--url",
        "http://127.0.0.1:9",
        "--log-key",
        &us_key,
    ]);
    let intake = sv.write(
        "intake.csv",
        "record_id,family_names,given_names,date_of_birth,sex,nationality,document_number\n\
         I-1,MARTINEZ HERNANDEZ,JOSE LUIS,1991-04-12,M,SV,\n",
    );
    sv.ok(&[
        "intake",
        "import",
        "--token",
        &sv.token(RECEIVING),
        "--facility",
        "CECOT",
        "--manifest",
        "MAN-0001",
        s(&intake),
    ]);
    let intake = sv.write(
        "intake2.csv",
        "record_id,family_names,given_names,date_of_birth,sex,nationality,document_number\n\
         I-2,PORTILLO AYALA,WALTER,1988-09-09,M,SV,\n",
    );
    sv.ok(&[
        "intake",
        "import",
        "--token",
        &sv.token(RECEIVING),
        "--facility",
        "CECOT",
        "--manifest",
        "MAN-0002",
        s(&intake),
    ]);
    let intake = sv.write(
        "intake3.csv",
        "record_id,family_names,given_names,date_of_birth,sex,nationality,document_number\n\
         I-3,MEJIA RIVAS,CARLOS ALBERTO,1990-02-14,M,SV,\n",
    );
    sv.ok(&[
        "intake",
        "import",
        "--token",
        &sv.token(RECEIVING),
        "--facility",
        "CECOT",
        "--manifest",
        "MAN-0003",
        s(&intake),
    ]);

    // 1. The witness dies while the document is on its way; the receiver appends anyway, the
    //    receipt comes back, and once the witness is back both logs are cosigned again.
    let m1 = approved_flight(&us, "CST3001", &["P-1"]);
    proxy.arm(Fault::HoldRequest);
    depart_via_api(&us, &us_srv, &m1);
    proxy.reached("the receiver (witness case)");
    monitor.kill();
    proxy.release();
    poll("the receipt of the first flight", 60, || {
        handover_of(&us, &m1).filter(|(_, st)| st == "receipted")
    });
    assert!(cosigned(&sv, &sv_policy).is_none(), "the witness is down");
    monitor.start(&us, &[&us_key, &sv_key]);
    poll("US cosigned again", 60, || cosigned(&us, &us_policy));
    poll("SV cosigned again", 60, || cosigned(&sv, &sv_policy));
    exactly_once(&us, &sv, &m1);

    // 2. The receiving server dies as the document reaches it (it may or may not have
    //    committed the receipt); restarted at the same address, the sender's next try
    //    completes the hand-over once.
    let m2 = approved_flight(&us, "CST3002", &["P-4"]);
    proxy.arm(Fault::AfterForward);
    depart_via_api(&us, &us_srv, &m2);
    proxy.reached("the receiver (receiver case)");
    let _ = sv_srv.child.kill();
    let _ = sv_srv.child.wait();
    proxy.release();
    sv_srv = serve_with(&sv, &sv_addr, Some(&sv_policy));
    poll("the receipt of the second flight", 90, || {
        handover_of(&us, &m2).filter(|(_, st)| st == "receipted")
    });
    exactly_once(&us, &sv, &m2);

    // 3. The sending server dies after the receiver signed the receipt and before it came
    //    back: SV has it, the US has not recorded it. Restarted, the US server sends the
    //    document again and records the same receipt, once.
    let m3 = approved_flight(&us, "CST3003", &["P-5"]);
    proxy.arm(Fault::HoldResponse);
    depart_via_api(&us, &us_srv, &m3);
    proxy.reached("the receipt on its way back");
    let _ = us_srv.child.kill();
    let _ = us_srv.child.wait();
    proxy.release();
    let doc = handover_of(&us, &m3).unwrap();
    assert_eq!(
        doc.1, "sent",
        "the US had not recorded the receipt when it died"
    );
    assert_eq!(
        entries(&sv, "receipt_issued", &doc.0),
        1,
        "SV had signed it"
    );
    us_srv = serve_with(&us, "127.0.0.1:0", Some(&us_policy));
    poll("the receipt of the third flight", 90, || {
        handover_of(&us, &m3).filter(|(_, st)| st == "receipted")
    });
    exactly_once(&us, &sv, &m3);
    for p in ["P-1", "P-4", "P-5"] {
        for w in [&us, &sv] {
            assert_eq!(
                query(
                    w,
                    &format!("SELECT facility_id, status FROM persons WHERE id = '{p}'")
                ),
                vec![vec!["CECOT".to_string(), "in_custody".into()]],
                "{p}"
            );
        }
    }

    // Both logs verify, are cosigned, and agree.
    poll("US cosigned at the end", 60, || cosigned(&us, &us_policy));
    poll("SV cosigned at the end", 60, || cosigned(&sv, &sv_policy));
    let sv_export = export(&sv, "sv.jsonl");
    let ok = us.ok(&[
        "federation",
        "check",
        "--token",
        &us.token(AUDITOR),
        "--peer-export",
        s(&sv_export),
    ]);
    assert!(
        ok.starts_with("ok: 3 hand-over(s) (3 receipted, 0 open), 3 person(s)"),
        "{ok}"
    );
    let us_export = export(&us, "us.jsonl");
    sv.ok(&[
        "federation",
        "check",
        "--token",
        &sv.token(AUDITOR),
        "--peer-export",
        s(&us_export),
    ]);
    drop(us_srv);
    drop(sv_srv);
}

/// `custodia ARGS` outside any store, with a pinned clock.
fn custodia(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(args)
        .env("CUSTODIA_CLOCK", LATER)
        .env_remove("CUSTODIA_DB")
        .env_remove("CUSTODIA_KEY")
        .env_remove("CUSTODIA_TOKEN")
        .env_remove("CUSTODIA_POLICY")
        .env_remove("CUSTODIA_ORIGIN")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok_out(args: &[&str]) -> String {
    let o = custodia(args);
    assert!(
        o.status.success(),
        "custodia {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Issue 16: `custodia demo --federated DIR` builds two governments' stores with their own
/// keys, their peers, the witnesses' keys and policies, and runs every flight through a real
/// hand-over. The same seed gives the same leaves in both stores; both verify; the cross
/// check passes both ways; a directory that already holds a store is refused.
#[test]
fn the_federated_demo_is_two_governments_and_deterministic() {
    let base = std::env::temp_dir().join(format!("custodia-cli-{}-fed-demo", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (a, b) = (base.join("a"), base.join("b"));
    for d in [&a, &b] {
        let o = custodia(&[
            "demo",
            "--federated",
            s(d),
            "--seed",
            "11",
            "--scale",
            "tiny",
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(err.contains("hand-over(s)"), "{err}");
    }
    for f in [
        "us.db",
        "sv.db",
        "us.db.key",
        "sv.db.key",
        "us.vkey",
        "sv.vkey",
        "us.policy",
        "sv.policy",
        "us-witness.key",
        "sv-witness.key",
        "monitor.key",
    ] {
        assert!(a.join(f).exists(), "{f}");
    }
    fn db(d: &std::path::Path, n: &str) -> String {
        s(&d.join(n)).to_string()
    }
    for n in ["us.db", "sv.db"] {
        let (x, y) = (
            ok_out(&["--db", &db(&a, n), "log", "export"]),
            ok_out(&["--db", &db(&b, n), "log", "export"]),
        );
        assert!(x.lines().count() > 100, "{n}");
        assert_eq!(x, y, "{n}: the same seed gives the same leaves");
        ok_out(&["--db", &db(&a, n), "verify"]);
    }
    // Each store's key is its government's; each registered the other.
    let us_key = ok_out(&["--db", &db(&a, "us.db"), "log", "key"]);
    let sv_key = ok_out(&["--db", &db(&a, "sv.db"), "log", "key"]);
    assert!(us_key.starts_with("us.demo/custodia+") && sv_key.starts_with("sv.demo/custodia+"));
    assert_eq!(std::fs::read_to_string(a.join("us.vkey")).unwrap(), us_key);
    let peers = ok_out(&["--db", &db(&a, "us.db"), "peer", "list"]);
    assert!(
        peers.contains(sv_key.trim()) && peers.contains("CECOT"),
        "{peers}"
    );
    // Each policy names the other government's witness and the monitor, with both needed.
    let us_policy = std::fs::read_to_string(a.join("us.policy")).unwrap();
    assert!(
        us_policy.contains(&format!("log {}", us_key.trim())),
        "{us_policy}"
    );
    assert!(
        us_policy.contains("witness sv-witness ") && us_policy.contains("witness monitor "),
        "{us_policy}"
    );
    // Every flight crossed with a receipt, and custody agrees across the border.
    let handed = ok_out(&["--db", &db(&a, "us.db"), "log", "export"])
        .lines()
        .filter(|l| l.contains("\"kind\":\"receipt_recorded\""))
        .count();
    let departed = ok_out(&["--db", &db(&a, "us.db"), "log", "export"])
        .lines()
        .filter(|l| l.contains("\"kind\":\"manifest_departed\""))
        .count();
    assert!(
        handed > 0 && handed == departed,
        "{handed} receipts, {departed} departures"
    );
    for (here, there) in [("us.db", "sv.db"), ("sv.db", "us.db")] {
        let export = base.join(format!("{there}.jsonl"));
        std::fs::write(&export, ok_out(&["--db", &db(&a, there), "log", "export"])).unwrap();
        std::fs::write(
            base.join(format!("{there}.jsonl.checkpoint")),
            ok_out(&["--db", &db(&a, there), "log", "checkpoint"]),
        )
        .unwrap();
        let token = ok_out(&[
            "--db",
            &db(&a, here),
            "token",
            "create",
            "--role",
            "auditor",
            "--name",
            "ines",
        ]);
        let o = custodia(&[
            "--db",
            &db(&a, here),
            "--token",
            token.trim(),
            "federation",
            "check",
            "--peer-export",
            s(&export),
        ]);
        assert!(
            o.status.success(),
            "{here}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.starts_with(&format!(
                "ok: {handed} hand-over(s) ({handed} receipted, 0 open)"
            )),
            "{here}: {out}"
        );
    }
    // Not into a directory that holds a store.
    let o = custodia(&[
        "demo",
        "--federated",
        s(&a),
        "--seed",
        "11",
        "--scale",
        "tiny",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("us.db"));
    let _ = std::fs::remove_dir_all(&base);
}

/// A government that rewrites an entry of its own log and signs the rewritten history again
/// passes `verify` on its own, but not `federation check`: the other store holds that
/// government's earlier signed checkpoints (in the receipts it recorded, and in the
/// hand-over documents it received), and the rewritten log does not extend them. Both
/// directions; the untouched pair passes.
#[test]
fn a_rewritten_and_resigned_peer_log_fails_the_federation_check() {
    let base =
        std::env::temp_dir().join(format!("custodia-cli-{}-fed-rewrite", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let o = custodia(&[
        "demo",
        "--federated",
        s(&base),
        "--seed",
        "5",
        "--scale",
        "tiny",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let db = |n: &str| s(&base.join(n)).to_string();
    for (here, there) in [("us.db", "sv.db"), ("sv.db", "us.db")] {
        let token = ok_out(&[
            "--db",
            &db(here),
            "token",
            "create",
            "--role",
            "auditor",
            "--name",
            "ines",
        ]);
        let check = |export: &std::path::Path| {
            custodia(&[
                "--db",
                &db(here),
                "--token",
                token.trim(),
                "federation",
                "check",
                "--peer-export",
                s(export),
            ])
        };
        let lines: Vec<String> = ok_out(&["--db", &db(there), "log", "export"])
            .lines()
            .map(str::to_string)
            .collect();
        // The untouched export passes.
        let clean = base.join(format!("{there}.clean.jsonl"));
        std::fs::write(&clean, lines.join("\n") + "\n").unwrap();
        std::fs::write(
            base.join(format!("{there}.clean.jsonl.checkpoint")),
            ok_out(&["--db", &db(there), "log", "checkpoint"]),
        )
        .unwrap();
        let o = check(&clean);
        assert!(
            o.status.success(),
            "{here}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // Entry 1 rewritten (its actor), the tree rebuilt and signed with the log's own key.
        let mut forged = lines.clone();
        let at = forged[1].find("\"actor\":\"").unwrap() + "\"actor\":\"".len();
        forged[1].insert(at, 'x');
        let mem = custodia_ledger::MemoryHashes::default();
        let mut h = custodia_ledger::BatchHasher::new(0, &mem).unwrap();
        for l in &forged {
            h.push(l.as_bytes()).unwrap();
        }
        let key = custodia_ledger::LogKey::load(&base.join(format!("{there}.key"))).unwrap();
        let cp = key.sign(forged.len() as u64, h.root()).unwrap();
        let export = base.join(format!("{there}.rewritten.jsonl"));
        std::fs::write(&export, forged.join("\n") + "\n").unwrap();
        std::fs::write(
            base.join(format!("{there}.rewritten.jsonl.checkpoint")),
            &cp.note,
        )
        .unwrap();
        let o = check(&export);
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(1), "{here}: {out}");
        assert!(out.contains("rewritten"), "{here}: {out}");
    }
    let _ = std::fs::remove_dir_all(&base);
}
