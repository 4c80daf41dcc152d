//! The one seam between the store's logic and a database: [`Backend`] and [`Conn`].
//!
//! Every query the store runs is written once, in the SQL that SQLite and PostgreSQL share,
//! with `?` placeholders; a backend rewrites the placeholders if it must. Values cross the
//! seam as [`Value`]s, so the logic above never sees a driver type.

use crate::error::Result;

/// A SQL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    /// The text, if this is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }
    /// The integer, if this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }
    /// The float (integers widen).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Real(f) => Some(*f),
            Self::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
    /// The bytes, if this is a blob.
    pub fn as_blob(&self) -> Option<&[u8]> {
        match self {
            Self::Blob(b) => Some(b),
            _ => None,
        }
    }
    /// Text or NULL.
    pub fn opt_str(&self) -> Option<String> {
        self.as_str().map(str::to_string)
    }
    /// A canonical rendering, equal across backends for equal values (used to compare a
    /// stored projection with its replay).
    pub fn canonical(&self) -> String {
        match self {
            Self::Null => "NULL".into(),
            Self::Int(i) => i.to_string(),
            Self::Real(f) => format!("{f:?}"),
            Self::Text(s) => format!("{s:?}"),
            Self::Blob(b) => format!("x'{}'", hex::encode(b)),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Self::Text(s.clone())
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}
impl From<u64> for Value {
    fn from(i: u64) -> Self {
        Self::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}
impl From<u32> for Value {
    fn from(i: u32) -> Self {
        Self::Int(i64::from(i))
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Int(i64::from(b))
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Self::Real(f)
    }
}
impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Self::Blob(b)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Self::Null, Into::into)
    }
}

/// A row.
pub type Row = Vec<Value>;

/// A connection inside a transaction.
pub trait Conn {
    /// Runs a statement; returns the rows changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Runs a query; returns every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;
    /// Inserts many rows into `table` (columns named) as fast as the backend can.
    fn insert_many(&mut self, table: &str, columns: &[&str], rows: &[Row]) -> Result<()>;
    /// From `true` to `false`, the backend may hold back single-row INSERTs (plain, or
    /// `ON CONFLICT … DO NOTHING`) and [`Conn::insert_many`] rows, and write them as
    /// multi-row statements; it writes them before any other statement runs, when `false`
    /// is passed, and before commit, so nothing can observe the difference except the row
    /// count a held-back INSERT returns (always 1). Only the append path, which reads no
    /// such count, turns it on. SQLite, in-process, has no round trip to save: a no-op.
    fn batch_inserts(&mut self, on: bool) -> Result<()> {
        let _ = on;
        Ok(())
    }
}

/// A visitor of ledger rows: `(seq, body, hashes)`.
pub type LedgerVisitor<'a> = dyn FnMut(i64, &[u8], &[u8]) -> Result<()> + 'a;

/// Which SQL dialect a backend speaks, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A database holding one store.
pub trait Backend: Send {
    /// The dialect.
    fn dialect(&self) -> Dialect;
    /// Applies the pending migrations of this backend.
    fn migrate(&mut self) -> Result<()>;
    /// Runs `f` in one transaction that excludes every other writer, in this process or
    /// another: appends serialize through the database, never through process state.
    fn write(&mut self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<()>) -> Result<()>;
    /// Runs `f` on a consistent snapshot for reading.
    fn read(&mut self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<()>) -> Result<()>;
    /// Streams the rows of a query in chunks without holding them all (verify, export).
    fn stream(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()>;

    /// Streams the ledger in order as `(seq, body, hashes)`, borrowed. The default goes
    /// through [`Backend::stream`]; a backend may override it to avoid copying each row.
    fn stream_ledger(&mut self, f: &mut LedgerVisitor<'_>) -> Result<()> {
        self.stream(
            "SELECT seq, body, hashes FROM ledger ORDER BY seq",
            &[],
            &mut |r| {
                let body = r.get(1).and_then(Value::as_str).unwrap_or("").as_bytes();
                let hashes = r.get(2).and_then(Value::as_blob).unwrap_or(&[]);
                f(
                    r.first().and_then(Value::as_i64).unwrap_or(-1),
                    body,
                    hashes,
                )
            },
        )
    }
}
