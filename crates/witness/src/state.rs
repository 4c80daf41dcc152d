//! The witness's memory: the latest cosigned (size, root) per origin, and the refused
//! checkpoints kept as evidence, in SQLite.
//!
//! INVARIANT: a stored size never decreases. The check against the stored state and the write
//! of the new state happen in one `BEGIN IMMEDIATE` transaction, under the connection's mutex
//! (one process) and SQLite's write lock (several processes on one file), and the write is a
//! compare-and-swap on the (size, root) that was checked. So two requests can never both be
//! checked against the same old state and both be persisted (the race tlog-witness spells out).

use std::path::Path;
use std::sync::{Mutex, mpsc};

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
    /// The writer thread is gone, or a transaction could not begin or commit.
    #[error("witness state: {0}")]
    Closed(String),
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
///
/// One writer thread owns the connection and runs every operation, in order, inside
/// `BEGIN IMMEDIATE` transactions; operations that arrive while a transaction commits are
/// grouped into the next one (group commit: one fsync for many checkpoints). A caller gets its
/// result only after the transaction holding its write has committed, so a cosignature never
/// leaves before the state it implies is on disk.
#[derive(Debug)]
pub struct WitnessDb {
    sender: Option<Mutex<mpsc::Sender<Task>>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

/// Work run by the writer inside a transaction; it returns what to do once the transaction
/// has committed (or failed to: then with the error).
type Task = Box<dyn FnOnce(&Connection) -> Finish + Send>;
type Finish = Box<dyn FnOnce(Option<&str>) + Send>;

/// The most operations grouped into one transaction.
const MAX_BATCH: usize = 256;

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
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Self::init(conn)
    }

    /// A state that lives in memory only (tests).
    pub fn open_in_memory() -> Result<Self, StateError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, StateError> {
        conn.execute_batch(SCHEMA)?;
        let (sender, receiver) = mpsc::channel::<Task>();
        let writer = std::thread::Builder::new()
            .name("witness-state".into())
            .spawn(move || writer(&mut conn, &receiver))
            .map_err(|e| StateError::Closed(e.to_string()))?;
        Ok(Self {
            sender: Some(Mutex::new(sender)),
            writer: Some(writer),
        })
    }

    /// Runs `f` on the writer, inside a transaction; returns its result once committed.
    fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StateError> + Send + 'static,
    ) -> Result<R, StateError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let task: Task = Box::new(move |conn| {
            let r = f(conn);
            Box::new(move |commit_error: Option<&str>| {
                let r = match commit_error {
                    Some(e) => Err(StateError::Closed(e.to_string())),
                    None => r,
                };
                let _ = tx.send(r);
            })
        });
        let sender = self
            .sender
            .as_ref()
            .ok_or_else(|| StateError::Closed("closed".into()))?
            .lock()
            .map_err(|_| StateError::Poisoned)?
            .clone();
        sender
            .send(task)
            .map_err(|_| StateError::Closed("the writer stopped".into()))?;
        rx.recv()
            .map_err(|_| StateError::Closed("the writer dropped the request".into()))?
    }

    /// The latest cosigned checkpoint for `origin`, if any.
    pub fn latest(&self, origin: &str) -> Result<Option<Latest>, StateError> {
        let origin = origin.to_string();
        self.run(move |conn| read_latest(conn, &origin))
    }

    /// The refused requests kept as evidence, oldest first.
    pub fn refused(&self) -> Result<Vec<Refused>, StateError> {
        self.run(read_refused)
    }

    /// Runs `check` on the origin's current state and applies its decision, atomically.
    /// `request` is kept when the decision is a refusal; `now` stamps the row.
    pub fn check_and_update<R: Send + 'static>(
        &self,
        origin: &str,
        now: u64,
        request: &str,
        check: impl FnOnce(Option<&Latest>) -> Decision<R> + Send + 'static,
    ) -> Result<R, StateError> {
        let (origin, request) = (origin.to_string(), request.to_string());
        self.run(move |conn| apply(conn, &origin, now, &request, check))
    }
}

impl Drop for WitnessDb {
    fn drop(&mut self) {
        // Closing the channel stops the writer once it has finished what it was given.
        drop(self.sender.take());
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// The writer: waits for work, groups what is waiting into one transaction, commits, answers.
fn writer(conn: &mut Connection, receiver: &mpsc::Receiver<Task>) {
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(t) => batch.push(t),
                Err(_) => break,
            }
        }
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                // Run nothing; dropping the tasks answers every caller with `Closed`.
                tracing::error!("witness state: begin: {e}");
                drop(batch);
                continue;
            }
        };
        let finishers: Vec<Finish> = batch.into_iter().map(|t| t(&tx)).collect();
        match tx.commit() {
            Ok(()) => finishers.into_iter().for_each(|f| f(None)),
            Err(e) => {
                let msg = format!("commit: {e}");
                tracing::error!("witness state: {msg}");
                finishers.into_iter().for_each(|f| f(Some(&msg)));
            }
        }
    }
}

fn read_refused(conn: &Connection) -> Result<Vec<Refused>, StateError> {
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

fn apply<R>(
    tx: &Connection,
    origin: &str,
    now: u64,
    request: &str,
    check: impl FnOnce(Option<&Latest>) -> Decision<R>,
) -> Result<R, StateError> {
    let current = read_latest(tx, origin)?;
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
    Ok(value)
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
