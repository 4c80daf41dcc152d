//! Exact money: amounts are `rust_decimal::Decimal`, written as strings with two decimals.

use rust_decimal::Decimal;
use serde::Serializer;

/// Parses a non-negative amount with at most two decimals (`54.35`, `60`, `60.0`).
///
/// More than two decimals is refused rather than rounded: every billed amount is then an
/// exact product of a rate and a whole number of person-days, so no invoice ever rounds.
pub(crate) fn parse_amount(s: &str) -> Option<Decimal> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits_ok = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    if !digits_ok(int) || int.len() > 15 {
        return None;
    }
    if let Some(f) = frac
        && (!digits_ok(f) || f.len() > 2)
    {
        return None;
    }
    s.parse::<Decimal>().ok()
}

/// Formats an amount with exactly two decimals. Inputs are exact to the cent, so the
/// precision here never rounds for invoice amounts; cost-comparison totals are rounded to
/// the cent before they get here.
pub fn format_money(d: &Decimal) -> String {
    format!("{:.2}", d)
}

pub(crate) fn ser_money<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_money(d))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(format_money(&parse_amount("54.35").unwrap()), "54.35");
        assert_eq!(format_money(&parse_amount("60").unwrap()), "60.00");
        assert_eq!(format_money(&parse_amount("0.5").unwrap()), "0.50");
        assert_eq!(format_money(&Decimal::ZERO), "0.00");
        let three = Decimal::from(3);
        assert_eq!(
            format_money(&(three * parse_amount("54.35").unwrap())),
            "163.05"
        );
        for bad in [
            "54.355", "-1.00", "1e3", "", ".5", "5.", "1_000", " 5", "NaN", "54,35",
        ] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }
}
