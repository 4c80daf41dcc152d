//! The agreement (CONTRACT §6): who is billed, from when, at which dated rates.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;

use crate::calendar::parse_date;
use crate::money::parse_amount;

/// One dated rate: from `from` on (until the next rate), each person-day costs `per_person_day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub from: Date,
    pub per_person_day: Decimal,
}

/// A billing agreement for one facility.
///
/// [`parse_agreement`] guarantees what the billing code relies on: `rates` is non-empty,
/// sorted by `from` with no date repeated, `end` (when given) is not before `start`, and
/// `over_reserved_per_person_day` only comes with `reserved_beds`. Code that builds an
/// `Agreement` by hand should call [`Agreement::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub id: String,
    pub facility_id: String,
    /// ISO 4217 code, e.g. `USD`.
    pub currency: String,
    /// First day in force.
    pub start: Date,
    /// Last day in force (inclusive); `None`: open-ended.
    pub end: Option<Date>,
    pub reserved_beds: Option<u32>,
    /// Rate for persons above `reserved_beds`; the day's rate applies when absent.
    pub over_reserved_per_person_day: Option<Decimal>,
    pub rates: Vec<Rate>,
}

impl Agreement {
    /// Whether `day` lies within `start..=end`.
    pub fn in_force(&self, day: Date) -> bool {
        day >= self.start && self.end.is_none_or(|e| day <= e)
    }

    /// The rate with the latest `from` on or before `day`, if any.
    pub fn rate_on(&self, day: Date) -> Option<&Rate> {
        // Rates are few; a scan is robust even for hand-built, unsorted agreements.
        self.rates
            .iter()
            .filter(|r| r.from <= day)
            .max_by_key(|r| r.from)
    }

    /// What one day with `persons` present costs, or `None` when the day is not billed
    /// (outside `start..=end`, or before the first rate).
    ///
    /// CONTRACT §6: the first `reserved_beds` persons at the day's rate, the rest at
    /// `over_reserved_per_person_day` (the day's rate when that is absent).
    pub fn day_amount(&self, day: Date, persons: u64) -> Option<Decimal> {
        if !self.in_force(day) {
            return None;
        }
        let rate = self.rate_on(day)?.per_person_day;
        Some(split_amount(
            persons,
            rate,
            self.reserved_beds,
            self.over_reserved_per_person_day,
        ))
    }

    /// Checks the invariants [`parse_agreement`] guarantees (line numbers are 0).
    pub fn validate(&self) -> Result<(), AgreementError> {
        if self.rates.is_empty() {
            return Err(AgreementError::NoRates);
        }
        if let Some(end) = self.end
            && end < self.start
        {
            return Err(AgreementError::EndBeforeStart {
                line: 0,
                start: self.start,
                end,
            });
        }
        let mut froms: Vec<Date> = self.rates.iter().map(|r| r.from).collect();
        froms.sort();
        if let Some(w) = froms.windows(2).find(|w| w[0] == w[1]) {
            return Err(AgreementError::DuplicateRate {
                line: 0,
                index: 0,
                from: w[0],
            });
        }
        if self.over_reserved_per_person_day.is_some() && self.reserved_beds.is_none() {
            return Err(AgreementError::OverRateWithoutReservation { line: 0 });
        }
        Ok(())
    }
}

/// `min(n, reserved)` persons at `rate`, the rest at `over` (or `rate`).
pub(crate) fn split_amount(
    persons: u64,
    rate: Decimal,
    reserved: Option<u32>,
    over: Option<Decimal>,
) -> Decimal {
    let within = reserved.map_or(persons, |r| persons.min(u64::from(r)));
    let above = persons - within;
    let mut amount = Decimal::from(within) * rate;
    if above > 0 {
        amount += Decimal::from(above) * over.unwrap_or(rate);
    }
    amount
}

