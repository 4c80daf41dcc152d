//! Strict decoding of projection rows into typed values.
//!
//! A projection row is derived from a verified leaf, so a value that does not decode means
//! the store is damaged. It is never replaced by a default (a bad date is not "today", a bad
//! count is not 0): the read fails with [`StoreError::Corrupt`] naming the table, the row
//! (by its first column) and the column.

use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::backend::{Row, Value};
use crate::error::{Result, StoreError};

/// One row of `table`, with the names of its selected columns.
pub(crate) struct At<'r> {
    table: &'static str,
    cols: &'static [&'static str],
    row: &'r Row,
}

impl<'r> At<'r> {
    pub(crate) fn new(table: &'static str, cols: &'static [&'static str], row: &'r Row) -> Self {
        Self { table, cols, row }
    }

    fn corrupt(&self, i: usize, expected: &str) -> StoreError {
        let key = self
            .row
            .first()
            .map(Value::canonical)
            .unwrap_or_else(|| "?".into());
        let col = self.cols.get(i).copied().unwrap_or("?");
        let found = self
            .row
            .get(i)
            .map(Value::canonical)
            .unwrap_or_else(|| "nothing".into());
        StoreError::Corrupt(format!(
            "table `{}`, row {key}: column `{col}`: expected {expected}, found {}",
            self.table,
            truncate(&found)
        ))
    }

    fn value(&self, i: usize) -> Result<&'r Value> {
        self.row.get(i).ok_or_else(|| self.corrupt(i, "a value"))
    }

    /// Text (NOT NULL).
    pub(crate) fn text(&self, i: usize) -> Result<String> {
        self.value(i)?
            .opt_str()
            .ok_or_else(|| self.corrupt(i, "text"))
    }

    /// Text or NULL.
    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.value(i)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            _ => Err(self.corrupt(i, "text or NULL")),
        }
    }

    /// A non-negative integer.
    pub(crate) fn u64(&self, i: usize) -> Result<u64> {
        self.value(i)?
            .as_i64()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| self.corrupt(i, "a non-negative integer"))
    }

    /// A non-negative integer or NULL.
    pub(crate) fn opt_u64(&self, i: usize) -> Result<Option<u64>> {
        match self.value(i)? {
            Value::Null => Ok(None),
            _ => self.u64(i).map(Some),
        }
    }

    /// A non-negative integer that fits 32 bits.
    pub(crate) fn u32(&self, i: usize) -> Result<u32> {
        u32::try_from(self.u64(i)?).map_err(|_| self.corrupt(i, "a 32-bit count"))
    }

    /// A number (integers widen).
    pub(crate) fn f64(&self, i: usize) -> Result<f64> {
        self.value(i)?
            .as_f64()
            .ok_or_else(|| self.corrupt(i, "a number"))
    }

    /// A 0/1 flag.
    pub(crate) fn flag(&self, i: usize) -> Result<bool> {
        match self.value(i)?.as_i64() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(self.corrupt(i, "0 or 1")),
        }
    }

    /// Anything with a `FromStr`, stored as text.
    pub(crate) fn parsed<T: FromStr>(&self, i: usize, expected: &str) -> Result<T> {
        let t = self.text(i)?;
        t.parse().map_err(|_| self.corrupt(i, expected))
    }

    /// An optional `FromStr` value.
    pub(crate) fn opt_parsed<T: FromStr>(&self, i: usize, expected: &str) -> Result<Option<T>> {
        match self.opt_text(i)? {
            None => Ok(None),
            Some(t) => t.parse().map(Some).map_err(|_| self.corrupt(i, expected)),
        }
    }

    /// A civil date (`YYYY-MM-DD`).
    pub(crate) fn date(&self, i: usize) -> Result<Date> {
        self.parsed(i, "a date (YYYY-MM-DD)")
    }

    /// A civil date or NULL.
    pub(crate) fn opt_date(&self, i: usize) -> Result<Option<Date>> {
        self.opt_parsed(i, "a date (YYYY-MM-DD) or NULL")
    }

    /// An exact decimal.
    pub(crate) fn decimal(&self, i: usize) -> Result<Decimal> {
        self.parsed(i, "a decimal")
    }

    /// A JSON document of type `T`.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(
        &self,
        i: usize,
        expected: &str,
    ) -> Result<T> {
        let t = self.text(i)?;
        serde_json::from_str(&t).map_err(|_| self.corrupt(i, expected))
    }

    /// A `;`-separated list (empty text or NULL is the empty list).
    pub(crate) fn list(&self, i: usize) -> Result<Vec<String>> {
        Ok(self
            .opt_text(i)?
            .unwrap_or_default()
            .split(';')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// The instant a stored leaf says its event occurred.
    pub(crate) fn leaf_occurred_at(&self, i: usize) -> Result<Timestamp> {
        #[derive(serde::Deserialize)]
        struct Head {
            occurred_at: Timestamp,
        }
        Ok(self
            .json::<Head>(i, "a leaf with `occurred_at`")?
            .occurred_at)
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Decodes every row with `f`, which names the table's columns through [`At`].
pub(crate) fn rows<T>(
    table: &'static str,
    cols: &'static [&'static str],
    rows: &[Row],
    f: impl Fn(&At<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    rows.iter().map(|r| f(&At::new(table, cols, r))).collect()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_value_names_table_row_and_column() {
        let row: Row = vec![Value::Text("C-1".into()), Value::Text("2025-13-01".into())];
        let at = At::new("stays", &["person_id", "admitted_on"], &row);
        let e = at.date(1).unwrap_err().to_string();
        assert!(e.contains("table `stays`"), "{e}");
        assert!(e.contains("\"C-1\""), "{e}");
        assert!(e.contains("column `admitted_on`"), "{e}");
        assert!(e.contains("2025-13-01"), "{e}");
        assert_eq!(at.text(0).unwrap(), "C-1");
        let row: Row = vec![Value::Text("x".into()), Value::Int(2)];
        assert!(At::new("cells", &["id", "in_use"], &row).flag(1).is_err());
        let row: Row = vec![Value::Int(-1)];
        assert!(At::new("cells", &["capacity"], &row).u64(0).is_err());
    }
}
