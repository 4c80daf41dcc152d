//! Reads behind CONTRACT §9: manifests sent back by late records, identity corrections,
//! class-wide orders, the oversight report and counsel's notices. SQL only; the decisions
//! are the application's.

use serde::Serialize;

use crate::backend::{Conn, Value};
use crate::error::{Result, StoreError};
use crate::store::Store;

fn text(r: &[Value], i: usize) -> String {
    r.get(i).and_then(Value::opt_str).unwrap_or_default()
}

fn int(r: &[Value], i: usize, table: &str) -> Result<i64> {
    r.get(i).and_then(Value::as_i64).ok_or_else(|| {
        StoreError::Corrupt(format!("table `{table}`: column {i} is not an integer"))
    })
}

/// An approved manifest sent back to `screened`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reopening {
    pub seq: i64,
    pub manifest_id: String,
    pub person_id: String,
    /// `legal_record:<type>`, `correction:<id>`, `class_order:<class>` or `class_tag:<class>`.
    pub cause: String,
    pub at: String,
    pub actor: String,
}

/// An identity correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub id: String,
    pub person_id: String,
    pub field: String,
    pub value: String,
    pub reason: String,
    pub proposed_by: String,
    pub proposed_seq: i64,
    /// `proposed` or `confirmed`.
    pub state: String,
    pub confirmed_by: Option<String>,
    pub confirmed_seq: Option<i64>,
}

/// A justification given for approving a `needs_review` passenger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalJustification {
    pub seq: i64,
    pub manifest_id: String,
    pub person_id: String,
    pub text: String,
    pub approver: String,
    pub at: String,
}

/// The instant (`occurred_at`) of leaf `seq`, from its bytes.
fn leaf_time(c: &mut dyn Conn, seq: i64) -> Result<String> {
    let rows = c.query("SELECT body FROM ledger WHERE seq = ?", &[seq.into()])?;
    let body = rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::opt_str)
        .ok_or_else(|| StoreError::Corrupt(format!("ledger: no leaf {seq}")))?;
    let leaf = custodia_model::events::Leaf::from_bytes(body.as_bytes())
        .map_err(|e| StoreError::Corrupt(format!("ledger leaf {seq}: {e}")))?;
    Ok(leaf.occurred_at.to_string())
}

/// Reads a correction row.
pub fn correction(c: &mut dyn Conn, id: &str) -> Result<Option<Correction>> {
    let rows = c.query(
        "SELECT id, person_id, field, value, reason, proposed_by, proposed_seq, state, confirmed_by, confirmed_seq \
         FROM corrections WHERE id = ?",
        &[id.into()],
    )?;
    rows.first().map(|r| correction_row(r)).transpose()
}

fn correction_row(r: &[Value]) -> Result<Correction> {
    Ok(Correction {
        id: text(r, 0),
        person_id: text(r, 1),
        field: text(r, 2),
        value: text(r, 3),
        reason: text(r, 4),
        proposed_by: text(r, 5),
        proposed_seq: int(r, 6, "corrections")?,
        state: text(r, 7),
        confirmed_by: r.get(8).and_then(Value::opt_str),
        confirmed_seq: r.get(9).and_then(Value::as_i64),
    })
}

/// The number of corrections ever proposed (for the next id).
pub fn correction_count(c: &mut dyn Conn) -> Result<i64> {
    let rows = c.query("SELECT COUNT(*) FROM corrections", &[])?;
    int(rows.first().map_or(&[][..], |r| &r[..]), 0, "corrections")
}

/// The records of every class-wide order for the classes the person is tagged with, oldest
/// first, as stored JSON.
pub fn class_orders_for(c: &mut dyn Conn, person_id: &str) -> Result<Vec<String>> {
    let rows = c.query(
        "SELECT o.body FROM class_orders o JOIN person_classes pc ON pc.class_id = o.class_id \
         WHERE pc.person_id = ? ORDER BY o.seq",
        &[person_id.into()],
    )?;
    Ok(rows.iter().map(|r| text(r, 0)).collect())
}

impl Store {
    /// Manifests sent back to `screened` at or after leaf `seq`.
    pub fn manifests_reopened_since(&mut self, seq: u64) -> Result<Vec<String>> {
        let seq = i64::try_from(seq).map_err(|_| StoreError::Invalid("seq too large".into()))?;
        self.read(|c| {
            let rows = c.query(
                "SELECT DISTINCT manifest_id FROM manifest_reopened WHERE seq >= ? ORDER BY manifest_id",
                &[seq.into()],
            )?;
            Ok(rows.iter().map(|r| text(r, 0)).collect())
        })
    }

    /// Every reopening, oldest first, with when and by whom.
    pub fn reopenings(&mut self) -> Result<Vec<Reopening>> {
        self.read(|c| {
            let rows = c.query(
                "SELECT seq, manifest_id, person_id, cause FROM manifest_reopened ORDER BY seq, manifest_id, person_id",
                &[],
            )?;
            let mut out = Vec::new();
            for r in rows {
                let seq = int(&r, 0, "manifest_reopened")?;
                let (at, actor) = leaf_time_actor(c, seq)?;
                out.push(Reopening {
                    seq,
                    manifest_id: text(&r, 1),
                    person_id: text(&r, 2),
                    cause: text(&r, 3),
                    at,
                    actor,
                });
            }
            Ok(out)
        })
    }

