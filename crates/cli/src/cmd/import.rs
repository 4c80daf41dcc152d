//! `custodia import persons FILE` (CONTRACT §5): atomic, idempotent.

use std::path::PathBuf;

use custodia_model::events::{CustodyStatus, PersonRecord};
use custodia_model::legal::CountryCode;
use custodia_store::commands::PersonImport;

use crate::ctx::{open_store, store_err};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Subcommand)]
pub enum ImportCmd {
    /// Load persons from CSV (person_id,family_names,given_names,date_of_birth,sex,
    /// country_of_birth,nationalities,facility_id,status).
    Persons {
        #[command(flatten)]
        who: crate::ctx::ActorArg,
        /// The CSV file (`-` for standard input).
        file: PathBuf,
    },
    /// Load legal records from JSON Lines (`{"person_id": "P-1", "record": {...}}`).
    Records {
        #[command(flatten)]
        who: crate::ctx::ActorArg,
        /// The JSON Lines file (`-` for standard input).
        file: PathBuf,
    },
}

/// An ISO 3166-1 alpha-2 code that names a country (`XX` does not).
fn known_country(c: &str) -> Result<CountryCode, String> {
    let code = CountryCode::new(c).map_err(|e| e.to_string())?;
    if !custodia_model::country::is_iso_alpha2(code.as_str()) {
        return Err(format!("`{c}` is not an ISO 3166-1 country code"));
    }
    Ok(code)
}

/// One row of a persons file as written, read by header name (`csv`'s serde support): cells
/// trimmed, an empty cell or an absent column `None`. Checked and typed by [`parse_persons`].
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct PersonRow {
    person_id: Option<String>,
    family_names: Option<String>,
    given_names: Option<String>,
    date_of_birth: Option<String>,
    sex: Option<String>,
    country_of_birth: Option<String>,
    nationalities: Option<String>,
    facility_id: Option<String>,
    status: Option<String>,
    // Additions to CONTRACT §5, all optional: what screening needs.
    us_status: Option<String>,
    languages: Option<String>,
    identity_verified: Option<String>,
}

