//! Billing reads: agreements, stays, issued invoices and their notes.

use custodia_model::events::AgreementRecord;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;

use super::Reads;
use crate::decode::rows;
use crate::error::Result;

/// A stay at a facility, as the projection holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stay {
    pub person_id: String,
    pub facility_id: String,
    pub admitted_on: Date,
    pub released_on: Option<Date>,
}

/// An issued invoice with its credit and debit notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedInvoice {
    pub id: String,
    pub agreement_id: String,
    pub month: String,
    pub person_days: u64,
    pub total: Decimal,
    pub notes: Vec<InvoiceNote>,
    pub seq: u64,
}

/// A credit or debit note on an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceNote {
    pub id: String,
    /// `credit` or `debit`.
    pub kind: String,
    pub amount: Decimal,
    pub reason: String,
}

impl IssuedInvoice {
    /// The total after notes.
    pub fn balance(&self) -> Decimal {
        self.notes.iter().fold(self.total, |acc, n| {
            if n.kind == "credit" {
                acc - n.amount
            } else {
                acc + n.amount
            }
        })
    }
}

impl Reads<'_> {
    /// The agreements registered, by id.
    pub fn agreements(&mut self) -> Result<Vec<AgreementRecord>> {
        let r = self.query("SELECT id, body FROM agreements ORDER BY id", &[])?;
        rows("agreements", &["id", "body"], &r, |a| {
            a.json(1, "an agreement record")
        })
    }

    /// Every stay at a facility, in ledger order.
    pub fn stays(&mut self, facility: &str) -> Result<Vec<Stay>> {
        let r = self.query(
            "SELECT person_id, facility_id, admitted_on, released_on FROM stays WHERE facility_id = ? ORDER BY seq",
            &[facility.into()],
        )?;
        rows(
            "stays",
            &["person_id", "facility_id", "admitted_on", "released_on"],
            &r,
            |a| {
                Ok(Stay {
                    person_id: a.text(0)?,
                    facility_id: a.text(1)?,
                    admitted_on: a.date(2)?,
                    released_on: a.opt_date(3)?,
                })
            },
        )
    }

    /// Every issued invoice with its notes, in issue order.
    pub fn issued_invoices(&mut self) -> Result<Vec<IssuedInvoice>> {
        let r = self.query(
            "SELECT id, agreement_id, month, person_days, total, seq FROM invoices ORDER BY seq",
            &[],
        )?;
        let mut out = rows(
            "invoices",
            &["id", "agreement_id", "month", "person_days", "total", "seq"],
            &r,
            |a| {
                Ok(IssuedInvoice {
                    id: a.text(0)?,
                    agreement_id: a.text(1)?,
                    month: a.text(2)?,
                    person_days: a.u64(3)?,
                    total: a.decimal(4)?,
                    notes: Vec::new(),
                    seq: a.u64(5)?,
                })
            },
        )?;
        for inv in &mut out {
            let r = self.query(
                "SELECT id, kind, amount, reason FROM invoice_notes WHERE invoice_id = ? ORDER BY seq",
                &[inv.id.as_str().into()],
            )?;
            inv.notes = rows(
                "invoice_notes",
                &["id", "kind", "amount", "reason"],
                &r,
                |a| {
                    Ok(InvoiceNote {
                        id: a.text(0)?,
                        kind: a.text(1)?,
                        amount: a.decimal(2)?,
                        reason: a.text(3)?,
                    })
                },
            )?;
        }
        Ok(out)
    }

    /// Whether an invoice with this id was issued.
    pub fn invoice_exists(&mut self, id: &str) -> Result<bool> {
        self.exists("SELECT id FROM invoices WHERE id = ?", &[id.into()])
    }
}

/// When a stay's dates fall, for "the latest month with custody data".
pub fn latest_day(stays: &[Stay]) -> Option<Date> {
    stays
        .iter()
        .flat_map(|s| [Some(s.admitted_on), s.released_on])
        .flatten()
        .max()
}
