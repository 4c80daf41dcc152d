//! Start-up cost of the server's locator: read every person from a store and build the
//! index, then one catch-up poll. How the server builds its index:
//! `LocatorIndex::build(store.locator_rows(None)?.0.into_iter().map(|r| r.entry))`.
//!
//! `cargo run --release -p custodia-linkage --example locator_store -- STORE`

use std::sync::Arc;
use std::time::Instant;

use custodia_linkage::locator::LocatorIndex;
use custodia_model::clock::ManualClock;
use custodia_store::{OpenOptions, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: locator_store STORE")?;
    let clock = Arc::new(ManualClock::new("2025-06-01T12:00:00Z".parse()?));
    let mut store = Store::open(
        &path,
        OpenOptions {
            key_path: None,
            clock,
        },
    )?;
    let t = Instant::now();
    let (rows, size) = store.locator_rows(None)?;
    let read = t.elapsed();
    let n = rows.len();
    let t = Instant::now();
    let idx = LocatorIndex::build(rows.into_iter().map(|r| r.entry));
    let build = t.elapsed();
    let t = Instant::now();
    let (touched, _) = store.locator_rows_since(size)?;
    let poll = t.elapsed();
    println!(
        "{n} persons: read from the store {read:.2?}, index build {build:.2?}, \
         index estimate {:.1} MiB; catch-up poll with nothing new {poll:.2?} ({} rows)",
        idx.memory_bytes() as f64 / (1024.0 * 1024.0),
        touched.len()
    );
    let t = Instant::now();
    let (touched, _) = store.locator_rows_since(size.saturating_sub(1000))?;
    println!(
        "catch-up poll over the last 1000 events: {:.2?} ({} rows)",
        t.elapsed(),
        touched.len()
    );
    Ok(())
}
