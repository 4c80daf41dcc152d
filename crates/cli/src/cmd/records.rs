//! `custodia import records FILE`: JSON Lines, each `{"person_id": …, "record": {…}}` (the
//! record in CONTRACT §1's shape), or `{"class_id": …, "record": {…}}` for a class-wide
//! order. Parsing happens here; every rule of entry (roles, counsel's clients, no record
//! from the future, atomic and idempotent) is `custodia_app::records::enter`.

use custodia_app::records::{Entry, Subject, enter};
use custodia_model::legal::VersionedRecord;

use crate::ctx::{ActorArg, app_err, open_store};
use crate::error::{CliError, CliResult};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    #[serde(default)]
    person_id: Option<String>,
    #[serde(default)]
    class_id: Option<String>,
    record: VersionedRecord,
}

/// Parses the file; the first bad line is an error naming it and the field.
fn parse(name: &str, text: &str) -> Result<Vec<Entry>, CliError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("`{name}`: line {}", i + 1);
        let l: Line = crate::io::parse_json(name, i + 1, line)?;
        let subject = match (l.person_id, l.class_id) {
            (Some(p), None) => Subject::Person(p),
            (None, Some(c)) => Subject::Class(c),
            _ => {
                return Err(CliError::input(format!(
                    "{at}: field `person_id`: expected exactly one of `person_id` or `class_id`"
                )));
            }
        };
        out.push(Entry {
            at,
            subject,
            record: l.record,
        });
    }
    Ok(out)
}

pub fn run(db: &str, who: &ActorArg, file: &std::path::Path) -> CliResult {
    let name = file.display().to_string();
    let entries = parse(&name, &crate::io::read_input(file)?)?;
    let mut store = open_store(db)?;
    let actor = who.actor(&mut store)?;
    let out = enter(&mut store, &actor, &entries).map_err(app_err)?;
    eprintln!(
        "records `{name}`: {} rows, {} new{}",
        entries.len(),
        out.added,
        if out.added == 0 {
            "; nothing new to record"
        } else {
            ""
        }
    );
    for m in &out.manifests_reopened {
        eprintln!(
            "manifest `{m}` was approved and carries a person this record concerns: it is back to `screened` and must be approved again"
        );
    }
    Ok(())
}
