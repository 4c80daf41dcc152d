//! Typed reads: every statement a use case needs, written once, decoding strictly.
//!
//! [`Reads`] wraps a connection inside a snapshot ([`crate::Store::view`]) or inside a write
//! transaction ([`crate::Tx::reads`]), so one method serves both: a use case reads the state
//! it decides on in the same transaction that appends its events. Rows come back as dates,
//! decimals, counts and flags, or as [`crate::StoreError::Corrupt`] naming the table, row and
//! column; never as a default.

pub mod billing;
pub mod federation;
pub mod housing;
pub mod manifests;
pub mod persons;

use crate::backend::{Conn, Row, Value};
use crate::error::Result;

/// Typed reads on one connection (a snapshot or a write transaction).
pub struct Reads<'a> {
    c: &'a mut dyn Conn,
}

impl<'a> Reads<'a> {
    pub(crate) fn new(c: &'a mut dyn Conn) -> Self {
        Self { c }
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        self.c.query(sql, params)
    }

    fn exists(&mut self, sql: &str, params: &[Value]) -> Result<bool> {
        Ok(!self.c.query(sql, params)?.is_empty())
    }

    /// A `SELECT COUNT(*)` over `table`.
    fn count(&mut self, table: &'static str, sql: &str, params: &[Value]) -> Result<u64> {
        let r = self.query(sql, params)?;
        crate::decode::rows(table, &["COUNT(*)"], &r, |a| a.u64(0))?
            .into_iter()
            .next()
            .ok_or_else(|| {
                crate::StoreError::Corrupt(format!("table `{table}`: COUNT(*) gave no row"))
            })
    }
}

impl Reads<'_> {
    /// One manifest by id, if it exists.
    pub fn manifest(&mut self, id: &str) -> Result<Option<crate::queries::ManifestRow>> {
        crate::queries::manifest_by_id(self.c, id)
    }

    /// A correction by id, if it exists.
    pub fn correction(&mut self, id: &str) -> Result<Option<crate::law::Correction>> {
        crate::law::correction(self.c, id)
    }

    /// The number of corrections ever proposed (the next id is one more).
    pub fn correction_count(&mut self) -> Result<i64> {
        crate::law::correction_count(self.c)
    }

    /// The records of every class-wide order for the classes the person is tagged with,
    /// oldest first, as stored JSON.
    pub fn class_orders_for(&mut self, person_id: &str) -> Result<Vec<String>> {
        crate::law::class_orders_for(self.c, person_id)
    }
}
