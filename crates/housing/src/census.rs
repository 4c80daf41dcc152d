//! Daily census: how many persons each facility and pavilion held on each day.
//!
//! Midnight census, as in billing (CONTRACT §6): a placement counts on each day `D` with
//! `from ≤ D < to`; a placement that ends on the day it starts counts that one day; no
//! `to` means still there.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::StandardsError;

/// One stay of one person in one facility (and pavilion, when housed in a cell).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub person_id: String,
    pub facility_id: String,
    pub pavilion: Option<String>,
    pub from: Date,
    pub to: Option<Date>,
}

/// The count for one facility on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CensusDay {
    pub date: Date,
    pub facility_id: String,
    pub persons: u32,
    /// Persons per pavilion (pavilions with nobody that day are omitted).
    pub pavilions: BTreeMap<String, u32>,
    /// Persons present but not (yet) in a pavilion.
    pub without_pavilion: u32,
}

fn day_index(origin: Date, d: Date) -> i64 {
    // Days between two civil dates; both are valid dates, so this cannot overflow.
    origin
        .until(d)
        .map(|s| i64::from(s.get_days()))
        .unwrap_or(0)
}

/// Per-day counts per facility and pavilion for every day of `from..=to`, facilities in
/// id order, one row per facility per day (zeros included, so series are continuous).
pub fn daily_census(
    placements: &[Placement],
    from: Date,
    to: Date,
) -> Result<Vec<CensusDay>, StandardsError> {
    if from > to {
        return Err(StandardsError::BadPeriod {
            from: from.to_string(),
            to: to.to_string(),
        });
    }
    // One person is in one place at a time: overlapping stays would be counted twice.
    let mut by_person: HashMap<&str, Vec<(Date, Option<Date>)>> = HashMap::new();
    for p in placements {
        if let Some(t) = p.to
            && t < p.from
        {
            return Err(StandardsError::StayReversed {
                person: p.person_id.clone(),
                from: p.from.to_string(),
                to: t.to_string(),
            });
        }
        by_person
            .entry(p.person_id.as_str())
            .or_default()
            .push((p.from, p.to));
    }
    for (person, stays) in &mut by_person {
        stays.sort();
        for w in stays.windows(2) {
            let (f0, t0) = w[0];
            let (f1, _) = w[1];
            // The end of the first stay, exclusive; a same-day stay occupies its day.
            let overlaps = match t0 {
                None => true,
                Some(t) if t == f0 => f1 == f0,
                Some(t) => f1 < t,
            };
            if overlaps {
                return Err(StandardsError::StayOverlap {
                    person: (*person).to_string(),
                    date: f1.to_string(),
                });
            }
        }
    }
    let n_days = day_index(from, to) + 1;
    let n = n_days as usize;
    // Difference arrays per facility and per (facility, pavilion).
    let mut fac: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut pav: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
    let mut nopav: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for p in placements {
        let start = day_index(from, p.from);
        let end = match p.to {
            None => n_days,
            Some(t) if t == p.from => start + 1,
            Some(t) => day_index(from, t),
        };
        let (s, e) = (start.clamp(0, n_days), end.clamp(0, n_days));
        let f = fac
            .entry(p.facility_id.as_str())
            .or_insert_with(|| vec![0; n + 1]);
        if s >= e {
            continue;
        }
        f[s as usize] += 1;
        f[e as usize] -= 1;
        let d = match &p.pavilion {
            Some(pv) => pav
                .entry((p.facility_id.as_str(), pv.as_str()))
                .or_insert_with(|| vec![0; n + 1]),
            None => nopav
                .entry(p.facility_id.as_str())
                .or_insert_with(|| vec![0; n + 1]),
        };
        d[s as usize] += 1;
        d[e as usize] -= 1;
    }
    let running = |v: &Vec<i64>| -> Vec<u32> {
        let mut acc = 0i64;
        v.iter()
            .take(n)
            .map(|x| {
                acc += x;
                acc.max(0) as u32
            })
            .collect()
    };
    let fac_counts: BTreeMap<&str, Vec<u32>> = fac.iter().map(|(k, v)| (*k, running(v))).collect();
    let pav_counts: BTreeMap<(&str, &str), Vec<u32>> =
        pav.iter().map(|(k, v)| (*k, running(v))).collect();
    let nopav_counts: BTreeMap<&str, Vec<u32>> =
        nopav.iter().map(|(k, v)| (*k, running(v))).collect();
    let mut out = Vec::with_capacity(n * fac_counts.len());
    let mut date = from;
    for i in 0..n {
        for (f, counts) in &fac_counts {
            let pavilions = pav_counts
                .range((*f, "")..)
                .take_while(|((ff, _), _)| ff == f)
                .filter(|(_, c)| c[i] > 0)
                .map(|((_, p), c)| ((*p).to_string(), c[i]))
                .collect();
            out.push(CensusDay {
                date,
                facility_id: (*f).to_string(),
                persons: counts[i],
                pavilions,
                without_pavilion: nopav_counts.get(f).map_or(0, |c| c[i]),
            });
        }
        if i + 1 < n {
            date = date.tomorrow().unwrap_or(date);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn pl(p: &str, f: &str, pv: Option<&str>, from: Date, to: Option<Date>) -> Placement {
        Placement {
            person_id: p.into(),
            facility_id: f.into(),
            pavilion: pv.map(Into::into),
            from,
            to,
        }
    }

    #[test]
    fn midnight_census_with_moves_and_same_day_stays() {
        let ps = vec![
            // Moves from P1 to P2 on the 3rd: counted in P1 on 1st-2nd, in P2 from the 3rd.
            pl(
                "a",
                "CECOT",
                Some("P1"),
                date(2025, 3, 1),
                Some(date(2025, 3, 3)),
            ),
            pl("a", "CECOT", Some("P2"), date(2025, 3, 3), None),
            // Released on the day of admission: counts that day only.
            pl("b", "CECOT", None, date(2025, 3, 2), Some(date(2025, 3, 2))),
            pl(
                "c",
                "GTMO",
                Some("X"),
                date(2025, 2, 1),
                Some(date(2025, 3, 2)),
            ),
        ];
        let out = daily_census(&ps, date(2025, 3, 1), date(2025, 3, 4)).unwrap();
        assert_eq!(out.len(), 8);
        let get = |d: Date, f: &str| {
            out.iter()
                .find(|x| x.date == d && x.facility_id == f)
                .unwrap()
        };
        assert_eq!(get(date(2025, 3, 1), "CECOT").persons, 1);
        assert_eq!(get(date(2025, 3, 2), "CECOT").persons, 2);
        assert_eq!(get(date(2025, 3, 2), "CECOT").without_pavilion, 1);
        assert_eq!(get(date(2025, 3, 3), "CECOT").pavilions.get("P2"), Some(&1));
        assert_eq!(get(date(2025, 3, 3), "CECOT").pavilions.get("P1"), None);
        assert_eq!(get(date(2025, 3, 1), "GTMO").persons, 1);
        assert_eq!(get(date(2025, 3, 2), "GTMO").persons, 0);
    }

    #[test]
    fn overlapping_stays_are_refused() {
        let ps = vec![
            pl("a", "F", None, date(2025, 3, 1), Some(date(2025, 3, 5))),
            pl("a", "G", None, date(2025, 3, 4), None),
        ];
        let e = daily_census(&ps, date(2025, 3, 1), date(2025, 3, 9)).unwrap_err();
        assert!(e.to_string().contains("`a`"), "{e}");
    }

    #[test]
    fn reversed_period_is_refused() {
        assert!(daily_census(&[], date(2025, 3, 2), date(2025, 3, 1)).is_err());
    }
}
