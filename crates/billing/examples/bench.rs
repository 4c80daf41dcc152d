//! Benchmarks for docs/bench/billing.md, on a seeded synthetic ledger (no real data).
//!
//! `cargo run --release -p custodia-billing --example bench [-- --write DIR]`
//!
//! Builds 40,000 persons admitted over 2025 to one facility (a fifth of them released and
//! re-admitted later, a tenth of the rows at other facilities), then times: parsing the
//! stays CSV, the December 2025 invoice, and a 24-month forecast with 1,000 runs.
//! With `--write DIR` it also writes DIR/agreement.toml and DIR/stays.csv so that the
//! `custodia bill` binary can be timed on the same data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use custodia_billing::{ForecastParams, forecast, invoice, parse_agreement, parse_stays};
use jiff::civil::{Date, date};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const AGREEMENT: &str = r#"id = "BENCH"
facility_id = "CECOT"
currency = "USD"
start = "2025-01-01"
reserved_beds = 30000
over_reserved_per_person_day = "90.00"

[[rate]]
from = "2025-01-01"
per_person_day = "54.35"

[[rate]]
from = "2025-12-15"
per_person_day = "60.00"
"#;

fn add(d: Date, n: i64) -> Date {
    d.checked_add(jiff::Span::new().days(n)).unwrap()
}

fn stays_csv(persons: usize, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = String::from("person_id,facility_id,admitted_on,released_on\n");
    let year_start = date(2025, 1, 1);
    let horizon = date(2025, 12, 31);
    for i in 0..persons {
        let adm = add(year_start, rng.gen_range(0..365));
        // Long stays: mean about 1,000 days, so most are still held at the year's end.
        let len = (-(1.0 - rng.r#gen::<f64>()).ln() * 1000.0) as i64;
        let rel = add(adm, len);
        if rng.gen_bool(0.2) && rel < horizon {
            // Released, then re-admitted after a gap.
            let back = add(rel, rng.gen_range(1..60));
            writeln!(out, "S{i:06},CECOT,{adm},{rel}").unwrap();
            if back <= horizon {
                writeln!(out, "S{i:06},CECOT,{back},").unwrap();
            }
        } else if rel <= horizon {
            writeln!(out, "S{i:06},CECOT,{adm},{rel}").unwrap();
        } else {
            writeln!(out, "S{i:06},CECOT,{adm},").unwrap();
        }
        if i % 10 == 0 {
            writeln!(
                out,
                "S{i:06},OTHER,{},",
                add(year_start, rng.gen_range(0..365))
            )
            .unwrap();
        }
    }
    out
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (T, Duration, Duration) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    (last.unwrap(), times[0], times[times.len() / 2])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let csv = stays_csv(40_000, 2025);
    let agreement = parse_agreement(AGREEMENT).unwrap();
    if let Some(i) = args.iter().position(|a| a == "--write") {
        let dir = std::path::PathBuf::from(&args[i + 1]);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("agreement.toml"), AGREEMENT).unwrap();
        std::fs::write(dir.join("stays.csv"), &csv).unwrap();
        eprintln!("wrote {}/agreement.toml and stays.csv", dir.display());
    }

    let (table, min, med) = time(5, || parse_stays(&csv).unwrap());
    println!(
        "parse stays CSV: {} rows ({} bytes): min {:?}, median {:?}",
        table.stays.len(),
        csv.len(),
        min,
        med
    );

    let month = "2025-12".parse().unwrap();
    let (inv, min, med) = time(11, || invoice(&agreement, &table.stays, month).unwrap());
    println!(
        "invoice 2025-12: {} persons, {} person-days, total {}: min {:?}, median {:?}",
        inv.persons.len(),
        inv.person_days,
        inv.total,
        min,
        med
    );

    let params = ForecastParams::new(45_000, "2026-01".parse().unwrap(), 24, 1000, 42);
    let (f, min, med) = time(3, || forecast(&table.stays, &agreement, &params).unwrap());
    let last = f.months.last().unwrap();
    println!(
        "forecast 24 months x 1000 runs: start census {}, arrivals/day {:.2}, hazard {:.5}, {} end census p10/p50/p90 {}/{}/{}, capacity exceeded p50 {:?}: min {:?}, median {:?}",
        f.model.initial_census,
        f.model.daily_arrival_rate,
        f.model.daily_release_hazard,
        last.month,
        last.occupancy_end.p10,
        last.occupancy_end.p50,
        last.occupancy_end.p90,
        f.capacity_exceeded.p50,
        min,
        med
    );
}
