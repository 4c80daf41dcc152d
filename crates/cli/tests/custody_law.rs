#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! CONTRACT §9 through the real binary: the six hand-overs issue 12 found the system let
//! through, each pinned by a test named after it, plus counsel, corrections and the
//! oversight report. The clock is pinned (support::Scratch) at 2025-06-01T12:00:00Z unless a
//! test moves it.

mod support;

use support::{Scratch, s};

const OFFICER: &str = "sending_officer:ana";
const SUPERVISOR: &str = "sending_supervisor:rene";
const RECEIVING: &str = "receiving_officer:sv.intake";

fn world(name: &str) -> Scratch {
    let w = Scratch::new(name);
    let site = w.write("site.json", r#"{"id":"USDC-TX","name":"Texas site (test)","country":"US","kind":"us_detention","adult_only":false,
        "pavilions":[{"id":"A","cells":[{"id":"A-1","area_m2":100.0,"capacity":40,"windows":true,"sanitation":"shared"}]}]}"#);
    let prison = w.write("prison.json", r#"{"id":"CECOT","name":"Prison (test)","country":"SV","kind":"prison","adult_only":true,
        "pavilions":[{"id":"P1","cells":[{"id":"P1-C01","area_m2":100.0,"capacity":80,"windows":false,"sanitation":"in_cell"}]}]}"#);
    w.ok(&["facility", "register", "--as", "admin:root", s(&site)]);
    w.ok(&["facility", "register", "--as", "admin:root", s(&prison)]);
    let persons = w.write(
        "persons.csv",
        "person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,status,us_status,languages,identity_verified\n\
         P-1,Martínez Hernández,José Luis,1991-04-12,M,SV,SV,USDC-TX,in_custody,undocumented,es,true\n\
         P-2,Arévalo Guzmán,Kevin,1995-07-26,M,SV,SV,USDC-TX,in_custody,undocumented,es,true\n\
         P-3,Miller,Johnny,2012-02-02,M,US,US,USDC-TX,in_custody,citizen_by_birth,en,true\n",
    );
    w.ok(&["import", "persons", s(&persons)]);
    let records = w.write(
        "records.jsonl",
        r#"{"person_id":"P-1","record":{"type":"removal_order","date":"2024-11-02","final":true}}
{"person_id":"P-2","record":{"type":"removal_order","date":"2024-10-10","final":true}}
{"person_id":"P-3","record":{"type":"stay","issued":"2025-05-01","scope":"all_removals"}}
"#,
    );
    w.ok(&["import", "records", "--as", OFFICER, s(&records)]);
    w
}

fn state(w: &Scratch, m: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&w.ok(&["manifest", "show", m])).unwrap();
    v["state"].as_str().unwrap().to_string()
}

/// Runs a command that must be refused with exit 2, say `says`, and write nothing.
fn refused(w: &Scratch, args: &[&str], says: &[&str]) -> String {
    let before = w.size();
    let err = w.fails(2, args);
    for x in says {
        assert!(err.contains(x), "{args:?}: expected `{x}` in: {err}");
    }
    assert_eq!(w.size(), before, "{args:?} wrote to the log");
    err
}

/// Drafts, fills, screens and approves a manifest departing on `departure`.
fn approved(w: &Scratch, departure: &str, passengers: &[&str]) -> String {
    let m = w
        .ok(&[
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
            departure,
        ])
        .trim()
        .to_string();
    let mut add = vec!["manifest", "add", "--as", OFFICER, m.as_str()];
    add.extend_from_slice(passengers);
    w.ok(&add);
    w.ok(&["manifest", "screen", "--as", OFFICER, &m]);
    w.ok(&["manifest", "approve", "--as", SUPERVISOR, &m]);
    assert_eq!(state(w, &m), "approved");
    m
}

