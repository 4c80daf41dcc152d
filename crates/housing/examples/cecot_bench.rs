//! Benchmark: a CECOT-sized assignment, generated from a seed.
//!
//! `cargo run --release -p custodia-housing --example cecot_bench -- [SEED] [--arrivals N] [--write FILE] [--no-avoid]`
//!
//! 256 cells (8 pavilions x 32) of about 100 m² and capacity 80–100; about 10,000 people
//! present, 12,000 arriving; three rival factions (`A`, `B`, `C`, each separated from the
//! other two); arrivals in co-defendant cases of 2–6 kept apart by `avoid_persons`, and a
//! few arrivals kept from a named person already present.

use std::time::Instant;

use custodia_housing::{AssignInput, CellInput, PersonInput, assign};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const FACTIONS: [&str; 3] = ["A", "B", "C"];

fn faction(rng: &mut ChaCha8Rng) -> usize {
    let x: f64 = rng.r#gen();
    if x < 0.45 {
        0
    } else if x < 0.9 {
        1
    } else {
        2
    }
}

fn person(id: String, f: usize) -> PersonInput {
    PersonInput {
        id,
        groups: vec![FACTIONS[f].to_string()],
        separate_from: FACTIONS
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != f)
            .map(|(_, g)| g.to_string())
            .collect(),
        avoid_persons: Vec::new(),
    }
}

fn generate(seed: u64, arrivals: usize) -> AssignInput {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cells = Vec::new();
    for pav in 1..=8 {
        for c in 1..=32 {
            cells.push(CellInput {
                id: format!("P{pav}-C{c:02}"),
                pavilion: Some(format!("P{pav}")),
                area_m2: f64::from(rng.gen_range(950u32..=1050)) / 10.0,
                capacity: rng.gen_range(80..=100),
                occupants: Vec::new(),
            });
        }
    }
    // 10,000 present: 240 cells hold one faction each; 16 cells stand empty.
    let mut present = 0;
    let mut held: Vec<String> = Vec::new();
    let mut order: Vec<usize> = (0..cells.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.gen_range(0..=i));
    }
    let used: Vec<usize> = order[..240].to_vec();
    let mut cell_faction = vec![0usize; cells.len()];
    for &c in &used {
        cell_faction[c] = faction(&mut rng);
    }
    while present < 10_000 {
        let c = used[rng.gen_range(0..used.len())];
        if cells[c].occupants.len() >= 60 {
            continue;
        }
        let id = format!("X-{present:05}");
        held.push(id.clone());
        cells[c].occupants.push(person(id, cell_faction[c]));
        present += 1;
    }
    // 12,000 arrivals; about a third in co-defendant cases.
    let mut persons: Vec<PersonInput> = Vec::new();
    while persons.len() < arrivals {
        let f = faction(&mut rng);
        let size = if rng.gen_bool(0.12) {
            rng.gen_range(2..=6usize)
        } else {
            1
        };
        let size = size.min(arrivals - persons.len());
        let start = persons.len();
        for k in 0..size {
            persons.push(person(format!("N-{:05}", start + k), f));
        }
        for k in 0..size {
            let others: Vec<String> = (0..size)
                .filter(|&j| j != k)
                .map(|j| format!("N-{:05}", start + j))
                .collect();
            persons[start + k].avoid_persons = others;
        }
    }
    // A few arrivals must not meet someone already held (a witness, say).
    for p in persons.iter_mut() {
        if rng.gen_bool(0.03) {
            p.avoid_persons
                .push(held[rng.gen_range(0..held.len())].clone());
        }
    }
    AssignInput {
        standard_m2_per_person: 3.4,
        cells,
        persons,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = args.first().and_then(|s| s.parse().ok()).unwrap_or(2025u64);
    let arrivals = args
        .iter()
        .position(|a| a == "--arrivals")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(12_000);
    let mut input = generate(seed, arrivals);
    if args.iter().any(|a| a == "--no-avoid") {
        // Diagnostic: how much of the gap do the co-defendant rules cost?
        for p in &mut input.persons {
            p.avoid_persons.clear();
        }
    }
    if let Some(i) = args.iter().position(|a| a == "--write")
        && let Some(path) = args.get(i + 1)
    {
        let text = serde_json::to_string(&input).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("cannot write `{path}`: {e}");
            std::process::exit(2);
        }
    }
    let t0 = Instant::now();
    let out = match assign(&input) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let dt = t0.elapsed();
    let sep = out
        .unassigned
        .iter()
        .filter(|u| u.reason == custodia_housing::UnassignedReason::Separation)
        .count();
    let cap: u64 = input.cells.iter().map(|c| u64::from(c.capacity)).sum();
    println!(
        "seed {seed}: {} cells, capacity {cap}, {} present, {} arriving",
        input.cells.len(),
        input.cells.iter().map(|c| c.occupants.len()).sum::<usize>(),
        input.persons.len()
    );
    println!("time: {:.3} s", dt.as_secs_f64());
    println!(
        "placed {} / unplaced {} ({} separation, {} no_capacity); bound on placeable {}",
        out.summary.assigned,
        out.summary.unassigned,
        sep,
        out.summary.unassigned - sep,
        out.bound.max_placeable
    );
    println!(
        "smallest space per person {:.4} m²; upper bound {:.4} m² ({:?})",
        out.summary.min_m2_per_person.unwrap_or(f64::NAN),
        out.bound.min_m2_per_person_upper.unwrap_or(f64::NAN),
        out.bound.method
    );
    println!(
        "persons below {} m²: {}",
        input.standard_m2_per_person, out.summary.persons_below_standard
    );
}
