//! `custodia reconcile` through the real binary (CONTRACT §2).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Output};

fn example(f: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/examples/reconcile")
        .join(f)
}

fn custodia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(args)
        .output()
        .unwrap()
}

fn tmp(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("custodia-reconcile-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn worked_example_through_the_binary() {
    let m = example("manifest.csv");
    let i = example("intake.csv");
    let out = custodia(&[
        "reconcile",
        "--manifest",
        m.to_str().unwrap(),
        "--intake",
        i.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: BTreeMap<String, String> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["manifest_id"].as_str().unwrap().to_string(),
                m["intake_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = std::fs::read_to_string(example("expected-pairs.csv")).unwrap();
    let mut missing = Vec::new();
    for line in expected.lines().skip(1).filter(|l| !l.is_empty()) {
        let (mid, iid) = line.split_once(',').unwrap();
        if iid.is_empty() {
            missing.push(mid.to_string());
            assert!(!got.contains_key(mid), "{mid} should be missing");
        } else {
            assert_eq!(got.get(mid).map(String::as_str), Some(iid), "{mid}");
        }
    }
    let flagged: Vec<String> = v["missing_from_intake"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    assert_eq!(flagged, missing);
    assert_eq!(v["needs_review"].as_array().unwrap().len(), 0);
    assert_eq!(v["unexpected_in_intake"].as_array().unwrap().len(), 0);
    for m in v["matches"].as_array().unwrap() {
        let s = m["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&s));
    }
}

#[test]
fn out_file_and_stdin_and_every_id_accounted_for() {
    let m = tmp(
        "m.csv",
        "record_id,family_names,given_names,date_of_birth\nM-1,Pérez López,Ana,1990-01-02\nM-2,Rivas,Luis,1980-05-06\n",
    );
    let i_text =
        "given_names,record_id,family_names,shoe_size\nANA,I-1,PEREZ,40\nMarta,I-2,Quijada,38\n";
    let out_path = m.with_file_name("out.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args([
            "reconcile",
            "--manifest",
            m.to_str().unwrap(),
            "--intake",
            "-",
            "--out",
            out_path.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(i_text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "with --out nothing goes to stdout");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(v["matches"][0]["manifest_id"], "M-1");
    assert_eq!(v["matches"][0]["intake_id"], "I-1");
    assert_eq!(v["missing_from_intake"], serde_json::json!(["M-2"]));
    assert_eq!(v["unexpected_in_intake"], serde_json::json!(["I-2"]));
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "matches",
            "missing_from_intake",
            "unexpected_in_intake",
            "needs_review"
        ])
    );
    // An `--out` that cannot be written is a usage error (exit 2), named.
    let o = Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args([
            "reconcile",
            "--manifest",
            m.to_str().unwrap(),
            "--intake",
            m.to_str().unwrap(),
            "--out",
            "/nonexistent/dir/out.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/dir/out.json"));
    assert!(o.stdout.is_empty());
}

#[test]
fn input_errors_exit_2_naming_file_line_and_field() {
    let good = tmp(
        "good.csv",
        "record_id,family_names,given_names\nI-1,Paz,Henry\n",
    );
    let cases = [
        (
            "dup.csv",
            "record_id,family_names,given_names\nM-1,Paz,Henry\nM-1,Rivas,Ana\n",
            "line 3, field `record_id`",
        ),
        (
            "date.csv",
            "record_id,family_names,given_names,date_of_birth\nM-1,Paz,Henry,1990-13-01\n",
            "line 2, field `date_of_birth`",
        ),
        (
            "nocol.csv",
            "record_id,given_names\nM-1,Henry\n",
            "missing column `family_names`",
        ),
    ];
    for (name, text, needle) in cases {
        let p = tmp(name, text);
        let out = custodia(&[
            "reconcile",
            "--manifest",
            p.to_str().unwrap(),
            "--intake",
            good.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name) && err.contains(needle), "{name}: {err}");
        assert!(out.stdout.is_empty());
    }
    let out = custodia(&[
        "reconcile",
        "--manifest",
        "/nonexistent/m.csv",
        "--intake",
        good.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}
