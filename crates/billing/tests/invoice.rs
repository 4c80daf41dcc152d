//! Invoices: the contract's worked example, a table of edge cases, and a differential
//! property test against a naive per-person-per-day model.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use custodia_billing::{
    Agreement, Month, Rate, Stay, StayConflict, StaysError, check_stays, invoice, parse_agreement,
    parse_stays,
};
use jiff::civil::{Date, date};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn example(f: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/examples/billing")
        .join(f);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn worked_example_of_the_contract() {
    let a = parse_agreement(&example("agreement.toml")).unwrap();
    let s = parse_stays(&example("stays.csv")).unwrap();
    let month: Month = example("month.txt").trim().parse().unwrap();
    let inv = invoice(&a, &s.stays, month).unwrap();
    let got = serde_json::to_value(&inv).unwrap();
    let want: serde_json::Value = serde_json::from_str(&example("expected.json")).unwrap();
    assert_eq!(got, want);
}

const HEADER: &str = "person_id,facility_id,admitted_on,released_on\n";

fn agreement(extra: &str, rates: &[(&str, &str)]) -> Agreement {
    let mut t = format!("id = \"A\"\nfacility_id = \"F\"\ncurrency = \"USD\"\n{extra}\n");
    for (from, r) in rates {
        t += &format!("[[rate]]\nfrom = \"{from}\"\nper_person_day = \"{r}\"\n");
    }
    parse_agreement(&t).unwrap()
}

struct Want<'a> {
    person_days: u64,
    outside: u64,
    /// Only the days listed here are checked by amount; `n_days` checks how many were billed.
    days: &'a [(&'a str, u64, &'a str)],
    n_days: usize,
    persons: &'a [(&'a str, u64)],
    total: &'a str,
}

/// The one helper every table case goes through.
fn check(a: &Agreement, rows: &str, month: &str, want: Want<'_>) {
    let stays = parse_stays(&format!("{HEADER}{rows}")).unwrap();
    let inv = invoice(a, &stays.stays, month.parse().unwrap()).unwrap();
    let ctx = format!("{month}: {inv:#?}");
    assert_eq!(inv.person_days, want.person_days, "person_days {ctx}");
    assert_eq!(inv.days_outside_agreement, want.outside, "outside {ctx}");
    assert_eq!(inv.days.len(), want.n_days, "billed days {ctx}");
    for (d, n, amount) in want.days {
        let day = inv
            .days
            .iter()
            .find(|x| x.date.to_string() == *d)
            .unwrap_or_else(|| panic!("{d} not billed: {ctx}"));
        assert_eq!(
            (day.persons, format!("{:.2}", day.amount)),
            (*n, amount.to_string()),
            "{d} {ctx}"
        );
    }
    let persons: Vec<(String, u64)> = inv
        .persons
        .iter()
        .map(|p| (p.person_id.clone(), p.days))
        .collect();
    let want_persons: Vec<(String, u64)> = want
        .persons
        .iter()
        .map(|(p, d)| (p.to_string(), *d))
        .collect();
    assert_eq!(persons, want_persons, "{ctx}");
    assert_eq!(format!("{:.2}", inv.total), want.total, "total {ctx}");
    // Internal consistency.
    assert_eq!(
        inv.days.iter().map(|d| d.persons).sum::<u64>(),
        inv.person_days
    );
    assert_eq!(
        inv.persons.iter().map(|p| p.days).sum::<u64>(),
        inv.person_days
    );
    assert_eq!(
        inv.days.iter().map(|d| d.amount).sum::<Decimal>(),
        inv.total
    );
}

#[test]
fn rate_change_on_the_first_day_of_a_month() {
    let a = agreement(
        "start = \"2025-01-01\"",
        &[("2025-01-01", "50.00"), ("2025-04-01", "60.00")],
    );
    let rows = "P1,F,2025-02-01,\n";
    let w = |pd, days, total| Want {
        person_days: pd,
        outside: 0,
        days,
        n_days: pd as usize,
        persons: &[],
        total,
    };
    check(
        &a,
        rows,
        "2025-03",
        Want {
            persons: &[("P1", 31)],
            ..w(31, &[("2025-03-31", 1, "50.00")], "1550.00")
        },
    );
    check(
        &a,
        rows,
        "2025-04",
        Want {
            persons: &[("P1", 30)],
            ..w(30, &[("2025-04-01", 1, "60.00")], "1800.00")
        },
    );
}

