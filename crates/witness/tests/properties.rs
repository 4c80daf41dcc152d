//! Property: whatever a (possibly forking) log submits, with honest or garbage proofs, the
//! witness never cosigns two inconsistent checkpoints, and its size never goes down.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use custodia_ledger::{Hash, LogKey};
use custodia_witness::{AddError, AddRequest};
use proptest::prelude::*;

use common::{Log, cosigner, witness};

#[derive(Debug, Clone)]
enum Step {
    /// Append n leaves to branch b.
    Append { branch: usize, n: u64 },
    /// Fork: branch b becomes a copy of branch `from` cut at a fraction of its size, then
    /// diverges.
    Fork { branch: usize, from: usize, cut: u8 },
    /// Submit branch b's checkpoint at a fraction of its size, from the witness's size (or a
    /// stale one), with an honest proof from the branch's tree or a corrupted one.
    Submit {
        branch: usize,
        at: u8,
        stale: bool,
        corrupt: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, 1..6u64).prop_map(|(branch, n)| Step::Append { branch, n }),
        1 => (0..3usize, 0..3usize, any::<u8>()).prop_map(|(branch, from, cut)| Step::Fork { branch, from, cut }),
        4 => (0..3usize, any::<u8>(), any::<bool>(), prop::bool::weighted(0.2))
            .prop_map(|(branch, at, stale, corrupt)| Step::Submit { branch, at, stale, corrupt }),
    ]
}

fn rebuild(key: &LogKey, src: &Log, size: u64, tag: &str) -> Log {
    // The same leaves as `src` up to `size` (Log::append names leaves by tag and position,
    // so replaying the source's tags is not possible; copy its stored hashes instead).
    let mut out = Log::new(key.clone());
    let count = custodia_ledger::stored_hash_count(size) as usize;
    out.hashes.put(0, &src.hashes.as_slice()[..count]);
    out.size = size;
    out.append(1, tag);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn never_cosigns_inconsistent_checkpoints(steps in prop::collection::vec(step(), 1..25)) {
        let key = LogKey::generate("example.org/log").unwrap();
        let mut branches: Vec<Log> = (0..3).map(|_| Log::new(key.clone())).collect();
        let w = witness(cosigner("witness.example.org/w"), &[&branches[0]]);
        // Every cosigned (size, root), and the branch whose tree produced it.
        let mut cosigned: Vec<(u64, Hash, Log)> = Vec::new();
        let mut last_size = 0u64;
        for (i, s) in steps.into_iter().enumerate() {
            match s {
                Step::Append { branch, n } => branches[branch].append(n, &format!("s{i}")),
                Step::Fork { branch, from, cut } => {
                    let src = &branches[from];
                    let size = src.size * u64::from(cut) / 255;
                    branches[branch] = rebuild(&key, src, size, &format!("fork{i}"));
                }
                Step::Submit { branch, at, stale, corrupt } => {
                    let b = &branches[branch];
                    let size = b.size * u64::from(at) / 255;
                    let wsize = w.db().latest("example.org/log").unwrap().map_or(0, |l| l.size);
                    let old = if stale { wsize / 2 } else { wsize };
                    if old > size { continue; }
                    let mut proof = if old == 0 || old == size { vec![] } else { b.proof(old, size) };
                    if corrupt {
                        match proof.first_mut() {
                            Some(h) => h.0[0] ^= 1,
                            None => proof.push(Hash([9; 32])),
                        }
                    }
                    let body = AddRequest { old, proof, note: b.checkpoint(size) }.to_body();
                    match w.add_checkpoint(body.as_bytes()) {
                        Ok(_) => cosigned.push((size, b.root(size), b.clone())),
                        Err(AddError::Conflict(n)) => prop_assert_eq!(n, wsize),
                        Err(AddError::Unprocessable(_)) => {}
                        Err(e) => prop_assert!(false, "unexpected refusal {e}"),
                    }
                }
            }
            let now = w.db().latest("example.org/log").unwrap().map_or(0, |l| l.size);
            prop_assert!(now >= last_size, "the witness's size went down: {last_size} -> {now}");
            last_size = now;
        }
        // Any two cosigned checkpoints are consistent: the smaller's root is the root of the
        // larger's tree cut at the smaller's size.
        for (sa, ra, _) in &cosigned {
            for (sb, _, tb) in &cosigned {
                if sa <= sb {
                    prop_assert_eq!(tb.root(*sa), *ra, "cosigned {} and {} are inconsistent", sa, sb);
                }
            }
        }
    }
}
