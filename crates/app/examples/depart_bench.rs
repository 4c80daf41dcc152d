//! Benchmark (issue 12): departure of a 300-passenger manifest, re-screening included, on
//! SQLite and (with `CUSTODIA_BENCH_PG=postgres://…/db`) on PostgreSQL, side by side.
//!
//! `cargo run --release -p custodia-app --example depart_bench [-- PASSENGERS RUNS]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use custodia_app::manifests::{self, NewManifest};
use custodia_app::{Actor, Role};
use custodia_model::clock::ManualClock;
use custodia_model::events::{
    CellRecord, CustodyStatus, EventData, FacilityRecord, NewEvent, PavilionRecord, PersonRecord,
};
use custodia_model::legal::{Basis, CountryCode, Record, UsStatus};
use custodia_rules::Params;
use custodia_store::{OpenOptions, Store};

fn cc(s: &str) -> CountryCode {
    CountryCode::new(s).unwrap()
}

fn facility(id: &str, country: &str) -> EventData {
    EventData::FacilityRegistered(FacilityRecord {
        id: id.into(),
        name: id.into(),
        country: cc(country),
        kind: "prison".into(),
        adult_only: true,
        pavilions: vec![PavilionRecord {
            id: "P1".into(),
            cells: vec![CellRecord {
                id: format!("{id}-C1"),
                area_m2: 100.0,
                capacity: 100,
                windows: true,
                sanitation: "shared".into(),
            }],
        }],
    })
}

fn once(location: &str, key: &std::path::Path, n: usize) -> f64 {
    let clock = Arc::new(ManualClock::new("2025-06-01T12:00:00Z".parse().unwrap()));
    let mut s = Store::open(
        location,
        OpenOptions {
            key_path: Some(key.to_path_buf()),
            clock,
        },
    )
    .unwrap();
    let ev = |data| NewEvent {
        occurred_at: "2025-05-01T00:00:00Z".parse().unwrap(),
        actor: "admin:root".into(),
        data,
    };
    let mut batch = vec![ev(facility("US-1", "US")), ev(facility("CECOT", "SV"))];
    for i in 0..n {
        let id = format!("P-{i:05}");
        batch.push(ev(EventData::PersonRegistered(PersonRecord {
            id: id.clone(),
            family_names: format!("Family{i}"),
            given_names: format!("Given{i}"),
            date_of_birth: Some("1990-01-01".parse().unwrap()),
            sex: Some("M".into()),
            country_of_birth: Some(cc("SV")),
            nationalities: vec![cc("SV")],
            us_status: Some(UsStatus::Undocumented),
            languages: vec!["es".into()],
            identity_verified: true,
        })));
        batch.push(ev(EventData::CustodyReported {
            person_id: id.clone(),
            facility_id: Some("US-1".into()),
            status: CustodyStatus::InCustody,
        }));
        for r in [
            r#"{"type":"removal_order","date":"2025-01-01","final":true}"#,
            r#"{"type":"fear_claim","country":"SV","date":"2025-01-05"}"#,
            r#"{"type":"fear_screening","country":"SV","date":"2025-01-20","outcome":"negative"}"#,
            r#"{"type":"habeas_petition","filed":"2025-02-01","status":"denied"}"#,
        ] {
            let record: Record = serde_json::from_str(r).unwrap();
            batch.push(ev(EventData::LegalRecordAdded {
                person_id: id.clone(),
                record: record.into(),
            }));
        }
    }
    s.append(batch).unwrap();
    let officer = Actor::new(Role::SendingOfficer, "ana");
    let sup = Actor::new(Role::SendingSupervisor, "rene");
    let m = manifests::create(
        &mut s,
        &officer,
        &NewManifest {
            flight: "B1".into(),
            from_facility: "US-1".into(),
            to_facility: "CECOT".into(),
            destination_country: cc("SV"),
            basis: Basis::Removal,
            departure_on: "2025-06-01".parse().unwrap(),
        },
    )
    .unwrap();
    for i in 0..n {
        manifests::add_passenger(&mut s, &officer, &m, &format!("P-{i:05}")).unwrap();
    }
    manifests::screen(&mut s, &officer, &m, Params::builtin()).unwrap();
    manifests::approve(&mut s, &sup, &m, &[]).unwrap();
    let t = Instant::now();
    let d = manifests::depart(&mut s, &officer, &m, Params::builtin()).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(d.passengers.len(), n);
    secs
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(300);
    let runs: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let mut lite = Vec::new();
    let mut pg = Vec::new();
    for r in 0..runs {
        let db = dir.path().join(format!("b{r}.db"));
        lite.push(once(
            db.to_str().unwrap(),
            &dir.path().join(format!("b{r}.key")),
            n,
        ));
        if let Ok(base) = std::env::var("CUSTODIA_BENCH_PG") {
            let name = format!("custodia_depart_bench_{}_{r}", std::process::id());
            let url = custodia_store::postgres::create_database(&base, &name).unwrap();
            pg.push(once(&url, &dir.path().join(format!("p{r}.key")), n));
            let _ = custodia_store::postgres::drop_database(&base, &name);
        }
    }
    let show = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        format!(
            "median {:.3} s, min {:.3} s, max {:.3} s",
            v[v.len() / 2],
            v[0],
            v[v.len() - 1]
        )
    };
    println!(
        "depart {n} passengers, {runs} runs: SQLite {}",
        show(&mut lite)
    );
    if !pg.is_empty() {
        println!(
            "depart {n} passengers, {runs} runs: PostgreSQL {}",
            show(&mut pg)
        );
    }
}
