//! Writes a generated population (invented persons) as a `custodia import persons` CSV
//! (CONTRACT §5) on standard output.
//!
//! `cargo run --release -p custodia-linkage --example locator_csv -- [--persons N] [--seed S]`

use std::io::Write;

use custodia_linkage::locator::synth::population;
use custodia_model::events::CustodyStatus;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--persons", 1_000_000) as usize;
    let seed = arg(&args, "--seed", 42);
    let people = population(seed, n, jiff::civil::date(2025, 6, 1));
    let stdout = std::io::stdout();
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(stdout.lock()));
    w.write_record([
        "person_id",
        "family_names",
        "given_names",
        "date_of_birth",
        "sex",
        "country_of_birth",
        "nationalities",
        "facility_id",
        "status",
    ])?;
    for p in &people {
        let country = p.country_of_birth.clone().unwrap_or_default();
        w.write_record([
            p.person_id.as_str(),
            &p.family_names,
            &p.given_names,
            &p.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
            "",
            &country,
            &country,
            p.facility_id.as_deref().unwrap_or_default(),
            p.status.map_or("", CustodyStatus::as_str),
        ])?;
    }
    w.flush()?;
    std::io::stdout().flush()
}
