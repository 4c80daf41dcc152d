//! Linkage quality on generated noisy transfers: precision, recall and F1 per noise type,
//! with floors, and the CONTRACT §2 invariants as properties.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;

use custodia_linkage::reconcile::reconcile;
use custodia_linkage::synth::{SynthConfig, evaluate, generate};
use custodia_linkage::{Reconciliation, Record};
use proptest::prelude::*;

fn check_invariants(manifest: &[Record], intake: &[Record], out: &Reconciliation) {
    let mut seen = HashSet::new();
    for id in out
        .matches
        .iter()
        .map(|m| &m.manifest_id)
        .chain(out.missing_from_intake.iter())
        .chain(out.needs_review.iter().map(|r| &r.manifest_id))
    {
        assert!(seen.insert(id.clone()), "manifest id {id} appears twice");
    }
    let all: HashSet<String> = manifest.iter().map(|r| r.record_id.clone()).collect();
    assert_eq!(seen, all, "every manifest id exactly once");
    let matched: HashSet<&String> = out.matches.iter().map(|m| &m.intake_id).collect();
    assert_eq!(
        matched.len(),
        out.matches.len(),
        "an intake id is matched at most once"
    );
    let unexpected: HashSet<&String> = out.unexpected_in_intake.iter().collect();
    assert_eq!(unexpected.len(), out.unexpected_in_intake.len());
    for r in intake {
        assert!(
            matched.contains(&r.record_id) != unexpected.contains(&r.record_id),
            "{} in exactly one",
            r.record_id
        );
    }
    for m in &out.matches {
        assert!((0.0..=1.0).contains(&m.score));
    }
    for r in &out.needs_review {
        assert!(!r.candidates.is_empty());
        for c in &r.candidates {
            assert!((0.0..=1.0).contains(&c.score));
        }
    }
}

#[test]
fn flight_of_300_quality_per_noise_type() {
    let mut worst = 1.0f64;
    for seed in 1..=3 {
        let s = generate(seed, &SynthConfig::flight(300));
        let out = reconcile(&s.manifest, &s.intake);
        check_invariants(&s.manifest, &s.intake, &out);
        let ev = evaluate(&s, &out);
        println!("seed {seed}\n{}", ev.table());
        assert!(ev.overall.f1() >= 0.99, "F1 {}", ev.overall.f1());
        assert!(ev.overall.precision() >= 0.995);
        assert!(ev.review_share() <= 0.02);
        assert_eq!(
            ev.missing_flagged + ev.missing_in_review,
            ev.missing_total,
            "every missing person flagged"
        );
        for (kind, p) in &ev.by_kind {
            if p.truth >= 5 {
                assert!(p.recall() >= 0.85, "{kind}: recall {}", p.recall());
            }
            worst = worst.min(p.f1());
        }
    }
    println!("worst per-kind F1: {worst:.4}");
}

#[test]
fn facility_of_4000_quality() {
    let s = generate(99, &SynthConfig::flight(4000));
    let out = reconcile(&s.manifest, &s.intake);
    check_invariants(&s.manifest, &s.intake, &out);
    let ev = evaluate(&s, &out);
    println!("{}", ev.table());
    assert!(ev.overall.f1() >= 0.99, "F1 {}", ev.overall.f1());
    assert!(ev.review_share() <= 0.02);
    for (kind, p) in &ev.by_kind {
        assert!(p.precision() >= 0.99, "{kind}: precision {}", p.precision());
        assert!(p.recall() >= 0.9, "{kind}: recall {}", p.recall());
    }
    // A missing person is never silently matched to somebody else more than rarely.
    assert!(ev.missing_flagged + ev.missing_in_review + 2 >= ev.missing_total);
}

#[test]
fn reconciliation_is_deterministic() {
    let s = generate(5, &SynthConfig::flight(300));
    assert_eq!(
        reconcile(&s.manifest, &s.intake),
        reconcile(&s.manifest, &s.intake)
    );
}

/// family, given, date of birth, document.
type Row = (String, String, Option<(i16, i8, i8)>, Option<String>);

fn arb_record(prefix: &'static str) -> impl Strategy<Value = Row> {
    let fam = prop::sample::select(vec![
        "García",
        "Pérez López",
        "de la Cruz",
        "Menjívar",
        "",
        "Rivas Paz",
        "GARCIA",
    ]);
    let giv = prop::sample::select(vec!["José", "Ana María", "", "Jose", "Luis"]);
    let dob = prop::option::of((1990i16..1993, 1i8..13, 1i8..29));
    let doc = prop::option::of(prop::sample::select(vec!["1", "2", "12"]).prop_map(str::to_string));
    let _ = prefix;
    (fam, giv, dob, doc).prop_map(|(f, g, d, doc)| (f.to_string(), g.to_string(), d, doc))
}

fn build(prefix: &str, rows: Vec<Row>) -> Vec<Record> {
    rows.into_iter()
        .enumerate()
        .map(|(i, (f, g, d, doc))| {
            let mut r = Record::new(&format!("{prefix}-{i}"), &f, &g);
            r.date_of_birth = d.and_then(|(y, m, dd)| jiff::civil::Date::new(y, m, dd).ok());
            r.document_number = doc;
            r
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// CONTRACT §2 invariants hold for arbitrary (often degenerate, duplicate-laden) inputs.
    #[test]
    fn contract_invariants_hold(m in prop::collection::vec(arb_record("M"), 0..25), i in prop::collection::vec(arb_record("I"), 0..25)) {
        let manifest = build("M", m);
        let intake = build("I", i);
        let out = reconcile(&manifest, &intake);
        check_invariants(&manifest, &intake, &out);
    }

    /// Invariants on generated transfers of any seed and size.
    #[test]
    fn invariants_on_generated_transfers(seed in 0u64..10_000, n in 0usize..120) {
        let s = generate(seed, &SynthConfig::flight(n));
        let out = reconcile(&s.manifest, &s.intake);
        check_invariants(&s.manifest, &s.intake, &out);
    }
}
