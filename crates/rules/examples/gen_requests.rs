//! Writes N synthetic screening requests as JSON Lines to standard output, from a seed.
//!
//! `cargo run --release -p custodia-rules --example gen_requests -- 1000000 [SEED] > /tmp/req.jsonl`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/generate.rs"]
mod generate;

use std::io::Write;

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
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    for i in 0..n {
        serde_json::to_writer(&mut out, &generate::request(&mut rng, i)).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
}
