//! `custodia bill` through the real binary (CONTRACT §6).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn example(f: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/examples/billing")
        .join(f)
}

fn bill(agreement: &Path, stays: &Path, month: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(["bill", "--agreement"])
        .arg(agreement)
        .arg("--stays")
        .arg(stays)
        .args(["--month", month])
        .output()
        .unwrap()
}

/// A scratch directory for one test, under the target directory.
fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bill-{name}"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn worked_example() {
    let month = std::fs::read_to_string(example("month.txt")).unwrap();
    let out = bill(
        &example("agreement.toml"),
        &example("stays.csv"),
        month.trim(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example("expected.json")).unwrap()).unwrap();
    assert_eq!(got, want);
}

#[test]
fn stays_from_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(["bill", "--agreement"])
        .arg(example("agreement.toml"))
        .args(["--stays", "-", "--month", "2025-03"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(example("stays.csv")).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["total"], "2377.00");
}

fn assert_input_error(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout after an error");
    for n in needles {
        assert!(err.contains(n), "`{n}` not in: {err}");
    }
}

#[test]
fn overlapping_stays_exit_2_naming_both_rows() {
    let d = scratch("overlap");
    let stays = write(
        &d,
        "stays.csv",
        "person_id,facility_id,admitted_on,released_on\nP1,CECOT,2025-03-15,2025-03-20\nP2,CECOT,2025-03-15,\nP1,CECOT,2025-03-19,\n",
    );
    let out = bill(&example("agreement.toml"), &stays, "2025-03");
    assert_input_error(&out, &["stays.csv", "lines 2 and 4", "`P1`", "overlap"]);
}

#[test]
fn release_before_admission_exits_2_naming_the_row() {
    let d = scratch("release");
    let stays = write(
        &d,
        "stays.csv",
        "released_on,person_id,admitted_on,facility_id\n,P1,2025-03-15,CECOT\n2025-03-01,P2,2025-03-15,CECOT\n",
    );
    let out = bill(&example("agreement.toml"), &stays, "2025-03");
    assert_input_error(
        &out,
        &["stays.csv", "line 3", "`released_on`", "`2025-03-01`"],
    );
}

#[test]
fn malformed_amount_exits_2_naming_file_line_and_field() {
    let d = scratch("amount");
    let text = std::fs::read_to_string(example("agreement.toml"))
        .unwrap()
        .replace("\"60.00\"", "\"60,00\"");
    let agreement = write(&d, "agreement.toml", &text);
    let out = bill(&agreement, &example("stays.csv"), "2025-03");
    assert_input_error(
        &out,
        &[
            "agreement.toml",
            "line 15",
            "`rate[2].per_person_day`",
            "`60,00`",
        ],
    );
}

#[test]
fn bad_dates_and_months_exit_2() {
    let d = scratch("dates");
    let stays = write(
        &d,
        "stays.csv",
        "person_id,facility_id,admitted_on,released_on\nP1,CECOT,2025-02-30,\n",
    );
    assert_input_error(
        &bill(&example("agreement.toml"), &stays, "2025-03"),
        &["stays.csv", "line 2", "`admitted_on`", "`2025-02-30`"],
    );
    assert_input_error(
        &bill(&example("agreement.toml"), &example("stays.csv"), "2025-3"),
        &["`--month`", "`2025-3`"],
    );
    assert_input_error(
        &bill(&d.join("missing.toml"), &example("stays.csv"), "2025-03"),
        &["missing.toml"],
    );
}