#[test]
fn a_stay_recorded_after_approval_stops_the_departure() {
    let w = world("late-stay");
    let m = approved(&w, "2025-06-01", &["P-1", "P-2"]);
    let stay = w.write(
        "stay.jsonl",
        r#"{"person_id":"P-1","record":{"type":"stay","issued":"2025-06-01","scope":"country","country":"SV","court":"D. Mass.","docket":"1:25-cv-10676"}}
"#,
    );
    let err = w.ok_err(&["import", "records", "--as", OFFICER, s(&stay)]);
    assert!(err.contains(&format!("manifest `{m}`")), "{err}");
    assert_eq!(
        state(&w, &m),
        "screened",
        "a late record sends the manifest back"
    );
    refused(
        &w,
        &["manifest", "depart", "--as", OFFICER, &m],
        &["`screened`", "P-1"],
    );
    // Screened again, the stay blocks P-1, and no one can approve the manifest with them on it.
    w.ok(&["manifest", "screen", "--as", OFFICER, &m]);
    refused(
        &w,
        &["manifest", "approve", "--as", SUPERVISOR, &m],
        &["P-1", "blocked"],
    );
    // Take P-1 off; the others may go.
    w.ok(&["manifest", "remove", "--as", OFFICER, &m, "P-1"]);
    w.ok(&["manifest", "screen", "--as", OFFICER, &m]);
    w.ok(&["manifest", "approve", "--as", SUPERVISOR, &m]);
    w.ok(&["manifest", "depart", "--as", OFFICER, &m]);
    let report: serde_json::Value =
        serde_json::from_str(&w.ok(&["report", "overrides", "--as", "auditor:ines"])).unwrap();
    let late = report["late_records"].as_array().unwrap();
    assert!(
        late.iter()
            .any(|r| r["person_id"] == "P-1" && r["manifest_id"] == m.as_str()),
        "{report}"
    );
    w.ok(&["verify"]);
}

#[test]
fn the_gate_screens_again_on_the_day_with_the_records_then() {
    let w = world("gate-day");
    // Screened for 2025-05-20, a date before the stay below was issued: eligible on paper.
    let stay = w.write(
        "stay.jsonl",
        r#"{"person_id":"P-2","record":{"type":"stay","issued":"2025-05-25","scope":"all_removals"}}
"#,
    );
    w.ok(&["import", "records", "--as", OFFICER, s(&stay)]);
    let m = approved(&w, "2025-05-20", &["P-1", "P-2"]);
    // Departing on 2025-06-01, the stay is in force: refused, naming P-2, the rule and the order.
    let err = refused(
        &w,
        &["manifest", "depart", "--as", OFFICER, &m],
        &["P-2", "court-order", "blocked"],
    );
    assert!(!err.contains("passenger `P-1`"), "{err}");
    assert_eq!(state(&w, &m), "approved");
    let report: serde_json::Value =
        serde_json::from_str(&w.ok(&["report", "overrides", "--as", "auditor:ines"])).unwrap();
    assert_eq!(
        report["refused_departures"].as_array().unwrap().len(),
        1,
        "{report}"
    );
}

#[test]
fn a_manifest_screened_for_a_later_date_cannot_depart_early() {
    let w = world("early");
    let m = approved(&w, "2025-06-08", &["P-1"]);
    refused(
        &w,
        &["manifest", "depart", "--as", OFFICER, &m],
        &["2025-06-08"],
    );
    // And a notice "served" a week in the future cannot be entered at all.
    let notice = w.write(
        "notice.jsonl",
        r#"{"person_id":"P-1","record":{"type":"third_country_notice","country":"SV","served":"2025-06-08","language":"es"}}
"#,
    );
    refused(
        &w,
        &["import", "records", "--as", OFFICER, s(&notice)],
        &["notice.jsonl", "line 1", "record.served", "future"],
    );
    // On the day, it departs.
    w.ok_at(
        "2025-06-08T08:00:00Z",
        &["manifest", "depart", "--as", OFFICER, &m],
    );
    assert_eq!(state(&w, &m), "departed");
}

