//! What the public locator indexes, read from the `persons` projection: every person once at
//! start-up ([`Store::locator_rows`]), then only the persons touched by events after a
//! sequence number ([`Store::locator_rows_since`]), so that an in-memory index follows the
//! log as events arrive. The store knows nothing of the index itself (that is
//! `custodia_linkage::locator`); the caller turns a [`LocatorRow`] into its entry.

use jiff::civil::Date;

use custodia_model::locator::LocatorEntry;

use crate::backend::{Row, Value};
use crate::decode::At;
use crate::error::Result;
use crate::store::Store;

/// One person as the locator indexes them, and what the public answer adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatorRow {
    /// What the index holds (the engine's own type: no conversion).
    pub entry: LocatorEntry,
    /// Where the person is now, once handed over: set from the latest departed manifest
    /// that carried them.
    pub transfer: Option<Transfer>,
    /// The person or their counsel asked not to appear in the public locator.
    pub withheld: bool,
}

/// A person withheld from the public locator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithheldRow {
    pub person_id: String,
    /// `person` or `counsel`.
    pub requested_by: String,
    pub reason: String,
    /// Who recorded the request.
    pub actor: String,
    /// The `locator_withheld` event's position in the log.
    pub seq: u64,
}

/// The latest departure that carried a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// The receiving facility.
    pub to_facility: String,
    /// The day the flight left.
    pub departed_on: Option<Date>,
    /// The receiving facility's intake did not list the person (an open
    /// `missing_from_intake` case): arrival not yet confirmed.
    pub missing_from_intake: bool,
}

/// What families may know about a facility: its name and country, and its public
/// contact information when it has published one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicFacility {
    pub id: String,
    pub name: String,
    /// ISO 3166-1 alpha-2: the government that holds persons there.
    pub country: String,
    pub visiting: Option<String>,
    pub consular: Option<String>,
    pub counsel_access: Option<String>,
}

const DEPARTED: &str = "SELECT mp.person_id, m.to_facility, m.departure_on FROM manifest_passengers mp \
     JOIN manifests m ON m.id = mp.manifest_id \
     WHERE m.state IN ('departed', 'arrived', 'reconciled', 'closed')";
const MISSING: &str =
    "SELECT subject_id FROM cases WHERE kind = 'missing_from_intake' AND state = 'open'";
const WITHHELD: &str = "SELECT person_id FROM locator_withheld";

/// Fills in `transfer` and `withheld` for `rows` (`only`: a subquery of person ids the
/// rows are restricted to, with its parameters).
fn annotate(
    c: &mut dyn crate::backend::Conn,
    rows: &mut [LocatorRow],
    only: Option<(&str, &[Value])>,
) -> Result<()> {
    use std::collections::{HashMap, HashSet};
    let (filter, params): (String, Vec<Value>) = match only {
        Some((sub, p)) => (format!(" AND {{col}} IN ({sub})"), p.to_vec()),
        None => (String::new(), Vec::new()),
    };
    let f = |col: &str| filter.replace("{col}", col);
    let mut dep: HashMap<String, (String, Option<Date>)> = HashMap::new();
    for r in c.query(&format!("{DEPARTED}{}", f("mp.person_id")), &params)? {
        let a = At::new(
            "manifest_passengers",
            &["person_id", "to_facility", "departure_on"],
            &r,
        );
        let (pid, to, on) = (a.text(0)?, a.text(1)?, a.opt_date(2)?);
        if dep.get(&pid).is_none_or(|(_, prev)| on > *prev) {
            dep.insert(pid, (to, on));
        }
    }
    let set = |c: &mut dyn crate::backend::Conn, sql: String| -> Result<HashSet<String>> {
        c.query(&sql, &params)?
            .iter()
            .map(|r| At::new("cases or locator_withheld", &["person_id"], r).text(0))
            .collect::<Result<_>>()
    };
    let missing = set(&mut *c, format!("{MISSING}{}", f("subject_id")))?;
    let withheld = if filter.is_empty() {
        set(&mut *c, format!("{WITHHELD} WHERE 1 = 1"))?
    } else {
        set(&mut *c, format!("{WITHHELD} WHERE 1 = 1{}", f("person_id")))?
    };
    for r in rows {
        r.withheld = withheld.contains(&r.entry.person_id);
        r.transfer = dep.remove(&r.entry.person_id).map(|(to, on)| Transfer {
            to_facility: to,
            departed_on: on,
            missing_from_intake: missing.contains(&r.entry.person_id),
        });
    }
    Ok(())
}

