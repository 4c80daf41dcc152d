//! The oversight report (`custodia report overrides`, the auditor page): every approval of a
//! `needs_review` passenger with its justification and approver, every refused departure,
//! every identity correction, and every late record that sent a manifest back.

use custodia_store::Store;
use custodia_store::auth::DepartureRefusal;
use custodia_store::law::{ApprovalJustification, Correction, Reopening};
use serde::Serialize;

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overrides {
    /// `YYYY-MM` when limited to a month.
    pub month: Option<String>,
    pub approved_needs_review: Vec<ApprovalJustification>,
    pub refused_departures: Vec<DepartureRefusal>,
    pub corrections: Vec<CorrectionLine>,
    pub late_records: Vec<Reopening>,
}

/// A correction with when it was proposed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorrectionLine {
    #[serde(flatten)]
    pub correction: Correction,
    pub proposed_at: String,
    pub confirmed_at: Option<String>,
}

/// Builds the report (auditors, supervisors and admins), optionally for one month (`YYYY-MM`,
/// by when each thing happened).
pub fn overrides(store: &mut Store, actor: &Actor, month: Option<&str>) -> Result<Overrides> {
    if !matches!(
        actor.role,
        Role::Auditor | Role::SendingSupervisor | Role::Admin
    ) {
        return Err(AppError::Forbidden(format!(
            "role `{}` may not read the oversight report",
            actor.role
        )));
    }
    if let Some(m) = month {
        let ok = m.len() == 7 && custodia_model::legal::parse_date(&format!("{m}-01")).is_ok();
        if !ok {
            return Err(AppError::Invalid(format!(
                "field `month`: `{m}` is not a month, expected YYYY-MM"
            )));
        }
    }
    let within = |at: &str| month.is_none_or(|m| at.starts_with(m));
    let approved_needs_review = store
        .approval_justifications()?
        .into_iter()
        .filter(|a| within(&a.at))
        .collect();
    let refused_departures = store
        .departure_refusals()?
        .into_iter()
        .filter(|r| within(&r.at))
        .collect();
    let mut corrections = Vec::new();
    for c in store.corrections(None)? {
        let proposed_at = store.leaf_instant(c.proposed_seq)?;
        let confirmed_at = match c.confirmed_seq {
            Some(s) => Some(store.leaf_instant(s)?),
            None => None,
        };
        if within(&proposed_at) || confirmed_at.as_deref().is_some_and(within) {
            corrections.push(CorrectionLine {
                correction: c,
                proposed_at,
                confirmed_at,
            });
        }
    }
    let late_records = store
        .reopenings()?
        .into_iter()
        .filter(|r| within(&r.at))
        .collect();
    Ok(Overrides {
        month: month.map(str::to_string),
        approved_needs_review,
        refused_departures,
        corrections,
        late_records,
    })
}
