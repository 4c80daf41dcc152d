//! Billing in the store: invoices computed from the ledger's stays for each agreement,
//! issued as ledger events; a later correction is a credit or debit note that refers to the
//! original, never an edit. Cost comparison and forecasts over the same stays.

use std::str::FromStr;

use custodia_billing::{
    Agreement, CostLine, CostParams, Forecast, ForecastParams, Invoice, Month, Rate, Stay,
};
use custodia_model::events::{AgreementRecord, EventData, NewEvent};
use custodia_store::Store;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};
use crate::screening::from_store;

/// Converts a registered agreement to the billing engine's.
pub fn to_agreement(a: &AgreementRecord) -> Result<Agreement> {
    let dec = |x: &str, field: &str| {
        Decimal::from_str(x).map_err(|_| {
            AppError::Invalid(format!(
                "agreement `{}`: field `{field}`: `{x}` is not a decimal",
                a.id
            ))
        })
    };
    Ok(Agreement {
        id: a.id.clone(),
        facility_id: a.facility_id.clone(),
        currency: a.currency.clone(),
        start: a.start,
        end: a.end,
        reserved_beds: a.reserved_beds,
        over_reserved_per_person_day: a
            .over_reserved_per_person_day
            .as_deref()
            .map(|x| dec(x, "over_reserved_per_person_day"))
            .transpose()?,
        rates: a
            .rates
            .iter()
            .map(|r| {
                Ok(Rate {
                    from: r.from,
                    per_person_day: dec(&r.per_person_day, "per_person_day")?,
                })
            })
            .collect::<Result<Vec<_>>>()?,
    })
}

/// The agreements registered.
pub fn agreements(store: &mut Store) -> Result<Vec<AgreementRecord>> {
    store.view(|r| r.agreements()).map_err(from_store)
}

fn agreement(store: &mut Store, id: &str) -> Result<Agreement> {
    let a = agreements(store)?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| AppError::NotFound(format!("no agreement `{id}`")))?;
    to_agreement(&a)
}

/// Every stay at a facility, from the ledger.
pub fn stays(store: &mut Store, facility: &str) -> Result<Vec<Stay>> {
    Ok(store
        .view(|r| r.stays(facility))
        .map_err(from_store)?
        .into_iter()
        .map(|x| Stay {
            person_id: x.person_id,
            facility_id: x.facility_id,
            admitted_on: x.admitted_on,
            released_on: x.released_on,
        })
        .collect())
}

/// The invoice a month's stays give now (nothing written).
pub fn compute(store: &mut Store, agreement_id: &str, month: Month) -> Result<Invoice> {
    let a = agreement(store, agreement_id)?;
    let st = stays(store, &a.facility_id)?;
    custodia_billing::invoice(&a, &st, month)
        .map_err(|e| AppError::Invalid(format!("stays at `{}`: {e:?}", a.facility_id)))
}

/// An issued invoice and its notes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssuedInvoice {
    pub id: String,
    pub agreement_id: String,
    pub month: String,
    pub person_days: u64,
    pub total: String,
    pub notes: Vec<Note>,
    /// The total after notes.
    pub balance: String,
}

/// A credit or debit note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub id: String,
    pub kind: String,
    pub amount: String,
    pub reason: String,
}

/// Every issued invoice.
pub fn issued(store: &mut Store) -> Result<Vec<IssuedInvoice>> {
    Ok(store
        .view(|r| r.issued_invoices())
        .map_err(from_store)?
        .into_iter()
        .map(|i| IssuedInvoice {
            balance: custodia_billing::format_money(&i.balance()),
            total: custodia_billing::format_money(&i.total),
            notes: i
                .notes
                .into_iter()
                .map(|n| Note {
                    id: n.id,
                    kind: n.kind,
                    amount: custodia_billing::format_money(&n.amount),
                    reason: n.reason,
                })
                .collect(),
            id: i.id,
            agreement_id: i.agreement_id,
            month: i.month,
            person_days: i.person_days,
        })
        .collect())
}

fn billing_role(actor: &Actor) -> Result<()> {
    if matches!(actor.role, Role::Admin | Role::SendingSupervisor) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "role `{}` may not issue invoices",
            actor.role
        )))
    }
}

/// Issues the month's invoice as a ledger event. Issuing twice is refused: correct with
/// [`correct`].
pub fn issue(
    store: &mut Store,
    actor: &Actor,
    agreement_id: &str,
    month: Month,
) -> Result<(String, Invoice)> {
    billing_role(actor)?;
    let inv = compute(store, agreement_id, month)?;
    let id = format!("INV-{agreement_id}-{month}");
    let now = store.clock().now();
    store
        .transact(|tx| {
            if tx.reads().invoice_exists(&id)? {
                return Err(custodia_store::StoreError::Conflict(format!("invoice `{id}` is already issued; a change is a credit or debit note (`invoice correct`)")));
            }
            tx.emit(NewEvent {
                occurred_at: now,
                actor: actor.id(),
                data: EventData::InvoiceIssued {
                    invoice_id: id.clone(),
                    agreement_id: agreement_id.into(),
                    month: month.to_string(),
                    person_days: inv.person_days,
                    total: custodia_billing::format_money(&inv.total),
                },
            });
            Ok(())
        })
        .map_err(from_store)?;
    Ok((id, inv))
}

