//! The forecast: determinism, ordered percentiles, decay without arrivals, a steady state
//! that matches the rates it was generated with, and exact cost when nothing moves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia_billing::{
    Agreement, Forecast, ForecastError, ForecastParams, Rate, Stay, forecast, invoice,
};
use jiff::civil::{Date, date};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

fn agreement(reserved: Option<u32>) -> Agreement {
    Agreement {
        id: "A".into(),
        facility_id: "F".into(),
        currency: "USD".into(),
        start: date(2024, 1, 1),
        end: None,
        reserved_beds: reserved,
        over_reserved_per_person_day: reserved.map(|_| "90.00".parse().unwrap()),
        rates: vec![Rate {
            from: date(2024, 1, 1),
            per_person_day: "50.00".parse().unwrap(),
        }],
    }
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(jiff::Span::new().days(n)).unwrap()
}

/// `per_day` arrivals every day of 2024 and 2025, each staying a geometric number of days
/// with daily release probability `hazard` (still held when that ends after 2025).
fn steady_history(per_day: u32, hazard: f64, seed: u64) -> Vec<Stay> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    let mut d = date(2024, 1, 1);
    let mut n = 0;
    while d <= date(2025, 12, 31) {
        for _ in 0..per_day {
            let mut len = 1;
            while rng.r#gen::<f64>() >= hazard {
                len += 1;
            }
            let rel = add_days(d, len);
            out.push(Stay {
                person_id: format!("P{n}"),
                facility_id: "F".into(),
                admitted_on: d,
                released_on: (rel <= date(2025, 12, 31)).then_some(rel),
            });
            n += 1;
        }
        d = d.tomorrow().unwrap();
    }
    // Noise at another facility, which must not count.
    out.push(Stay {
        person_id: "X".into(),
        facility_id: "G".into(),
        admitted_on: date(2025, 6, 1),
        released_on: None,
    });
    out
}

fn params(capacity: u32, months: u32, runs: u32, seed: u64) -> ForecastParams {
    ForecastParams::new(capacity, "2026-01".parse().unwrap(), months, runs, seed)
}

#[test]
fn the_same_seed_gives_the_same_forecast_and_another_seed_does_not() {
    let h = steady_history(10, 0.01, 1);
    let a = agreement(Some(900));
    let f1 = forecast(&h, &a, &params(1100, 12, 200, 7)).unwrap();
    let f2 = forecast(&h, &a, &params(1100, 12, 200, 7)).unwrap();
    assert_eq!(f1, f2);
    assert_eq!(
        serde_json::to_string(&f1).unwrap(),
        serde_json::to_string(&f2).unwrap()
    );
    let f3 = forecast(&h, &a, &params(1100, 12, 200, 8)).unwrap();
    assert_ne!(f1.months, f3.months);
    assert_eq!(
        f1.model, f3.model,
        "the fitted model does not depend on the seed"
    );
}

fn assert_ordered(f: &Forecast) {
    for m in &f.months {
        assert!(
            m.person_days.p10 <= m.person_days.p50 && m.person_days.p50 <= m.person_days.p90,
            "{m:?}"
        );
        assert!(
            m.occupancy_end.p10 <= m.occupancy_end.p50
                && m.occupancy_end.p50 <= m.occupancy_end.p90,
            "{m:?}"
        );
        assert!(
            m.occupancy_peak.p10 <= m.occupancy_peak.p50
                && m.occupancy_peak.p50 <= m.occupancy_peak.p90
        );
        assert!(m.occupancy_end.p90 <= m.occupancy_peak.p90);
        assert!(
            m.cost.p10 <= m.cost.p50 && m.cost.p50 <= m.cost.p90,
            "{m:?}"
        );
    }
    // Dates: None means never, later than any date.
    let le = |a: Option<Date>, b: Option<Date>| match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a <= b,
    };
    let c = f.capacity_exceeded;
    assert!(le(c.p10, c.p50) && le(c.p50, c.p90), "{c:?}");
    if let Some(r) = f.reserved_beds_exceeded {
        assert!(le(r.p10, r.p50) && le(r.p50, r.p90), "{r:?}");
    }
}

#[test]
fn percentiles_are_ordered() {
    let h = steady_history(10, 0.01, 2);
    for (cap, reserved, seed) in [
        (1000, Some(950), 1),
        (1050, Some(1000), 2),
        (5000, None, 3),
        (10, Some(0), 4),
    ] {
        let f = forecast(&h, &agreement(reserved), &params(cap, 24, 300, seed)).unwrap();
        assert_eq!(f.months.len(), 24);
        assert_ordered(&f);
    }
}