/// Why an agreement file was refused. `line` is 1-based in the TOML text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AgreementError {
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error(
        "line {line}, field `{field}`: `{value}` is not an amount (expected a string with at most two decimals, like \"54.35\")"
    )]
    Amount {
        line: usize,
        field: String,
        value: String,
    },
    #[error("line {line}, field `{field}`: `{value}` is not a date (expected YYYY-MM-DD)")]
    Date {
        line: usize,
        field: String,
        value: String,
    },
    #[error("line {line}, field `{field}`: is empty (expected a non-empty identifier)")]
    Empty { line: usize, field: String },
    #[error(
        "line {line}, field `currency`: `{value}` is not a currency code (expected three upper-case letters, like `USD`)"
    )]
    Currency { line: usize, value: String },
    #[error(
        "line {line}, field `reserved_beds`: `{value}` is not a number of beds (expected a whole number from 0 to 4294967295)"
    )]
    ReservedBeds { line: usize, value: i64 },
    #[error(
        "line {line}, field `end`: `{end}` is before `start` `{start}` (expected the last day in force, on or after the first)"
    )]
    EndBeforeStart { line: usize, start: Date, end: Date },
    #[error(
        "line {line}, field `over_reserved_per_person_day`: given without `reserved_beds` (expected both, or neither)"
    )]
    OverRateWithoutReservation { line: usize },
    #[error("no `[[rate]]` table (expected at least one, with `from` and `per_person_day`)")]
    NoRates,
    #[error(
        "line {line}, field `rate[{index}].from`: `{from}` repeats the date of an earlier rate (expected one rate per date)"
    )]
    DuplicateRate {
        line: usize,
        index: usize,
        from: Date,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgreement {
    id: Spanned<String>,
    facility_id: Spanned<String>,
    currency: Spanned<String>,
    start: Spanned<toml::Value>,
    #[serde(default)]
    end: Option<Spanned<toml::Value>>,
    #[serde(default)]
    reserved_beds: Option<Spanned<i64>>,
    #[serde(default)]
    over_reserved_per_person_day: Option<Spanned<toml::Value>>,
    #[serde(default)]
    rate: Vec<RawRate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRate {
    from: Spanned<toml::Value>,
    per_person_day: Spanned<toml::Value>,
}

/// 1-based line of byte offset `at` in `text`.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    let end = at.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A date written as a string (`"2025-03-15"`) or as a bare TOML date (`2025-03-15`).
pub(crate) fn toml_date(
    text: &str,
    v: &Spanned<toml::Value>,
    field: &str,
) -> Result<Date, AgreementError> {
    let parsed = match v.get_ref() {
        toml::Value::String(s) => parse_date(s),
        toml::Value::Datetime(dt) => parse_date(&dt.to_string()),
        _ => None,
    };
    parsed.ok_or_else(|| AgreementError::Date {
        line: line_of(text, v.span().start),
        field: field.to_string(),
        value: value_text(v.get_ref()),
    })
}

/// An amount written as a string; a whole TOML integer is exact too and is accepted, but a
/// TOML float is refused because it may already have lost cents.
pub(crate) fn toml_amount(
    text: &str,
    v: &Spanned<toml::Value>,
    field: &str,
) -> Result<Decimal, AgreementError> {
    let parsed = match v.get_ref() {
        toml::Value::String(s) => parse_amount(s),
        toml::Value::Integer(i) if *i >= 0 => Some(Decimal::from(*i)),
        _ => None,
    };
    parsed.ok_or_else(|| AgreementError::Amount {
        line: line_of(text, v.span().start),
        field: field.to_string(),
        value: value_text(v.get_ref()),
    })
}

/// Parses and validates an agreement written as CONTRACT §6 shows.
pub fn parse_agreement(text: &str) -> Result<Agreement, AgreementError> {
    let raw: RawAgreement = toml::from_str(text).map_err(|e| AgreementError::Syntax {
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    let line = |s: &std::ops::Range<usize>| line_of(text, s.start);
    let nonempty = |v: &Spanned<String>, field: &str| {
        let s = v.get_ref().trim();
        if s.is_empty() {
            Err(AgreementError::Empty {
                line: line(&v.span()),
                field: field.to_string(),
            })
        } else {
            Ok(s.to_string())
        }
    };
    let id = nonempty(&raw.id, "id")?;
    let facility_id = nonempty(&raw.facility_id, "facility_id")?;
    let currency = raw.currency.get_ref().clone();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(AgreementError::Currency {
            line: line(&raw.currency.span()),
            value: currency,
        });
    }
    let start = toml_date(text, &raw.start, "start")?;
    let end = match &raw.end {
        Some(v) => {
            let end = toml_date(text, v, "end")?;
            if end < start {
                return Err(AgreementError::EndBeforeStart {
                    line: line(&v.span()),
                    start,
                    end,
                });
            }
            Some(end)
        }
        None => None,
    };
    let reserved_beds = match &raw.reserved_beds {
        Some(v) => Some(
            u32::try_from(*v.get_ref()).map_err(|_| AgreementError::ReservedBeds {
                line: line(&v.span()),
                value: *v.get_ref(),
            })?,
        ),
        None => None,
    };
    let over_reserved_per_person_day = match &raw.over_reserved_per_person_day {
        Some(v) => {
            if reserved_beds.is_none() {
                return Err(AgreementError::OverRateWithoutReservation {
                    line: line(&v.span()),
                });
            }
            Some(toml_amount(text, v, "over_reserved_per_person_day")?)
        }
        None => None,
    };
    if raw.rate.is_empty() {
        return Err(AgreementError::NoRates);
    }
    let mut rates: Vec<(usize, Rate)> = Vec::with_capacity(raw.rate.len());
    for (i, r) in raw.rate.iter().enumerate() {
        let n = i + 1;
        let from = toml_date(text, &r.from, &format!("rate[{n}].from"))?;
        let per_person_day = toml_amount(
            text,
            &r.per_person_day,
            &format!("rate[{n}].per_person_day"),
        )?;
        if let Some((_, _)) = rates.iter().find(|(_, q)| q.from == from) {
            return Err(AgreementError::DuplicateRate {
                line: line(&r.from.span()),
                index: n,
                from,
            });
        }
        rates.push((
            n,
            Rate {
                from,
                per_person_day,
            },
        ));
    }
    rates.sort_by_key(|(_, r)| r.from);
    Ok(Agreement {
        id,
        facility_id,
        currency,
        start,
        end,
        reserved_beds,
        over_reserved_per_person_day,
        rates: rates.into_iter().map(|(_, r)| r).collect(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const GOOD: &str = r#"id = "US-SV-2025"
facility_id = "CECOT"
currency = "USD"
start = "2025-03-15"
end = "2026-03-14"
reserved_beds = 300
over_reserved_per_person_day = "90.00"

[[rate]]
from = "2025-09-01"
per_person_day = "60.00"

[[rate]]
from = "2025-03-15"
per_person_day = "54.35"
"#;

    #[test]
    fn parses_the_contract_example_and_sorts_rates() {
        let a = parse_agreement(GOOD).unwrap();
        assert_eq!(a.id, "US-SV-2025");
        assert_eq!(a.reserved_beds, Some(300));
        assert_eq!(a.rates[0].from, jiff::civil::date(2025, 3, 15));
        assert_eq!(a.rates[1].per_person_day, "60.00".parse().unwrap());
        assert_eq!(
            a.rate_on(jiff::civil::date(2025, 8, 31))
                .unwrap()
                .per_person_day,
            "54.35".parse().unwrap()
        );
        assert!(a.validate().is_ok());
    }

    #[test]
    fn bare_toml_dates_and_integer_amounts_are_exact_and_accepted() {
        let t = "id='a'\nfacility_id='F'\ncurrency='USD'\nstart=2025-01-01\n[[rate]]\nfrom=2025-01-01\nper_person_day=60\n";
        let a = parse_agreement(t).unwrap();
        assert_eq!(a.rates[0].per_person_day, Decimal::from(60));
        assert_eq!(a.end, None);
    }

    fn err(t: &str) -> AgreementError {
        parse_agreement(t).unwrap_err()
    }

    #[test]
    fn malformed_amounts_name_field_and_line() {
        let t = GOOD.replace("\"54.35\"", "\"54.355\"");
        let e = err(&t);
        assert_eq!(
            e,
            AgreementError::Amount {
                line: 15,
                field: "rate[2].per_person_day".into(),
                value: "54.355".into()
            }
        );
        assert!(
            e.to_string()
                .contains("line 15, field `rate[2].per_person_day`: `54.355`"),
            "{e}"
        );
        let t = GOOD.replace("\"90.00\"", "90.0");
        assert!(
            matches!(err(&t), AgreementError::Amount { line: 7, ref field, .. } if field == "over_reserved_per_person_day")
        );
        let t = GOOD.replace("\"60.00\"", "\"sixty\"");
        assert!(matches!(err(&t), AgreementError::Amount { line: 11, .. }));
    }

    #[test]
    fn other_refusals() {
        assert!(matches!(
            err(&GOOD.replace("2026-03-14", "2025-03-01")),
            AgreementError::EndBeforeStart { line: 5, .. }
        ));
        assert!(matches!(
            err(&GOOD.replace("2026-03-14", "2026-02-30")),
            AgreementError::Date { line: 5, .. }
        ));
        assert!(matches!(
            err(&GOOD.replace("\"USD\"", "\"usd\"")),
            AgreementError::Currency { line: 3, .. }
        ));
        assert!(matches!(
            err(&GOOD.replace("= 300", "= -1")),
            AgreementError::ReservedBeds { line: 6, value: -1 }
        ));
        assert!(matches!(
            err(&GOOD.replace("reserved_beds = 300\n", "")),
            AgreementError::OverRateWithoutReservation { line: 6 }
        ));
        assert!(matches!(
            err(&GOOD.replace("2025-09-01", "2025-03-15")),
            AgreementError::DuplicateRate {
                line: 14,
                index: 2,
                ..
            }
        ));
        let no_rates = GOOD.split("[[rate]]").next().unwrap();
        assert_eq!(err(no_rates), AgreementError::NoRates);
        let e = err(&GOOD.replace("reserved_beds", "reserved_bed"));
        assert!(matches!(e, AgreementError::Syntax { line: 6, .. }), "{e:?}");
        assert!(e.to_string().contains("reserved_bed"), "{e}");
        let e = err(&GOOD.replace("id = \"US-SV-2025\"\n", ""));
        assert!(e.to_string().contains("`id`"), "{e}");
        assert!(matches!(
            err(&GOOD.replace("\"CECOT\"", "\"  \"")),
            AgreementError::Empty { line: 2, .. }
        ));
    }
}
