//! The engine alone on already-parsed requests: throughput and per-decision latency.
//!
//! `taskset -c 0 cargo run --release -p custodia-rules --example bench_engine -- 1000000 [SEED]`
//!
//! Generates N requests in memory (the same generator and seed as `gen_requests`), then
//! (1) screens them all in one timed loop: decisions/s; (2) screens each again timing every
//! call with `Instant`: p50, p99, p99.9 and max latency per decision. The timer itself costs
//! a few tens of nanoseconds per reading, included in (2).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/generate.rs"]
mod generate;

use std::hint::black_box;
use std::time::Instant;

use custodia_rules::{Outcome, Params, screen};
use rand::SeedableRng;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map_or(1_000_000, |s| s.parse().expect("N, a number of requests"));
    let seed: u64 = args
        .next()
        .map_or(3, |s| s.parse().expect("SEED, a number"));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let reqs: Vec<_> = (0..n).map(|i| generate::request(&mut rng, i)).collect();
    let params = Params::builtin();

    // Warm up, and count outcomes so the mix is on record.
    let mut counts = [0usize; 3];
    for r in &reqs {
        counts[match screen(r, params).outcome {
            Outcome::Eligible => 0,
            Outcome::NeedsReview => 1,
            Outcome::Blocked => 2,
        }] += 1;
    }

    let t = Instant::now();
    for r in &reqs {
        black_box(screen(black_box(r), params));
    }
    let total = t.elapsed();

    let mut ns: Vec<u64> = Vec::with_capacity(n);
    for r in &reqs {
        let t = Instant::now();
        black_box(screen(black_box(r), params));
        ns.push(t.elapsed().as_nanos() as u64);
    }
    ns.sort_unstable();
    let q = |p: f64| ns[((ns.len() as f64 * p) as usize).min(ns.len() - 1)];

    println!(
        "requests: {n} (eligible {}, needs_review {}, blocked {})",
        counts[0], counts[1], counts[2]
    );
    println!(
        "throughput: {:.0} decisions/s ({:.3} s)",
        n as f64 / total.as_secs_f64(),
        total.as_secs_f64()
    );
    println!(
        "latency per decision: p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        q(0.50),
        q(0.99),
        q(0.999),
        ns[ns.len() - 1]
    );
}
