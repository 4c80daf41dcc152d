//! Benchmark: generate a noisy manifest/intake pair, reconcile it, print quality and time.
//!
//! `cargo run --release -p custodia-linkage --example bench_reconcile -- PERSONS SEED [OUT_DIR]`
//! With OUT_DIR, writes manifest.csv, intake.csv and truth.csv there (for the Splink script).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use custodia_linkage::reconcile::{Config, reconcile_with};
use custodia_linkage::synth::{SynthConfig, evaluate, generate};
use custodia_linkage::{parse_csv, write_csv};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let persons: usize = args.get(1).map_or(40_000, |s| s.parse().unwrap());
    let seed: u64 = args.get(2).map_or(2025, |s| s.parse().unwrap());
    let synth = generate(seed, &SynthConfig::flight(persons));
    let (m_csv, i_csv) = (write_csv(&synth.manifest), write_csv(&synth.intake));
    if let Some(dir) = args.get(3) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(format!("{dir}/manifest.csv"), &m_csv).unwrap();
        std::fs::write(format!("{dir}/intake.csv"), &i_csv).unwrap();
        let mut t = String::from("manifest_id,intake_id\n");
        for x in &synth.truth {
            t.push_str(&format!(
                "{},{}\n",
                x.manifest_id,
                x.intake_id.as_deref().unwrap_or("")
            ));
        }
        std::fs::write(format!("{dir}/truth.csv"), t).unwrap();
    }
    // Time what `custodia reconcile` does: parse both files, link, serialise.
    let start = Instant::now();
    let manifest = parse_csv("manifest.csv", &m_csv).unwrap();
    let intake = parse_csv("intake.csv", &i_csv).unwrap();
    let (out, diag) = reconcile_with(&manifest, &intake, &Config::default());
    let json = serde_json::to_string(&out).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let ev = evaluate(&synth, &out);
    println!("{}", ev.table());
    println!(
        "persons={persons} seed={seed} manifest={} intake={} candidate_pairs={} json_bytes={} time_s={secs:.3}",
        manifest.len(),
        intake.len(),
        diag.candidate_pairs,
        json.len()
    );
    println!(
        "RESULT ours f1={:.4} precision={:.4} recall={:.4} review_share={:.4} missing_flagged={}/{} time_s={secs:.3}",
        ev.overall.f1(),
        ev.overall.precision(),
        ev.overall.recall(),
        ev.review_share(),
        ev.missing_flagged,
        ev.missing_total
    );
    if std::env::var_os("BENCH_DEBUG").is_some() {
        println!("lambda={:.3e}", diag.model.lambda);
        for (f, (m, u)) in diag.model.m.iter().zip(&diag.model.u).enumerate() {
            let w: Vec<String> = m
                .iter()
                .zip(u)
                .map(|(m, u)| format!("{:.4}/{:.5}={:+.1}", m, u, (m / u).log2()))
                .collect();
            println!("field {f}: {}", w.join("  "));
        }
        let truth: std::collections::HashMap<&str, Option<&str>> = synth
            .truth
            .iter()
            .map(|t| (t.manifest_id.as_str(), t.intake_id.as_deref()))
            .collect();
        let show = |id: &str, recs: &[custodia_linkage::Record]| {
            recs.iter()
                .find(|r| r.record_id == id)
                .map(|r| {
                    format!(
                        "{} | {} | {:?} | {:?} | {:?}",
                        r.family_names,
                        r.given_names,
                        r.date_of_birth.map(|d| d.to_string()),
                        r.sex,
                        r.document_number
                    )
                })
                .unwrap_or_default()
        };
        let mut shown = 0;
        for m in &out.matches {
            let t = truth[m.manifest_id.as_str()];
            if t != Some(m.intake_id.as_str()) && shown < 15 {
                shown += 1;
                println!(
                    "WRONG {} -> {} ({}) truth {:?}\n   M: {}\n   I: {}",
                    m.manifest_id,
                    m.intake_id,
                    m.score,
                    t,
                    show(&m.manifest_id, &manifest),
                    show(&m.intake_id, &intake)
                );
            }
        }
        let mut shown = 0;
        for id in &out.missing_from_intake {
            if let Some(Some(t)) = truth.get(id.as_str())
                && shown < 15
            {
                shown += 1;
                println!(
                    "MISSED {id} truth {t}\n   M: {}\n   I: {}",
                    show(id, &manifest),
                    show(t, &intake)
                );
            }
        }
        for r in out.needs_review.iter().take(10) {
            println!(
                "REVIEW {} truth {:?} {:?}\n   M: {}",
                r.manifest_id,
                truth[r.manifest_id.as_str()],
                r.candidates,
                show(&r.manifest_id, &manifest)
            );
            for c in &r.candidates {
                println!("   I: {}", show(&c.intake_id, &intake));
            }
        }
    }
}
