//! `custodia import records FILE` (JSON Lines of `{"person_id": …, "record": {…}}`, the
//! record in CONTRACT §1's shape): atomic and idempotent, in the spirit of CONTRACT §5.

use custodia_model::events::{EventData, NewEvent};
use custodia_model::legal::Record;
use custodia_store::backend::Value;

use crate::ctx::{ActorArg, open_store, store_err};
use crate::error::{CliError, CliResult};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    person_id: String,
    record: Record,
}

/// Parses the file; the first bad line is an error naming it.
fn parse(name: &str, text: &str) -> Result<Vec<(String, Record)>, CliError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(line)
            .map_err(|e| CliError::input(format!("`{name}`: line {}: {e}", i + 1)))?;
        out.push((l.person_id, l.record));
    }
    Ok(out)
}

pub fn run(db: &str, who: &ActorArg, file: &std::path::Path) -> CliResult {
    let actor = who.actor()?;
    if !actor.role.is_sending() && actor.role != custodia_app::Role::Admin {
        return Err(CliError::input(format!(
            "forbidden: role `{}` may not record legal records",
            actor.role
        )));
    }
    let name = file.display().to_string();
    let rows = parse(&name, &crate::io::read_input(file)?)?;
    let mut store = open_store(db)?;
    let now = store.clock().now();
    let mut added = 0u64;
    store
        .transact(|tx| {
            added = 0;
            for (i, (pid, rec)) in rows.iter().enumerate() {
                if tx.query("SELECT id FROM persons WHERE id = ?", &[pid.as_str().into()])?.is_empty() {
                    return Err(custodia_store::StoreError::Invalid(format!("`{name}`: record {}: field `person_id`: no person `{pid}` in the store", i + 1)));
                }
                let body = serde_json::to_string(rec)?;
                let dup = tx.query("SELECT seq FROM legal_records WHERE person_id = ? AND body = ?", &[pid.as_str().into(), Value::from(body)])?;
                let queued = tx.pending().iter().any(|e| matches!(&e.data, EventData::LegalRecordAdded { person_id, record } if person_id == pid && record == rec));
                if dup.is_empty() && !queued {
                    added += 1;
                    tx.emit(NewEvent { occurred_at: now, actor: actor.id(), data: EventData::LegalRecordAdded { person_id: pid.clone(), record: rec.clone() } });
                }
            }
            Ok(())
        })
        .map_err(store_err)?;
    eprintln!(
        "records `{name}`: {} rows, {added} new{}",
        rows.len(),
        if added == 0 {
            "; nothing new to record"
        } else {
            ""
        }
    );
    Ok(())
}
