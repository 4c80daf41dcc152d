//! `custodia demo --federated DIR` (issue 16, CONTRACT §10): the demo world as two
//! governments. The United States store (`DIR/us.db`) holds the persons, their legal
//! histories and the flights up to departure; the El Salvador store (`DIR/sv.db`) holds
//! CECOT, its own intake and what happens to the persons it takes in. Every flight crosses
//! through a real hand-over: the US store issues the signed document, the SV store receives
//! it, reconciles its intake and signs the receipt, and the US store records the receipt —
//! the same `custodia_app::federation` functions the HTTP routes and `federation send` call,
//! with the document and the receipt carried in process instead of over loopback (the peers'
//! URLs are fixed, `http://127.0.0.1:8080` and `:8081`, so the leaves do not depend on a
//! port).
//!
//! Deterministic per seed: one simulated clock, the demo's seeded world, and log keys
//! derived from the seed (so whoever knows the seed holds them: a demo, never a real
//! deployment). The witnesses' keys are random: they never enter a leaf. Three witnesses:
//! SV's witnesses the US log, the US's witnesses the SV log, and an independent monitor
//! witnesses both; `DIR/us.policy` and `DIR/sv.policy` say so (README "Two governments").
//!
//! The split of the world: the demo's own arrival, reconciliation and admission at CECOT
//! are replaced by the hand-over (so are its reconciliation cases and their resolutions);
//! events about a person at CECOT go to SV only for persons SV received.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use custodia_app::federation::{self as fed, Peer};
use custodia_app::{Actor, Role};
use custodia_demo::{CECOT, Scale};
use custodia_ledger::LogKey;
use custodia_model::clock::ManualClock;
use custodia_model::events::{EventData, NewEvent};
use custodia_store::{OpenOptions, Store};
use custodia_witness::CosignerKey;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ctx::{app_err, progress, store_err};
use crate::error::{CliError, CliResult};

/// The US log's origin in the federated demo.
pub const US_ORIGIN: &str = "us.demo/custodia";
/// The SV log's origin.
pub const SV_ORIGIN: &str = "sv.demo/custodia";
/// Where the README starts each server and witness.
pub const US_URL: &str = "http://127.0.0.1:8080";
pub const SV_URL: &str = "http://127.0.0.1:8081";
const WITNESSES: [(&str, &str, &str); 3] = [
    ("us-witness", "us.demo/witness", "http://127.0.0.1:7381"),
    ("sv-witness", "sv.demo/witness", "http://127.0.0.1:7382"),
    ("monitor", "monitor.demo/witness", "http://127.0.0.1:7383"),
];
const FEDERATION: &str = "system:federation";

/// Where an event of the single-store demo goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Us,
    Sv,
    Both,
    /// SV, if SV holds the person.
    SvHeld,
    /// Replaced by the hand-over.
    Drop,
}

fn side(e: &EventData) -> Side {
    match e {
        EventData::FacilityRegistered(f) if f.id == CECOT => Side::Both,
        EventData::IntakeRecorded { .. } => Side::Sv,
        EventData::ManifestArrived { .. }
        | EventData::ManifestReconciled { .. }
        | EventData::CaseOpened { .. }
        | EventData::CaseResolved { .. } => Side::Drop,
        EventData::Admitted { facility_id, .. } if facility_id == CECOT => Side::Drop,
        EventData::Placed { .. }
        | EventData::SeparationRecorded { .. }
        | EventData::FamilyNotified { .. }
        | EventData::ExerciseRecorded { .. }
        | EventData::VisitRecorded { .. }
        | EventData::SolitaryStarted { .. }
        | EventData::SolitaryEnded { .. } => Side::SvHeld,
        _ => Side::Us,
    }
}

fn person_of(e: &EventData) -> Option<&str> {
    match e {
        EventData::Placed { person_id, .. }
        | EventData::SeparationRecorded { person_id, .. }
        | EventData::FamilyNotified { person_id, .. }
        | EventData::ExerciseRecorded { person_id, .. }
        | EventData::VisitRecorded { person_id, .. }
        | EventData::SolitaryStarted { person_id, .. }
        | EventData::SolitaryEnded { person_id, .. } => Some(person_id.as_str()),
        _ => None,
    }
}