#[test]
fn rate_change_on_the_last_day_of_a_month() {
    let a = agreement(
        "start = \"2025-01-01\"",
        &[("2025-01-01", "50.00"), ("2025-03-31", "70.00")],
    );
    check(
        &a,
        "P1,F,2025-02-01,\nP2,F,2025-03-30,2025-04-02\n",
        "2025-03",
        Want {
            person_days: 33,
            outside: 0,
            days: &[
                ("2025-03-29", 1, "50.00"),
                ("2025-03-30", 2, "100.00"),
                ("2025-03-31", 2, "140.00"),
            ],
            n_days: 31,
            persons: &[("P1", 31), ("P2", 2)],
            total: "1690.00",
        },
    );
}

#[test]
fn leap_year_february() {
    let a = agreement(
        "start = \"2027-01-01\"",
        &[("2027-01-01", "10.00"), ("2028-02-29", "20.00")],
    );
    check(
        &a,
        "P1,F,2027-12-01,\nP2,F,2028-02-28,2028-03-01\n",
        "2028-02",
        Want {
            person_days: 31,
            outside: 0,
            days: &[("2028-02-28", 2, "20.00"), ("2028-02-29", 2, "40.00")],
            n_days: 29,
            persons: &[("P1", 29), ("P2", 2)],
            total: "330.00",
        },
    );
}

#[test]
fn stay_starting_and_ending_the_same_day_bills_one_day() {
    let a = agreement("start = \"2025-01-01\"", &[("2025-01-01", "50.00")]);
    let rows =
        "P1,F,2025-03-16,2025-03-16\nP2,F,2025-03-31,2025-03-31\nP3,F,2025-03-31,2025-04-01\n";
    let want = Want {
        person_days: 3,
        outside: 0,
        days: &[("2025-03-16", 1, "50.00"), ("2025-03-31", 2, "100.00")],
        n_days: 2,
        persons: &[("P1", 1), ("P2", 1), ("P3", 1)],
        total: "150.00",
    };
    check(&a, rows, "2025-03", want);
    // Nothing spills into April: the release day is never billed.
    let none = Want {
        person_days: 0,
        outside: 0,
        days: &[],
        n_days: 0,
        persons: &[],
        total: "0.00",
    };
    check(&a, rows, "2025-04", none);
}

#[test]
fn reservation_crossed_mid_month() {
    let extra =
        "start = \"2025-01-01\"\nreserved_beds = 2\nover_reserved_per_person_day = \"90.00\"";
    let a = agreement(extra, &[("2025-01-01", "50.00")]);
    let rows = "P1,F,2025-02-01,\nP2,F,2025-02-01,\nP3,F,2025-03-16,2025-03-20\nP4,F,2025-03-18,2025-03-19\n";
    check(
        &a,
        rows,
        "2025-03",
        Want {
            person_days: 62 + 4 + 1,
            outside: 0,
            days: &[
                ("2025-03-15", 2, "100.00"),
                ("2025-03-16", 3, "190.00"),
                ("2025-03-18", 4, "280.00"),
                ("2025-03-19", 3, "190.00"),
                ("2025-03-20", 2, "100.00"),
            ],
            n_days: 31,
            persons: &[("P1", 31), ("P2", 31), ("P3", 4), ("P4", 1)],
            total: "3550.00",
        },
    );
    // Without an over-reservation rate, everyone is at the day's rate.
    let a = agreement(
        "start = \"2025-01-01\"\nreserved_beds = 2",
        &[("2025-01-01", "50.00")],
    );
    check(
        &a,
        rows,
        "2025-03",
        Want {
            person_days: 67,
            outside: 0,
            days: &[("2025-03-18", 4, "200.00")],
            n_days: 31,
            persons: &[("P1", 31), ("P2", 31), ("P3", 4), ("P4", 1)],
            total: "3350.00",
        },
    );
    // Zero reserved beds: everyone is over the reservation.
    let a = agreement(
        "start = \"2025-01-01\"\nreserved_beds = 0\nover_reserved_per_person_day = \"1.00\"",
        &[("2025-01-01", "50.00")],
    );
    check(
        &a,
        "P1,F,2025-03-30,\n",
        "2025-03",
        Want {
            person_days: 2,
            outside: 0,
            days: &[("2025-03-30", 1, "1.00")],
            n_days: 2,
            persons: &[("P1", 2)],
            total: "2.00",
        },
    );
}

