//! One month's invoice under an agreement (CONTRACT §6).

use std::collections::HashMap;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::agreement::{Agreement, split_amount};
use crate::calendar::{Month, day_number, from_day_number};
use crate::money::ser_money;
use crate::stays::{Stay, StayConflict, check_stays};

/// One billed day: someone present and the agreement in force with a rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceDay {
    #[serde(rename = "date")]
    pub date: Date,
    #[serde(rename = "persons")]
    pub persons: u64,
    #[serde(rename = "amount", serialize_with = "ser_money")]
    pub amount: Decimal,
}

/// A person's billed days in the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonDays {
    #[serde(rename = "person_id")]
    pub person_id: String,
    #[serde(rename = "days")]
    pub days: u64,
}

/// The invoice; its JSON form (via `serde`) is CONTRACT §6's output, field for field.
/// Every field is renamed explicitly so that renaming a Rust field cannot change the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invoice {
    #[serde(rename = "agreement")]
    pub agreement: String,
    #[serde(rename = "month")]
    pub month: Month,
    #[serde(rename = "currency")]
    pub currency: String,
    /// Billed person-days (the sum of `days[].persons` and of `persons[].days`).
    #[serde(rename = "person_days")]
    pub person_days: u64,
    /// Person-days in the month outside `start..=end` or before the first rate.
    #[serde(rename = "days_outside_agreement")]
    pub days_outside_agreement: u64,
    /// Billed days in date order.
    #[serde(rename = "days")]
    pub days: Vec<InvoiceDay>,
    /// Persons with at least one billed day, sorted by `person_id` (byte order).
    #[serde(rename = "persons")]
    pub persons: Vec<PersonDays>,
    #[serde(rename = "total", serialize_with = "ser_money")]
    pub total: Decimal,
}

/// Computes the invoice for `month`.
///
/// Only stays at `agreement.facility_id` count. A person is present on day D when
/// `admitted_on <= D < released_on` (midnight census; a stay released on its admission day
/// bills that day). Day D is billed when the agreement is in force and a rate applies;
/// otherwise its person-days go to `days_outside_agreement`.
///
/// Rounding: none. Rates have at most two decimals ([`crate::parse_agreement`] refuses
/// more) and are multiplied by whole person counts, so every amount and the total are
/// exact to the cent.
///
/// Cost: one pass over the stays (clip each to the month, add +1/-1 at its ends in a
/// 31-slot difference array) plus a sort of the facility's stays for the overlap check:
/// O(n log n) in the number of stays, independent of how long they are.
///
/// Errors when two stays of one person at the facility overlap, or a release precedes
/// an admission; the error names the stays by index in `stays`.
pub fn invoice(
    agreement: &Agreement,
    stays: &[Stay],
    month: Month,
) -> Result<Invoice, StayConflict> {
    check_stays(&agreement.facility_id, stays)?;

    let m0 = day_number(month.first_day());
    let n_days = month.days() as i32;
    let m_end = m0 + n_days;
    // Billable window in day numbers: in force and after the first rate.
    let first_rate = agreement.rates.iter().map(|r| r.from).min();
    let bill_from = match first_rate {
        Some(f) => day_number(agreement.start).max(day_number(f)),
        None => i32::MAX,
    };
    let bill_end = agreement.end.map_or(i32::MAX, |e| day_number(e) + 1);

    let mut diff = vec![0i64; n_days as usize + 1];
    let mut per_person: HashMap<&str, u64> = HashMap::new();
    let mut outside: u64 = 0;
    for s in stays
        .iter()
        .filter(|s| s.facility_id == agreement.facility_id)
    {
        let (first, end) = s.census_range();
        let (a, b) = (first.max(m0), end.min(m_end));
        if a >= b {
            continue;
        }
        diff[(a - m0) as usize] += 1;
        diff[(b - m0) as usize] -= 1;
        let (ba, bb) = (a.max(bill_from), b.min(bill_end));
        let billed = if ba < bb { (bb - ba) as u64 } else { 0 };
        outside += (b - a) as u64 - billed;
        if billed > 0 {
            *per_person.entry(s.person_id.as_str()).or_insert(0) += billed;
        }
    }

    let mut days = Vec::new();
    let mut total = Decimal::ZERO;
    let mut person_days = 0u64;
    let mut present: i64 = 0;
    for (off, delta) in diff.iter().take(n_days as usize).enumerate() {
        present += delta;
        let d = m0 + off as i32;
        if present <= 0 || d < bill_from || d >= bill_end {
            continue;
        }
        let date = from_day_number(d);
        let Some(rate) = agreement.rate_on(date) else {
            continue;
        };
        let persons = present as u64;
        let amount = split_amount(
            persons,
            rate.per_person_day,
            agreement.reserved_beds,
            agreement.over_reserved_per_person_day,
        );
        total += amount;
        person_days += persons;
        days.push(InvoiceDay {
            date,
            persons,
            amount,
        });
    }

    let mut persons: Vec<PersonDays> = per_person
        .into_iter()
        .map(|(p, days)| PersonDays {
            person_id: p.to_string(),
            days,
        })
        .collect();
    persons.sort_unstable_by(|a, b| a.person_id.cmp(&b.person_id));

    Ok(Invoice {
        agreement: agreement.id.clone(),
        month,
        currency: agreement.currency.clone(),
        person_days,
        days_outside_agreement: outside,
        days,
        persons,
        total,
    })
}
