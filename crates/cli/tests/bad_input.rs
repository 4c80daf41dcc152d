#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Bad input never corrupts anything (issue 18): each file below is refused with exit 2, the
//! message names the file, the line and the field, and nothing is written.

mod support;

use support::{Scratch, s};

const HEADER: &str = "person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,status";

#[test]
fn the_persons_corpus_is_refused_line_and_field_named() {
    let w = Scratch::new("bad-input");
    let long = "A".repeat(201);
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("{HEADER}\nB-1,Ruiz\u{0}X,Ana,1990-01-01,F,SV,SV,,\n"),
            "line 2",
            "family_names",
        ),
        (
            format!("{HEADER}\nB-1,{long},Ana,1990-01-01,F,SV,SV,,\n"),
            "line 2",
            "family_names",
        ),
        (
            format!(
                "{HEADER}\n{},Ruiz,Ana,1990-01-01,F,SV,SV,,\n",
                "P".repeat(65)
            ),
            "line 2",
            "person_id",
        ),
        (
            format!("{HEADER}\nB-1,Ruiz,Ana,1899-12-31,F,SV,SV,,\n"),
            "line 2",
            "date_of_birth",
        ),
        (
            format!("{HEADER}\nB-1,Ruiz,Ana,0000-01-01,F,SV,SV,,\n"),
            "line 2",
            "date_of_birth",
        ),
        (
            format!("{HEADER}\nB-1,Ruiz,Ana,2030-01-01,F,SV,SV,,\n"),
            "line 2",
            "date_of_birth",
        ),
        (
            format!("{HEADER}\nB-1,Ruiz,Ana,1990-01-01,F,XX,SV,,\n"),
            "line 2",
            "country_of_birth",
        ),
        (
            format!("{HEADER}\nB-1,Ruiz,Ana,1990-01-01,F,SV,SV;XX,,\n"),
            "line 2",
            "nationalities",
        ),
        (
            format!("{HEADER},family_names\nB-1,Ruiz,Ana,1990-01-01,F,SV,SV,,,Ruiz\n"),
            "line 1",
            "family_names",
        ),
        (
            "person_id,family_names,given_names,facility_id\nB-1,Ruiz,Ana,CECOT\n".to_string(),
            "line 1",
            "status",
        ),
        // Required columns: an identity and a family name on every row.
        (
            "family_names,given_names\nRuiz,Ana\n".to_string(),
            "line 1",
            "person_id",
        ),
        (
            "person_id,given_names\nB-1,Ana\n".to_string(),
            "line 1",
            "family_names",
        ),
        // Control characters in every text field, NUL included.
        (
            format!("{HEADER}\nB-1,Ruiz,An\u{7}a,1990-01-01,F,SV,SV,,\n"),
            "line 2",
            "given_names",
        ),
        (
            format!("{HEADER}\nB-\u{0}1,Ruiz,Ana,1990-01-01,F,SV,SV,,\n"),
            "line 2",
            "person_id",
        ),
        (
            format!("{HEADER}\nB-1,Ruiz,Ana,1990-01-01,F,SV,SV,CE\u{0}COT,in_custody\n"),
            "line 2",
            "facility_id",
        ),
        // An unknown facility, on the third line after a good one: the file is refused whole.
        (
            format!(
                "{HEADER}\nB-1,Ruiz,Ana,1990-01-01,F,SV,SV,,\nB-2,Ruiz,Eva,1990-01-01,F,SV,SV,NOPE,in_custody\n"
            ),
            "line 3",
            "facility_id",
        ),
        // Windows line endings: the line named is still the one an editor shows.
        (
            format!(
                "{HEADER}\r\nB-1,Ruiz,Ana,1990-01-01,F,SV,SV,,\r\nB-2,Ruiz,Eva,1990-13-01,F,SV,SV,,\r\n"
            ),
            "line 3",
            "date_of_birth",
        ),
        (
            format!("{HEADER}\r\nB-1,Ruiz,Ana,1990-13-01,F,SV,SV,,\r\n"),
            "line 2",
            "date_of_birth",
        ),
        // Blank lines before a bad row: the row's own line is named.
        (
            format!(
                "{HEADER}\nB-1,Ruiz,Ana,1990-01-01,F,SV,SV,,\n\n\nB-2,Ruiz,Eva,1990-13-01,F,SV,SV,,\n"
            ),
            "line 5",
            "date_of_birth",
        ),
        // A ten-year-old into adult-only CECOT (the clock says 2025-06-01).
        (
            format!("{HEADER}\nB-1,Ruiz,Ana,2015-01-01,F,SV,SV,CECOT,in_custody\n"),
            "line 2",
            "date_of_birth",
        ),
        // A child already stored without a facility, then sent to CECOT by a later file.
        (
            format!("{HEADER}\nK-1,Niña,Rosa,,,,,CECOT,in_custody\n"),
            "line 2",
            "date_of_birth",
        ),
    ];
    // One good row first, so "nothing written" is measured against a non-empty store.
    w.facility("CECOT", "SV", true);
    w.ok(&[
        "import",
        "persons",
        s(&w.write(
            "good.csv",
            &format!(
                "{HEADER}\nG-1,Good,Row,1980-01-01,M,SV,SV,,\nK-1,Niña,Rosa,2016-03-03,F,SV,SV,,\n"
            ),
        )),
    ]);
    let before = w.size();
    for (body, line, field) in cases {
        let f = w.write("bad.csv", &body);
        let err = w.fails(2, &["import", "persons", s(&f)]);
        assert!(
            err.contains("bad.csv") && err.contains(line) && err.contains(&format!("`{field}`")),
            "{body:?}: {err}"
        );
        assert_eq!(w.size(), before, "{body:?} wrote to the log");
    }
    w.ok(&["verify"]);
}

