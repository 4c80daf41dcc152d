//! The worked example of the contract (`shared/spec/examples/reconcile`) must come out right.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use custodia_linkage::{parse_csv, reconcile::reconcile};

fn example_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec/examples/reconcile")
}

#[test]
fn worked_example_matches_expected_pairs() {
    let dir = example_dir();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let manifest = parse_csv("manifest.csv", &read("manifest.csv")).unwrap();
    let intake = parse_csv("intake.csv", &read("intake.csv")).unwrap();
    let expected: BTreeMap<String, String> = read("expected-pairs.csv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (m, i) = l.split_once(',').unwrap();
            (m.trim().to_string(), i.trim().to_string())
        })
        .collect();
    let out = reconcile(&manifest, &intake);
    let got: BTreeMap<String, String> = out
        .matches
        .iter()
        .map(|m| (m.manifest_id.clone(), m.intake_id.clone()))
        .collect();
    let mut wrong = Vec::new();
    for (m, i) in &expected {
        let g = got.get(m).cloned().unwrap_or_default();
        if &g != i {
            wrong.push(format!("{m}: expected `{i}`, got `{g}`"));
        }
    }
    assert!(
        wrong.is_empty(),
        "wrong pairs:\n{}\nreview: {:?}",
        wrong.join("\n"),
        out.needs_review
    );
    assert!(out.needs_review.is_empty(), "{:?}", out.needs_review);
    let missing: Vec<&String> = expected
        .iter()
        .filter(|(_, i)| i.is_empty())
        .map(|(m, _)| m)
        .collect();
    assert_eq!(out.missing_from_intake.iter().collect::<Vec<_>>(), missing);
    // Every intake row arrived for someone on the manifest in this example.
    assert!(
        out.unexpected_in_intake.is_empty(),
        "{:?}",
        out.unexpected_in_intake
    );
    for m in &out.matches {
        assert!((0.0..=1.0).contains(&m.score));
    }
}
