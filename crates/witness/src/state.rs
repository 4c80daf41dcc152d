//! The witness's memory: the latest cosigned (size, root) per origin, and the refused
//! checkpoints kept as evidence, in SQLite.
//!
//! INVARIANT: a stored size never decreases. The check against the stored state and the write
//! of the new state happen in one `BEGIN IMMEDIATE` transaction, under the connection's mutex
//! (one process) and SQLite's write lock (several processes on one file), and the write is a
//! compare-and-swap on the (size, root) that was checked. So two requests can never both be
//! checked against the same old state and both be persisted (the race tlog-witness spells out).

use std::path::Path;
use std::sync::Mutex;

use custodia_ledger::Hash;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// Errors of the witness's state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// SQLite failed.
    #[error("witness state: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A row does not decode.
    #[error("witness state: corrupt row for origin `{0}`")]
    Corrupt(String),
    /// The state's lock was poisoned by a panic.
    #[error("witness state: lock poisoned")]
    Poisoned,
    /// The compare-and-swap found another writer's state (only with several processes).
    #[error("witness state: concurrent update of origin `{0}`")]
    Raced(String),
}

/// The latest checkpoint cosigned for one origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Latest {
    /// Its tree size.
    pub size: u64,
    /// Its root hash.
    pub root: Hash,
    /// The checkpoint note as the witness serves it (log signatures it verified, and its own
    /// cosignature).
    pub note: String,
}

/// What a check decided, under the lock.
#[derive(Debug)]
pub enum Decision<R> {
    /// Persist this as the origin's latest state, then return `R`.
    Advance { latest: Latest, value: R },
    /// Record nothing; return `R` (a conflict, or a re-submission of the same checkpoint).
    Keep(R),
    /// Record the refusal as evidence (`status`, `reason`), then return `R`.
    Refuse {
        status: u16,
        reason: String,
        value: R,
    },
}

/// The witness's SQLite state.
#[derive(Debug)]
pub struct WitnessDb {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS witness_checkpoints (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32),
    note TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS witness_refused (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    request TEXT NOT NULL
);
";

/// One refused request kept as evidence of possible log misbehaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub origin: String,
    pub received_at: u64,
    pub status: u16,
    pub reason: String,
    /// The whole request body.
    pub request: String,
}

impl WitnessDb {
    /// Opens (creating when absent) the state at `path`: WAL, `synchronous = FULL` so that a
    /// cosigned state is on disk before the cosignature leaves.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Self::init(conn)
    }

    /// A state that lives in memory only (tests).
    pub fn open_in_memory() -> Result<Self, StateError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StateError> {
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// The latest cosigned checkpoint for `origin`, if any.
    pub fn latest(&self, origin: &str) -> Result<Option<Latest>, StateError> {
        let conn = self.conn.lock().map_err(|_| StateError::Poisoned)?;
        read_latest(&conn, origin)
    }

    /// The refused requests kept as evidence, oldest first.
    pub fn refused(&self) -> Result<Vec<Refused>, StateError> {
        let conn = self.conn.lock().map_err(|_| StateError::Poisoned)?;
        let mut st = conn.prepare_cached(
            "SELECT origin, received_at, status, reason, request FROM witness_refused ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (origin, at, status, reason, request) = row?;
            out.push(Refused {
                received_at: u64::try_from(at).map_err(|_| StateError::Corrupt(origin.clone()))?,
                status: u16::try_from(status).map_err(|_| StateError::Corrupt(origin.clone()))?,
                origin,
                reason,
                request,
            });
        }
        Ok(out)
    }

    /// Runs `check` on the origin's current state and applies its decision, atomically.
    /// `request` is kept when the decision is a refusal; `now` stamps the row.
    pub fn check_and_update<R>(
        &self,
        origin: &str,
        now: u64,
        request: &str,
        check: impl FnOnce(Option<&Latest>) -> Decision<R>,
    ) -> Result<R, StateError> {
        let mut conn = self.conn.lock().map_err(|_| StateError::Poisoned)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = read_latest(&tx, origin)?;
        let now_i = i64::try_from(now).unwrap_or(i64::MAX);
        let value = match check(current.as_ref()) {
            Decision::Keep(v) => v,
            Decision::Refuse {
                status,
                reason,
                value,
            } => {
                tx.execute(
                    "INSERT INTO witness_refused (origin, received_at, status, reason, request)
                     VALUES (?, ?, ?, ?, ?)",
                    params![origin, now_i, i64::from(status), reason, request],
                )?;
                value
            }
            Decision::Advance { latest, value } => {
                let size =
                    i64::try_from(latest.size).map_err(|_| StateError::Corrupt(origin.into()))?;
                let changed = match &current {
                    None => tx.execute(
                        "INSERT INTO witness_checkpoints (origin, size, root, note, updated_at)
                         VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO NOTHING",
                        params![origin, size, &latest.root.0[..], latest.note, now_i],
                    )?,
                    Some(old) => tx.execute(
                        "UPDATE witness_checkpoints SET size = ?, root = ?, note = ?, updated_at = ?
                         WHERE origin = ? AND size = ? AND root = ? AND size <= ?",
                        params![
                            size,
                            &latest.root.0[..],
                            latest.note,
                            now_i,
                            origin,
                            i64::try_from(old.size).map_err(|_| StateError::Corrupt(origin.into()))?,
                            &old.root.0[..],
                            size
                        ],
                    )?,
                };
                if changed != 1 {
                    return Err(StateError::Raced(origin.to_string()));
                }
                value
            }
        };
        tx.commit()?;
        Ok(value)
    }
}

fn read_latest(conn: &Connection, origin: &str) -> Result<Option<Latest>, StateError> {
    let row = conn
        .prepare_cached("SELECT size, root, note FROM witness_checkpoints WHERE origin = ?")?
        .query_row([origin], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    let Some((size, root, note)) = row else {
        return Ok(None);
    };
    let size = u64::try_from(size).map_err(|_| StateError::Corrupt(origin.to_string()))?;
    let root: [u8; 32] = root
        .try_into()
        .map_err(|_| StateError::Corrupt(origin.to_string()))?;
    Ok(Some(Latest {
        size,
        root: Hash(root),
        note,
    }))
}
