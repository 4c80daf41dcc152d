//! Commands that read the current state and emit the events that follow, in one
//! transaction: importing persons idempotently, and the queries the CLI and server share.

use custodia_model::events::{CustodyStatus, EventData, NewEvent, PersonRecord};
use custodia_model::legal::{CountryCode, UsStatus};

use crate::backend::{Conn, Row, Value};
use crate::error::{Result, StoreError};
use crate::store::{Receipt, Store};

/// One row of `import persons` (CONTRACT §5).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonImport {
    /// The line of the input the row is on (for error messages).
    pub line: u64,
    pub person: PersonRecord,
    pub facility_id: Option<String>,
    pub status: Option<CustodyStatus>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportSummary {
    pub added: u64,
    pub updated: u64,
    pub custody_changed: u64,
    pub unchanged: u64,
    pub receipt: Option<Receipt>,
}

/// Reads a person from the `persons` projection.
pub fn person_from_row(r: &Row) -> Result<PersonRecord> {
    let a = crate::decode::At::new("persons", PERSON_COLUMN_NAMES, r);
    let us_status = match a.opt_text(7)? {
        None => None,
        Some(x) => Some(
            serde_json::from_value::<UsStatus>(serde_json::Value::String(x.clone())).map_err(
                |_| StoreError::Corrupt(format!("table `persons`: column `us_status`: `{x}`")),
            )?,
        ),
    };
    Ok(PersonRecord {
        id: a.text(0)?,
        family_names: a.text(1)?,
        given_names: a.text(2)?,
        date_of_birth: a.opt_date(3)?,
        sex: a.opt_text(4)?,
        country_of_birth: a.opt_parsed::<CountryCode>(5, "an ISO 3166-1 alpha-2 code")?,
        nationalities: a
            .list(6)?
            .iter()
            .map(|c| {
                CountryCode::new(c).map_err(|e| {
                    StoreError::Corrupt(format!("table `persons`: column `nationalities`: {e}"))
                })
            })
            .collect::<Result<Vec<_>>>()?,
        us_status,
        languages: a.list(8)?,
        identity_verified: a.flag(9)?,
    })
}

const PERSON_COLUMN_NAMES: &[&str] = &[
    "id",
    "family_names",
    "given_names",
    "date_of_birth",
    "sex",
    "country_of_birth",
    "nationalities",
    "us_status",
    "languages",
    "identity_verified",
    "facility_id",
    "status",
];

/// The columns [`person_from_row`] expects, in order.
pub const PERSON_COLUMNS: &str = "id, family_names, given_names, date_of_birth, sex, country_of_birth, \
                                  nationalities, us_status, languages, identity_verified, facility_id, status";

/// A person with their custody: (record, facility, status).
pub type PersonCustody = (PersonRecord, Option<String>, Option<CustodyStatus>);

/// Loads one person and their custody (facility, status).
pub fn load_person(c: &mut dyn Conn, id: &str) -> Result<Option<PersonCustody>> {
    let rows = c.query(
        &format!("SELECT {PERSON_COLUMNS} FROM persons WHERE id = ?"),
        &[id.into()],
    )?;
    match rows.first() {
        None => Ok(None),
        Some(r) => Ok(Some((
            person_from_row(r)?,
            r.get(10).and_then(Value::opt_str),
            match r.get(11).and_then(Value::opt_str) {
                None => None,
                Some(t) => Some(t.parse().map_err(|_| {
                    StoreError::Corrupt(format!(
                        "persons row `{id}`: column status: expected a custody status, found `{t}`"
                    ))
                })?),
            },
        ))),
    }
}