fn open(path: &Path, key: &Path, clock: Arc<ManualClock>) -> Result<Store, CliError> {
    Store::open(
        &path.display().to_string(),
        OpenOptions {
            key_path: Some(key.to_path_buf()),
            clock,
        },
    )
    .map_err(store_err)
}

fn io(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::input(format!("`{}`: {e}", path.display()))
}

/// What was built, for the caller and the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub us_db: PathBuf,
    pub sv_db: PathBuf,
    pub handovers: usize,
    pub received: usize,
    pub not_received: usize,
}

/// Builds the federated demo into `dir` (created if absent; refused if it holds a store).
pub fn build(dir: &Path, seed: u64, scale: Scale) -> Result<Built, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let (us_db, sv_db) = (dir.join("us.db"), dir.join("sv.db"));
    for p in [&us_db, &sv_db] {
        if p.exists() {
            return Err(CliError::input(format!(
                "`{}` exists; `demo --federated` builds only into a directory without stores",
                p.display()
            )));
        }
    }
    // Log keys from the seed (a stream of its own, so the world's draws do not change).
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6665_6465_7261_7465);
    let mut seed_for = || {
        let mut s = [0u8; 32];
        rng.fill_bytes(&mut s);
        s
    };
    let us_key = LogKey::from_seed(US_ORIGIN, seed_for()).map_err(|e| io(&us_db, e))?;
    let sv_key = LogKey::from_seed(SV_ORIGIN, seed_for()).map_err(|e| io(&sv_db, e))?;
    let (us_key_path, sv_key_path) = (dir.join("us.db.key"), dir.join("sv.db.key"));
    us_key
        .save_new(&us_key_path)
        .map_err(|e| io(&us_key_path, e))?;
    sv_key
        .save_new(&sv_key_path)
        .map_err(|e| io(&sv_key_path, e))?;
    let (us_vkey, sv_vkey) = (us_key.verifier_key(), sv_key.verifier_key());
    for (name, vkey) in [("us.vkey", us_vkey), ("sv.vkey", sv_vkey)] {
        let p = dir.join(name);
        std::fs::write(&p, format!("{vkey}\n")).map_err(|e| io(&p, e))?;
    }
    // The witnesses: each government's, and an independent monitor.
    let mut wvkeys = Vec::new();
    for (file, name, _) in WITNESSES {
        let p = dir.join(format!("{file}.key"));
        // A key left by an earlier build of this directory is kept (witness state refers
        // to it); otherwise a new one.
        let k = if p.exists() {
            CosignerKey::load(&p).map_err(|e| io(&p, e))?
        } else {
            let k = CosignerKey::generate(name).map_err(|e| io(&p, e))?;
            k.save(&p).map_err(|e| io(&p, e))?;
            k
        };
        wvkeys.push(k.vkey());
    }
    let policy = |log: &str, other: usize| {
        let (o, m) = (WITNESSES[other], WITNESSES[2]);
        format!(
            "# {log}: witnessed by the other government and by an independent monitor\n\
             log {log}\n\
             witness {} {} {}\n\
             witness {} {} {}\n\
             group both all {} {}\n\
             quorum both\n",
            o.0, wvkeys[other], o.2, m.0, wvkeys[2], m.2, o.0, m.0
        )
    };
    for (name, text) in [
        ("us.policy", policy(us_vkey, 1)),
        ("sv.policy", policy(sv_vkey, 0)),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| io(&p, e))?;
    }

    let clock = Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH));
    let mut us = open(&us_db, &us_key_path, clock.clone())?;
    let mut sv = open(&sv_db, &sv_key_path, clock.clone())?;
    let batches = custodia_demo::build(seed, scale);
    let total: usize = batches.iter().map(|b| b.events.len()).sum();
    let pb = progress(total as u64, "demo --federated");
    let admin = Actor {
        role: Role::Admin,
        name: "setup".into(),
        facility_id: None,
    };
    let mut held: BTreeSet<String> = BTreeSet::new();
    let mut built = Built {
        us_db: us_db.clone(),
        sv_db: sv_db.clone(),
        handovers: 0,
        received: 0,
        not_received: 0,
    };
    for (i, b) in batches.into_iter().enumerate() {
        let n = b.events.len() as u64;
        let (mut to_us, mut to_sv, mut later) = (Vec::new(), Vec::new(), Vec::new());
        let departs = b
            .events
            .iter()
            .any(|e| matches!(e.data, EventData::ManifestDeparted { .. }));
        for e in b.events {
            match side(&e.data) {
                Side::Us => to_us.push(e),
                Side::Sv => to_sv.push(e),
                Side::Both => {
                    to_us.push(e.clone());
                    to_sv.push(e);
                }
                Side::SvHeld => later.push(e),
                Side::Drop => {}
            }
        }
        clock.set(b.recorded_at);
        if !to_us.is_empty() {
            us.append(to_us).map_err(store_err)?;
        }
        if !to_sv.is_empty() {
            sv.append(to_sv).map_err(store_err)?;
        }
        if i == 0 {
            // Each registers the other once the facilities exist.
            fed::add_peer(
                &mut us,
                &admin,
                &Peer {
                    name: "SV".into(),
                    url: SV_URL.into(),
                    log_key: sv_vkey.into(),
                    facilities: vec![CECOT.into()],
                },
            )
            .map_err(app_err)?;
            fed::add_peer(
                &mut sv,
                &admin,
                &Peer {
                    name: "US".into(),
                    url: US_URL.into(),
                    log_key: us_vkey.into(),
                    facilities: vec![],
                },
            )
            .map_err(app_err)?;
        }
        if departs {
            let step = |k: i64| {
                b.recorded_at
                    .saturating_add(jiff::Span::new().minutes(k))
                    .unwrap_or(b.recorded_at)
            };
            clock.set(step(1));
            fed::issue_pending(&mut us, FEDERATION).map_err(app_err)?;
            for o in fed::outbox(&mut us).map_err(app_err)? {
                clock.set(step(2));
                let env = fed::receive(&mut sv, &o.document).map_err(app_err)?;
                clock.set(step(3));
                let r = fed::record_receipt(&mut us, FEDERATION, &env).map_err(app_err)?;
                built.handovers += 1;
                built.received += r.received.len();
                built.not_received += r.not_received.len();
                held.extend(r.received);
            }
            clock.set(step(4));
        }
        let later: Vec<NewEvent> = later
            .into_iter()
            .filter(|e| person_of(&e.data).is_some_and(|p| held.contains(p)))
            .collect();
        if !later.is_empty() {
            sv.append(later).map_err(store_err)?;
        }
        pb.inc(n);
    }
    pb.finish_and_clear();
    Ok(built)
}

pub fn run(dir: &Path, seed: u64, scale: Scale) -> CliResult {
    let b = build(dir, seed, scale)?;
    let mut us = open(
        &b.us_db,
        &dir.join("us.db.key"),
        Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH)),
    )?;
    let mut sv = open(
        &b.sv_db,
        &dir.join("sv.db.key"),
        Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH)),
    )?;
    let (a, c) = (
        us.checkpoint().map_err(store_err)?,
        sv.checkpoint().map_err(store_err)?,
    );
    eprintln!(
        "federated demo world (seed {seed}) in `{}`: {} hand-over(s), {} received, {} not received\n  US `{}`: {} entries, root {}\n  SV `{}`: {} entries, root {}\n  policies `us.policy`, `sv.policy`; witness keys `us-witness.key`, `sv-witness.key`, `monitor.key` (README \"Two governments\")",
        dir.display(),
        b.handovers,
        b.received,
        b.not_received,
        b.us_db.display(),
        a.size,
        hex::encode(a.root.0),
        b.sv_db.display(),
        c.size,
        hex::encode(c.root.0),
    );
    Ok(())
}
