#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The manifest lifecycle through the real binary (issue 4): two-person approval, blocked
//! and needs_review passengers, passenger changes after approval, forbidden transitions,
//! intake with its own spellings, reconciliation cases that block closing.

mod support;

use support::{Scratch, s};

const OFFICER: &str = "sending_officer:ana.ortiz";
const SUPERVISOR: &str = "sending_supervisor:rene.castro";
const RECEIVING: &str = "receiving_officer:intake.sv";

fn world(name: &str) -> Scratch {
    let w = Scratch::new(name);
    let site = w.write("site.json", r#"{"id":"USDC-TX","name":"Texas site (test)","country":"US","kind":"us_detention","adult_only":false,
        "pavilions":[{"id":"A","cells":[{"id":"A-1","area_m2":100.0,"capacity":40,"windows":true,"sanitation":"shared"}]}]}"#);
    let prison = w.write("prison.json", r#"{"id":"CECOT","name":"Prison (test)","country":"SV","kind":"prison","adult_only":true,
        "pavilions":[{"id":"P1","cells":[{"id":"P1-C01","area_m2":100.0,"capacity":80,"windows":false,"sanitation":"in_cell"}]}]}"#);
    w.ok(&["facility", "register", "--as", "admin:root", s(&site)]);
    w.ok(&["facility", "register", "--as", "admin:root", s(&prison)]);
    w.fails(2, &["facility", "register", "--as", OFFICER, s(&prison)]);
    let persons = w.write(
        "persons.csv",
        "person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,status,us_status,languages,identity_verified\n\
         P-1,Martínez Hernández,José Luis,1991-04-12,M,SV,SV,USDC-TX,in_custody,undocumented,es,true\n\
         P-2,Arévalo Guzmán,Kevin,1995-07-26,M,SV,SV,USDC-TX,in_custody,undocumented,es,true\n\
         P-3,Quintanilla,Mario,1975-01-30,M,SV,SV,USDC-TX,in_custody,undocumented,es,false\n\
         P-4,Portillo Ayala,Walter,1988-09-09,M,SV,SV,USDC-TX,in_custody,undocumented,es,true\n",
    );
    w.ok(&["import", "persons", s(&persons)]);
    let records = w.write(
        "records.jsonl",
        r#"{"person_id":"P-1","record":{"type":"removal_order","date":"2024-11-02","final":true}}
{"person_id":"P-2","record":{"type":"removal_order","date":"2019-10-10","final":true}}
{"person_id":"P-2","record":{"type":"withholding_of_removal","country":"SV","date":"2019-10-10"}}
{"person_id":"P-3","record":{"type":"removal_order","date":"2024-01-10","final":true}}
{"person_id":"P-4","record":{"type":"removal_order","date":"2024-03-10","final":true}}
"#,
    );
    w.ok(&["import", "records", "--as", OFFICER, s(&records)]);
    let n = w.size();
    w.ok(&["import", "records", "--as", OFFICER, s(&records)]);
    assert_eq!(w.size(), n, "records import is idempotent");
    w
}

fn state(w: &Scratch, m: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&w.ok(&["manifest", "show", m])).unwrap();
    v["state"].as_str().unwrap().to_string()
}

/// Runs a command that must be refused with exit 2 and change nothing.
fn refused(w: &Scratch, args: &[&str], says: &str) {
    let before = w.size();
    let err = w.fails(2, args);
    assert!(err.contains(says), "{args:?}: expected `{says}` in: {err}");
    assert_eq!(w.size(), before, "{args:?} wrote to the log");
}

