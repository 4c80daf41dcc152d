#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Housing in the store through the real binary (issue 5): placements are events, the
//! hard rules hold whoever proposes the cell, cells go out of use with a reason, and the
//! proposal from the store respects recorded separation.

mod support;

use support::{Scratch, s};

const RO: &str = "receiving_officer:cecot";

fn world(name: &str) -> Scratch {
    let w = Scratch::new(name);
    let prison = w.write(
        "prison.json",
        r#"{"id":"CECOT","name":"Prison (test)","country":"SV","kind":"prison","adult_only":true,
        "pavilions":[{"id":"P1","cells":[
          {"id":"P1-C01","area_m2":10.0,"capacity":2,"windows":false,"sanitation":"in_cell"},
          {"id":"P1-C02","area_m2":20.0,"capacity":3,"windows":false,"sanitation":"in_cell"},
          {"id":"P1-C03","area_m2":30.0,"capacity":3,"windows":true,"sanitation":"in_cell"}]}]}"#,
    );
    w.ok(&["facility", "register", "--as", "admin:root", s(&prison)]);
    let mut csv = String::from("person_id,family_names,given_names,facility_id,status\n");
    for i in 1..=6 {
        csv.push_str(&format!("H-{i},Apellido{i},Nombre,CECOT,in_custody\n"));
    }
    w.ok(&["import", "persons", s(&w.write("p.csv", &csv))]);
    w
}

#[test]
fn placements_keep_capacity_and_separation() {
    let w = world("housing-rules");
    w.ok(&[
        "housing",
        "separation",
        "--as",
        RO,
        "H-1",
        "--group",
        "A",
        "--separate-from",
        "B",
    ]);
    w.ok(&[
        "housing",
        "separation",
        "--as",
        RO,
        "H-2",
        "--group",
        "B",
        "--separate-from",
        "A",
    ]);
    w.ok(&["housing", "separation", "--as", RO, "H-3", "--avoid", "H-4"]);
    // A proposal file with an assignment lacking its cell: refused by line and field,
    // nothing written.
    let bad = w.write(
        "proposal.json",
        "{\"assignments\": [\n  {\"person_id\": \"H-1\", \"cell_id\": \"P1-C01\"},\n  {\"person_id\": \"H-2\"}\n]}",
    );
    let size = w.size();
    let err = w.fails(
        2,
        &[
            "housing",
            "place",
            "--as",
            RO,
            "--proposal",
            bad.to_str().unwrap(),
        ],
    );
    assert!(
        err.contains("proposal.json")
            && err.contains("line 3")
            && err.contains("field `assignments[1]`")
            && err.contains("cell_id"),
        "{err}"
    );
    assert_eq!(w.size(), size, "a refused proposal writes nothing");
    w.ok(&["housing", "place", "--as", RO, "H-1=P1-C01"]);
    let before = w.size();
    let err = w.fails(2, &["housing", "place", "--as", RO, "H-2=P1-C01"]);
    assert!(err.contains("separation"), "{err}");
    let err = w.fails(
        2,
        &["housing", "place", "--as", RO, "H-3=P1-C02", "H-4=P1-C02"],
    );
    assert!(err.contains("separation"), "{err}");
    assert_eq!(w.size(), before, "a refused batch writes nothing");
    w.ok(&["housing", "place", "--as", RO, "H-5=P1-C01"]);
    let err = w.fails(2, &["housing", "place", "--as", RO, "H-6=P1-C01"]);
    assert!(err.contains("capacity"), "{err}");
    let err = w.fails(
        2,
        &[
            "housing",
            "place",
            "--as",
            "sending_officer:x",
            "H-6=P1-C02",
        ],
    );
    assert!(err.contains("forbidden"), "{err}");

    // Out of use, with a reason; nobody is placed there.
    w.fails(2, &["housing", "cell", "--as", RO, "P1-C03"]);
    w.ok(&[
        "housing",
        "cell",
        "--as",
        RO,
        "P1-C03",
        "--out-of-use",
        "flooded",
    ]);
    let err = w.fails(2, &["housing", "place", "--as", RO, "H-6=P1-C03"]);
    assert!(err.contains("out of use"), "{err}");

    // The engine's proposal for the rest respects what was recorded; confirming it places them.
    let proposal = w.ok(&["housing", "propose", "--facility", "CECOT"]);
    let v: serde_json::Value = serde_json::from_str(&proposal).unwrap();
    let cells: Vec<(String, String)> = v["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["person_id"].as_str().unwrap().to_string(),
                a["cell_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Four people, three places in the one usable cell, and H-3 must not share it with H-4.
    assert_eq!(cells.len(), 3, "{proposal}");
    assert_eq!(v["unassigned"].as_array().unwrap().len(), 1, "{proposal}");
    let placed: Vec<&str> = cells.iter().map(|(p, _)| p.as_str()).collect();
    assert!(
        !(placed.contains(&"H-3") && placed.contains(&"H-4")),
        "{proposal}"
    );
    assert!(
        cells.iter().all(|(_, c)| c == "P1-C02"),
        "only P1-C02 is in use with room: {proposal}"
    );
    w.ok(&["housing", "cell", "--as", RO, "P1-C03", "--in-use"]);
    let proposal = w.ok(&["housing", "propose", "--facility", "CECOT"]);
    w.ok(&[
        "housing",
        "place",
        "--as",
        RO,
        "--proposal",
        s(&w.write("prop2.json", &proposal)),
    ]);
    let cells: serde_json::Value =
        serde_json::from_str(&w.ok(&["housing", "cells", "--facility", "CECOT"])).unwrap();
    let occ: u64 = cells
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cell"]["occupants"].as_u64().unwrap())
        .sum();
    assert_eq!(occ, 6);
    w.ok(&["verify"]);
}

#[test]
fn standards_report_names_what_is_out_of_standard() {
    let w = Scratch::new("housing-standards");
    w.ok(&["demo", "--scale", "tiny", "--seed", "4"]);
    let r: serde_json::Value = serde_json::from_str(&w.ok(&[
        "report",
        "standards",
        "--facility",
        "CECOT",
        "--as-of",
        "2025-03-31",
        "--json",
    ]))
    .unwrap();
    assert!(r["persons_present"].as_u64().unwrap() > 0);
    let ids: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for id in [
        "space",
        "capacity",
        "mandela-23",
        "mandela-58",
        "mandela-44-45",
        "mandela-68",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let text = w.ok(&[
        "report",
        "standards",
        "--facility",
        "CECOT",
        "--as-of",
        "2025-03-31",
    ]);
    assert!(text.contains("mandela-68"), "{text}");
    let census: serde_json::Value = serde_json::from_str(&w.ok(&[
        "report",
        "census",
        "--facility",
        "CECOT",
        "--from",
        "2025-03-14",
        "--to",
        "2025-03-31",
    ]))
    .unwrap();
    let days = census.as_array().unwrap();
    assert!(days.iter().any(|d| d["persons"].as_u64().unwrap() > 0));
    w.fails(
        2,
        &[
            "report",
            "census",
            "--from",
            "2025-13-01",
            "--to",
            "2025-03-31",
        ],
    );
}
