//! For files with a truth file (`manifest_id,intake_id,...`), lists the true pairs that
//! `reconcile` did not match, with the pair's score in each pass (or "not compared") and
//! the best scores each record had: where a miss was lost (blocking, the weights, or the
//! assignment).
//!
//! `cargo run --release -p custodia-linkage --example explain_misses -- MANIFEST INTAKE TRUTH [N]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use custodia_linkage::parse_csv;
use custodia_linkage::reconcile::{Config, reconcile_with};

/// A score's bucket for the summary ("none": the pair was not compared in that pass).
fn bucket(score: Option<f64>) -> &'static str {
    match score {
        None => "none",
        Some(x) if x >= 0.5 => ">=0.5",
        Some(x) if x >= 0.05 => "0.05-0.5",
        Some(_) => "<0.05",
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let read = |p: &str| std::fs::read_to_string(p).expect("readable file");
    let man = parse_csv(&a[1], &read(&a[1])).expect("manifest");
    let int = parse_csv(&a[2], &read(&a[2])).expect("intake");
    let limit: usize = a.get(4).and_then(|s| s.parse().ok()).unwrap_or(40);
    let cfg = Config {
        keep_pair_scores: true,
        ..Config::default()
    };
    let (out, diag) = reconcile_with(&man, &int, &cfg);
    eprintln!(
        "residual: {:?} leftovers, {} pairs",
        diag.residual_records, diag.residual_pairs
    );
    let mi: HashMap<&str, usize> = man
        .iter()
        .enumerate()
        .map(|(k, r)| (r.record_id.as_str(), k))
        .collect();
    let ii: HashMap<&str, usize> = int
        .iter()
        .enumerate()
        .map(|(k, r)| (r.record_id.as_str(), k))
        .collect();
    let mut scores: HashMap<(usize, usize), (Option<f64>, Option<f64>)> = HashMap::new();
    let mut best_m: HashMap<usize, Vec<(f64, usize, bool)>> = HashMap::new();
    for p in &diag.pair_scores {
        let e = scores.entry((p.manifest, p.intake)).or_default();
        if p.residual {
            e.1 = Some(p.score)
        } else {
            e.0 = Some(p.score)
        }
        best_m
            .entry(p.manifest)
            .or_default()
            .push((p.score, p.intake, p.residual));
    }
    let matched: HashMap<&str, &str> = out
        .matches
        .iter()
        .map(|m| (m.manifest_id.as_str(), m.intake_id.as_str()))
        .collect();
    let missing: std::collections::HashSet<&str> =
        out.missing_from_intake.iter().map(String::as_str).collect();
    let truth = read(&a[3]);
    let mut shown = 0;
    let mut classes: HashMap<String, usize> = HashMap::new();
    for line in truth.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(&m), Some(&i)) = (f.first(), f.get(1)) else {
            continue;
        };
        if m.is_empty() || i.is_empty() {
            continue;
        }
        if matched.get(m) == Some(&i) {
            continue;
        }
        let (Some(&mk), Some(&ik)) = (mi.get(m), ii.get(i)) else {
            continue;
        };
        let s = scores.get(&(mk, ik)).copied().unwrap_or((None, None));
        let state = if missing.contains(m) {
            "missing"
        } else if matched.contains_key(m) {
            "matched-other"
        } else {
            "review"
        };
        let class = format!("{state} pass1={} residual={}", bucket(s.0), bucket(s.1));
        *classes.entry(class).or_default() += 1;
        if shown < limit {
            shown += 1;
            let mut b = best_m.get(&mk).cloned().unwrap_or_default();
            b.sort_by(|x, y| y.0.total_cmp(&x.0));
            let r = &man[mk];
            let t = &int[ik];
            println!(
                "{m} {state}: {} | {} | {:?} | {:?}\n   true {i}: {} | {} | {:?} | {:?}  pass1 {:?} residual {:?}",
                r.family_names,
                r.given_names,
                r.date_of_birth,
                r.document_number,
                t.family_names,
                t.given_names,
                t.date_of_birth,
                t.document_number,
                s.0,
                s.1
            );
            for (sc, k, res) in b.iter().take(3) {
                println!(
                    "   cand {} {:.4} {}: {} | {}",
                    int[*k].record_id,
                    sc,
                    if *res { "residual" } else { "pass1" },
                    int[*k].family_names,
                    int[*k].given_names
                );
            }
        }
    }
    let mut c: Vec<_> = classes.into_iter().collect();
    c.sort_by_key(|x| std::cmp::Reverse(x.1));
    for (k, v) in c {
        println!("{v:6}  {k}");
    }
}
