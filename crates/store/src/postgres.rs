//! PostgreSQL backend (issue 9): not built yet.

use crate::error::{Result, StoreError};

/// A PostgreSQL database.
pub struct Postgres;

impl Postgres {
    /// Connects to `url`.
    pub fn connect(url: &str) -> Result<crate::sqlite::Sqlite> {
        Err(StoreError::Unavailable(format!("PostgreSQL backend not available yet for `{url}`")))
    }
}
