//! For files with a truth file (`manifest_id,intake_id[,duplicate_intake_ids]`, or the
//! held-out generators' one row per record): every manifest person `reconcile` reports
//! missing, by the best candidate they still had among the unexpected intake records, and
//! what the truth says of them. A calibrated score would put a share of about the score
//! in "their own record"; where that share is far higher, reporting the person missing is
//! a false alarm the model could have turned into a review (`review_near_misses`).
//!
//! `cargo run --release -p custodia-linkage --example leftover_candidates -- MANIFEST INTAKE TRUTH`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap, HashSet};

use custodia_linkage::parse_csv;
use custodia_linkage::reconcile::{Config, reconcile_with};

/// The score bucket of a best candidate: the sibling guard's cap (1/3) apart.
fn bucket(score: f64) -> &'static str {
    if (score - 1.0 / 3.0).abs() < 1e-4 {
        "capped by the sibling guard"
    } else if score >= 0.4 {
        "0.40-0.50"
    } else if score >= 0.2 {
        "0.20-0.40"
    } else if score >= 0.05 {
        "0.05-0.20"
    } else {
        "under 0.05"
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 4 {
        eprintln!("usage: leftover_candidates MANIFEST INTAKE TRUTH");
        std::process::exit(2);
    }
    let read = |p: &str| std::fs::read_to_string(p).expect("readable file");
    let man = parse_csv(&a[1], &read(&a[1])).expect("manifest");
    let int = parse_csv(&a[2], &read(&a[2])).expect("intake");
    // Every intake record that belongs to each manifest person.
    let mut own: HashMap<String, HashSet<String>> = HashMap::new();
    let truth = read(&a[3]);
    let mut lines = truth.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (cm, ci, cd) = (
        col("manifest_id").unwrap_or(0),
        col("intake_id").unwrap_or(1),
        col("duplicate_intake_ids"),
    );
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let m = f.get(cm).copied().unwrap_or("");
        if m.is_empty() {
            continue;
        }
        let e = own.entry(m.to_string()).or_default();
        for id in std::iter::once(f.get(ci).copied().unwrap_or("")).chain(
            cd.and_then(|c| f.get(c))
                .into_iter()
                .flat_map(|d| d.split(';')),
        ) {
            if !id.is_empty() {
                e.insert(id.to_string());
            }
        }
    }
    let cfg = Config {
        keep_pair_scores: true,
        ..Config::default()
    };
    let (out, diag) = reconcile_with(&man, &int, &cfg);
    let unexpected: HashSet<&str> = out
        .unexpected_in_intake
        .iter()
        .map(String::as_str)
        .collect();
    let missing: HashSet<&str> = out.missing_from_intake.iter().map(String::as_str).collect();
    // A pair's last score (the residual pass's when it has one).
    let mut score: HashMap<(usize, usize), f64> = HashMap::new();
    for p in &diag.pair_scores {
        let e = score.entry((p.manifest, p.intake)).or_insert(p.score);
        if p.residual {
            *e = p.score;
        }
    }
    let mut best: HashMap<usize, (f64, usize)> = HashMap::new();
    for (&(i, j), &s) in &score {
        if missing.contains(man[i].record_id.as_str())
            && unexpected.contains(int[j].record_id.as_str())
            && best.get(&i).is_none_or(|b| s > b.0)
        {
            best.insert(i, (s, j));
        }
    }
    let mut table: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for (i, r) in man.iter().enumerate() {
        if !missing.contains(r.record_id.as_str()) {
            continue;
        }
        let records = own.get(&r.record_id);
        let arrived = records.is_some_and(|s| !s.is_empty());
        let (b, k) = match best.get(&i) {
            None => ("no candidate left", if arrived { 1 } else { 2 }),
            Some(&(s, j)) => {
                let k = if records.is_some_and(|s| s.contains(&int[j].record_id)) {
                    0
                } else if arrived {
                    1
                } else {
                    2
                };
                (bucket(s), k)
            }
        };
        table.entry(b).or_default()[k] += 1;
    }
    println!(
        "| best unexpected candidate of a person reported missing | their own record | arrived, another's record | never arrived |"
    );
    println!("|---|---:|---:|---:|");
    for (b, n) in &table {
        println!("| {b} | {} | {} | {} |", n[0], n[1], n[2]);
    }
}
