//! The embedded default: one SQLite file in WAL mode.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

use crate::backend::{Backend, Conn, Dialect, Row, Value};
use crate::error::{Result, StoreError};

/// Versioned, append-only migrations. Never edit one that has shipped: add the next.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/sqlite/0001_ledger.sql")),
    (2, include_str!("migrations/sqlite/0002_projections.sql")),
    (3, include_str!("migrations/sqlite/0003_service.sql")),
    (4, include_str!("migrations/sqlite/0004_separation.sql")),
    (
        5,
        include_str!("migrations/sqlite/0005_person_events_seq.sql"),
    ),
    (6, include_str!("migrations/sqlite/0006_custody_law.sql")),
    (7, include_str!("migrations/sqlite/0007_cosignatures.sql")),
    (
        10,
        include_str!("migrations/sqlite/0010_locator_public.sql"),
    ),
    (11, include_str!("migrations/sqlite/0011_federation.sql")),
    (13, include_str!("migrations/sqlite/0013_list_reads.sql")),
    (
        18,
        include_str!("migrations/sqlite/0018_passenger_person.sql"),
    ),
];

/// A SQLite database.
pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(60))?;
        // WAL lets readers run beside the one writer; NORMAL sync is durable against a
        // killed process (the committed WAL frames are in the OS), which is the failure
        // this store promises to survive.
        // Switching a new file to WAL needs its exclusive lock, and SQLite answers BUSY at
        // once (without the busy handler) when another connection opening the same new
        // file holds a shared lock: several processes opening a fresh store race here.
        let started = std::time::Instant::now();
        loop {
            match conn.pragma_update(None, "journal_mode", "WAL") {
                Ok(()) => break,
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
                        && started.elapsed() < Duration::from_secs(60) =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(e.into()),
            }
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        // Fewer, larger WAL checkpoints: batched appends write many pages at once; a 64 MiB
        // page cache keeps the tree's right edge and the indexes' hot pages in memory.
        conn.pragma_update(None, "wal_autocheckpoint", 16384)?;
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(Self { conn })
    }

    /// Opens an existing database file for reading only; never creates one. A path with no
    /// file is [`StoreError::Missing`].
    pub fn open_read_only(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(StoreError::Missing(format!(
                "no store at `{}`; verify never creates one",
                path.display()
            )));
        }
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(60))?;
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(Self { conn })
    }

    /// An in-memory database (replay during verification, tests).
    pub fn memory() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(Self { conn })
    }
}

struct V<'a>(&'a Value);

impl ToSql for V<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn to_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

struct Tx<'a> {
    conn: &'a Connection,
}

impl Conn for Tx<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut st = self.conn.prepare_cached(sql)?;
        let n = st.execute(rusqlite::params_from_iter(params.iter().map(V)))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let mut st = self.conn.prepare_cached(sql)?;
        let cols = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(params.iter().map(V)))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(cols);
            for i in 0..cols {
                row.push(to_value(r.get_ref(i)?));
            }
            out.push(row);
        }
        Ok(out)
    }

    fn insert_many(&mut self, table: &str, columns: &[&str], rows: &[Row]) -> Result<()> {
        let marks = vec!["?"; columns.len()].join(",");
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({marks})",
            columns.join(",")
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        for r in rows {
            st.execute(rusqlite::params_from_iter(r.iter().map(V)))?;
        }
        Ok(())
    }
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn migrate(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, checksum TEXT)",
        )?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Stores from before checksums have the table without the column.
        let has_checksum = tx
            .prepare(
                "SELECT 1 FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'",
            )?
            .exists([])?;
        if !has_checksum {
            tx.execute_batch("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT")?;
        }
        let applied: Vec<(i64, Option<String>)> = {
            let mut st = tx.prepare("SELECT version, checksum FROM schema_migrations")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        // Every version not yet applied (see crate::migrate).
        let plan = crate::migrate::plan(MIGRATIONS, &applied)?;
        for (v, sum) in &plan.backfill {
            tx.execute(
                "UPDATE schema_migrations SET checksum = ? WHERE version = ?",
                rusqlite::params![sum, v],
            )?;
        }
        for (v, sql, sum) in &plan.to_apply {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, checksum) VALUES (?, ?)",
                rusqlite::params![v, sum],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn write(&mut self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<()>) -> Result<()> {
        // IMMEDIATE takes the database's write lock at BEGIN: two processes appending at
        // once queue here (busy_timeout), so each reads the size the other committed.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        f(&mut Tx { conn: &tx })?;
        tx.commit()?;
        Ok(())
    }

    fn read(&mut self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<()>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
        f(&mut Tx { conn: &tx })?;
        tx.finish()?;
        Ok(())
    }

    fn stream_ledger(&mut self, f: &mut crate::backend::LedgerVisitor<'_>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
        {
            let mut st = tx.prepare("SELECT seq, body, hashes FROM ledger ORDER BY seq")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let seq = r.get_ref(0)?.as_i64().unwrap_or(-1);
                let body = match r.get_ref(1)? {
                    ValueRef::Text(t) | ValueRef::Blob(t) => t,
                    _ => &[],
                };
                let hashes = match r.get_ref(2)? {
                    ValueRef::Blob(b) => b,
                    _ => &[],
                };
                f(seq, body, hashes)?;
            }
        }
        tx.finish().map_err(StoreError::from)
    }

    fn stream(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
        {
            let mut st = tx.prepare(sql)?;
            let cols = st.column_count();
            let mut rows = st.query(rusqlite::params_from_iter(params.iter().map(V)))?;
            while let Some(r) = rows.next()? {
                let mut row = Vec::with_capacity(cols);
                for i in 0..cols {
                    row.push(to_value(r.get_ref(i)?));
                }
                f(row)?;
            }
        }
        tx.finish().map_err(StoreError::from)
    }
}