impl Store {
    /// Imports persons atomically and idempotently: a person already stored with the same
    /// values adds nothing; changed values add a `person_updated` (fields the file does not
    /// carry, such as US status, keep their stored values); a changed facility or status
    /// adds a `custody_reported`.
    ///
    /// A row naming a facility the store does not hold is refused, and so is a row that puts
    /// someone under `adult_age` on `occurred_at`'s date in custody at an adult-only facility
    /// (`FacilityRecord::adult_only`; Mandela Rules, rule 11(d)); either refusal writes
    /// nothing (`StoreError::Invalid` naming the line and the field).
    pub fn import_persons(
        &mut self,
        rows: &[PersonImport],
        actor: &str,
        occurred_at: jiff::Timestamp,
        adult_age: u32,
    ) -> Result<ImportSummary> {
        let today = occurred_at.to_zoned(jiff::tz::TimeZone::UTC).date();
        let (mut summary, receipt) = self.transact(|tx| {
            let mut s = ImportSummary::default();
            let mut adult_only = std::collections::HashMap::<String, bool>::new();
            for row in rows {
                let existing = {
                    let rs = tx.query(
                        &format!("SELECT {PERSON_COLUMNS} FROM persons WHERE id = ?"),
                        &[row.person.id.as_str().into()],
                    )?;
                    match rs.first() {
                        None => None,
                        Some(r) => Some((person_from_row(r)?, r.get(10).and_then(Value::opt_str), r.get(11).and_then(Value::opt_str))),
                    }
                };
                if let Some(f) = &row.facility_id {
                    let only = match adult_only.get(f) {
                        Some(b) => *b,
                        None => {
                            let Some(b) = tx.reads().facility_adult_only(f)? else {
                                return Err(StoreError::Invalid(format!(
                                    "line {}, field `facility_id`: no facility `{f}` in the store; expected a registered facility (`custodia facility register`)",
                                    row.line
                                )));
                            };
                            adult_only.insert(f.clone(), b);
                            b
                        }
                    };
                    let held = row.status.unwrap_or(CustodyStatus::InCustody) == CustodyStatus::InCustody;
                    // An empty date-of-birth cell keeps the stored one (see below).
                    let dob = row.person.date_of_birth.or(existing.as_ref().and_then(|e| e.0.date_of_birth));
                    if let Some(age) = custodia_model::legal::minor_on(dob, today, adult_age).filter(|_| only && held) {
                        return Err(StoreError::Invalid(format!(
                            "line {}, field `date_of_birth`: person `{}`, born {}, is {age} on {today}; `{f}` is adult-only and holds no one under {adult_age} (Mandela Rules, rule 11(d))",
                            row.line,
                            row.person.id,
                            opt(&dob)
                        )));
                    }
                }
                let ev = |data| NewEvent {
                    occurred_at,
                    actor: actor.to_string(),
                    data,
                };
                let custody = |s: &mut ImportSummary, tx: &mut crate::store::Tx<'_>| {
                    if row.facility_id.is_some() || row.status.is_some() {
                        s.custody_changed += 1;
                        tx.emit(ev(EventData::CustodyReported {
                            person_id: row.person.id.clone(),
                            facility_id: row.facility_id.clone(),
                            status: row.status.unwrap_or(CustodyStatus::InCustody),
                        }));
                    }
                };
                match existing {
                    None => {
                        s.added += 1;
                        tx.emit(ev(EventData::PersonRegistered(row.person.clone())));
                        custody(&mut s, tx);
                    }
                    Some((stored, facility, status)) => {
                        // CONTRACT §9 "Identity facts": an import never changes them; only a
                        // confirmed correction does. An empty cell (unknown) keeps the stored
                        // value.
                        let p = &row.person;
                        let differs: Option<(&str, String, String)> = if p.family_names != stored.family_names {
                            Some(("family_names", stored.family_names.clone(), p.family_names.clone()))
                        } else if !p.given_names.is_empty() && p.given_names != stored.given_names {
                            Some(("given_names", stored.given_names.clone(), p.given_names.clone()))
                        } else if p.date_of_birth.is_some() && p.date_of_birth != stored.date_of_birth {
                            Some(("date_of_birth", opt(&stored.date_of_birth), opt(&p.date_of_birth)))
                        } else if p.country_of_birth.is_some() && p.country_of_birth != stored.country_of_birth {
                            Some(("country_of_birth", opt(&stored.country_of_birth), opt(&p.country_of_birth)))
                        } else if !p.nationalities.is_empty() && sorted(&p.nationalities) != sorted(&stored.nationalities) {
                            Some(("nationalities", sorted(&stored.nationalities).join(";"), sorted(&p.nationalities).join(";")))
                        } else if p.us_status.is_some() && p.us_status != stored.us_status {
                            Some((
                                "us_status",
                                stored.us_status.map(|u| u.as_str().to_string()).unwrap_or_default(),
                                p.us_status.map(|u| u.as_str().to_string()).unwrap_or_default(),
                            ))
                        } else {
                            None
                        };
                        if let Some((field, was, now)) = differs {
                            return Err(StoreError::Invalid(format!(
                                "line {}, field `{field}`: person `{}` is stored with `{was}`; an import may not change an identity fact to `{now}` (use `custodia person correct`, confirmed by a second person)",
                                row.line, p.id
                            )));
                        }
                        let mut merged = row.person.clone();
                        merged.given_names = stored.given_names.clone();
                        merged.date_of_birth = stored.date_of_birth;
                        merged.country_of_birth = stored.country_of_birth;
                        merged.nationalities = stored.nationalities.clone();
                        merged.us_status = merged.us_status.or(stored.us_status);
                        // An empty `sex` cell (or no such column) is unknown: it keeps the
                        // stored value, as every other empty cell does.
                        merged.sex = merged.sex.or_else(|| stored.sex.clone());
                        if merged.languages.is_empty() {
                            merged.languages = stored.languages.clone();
                        }
                        merged.identity_verified |= stored.identity_verified;
                        let mut changed = false;
                        if merged != stored {
                            s.updated += 1;
                            changed = true;
                            tx.emit(ev(EventData::PersonUpdated(merged)));
                        }
                        let new_status = row.status.map(|x| x.as_str().to_string());
                        if (row.facility_id.is_some() || row.status.is_some())
                            && (row.facility_id != facility || new_status != status)
                        {
                            // CONTRACT §9 "No hand-over outside a manifest": an import reports
                            // custody within a country, never a removal or a border crossing.
                            border_crossing(tx, row, facility.as_deref(), status.as_deref())?;
                            changed = true;
                            custody(&mut s, tx);
                        }
                        if !changed {
                            s.unchanged += 1;
                        }
                    }
                }
            }
            Ok(s)
        })?;
        summary.receipt = receipt;
        Ok(summary)
    }
}

