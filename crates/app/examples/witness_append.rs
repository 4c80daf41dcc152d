//! Append throughput with and without witnesses (BENCHMARKS.md, "Appends with witnesses").
//!
//! Starts two witnesses in this process (`custodia_witness::app` on loopback, file-backed
//! state), then appends `BATCHES` batches of `EVENTS` events to a fresh SQLite store, side by
//! side: without a policy, and with a policy naming both witnesses (each committed batch
//! signals the witnessing thread, as `custodia --policy` does). Runs alternate, `ROUNDS` of
//! each; it prints every run and the medians.
//!
//! ```sh
//! cargo run --release -p custodia-app --example witness_append -- [BATCHES] [EVENTS] [ROUNDS]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use custodia_app::witnessing::{Background, Witnessing};
use custodia_model::clock::SystemClock;
use custodia_model::events::{EventData, NewEvent};
use custodia_store::{OpenOptions, Store};
use custodia_witness::{CosignerKey, Policy, Witness, WitnessDb};

fn open(path: &std::path::Path, key: &std::path::Path) -> Store {
    Store::open(
        path.to_str().unwrap(),
        OpenOptions {
            key_path: Some(key.to_path_buf()),
            clock: Arc::new(SystemClock),
        },
    )
    .unwrap()
}

fn batch(b: usize, events: usize) -> Vec<NewEvent> {
    let at: jiff::Timestamp = "2025-03-15T00:00:00Z".parse().unwrap();
    (0..events)
        .map(|i| NewEvent {
            occurred_at: at,
            actor: "bench:append".into(),
            data: EventData::PersonRead {
                person_id: format!("P-{b:06}-{i:03}"),
            },
        })
        .collect()
}

/// Appends the batches; returns (append seconds, seconds until the last checkpoint was
/// submitted, the last round's cosignatures, the number of rounds).
fn run(
    dir: &std::path::Path,
    name: &str,
    key: &std::path::Path,
    policy: Option<&Policy>,
    batches: usize,
    events: usize,
) -> (f64, f64, usize, u64) {
    let path = dir.join(format!("{name}.db"));
    let mut store = open(&path, key);
    let bg = policy.map(|p| {
        Background::start(
            Witnessing::new(p.clone(), open(&path, key), Duration::from_secs(3)).unwrap(),
        )
    });
    store.set_on_commit(bg.as_ref().map(Background::hook));
    let t = Instant::now();
    for b in 0..batches {
        store.append(batch(b, events)).unwrap();
    }
    let appended = t.elapsed().as_secs_f64();
    let cosigned = bg
        .as_ref()
        .and_then(|bg| bg.flush(Duration::from_secs(30)).unwrap())
        .map_or(0, |r| r.cosigned);
    let all = t.elapsed().as_secs_f64();
    let rounds = bg.as_ref().map_or(0, Background::rounds);
    if let Some(bg) = bg {
        bg.stop();
    }
    (appended, all, cosigned, rounds)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let batches: usize = args.next().map_or(2000, |a| a.parse().unwrap());
    let events: usize = args.next().map_or(10, |a| a.parse().unwrap());
    let rounds: usize = args.next().map_or(3, |a| a.parse().unwrap());
    let dir = std::env::temp_dir().join(format!("custodia-witness-append-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Two witnesses on loopback, on a runtime of their own; a fresh pair (and a fresh log
    // key) for each witnessed run, since a second log under one key and origin is exactly
    // the split view witnesses refuse.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let witnessed_log = |r: usize| {
        let key = dir.join(format!("log{r}.key"));
        let log_vkey = open(&dir.join(format!("init{r}.db")), &key)
            .verifier_key()
            .to_string();
        let mut lines = format!("log {log_vkey}\n");
        for n in ["w1", "w2"] {
            let k = CosignerKey::generate(&format!("bench.example.org/{n}")).unwrap();
            let vkey = k.vkey();
            let db = WitnessDb::open(&dir.join(format!("{n}-{r}.state"))).unwrap();
            let w = Arc::new(Witness::new(k, std::slice::from_ref(&log_vkey), db).unwrap());
            let listener = rt
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            let addr = listener.local_addr().unwrap();
            rt.spawn(async move { axum::serve(listener, custodia_witness::app(w)).await });
            lines.push_str(&format!("witness {n} {vkey} http://{addr}\n"));
        }
        lines.push_str("group both all w1 w2\nquorum both\n");
        (key, Policy::parse(&lines).unwrap())
    };
    let plain_key = dir.join("plain.key");

    println!("{batches} batches x {events} events, {rounds} rounds each, alternating");
    let (mut plain, mut witnessed, mut settled) = (Vec::new(), Vec::new(), Vec::new());
    let n = (batches * events) as f64;
    for r in 0..rounds {
        let (a, _, _, _) = run(
            &dir,
            &format!("plain{r}"),
            &plain_key,
            None,
            batches,
            events,
        );
        println!("  no witnesses:  {:>9.0} events/s ({:.2} s)", n / a, a);
        plain.push(n / a);
        let (key, policy) = witnessed_log(r);
        let (a, all, c, k) = run(
            &dir,
            &format!("witnessed{r}"),
            &key,
            Some(&policy),
            batches,
            events,
        );
        println!(
            "  two witnesses: {:>9.0} events/s ({:.2} s; {k} submissions; last checkpoint cosigned by {c} after {:.2} s)",
            n / a,
            a,
            all
        );
        witnessed.push(n / a);
        settled.push(n / all);
    }
    let (p, w, s) = (median(plain), median(witnessed), median(settled));
    println!(
        "median: no witnesses {p:.0} events/s; two witnesses {w:.0} events/s ({:.1}%); \
         counting the wait for the last cosignature {s:.0} events/s ({:.1}%)",
        100.0 * w / p,
        100.0 * s / p
    );
    let _ = std::fs::remove_dir_all(&dir);
}