    /// Every correction, oldest first.
    pub fn corrections(&mut self, person_id: Option<&str>) -> Result<Vec<Correction>> {
        self.read(|c| {
            let rows = match person_id {
                Some(p) => c.query(
                    "SELECT id, person_id, field, value, reason, proposed_by, proposed_seq, state, confirmed_by, confirmed_seq \
                     FROM corrections WHERE person_id = ? ORDER BY proposed_seq",
                    &[p.into()],
                )?,
                None => c.query(
                    "SELECT id, person_id, field, value, reason, proposed_by, proposed_seq, state, confirmed_by, confirmed_seq \
                     FROM corrections ORDER BY proposed_seq",
                    &[],
                )?,
            };
            rows.iter().map(|r| correction_row(r)).collect()
        })
    }

    /// Every justification given for a `needs_review` approval, oldest first.
    pub fn approval_justifications(&mut self) -> Result<Vec<ApprovalJustification>> {
        self.read(|c| {
            let rows = c.query(
                "SELECT seq, manifest_id, person_id, text, approver FROM approval_justifications ORDER BY seq, person_id",
                &[],
            )?;
            let mut out = Vec::new();
            for r in rows {
                let seq = int(&r, 0, "approval_justifications")?;
                out.push(ApprovalJustification {
                    seq,
                    manifest_id: text(&r, 1),
                    person_id: text(&r, 2),
                    text: text(&r, 3),
                    approver: text(&r, 4),
                    at: leaf_time(c, seq)?,
                });
            }
            Ok(out)
        })
    }

    /// The instant of a leaf (`occurred_at`).
    pub fn leaf_instant(&mut self, seq: i64) -> Result<String> {
        self.read(|c| leaf_time(c, seq))
    }

    /// The persons `counsel` (an actor id, `counsel:name`) represents.
    pub fn clients_of(&mut self, counsel: &str) -> Result<Vec<String>> {
        self.read(|c| {
            let rows = c.query(
                "SELECT person_id FROM counsel WHERE counsel = ? ORDER BY person_id",
                &[counsel.into()],
            )?;
            Ok(rows.iter().map(|r| text(r, 0)).collect())
        })
    }

    /// The leaves that concern any of `persons`, oldest first: every event indexed for them
    /// (`person_events`) and every event of a manifest they are or were on. At most `limit`
    /// leaves after `after`.
    pub fn leaves_about(
        &mut self,
        persons: &[String],
        after: i64,
        limit: i64,
    ) -> Result<Vec<custodia_model::events::Leaf>> {
        self.read(|c| {
            let mut seqs = std::collections::BTreeSet::new();
            let mut manifests = std::collections::BTreeSet::new();
            for p in persons {
                for r in c.query(
                    "SELECT seq FROM person_events WHERE person_id = ? AND seq > ?",
                    &[p.as_str().into(), after.into()],
                )? {
                    seqs.insert(int(&r, 0, "person_events")?);
                }
                for r in c.query(
                    "SELECT DISTINCT manifest_id FROM screenings WHERE person_id = ? AND manifest_id IS NOT NULL",
                    &[p.as_str().into()],
                )? {
                    manifests.insert(text(&r, 0));
                }
                for r in c.query(
                    "SELECT manifest_id FROM manifest_passengers WHERE person_id = ?",
                    &[p.as_str().into()],
                )? {
                    manifests.insert(text(&r, 0));
                }
            }
            for m in &manifests {
                for r in c.query(
                    "SELECT seq FROM manifest_events WHERE manifest_id = ? AND seq > ?",
                    &[m.as_str().into(), after.into()],
                )? {
                    seqs.insert(int(&r, 0, "manifest_events")?);
                }
            }
            let mut out = Vec::new();
            for seq in seqs.into_iter().take(usize::try_from(limit).unwrap_or(usize::MAX)) {
                let rows = c.query("SELECT body FROM ledger WHERE seq = ?", &[seq.into()])?;
                let body = rows
                    .first()
                    .and_then(|r| r.first())
                    .and_then(Value::opt_str)
                    .ok_or_else(|| StoreError::Corrupt(format!("ledger: no leaf {seq}")))?;
                out.push(
                    custodia_model::events::Leaf::from_bytes(body.as_bytes())
                        .map_err(|e| StoreError::Corrupt(format!("ledger leaf {seq}: {e}")))?,
                );
            }
            Ok(out)
        })
    }
}

fn leaf_time_actor(c: &mut dyn Conn, seq: i64) -> Result<(String, String)> {
    let rows = c.query("SELECT body FROM ledger WHERE seq = ?", &[seq.into()])?;
    let body = rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::opt_str)
        .ok_or_else(|| StoreError::Corrupt(format!("ledger: no leaf {seq}")))?;
    let leaf = custodia_model::events::Leaf::from_bytes(body.as_bytes())
        .map_err(|e| StoreError::Corrupt(format!("ledger leaf {seq}: {e}")))?;
    Ok((leaf.occurred_at.to_string(), leaf.actor))
}
