//! `billing::month_costs` and `billing::latest_month` (issue 14: the use case the pages
//! used to re-implement): costs come from the stays on the ledger, and a stored rate that
//! is not a decimal is an error naming it, never a zero or an agreement left out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use custodia_app::AppError;
use custodia_app::billing::{latest_month, month_costs};
use custodia_billing::Month;
use custodia_model::clock::ManualClock;
use custodia_model::events::{
    AgreementRecord, CellRecord, EventData, FacilityRecord, NewEvent, PavilionRecord, PersonRecord,
    RateRecord,
};
use custodia_model::legal::{CountryCode, UsStatus};
use custodia_store::{OpenOptions, Store};

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn cc(s: &str) -> CountryCode {
    CountryCode::new(s).unwrap()
}

/// A store with CECOT, two persons admitted there on 2025-05-10 and 2025-06-20, and the
/// agreement `rates` (per person-day) for it.
fn world(dir: &std::path::Path, rate: &str) -> Store {
    let clock = Arc::new(ManualClock::new(at("2025-07-01T00:00:00Z")));
    let mut s = Store::open(
        dir.join("s.db").to_str().unwrap(),
        OpenOptions {
            key_path: Some(dir.join("s.key")),
            clock,
        },
    )
    .unwrap();
    let ev = |when: &str, data| NewEvent {
        occurred_at: at(when),
        actor: "admin:root".into(),
        data,
    };
    let mut batch = vec![
        ev(
            "2025-05-01T00:00:00Z",
            EventData::FacilityRegistered(FacilityRecord {
                id: "CECOT".into(),
                name: "CECOT".into(),
                country: cc("SV"),
                kind: "prison".into(),
                adult_only: true,
                pavilions: vec![PavilionRecord {
                    id: "P1".into(),
                    cells: vec![CellRecord {
                        id: "CECOT-C1".into(),
                        area_m2: 100.0,
                        capacity: 50,
                        windows: true,
                        sanitation: "shared".into(),
                    }],
                }],
            }),
        ),
        ev(
            "2025-05-01T00:00:00Z",
            EventData::AgreementRegistered(AgreementRecord {
                id: "AG-1".into(),
                facility_id: "CECOT".into(),
                currency: "USD".into(),
                start: "2025-01-01".parse().unwrap(),
                end: None,
                reserved_beds: None,
                over_reserved_per_person_day: None,
                rates: vec![RateRecord {
                    from: "2025-01-01".parse().unwrap(),
                    per_person_day: rate.into(),
                }],
            }),
        ),
    ];
    for (id, admitted) in [
        ("P-1", "2025-05-10T12:00:00Z"),
        ("P-2", "2025-06-20T12:00:00Z"),
    ] {
        batch.push(ev(
            "2025-05-01T00:00:00Z",
            EventData::PersonRegistered(PersonRecord {
                id: id.into(),
                family_names: "Family".into(),
                given_names: "Given".into(),
                date_of_birth: Some("1990-01-01".parse().unwrap()),
                sex: Some("M".into()),
                country_of_birth: Some(cc("SV")),
                nationalities: vec![cc("SV")],
                us_status: Some(UsStatus::Undocumented),
                languages: vec!["es".into()],
                identity_verified: true,
            }),
        ));
        batch.push(ev(
            admitted,
            EventData::Admitted {
                person_id: id.into(),
                facility_id: "CECOT".into(),
                manifest_id: None,
            },
        ));
    }
    s.append(batch).unwrap();
    s
}

#[test]
fn month_costs_come_from_the_stays_and_the_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = world(dir.path(), "10.50");
    assert_eq!(
        latest_month(&mut s).unwrap(),
        Some("2025-06".parse::<Month>().unwrap())
    );
    let may = month_costs(&mut s, "2025-05".parse().unwrap()).unwrap();
    assert!(may.conflicts.is_empty());
    assert_eq!(may.costs.len(), 1, "{may:?}");
    let c = &may.costs[0];
    assert_eq!(
        (c.agreement.as_str(), c.facility.as_str(), c.month.as_str()),
        ("AG-1", "CECOT", "2025-05")
    );
    // P-1 from the 10th to the 31st of May.
    assert_eq!(c.person_days, 22);
    assert_eq!(c.total, "231.00");
    assert_eq!(c.currency, "USD");
    // June: P-1 all month and P-2 from the 20th.
    let june = month_costs(&mut s, "2025-06".parse().unwrap()).unwrap();
    assert_eq!(june.costs[0].person_days, 30 + 11);
}

#[test]
fn a_stored_rate_that_is_not_a_decimal_is_an_error_not_a_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = world(dir.path(), "ten dollars");
    match month_costs(&mut s, "2025-05".parse().unwrap()) {
        Err(AppError::Invalid(m)) => {
            assert!(
                m.contains("AG-1") && m.contains("per_person_day") && m.contains("ten dollars"),
                "{m}"
            );
        }
        other => panic!("expected an error naming the rate, got {other:?}"),
    }
}