/// `custody admit` (CONTRACT §9) refuses an unknown facility and a minor into an adult-only
/// one, exit 2, writing nothing; an adult is admitted, so the check is not a blanket refusal.
#[test]
fn admit_refuses_unknown_facilities_and_minors_in_adult_only_ones() {
    let w = Scratch::new("bad-admit");
    w.facility("CECOT", "SV", true);
    w.facility("IZALCO", "SV", false);
    w.ok(&[
        "import",
        "persons",
        s(&w.write(
            "p.csv",
            &format!("{HEADER}\nA-1,Adulto,Juan,1980-01-01,M,SV,SV,,\nK-1,Niño,Luis,2015-06-02,M,SV,SV,,\n"),
        )),
    ]);
    let officer = "receiving_officer:admitter";
    w.token(officer);
    let before = w.size();
    let err = w.fails(
        2,
        &[
            "custody",
            "admit",
            "--as",
            officer,
            "A-1",
            "--facility",
            "NOPE",
        ],
    );
    assert!(err.contains("`NOPE`"), "{err}");
    let err = w.fails(
        2,
        &[
            "custody",
            "admit",
            "--as",
            officer,
            "K-1",
            "--facility",
            "CECOT",
        ],
    );
    assert!(
        err.contains("`K-1`") && err.contains("adult-only") && err.contains("is 9"),
        "{err}"
    );
    assert_eq!(w.size(), before, "a refused admission wrote to the log");
    // The day before his 10th birthday he is still 9; an adult goes in; the child may go
    // where children may be held.
    w.ok(&[
        "custody",
        "admit",
        "--as",
        officer,
        "A-1",
        "--facility",
        "CECOT",
    ]);
    w.ok(&[
        "custody",
        "admit",
        "--as",
        officer,
        "K-1",
        "--facility",
        "IZALCO",
    ]);
    assert_eq!(w.size(), before + 2);
    w.ok(&["verify"]);
}

/// A 10 MB id in a screening request is refused by field, exit 2 (issue 18 §4).
#[test]
fn a_ten_megabyte_screening_id_is_refused() {
    let w = Scratch::new("bad-screen");
    let id = "x".repeat(10 * 1024 * 1024);
    let f = w.write(
        "req.json",
        &format!(
            r#"{{"id":"{id}","on":"2025-04-10","person":{{"id":"P-1","nationalities":["SV"],"us_status":"undocumented"}},"transfer":{{"basis":"removal","destination_country":"SV"}}}}"#
        ),
    );
    let err = w.fails(2, &["screen", "--input", s(&f)]);
    assert!(
        err.contains("`id`") && err.len() < 10_000,
        "{}",
        &err[..err.len().min(500)]
    );
}

/// `facility register` takes clean text only: control characters, over-long ids and
/// unknown countries are refused by field, exit 2, and nothing is written.
#[test]
fn facility_files_are_refused_field_named() {
    let w = Scratch::new("bad-facility");
    w.facility("GOOD", "SV", false);
    let before = w.size();
    let facility = |id: &str, name: &str, country: &str, cell: &str| {
        format!(
            r#"{{"id":"{id}","name":"{name}","country":"{country}","kind":"prison","adult_only":true,
            "pavilions":[{{"id":"P1","cells":[{{"id":"{cell}","area_m2":10.0,"capacity":2,"windows":false,"sanitation":"in_cell"}}]}}]}}"#
        )
    };
    let long = "F".repeat(65);
    for (body, field) in [
        (facility("F-1", "Bad\\u0000Name", "SV", "C1"), "name"),
        (facility("F\\u0007-1", "Name", "SV", "C1"), "id"),
        (facility(&long, "Name", "SV", "C1"), "id"),
        (facility("F-1", "Name", "XX", "C1"), "country"),
        (
            facility("F-1", "Name", "SV", "C\\u0000"),
            "pavilions[].cells[].id",
        ),
    ] {
        let f = w.write("f.json", &body);
        let err = w.fails(2, &["facility", "register", "--as", "admin:root", s(&f)]);
        assert!(
            err.contains("f.json") && err.contains(&format!("field `{field}`")),
            "{body}: {err}"
        );
        assert_eq!(w.size(), before, "{body} wrote to the log");
    }
}

/// Bytes that are not UTF-8 are refused with their line named (CONTRACT conventions), for
/// every command that reads a whole file: `reconcile`, `bill`, `import persons`.
#[test]
fn bytes_that_are_not_utf8_name_their_line() {
    let w = Scratch::new("bad-utf8");
    let man = w.path("m.csv");
    std::fs::write(
        &man,
        b"record_id,family_names,given_names\nM-1,Paz,Ana\nM-2,P\xffz,Eva\n",
    )
    .unwrap();
    let good = w.write("i.csv", "record_id,family_names,given_names\nI-1,Paz,Ana\n");
    let err = w.fails(
        2,
        &["reconcile", "--manifest", s(&man), "--intake", s(&good)],
    );
    assert!(
        err.contains("m.csv") && err.contains("line 3") && err.contains("UTF-8"),
        "{err}"
    );
    let persons = w.path("p.csv");
    std::fs::write(&persons, b"person_id,family_names\nP-1,Ruiz\nP-2,R\xffiz\n").unwrap();
    let before = w.size();
    let err = w.fails(2, &["import", "persons", s(&persons)]);
    assert!(err.contains("p.csv") && err.contains("line 3"), "{err}");
    assert_eq!(w.size(), before);
}
