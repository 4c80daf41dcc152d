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

/// Parses the persons CSV; the first bad cell is an error naming file, line and field.
pub fn parse_persons(name: &str, text: &str) -> Result<Vec<PersonImport>, CliError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| CliError::input(format!("`{name}`: line 1: cannot read the header row: {e}")))?
        .clone();
    // A column named twice is ambiguous: which one holds the value? (issue 18)
    let mut seen_cols = std::collections::BTreeSet::new();
    for h in headers.iter() {
        if !h.trim().is_empty() && !seen_cols.insert(h.trim()) {
            return Err(CliError::input(format!(
                "`{name}`: line 1: column `{}` appears twice in the header",
                h.trim()
            )));
        }
    }
    let col = |n: &str| headers.iter().position(|h| h.trim() == n);
    if col("facility_id").is_some() && col("status").is_none() {
        return Err(CliError::input(format!(
            "`{name}`: line 1: a `facility_id` column needs a `status` column (CONTRACT §5); custody is never assumed"
        )));
    }
    let id_col = col("person_id").ok_or_else(|| {
        CliError::input(format!(
            "`{name}`: line 1: no `person_id` column in the header"
        ))
    })?;
    let fam_col = col("family_names").ok_or_else(|| {
        CliError::input(format!(
            "`{name}`: line 1: no `family_names` column in the header"
        ))
    })?;
    let cols = [
        col("given_names"),
        col("date_of_birth"),
        col("sex"),
        col("country_of_birth"),
        col("nationalities"),
        col("facility_id"),
        col("status"),
        // Additions to CONTRACT §5, all optional: what screening needs.
        col("us_status"),
        col("languages"),
        col("identity_verified"),
    ];
    let mut out = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            CliError::input(format!("`{name}`: line {line}: not a valid CSV row: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |c: Option<usize>| {
            c.and_then(|i| rec.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let bad = |field: &str, msg: String| {
            CliError::input(format!("`{name}`: line {line}, field `{field}`: {msg}"))
        };
        // Clean text only: no control characters (NUL included), bounded lengths (issue 18).
        for (field, c, max) in [
            ("person_id", Some(id_col), 64),
            ("family_names", Some(fam_col), 200),
            ("given_names", cols[0], 200),
            ("facility_id", cols[5], 64),
            ("nationalities", cols[4], 200),
            ("languages", cols[8], 200),
        ] {
            if let Some(v) = get(c) {
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
        let id = get(Some(id_col))
            .ok_or_else(|| bad("person_id", "empty, expected an identifier".into()))?;
        if let Some(first) = seen.insert(id.to_string(), line) {
            return Err(bad(
                "person_id",
                format!("`{id}` already appears on line {first}; each person once per file"),
            ));
        }
        let family = get(Some(fam_col)).ok_or_else(|| {
            bad(
                "family_names",
                "empty, expected at least one family name".into(),
            )
        })?;
        let dob = match get(cols[1]) {
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
        let sex = match get(cols[2]) {
            None => None,
            Some(s @ ("M" | "F" | "X")) => Some(s.to_string()),
            Some(s) => return Err(bad("sex", format!("`{s}`, expected `M`, `F` or `X`"))),
        };
        let country = match get(cols[3]) {
            None => None,
            Some(c) => Some(known_country(c).map_err(|e| bad("country_of_birth", e))?),
        };
        let nationalities = match get(cols[4]) {
            None => Vec::new(),
            Some(list) => list
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|c| known_country(c).map_err(|e| bad("nationalities", e)))
                .collect::<Result<Vec<_>, _>>()?,
        };
        let status = match get(cols[6]) {
            None => None,
            Some(s) => Some(CustodyStatus::parse(s).filter(|s| *s != CustodyStatus::Deceased).ok_or_else(|| {
                bad("status", format!("`{s}`, expected one of `in_custody`, `released`, `removed`, `transferred`"))
            })?),
        };
        out.push(PersonImport {
            line,
            person: PersonRecord {
                id: id.to_string(),
                family_names: family.to_string(),
                given_names: get(cols[0]).unwrap_or_default().to_string(),
                date_of_birth: dob,
                sex,
                country_of_birth: country,
                nationalities,
                us_status: match get(cols[7]) {
                    None => None,
                    Some(u) => Some(serde_json::from_value(serde_json::Value::String(u.to_string())).map_err(|_| {
                        bad("us_status", format!("`{u}`, expected one of `citizen_by_birth`, `citizen_naturalized`, `non_citizen_national`, `lawful_permanent_resident`, `refugee`, `asylee`, `visa_holder`, `parolee`, `tps`, `undocumented`"))
                    })?),
                },
                languages: get(cols[8]).map(|l| l.split(';').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()).unwrap_or_default(),
                identity_verified: match get(cols[9]) {
                    None | Some("false") => false,
                    Some("true") => true,
                    Some(v) => return Err(bad("identity_verified", format!("`{v}`, expected `true` or `false`"))),
                },
            },
            facility_id: get(cols[5]).map(str::to_string),
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
