//! What the public locator indexes, read from the `persons` projection: every person once at
//! start-up ([`Store::locator_rows`]), then only the persons touched by events after a
//! sequence number ([`Store::locator_rows_since`]), so that an in-memory index follows the
//! log as events arrive. The store knows nothing of the index itself (that is
//! `custodia_linkage::locator`); the caller turns a [`LocatorRow`] into its entry.

use jiff::civil::Date;

use crate::backend::{Row, Value};
use crate::error::Result;
use crate::store::Store;

/// One person as the locator indexes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatorRow {
    pub person_id: String,
    pub family_names: String,
    pub given_names: String,
    pub date_of_birth: Option<Date>,
    pub country_of_birth: Option<String>,
    pub facility_id: Option<String>,
    pub status: Option<String>,
    /// When `status` took effect.
    pub status_since: Option<Date>,
}

const COLUMNS: &str =
    "id, family_names, given_names, date_of_birth, country_of_birth, facility_id, status, status_since";

fn row(r: &Row) -> LocatorRow {
    let s = |i: usize| r.get(i).and_then(Value::opt_str);
    let d = |i: usize| s(i).and_then(|x| x.parse::<Date>().ok());
    LocatorRow {
        person_id: s(0).unwrap_or_default(),
        family_names: s(1).unwrap_or_default(),
        given_names: s(2).unwrap_or_default(),
        date_of_birth: d(3),
        country_of_birth: s(4),
        facility_id: s(5),
        status: s(6),
        status_since: d(7),
    }
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
            out.push(row(&r));
            Ok(())
        })?;
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
            let rows = c.query(
                &format!(
                    "SELECT {COLUMNS} FROM persons WHERE id IN \
                     (SELECT person_id FROM person_events WHERE seq >= ?) ORDER BY id"
                ),
                &[from.into()],
            )?;
            Ok((rows.iter().map(row).collect(), to))
        })
    }

    /// One person as the locator indexes them (`custodia locate --id`).
    pub fn locator_row(&mut self, person_id: &str) -> Result<Option<LocatorRow>> {
        self.read(|c| {
            Ok(c.query(
                &format!("SELECT {COLUMNS} FROM persons WHERE id = ?"),
                &[person_id.into()],
            )?
            .first()
            .map(row))
        })
    }
}
