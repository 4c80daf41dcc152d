//! The ledger's benchmark figures (BENCHMARKS.md): batched append into embedded SQLite,
//! `verify` rate, and inclusion-proof latency on a large log.
//!
//! `cargo run --release -p custodia-store --example bench_ledger -- [EVENTS] [BATCH] [DIR]`

use std::sync::Arc;
use std::time::Instant;

use custodia_model::clock::ManualClock;
use custodia_model::events::{EventData, NewEvent};
use custodia_store::{OpenOptions, Store, Verdict, VerifyOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let total: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let batch: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let dir = std::path::PathBuf::from(
        args.get(3)
            .cloned()
            .unwrap_or_else(|| "/tmp/custodia-bench".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("ledger-{total}.db"));
    for ext in ["", "-wal", "-shm", ".key"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    let t0: jiff::Timestamp = "2025-03-15T00:00:00Z".parse()?;
    let clock = Arc::new(ManualClock::new(t0));
    let mut store = Store::open(
        path.to_str().unwrap_or_default(),
        OpenOptions {
            key_path: None,
            clock,
        },
    )?;

    let start = Instant::now();
    let mut n = 0u64;
    while n < total {
        let k = batch.min(total - n);
        let events: Vec<NewEvent> = (n..n + k)
            .map(|i| NewEvent {
                occurred_at: t0,
                actor: "auditor:bench".into(),
                data: EventData::PersonRead {
                    person_id: format!("P-{:07}", i % 40_000),
                },
            })
            .collect();
        store.append(events)?;
        n += k;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "append: {total} events in batches of {batch}: {secs:.2} s, {:.0} events/s",
        total as f64 / secs
    );

    let start = Instant::now();
    let v = store.verify(
        &VerifyOptions {
            skip_replay: true,
            ..Default::default()
        },
        &mut |_| {},
    )?;
    let secs = start.elapsed().as_secs_f64();
    assert!(matches!(v, Verdict::Ok { .. }), "{v:?}");
    println!(
        "verify (log: leaves, tree, checkpoints): {secs:.2} s, {:.0} events/s",
        total as f64 / secs
    );
    let start = Instant::now();
    let v = store.verify(&VerifyOptions::default(), &mut |_| {})?;
    let secs = start.elapsed().as_secs_f64();
    assert!(matches!(v, Verdict::Ok { .. }), "{v:?}");
    println!(
        "verify (log + projection replay): {secs:.2} s, {:.0} events/s",
        total as f64 / secs
    );

    // Inclusion proofs at random indexes (a fixed LCG, not the clock).
    let size = store.size()?;
    let mut lat = Vec::new();
    let mut x = 12345u64;
    for _ in 0..2_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let i = (x >> 11) % size;
        let t = Instant::now();
        let p = store.prove(i, None)?;
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        assert!(!p.proof.is_empty());
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "inclusion proof on {size} entries: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100],
        lat[lat.len() - 1]
    );
    Ok(())
}
