#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Two governments end to end on loopback (CONTRACT §10, issue 16): two stores with their own
//! keys and origins, two `custodia serve` processes; a hand-over with one person missing
//! and one unexpected; the receipt comes back; `federation check` passes both ways; a
//! re-sent document gets the same receipt and appends nothing; and a tampered receipt, a
//! receipt for a person never sent and a person in both custodies are each named.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

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
    let mut child = w
        .cmd(&["serve", "--addr", "127.0.0.1:0"])
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
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
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
         P-5,Mejía Rivas,Carlos Alberto,1990-02-14,M,SV,SV,USDC-TX,in_custody,undocumented,es,true\n",
    );
    w.ok(&["import", "persons", s(&persons)]);
    let records = w.write(
        "records.jsonl",
        r#"{"person_id":"P-1","record":{"type":"removal_order","date":"2024-11-02","final":true}}
{"person_id":"P-4","record":{"type":"removal_order","date":"2024-03-10","final":true}}
{"person_id":"P-5","record":{"type":"removal_order","date":"2024-05-20","final":true}}
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

#[test]
fn hand_over_receipt_and_federation_check_end_to_end() {
    let us = us_world("e2e");
    let sv = sv_world("e2e");
    let sv_srv = serve(&sv);
    let us_srv = serve(&us);
    let us_key = us.ok(&["log", "key"]).trim().to_string();
    let sv_key = sv.ok(&["log", "key"]).trim().to_string();
    assert!(
        us_key.starts_with("us.example/custodia+") && sv_key.starts_with("sv.example/custodia+")
    );

    // Peers: admin only; a bad key or an unknown facility is refused and writes nothing.
    let sv_url = format!("http://{}", sv_srv.addr);
    let us_url = format!("http://{}", us_srv.addr);
    let n = us.size();
    us.fails(
        2,
        &[
            "peer",
            "add",
            "--as",
            OFFICER,
            "--name",
            "SV",
            "--url",
            &sv_url,
            "--log-key",
            &sv_key,
            "--facility",
            "CECOT",
        ],
    );
    let e = us.fails(
        2,
        &[
            "peer",
            "add",
            "--as",
            ADMIN,
            "--name",
            "SV",
            "--url",
            &sv_url,
            "--log-key",
            "nonsense",
            "--facility",
            "CECOT",
        ],
    );
    assert!(e.contains("--log-key"), "{e}");
    let e = us.fails(
        2,
        &[
            "peer",
            "add",
            "--as",
            ADMIN,
            "--name",
            "SV",
            "--url",
            &sv_url,
            "--log-key",
            &sv_key,
            "--facility",
            "NOWHERE",
        ],
    );
    assert!(e.contains("NOWHERE"), "{e}");
    assert_eq!(us.size(), n);
    us.ok(&[
        "peer",
        "add",
        "--as",
        ADMIN,
        "--name",
        "SV",
        "--url",
        &sv_url,
        "--log-key",
        &sv_key,
        "--facility",
        "CECOT",
    ]);
    let n = us.size();
    us.ok(&[
        "peer",
        "add",
        "--as",
        ADMIN,
        "--name",
        "SV",
        "--url",
        &sv_url,
        "--log-key",
        &sv_key,
        "--facility",
        "CECOT",
    ]);
    assert_eq!(us.size(), n, "registering the same peer again adds nothing");
    sv.ok(&[
        "peer",
        "add",
        "--as",
        ADMIN,
        "--name",
        "US",
        "--url",
        &us_url,
        "--log-key",
        &us_key,
    ]);

    // The receiving facility's own intake, already there when the document arrives: its
    // spellings; P-5 never arrives; someone unexpected.
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
        "--as",
        RECEIVING,
        "--facility",
        "CECOT",
        "--manifest",
        "MAN-0001",
        s(&intake),
    ]);

    // The flight.
    let m = us.ok(&[
        "manifest",
        "create",
        "--as",
        OFFICER,
        "--flight",
        "CST2001",
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
    us.ok(&["manifest", "add", "--as", OFFICER, m, "P-1", "P-4", "P-5"]);
    us.ok(&["manifest", "screen", "--as", OFFICER, m]);
    us.ok(&["manifest", "approve", "--as", SUPERVISOR, m]);
    let o = us
        .cmd(&["manifest", "depart", "--as", OFFICER, m])
        .env("CUSTODIA_CLOCK", "2025-06-05T08:00:00Z")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("receipt recorded (2 received, 1 not received, 1 unexpected)"),
        "{err}"
    );

    // Both stores agree: P-1 and P-4 are in SV's custody at CECOT; P-5 is still the US's, with
    // an open case on both sides; I-9 is an open case in SV.
    let out = query(
        &us,
        "SELECT doc_hash, state FROM handovers WHERE direction = 'out'",
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0][1], "receipted");
    let hash = out[0][0].clone();
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
    let sent = us.ok(&["federation", "send", "--as", OFFICER]);
    assert!(sent.contains("\"pending\": 0"), "{sent}");
    assert_eq!(us.size(), us_n, "nothing left in the outbox");
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
        "--as",
        AUDITOR,
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
        "--as",
        AUDITOR,
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
            "--as",
            OFFICER,
            "--peer-export",
            s(&sv_export),
        ],
    );

    // A tampered receipt: one byte of SV's receipt entry changed in its export.
    let text = std::fs::read_to_string(&sv_export).unwrap();
    let tampered: String = text
        .lines()
        .map(|l| {
            if l.contains("\"kind\":\"receipt_issued\"") {
                l.replacen("not_received", "received", 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
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
            "--as",
            AUDITOR,
            "--peer-export",
            s(&t),
        ],
    );
    assert!(e.contains("does not verify"), "{e}");
    assert!(
        e.contains(&format!("hand-over `{hash}`")) && e.contains("tampered or forged receipt"),
        "{e}"
    );

    // A receipt for a person never sent, and a person in both custodies: SV's log says so.
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
                id: "P-5".into(),
                family_names: "Mejía Rivas".into(),
                given_names: "Carlos Alberto".into(),
                date_of_birth: None,
                sex: None,
                country_of_birth: None,
                nationalities: vec![],
                us_status: None,
                languages: vec![],
                identity_verified: false,
            }),
            EventData::Admitted {
                person_id: "P-5".into(),
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
            "--as",
            AUDITOR,
            "--peer-export",
            s(&sv_export),
        ],
    );
    assert!(
        e.contains("names person `P-999`, who was never sent"),
        "{e}"
    );
    assert!(e.contains("person `P-5` is in both custodies"), "{e}");
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