/// Recomputes an issued invoice from the ledger as it stands and issues a credit or debit
/// note for the difference from the invoice's balance (nothing when there is none).
pub fn correct(
    store: &mut Store,
    actor: &Actor,
    invoice_id: &str,
    reason: &str,
) -> Result<Option<Note>> {
    billing_role(actor)?;
    if reason.trim().is_empty() {
        return Err(AppError::Invalid(
            "field `reason`: a correction states its reason".into(),
        ));
    }
    let inv = issued(store)?
        .into_iter()
        .find(|i| i.id == invoice_id)
        .ok_or_else(|| AppError::NotFound(format!("no invoice `{invoice_id}`")))?;
    let month: Month = inv
        .month
        .parse()
        .map_err(|_| AppError::Invalid(format!("invoice month `{}`", inv.month)))?;
    let now_total = compute(store, &inv.agreement_id, month)?.total;
    let balance = Decimal::from_str(&inv.balance).map_err(|_| {
        AppError::Invalid(format!("invoice `{invoice_id}`: balance `{}`", inv.balance))
    })?;
    let diff = now_total - balance;
    if diff.is_zero() {
        return Ok(None);
    }
    let note = Note {
        id: format!("{invoice_id}-N{}", inv.notes.len() + 1),
        kind: if diff > Decimal::ZERO {
            "debit".into()
        } else {
            "credit".into()
        },
        amount: custodia_billing::format_money(&diff.abs()),
        reason: reason.into(),
    };
    let now = store.clock().now();
    store
        .append(vec![NewEvent {
            occurred_at: now,
            actor: actor.id(),
            data: EventData::InvoiceAdjusted {
                note_id: note.id.clone(),
                invoice_id: invoice_id.into(),
                note_kind: note.kind.clone(),
                amount: note.amount.clone(),
                reason: note.reason.clone(),
            },
        }])
        .map_err(from_store)?;
    Ok(Some(note))
}

/// What the month's person-days would cost under each scheme.
pub fn costs(
    store: &mut Store,
    agreement_id: &str,
    month: Month,
) -> Result<(Invoice, Vec<CostLine>)> {
    let inv = compute(store, agreement_id, month)?;
    let lines = custodia_billing::cost_comparison(
        inv.person_days,
        month.first_day(),
        &CostParams::builtin(),
    );
    Ok((inv, lines))
}

/// A seeded Monte Carlo forecast from the ledger's stays.
pub fn forecast(
    store: &mut Store,
    agreement_id: &str,
    start_month: Month,
    months: u32,
    runs: u32,
    seed: u64,
) -> Result<Forecast> {
    let a = agreement(store, agreement_id)?;
    let st = stays(store, &a.facility_id)?;
    let capacity = store
        .view(|r| r.capacity_in_use(&a.facility_id))
        .map_err(from_store)?;
    let params = ForecastParams::new(capacity, start_month, months, runs, seed);
    custodia_billing::forecast(&st, &a, &params).map_err(|e| AppError::Invalid(e.to_string()))
}

/// One agreement's cost for a month, as the dashboard and the costs page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthCost {
    pub agreement: String,
    pub facility: String,
    /// `YYYY-MM`.
    pub month: String,
    pub person_days: u64,
    /// The total, formatted (`1234.50`).
    pub total: String,
    pub currency: String,
}

/// Every agreement's cost for a month ([`month_costs`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonthCosts {
    /// One line per agreement whose stays invoice.
    pub costs: Vec<MonthCost>,
    /// Agreements left out because their facility's stays overlap: the agreement's id and
    /// the conflict, for the caller to report.
    pub conflicts: Vec<(String, custodia_billing::StayConflict)>,
}

/// What each registered agreement costs in `month`, from the ledger's stays (nothing
/// written). A rate or a stay date that does not parse is an error naming it, never a
/// zero or a stay left out; an agreement whose stays overlap is listed in
/// [`MonthCosts::conflicts`] instead.
pub fn month_costs(store: &mut Store, month: Month) -> Result<MonthCosts> {
    let mut out = MonthCosts::default();
    for rec in agreements(store)? {
        let a = to_agreement(&rec)?;
        let st = stays(store, &a.facility_id)?;
        match custodia_billing::invoice(&a, &st, month) {
            Ok(inv) => out.costs.push(MonthCost {
                month: month.first_day().strftime("%Y-%m").to_string(),
                person_days: inv.person_days,
                total: custodia_billing::format_money(&inv.total),
                agreement: a.id,
                facility: a.facility_id,
                currency: a.currency,
            }),
            Err(e) => out.conflicts.push((a.id, e)),
        }
    }
    Ok(out)
}

/// The latest month with custody data under an agreement (the month of the last admission
/// or release at an agreement's facility), never the wall clock; `None` without stays.
pub fn latest_month(store: &mut Store) -> Result<Option<Month>> {
    let mut latest: Option<jiff::civil::Date> = None;
    for a in agreements(store)? {
        for x in stays(store, &a.facility_id)? {
            latest = latest.max(Some(x.admitted_on)).max(x.released_on);
        }
    }
    Ok(latest.map(Month::containing))
}
