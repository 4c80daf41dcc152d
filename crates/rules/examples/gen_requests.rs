//! Writes N synthetic screening requests as JSON Lines to standard output, from a seed.
//!
//! `cargo run --release -p custodia-rules --example gen_requests -- 1000000 [SEED] [EXTRA] > /tmp/req.jsonl`
//!
//! `EXTRA` adds that many records to every request (a long legal history: record versions,
//! notices, fear claims, screenings and reviews), e.g. `-- 1 3 100000` for one request with
//! about 100,000 records.
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
    let extra: usize = args
        .next()
        .map_or(0, |s| s.parse().expect("EXTRA, a number of records"));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    for i in 0..n {
        serde_json::to_writer(&mut out, &generate::request_with(&mut rng, i, extra)).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
}