const COLUMNS: &str = "id, family_names, given_names, date_of_birth, country_of_birth, facility_id, status, status_since";

const COLUMN_NAMES: &[&str] = &[
    "id",
    "family_names",
    "given_names",
    "date_of_birth",
    "country_of_birth",
    "facility_id",
    "status",
    "status_since",
];

fn row(r: &Row) -> Result<LocatorRow> {
    let a = At::new("persons", COLUMN_NAMES, r);
    Ok(LocatorRow {
        entry: LocatorEntry {
            person_id: a.text(0)?,
            family_names: a.text(1)?,
            given_names: a.text(2)?,
            date_of_birth: a.opt_date(3)?,
            country_of_birth: a.opt_text(4)?,
            facility_id: a.opt_text(5)?,
            status: a.opt_parsed(6, "a custody status or NULL")?,
            status_since: a.opt_date(7)?,
        },
        transfer: None,
        withheld: false,
    })
}

const SIZE: &str = "SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger";

fn size(r: &[Row]) -> u64 {
    r.first()
        .and_then(|r| r.first())
        .and_then(Value::as_i64)
        .and_then(|x| u64::try_from(x).ok())
        .unwrap_or(0)
}

impl Store {
    /// Every person (only those born in `country` when given), and the size of the log
    /// (events applied) before they were read: pass it to [`Store::locator_rows_since`] to
    /// catch up. The size is read first, so an event landing during the scan is returned
    /// again by the next catch-up, never missed.
    pub fn locator_rows(&mut self, country: Option<&str>) -> Result<(Vec<LocatorRow>, u64)> {
        let seq = self.read(|c| Ok(size(&c.query(SIZE, &[])?)))?;
        let mut out = Vec::new();
        let (sql, params): (String, Vec<Value>) = match country {
            Some(c) => (
                format!("SELECT {COLUMNS} FROM persons WHERE country_of_birth = ?"),
                vec![c.to_ascii_uppercase().into()],
            ),
            None => (format!("SELECT {COLUMNS} FROM persons"), Vec::new()),
        };
        self.stream(&sql, &params, &mut |r| {
            out.push(row(&r)?);
            Ok(())
        })?;
        self.read(|c| annotate(c, &mut out, None))?;
        Ok((out, seq))
    }

    /// The persons touched by an event at or after position `seq` of the log (a size
    /// returned by [`Store::locator_rows`] or an earlier call), in their current state, and
    /// the log's size now, to pass next time. Reads one snapshot.
    pub fn locator_rows_since(&mut self, seq: u64) -> Result<(Vec<LocatorRow>, u64)> {
        let from = i64::try_from(seq).unwrap_or(i64::MAX);
        self.read(|c| {
            let to = size(&c.query(SIZE, &[])?);
            if to <= seq {
                return Ok((Vec::new(), seq));
            }
            const TOUCHED: &str = "SELECT person_id FROM person_events WHERE seq >= ?";
            let rows = c.query(
                &format!("SELECT {COLUMNS} FROM persons WHERE id IN ({TOUCHED}) ORDER BY id"),
                &[from.into()],
            )?;
            let mut rows: Vec<LocatorRow> = rows.iter().map(row).collect::<Result<_>>()?;
            annotate(c, &mut rows, Some((TOUCHED, &[Value::from(from)])))?;
            Ok((rows, to))
        })
    }

    /// One person as the locator indexes them (`custodia locate --id`).
    pub fn locator_row(&mut self, person_id: &str) -> Result<Option<LocatorRow>> {
        self.read(|c| {
            let mut rows: Vec<LocatorRow> = c
                .query(
                    &format!("SELECT {COLUMNS} FROM persons WHERE id = ?"),
                    &[person_id.into()],
                )?
                .first()
                .map(row)
                .transpose()?
                .into_iter()
                .collect();
            annotate(c, &mut rows, Some(("SELECT ?", &[Value::from(person_id)])))?;
            Ok(rows.pop())
        })
    }