#[test]
fn custody_remove_of_a_child_citizen_under_a_stay_is_refused() {
    let w = world("remove-child");
    refused(
        &w,
        &[
            "custody",
            "remove",
            "--as",
            OFFICER,
            "P-3",
            "--country",
            "SV",
        ],
        &["P-3", "departed manifest"],
    );
    refused(
        &w,
        &[
            "custody",
            "remove",
            "--as",
            RECEIVING,
            "P-1",
            "--country",
            "SV",
        ],
        &["receiving_officer"],
    );
    // Even on a departed manifest to another country, not to SV.
    let m = approved(&w, "2025-06-01", &["P-1"]);
    w.ok(&["manifest", "depart", "--as", OFFICER, &m]);
    refused(
        &w,
        &[
            "custody",
            "remove",
            "--as",
            OFFICER,
            "P-1",
            "--country",
            "GT",
        ],
        &["P-1", "GT"],
    );
    w.ok(&[
        "custody",
        "remove",
        "--as",
        OFFICER,
        "P-1",
        "--country",
        "SV",
    ]);
    w.ok(&["verify"]);
}

#[test]
fn import_persons_cannot_change_identity_facts() {
    let w = world("identity");
    for (row, field) in [
        (
            "P-3,Miller,Johnny,2012-02-02,M,US,US,USDC-TX,in_custody,undocumented,en,true",
            "us_status",
        ),
        (
            "P-3,Miller,Johnny,2002-02-02,M,US,US,USDC-TX,in_custody,citizen_by_birth,en,true",
            "date_of_birth",
        ),
        (
            "P-3,Miller,Johnny,2012-02-02,M,US,SV,USDC-TX,in_custody,,en,true",
            "nationalities",
        ),
        (
            "P-3,Muller,Johnny,2012-02-02,M,US,US,USDC-TX,in_custody,,en,true",
            "family_names",
        ),
    ] {
        let f = w.write(
            "change.csv",
            &format!("person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,status,us_status,languages,identity_verified\n{row}\n"),
        );
        refused(
            &w,
            &["import", "persons", s(&f)],
            &["change.csv", "line 2", &format!("`{field}`")],
        );
    }
    // A correction is checked as an import row is: a code that names no country, or a
    // date of birth after today (the clock says 2025-06-01), is refused.
    for (field, value) in [
        ("country_of_birth", "ZZ"),
        ("nationalities", "SV;XX"),
        ("date_of_birth", "2030-01-01"),
    ] {
        refused(
            &w,
            &[
                "person", "correct", "--as", OFFICER, "P-1", "--field", field, "--value", value,
                "--reason", "typed",
            ],
            &[&format!("`{field}`"), value],
        );
    }
    // The one way: a correction with a reason, confirmed by a second person.
    let id = w
        .ok(&[
            "person",
            "correct",
            "--as",
            OFFICER,
            "P-1",
            "--field",
            "date_of_birth",
            "--value",
            "1990-04-12",
            "--reason",
            "birth certificate received from the consulate",
        ])
        .trim()
        .to_string();
    refused(
        &w,
        &["person", "confirm", "--as", "sending_supervisor:ana", &id],
        &["second person"],
    );
    let m = approved(&w, "2025-06-01", &["P-1"]);
    let err = w.ok_err(&["person", "confirm", "--as", SUPERVISOR, &id]);
    assert!(
        err.contains(&m),
        "a confirmed correction sends the manifest back: {err}"
    );
    assert_eq!(state(&w, &m), "screened");
    let file: serde_json::Value =
        serde_json::from_str(&w.ok(&["person", "show", "--as", "auditor:ines", "P-1"])).unwrap();
    assert_eq!(file["person"]["date_of_birth"], "1990-04-12", "{file}");
    w.ok(&["verify"]);
}

