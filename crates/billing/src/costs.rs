//! What the same person-days would cost under other schemes, from dated parameters.

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use toml::Spanned;

use crate::agreement::{AgreementError, line_of, toml_amount, toml_date};
use crate::money::ser_money;

/// The parameters shipped with the crate (`params/costs.toml`); see that file for sources.
pub const BUILTIN_COST_PARAMS_TOML: &str = include_str!("../params/costs.toml");

/// How a scheme prices a person-day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostBasis {
    /// A published daily figure.
    PerPersonDay(Decimal),
    /// A lump sum for `persons` people over `days` days.
    Lump {
        amount: Decimal,
        persons: u32,
        days: u32,
    },
}

/// One dated value of a scheme: in force from `start` until the next value's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostValue {
    pub start: Date,
    pub basis: CostBasis,
    pub source: String,
}

/// A named way of paying for detention, with its dated values (sorted by `start`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostScheme {
    pub id: String,
    pub label: String,
    pub values: Vec<CostValue>,
}

/// All schemes, in the order of the parameter file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CostParams {
    pub schemes: Vec<CostScheme>,
}

/// One line of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostLine {
    pub scheme: String,
    pub label: String,
    /// The value's start date.
    pub in_force_from: Date,
    /// Per person-day, rounded to the cent for display (a lump sum's quotient rarely ends
    /// at the cent).
    #[serde(serialize_with = "ser_money")]
    pub per_person_day: Decimal,
    /// `person_days` times the exact per person-day figure, rounded once to the cent
    /// (half away from zero); not the rounded `per_person_day` times `person_days`.
    #[serde(serialize_with = "ser_money")]
    pub total: Decimal,
    pub source: String,
}