    /// Every facility as families may see it: name, country, public contact information.
    pub fn public_facilities(&mut self) -> Result<Vec<PublicFacility>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT f.id, f.name, f.country, k.visiting, k.consular, k.counsel_access \
                 FROM facilities f LEFT JOIN facility_contacts k ON k.facility_id = f.id ORDER BY f.id",
                &[],
            )?
            .iter()
            .map(|r| {
                let s = |i: usize| r.get(i).and_then(Value::opt_str);
                PublicFacility {
                    id: s(0).unwrap_or_default(),
                    name: s(1).unwrap_or_default(),
                    country: s(2).unwrap_or_default(),
                    visiting: s(3),
                    consular: s(4),
                    counsel_access: s(5),
                }
            })
            .collect())
        })
    }

    /// The persons withheld from the public locator, with who asked, why, who recorded it
    /// and the event's position (auditors see these), newest first.
    pub fn locator_withheld(&mut self) -> Result<Vec<WithheldRow>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT person_id, requested_by, reason, actor, seq FROM locator_withheld ORDER BY seq DESC",
                &[],
            )?
            .iter()
            .map(|r| {
                let s = |i: usize| r.get(i).and_then(Value::opt_str).unwrap_or_default();
                WithheldRow {
                    person_id: s(0),
                    requested_by: s(1),
                    reason: s(2),
                    actor: s(3),
                    seq: r
                        .get(4)
                        .and_then(Value::as_i64)
                        .and_then(|x| u64::try_from(x).ok())
                        .unwrap_or(0),
                }
            })
            .collect())
        })
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use std::sync::Arc;

    use custodia_model::clock::ManualClock;
    use custodia_model::events::{CustodyStatus, EventData, NewEvent, PersonRecord};

    use crate::{OpenOptions, Store};

    fn person(id: &str, family: &str, country: &str) -> PersonRecord {
        PersonRecord {
            id: id.into(),
            family_names: family.into(),
            given_names: "José".into(),
            date_of_birth: Some(jiff::civil::date(1990, 4, 12)),
            sex: None,
            country_of_birth: Some(custodia_model::legal::CountryCode::new(country).unwrap()),
            nationalities: Vec::new(),
            us_status: None,
            languages: Vec::new(),
            identity_verified: false,
        }
    }

    #[test]
    fn rows_then_catch_up_returns_only_touched_persons() {
        let dir = std::env::temp_dir().join(format!("custodia-locrows-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.db");
        let at: jiff::Timestamp = "2025-03-15T00:00:00Z".parse().unwrap();
        let clock = Arc::new(ManualClock::new(at));
        let mut store = Store::open(
            path.to_str().unwrap(),
            OpenOptions {
                key_path: None,
                clock,
            },
        )
        .unwrap();
        let ev = |data| NewEvent {
            occurred_at: at,
            actor: "test".into(),
            data,
        };
        // An empty store: size 0, and the first event is caught up from there.
        let (rows, size0) = store.locator_rows(None).unwrap();
        assert!(rows.is_empty());
        assert_eq!(size0, 0);
        store
            .append(vec![
                ev(EventData::PersonRegistered(person("P-1", "Menjívar", "SV"))),
                ev(EventData::PersonRegistered(person("P-2", "Chicas", "HN"))),
            ])
            .unwrap();
        let (rows, size1) = store.locator_rows_since(size0).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(size1, 2);
        let (all, size) = store.locator_rows(Some("sv")).unwrap();
        assert_eq!(size, 2);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].entry.person_id, "P-1");
        assert_eq!(
            all[0].entry.date_of_birth,
            Some(jiff::civil::date(1990, 4, 12))
        );
        // Nothing new: nothing returned, same position.
        assert_eq!(
            store.locator_rows_since(size1).unwrap(),
            (Vec::new(), size1)
        );
        store
            .append(vec![ev(EventData::CustodyReported {
                person_id: "P-2".into(),
                facility_id: Some("CECOT".into()),
                status: CustodyStatus::Released,
            })])
            .unwrap();
        let (rows, size2) = store.locator_rows_since(size1).unwrap();
        assert_eq!(size2, 3);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].entry.person_id, "P-2");
        assert_eq!(rows[0].entry.status, Some(CustodyStatus::Released));
        assert_eq!(
            rows[0].entry.status_since,
            Some(jiff::civil::date(2025, 3, 15))
        );
        assert_eq!(rows[0].entry.facility_id.as_deref(), Some("CECOT"));
        assert!(store.locator_row("P-2").unwrap().is_some());
        assert!(store.locator_row("P-9").unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