#[test]
fn one_person_under_two_roles_is_not_two_persons() {
    let w = world("two-roles");
    let m = w
        .ok(&[
            "manifest",
            "create",
            "--as",
            "sending_officer:ana",
            "--flight",
            "CST1",
            "--from",
            "USDC-TX",
            "--to",
            "CECOT",
            "--country",
            "SV",
            "--departure",
            "2025-06-01",
        ])
        .trim()
        .to_string();
    w.ok(&["manifest", "add", "--as", "sending_officer:ana", &m, "P-1"]);
    w.ok(&["manifest", "add", "--as", "sending_officer:luis", &m, "P-2"]);
    w.ok(&["manifest", "screen", "--as", "sending_officer:ana", &m]);
    refused(
        &w,
        &["manifest", "approve", "--as", "sending_supervisor:ana", &m],
        &["second person"],
    );
    // A name is one person whatever its case or spacing.
    refused(
        &w,
        &["manifest", "approve", "--as", "sending_supervisor:Ana", &m],
        &["second person"],
    );
    refused(
        &w,
        &["manifest", "approve", "--as", "sending_supervisor:LUIS", &m],
        &["second person"],
    );
    // Nor anyone who changed the passenger list.
    refused(
        &w,
        &["manifest", "approve", "--as", "sending_supervisor:luis", &m],
        &["second person"],
    );
    w.ok(&["manifest", "approve", "--as", SUPERVISOR, &m]);
    // Without a token, or with an unknown one, nothing changes.
    refused(&w, &["manifest", "depart", &m], &["token"]);
    refused(
        &w,
        &["manifest", "depart", "--token", "cst_not-a-token", &m],
        &["unknown or revoked"],
    );
}

