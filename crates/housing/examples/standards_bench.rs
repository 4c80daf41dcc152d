//! Benchmark: the pure standards report on a CECOT-sized synthetic input (the store's own
//! figure on the `cecot` demo world adds the ledger scan).
//!
//! `cargo run --release -p custodia-housing --example standards_bench -- [SEED]`
//!
//! 256 cells, 40,000 persons present, 30 days of evidence: one exercise record per person
//! per day (1.2 million), contacts, solitary spells, notifications.

use std::time::Instant;

use custodia_housing::{
    CellCensus, ContactRecord, ExerciseRecord, NotificationOccasion, NotificationRecord,
    PresentPerson, SolitarySpell, StandardsInput, StandardsParams, render_text, standards,
};
use jiff::civil::date;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2025u64);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (from, as_of) = (date(2025, 4, 1), date(2025, 4, 30));
    let n = 40_000;
    let mut cells = Vec::new();
    for pav in 1..=8 {
        for c in 1..=32 {
            cells.push(CellCensus {
                cell_id: format!("P{pav}-C{c:02}"),
                pavilion: format!("P{pav}"),
                area_m2: f64::from(rng.gen_range(950u32..=1050)) / 10.0,
                capacity: rng.gen_range(80..=100),
                occupants: 0,
                in_use: true,
            });
        }
    }
    for _ in 0..n {
        let c = rng.gen_range(0..cells.len());
        cells[c].occupants += 1;
    }
    let persons: Vec<PresentPerson> = (0..n)
        .map(|i| PresentPerson {
            person_id: format!("X-{i:05}"),
            admitted_on: date(2025, 3, 15)
                .checked_add(jiff::Span::new().days(rng.gen_range(0..40i64)))
                .unwrap_or(from),
        })
        .collect();
    let mut exercise = Vec::new();
    for p in &persons {
        for d in 1..=30 {
            let hours = if rng.gen_bool(0.7) { 0.5 } else { 1.0 };
            exercise.push(ExerciseRecord {
                person_id: p.person_id.clone(),
                date: date(2025, 4, d),
                hours,
            });
        }
    }
    let contacts = persons
        .iter()
        .filter(|_| rng.gen_bool(0.1))
        .map(|p| ContactRecord {
            person_id: p.person_id.clone(),
            date: date(2025, 4, 20),
            kind: "visit".into(),
        })
        .collect();
    let mut solitary = Vec::new();
    for p in &persons {
        if rng.gen_bool(0.02) {
            let from = date(2025, 4, rng.gen_range(1..20));
            solitary.push(SolitarySpell {
                person_id: p.person_id.clone(),
                from,
                to: None,
            });
        }
    }
    let notifications = persons
        .iter()
        .map(|p| {
            let at: jiff::Timestamp = "2025-04-01T08:00:00Z"
                .parse()
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            NotificationRecord {
                person_id: p.person_id.clone(),
                occasion: NotificationOccasion::Admission,
                occurred_at: at,
                notified_at: rng
                    .gen_bool(0.5)
                    .then(|| at + jiff::SignedDuration::from_hours(rng.gen_range(1..96))),
            }
        })
        .collect();
    let input = StandardsInput {
        facility_id: Some("CECOT".into()),
        period_from: from,
        as_of,
        cells,
        persons,
        exercise,
        contacts,
        solitary,
        notifications,
    };
    let t0 = Instant::now();
    let report = match standards(&input, &StandardsParams::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let text = render_text(&report);
    let dt = t0.elapsed();
    print!("{text}");
    println!("time (report + text): {:.3} s", dt.as_secs_f64());
}
