//! Concurrent submissions race as in tlog-witness's example (A with size N and B with size
//! N+K, both checked against the same old state): exactly one wins, the other gets 409, and
//! the state is never rolled back. Also with two witness processes' connections on one file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Barrier};

use custodia_witness::{AddError, Witness, WitnessDb};

use common::{Log, cosigner, witness, witness_on};

fn race(witnesses: &[Arc<Witness>], log: &Log, rounds: u64) {
    let threads = 8u64;
    for round in 0..rounds {
        let base = round * 100;
        let barrier = Arc::new(Barrier::new(threads as usize));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let w = witnesses[(t as usize) % witnesses.len()].clone();
                let body = log.body(base, base + 1 + t * 10);
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    w.add_checkpoint(body.as_bytes())
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_ok())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        let won = base + 1 + winners[0] as u64 * 10;
        for r in &results {
            match r {
                Ok(_) => {}
                Err(AddError::Conflict(n)) => assert_eq!(*n, won),
                Err(e) => panic!("round {round}: {e}"),
            }
        }
        let latest = witnesses[0]
            .db()
            .latest("example.org/log")
            .unwrap()
            .unwrap();
        assert_eq!((latest.size, latest.root), (won, log.root(won)));
        // Bring the witness to the next round's base (a normal, uncontended submission).
        witnesses[0]
            .add_checkpoint(log.body(won, base + 100).as_bytes())
            .unwrap();
    }
}

#[test]
fn one_of_two_concurrent_requests_wins_and_nothing_rolls_back() {
    let mut log = Log::named("example.org/log");
    log.append(2_100, "x");
    let w = witness(cosigner("witness.example.org/w"), &[&log]);
    race(&[w], &log, 20);
}

#[test]
fn two_processes_on_one_state_file_race_safely() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let mut log = Log::named("example.org/log");
    log.append(1_100, "x");
    let key = cosigner("witness.example.org/w");
    let a = witness_on(key.clone(), &[&log], WitnessDb::open(&path).unwrap());
    let b = witness_on(key, &[&log], WitnessDb::open(&path).unwrap());
    race(&[a, b], &log, 10);
}

/// Submitters that retry from the reported size until they are cosigned: every one of them
/// ends cosigned or behind, and the final state is the largest checkpoint submitted.
#[test]
fn retrying_submitters_lose_nothing() {
    let mut log = Log::named("example.org/log");
    log.append(400, "x");
    let w = witness(cosigner("witness.example.org/w"), &[&log]);
    let log = Arc::new(log);
    let handles: Vec<_> = (1..=16u64)
        .map(|t| {
            let (w, log) = (w.clone(), log.clone());
            std::thread::spawn(move || {
                let size = t * 25;
                let mut old = 0;
                loop {
                    if old > size {
                        return None;
                    }
                    match w.add_checkpoint(log.body(old, size).as_bytes()) {
                        Ok(_) => return Some(size),
                        Err(AddError::Conflict(n)) => old = n,
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        })
        .collect();
    let got: Vec<Option<u64>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(got[15], Some(400), "the largest always gets cosigned");
    assert_eq!(w.db().latest("example.org/log").unwrap().unwrap().size, 400);
}
