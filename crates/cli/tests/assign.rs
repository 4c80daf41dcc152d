#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `custodia assign` through the real binary (CONTRACT §7).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run_stdin(input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(["assign", "--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn contract_example_runs_and_prints_json() {
    let input = r#"{"standard_m2_per_person": 3.4,
     "cells": [{"id": "P1-C01", "pavilion": "P1", "area_m2": 100.0, "capacity": 80,
                "occupants": [{"id": "X-1", "groups": ["A"], "separate_from": ["B"], "avoid_persons": []}]},
               {"id": "P1-C02", "pavilion": "P1", "area_m2": 10.0, "capacity": 2, "occupants": []}],
     "persons": [{"id": "N-1", "groups": ["B"], "separate_from": ["A"], "avoid_persons": ["N-7"]},
                 {"id": "N-2", "groups": ["B"], "separate_from": ["A"], "avoid_persons": []},
                 {"id": "N-3", "groups": ["B"], "separate_from": ["A"], "avoid_persons": []}]}"#;
    let o = run_stdin(input);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["assigned"], 2);
    assert_eq!(v["summary"]["unassigned"], 1);
    assert_eq!(v["summary"]["min_m2_per_person"], 5.0);
    assert_eq!(v["summary"]["persons_below_standard"], 0);
    assert_eq!(v["unassigned"][0]["reason"], "separation");
    for a in v["assignments"].as_array().unwrap() {
        assert_eq!(a["cell_id"], "P1-C02");
    }
}

fn bad(input: &str, needle: &str) {
    let o = run_stdin(input);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    assert!(o.stdout.is_empty());
    let e = stderr(&o);
    assert!(e.contains(needle), "expected {needle:?} in {e:?}");
    assert!(e.contains("`-`"), "the input is named: {e:?}");
}

#[test]
fn negative_area_names_the_cell() {
    bad(
        r#"{"standard_m2_per_person":3.4,"cells":[{"id":"P2-C07","area_m2":-5,"capacity":3}],"persons":[]}"#,
        "`P2-C07`",
    );
}

#[test]
fn capacity_zero_with_occupants_names_the_cell() {
    bad(
        r#"{"standard_m2_per_person":3.4,"cells":[{"id":"P3-C01","area_m2":50,"capacity":0,
            "occupants":[{"id":"X-1"}]}],"persons":[]}"#,
        "`P3-C01`",
    );
}

#[test]
fn duplicate_ids_are_named() {
    bad(
        r#"{"standard_m2_per_person":3.4,"cells":[{"id":"C1","area_m2":50,"capacity":3},
            {"id":"C1","area_m2":50,"capacity":3}],"persons":[]}"#,
        "duplicate cell id `C1`",
    );
    bad(
        r#"{"standard_m2_per_person":3.4,"cells":[{"id":"C1","area_m2":50,"capacity":3,
            "occupants":[{"id":"X-9"}]}],"persons":[{"id":"X-9"}]}"#,
        "duplicate person id `X-9`",
    );
}

#[test]
fn wrong_field_type_and_unknown_field_are_named() {
    bad(
        r#"{"standard_m2_per_person":3.4,"cells":[{"id":"C4","area_m2":50,"capacity":-1}]}"#,
        "cell `C4`, field `capacity`",
    );
    bad(
        r#"{"standard_m2_per_person":3.4,"cells":[{"id":"C2","area_m2":"5","capacity":4}]}"#,
        "cell `C2`, field `area_m2`",
    );
    bad(
        r#"{"standard_m2_per_person":3.4,"cells":[],"persons":[{"id":"N-5","avoid":["N-1"]}]}"#,
        "person `N-5`",
    );
    bad(
        r#"{"standard_m2_per_person":3.4,"cells":[{"id":"C1""#,
        "not a valid `assign` input",
    );
}

#[test]
fn missing_file_exits_2() {
    let o = Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(["assign", "--input", "/nonexistent/housing.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/housing.json"));
}
