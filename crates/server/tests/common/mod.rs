//! A fresh store per test: the `tiny` demo world plus two test persons, and one token per role.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use custodia_app::Role;
use custodia_model::clock::ManualClock;
use custodia_model::events::{CustodyStatus, EventData, NewEvent, PersonRecord};
use custodia_model::legal::{CountryCode, Record, UsStatus};
use custodia_server::{AppState, Config, Pool};
use custodia_store::backend::Value;
use custodia_store::{OpenOptions, Store};

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub path: String,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub tokens: HashMap<Role, String>,
    /// Held at CECOT, no counsel.
    pub at_cecot: String,
    /// Not at or bound for CECOT, no counsel.
    pub elsewhere: String,
    /// Assigned to `counsel:demo`.
    pub assigned: String,
    /// A manifest bound for CECOT.
    pub manifest: String,
    /// Eligible test persons held at USDC-TX.
    pub eligible: Vec<String>,
}

pub fn open(path: &str, clock: Arc<ManualClock>) -> Store {
    Store::open(
        path,
        OpenOptions {
            key_path: None,
            clock,
        },
    )
    .unwrap()
}

pub fn first(s: &mut Store, sql: &str) -> String {
    s.read(|c| c.query(sql, &[]))
        .unwrap()
        .first()
        .and_then(|r| r.first())
        .and_then(Value::opt_str)
        .unwrap_or_else(|| panic!("no row for {sql}"))
}

pub fn fixture(config: Config) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db").to_str().unwrap().to_string();
    let clock = Arc::new(ManualClock::new("2025-01-01T00:00:00Z".parse().unwrap()));
    let mut s = open(&path, clock.clone());
    for b in custodia_demo::build(7, custodia_demo::Scale::Tiny) {
        clock.set(b.recorded_at);
        s.append(b.events).unwrap();
    }
    let now: jiff::Timestamp = "2025-04-05T12:00:00Z".parse().unwrap();
    clock.set(now);
    let mut eligible = Vec::new();
    let mut evs = Vec::new();
    for (i, fam) in ["Martínez Hernández", "Pérez Gómez"].iter().enumerate() {
        let id = format!("T-{}", i + 1);
        evs.push(NewEvent {
            occurred_at: now,
            actor: "admin:test".into(),
            data: EventData::PersonRegistered(PersonRecord {
                id: id.clone(),
                family_names: (*fam).into(),
                given_names: "José Luis".into(),
                date_of_birth: Some("1991-04-12".parse().unwrap()),
                sex: Some("M".into()),
                country_of_birth: Some(CountryCode::new("SV").unwrap()),
                nationalities: vec![CountryCode::new("SV").unwrap()],
                us_status: Some(UsStatus::Undocumented),
                languages: vec!["es".into()],
                identity_verified: true,
            }),
        });
        evs.push(NewEvent {
            occurred_at: now,
            actor: "admin:test".into(),
            data: EventData::LegalRecordAdded {
                person_id: id.clone(),
                record: serde_json::from_str::<Record>(
                    r#"{"type":"removal_order","date":"2024-11-02","final":true}"#,
                )
                .unwrap()
                .into(),
            },
        });
        evs.push(NewEvent {
            occurred_at: now,
            actor: "admin:test".into(),
            data: EventData::CustodyReported {
                person_id: id.clone(),
                facility_id: Some("USDC-TX".into()),
                status: CustodyStatus::InCustody,
            },
        });
        eligible.push(id);
    }
    s.append(evs).unwrap();
    let at_cecot = first(
        &mut s,
        "SELECT id FROM persons WHERE facility_id = 'CECOT' AND id NOT IN (SELECT person_id FROM counsel) ORDER BY id LIMIT 1",
    );
    let elsewhere = first(
        &mut s,
        "SELECT id FROM persons WHERE COALESCE(facility_id, '') <> 'CECOT' AND id NOT IN (SELECT person_id FROM counsel) \
         AND id NOT IN (SELECT mp.person_id FROM manifest_passengers mp JOIN manifests m ON m.id = mp.manifest_id WHERE m.to_facility = 'CECOT') ORDER BY id LIMIT 1",
    );
    let assigned = first(
        &mut s,
        "SELECT person_id FROM counsel WHERE counsel = 'counsel:demo' ORDER BY person_id LIMIT 1",
    );
    let manifest = first(
        &mut s,
        "SELECT id FROM manifests WHERE to_facility = 'CECOT' ORDER BY id LIMIT 1",
    );
    let mut tokens = HashMap::new();
    for role in Role::ALL {
        // One natural person per role: the two-person rule compares names (CONTRACT §9).
        let (name, fac) = match role {
            Role::Counsel => ("demo", None),
            Role::ReceivingOfficer => ("intake", Some("CECOT")),
            Role::SendingOfficer => ("ana", None),
            Role::SendingSupervisor => ("rene", None),
            Role::Auditor => ("ines", None),
            Role::Admin => ("root", None),
        };
        tokens.insert(
            role,
            custodia_server::auth::create_token(&mut s, role, name, fac).unwrap(),
        );
    }
    let stores = vec![s, open(&path, clock.clone())];
    let state = AppState::new(Pool::new(stores), clock.clone(), config);
    Fixture {
        dir,
        path,
        clock,
        state,
        tokens,
        at_cecot,
        elsewhere,
        assigned,
        manifest,
        eligible,
    }
}