/// Parses the persons CSV; the first bad cell is an error naming file, line and field.
pub fn parse_persons(name: &str, text: &str) -> Result<Vec<PersonImport>, CliError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Lines named in errors are an editor's (`custodia_model::lines`): line breaks
    // unified, records placed by byte offset, not by the csv reader's line count.
    let text = custodia_model::lines::unify_line_breaks(text);
    let text: &str = &text;
    let mut lines = custodia_model::lines::LineCounter::new(text);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| CliError::input(format!("`{name}`: line 1: cannot read the header row: {e}")))?
        .clone();
    // A column named twice is ambiguous: which one holds the value? (issue 18)
    let mut seen_cols = std::collections::BTreeSet::new();
    for h in headers.iter() {
        if !h.is_empty() && !seen_cols.insert(h) {
            return Err(CliError::input(format!(
                "`{name}`: line 1: column `{h}` appears twice in the header"
            )));
        }
    }
    let has = |n: &str| seen_cols.contains(n);
    if has("facility_id") && !has("status") {
        return Err(CliError::input(format!(
            "`{name}`: line 1: a `facility_id` column needs a `status` column (CONTRACT §5); custody is never assumed"
        )));
    }
    for required in ["person_id", "family_names"] {
        if !has(required) {
            return Err(CliError::input(format!(
                "`{name}`: line 1: no `{required}` column in the header"
            )));
        }
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e
                .position()
                .map_or(0, |p| custodia_model::lines::line_at(text, p.byte()));
            CliError::input(format!("`{name}`: line {line}: not a valid CSV row: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| lines.line_at(p.byte()));
        let row: PersonRow = rec.deserialize(Some(&headers)).map_err(|e| {
            CliError::input(format!("`{name}`: line {line}: not a valid CSV row: {e}"))
        })?;
        let bad = |field: &str, msg: String| {
            CliError::input(format!("`{name}`: line {line}, field `{field}`: {msg}"))
        };
        // Clean text only: no control characters (NUL included), bounded lengths (issue 18).
        for (field, v, max) in [
            ("person_id", &row.person_id, 64),
            ("family_names", &row.family_names, 200),
            ("given_names", &row.given_names, 200),
            ("facility_id", &row.facility_id, 64),
            ("nationalities", &row.nationalities, 200),
            ("languages", &row.languages, 200),
        ] {
            if let Some(v) = v {
                if v.chars().any(char::is_control) {
                    return Err(bad(
                        field,
                        "contains a control character; expected plain text".into(),
                    ));
                }
                if v.chars().count() > max {
                    return Err(bad(
                        field,
                        format!("{} characters, expected at most {max}", v.chars().count()),
                    ));
                }
            }
        }
        let id = row
            .person_id
            .ok_or_else(|| bad("person_id", "empty, expected an identifier".into()))?;
        if let Some(first) = seen.insert(id.clone(), line) {
            return Err(bad(
                "person_id",
                format!("`{id}` already appears on line {first}; each person once per file"),
            ));
        }
        let family = row.family_names.ok_or_else(|| {
            bad(
                "family_names",
                "empty, expected at least one family name".into(),
            )
        })?;
        let dob = match row.date_of_birth.as_deref() {
            None => None,
            Some(d) => {
                let dob = custodia_model::legal::parse_date(d).map_err(|_| {
                    bad(
                        "date_of_birth",
                        format!("`{d}` is not a date, expected YYYY-MM-DD"),
                    )
                })?;
                if dob.year() < 1900 {
                    return Err(bad("date_of_birth", format!("`{d}` is before 1900")));
                }
                Some(dob)
            }
        };
        let sex = match row.sex {
            None => None,
            Some(s) if matches!(s.as_str(), "M" | "F" | "X") => Some(s),
            Some(s) => return Err(bad("sex", format!("`{s}`, expected `M`, `F` or `X`"))),
        };
        let country = match row.country_of_birth.as_deref() {
            None => None,
            Some(c) => Some(known_country(c).map_err(|e| bad("country_of_birth", e))?),
        };
        let nationalities = match row.nationalities.as_deref() {
            None => Vec::new(),
            Some(list) => list
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|c| known_country(c).map_err(|e| bad("nationalities", e)))
                .collect::<Result<Vec<_>, _>>()?,
        };
        let status = match row.status.as_deref() {
            None => None,
            Some(s) => Some(CustodyStatus::parse(s).filter(|s| *s != CustodyStatus::Deceased).ok_or_else(|| {
                bad("status", format!("`{s}`, expected one of `in_custody`, `released`, `removed`, `transferred`"))
            })?),
        };
        let us_status = match row.us_status.as_deref() {
            None => None,
            Some(u) => Some(serde_json::from_value(serde_json::Value::String(u.to_string())).map_err(|_| {
                bad("us_status", format!("`{u}`, expected one of `citizen_by_birth`, `citizen_naturalized`, `non_citizen_national`, `lawful_permanent_resident`, `refugee`, `asylee`, `visa_holder`, `parolee`, `tps`, `undocumented`"))
            })?),
        };
        let languages = row
            .languages
            .map(|l| {
                l.split(';')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let identity_verified = match row.identity_verified.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(v) => {
                return Err(bad(
                    "identity_verified",
                    format!("`{v}`, expected `true` or `false`"),
                ));
            }
        };
        out.push(PersonImport {
            line,
            person: PersonRecord {
                id,
                family_names: family,
                given_names: row.given_names.unwrap_or_default(),
                date_of_birth: dob,
                sex,
                country_of_birth: country,
                nationalities,
                us_status,
                languages,
                identity_verified,
            },
            facility_id: row.facility_id,
            status,
        });
    }
    Ok(out)
}

pub fn run(db: &str, cmd: &ImportCmd) -> CliResult {
    match cmd {
        ImportCmd::Records { who, file } => crate::cmd::records::run(db, who, file),
        ImportCmd::Persons { who, file } => {
            let text = crate::io::read_input(file)?;
            let name = file.display().to_string();
            let rows = parse_persons(&name, &text)?;
            let mut store = open_store(db)?;
            let today = store.clock().now().to_zoned(jiff::tz::TimeZone::UTC).date();
            if let Some(r) = rows
                .iter()
                .find(|r| r.person.date_of_birth.is_some_and(|d| d > today))
            {
                return Err(CliError::input(format!(
                    "`{name}`: line {}, field `date_of_birth`: `{}` is after today ({today})",
                    r.line,
                    r.person
                        .date_of_birth
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                )));
            }
            let actor = who.actor(&mut store)?;
            if matches!(
                actor.role,
                custodia_app::Role::Counsel | custodia_app::Role::Auditor
            ) {
                return Err(CliError::input(format!(
                    "forbidden: role `{}` may not import persons",
                    actor.role
                )));
            }
            let now = store.clock().now();
            // Who may be held in an adult-only facility: the dated `adult_age` in force today.
            let adult_age = custodia_rules::Params::builtin()
                .adult_age
                .at(today)
                .ok_or_else(|| {
                    CliError::input(format!(
                        "parameter `adult_age` has no value on {today}; cannot check adult-only facilities"
                    ))
                })?;
            // One transaction: a spinner, since there is no partial progress to show.
            let pb = indicatif::ProgressBar::new_spinner();
            pb.set_message(format!("importing {} rows", rows.len()));
            pb.enable_steady_tick(std::time::Duration::from_millis(200));
            let s = store
                .import_persons(&rows, &actor.id(), now, adult_age)
                .map_err(|e| match e {
                    custodia_store::StoreError::Invalid(m) => {
                        CliError::input(format!("`{name}`: {m}"))
                    }
                    other => store_err(other),
                });
            pb.finish_and_clear();
            let s = s?;
            eprintln!(
                "imported `{name}`: {} rows; {} added, {} updated, {} custody changes, {} unchanged{}",
                rows.len(),
                s.added,
                s.updated,
                s.custody_changed,
                s.unchanged,
                if s.receipt.is_none() {
                    "; nothing new to record"
                } else {
                    ""
                }
            );
            Ok(())
        }
    }
}
