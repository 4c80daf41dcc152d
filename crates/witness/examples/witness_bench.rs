//! Load generator for the witness: `POST /add-checkpoint` over loopback HTTP/1.1 keep-alive.
//!
//! It starts a witness in this process (its own runtime, a file-backed SQLite state with
//! `synchronous = FULL`), builds `LOGS` logs with the ledger's tree code, pre-signs `STEPS`
//! successive checkpoints per log with their consistency proofs, then runs one client task per
//! log, each submitting its log's checkpoints in order (each must be cosigned: 200), and
//! reports throughput and latency percentiles.
//!
//! ```sh
//! cargo run --release -p custodia-witness --example witness_bench -- [LOGS] [STEPS]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use custodia_ledger::{BatchHasher, LogKey, MemoryHashes, consistency_proof, tree_root};
use custodia_witness::{AddRequest, CosignerKey, Witness, WitnessDb, app};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

fn main() {
    let mut args = std::env::args().skip(1);
    let logs: usize = args.next().map_or(64, |a| a.parse().unwrap());
    let steps: u64 = args.next().map_or(200, |a| a.parse().unwrap());

    eprintln!("preparing {logs} logs x {steps} checkpoints…");
    let mut vkeys = Vec::new();
    let mut bodies: Vec<Vec<String>> = Vec::new();
    for l in 0..logs {
        let key = LogKey::generate(&format!("bench.example.org/log{l}")).unwrap();
        vkeys.push(key.verifier_key().to_string());
        let mut mem = MemoryHashes::default();
        let mut b = BatchHasher::new(0, &mem).unwrap();
        for i in 0..steps * 3 {
            b.push(format!("log {l} leaf {i}").as_bytes()).unwrap();
        }
        let (start, hashes, _) = b.finish();
        mem.put(start, &hashes);
        let mut seq = Vec::new();
        let mut old = 0;
        for s in 1..=steps {
            let size = s * 3;
            let note = key.sign(size, tree_root(size, &mem).unwrap()).unwrap().note;
            let proof = consistency_proof(old, size, &mem).unwrap();
            seq.push(AddRequest { old, proof, note }.to_body());
            old = size;
        }
        bodies.push(seq);
    }

    let dir = std::env::temp_dir().join(format!("custodia-witness-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = WitnessDb::open(&dir.join("state.db")).unwrap();
    let witness = Arc::new(
        Witness::new(
            CosignerKey::generate("bench.example.org/w").unwrap(),
            &vkeys,
            db,
        )
        .unwrap(),
    );

    // The witness: its own runtime, two worker threads.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = server_rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    server_rt.spawn(async move { axum::serve(listener, app(witness)).await.unwrap() });

    // The clients: one task per log on a separate runtime.
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let total = logs * steps as usize;
    let (elapsed, mut lat) = client_rt.block_on(async move {
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(logs)
            .build_http();
        let url = format!("http://{addr}/add-checkpoint");
        let start = Instant::now();
        let tasks: Vec<_> = bodies
            .into_iter()
            .map(|seq| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move {
                    let mut lat = Vec::with_capacity(seq.len());
                    for body in seq {
                        let t = Instant::now();
                        let req = hyper::Request::post(&url)
                            .body(Full::new(Bytes::from(body)))
                            .unwrap();
                        let resp = client.request(req).await.unwrap();
                        let status = resp.status();
                        let b = resp.into_body().collect().await.unwrap().to_bytes();
                        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&b));
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        let mut lat: Vec<Duration> = Vec::with_capacity(total);
        for t in tasks {
            lat.extend(t.await.unwrap());
        }
        (start.elapsed(), lat)
    });
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "{total} add-checkpoint requests (all 200) from {logs} concurrent clients in {:.2} s: {:.0} req/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        lat[lat.len() - 1].as_secs_f64() * 1e3,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
