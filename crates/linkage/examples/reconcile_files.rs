//! `custodia reconcile` without the rest of the CLI: reconcile two CSV files and write the
//! JSON answer, with the time it took on standard error. Used to check that a speed change
//! leaves every answer byte for byte the same, on any generator's files.
//!
//! `cargo run --release -p custodia-linkage --example reconcile_files -- MANIFEST INTAKE [OUT]`
//! (`RECONCILE_MODEL=1` also prints the weights EM learnt.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use custodia_linkage::parse_csv;
use custodia_linkage::reconcile::{Config, reconcile_with};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(m), Some(i)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: reconcile_files MANIFEST INTAKE [OUT]");
        std::process::exit(2);
    };
    let (m_csv, i_csv) = (
        std::fs::read_to_string(m).unwrap(),
        std::fs::read_to_string(i).unwrap(),
    );
    let start = Instant::now();
    let manifest = parse_csv(m, &m_csv).unwrap();
    let intake = parse_csv(i, &i_csv).unwrap();
    let (out, diag) = reconcile_with(&manifest, &intake, &Config::default());
    let json = serde_json::to_string(&out).unwrap();
    let secs = start.elapsed().as_secs_f64();
    match args.get(3) {
        Some(path) => std::fs::write(path, json).unwrap(),
        None => println!("{json}"),
    }
    eprintln!(
        "manifest={} intake={} matches={} time_s={secs:.3}",
        manifest.len(),
        intake.len(),
        out.matches.len()
    );
    // `RECONCILE_MODEL=1`: the weights EM learnt, per field and level (m / u = log2 odds).
    if std::env::var_os("RECONCILE_MODEL").is_some() {
        eprintln!("lambda={:.3e}", diag.model.lambda);
        for (f, (m, u)) in diag.model.m.iter().zip(&diag.model.u).enumerate() {
            let w: Vec<String> = m
                .iter()
                .zip(u)
                .map(|(m, u)| format!("{m:.4}/{u:.5}={:+.1}", (m / u).log2()))
                .collect();
            eprintln!("field {f}: {}", w.join("  "));
        }
    }
}