#[test]
fn the_fitted_rates_and_the_steady_state_match_the_generating_process() {
    let h = steady_history(10, 0.01, 3);
    let f = forecast(&h, &agreement(None), &params(100_000, 12, 200, 1)).unwrap();
    let m = &f.model;
    assert_eq!(m.observed_to, date(2025, 12, 31));
    assert!((m.daily_arrival_rate - 10.0).abs() < 0.05, "{m:?}");
    assert!((m.daily_release_hazard - 0.01).abs() < 0.001, "{m:?}");
    assert_eq!(m.monthly_arrivals.last().unwrap().arrivals, 310);
    // Equilibrium is arrivals / hazard = 1000.
    assert!((900..=1100).contains(&m.initial_census), "{m:?}");
    let last = f.months.last().unwrap();
    assert!((900..=1100).contains(&last.occupancy_end.p50), "{last:?}");
    assert!(
        last.occupancy_end.p10 < last.occupancy_end.p90,
        "there is spread: {last:?}"
    );
    assert_eq!(f.capacity_exceeded.p10, None);
    assert_eq!(f.runs_exceeding_capacity, 0);
    // Capacity below the census: exceeded on the first forecast day in every run.
    let f = forecast(&h, &agreement(Some(10)), &params(500, 3, 50, 1)).unwrap();
    assert_eq!(f.capacity_exceeded.p90, Some(date(2026, 1, 1)));
    assert_eq!(f.runs_exceeding_capacity, 50);
    assert_eq!(
        f.reserved_beds_exceeded.unwrap().p50,
        Some(date(2026, 1, 1))
    );
}

#[test]
fn a_history_without_arrivals_decays() {
    // 1000 persons, all admitted on one day long ago, then only releases.
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let h: Vec<Stay> = (0..1000)
        .map(|i| {
            let mut len = 1;
            while rng.r#gen::<f64>() >= 0.002 {
                len += 1;
            }
            let rel = add_days(date(2024, 1, 1), len);
            Stay {
                person_id: format!("P{i}"),
                facility_id: "F".into(),
                admitted_on: date(2024, 1, 1),
                released_on: (rel <= date(2025, 12, 31)).then_some(rel),
            }
        })
        .collect();
    let f = forecast(&h, &agreement(Some(5)), &params(1000, 24, 200, 1)).unwrap();
    assert_eq!(f.model.daily_arrival_rate, 0.0);
    assert!(f.model.daily_release_hazard > 0.0);
    assert!(f.model.initial_census > 0);
    let p50: Vec<u64> = f.months.iter().map(|m| m.occupancy_end.p50).collect();
    assert!(p50.windows(2).all(|w| w[1] <= w[0]), "{p50:?}");
    assert!(
        p50[23] < f.model.initial_census / 2,
        "{p50:?} from {}",
        f.model.initial_census
    );
    assert_eq!(f.capacity_exceeded.p10, None);
    assert_ordered(&f);
}

#[test]
fn when_nothing_moves_the_cost_is_the_invoice() {
    let h: Vec<Stay> = (0..10)
        .map(|i| Stay {
            person_id: format!("P{i}"),
            facility_id: "F".into(),
            admitted_on: date(2024, 1, 1),
            released_on: None,
        })
        .collect();
    let a = agreement(Some(4));
    let f = forecast(
        &h,
        &a,
        &ForecastParams::new(20, "2025-01".parse().unwrap(), 2, 5, 9),
    )
    .unwrap();
    assert_eq!(
        (f.model.daily_arrival_rate, f.model.daily_release_hazard),
        (0.0, 0.0)
    );
    let jan = &f.months[0];
    let inv = invoice(&a, &h, "2025-01".parse().unwrap()).unwrap();
    assert_eq!(jan.cost.p10, inv.total);
    assert_eq!(jan.cost.p90, inv.total);
    assert_eq!(inv.total, Decimal::from(31 * (4 * 50 + 6 * 90)));
    assert_eq!(jan.person_days.p50, 310);
    assert_eq!(f.months[1].occupancy_peak.p90, 10);
    assert_eq!(
        f.reserved_beds_exceeded.unwrap().p10,
        Some(date(2025, 1, 1))
    );
}

#[test]
fn no_history_forecasts_an_empty_facility_and_bad_parameters_are_refused() {
    let f = forecast(&[], &agreement(None), &params(10, 3, 10, 1)).unwrap();
    assert_eq!(f.model.observed_from, None);
    assert!(
        f.months
            .iter()
            .all(|m| m.occupancy_peak.p90 == 0 && m.cost.p90 == Decimal::ZERO)
    );
    assert_eq!(
        forecast(&[], &agreement(None), &params(10, 3, 0, 1)),
        Err(ForecastError::Runs(0))
    );
    assert_eq!(
        forecast(&[], &agreement(None), &params(10, 5000, 1, 1)),
        Err(ForecastError::Months(5000))
    );
    let f = forecast(&[], &agreement(None), &params(10, 0, 1, 1)).unwrap();
    assert!(f.months.is_empty());
}
