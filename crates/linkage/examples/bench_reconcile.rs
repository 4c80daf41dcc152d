//! Benchmark: generate a noisy manifest/intake pair, reconcile it, print quality and time.
//!
//! `cargo run --release -p custodia-linkage --example bench_reconcile -- PERSONS SEED [OUT_DIR]
//!  [--combined] [--svg FILE]`
//! With OUT_DIR, writes manifest.csv, intake.csv and truth.csv there (for the Splink script).
//! `--combined` uses `SynthConfig::combined` (two or three kinds of noise at once, cousins,
//! people entered twice); `--svg FILE` writes the calibration plot (score against the true
//! match rate of every compared pair) and prints its table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use custodia_linkage::reconcile::{Config, reconcile_with};
use custodia_linkage::synth::{SynthConfig, evaluate, generate};
use custodia_linkage::{parse_csv, write_csv};

fn main() {
    let all: Vec<String> = std::env::args().collect();
    let combined = all.iter().any(|a| a == "--combined");
    let svg = all
        .iter()
        .position(|a| a == "--svg")
        .and_then(|i| all.get(i + 1).cloned());
    let mut args: Vec<String> = Vec::new();
    let mut skip = false;
    for a in &all {
        if skip {
            skip = false;
            continue;
        }
        if a == "--svg" {
            skip = true;
            continue;
        }
        if !a.starts_with("--") {
            args.push(a.clone());
        }
    }
    let persons: usize = args.get(1).map_or(40_000, |s| s.parse().unwrap());
    let seed: u64 = args.get(2).map_or(2025, |s| s.parse().unwrap());
    let cfg = if combined {
        SynthConfig::combined(persons)
    } else {
        SynthConfig::flight(persons)
    };
    let synth = generate(seed, &cfg);
    let (m_csv, i_csv) = (write_csv(&synth.manifest), write_csv(&synth.intake));
    if let Some(dir) = args.get(3) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(format!("{dir}/manifest.csv"), &m_csv).unwrap();
        std::fs::write(format!("{dir}/intake.csv"), &i_csv).unwrap();
        let mut t = String::from("manifest_id,intake_id,duplicate_intake_ids\n");
        for x in &synth.truth {
            t.push_str(&format!(
                "{},{},{}\n",
                x.manifest_id,
                x.intake_id.as_deref().unwrap_or(""),
                x.duplicate_intake_ids.join(";")
            ));
        }
        std::fs::write(format!("{dir}/truth.csv"), t).unwrap();
    }
    // Time what `custodia reconcile` does: parse both files, link, serialise.
    let cpu0 = process_cpu_s();
    let start = Instant::now();
    let manifest = parse_csv("manifest.csv", &m_csv).unwrap();
    let intake = parse_csv("intake.csv", &i_csv).unwrap();
    let (out, diag) = reconcile_with(&manifest, &intake, &Config::default());
    let json = serde_json::to_string(&out).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let cpu = process_cpu_s() - cpu0;
    let ev = evaluate(&synth, &out);
    println!("{}", ev.table());
    println!("{}", ev.combination_table(20));
    // The other side of flagging missing persons: people who arrived (their intake record
    // exists) but are reported missing, a false alarm about a real person.
    let arrived: std::collections::HashSet<&str> = synth
        .truth
        .iter()
        .filter(|t| t.intake_id.is_some())
        .map(|t| t.manifest_id.as_str())
        .collect();
    println!(
        "arrived persons flagged missing: {} (of {} flagged missing)",
        out.missing_from_intake
            .iter()
            .filter(|m| arrived.contains(m.as_str()))
            .count(),
        out.missing_from_intake.len()
    );
    println!(
        "residual pass: {} manifest x {} intake leftovers, {} pairs",
        diag.residual_records.0, diag.residual_records.1, diag.residual_pairs
    );
    if let Some(path) = svg {
        let cfg = Config {
            keep_pair_scores: true,
            ..Config::default()
        };
        let (_, d) = reconcile_with(&manifest, &intake, &cfg);
        let truth: std::collections::HashSet<(usize, usize)> = {
            let mi: std::collections::HashMap<&str, usize> = manifest
                .iter()
                .enumerate()
                .map(|(k, r)| (r.record_id.as_str(), k))
                .collect();
            let ii: std::collections::HashMap<&str, usize> = intake
                .iter()
                .enumerate()
                .map(|(k, r)| (r.record_id.as_str(), k))
                .collect();
            synth
                .truth
                .iter()
                .flat_map(|t| {
                    let m = mi[t.manifest_id.as_str()];
                    t.intake_id
                        .iter()
                        .chain(t.duplicate_intake_ids.iter())
                        .map(move |i| (m, i.clone()))
                        .collect::<Vec<_>>()
                })
                .map(|(m, i)| (m, ii[i.as_str()]))
                .collect()
        };
        let points: Vec<(f64, bool)> = d
            .pair_scores
            .iter()
            .map(|p| (p.score, truth.contains(&(p.manifest, p.intake))))
            .collect();
        let (table, plot) = calibration(&points);
        println!("{table}");
        std::fs::write(&path, plot).unwrap();
        println!("calibration plot written to {path}");
    }
    println!(
        "persons={persons} seed={seed} manifest={} intake={} candidate_pairs={} json_bytes={} time_s={secs:.3} cpu_s={cpu:.2}",
        manifest.len(),
        intake.len(),
        diag.candidate_pairs,
        json.len()
    );
    println!(
        "RESULT ours f1={:.4} precision={:.4} recall={:.4} review_share={:.4} missing_flagged={}/{} time_s={secs:.3} cpu_s={cpu:.2}",
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
        // Missing persons (no true intake record) that were not flagged missing: the ones
        // that went to review or were matched to somebody else.
        for r in out
            .needs_review
            .iter()
            .filter(|r| truth[r.manifest_id.as_str()].is_none())
        {
            println!(
                "MISSING-IN-REVIEW {} {:?}\n   M: {}",
                r.manifest_id,
                r.candidates,
                show(&r.manifest_id, &manifest)
            );
            for c in &r.candidates {
                println!("   I: {}", show(&c.intake_id, &intake));
            }
        }
        // Every missing person not in `missing_from_intake`, with the intake records it
        // went to review with or was matched to, and whose records those are.
        let owner: std::collections::HashMap<&str, &str> = synth
            .truth
            .iter()
            .flat_map(|t| {
                t.intake_id
                    .iter()
                    .chain(t.duplicate_intake_ids.iter())
                    .map(move |i| (i.as_str(), t.manifest_id.as_str()))
            })
            .collect();
        let outcome = |m: &str| -> String {
            if let Some(x) = out.matches.iter().find(|x| x.manifest_id == m) {
                format!("matched {} ({})", x.intake_id, x.score)
            } else if let Some(r) = out.needs_review.iter().find(|r| r.manifest_id == m) {
                format!("review {:?}", r.candidates)
            } else {
                "missing".to_string()
            }
        };
        let flagged: std::collections::HashSet<&str> =
            out.missing_from_intake.iter().map(String::as_str).collect();
        for t in synth
            .truth
            .iter()
            .filter(|t| t.intake_id.is_none() && !flagged.contains(t.manifest_id.as_str()))
        {
            println!(
                "UNFLAGGED {} {}\n   M: {}",
                t.manifest_id,
                outcome(&t.manifest_id),
                show(&t.manifest_id, &manifest)
            );
            let mut ids: Vec<String> = out
                .matches
                .iter()
                .filter(|x| x.manifest_id == t.manifest_id)
                .map(|x| x.intake_id.clone())
                .collect();
            if let Some(r) = out
                .needs_review
                .iter()
                .find(|r| r.manifest_id == t.manifest_id)
            {
                ids.extend(r.candidates.iter().map(|c| c.intake_id.clone()));
            }
            for i in ids {
                println!("   I {i}: {}", show(&i, &intake));
                match owner.get(i.as_str()) {
                    Some(o) => println!(
                        "     belongs to {o} [{}]: {}\n       {}",
                        synth
                            .truth
                            .iter()
                            .find(|t| t.manifest_id == *o)
                            .map(|t| t
                                .noise
                                .iter()
                                .map(|n| n.label())
                                .collect::<Vec<_>>()
                                .join(" + "))
                            .unwrap_or_default(),
                        show(o, &manifest),
                        outcome(o)
                    ),
                    None => println!("     an unexpected arrival"),
                }
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

/// CPU time of this process (user + system, Linux `/proc/self/stat`, 10 ms ticks): the
/// time without what the scheduler gave to other processes on a shared machine.
fn process_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// Bins of score (10 equal bins, the extremes split finer) against the share of true pairs
/// in each bin: a Markdown table and a hand-written SVG.
fn calibration(points: &[(f64, bool)]) -> (String, String) {
    let edges = [
        0.0, 0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999,
        1.0001,
    ];
    let mut bins: Vec<(usize, usize, f64)> = vec![(0, 0, 0.0); edges.len() - 1];
    for &(s, t) in points {
        let k = edges
            .windows(2)
            .position(|w| s >= w[0] && s < w[1])
            .unwrap_or(edges.len() - 2);
        bins[k].0 += 1;
        bins[k].1 += usize::from(t);
        bins[k].2 += s;
    }
    let mut table = String::from(
        "| score bin | pairs | true pairs | mean score | true match rate |\n|---|---:|---:|---:|---:|\n",
    );
    let (w, h, pad) = (420.0, 420.0, 50.0);
    let x = |v: f64| pad + v * (w - 2.0 * pad);
    let y = |v: f64| h - pad - v * (h - 2.0 * pad);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>\n<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n",
        x(0.0),
        y(0.0),
        x(1.0),
        y(1.0),
        pad,
        pad,
        w - 2.0 * pad,
        h - 2.0 * pad
    );
    for t in 0..=10 {
        let v = f64::from(t) / 10.0;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v:.1}</text>\n<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v:.1}</text>\n",
            x(v), h - pad + 15.0, pad - 5.0, y(v) + 4.0
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">score (posterior match probability)</text>\n<text x=\"15\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 15 {:.1})\">true match rate among pairs</text>\n<text x=\"{:.1}\" y=\"25\" text-anchor=\"middle\" font-size=\"13\">custodia reconcile: calibration</text>\n",
        w / 2.0, h - 12.0, h / 2.0, h / 2.0, w / 2.0
    ));
    let mut path = String::new();
    for (k, &(n, t, sum)) in bins.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let mean = sum / n as f64;
        let rate = t as f64 / n as f64;
        table.push_str(&format!(
            "| [{}, {}) | {n} | {t} | {mean:.4} | {rate:.4} |\n",
            edges[k],
            edges[k + 1].min(1.0)
        ));
        let r = 2.0 + (n as f64).log10().max(0.0) * 1.5;
        svg.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.1}\" fill=\"#1f77b4\" fill-opacity=\"0.7\"><title>{n} pairs, score {mean:.3}, true {rate:.3}</title></circle>\n",
            x(mean),
            y(rate)
        ));
        path.push_str(&format!(
            "{}{:.1},{:.1}",
            if path.is_empty() { "M" } else { " L" },
            x(mean),
            y(rate)
        ));
    }
    svg.push_str(&format!(
        "<path d=\"{path}\" fill=\"none\" stroke=\"#1f77b4\"/>\n</svg>\n"
    ));
    (table, svg)
}
