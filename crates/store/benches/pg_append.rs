//! Batched append and verify rates, SQLite and PostgreSQL side by side in one run, and the
//! PostgreSQL append rate with 1, 2 and 4 concurrent writers (docs/bench/postgres.md).
//!
//! `CUSTODIA_TEST_PG=postgres://postgres@127.0.0.1:5432/test cargo bench -p custodia-store --bench pg_append`
//! Optional: `BENCH_EVENTS` (default 200000), `BENCH_BATCH` (default 10000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use custodia_model::clock::ManualClock;
use custodia_model::events::{EventData, NewEvent};
use custodia_store::{OpenOptions, Store, Verdict};

fn env_or(name: &str, d: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(d)
}

fn events(writer: usize, from: usize, n: usize) -> Vec<NewEvent> {
    (from..from + n)
        .map(|i| NewEvent {
            occurred_at: "2025-03-15T10:00:00Z".parse().unwrap(),
            actor: format!("officer:{writer}"),
            data: EventData::PersonRead {
                person_id: format!("P-{:07}", i % 40_000),
            },
        })
        .collect()
}

fn open(location: &str, key: &std::path::Path) -> Store {
    let clock = Arc::new(ManualClock::new("2025-03-15T12:00:00Z".parse().unwrap()));
    Store::open(
        location,
        OpenOptions {
            key_path: Some(key.to_path_buf()),
            clock,
        },
    )
    .unwrap()
}

/// Appends `total` events in batches of `batch` with `writers` concurrent stores; returns
/// events per second.
fn append(
    location: &str,
    key: &std::path::Path,
    total: usize,
    batch: usize,
    writers: usize,
) -> f64 {
    drop(open(location, key)); // migrate and create the key before the clock starts
    let barrier = Arc::new(std::sync::Barrier::new(writers + 1));
    let per = total / writers;
    let hs: Vec<_> = (0..writers)
        .map(|w| {
            let (location, key, barrier) =
                (location.to_string(), key.to_path_buf(), barrier.clone());
            std::thread::spawn(move || {
                let mut s = open(&location, &key);
                let batches: Vec<Vec<NewEvent>> = (0..per.div_ceil(batch))
                    .map(|b| events(w, b * batch, batch.min(per - b * batch)))
                    .collect();
                barrier.wait();
                for b in batches {
                    s.append(b).unwrap();
                }
            })
        })
        .collect();
    barrier.wait();
    let t = Instant::now();
    for h in hs {
        h.join().unwrap();
    }
    (per * writers) as f64 / t.elapsed().as_secs_f64()
}

fn verify(location: &str, key: &std::path::Path) -> (u64, f64) {
    let mut s = open(location, key);
    let t = Instant::now();
    match s.verify(&Default::default(), &mut |_| {}).unwrap() {
        Verdict::Ok { entries, .. } => (entries, entries as f64 / t.elapsed().as_secs_f64()),
        Verdict::Failed(f) => panic!("verify failed: {f}"),
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let total = env_or("BENCH_EVENTS", 200_000);
    let batch = env_or("BENCH_BATCH", 10_000);
    let id = std::process::id();
    let dir = std::env::temp_dir().join(format!("custodia-pgbench-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("bench.key");
    println!(
        "append {total} person_read events in batches of {batch}; then verify (log and projections)"
    );

    let lite = dir.join("bench.db");
    let rate = append(lite.to_str().unwrap(), &key, total, batch, 1);
    let (n, vrate) = verify(lite.to_str().unwrap(), &key);
    println!(
        "sqlite     append {rate:>9.0} events/s   verify {vrate:>9.0} entries/s ({n} entries)"
    );

    let Some(admin) = std::env::var("CUSTODIA_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        println!("skipping PostgreSQL: CUSTODIA_TEST_PG not set");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    };
    let name = format!("custodia_bench_{id}");
    let url = custodia_store::postgres::create_database(&admin, &name).unwrap();
    let rate = append(&url, &key, total, batch, 1);
    let (n, vrate) = verify(&url, &key);
    println!(
        "postgres   append {rate:>9.0} events/s   verify {vrate:>9.0} entries/s ({n} entries)"
    );
    custodia_store::postgres::drop_database(&admin, &name).unwrap();

    let conc_total = env_or("BENCH_CONCURRENT_EVENTS", 80_000);
    let conc_batch = env_or("BENCH_CONCURRENT_BATCH", 1_000);
    println!(
        "concurrent writers on PostgreSQL: {conc_total} events in batches of {conc_batch}, split among the writers"
    );
    for writers in [1, 2, 4] {
        let name = format!("custodia_bench_{id}_{writers}");
        let url = custodia_store::postgres::create_database(&admin, &name).unwrap();
        let rate = append(&url, &key, conc_total, conc_batch, writers);
        let (n, _) = verify(&url, &key);
        assert_eq!(n as usize, conc_total / writers * writers);
        println!("postgres   {writers} writer(s) {rate:>9.0} events/s (verified {n} entries)");
        custodia_store::postgres::drop_database(&admin, &name).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
