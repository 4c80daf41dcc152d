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
    ];
    // One good row first, so "nothing written" is measured against a non-empty store.
    w.ok(&[
        "import",
        "persons",
        s(&w.write(
            "good.csv",
            &format!("{HEADER}\nG-1,Good,Row,1980-01-01,M,SV,SV,,\n"),
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
