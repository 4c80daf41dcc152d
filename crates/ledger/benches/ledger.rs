#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Hashing throughput of the append path and proof cost, without storage.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use custodia_ledger::{Frontier, MemoryHashes, inclusion_proof, leaf_hash};

fn bench(c: &mut Criterion) {
    let leaf = br#"{"seq":123456,"occurred_at":"2025-03-15T06:30:00Z","recorded_at":"2025-03-15T06:30:00Z","kind":"person_read","actor":"auditor:1","data":{"person_id":"P-000123"}}"#;
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("frontier_100k_leaves", |b| {
        b.iter(|| {
            let mut f = Frontier::default();
            let mut out = Vec::with_capacity(200_000);
            for _ in 0..100_000 {
                f.push(leaf_hash(leaf), &mut out).unwrap();
            }
            f.root()
        })
    });
    g.finish();

    let mut f = Frontier::default();
    let mut out = Vec::new();
    for i in 0u64..1_000_000 {
        f.push(leaf_hash(&i.to_be_bytes()), &mut out).unwrap();
    }
    let mut mem = MemoryHashes::default();
    mem.put(0, &out);
    c.bench_function("inclusion_proof_1M_in_memory", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i = (i + 7919) % 1_000_000;
            inclusion_proof(1_000_000, i, &mem).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