#[test]
fn agreement_starting_and_ending_mid_month() {
    let a = agreement(
        "start = \"2025-03-15\"\nend = \"2025-04-10\"",
        &[("2025-03-15", "50.00")],
    );
    let rows = "P1,F,2025-03-01,\nP2,F,2025-04-05,2025-04-15\n";
    check(
        &a,
        rows,
        "2025-03",
        Want {
            person_days: 17,
            outside: 14,
            days: &[("2025-03-15", 1, "50.00")],
            n_days: 17,
            persons: &[("P1", 17)],
            total: "850.00",
        },
    );
    check(
        &a,
        rows,
        "2025-04",
        Want {
            person_days: 10 + 6,
            outside: 20 + 4,
            days: &[("2025-04-10", 2, "100.00")],
            n_days: 10,
            persons: &[("P1", 10), ("P2", 6)],
            total: "800.00",
        },
    );
    // The first day in force and the last, on the month's edges.
    let a = agreement(
        "start = \"2025-03-31\"\nend = \"2025-03-31\"",
        &[("2025-03-31", "50.00")],
    );
    check(
        &a,
        rows,
        "2025-03",
        Want {
            person_days: 1,
            outside: 30,
            days: &[("2025-03-31", 1, "50.00")],
            n_days: 1,
            persons: &[("P1", 1)],
            total: "50.00",
        },
    );
}

#[test]
fn days_before_the_first_rate_are_outside() {
    let a = agreement("start = \"2025-03-01\"", &[("2025-03-10", "50.00")]);
    check(
        &a,
        "P1,F,2025-03-01,2025-03-12\n",
        "2025-03",
        Want {
            person_days: 2,
            outside: 9,
            days: &[("2025-03-11", 1, "50.00")],
            n_days: 2,
            persons: &[("P1", 2)],
            total: "100.00",
        },
    );
}

#[test]
fn other_facilities_and_other_months_are_ignored_and_empty_release_is_held() {
    let a = agreement("start = \"2024-01-01\"", &[("2024-01-01", "50.00")]);
    let rows = "P1,OTHER,2025-03-01,\nP2,F,2024-05-01,\nP3,F,2024-01-01,2025-03-01\nP4,F,2025-04-01,\nP5,f,2025-03-01,\n";
    check(
        &a,
        rows,
        "2025-03",
        Want {
            person_days: 31,
            outside: 0,
            days: &[("2025-03-01", 1, "50.00")],
            n_days: 31,
            persons: &[("P2", 31)],
            total: "1550.00",
        },
    );
}

#[test]
fn one_person_with_several_stays_in_the_month() {
    let a = agreement("start = \"2024-01-01\"", &[("2024-01-01", "50.00")]);
    check(
        &a,
        "P1,F,2025-03-01,2025-03-05\nP1,F,2025-03-05,2025-03-05\nP1,F,2025-03-20,\nP1,X,2025-03-06,2025-03-19\n",
        "2025-03",
        Want {
            person_days: 4 + 1 + 12,
            outside: 0,
            days: &[("2025-03-05", 1, "50.00")],
            n_days: 17,
            persons: &[("P1", 17)],
            total: "850.00",
        },
    );
}

