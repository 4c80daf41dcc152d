//! `custodia screen` through the real binary (CONTRACT §1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn spec(name: &str) -> PathBuf {
    PathBuf::from(format!(
        "{}/../../../shared/spec/examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("custodia-screen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(args)
        .output()
        .unwrap()
}

fn decisions(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Each rule once, with its strongest effect (the shape of screening.expected.jsonl).
fn strongest(findings: &Value) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for f in findings.as_array().unwrap() {
        let e = m
            .entry(f["rule"].as_str().unwrap().to_owned())
            .or_insert_with(|| f["effect"].as_str().unwrap().to_owned());
        if f["effect"] == "blocked" {
            *e = "blocked".to_owned();
        }
    }
    m
}

const GOOD: &str = r#"{"id":"case-1","on":"2025-03-15","person":{"id":"P-1","nationalities":["SV"],"us_status":"undocumented","identity_verified":true},"records":[{"type":"removal_order","date":"2024-01-10","final":true}],"transfer":{"basis":"removal","destination_country":"SV"}}"#;

#[test]
fn worked_examples_through_the_binary() {
    let input = spec("screening.jsonl");
    let got = decisions(&run(&["screen", "--input", input.to_str().unwrap()]));
    let want: Vec<Value> = std::fs::read_to_string(spec("screening.expected.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g["id"], w["id"]);
        assert_eq!(g["outcome"], w["outcome"], "{g}");
        assert_eq!(strongest(&g["findings"]), strongest(&w["findings"]), "{g}");
        assert!(g["rules_version"].as_str().unwrap().starts_with("2025.2+"));
        for f in g["findings"].as_array().unwrap() {
            assert!(
                !f["citation"].as_str().unwrap().is_empty()
                    && !f["detail"].as_str().unwrap().is_empty()
            );
        }
    }
}

#[test]
fn json_array_input_gives_the_same_decisions() {
    let lines = std::fs::read_to_string(spec("screening.jsonl")).unwrap();
    let array = format!(
        "  \n[{}]",
        lines
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join(",\n")
    );
    let a = run(&[
        "screen",
        "--input",
        tmp("array.json", &array).to_str().unwrap(),
    ]);
    let l = run(&[
        "screen",
        "--input",
        spec("screening.jsonl").to_str().unwrap(),
    ]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, l.stdout);
}

#[test]
fn standard_input_is_read_with_dash() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(["screen", "--input", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{GOOD}\n\n{GOOD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let d = decisions(&out);
    assert_eq!(d.len(), 2);
    assert_eq!(d[0]["outcome"], "eligible");
}

/// Exit 2, nothing on standard output, and a message naming file, request, id and field.
fn input_error(name: &str, text: &str, needles: &[&str]) {
    let path = tmp(name, text);
    let out = run(&["screen", "--input", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{name}: partial output {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    for n in needles {
        assert!(stderr.contains(n), "{name}: `{n}` not in {stderr}");
    }
}

#[test]
fn malformed_requests_exit_2_naming_index_id_and_field() {
    let bad = |from: &str, to: &str| GOOD.replace("case-1", "case-9").replace(from, to);
    let three = |third: String| format!("{GOOD}\n{GOOD}\n{third}\n{GOOD}\n");
    input_error(
        "status.jsonl",
        &three(bad("undocumented", "alien")),
        &[
            "status.jsonl`",
            "request 3",
            "id `case-9`",
            "field `person.us_status`",
            "unknown value `alien`",
            "expected one of",
            "`undocumented`",
        ],
    );
    input_error(
        "missing.jsonl",
        &three(bad(r#","us_status":"undocumented""#, "")),
        &[
            "request 3",
            "id `case-9`",
            "field `person.us_status`",
            "required",
        ],
    );
    input_error(
        "date.jsonl",
        &three(bad("2024-01-10", "2024-01-32")),
        &[
            "request 3",
            "id `case-9`",
            "field `records[0].date`",
            "`2024-01-32`",
            "YYYY-MM-DD",
        ],
    );
    input_error(
        "country.jsonl",
        &three(bad(
            r#""destination_country":"SV""#,
            r#""destination_country":"El Salvador""#,
        )),
        &[
            "request 3",
            "field `transfer.destination_country`",
            "two upper-case letters",
        ],
    );
    input_error(
        "basis.jsonl",
        &three(bad(r#""basis":"removal""#, r#""basis":"deportation""#)),
        &[
            "request 3",
            "field `transfer.basis`",
            "unknown value `deportation`",
        ],
    );
    input_error(
        "record.jsonl",
        &three(bad(r#","final":true"#, "")),
        &["request 3", "field `records[0].final`", "removal_order"],
    );
    input_error(
        "noid.jsonl",
        &three(bad(r#""id":"case-9","#, "")),
        &["request 3", "field `id`"],
    );
    input_error(
        "json.jsonl",
        &three("{\"id\": \"case-9\", ".to_owned()),
        &["request 3", "not valid JSON"],
    );
    // A JSON array names the element's index too.
    input_error(
        "array.json",
        &format!("[{GOOD},\n{}]", bad("undocumented", "alien")),
        &["request 2", "id `case-9`", "field `person.us_status`"],
    );
    input_error(
        "truncated.json",
        &format!("[{GOOD},"),
        &["not a JSON array"],
    );
}

/// Version 2 records: a value the record type does not define, or a `verified` that is not a
/// date, is an input error naming the field.
#[test]
fn malformed_version_2_records_exit_2_naming_the_field() {
    let with = |record: &str| {
        GOOD.replace("case-1", "case-9").replace(
            r#"{"type":"removal_order","date":"2024-01-10","final":true}"#,
            &format!(r#"{{"type":"removal_order","date":"2024-01-10","final":true}},{record}"#),
        )
    };
    let cases = [
        (
            "review.jsonl",
            r#"{"type":"fear_review","country":"SV","date":"2025-01-01","outcome":"overturned"}"#,
            vec![
                "request 1",
                "id `case-9`",
                "field `records[1].outcome`",
                "unknown value `overturned`",
                "`affirmed` or `vacated`",
            ],
        ),
        (
            "aca.jsonl",
            r#"{"type":"aca_threshold_screening","country":"GT","date":"2025-01-01","outcome":"vacated"}"#,
            vec![
                "field `records[1].outcome`",
                "unknown value `vacated`",
                "`positive` or `negative`",
            ],
        ),
        (
            "claim.jsonl",
            r#"{"type":"citizenship_claim","date":"2025-01-01","status":"granted"}"#,
            vec![
                "field `records[1].status`",
                "unknown value `granted`",
                "`pending`, `established` or `rejected`",
            ],
        ),
        (
            "verified.jsonl",
            r#"{"type":"transfer_consent","country":"SV","date":"2025-01-01","verified":"yes"}"#,
            vec![
                "field `records[1].verified`",
                "invalid date `yes`",
                "YYYY-MM-DD",
            ],
        ),
        (
            "verified-type.jsonl",
            r#"{"type":"transfer_consent","country":"SV","date":"2025-01-01","verified":true}"#,
            vec!["field `records[1].verified`"],
        ),
        (
            "as_of.jsonl",
            r#"{"type":"acceptance","country":"SV","date":"2025-01-01","id":"A1","as_of":"2025-02-30"}"#,
            vec!["field `records[1].as_of`", "invalid date `2025-02-30`"],
        ),
        (
            "class.jsonl",
            r#"{"type":"stay","issued":"2025-01-01","scope":"class"}"#,
            vec!["field `records[1].class`", "required"],
        ),
        (
            "district.jsonl",
            r#"{"type":"stay","issued":"2025-01-01","scope":"country","country":"SV","district":"D. Mass."}"#,
            vec!["field `records[1].district`", "unknown field"],
        ),
        (
            "unknown.jsonl",
            r#"{"type":"acceptance","country":"SV","date":"2025-01-01","accepted_by":"SV"}"#,
            vec!["field `records[1].accepted_by`", "unknown field"],
        ),
    ];
    for (name, record, needles) in cases {
        input_error(name, &with(record), &needles);
    }
}

/// The version 2 records and basis go through the binary.
#[test]
fn version_2_requests_through_the_binary() {
    let req = GOOD.replace(
        r#"{"type":"removal_order","date":"2024-01-10","final":true}"#,
        r#"{"type":"removal_order","date":"2024-01-10","final":true},{"type":"habeas_petition","id":"H1","filed":"2025-01-02","status":"pending"},{"type":"habeas_petition","id":"H1","filed":"2025-01-02","status":"denied","as_of":"2025-02-01"}"#,
    );
    let path = tmp("v2.jsonl", &format!("{req}\n"));
    let out = run(&["screen", "--input", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = decisions(&out);
    assert!(
        d[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "habeas"),
        "{d:?}"
    );
}

#[test]
fn params_file_replaces_the_defaults() {
    let defaults = std::fs::read_to_string(format!(
        "{}/../rules/params/default.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let honduran = GOOD
        .replace(r#"["SV"]"#, r#"["HN"]"#)
        .replace(r#"{"type":"removal_order""#, r#"{"type":"third_country_notice","country":"SV","served":"2025-03-05","language":"es"},{"type":"removal_order""#)
        .replace(r#""identity_verified":true"#, r#""identity_verified":true,"languages":["es"]"#);
    let input = tmp("honduran.jsonl", &format!("{honduran}\n"));
    let base = decisions(&run(&["screen", "--input", input.to_str().unwrap()]));
    assert_eq!(base[0]["outcome"], "eligible", "{}", base[0]);

    let stricter = tmp(
        "stricter.toml",
        &defaults.replace("value = 10 }", "value = 11 }"),
    );
    let got = decisions(&run(&[
        "screen",
        "--input",
        input.to_str().unwrap(),
        "--params",
        stricter.to_str().unwrap(),
    ]));
    assert_eq!(got[0]["outcome"], "blocked");
    assert_eq!(got[0]["findings"][0]["rule"], "third-country");
    assert_ne!(got[0]["rules_version"], base[0]["rules_version"]);

    let same = tmp("same.toml", &defaults);
    let again = decisions(&run(&[
        "screen",
        "--input",
        input.to_str().unwrap(),
        "--params",
        same.to_str().unwrap(),
    ]));
    assert_eq!(again, base);
}

#[test]
fn bad_params_exit_2_naming_the_key() {
    let defaults = std::fs::read_to_string(format!(
        "{}/../rules/params/default.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let input = tmp("one.jsonl", &format!("{GOOD}\n"));
    for (name, text, needle) in [
        (
            "unknown.toml",
            defaults.replace("[adult_age]\n", "[adult_age]\nmaximum = 3\n"),
            "`maximum`",
        ),
        (
            "top.toml",
            format!("{defaults}\nnotice_days = 3\n"),
            "`notice_days`",
        ),
        (
            "missing.toml",
            defaults.replace("version = \"2025.2\"", ""),
            "`version`",
        ),
        ("syntax.toml", "version = ".to_owned(), "line 1"),
    ] {
        let p = tmp(name, &text);
        let out = run(&[
            "screen",
            "--input",
            input.to_str().unwrap(),
            "--params",
            p.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(out.stdout.is_empty());
        assert!(
            stderr.contains(name) && stderr.contains(needle),
            "{name}: {stderr}"
        );
    }
}