/// Why a cost parameter file was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CostParamsError {
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error(transparent)]
    Value(#[from] AgreementError),
    #[error(
        "line {line}: scheme `{scheme}` value needs either `per_person_day` or all of `amount`, `persons` and `days` (positive)"
    )]
    Basis { line: usize, scheme: String },
    #[error("line {line}: scheme `{scheme}` has no `[[scheme.value]]` (expected at least one)")]
    NoValues { line: usize, scheme: String },
    #[error("line {line}: scheme `{scheme}` appears twice (expected unique ids)")]
    DuplicateScheme { line: usize, scheme: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    #[serde(default)]
    scheme: Vec<RawScheme>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScheme {
    id: Spanned<String>,
    label: String,
    #[serde(default)]
    value: Vec<Spanned<RawValue>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValue {
    start: Spanned<toml::Value>,
    source: String,
    per_person_day: Option<Spanned<toml::Value>>,
    amount: Option<Spanned<toml::Value>>,
    persons: Option<u32>,
    days: Option<u32>,
}

impl CostParams {
    /// The parameters shipped in the crate.
    #[expect(
        clippy::expect_used,
        reason = "the shipped file is parsed by a unit test"
    )]
    pub fn builtin() -> CostParams {
        CostParams::from_toml(BUILTIN_COST_PARAMS_TOML).expect("built-in cost parameters parse")
    }

    /// Parses a parameter file shaped like `params/costs.toml`.
    pub fn from_toml(text: &str) -> Result<CostParams, CostParamsError> {
        let raw: RawParams = toml::from_str(text).map_err(|e| CostParamsError::Syntax {
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let mut schemes: Vec<CostScheme> = Vec::new();
        for s in raw.scheme {
            let id = s.id.get_ref().clone();
            let line = line_of(text, s.id.span().start);
            if schemes.iter().any(|q| q.id == id) {
                return Err(CostParamsError::DuplicateScheme { line, scheme: id });
            }
            if s.value.is_empty() {
                return Err(CostParamsError::NoValues { line, scheme: id });
            }
            let mut values = Vec::new();
            for (i, v) in s.value.iter().enumerate() {
                let vline = line_of(text, v.span().start);
                let v = v.get_ref();
                let field = |f: &str| format!("{id}.value[{}].{f}", i + 1);
                let start = toml_date(text, &v.start, &field("start"))?;
                let basis = match (&v.per_person_day, &v.amount, v.persons, v.days) {
                    (Some(p), None, None, None) => {
                        CostBasis::PerPersonDay(toml_amount(text, p, &field("per_person_day"))?)
                    }
                    (None, Some(a), Some(persons), Some(days)) if persons > 0 && days > 0 => {
                        CostBasis::Lump {
                            amount: toml_amount(text, a, &field("amount"))?,
                            persons,
                            days,
                        }
                    }
                    _ => {
                        return Err(CostParamsError::Basis {
                            line: vline,
                            scheme: id,
                        });
                    }
                };
                values.push(CostValue {
                    start,
                    basis,
                    source: v.source.clone(),
                });
            }
            values.sort_by_key(|v| v.start);
            schemes.push(CostScheme {
                id,
                label: s.label,
                values,
            });
        }
        Ok(CostParams { schemes })
    }
}

impl CostScheme {
    /// The value in force on `on`: the latest `start` on or before it.
    pub fn value_on(&self, on: Date) -> Option<&CostValue> {
        self.values
            .iter()
            .filter(|v| v.start <= on)
            .max_by_key(|v| v.start)
    }
}

/// What `person_days` would cost under each scheme with a value in force on `on`, in the
/// order of `params` (schemes with no value yet in force on `on` are left out).
///
/// A lump sum is spread evenly: amount / (persons × days) per person-day, the total being
/// computed from that exact fraction and rounded once to the cent. Totals saturate at
/// `Decimal::MAX` rather than overflow (far beyond any real figure).
pub fn cost_comparison(person_days: u64, on: Date, params: &CostParams) -> Vec<CostLine> {
    let pd = Decimal::from(person_days);
    let cents = |d: Decimal| d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    params
        .schemes
        .iter()
        .filter_map(|s| {
            let v = s.value_on(on)?;
            let (per_person_day, total) = match &v.basis {
                CostBasis::PerPersonDay(r) => (*r, r.checked_mul(pd).unwrap_or(Decimal::MAX)),
                CostBasis::Lump {
                    amount,
                    persons,
                    days,
                } => {
                    let denom = Decimal::from(*persons) * Decimal::from(*days);
                    let per = amount.checked_div(denom).unwrap_or(Decimal::MAX);
                    let total = amount
                        .checked_mul(pd)
                        .and_then(|t| t.checked_div(denom))
                        .unwrap_or(Decimal::MAX);
                    (cents(per), cents(total))
                }
            };
            Some(CostLine {
                scheme: s.id.clone(),
                label: s.label.clone(),
                in_force_from: v.start,
                per_person_day,
                total,
                source: v.source.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::money::format_money;

    #[test]
    fn builtin_parses_and_compares() {
        let p = CostParams::from_toml(BUILTIN_COST_PARAMS_TOML).unwrap();
        assert_eq!(p, CostParams::builtin());
        let on = jiff::civil::date(2025, 6, 1);
        let lines = cost_comparison(109_500, on, &p);
        let get = |id: &str| lines.iter().find(|l| l.scheme == id).unwrap();
        // 300 people for a year: the $6 million exactly.
        assert_eq!(
            format_money(&get("us_sv_2025_reported").total),
            "6000000.00"
        );
        assert_eq!(
            format_money(&get("us_sv_2025_reported").per_person_day),
            "54.79"
        );
        assert_eq!(format_money(&get("us_sv_2025_filed").total), "4760000.00");
        assert_eq!(
            format_money(&get("us_sv_2025_filed").per_person_day),
            "43.47"
        );
        assert_eq!(format_money(&get("us_bop_fy2023").total), "13227600.00");
        assert!(
            get("us_ice_bed_day")
                .source
                .starts_with("parameter; source:")
        );
        for l in &lines {
            assert!(!l.source.is_empty());
        }
        // Before the arrangement, its lines are absent; BOP and ICE remain.
        let before = cost_comparison(10, jiff::civil::date(2024, 1, 1), &p);
        assert_eq!(
            before.iter().map(|l| l.scheme.as_str()).collect::<Vec<_>>(),
            ["us_bop_fy2023", "us_ice_bed_day"]
        );
        assert!(cost_comparison(10, jiff::civil::date(2020, 1, 1), &p).is_empty());
    }

    #[test]
    fn lump_totals_round_once() {
        let p = CostParams::builtin();
        let lines = cost_comparison(1, jiff::civil::date(2025, 6, 1), &p);
        let l = lines
            .iter()
            .find(|l| l.scheme == "us_sv_2025_reported")
            .unwrap();
        // 6,000,000 / 109,500 = 54.7945...
        assert_eq!(format_money(&l.total), "54.79");
        let lines = cost_comparison(1000, jiff::civil::date(2025, 6, 1), &p);
        let l = lines
            .iter()
            .find(|l| l.scheme == "us_sv_2025_reported")
            .unwrap();
        assert_eq!(format_money(&l.total), "54794.52");
    }

    #[test]
    fn dated_values_switch_on_their_start() {
        let t = r#"
[[scheme]]
id = "x"
label = "X"
[[scheme.value]]
start = "2025-01-01"
per_person_day = "10.00"
source = "a"
[[scheme.value]]
start = "2024-01-01"
per_person_day = "5.00"
source = "b"
"#;
        let p = CostParams::from_toml(t).unwrap();
        let at = |y, m, d| cost_comparison(2, jiff::civil::date(y, m, d), &p)[0].total;
        assert_eq!(at(2024, 12, 31), Decimal::from(10));
        assert_eq!(at(2025, 1, 1), Decimal::from(20));
        let bad = t.replace("\"5.00\"", "5.0");
        assert!(matches!(
            CostParams::from_toml(&bad),
            Err(CostParamsError::Value(AgreementError::Amount {
                line: 11,
                ..
            }))
        ));
        let bad = t.replace("per_person_day = \"5.00\"", "amount = \"5.00\"");
        assert!(matches!(
            CostParams::from_toml(&bad),
            Err(CostParamsError::Basis { .. })
        ));
    }
}
