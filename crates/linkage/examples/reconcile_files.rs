//! `custodia reconcile` without the rest of the CLI: reconcile two CSV files and write the
//! JSON answer, with the time it took on standard error. Used to check that a speed change
//! leaves every answer byte for byte the same, on any generator's files.
//!
//! `cargo run --release -p custodia-linkage --example reconcile_files -- MANIFEST INTAKE [OUT]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use custodia_linkage::parse_csv;
use custodia_linkage::reconcile::reconcile;

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
    let out = reconcile(&manifest, &intake);
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
}