#[test]
fn lifecycle_with_two_person_approval_and_reconciliation() {
    let w = world("lifecycle");
    let id = w.ok(&[
        "manifest",
        "create",
        "--as",
        OFFICER,
        "--flight",
        "CST1001",
        "--from",
        "USDC-TX",
        "--to",
        "CECOT",
        "--country",
        "SV",
        "--departure",
        "2025-06-05",
    ]);
    let m = id.trim();
    assert_eq!(m, "MAN-0001");
    refused(
        &w,
        &[
            "manifest",
            "create",
            "--as",
            RECEIVING,
            "--flight",
            "X",
            "--from",
            "USDC-TX",
            "--to",
            "CECOT",
            "--country",
            "SV",
            "--departure",
            "2025-06-05",
        ],
        "forbidden",
    );
    w.ok(&["manifest", "add", "--as", OFFICER, m, "P-1", "P-2", "P-3"]);
    refused(
        &w,
        &["manifest", "add", "--as", OFFICER, m, "P-1"],
        "already on",
    );
    refused(
        &w,
        &["manifest", "add", "--as", OFFICER, m, "P-404"],
        "no person",
    );

    // Approval before screening is an illegal transition.
    refused(
        &w,
        &["manifest", "approve", "--as", SUPERVISOR, m],
        "`draft`",
    );
    let out: serde_json::Value =
        serde_json::from_str(&w.ok(&["manifest", "screen", "--as", OFFICER, m])).unwrap();
    let outcome = |p: &str| {
        out.as_array()
            .unwrap()
            .iter()
            .find(|x| x["person_id"] == p)
            .unwrap()["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(outcome("P-1"), "eligible");
    assert_eq!(outcome("P-2"), "blocked");
    assert_eq!(outcome("P-3"), "needs_review");
    assert_eq!(state(&w, m), "screened");

    // Only a supervisor, never while someone is blocked, never without a justification.
    refused(
        &w,
        &["manifest", "approve", "--as", OFFICER, m],
        "forbidden",
    );
    refused(
        &w,
        &["manifest", "approve", "--as", SUPERVISOR, m],
        "`P-2` is blocked",
    );
    w.ok(&["manifest", "remove", "--as", OFFICER, m, "P-2"]);
    assert_eq!(
        state(&w, m),
        "draft",
        "a changed passenger list goes back to screening"
    );
    w.ok(&["manifest", "screen", "--as", OFFICER, m]);
    refused(
        &w,
        &["manifest", "approve", "--as", SUPERVISOR, m],
        "`P-3` needs review",
    );
    w.ok(&[
        "manifest",
        "approve",
        "--as",
        SUPERVISOR,
        m,
        "--justify",
        "P-3=identity confirmed by consular document",
    ]);
    assert_eq!(state(&w, m), "approved");

    // A change after approval sends it back to screening.
    w.ok(&["manifest", "add", "--as", OFFICER, m, "P-4"]);
    assert_eq!(state(&w, m), "draft");
    refused(&w, &["manifest", "depart", "--as", OFFICER, m], "`draft`");
    w.ok(&["manifest", "screen", "--as", OFFICER, m]);
    w.ok(&[
        "manifest",
        "approve",
        "--as",
        SUPERVISOR,
        m,
        "--justify",
        "P-3=identity confirmed by consular document",
    ]);

    refused(
        &w,
        &["manifest", "arrive", "--as", RECEIVING, m],
        "`approved`",
    );
    refused(
        &w,
        &["manifest", "depart", "--as", RECEIVING, m],
        "forbidden",
    );
    // The departure gate opens on the scheduled day, not before.
    refused(
        &w,
        &["manifest", "depart", "--as", OFFICER, m],
        "2025-06-05",
    );
    w.ok_at(
        "2025-06-05T08:00:00Z",
        &["manifest", "depart", "--as", OFFICER, m],
    );
    refused(
        &w,
        &["manifest", "add", "--as", OFFICER, m, "P-2"],
        "`departed`",
    );
    refused(
        &w,
        &["manifest", "reconcile", "--as", RECEIVING, m],
        "`departed`",
    );
    w.ok(&["manifest", "arrive", "--as", RECEIVING, m]);

    // The receiving side's own intake: its spellings; P-3 never arrives; someone unexpected.
    let intake = w.write(
        "intake.csv",
        "record_id,family_names,given_names,date_of_birth,sex,nationality,document_number\n\
         I-1,MARTINEZ HERNANDEZ,JOSE LUIS,1991-12-04,M,SV,\n\
         I-2,Portillo,Walter,1988-09-09,M,SV,\n\
         I-3,Zelaya Funes,Óscar Armando,1979-05-05,M,HN,\n",
    );
    w.ok(&[
        "intake",
        "import",
        "--as",
        RECEIVING,
        "--facility",
        "CECOT",
        "--manifest",
        m,
        s(&intake),
    ]);
    let n = w.size();
    w.ok(&[
        "intake",
        "import",
        "--as",
        RECEIVING,
        "--facility",
        "CECOT",
        "--manifest",
        m,
        s(&intake),
    ]);
    assert_eq!(w.size(), n, "intake import is idempotent");
    let rec: serde_json::Value =
        serde_json::from_str(&w.ok(&["manifest", "reconcile", "--as", RECEIVING, m])).unwrap();
    assert_eq!(rec["matched"], 2);
    assert_eq!(rec["missing"], serde_json::json!(["P-3"]));
    assert_eq!(rec["unexpected"], serde_json::json!(["I-3"]));
    let cases: Vec<String> = rec["cases_opened"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(cases.len(), 2);

    // The open case shows on the missing person's record, and reading it is recorded.
    let n = w.size();
    let file: serde_json::Value =
        serde_json::from_str(&w.ok(&["person", "show", "--as", "auditor:ines", "P-3"])).unwrap();
    assert_eq!(file["cases"][0]["state"], "open");
    assert_eq!(file["cases"][0]["kind"], "missing_from_intake");
    assert_eq!(w.size(), n + 1);
    assert!(w.ok(&["log", "export", "--from", &n.to_string()]).contains(
        "\"kind\":\"person_read\",\"data\":{\"person_id\":\"P-3\"},\"actor\":\"auditor:ines\""
    ));

    // Open cases block closing; each is resolved with a reason and an actor.
    refused(
        &w,
        &["manifest", "close", "--as", RECEIVING, m],
        "open case",
    );
    refused(
        &w,
        &[
            "case", "resolve", "--as", RECEIVING, &cases[0], "--reason", " ",
        ],
        "reason",
    );
    for c in &cases {
        w.ok(&[
            "case",
            "resolve",
            "--as",
            RECEIVING,
            c,
            "--reason",
            "located in the medical unit; intake corrected",
        ]);
    }
    refused(
        &w,
        &[
            "case", "resolve", "--as", RECEIVING, &cases[0], "--reason", "again",
        ],
        "already",
    );
    w.ok(&["manifest", "close", "--as", RECEIVING, m]);
    assert_eq!(state(&w, m), "closed");
    refused(&w, &["manifest", "close", "--as", RECEIVING, m], "`closed`");
    w.ok(&["verify"]);

    // The export tells the whole story, each transition with its actor.
    let log = w.ok(&["log", "export"]);
    let approvals: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\"kind\":\"manifest_approved\""))
        .collect();
    assert_eq!(approvals.len(), 2);
    assert!(
        approvals
            .iter()
            .all(|l| l.contains(SUPERVISOR) && l.contains("identity confirmed"))
    );
}

#[test]
fn the_creator_may_not_approve_even_as_a_supervisor() {
    let w = world("creator");
    let id = w.ok(&[
        "manifest",
        "create",
        "--as",
        SUPERVISOR,
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
    let m = id.trim();
    w.ok(&["manifest", "add", "--as", SUPERVISOR, m, "P-1"]);
    w.ok(&["manifest", "screen", "--as", SUPERVISOR, m]);
    refused(
        &w,
        &["manifest", "approve", "--as", SUPERVISOR, m],
        "second person",
    );
    w.ok(&[
        "manifest",
        "approve",
        "--as",
        "sending_supervisor:someone.else",
        m,
    ]);
}

#[test]
fn screening_a_stored_person_is_recorded() {
    let w = world("stored");
    let before = w.size();
    let d: serde_json::Value = serde_json::from_str(&w.ok(&[
        "screen",
        "--person",
        "P-2",
        "--to",
        "SV",
        "--facility",
        "CECOT",
        "--on",
        "2025-06-05",
        "--as",
        OFFICER,
    ]))
    .unwrap();
    assert_eq!(d["outcome"], "blocked");
    assert_eq!(d["findings"][0]["rule"], "protection");
    assert_eq!(w.size(), before + 1);
    let last = w.ok(&["log", "export", "--from", &before.to_string()]);
    assert!(
        last.contains("\"kind\":\"screening_decided\"") && last.contains("8 U.S.C. § 1231(b)(3)")
    );
    refused(
        &w,
        &["screen", "--person", "P-2", "--to", "SV", "--as", RECEIVING],
        "forbidden",
    );
    refused(
        &w,
        &["screen", "--person", "P-404", "--to", "SV", "--as", OFFICER],
        "no person",
    );
}

#[test]
fn single_intake_entries_are_atomic_and_idempotent() {
    let w = world("intake-single");
    let add = |id: &str, family: &str| {
        vec![
            "intake",
            "add",
            "--as",
            RECEIVING,
            "--facility",
            "CECOT",
            "--record-id",
            id,
            "--family",
            family,
            "--given",
            "Mario",
            "--dob",
            "1975-01-30",
        ]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>()
    };
    fn run(a: &[String]) -> Vec<&str> {
        a.iter().map(String::as_str).collect()
    }
    w.ok(&run(&add("G-1", "Quintanilla")));
    let n = w.size();
    w.ok(&run(&add("G-1", "Quintanilla")));
    assert_eq!(w.size(), n, "the same entry again adds nothing");
    refused(&w, &run(&add("G-1", "Otro")), "other values");
    refused(
        &w,
        &[
            "intake",
            "add",
            "--as",
            RECEIVING,
            "--facility",
            "CECOT",
            "--record-id",
            "G-2",
            "--family",
            "X",
            "--dob",
            "1975-02-30",
        ],
        "--dob",
    );
    refused(
        &w,
        &[
            "intake",
            "add",
            "--as",
            OFFICER,
            "--facility",
            "CECOT",
            "--record-id",
            "G-3",
            "--family",
            "X",
        ],
        "forbidden",
    );
}