#[test]
fn counsel_is_assigned_and_files_for_their_own_clients() {
    let w = world("counsel");
    refused(
        &w,
        &[
            "counsel",
            "assign",
            "--as",
            OFFICER,
            "P-1",
            "--counsel",
            "maria",
        ],
        &["forbidden"],
    );
    w.ok(&[
        "counsel",
        "assign",
        "--as",
        SUPERVISOR,
        "P-1",
        "--counsel",
        "maria",
    ]);
    let m = approved(&w, "2025-06-01", &["P-1", "P-2"]);
    let stay = w.write(
        "stay.jsonl",
        r#"{"person_id":"P-1","record":{"type":"stay","issued":"2025-06-01","scope":"all_removals","court":"D. Mass.","docket":"1:25-cv-1"}}
"#,
    );
    w.ok(&["import", "records", "--as", "counsel:maria", s(&stay)]);
    assert_eq!(state(&w, &m), "screened");
    // Not for someone else's client, and not every record type.
    let other = w.write(
        "other.jsonl",
        r#"{"person_id":"P-2","record":{"type":"stay","issued":"2025-06-01","scope":"all_removals"}}
"#,
    );
    refused(
        &w,
        &["import", "records", "--as", "counsel:maria", s(&other)],
        &["not counsel for `P-2`"],
    );
    let order = w.write(
        "order.jsonl",
        r#"{"person_id":"P-1","record":{"type":"removal_order","date":"2025-05-01","final":false}}
"#,
    );
    refused(
        &w,
        &["import", "records", "--as", "counsel:maria", s(&order)],
        &["removal_order"],
    );
    // Notices: the screening, the manifest's changes, the record.
    let notices = w.ok(&["counsel", "notices", "--as", "counsel:maria"]);
    let kinds: Vec<String> = notices
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for k in [
        "passenger_added",
        "screening_decided",
        "manifest_approved",
        "legal_record_added",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    let seqs: Vec<u64> = notices
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(seqs.windows(2).all(|p| p[0] < p[1]), "oldest first");
    // Unassigned, counsel can file nothing more.
    w.ok(&[
        "counsel",
        "unassign",
        "--as",
        SUPERVISOR,
        "P-1",
        "--counsel",
        "maria",
    ]);
    let again = w.write(
        "again.jsonl",
        r#"{"person_id":"P-1","record":{"type":"habeas_petition","filed":"2025-06-01","status":"pending"}}
"#,
    );
    refused(
        &w,
        &["import", "records", "--as", "counsel:maria", s(&again)],
        &["not counsel"],
    );
    w.ok(&["verify"]);
}

#[test]
fn a_class_order_covers_every_tagged_person() {
    let w = world("class");
    let m = approved(&w, "2025-06-01", &["P-1", "P-2"]);
    w.ok(&[
        "class",
        "tag",
        "--as",
        OFFICER,
        "P-2",
        "--class",
        "tda-designees",
    ]);
    assert_eq!(
        state(&w, &m),
        "approved",
        "a tag alone changes no screening"
    );
    let order = w.write(
        "order.jsonl",
        r#"{"class_id":"tda-designees","record":{"type":"stay","issued":"2025-06-01","scope":"class","class":"all noncitizens in custody designated under Proclamation 10903","court":"S.D. Tex.","docket":"1:25-cv-00059"}}
"#,
    );
    // Counsel files for its own clients, never for a class (CONTRACT §9 "Counsel").
    refused(
        &w,
        &["import", "records", "--as", "counsel:maria", s(&order)],
        &["forbidden", "class-wide"],
    );
    assert_eq!(state(&w, &m), "approved");
    w.ok(&["import", "records", "--as", SUPERVISOR, s(&order)]);
    assert_eq!(state(&w, &m), "screened");
    w.ok(&["manifest", "screen", "--as", OFFICER, &m]);
    refused(
        &w,
        &["manifest", "approve", "--as", SUPERVISOR, &m],
        &["P-2"],
    );
    w.ok(&["verify"]);
}

#[test]
fn a_new_version_denies_a_petition_and_screening_follows() {
    let w = world("versions");
    let filed = w.write(
        "habeas.jsonl",
        r#"{"person_id":"P-1","record":{"type":"habeas_petition","filed":"2025-05-01","status":"pending","id":"hc-1"}}
"#,
    );
    w.ok(&["import", "records", "--as", OFFICER, s(&filed)]);
    let screen = |w: &Scratch| -> serde_json::Value {
        serde_json::from_str(&w.ok(&[
            "screen",
            "--as",
            OFFICER,
            "--person",
            "P-1",
            "--to",
            "SV",
            "--facility",
            "CECOT",
        ]))
        .unwrap()
    };
    let d = screen(&w);
    assert_eq!(d["outcome"], "needs_review", "{d}");
    assert!(
        d["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "habeas"),
        "{d}"
    );
    assert!(d.get("earliest_date").is_some(), "{d}");
    // The court denies it: a new version of record `hc-1`, entered today.
    let denied = w.write(
        "denied.jsonl",
        r#"{"person_id":"P-1","record":{"type":"habeas_petition","filed":"2025-05-01","status":"denied","id":"hc-1","as_of":"2025-05-30"}}
"#,
    );
    w.ok(&["import", "records", "--as", OFFICER, s(&denied)]);
    let d = screen(&w);
    assert_eq!(d["outcome"], "eligible", "{d}");
    assert_eq!(d["earliest_date"], "2025-06-01", "{d}");
    // Both versions stay on the person's record, in order.
    let file: serde_json::Value =
        serde_json::from_str(&w.ok(&["person", "show", "--as", "auditor:ines", "P-1"])).unwrap();
    let versions: Vec<&serde_json::Value> = file["legal_records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["record"]["id"] == "hc-1")
        .collect();
    assert_eq!(versions.len(), 2, "{file}");
    // A version from the future is refused, naming the field.
    let future = w.write(
        "future.jsonl",
        r#"{"person_id":"P-1","record":{"type":"habeas_petition","filed":"2025-05-01","status":"granted","id":"hc-1","as_of":"2025-07-01"}}
"#,
    );
    refused(
        &w,
        &["import", "records", "--as", OFFICER, s(&future)],
        &["record.as_of"],
    );
}

/// Runs `token revoke` with `token` on standard input.
fn revoke(w: &Scratch, args: &[&str], token: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut c = w.cmd(args);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{token}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// CONTRACT §9 "Who acts": `token revoke` changes the store, so it takes a token like every
/// other such command: an `admin`'s, or the very token being revoked. Without one, with an
/// unknown one, or with another holder's, it is refused and the token still works.
#[test]
fn revoking_a_token_takes_an_admin_or_the_holder() {
    let w = world("token-revoke");
    let rene = w.token(SUPERVISOR);
    let n = std::cell::Cell::new(0);
    let works = |who: &str| {
        n.set(n.get() + 1);
        let lawyer = format!("lawyer{}", n.get());
        w.run(&[
            "counsel",
            "assign",
            "--as",
            who,
            "P-1",
            "--counsel",
            &lawyer,
        ])
        .status
        .code()
    };
    for (args, says) in [
        (&["token", "revoke"][..], "token"),
        (&["--token", "not-a-token", "token", "revoke"][..], "token"),
        (&["token", "revoke", "--as", OFFICER][..], "admin"),
    ] {
        let o = revoke(&w, args, &rene);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: expected `{says}` in {err}");
        assert_eq!(works(SUPERVISOR), Some(0), "{args:?} revoked the token");
    }
    // The holder gives up their own token; it is refused from then on.
    let o = revoke(&w, &["token", "revoke", "--as", SUPERVISOR], &rene);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(works(SUPERVISOR), Some(2));
    // An admin revokes another's.
    let boss = w.token("sending_supervisor:marta");
    assert_eq!(works("sending_supervisor:marta"), Some(0));
    let o = revoke(&w, &["token", "revoke", "--as", "admin:root"], &boss);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(works("sending_supervisor:marta"), Some(2));
}

/// CONTRACT §9 "No hand-over outside a manifest": `import persons` reports custody inside a
/// country, but a row that would move a held person to a facility in another country, or
/// mark them removed, is refused (exit 2, line and field named, nothing written), as
/// `custody admit` and `custody remove` are.
#[test]
fn import_persons_is_no_hand_over() {
    let w = world("import-handover");
    w.facility("USDC-AZ", "US", false);
    let moved = w.write(
        "moved.csv",
        "person_id,family_names,facility_id,status\nP-2,Arévalo Guzmán,USDC-AZ,in_custody\nP-1,Martínez Hernández,CECOT,in_custody\n",
    );
    refused(
        &w,
        &["import", "persons", s(&moved)],
        &[
            "line 3",
            "facility_id",
            "P-1",
            "CECOT",
            "SV",
            "departed manifest",
        ],
    );
    let removed = w.write(
        "removed.csv",
        "person_id,family_names,facility_id,status\nP-2,Arévalo Guzmán,,removed\n",
    );
    refused(
        &w,
        &["import", "persons", s(&removed)],
        &["line 2", "status", "P-2", "removal"],
    );
    // Inside one country an import still reports custody.
    let within = w.write(
        "within.csv",
        "person_id,family_names,facility_id,status\nP-2,Arévalo Guzmán,USDC-AZ,in_custody\n",
    );
    w.ok(&["import", "persons", s(&within)]);
    let v: serde_json::Value =
        serde_json::from_str(&w.ok(&["locate", "--id", "P-2", "--json"])).unwrap();
    assert_eq!(v[0]["facility_id"], "USDC-AZ", "{v}");
}

/// A legal record naming a country names one of ISO 3166-1 (CONTRACT conventions): `XX`
/// in `country` or in a removal order's `countries` is refused, line and field named.
#[test]
fn a_record_naming_no_country_is_refused() {
    let w = world("record-country");
    for (body, field) in [
        (
            r#"{"person_id":"P-1","record":{"type":"fear_claim","country":"XX","date":"2025-05-01"}}"#,
            "record.country",
        ),
        (
            r#"{"person_id":"P-1","record":{"type":"removal_order","date":"2025-05-01","final":true,"countries":["SV","QQ"]}}"#,
            "record.countries",
        ),
    ] {
        let f = w.write("r.jsonl", &format!("{body}\n"));
        refused(
            &w,
            &["import", "records", "--as", OFFICER, s(&f)],
            &["r.jsonl", &format!("`{field}`"), "ISO 3166-1"],
        );
    }
}

/// An approved manifest whose passenger needs review, screened on their own after the
/// approval (`screen --person`), cannot depart: the justification no longer postdates the
/// latest screening. The way on is to screen the manifest again, which voids its approval,
/// and approve it with a justification.
#[test]
fn a_manifest_stopped_for_a_stale_justification_is_screened_and_approved_again() {
    let w = world("stale-justification");
    let unverified = w.write(
        "p.csv",
        "person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,status,us_status,languages,identity_verified\n\
         P-4,Rivas,Ana,1990-01-01,F,SV,SV,USDC-TX,in_custody,undocumented,es,false\n",
    );
    w.ok(&["import", "persons", s(&unverified)]);
    let orders = w.write(
        "o.jsonl",
        r#"{"person_id":"P-4","record":{"type":"removal_order","date":"2024-11-02","final":true}}
"#,
    );
    w.ok(&["import", "records", "--as", OFFICER, s(&orders)]);
    let m = w
        .ok(&[
            "manifest",
            "create",
            "--as",
            OFFICER,
            "--flight",
            "CST9",
            "--from",
            "USDC-TX",
            "--to",
            "CECOT",
            "--country",
            "SV",
            "--departure",
            "2025-06-01",
        ])
        .trim()
        .to_string();
    w.ok(&["manifest", "add", "--as", OFFICER, &m, "P-4"]);
    w.ok(&["manifest", "screen", "--as", OFFICER, &m]);
    let justify = "P-4=identity confirmed by consular document";
    w.ok(&[
        "manifest",
        "approve",
        "--as",
        SUPERVISOR,
        &m,
        "--justify",
        justify,
    ]);
    w.ok(&["screen", "--as", OFFICER, "--person", "P-4", "--to", "SV"]);
    refused(
        &w,
        &["manifest", "depart", "--as", OFFICER, &m],
        &["P-4", "needs_review", "manifest screen"],
    );
    w.ok(&["manifest", "screen", "--as", OFFICER, &m]);
    assert_eq!(
        state(&w, &m),
        "screened",
        "screening again voids the approval"
    );
    refused(
        &w,
        &["manifest", "approve", "--as", SUPERVISOR, &m],
        &["P-4"],
    );
    w.ok(&[
        "manifest",
        "approve",
        "--as",
        SUPERVISOR,
        &m,
        "--justify",
        justify,
    ]);
    w.ok(&["manifest", "depart", "--as", OFFICER, &m]);
    w.ok(&["verify"]);
}

/// An empty cell is unknown (CONTRACT conventions): re-importing a person from a file with
/// no `sex` column, or an empty `sex` cell, keeps the stored sex and adds nothing.
#[test]
fn an_empty_sex_cell_keeps_the_stored_sex() {
    let w = world("empty-sex");
    let sex = |w: &Scratch| {
        let v: serde_json::Value =
            serde_json::from_str(&w.ok(&["person", "show", "--as", "auditor:ines", "P-1"]))
                .unwrap();
        v["person"]["sex"].clone()
    };
    assert_eq!(sex(&w), "M");
    for body in [
        "person_id,family_names\nP-1,Martínez Hernández\n",
        "person_id,family_names,sex\nP-1,Martínez Hernández,\n",
    ] {
        let before = w.size();
        let f = w.write("again.csv", body);
        w.ok(&["import", "persons", s(&f)]);
        assert_eq!(w.size(), before, "{body}: the import wrote");
        assert_eq!(sex(&w), "M", "{body}");
    }
}
