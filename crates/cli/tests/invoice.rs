#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Billing in the store through the real binary (issue 6): invoices are ledger events; a
//! late-reported release makes the next correction a credit note, never an edit.

mod support;

use support::Scratch;

const ID: &str = "INV-US-SV-2025-2025-04";

#[test]
fn invoices_are_events_and_corrections_are_notes() {
    let w = Scratch::new("invoice");
    w.ok(&["demo", "--scale", "tiny", "--seed", "4"]);
    w.ok(&[
        "invoice",
        "issue",
        "--as",
        "admin:finance",
        "--month",
        "2025-04",
    ]);
    let list: serde_json::Value = serde_json::from_str(&w.ok(&["invoice", "list"])).unwrap();
    let inv = &list[0];
    assert_eq!(inv["id"], ID);
    let days = inv["person_days"].as_u64().unwrap();
    assert!(days > 0);
    assert_eq!(inv["balance"], inv["total"]);
    let before = w.size();
    assert!(
        w.fails(
            2,
            &[
                "invoice",
                "issue",
                "--as",
                "admin:finance",
                "--month",
                "2025-04"
            ]
        )
        .contains("already issued")
    );
    assert!(
        w.fails(
            2,
            &[
                "invoice",
                "issue",
                "--as",
                "sending_officer:x",
                "--month",
                "2025-05"
            ]
        )
        .contains("forbidden")
    );
    assert_eq!(w.size(), before);

    // Someone held at the facility all April is reported, late, as released on 10 April.
    let c = rusqlite::Connection::open(&w.db).unwrap();
    let person: String = c
        .query_row(
            "SELECT person_id FROM stays WHERE facility_id = 'CECOT' AND admitted_on <= '2025-04-01' AND released_on IS NULL ORDER BY person_id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(c);
    assert!(
        w.fails(
            2,
            &[
                "custody",
                "release",
                "--as",
                "receiving_officer:cecot",
                &person,
                "--at",
                "2025-03-01T00:00:00Z"
            ]
        )
        .contains("before it began")
    );
    w.ok(&[
        "custody",
        "release",
        "--as",
        "receiving_officer:cecot",
        &person,
        "--at",
        "2025-04-10T08:00:00Z",
    ]);

    // April 10–30 are no longer billable for that person: 21 days at 54.35 (under the 300
    // reserved beds) is a credit of 1141.35.
    let note: serde_json::Value = serde_json::from_str(&w.ok_at(
        "2025-06-02T09:00:00Z",
        &[
            "invoice",
            "correct",
            "--as",
            "admin:finance",
            ID,
            "--reason",
            "late release report",
        ],
    ))
    .unwrap();
    assert_eq!(note["kind"], "credit");
    assert_eq!(note["amount"], "1141.35");
    let list: serde_json::Value = serde_json::from_str(&w.ok(&["invoice", "list"])).unwrap();
    assert_eq!(
        list[0]["total"], inv["total"],
        "the issued invoice is never edited"
    );
    let total: f64 = inv["total"].as_str().unwrap().parse().unwrap();
    let balance: f64 = list[0]["balance"].as_str().unwrap().parse().unwrap();
    assert!((total - balance - 1141.35).abs() < 0.001);
    // Nothing more to correct.
    let n = w.size();
    w.ok(&[
        "invoice",
        "correct",
        "--as",
        "admin:finance",
        ID,
        "--reason",
        "again",
    ]);
    assert_eq!(w.size(), n);

    // Export, costs, forecast.
    let csv = w.ok(&["invoice", "export", "--month", "2025-04", "--format", "csv"]);
    assert!(csv.starts_with("date,persons,amount\n2025-04-01,"), "{csv}");
    assert!(
        csv.lines()
            .last()
            .unwrap()
            .starts_with(&format!("total,{}", days - 21))
    );
    let json: serde_json::Value =
        serde_json::from_str(&w.ok(&["invoice", "export", "--month", "2025-04"])).unwrap();
    assert_eq!(json["person_days"], days - 21);
    assert_eq!(json["days"].as_array().unwrap().len(), 30);
    let costs: serde_json::Value =
        serde_json::from_str(&w.ok(&["report", "costs", "--month", "2025-04", "--json"])).unwrap();
    assert_eq!(costs["person_days"], days - 21);
    assert_eq!(costs["schemes"].as_array().unwrap().len(), 4);
    let f: serde_json::Value =
        serde_json::from_str(&w.ok(&["forecast", "--months", "6", "--runs", "200", "--json"]))
            .unwrap();
    assert_eq!(f["months"].as_array().unwrap().len(), 6);
    let again: serde_json::Value =
        serde_json::from_str(&w.ok(&["forecast", "--months", "6", "--runs", "200", "--json"]))
            .unwrap();
    assert_eq!(f, again, "seeded");
    w.fails(2, &["report", "costs", "--month", "2025-4"]);
    w.ok(&["verify"]);
}
