//! Calendar helpers: strict date parsing, the `YYYY-MM` month, and day numbers.
//!
//! Billing and forecasting work on day numbers (days since 1970-01-01) so that a month's
//! census is a sweep over small integer offsets rather than repeated date arithmetic.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Serialize, Serializer};
use thiserror::Error;

/// Parses exactly `YYYY-MM-DD` (no time, no offset, no other spelling).
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    s.parse::<Date>().ok()
}

/// Days since 1970-01-01 (proleptic Gregorian), as in H. Hinnant's `days_from_civil`.
pub(crate) fn day_number(d: Date) -> i32 {
    let (y, m, day) = (
        i32::from(d.year()),
        i32::from(d.month()),
        i32::from(d.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`day_number`] (H. Hinnant's `civil_from_days`).
pub(crate) fn from_day_number(z: i32) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i32::from(m <= 2);
    // The arithmetic above always yields a valid civil date for the i32 range we use
    // (years -9999..=9999 come from jiff dates), so `date` cannot fail here.
    jiff::civil::date(y as i16, m as i8, d as i8)
}

/// A calendar month, written `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    first: Date,
}

/// A month that is not `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{0}` is not a month (expected YYYY-MM, like `2025-03`)")]
pub struct MonthError(pub String);

impl Month {
    /// The month `year`-`month`; `None` when out of range.
    pub fn new(year: i16, month: i8) -> Option<Month> {
        Date::new(year, month, 1).ok().map(|first| Month { first })
    }

    /// The month containing `date`.
    pub fn containing(date: Date) -> Month {
        Month {
            first: date.first_of_month(),
        }
    }

    /// Its first day.
    pub fn first_day(self) -> Date {
        self.first
    }

    /// Its last day.
    pub fn last_day(self) -> Date {
        self.first.last_of_month()
    }

    /// How many days it has (28 to 31).
    pub fn days(self) -> u32 {
        self.first.days_in_month() as u32
    }

    /// The month after this one (`None` past year 9999).
    pub fn next(self) -> Option<Month> {
        let (y, m) = (self.first.year(), self.first.month());
        if m == 12 {
            Month::new(y.checked_add(1)?, 1)
        } else {
            Month::new(y, m + 1)
        }
    }
}

impl FromStr for Month {
    type Err = MonthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || MonthError(s.to_string());
        let b = s.as_bytes();
        if b.len() != 7
            || b[4] != b'-'
            || !b
                .iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit())
        {
            return Err(err());
        }
        let year: i16 = s[..4].parse().map_err(|_| err())?;
        let month: i8 = s[5..].parse().map_err(|_| err())?;
        Month::new(year, month).ok_or_else(err)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.first.year(), self.first.month())
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_and_agree_with_jiff() {
        let epoch = jiff::civil::date(1970, 1, 1);
        for d in [
            jiff::civil::date(1970, 1, 1),
            jiff::civil::date(2000, 2, 29),
            jiff::civil::date(2028, 2, 29),
            jiff::civil::date(1899, 12, 31),
            jiff::civil::date(2100, 3, 1),
            jiff::civil::date(9999, 12, 31),
        ] {
            let n = day_number(d);
            assert_eq!(from_day_number(n), d);
            let span = epoch.until(d).unwrap();
            assert_eq!(i64::from(n), i64::from(span.get_days()), "{d}");
        }
        let mut d = jiff::civil::date(2023, 12, 25);
        for _ in 0..2000 {
            let next = d.tomorrow().unwrap();
            assert_eq!(day_number(next), day_number(d) + 1);
            assert_eq!(from_day_number(day_number(next)), next);
            d = next;
        }
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!("2028-02".parse::<Month>().unwrap().days(), 29);
        assert_eq!("2025-02".parse::<Month>().unwrap().days(), 28);
        assert_eq!(
            "2025-12"
                .parse::<Month>()
                .unwrap()
                .next()
                .unwrap()
                .to_string(),
            "2026-01"
        );
        for bad in [
            "2025-13",
            "2025-3",
            "25-03",
            "2025-03-01",
            "2025/03",
            "",
            "2025-00",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            parse_date("2025-03-15"),
            Some(jiff::civil::date(2025, 3, 15))
        );
        for bad in [
            "2025-02-29",
            "2025-3-15",
            "2025-03-15T00:00",
            "15/03/2025",
            " 2025-03-15",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