/// Why an import row may not change an existing person's custody (CONTRACT §9 "No hand-over
/// outside a manifest"): it records a removal, which only `custody remove` after a departed
/// manifest may; or it moves the person from a facility in one country to a facility in
/// another without a departed manifest to that facility carrying them (the check
/// `custody admit` makes). `facility` and `status` are the person's current ones.
fn border_crossing(
    tx: &mut crate::store::Tx<'_>,
    row: &PersonImport,
    facility: Option<&str>,
    status: Option<&str>,
) -> Result<()> {
    let id = &row.person.id;
    if row.status == Some(CustodyStatus::Removed) && status != Some(CustodyStatus::Removed.as_str())
    {
        return Err(StoreError::Invalid(format!(
            "line {}, field `status`: person `{id}` is `{}`; an import may not record a removal (custody leaves the country only on a departed manifest: `custodia manifest depart`, then `custodia custody remove`)",
            row.line,
            status.unwrap_or("unknown")
        )));
    }
    let (Some(to), Some(from)) = (row.facility_id.as_deref(), facility) else {
        return Ok(());
    };
    if to == from {
        return Ok(());
    }
    let country = |tx: &mut crate::store::Tx<'_>, f: &str| -> Result<Option<String>> {
        Ok(tx.reads().facility_country(f)?.map(|(c, _)| c))
    };
    let (Some(to_country), Some(from_country)) = (country(tx, to)?, country(tx, from)?) else {
        return Ok(());
    };
    if to_country != from_country
        && !tx
            .reads()
            .departed_manifests_to(id, &to_country)?
            .iter()
            .any(|(_, f)| f == to)
    {
        return Err(StoreError::Invalid(format!(
            "line {}, field `facility_id`: person `{id}` is held at `{from}` in {from_country} and `{to}` is in {to_country}; custody crosses a border only on a departed manifest to that facility with the person on it (`custodia manifest depart`)",
            row.line
        )));
    }
    Ok(())
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn sorted(v: &[CountryCode]) -> Vec<String> {
    let mut out: Vec<String> = v.iter().map(|c| c.to_string()).collect();
    out.sort();
    out
}