#[test]
fn overlaps_and_release_before_admission_name_the_rows() {
    let a = agreement("start = \"2024-01-01\"", &[("2024-01-01", "50.00")]);
    let t = parse_stays(&format!(
        "{HEADER}P1,F,2025-03-01,2025-03-10\nP2,F,2025-03-01,\nP1,F,2025-03-09,2025-03-12\n"
    ))
    .unwrap();
    let e = invoice(&a, &t.stays, "2025-03".parse().unwrap()).unwrap_err();
    assert_eq!(
        e,
        StayConflict::Overlap {
            person_id: "P1".into(),
            first: 0,
            second: 2
        }
    );
    let located = t.locate(&e);
    assert_eq!(
        located,
        StaysError::Overlap {
            person_id: "P1".into(),
            first_line: 2,
            second_line: 4
        }
    );
    assert!(
        located
            .to_string()
            .starts_with("lines 2 and 4: two stays of person `P1`"),
        "{located}"
    );
    // An open stay overlaps everything after it.
    let t = parse_stays(&format!(
        "{HEADER}P1,F,2025-03-01,\nP1,F,2026-01-01,2026-01-02\n"
    ))
    .unwrap();
    assert!(invoice(&a, &t.stays, "2024-01".parse().unwrap()).is_err());
    // At another facility, the same rows are fine for this agreement.
    let t = parse_stays(&format!(
        "{HEADER}P1,X,2025-03-01,2025-03-10\nP1,X,2025-03-09,2025-03-12\n"
    ))
    .unwrap();
    assert!(invoice(&a, &t.stays, "2025-03".parse().unwrap()).is_ok());
    // A release before admission: the parser names the line; hand-built stays are caught too.
    let e = parse_stays(&format!(
        "{HEADER}P1,F,2025-03-01,\nP2,F,2025-03-10,2025-03-09\n"
    ))
    .unwrap_err();
    assert!(
        matches!(e, StaysError::ReleaseBeforeAdmission { line: 3, .. }),
        "{e:?}"
    );
    let bad = vec![Stay {
        person_id: "P".into(),
        facility_id: "F".into(),
        admitted_on: date(2025, 3, 10),
        released_on: Some(date(2025, 3, 9)),
    }];
    assert!(matches!(
        check_stays("F", &bad),
        Err(StayConflict::ReleaseBeforeAdmission { index: 0, .. })
    ));
}

// ---- The differential property test -------------------------------------------------

const BASE: Date = date(2027, 11, 1);

fn day(n: i64) -> Date {
    BASE.checked_add(jiff::Span::new().days(n)).unwrap()
}

/// (person_days, days_outside_agreement, days, persons, total)
type Model = (
    u64,
    u64,
    Vec<(Date, u64, Decimal)>,
    BTreeMap<String, u64>,
    Decimal,
);

/// The independent model: for every day, look at every person and every stay.
fn naive(a: &Agreement, stays: &[Stay], month: Month) -> Model {
    let mut persons: Vec<&str> = stays.iter().map(|s| s.person_id.as_str()).collect();
    persons.sort();
    persons.dedup();
    let (mut pd, mut outside, mut days, mut per, mut total) =
        (0, 0, Vec::new(), BTreeMap::new(), Decimal::ZERO);
    let mut d = month.first_day();
    while d <= month.last_day() {
        let present: Vec<&str> = persons
            .iter()
            .copied()
            .filter(|p| {
                stays.iter().any(|s| {
                    s.person_id == *p
                        && s.facility_id == a.facility_id
                        && s.admitted_on <= d
                        && match s.released_on {
                            None => true,
                            Some(r) if r == s.admitted_on => d == r,
                            Some(r) => d < r,
                        }
                })
            })
            .collect();
        let in_force = d >= a.start && a.end.is_none_or(|e| d <= e);
        let rate = a
            .rates
            .iter()
            .filter(|r| r.from <= d)
            .max_by_key(|r| r.from);
        match (in_force, rate) {
            (true, Some(rate)) if !present.is_empty() => {
                let mut amount = Decimal::ZERO;
                for (i, p) in present.iter().enumerate() {
                    let within = a.reserved_beds.is_none_or(|r| (i as u64) < u64::from(r));
                    amount += if within {
                        rate.per_person_day
                    } else {
                        a.over_reserved_per_person_day
                            .unwrap_or(rate.per_person_day)
                    };
                    *per.entry(p.to_string()).or_insert(0) += 1;
                }
                pd += present.len() as u64;
                total += amount;
                days.push((d, present.len() as u64, amount));
            }
            (true, Some(_)) => {}
            _ => outside += present.len() as u64,
        }
        d = d.tomorrow().unwrap();
    }
    (pd, outside, days, per, total)
}

fn cents() -> impl Strategy<Value = Decimal> {
    (0u32..20_000).prop_map(|c| Decimal::new(i64::from(c), 2))
}

fn arb_agreement() -> impl Strategy<Value = Agreement> {
    (
        0i64..150,
        prop::option::of(0i64..150),
        prop::collection::vec((0i64..180, cents()), 1..4),
        prop::option::of(0u32..5),
        prop::option::of(cents()),
    )
        .prop_map(|(start, len, rates, reserved, over)| {
            let mut rates: Vec<Rate> = rates
                .into_iter()
                .map(|(f, r)| Rate {
                    from: day(f),
                    per_person_day: r,
                })
                .collect();
            rates.sort_by_key(|r| r.from);
            rates.dedup_by_key(|r| r.from);
            Agreement {
                id: "A".into(),
                facility_id: "F".into(),
                currency: "USD".into(),
                start: day(start),
                end: len.map(|l| day(start + l)),
                reserved_beds: reserved,
                over_reserved_per_person_day: reserved.and(over),
                rates,
            }
        })
}

/// Non-overlapping stays per person (gaps and lengths random, the last possibly open),
/// plus stays at another facility that may overlap anything.
fn arb_stays() -> impl Strategy<Value = Vec<Stay>> {
    let person = (
        prop::collection::vec((0i64..25, 0i64..40), 0..4),
        any::<bool>(),
        0i64..60,
    );
    (
        prop::collection::vec(person, 0..7),
        prop::collection::vec((0usize..7, 0i64..170, 0i64..30), 0..4),
    )
        .prop_map(|(persons, others)| {
            let mut out = Vec::new();
            for (i, (stays, last_open, offset)) in persons.iter().enumerate() {
                let mut cur = *offset;
                for (k, (gap, len)) in stays.iter().enumerate() {
                    let adm = cur + gap;
                    let open = *last_open && k + 1 == stays.len();
                    out.push(Stay {
                        person_id: format!("P{i}"),
                        facility_id: "F".into(),
                        admitted_on: day(adm),
                        released_on: if open { None } else { Some(day(adm + len)) },
                    });
                    cur = if *len == 0 { adm + 1 } else { adm + len };
                }
            }
            for (p, adm, len) in others {
                out.push(Stay {
                    person_id: format!("P{p}"),
                    facility_id: "G".into(),
                    admitted_on: day(adm),
                    released_on: Some(day(adm + len)),
                });
            }
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn invoice_matches_the_naive_model(a in arb_agreement(), stays in arb_stays(), m in 0usize..6) {
        let month = ["2027-11", "2027-12", "2028-01", "2028-02", "2028-03", "2028-04"][m].parse::<Month>().unwrap();
        let inv = invoice(&a, &stays, month).unwrap();
        let (pd, outside, days, per, total) = naive(&a, &stays, month);
        prop_assert_eq!(inv.person_days, pd);
        prop_assert_eq!(inv.days_outside_agreement, outside);
        let got_days: Vec<(Date, u64, Decimal)> = inv.days.iter().map(|d| (d.date, d.persons, d.amount)).collect();
        prop_assert_eq!(got_days, days);
        let got_per: BTreeMap<String, u64> = inv.persons.iter().map(|p| (p.person_id.clone(), p.days)).collect();
        prop_assert_eq!(got_per, per);
        prop_assert_eq!(inv.total, total);
        // persons sorted by id.
        prop_assert!(inv.persons.windows(2).all(|w| w[0].person_id < w[1].person_id));
    }

    #[test]
    fn an_overlap_added_at_the_facility_is_always_refused(stays in arb_stays(), pick in any::<prop::sample::Index>(), shift in 0i64..30) {
        let facility: Vec<&Stay> = stays.iter().filter(|s| s.facility_id == "F").collect();
        prop_assume!(!facility.is_empty());
        let s = facility[pick.index(facility.len())].clone();
        // A second stay of the same person that shares at least the first census day.
        let end = match s.released_on { Some(r) if r > s.admitted_on => r, _ => s.admitted_on.tomorrow().unwrap() };
        let start_back = s.admitted_on.checked_sub(jiff::Span::new().days(shift)).unwrap();
        let mut more = stays.clone();
        more.push(Stay { released_on: Some(end), admitted_on: start_back, ..s });
        let a = Agreement { id: "A".into(), facility_id: "F".into(), currency: "USD".into(), start: BASE, end: None, reserved_beds: None, over_reserved_per_person_day: None, rates: vec![Rate { from: BASE, per_person_day: Decimal::ONE }] };
        let refused = matches!(invoice(&a, &more, "2028-01".parse().unwrap()), Err(StayConflict::Overlap { .. }));
        prop_assert!(refused);
    }
}
