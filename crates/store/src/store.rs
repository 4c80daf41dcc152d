//! [`Store`]: the ledger and its projections over one [`Backend`].

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use custodia_ledger::{
    Frontier, Hash, HashReader, LogKey, SignedCheckpoint, consistency_proof, inclusion_proof,
    leaf_hash, stored_hash_location, tree_root,
};
use custodia_model::clock::Clock;
use custodia_model::events::{Leaf, NewEvent};

use crate::backend::{Backend, Conn, Dialect, Row, Value};
use crate::error::{Result, StoreError};
use crate::project;

/// The origin line of the log's checkpoints, and the signing key's name.
pub const DEFAULT_ORIGIN: &str = "custodia.example/ledger";

/// How to open a store.
pub struct OpenOptions {
    /// The key file; `None` means the store's path plus `.key` (SQLite only).
    pub key_path: Option<PathBuf>,
    /// The clock that stamps `recorded_at`.
    pub clock: Arc<dyn Clock>,
}

/// What an append committed.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// The seq of the first event appended.
    pub first_seq: u64,
    /// The tree size after the batch.
    pub size: u64,
    /// The new root.
    pub root: Hash,
}

/// An inclusion proof as CONTRACT §3 prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    pub leaf_hash: Hash,
    pub proof: Vec<Hash>,
}

/// The inclusion proof as CONTRACT §3 prints it, keys in the contract's order:
/// `{"index":I,"size":N,"leaf_hash":"<hex>","proof":["<hex>",…]}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InclusionProofJson {
    pub index: u64,
    pub size: u64,
    pub leaf_hash: String,
    pub proof: Vec<String>,
}

impl InclusionProof {
    /// The wire form.
    pub fn to_wire(&self) -> InclusionProofJson {
        InclusionProofJson {
            index: self.index,
            size: self.size,
            leaf_hash: hex::encode(self.leaf_hash.0),
            proof: self.proof.iter().map(|h| hex::encode(h.0)).collect(),
        }
    }
}

/// The consistency proof as CONTRACT §3 prints it, keys in the contract's order:
/// `{"old_size":M,"new_size":N,"proof":["<hex>",…]}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsistencyProofJson {
    pub old_size: u64,
    pub new_size: u64,
    pub proof: Vec<String>,
}

impl ConsistencyProofJson {
    /// The wire form of a proof from `old_size` to `new_size`.
    pub fn new(old_size: u64, new_size: u64, proof: &[Hash]) -> Self {
        Self {
            old_size,
            new_size,
            proof: proof.iter().map(|h| hex::encode(h.0)).collect(),
        }
    }
}

/// One signed checkpoint of the log's history, with the RFC 9162 consistency proof from the
/// stored checkpoint before it (`prev_size`; 0 and an empty proof for the first).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub checkpoint: SignedCheckpoint,
    pub prev_size: u64,
    pub proof: Vec<Hash>,
}

/// The wire form of a [`HistoryEntry`] (`custodia log checkpoints`, `GET
/// /api/v1/log/checkpoints`): `{"size":N,"root":"<hex>","note":"<signed note>",
/// "consistency":{"old_size":M,"new_size":N,"proof":["<hex>",…]}}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HistoryEntryJson {
    pub size: u64,
    pub root: String,
    pub note: String,
    pub consistency: ConsistencyProofJson,
}

impl HistoryEntry {
    /// The wire form.
    pub fn to_wire(&self) -> HistoryEntryJson {
        HistoryEntryJson {
            size: self.checkpoint.size,
            root: hex::encode(self.checkpoint.root.0),
            note: self.checkpoint.note.clone(),
            consistency: ConsistencyProofJson::new(
                self.prev_size,
                self.checkpoint.size,
                &self.proof,
            ),
        }
    }
}

/// The custody store: ledger, checkpoints and projections, on SQLite or PostgreSQL.
pub struct Store {
    backend: Box<dyn Backend>,
    /// The signing key; `None` for a store opened read-only ([`Store::open_read_only`]).
    key: Option<LogKey>,
    /// The verifier key recorded in the store (`meta.verifier_key`).
    vkey: String,
    /// The origin line of its checkpoints.
    origin: String,
    clock: Arc<dyn Clock>,
    location: String,
    on_commit: Option<CommitHook>,
    /// An idempotency key to record in the next write transaction (see [`Store::claim`]).
    claim: Option<crate::auth::IdempotencyClaim>,
    claim_state: ClaimState,
}

/// What became of the idempotency claim a request made ([`Store::claim`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    /// No write transaction committed since the claim: it was not recorded.
    NotUsed,
    /// It was recorded in the same transaction as the use case's effects.
    Recorded,
    /// Another request holds the key: the use case's transaction was rolled back.
    Taken,
}

/// Called after each committed append with its receipt (the witnesses' submitter listens).
pub type CommitHook = Arc<dyn Fn(&Receipt) + Send + Sync>;

/// Whether `location` names a PostgreSQL server rather than a SQLite file.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// The default key file of a store: its path plus `.key`.
pub fn default_key_path(location: &str) -> Option<PathBuf> {
    if is_postgres(location) {
        None
    } else {
        Some(PathBuf::from(format!("{location}.key")))
    }
}

/// Reads stored tree hashes through a connection.
pub(crate) struct ConnHashes<'a, 'b> {
    pub conn: RefCell<&'a mut (dyn Conn + 'b)>,
}

impl HashReader for ConnHashes<'_, '_> {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog_err::Error> {
        let mut out = Vec::with_capacity(indexes.len());
        let mut conn = self.conn.borrow_mut();
        for &i in indexes {
            let (seq, pos) = stored_hash_location(i);
            let rows = conn
                .query(
                    "SELECT hashes FROM ledger WHERE seq = ?",
                    &[Value::from(seq)],
                )
                .map_err(|_| tlog_err::Error::IndexesNotInTree)?;
            let blob = rows
                .first()
                .and_then(|r| r.first())
                .and_then(Value::as_blob)
                .ok_or(tlog_err::Error::IndexesNotInTree)?;
            let h = blob
                .get(pos * 32..pos * 32 + 32)
                .and_then(|s| <[u8; 32]>::try_from(s).ok())
                .ok_or(tlog_err::Error::IndexesNotInTree)?;
            out.push(Hash(h));
        }
        Ok(out)
    }
}

mod tlog_err {
    pub use custodia_ledger::HashError as Error;
}

pub(crate) fn size_of(c: &mut dyn Conn) -> Result<u64> {
    let rows = c.query("SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger", &[])?;
    let n = rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::as_i64)
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) fn hash_from(v: &Value) -> Result<Hash> {
    v.as_blob()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(Hash)
        .ok_or_else(|| StoreError::Corrupt("a stored hash is not 32 bytes".into()))
}

/// The backstop of "clean input everywhere" (issue 18): no text in the ledger holds a NUL,
/// which PostgreSQL's `text` cannot store (a restore into it would fail half-way). Each
/// input checks its own fields first and names them; this refuses whatever slipped past,
/// and the whole transaction with it. A cheap byte scan first: serde_json writes a NUL as
/// `\u0000`.
fn refuse_nul(bytes: &[u8], leaf: &Leaf) -> Result<()> {
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return Ok(());
    }
    fn has_nul(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(a) => a.iter().any(has_nul),
            serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
            _ => false,
        }
    }
    let v: serde_json::Value = serde_json::from_slice(bytes)?;
    if has_nul(&v) {
        return Err(StoreError::Invalid(format!(
            "a `{}` event holds a NUL character in a text field; expected plain text (nothing was written)",
            leaf.data.kind()
        )));
    }
    Ok(())
}

/// Ledger rows per `insert_many` call.
const CHUNK: usize = 1_000;

/// Appends `events` on `c` (already inside a write transaction): leaves, tree hashes,
/// projections and a signed checkpoint, all in that one transaction.
pub(crate) fn append_in(
    c: &mut dyn Conn,
    key: &LogKey,
    recorded_at: jiff::Timestamp,
    events: Vec<NewEvent>,
) -> Result<Receipt> {
    let start = size_of(c)?;
    let mut frontier = Frontier::load(
        start,
        &ConnHashes {
            conn: RefCell::new(&mut *c),
        },
    )?;
    let mut hashes = Vec::with_capacity(8);
    // Ledger rows go in with one `insert_many` per chunk and projections are applied event
    // by event; on PostgreSQL the INSERTs of both are held back and sent as one COPY or
    // `unnest` statement per table (`Conn::batch_inserts`), on SQLite they run as they come.
    c.batch_inserts(true)?;
    let mut rows: Vec<Vec<Value>> = Vec::with_capacity(events.len().min(CHUNK));
    for (i, ev) in events.into_iter().enumerate() {
        let leaf = Leaf {
            seq: start + i as u64,
            occurred_at: ev.occurred_at,
            recorded_at,
            data: ev.data,
            actor: ev.actor,
        };
        let bytes = leaf.to_bytes()?;
        refuse_nul(&bytes, &leaf)?;
        hashes.clear();
        frontier.push(leaf_hash(&bytes), &mut hashes)?;
        let blob: Vec<u8> = hashes.iter().flat_map(|h| h.0).collect();
        let body = String::from_utf8(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        project::apply(c, &leaf)?;
        rows.push(vec![leaf.seq.into(), body.into(), blob.into()]);
        if rows.len() == CHUNK {
            c.insert_many("ledger", &["seq", "body", "hashes"], &rows)?;
            rows.clear();
        }
    }
    if !rows.is_empty() {
        c.insert_many("ledger", &["seq", "body", "hashes"], &rows)?;
    }
    let size = frontier.size();
    let root = frontier.root();
    if size > start {
        let cp = key
            .sign(size, root)
            .map_err(|e| StoreError::Db(e.to_string()))?;
        c.execute(
            "INSERT INTO checkpoints (size, root, note) VALUES (?, ?, ?)",
            &[size.into(), root.0.to_vec().into(), cp.note.into()],
        )?;
    }
    c.batch_inserts(false)?;
    Ok(Receipt {
        first_seq: start,
        size,
        root,
    })
}

/// A write transaction: read the current state, then emit the events that follow from it.
/// Everything emitted is appended in the same database transaction as the reads, so a
/// decision can never rest on a state that another writer changed in between.
pub struct Tx<'a> {
    conn: &'a mut dyn Conn,
    pending: Vec<NewEvent>,
}

impl Tx<'_> {
    raw_sql! {
        /// Runs a read query.
        fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
            self.conn.query(sql, params)
        }
    }
    /// Typed reads inside this transaction.
    pub fn reads(&mut self) -> crate::reads::Reads<'_> {
        crate::reads::Reads::new(&mut *self.conn)
    }
    raw_sql! {
        /// The connection, for the read queries written against [`Conn`] (the tests that
        /// rebuild projections by hand).
        #[cfg_attr(not(feature = "test-sql"), allow(dead_code))]
        fn conn(&mut self) -> &mut dyn Conn {
            &mut *self.conn
        }
    }
    /// Queues an event.
    pub fn emit(&mut self, ev: NewEvent) {
        self.pending.push(ev);
    }
    /// Events queued so far.
    pub fn pending(&self) -> &[NewEvent] {
        &self.pending
    }
    raw_sql! {
        /// Non-ledger service tables (tokens, sessions): a direct write.
        fn execute_service(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
            self.conn.execute(sql, params)
        }
    }
}

impl Store {
    /// Opens the store at `location` (a SQLite path or a `postgres://` URL), migrating it
    /// and creating its key on first use.
    pub fn open(location: &str, opts: OpenOptions) -> Result<Self> {
        let backend: Box<dyn Backend> = if is_postgres(location) {
            Box::new(crate::postgres::Postgres::connect(location)?)
        } else {
            Box::new(crate::sqlite::Sqlite::open(Path::new(location))?)
        };
        let key_path = opts
            .key_path
            .or_else(|| default_key_path(location))
            .ok_or_else(|| {
                StoreError::Invalid(
                    "a PostgreSQL store needs its key file named by `CUSTODIA_KEY`".into(),
                )
            })?;
        Self::with_backend(backend, &key_path, opts.clock, location)
    }

    /// Opens a store over an already-connected backend.
    pub(crate) fn with_backend(
        mut backend: Box<dyn Backend>,
        key_path: &Path,
        clock: Arc<dyn Clock>,
        location: &str,
    ) -> Result<Self> {
        backend.migrate()?;
        let key_exists = key_path.exists();
        let mut size = 0;
        let mut stored_vkey: Option<String> = None;
        backend.read(&mut |c| {
            size = size_of(c)?;
            stored_vkey = c
                .query("SELECT value FROM meta WHERE key = 'verifier_key'", &[])?
                .first()
                .and_then(|r| r.first())
                .and_then(Value::opt_str);
            Ok(())
        })?;
        if !key_exists && (size > 0 || stored_vkey.is_some()) {
            return Err(StoreError::Invalid(format!(
                "key file `{}` is missing; this store's checkpoints were signed with another key",
                key_path.display()
            )));
        }
        let key = LogKey::load_or_create(key_path, DEFAULT_ORIGIN)?;
        if let Some(v) = &stored_vkey {
            if v != key.verifier_key() {
                return Err(StoreError::Invalid(format!(
                    "key file `{}` does not hold this store's key (store: `{v}`)",
                    key_path.display()
                )));
            }
        } else {
            let vkey = key.verifier_key().to_string();
            let origin = key.name().to_string();
            let empty = key
                .sign(0, tree_root(0, &custodia_ledger::MemoryHashes::default())?)
                .map_err(|e| StoreError::Db(e.to_string()))?;
            backend.write(&mut |c| {
                c.execute(
                    "INSERT INTO meta (key, value) VALUES ('verifier_key', ?), ('origin', ?) ON CONFLICT DO NOTHING",
                    &[vkey.as_str().into(), origin.as_str().into()],
                )?;
                c.execute(
                    "INSERT INTO checkpoints (size, root, note) VALUES (0, ?, ?) ON CONFLICT DO NOTHING",
                    &[empty.root.0.to_vec().into(), empty.note.as_str().into()],
                )?;
                Ok(())
            })?;
        }
        Ok(Self {
            backend,
            vkey: key.verifier_key().to_string(),
            origin: key.name().to_string(),
            key: Some(key),
            clock,
            location: location.to_string(),
            on_commit: None,
            claim: None,
            claim_state: ClaimState::NotUsed,
        })
    }

    /// Opens an existing store for reading only (`verify`): no migration, no key file, no
    /// write of any kind. A SQLite file that does not exist, a file that holds no custodia
    /// schema, or a PostgreSQL database that does not exist is [`StoreError::Missing`];
    /// nothing is ever created. The checkpoints are checked against the verifier key the
    /// store itself records unless the caller brings its own trust anchor.
    pub fn open_read_only(location: &str, clock: Arc<dyn Clock>) -> Result<Self> {
        let mut backend: Box<dyn Backend> = if is_postgres(location) {
            Box::new(crate::postgres::Postgres::connect_existing(location)?)
        } else {
            Box::new(crate::sqlite::Sqlite::open_read_only(Path::new(location))?)
        };
        let built_in = if is_postgres(location) {
            crate::postgres::MIGRATIONS
        } else {
            crate::sqlite::MIGRATIONS
        };
        let mut applied: Option<Vec<(i64, Option<String>)>> = None;
        let mut meta: Vec<(String, String)> = Vec::new();
        backend.read(&mut |c| {
            // A schema-less database (an empty file, a wrong database) has no such table;
            // a store from before checksums has no checksum column (its next writing open
            // adds it).
            let rows = c
                .query("SELECT version, checksum FROM schema_migrations", &[])
                .or_else(|_| c.query("SELECT version, NULL FROM schema_migrations", &[]))
                .ok();
            applied = match rows {
                None => None,
                Some(rows) => Some(
                    rows.iter()
                        .map(|r| {
                            let v = r.first().and_then(Value::as_i64).ok_or_else(|| {
                                StoreError::Corrupt(
                                    "schema_migrations: a version that is not a number".into(),
                                )
                            })?;
                            Ok((v, r.get(1).and_then(Value::opt_str)))
                        })
                        .collect::<Result<_>>()?,
                ),
            };
            if applied.is_some() {
                for r in c.query(
                    "SELECT key, value FROM meta WHERE key IN ('verifier_key', 'origin')",
                    &[],
                )? {
                    if let (Some(k), Some(v)) = (
                        r.first().and_then(Value::opt_str),
                        r.get(1).and_then(Value::opt_str),
                    ) {
                        meta.push((k, v));
                    }
                }
            }
            Ok(())
        })?;
        let Some(applied) = applied else {
            return Err(StoreError::Missing(format!(
                "`{location}` holds no custodia store (no schema)"
            )));
        };
        // Every applied migration must still be the one this binary knows (checksums).
        let plan = crate::migrate::plan(built_in, &applied)?;
        if let Some((v, ..)) = plan.to_apply.first() {
            return Err(StoreError::Invalid(format!(
                "the store at `{location}` lacks schema migration {v:04} (and {} more); any writing command migrates it",
                plan.to_apply.len() - 1
            )));
        }
        let get = |k: &str| meta.iter().find(|(m, _)| m == k).map(|(_, v)| v.clone());
        let vkey = get("verifier_key").ok_or_else(|| {
            StoreError::Missing(format!(
                "`{location}` holds no custodia store (no verifier key recorded)"
            ))
        })?;
        let origin = get("origin").unwrap_or_else(|| DEFAULT_ORIGIN.to_string());
        Ok(Self {
            backend,
            key: None,
            vkey,
            origin,
            clock,
            location: location.to_string(),
            on_commit: None,
            claim: None,
            claim_state: ClaimState::NotUsed,
        })
    }

    /// Where the store lives.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The backend's dialect.
    pub fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }

    /// The signing key; `None` when the store was opened read-only.
    pub fn key(&self) -> Option<&LogKey> {
        self.key.as_ref()
    }

    /// The signing key, or an error saying the store is read-only.
    pub(crate) fn signing_key(&self) -> Result<&LogKey> {
        self.key.as_ref().ok_or_else(|| {
            StoreError::Invalid(format!(
                "the store at `{}` was opened read-only",
                self.location
            ))
        })
    }

    /// The verifier key recorded in the store (`custodia log key`).
    pub fn verifier_key(&self) -> &str {
        &self.vkey
    }

    /// The origin line of the store's checkpoints.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The injected clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Appends a batch of events in one transaction, with one signed checkpoint.
    pub fn append(&mut self, events: Vec<NewEvent>) -> Result<Receipt> {
        let mut events = Some(events);
        let (_, r) = self.transact(|tx| {
            for e in events.take().into_iter().flatten() {
                tx.emit(e);
            }
            Ok(())
        })?;
        r.ok_or_else(|| StoreError::Invalid("empty batch".into()))
    }

    /// Runs `f` in one write transaction; appends what it emits (if anything) in the same
    /// transaction. `f` may run again if the backend retries a serialization failure.
    pub fn transact<T>(
        &mut self,
        f: impl FnMut(&mut Tx<'_>) -> Result<T>,
    ) -> Result<(T, Option<Receipt>)> {
        self.transact_with(f)
    }

    /// [`Store::transact`] for a use case with its own error type.
    ///
    /// `f` fails with the caller's own error type: a use case refuses with its own error and
    /// gets it back unchanged (the transaction is rolled back), with no trip through strings.
    pub fn transact_with<T, E: From<StoreError>>(
        &mut self,
        mut f: impl FnMut(&mut Tx<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<(T, Option<Receipt>), E> {
        let key = self.signing_key().map_err(E::from)?.clone();
        let clock = self.clock.clone();
        let mut out: Option<(T, Option<Receipt>)> = None;
        let mut refused: Option<E> = None;
        let claim = self.claim.clone();
        let mut claim_taken = false;
        let written = self.backend.write(&mut |c| {
            claim_taken = false;
            let mut tx = Tx {
                conn: c,
                pending: Vec::new(),
            };
            let v = match f(&mut tx) {
                Ok(v) => v,
                Err(e) => {
                    refused = Some(e);
                    // Any error rolls the transaction back; the caller's error is returned.
                    return Err(StoreError::Invalid("refused".into()));
                }
            };
            let pending = std::mem::take(&mut tx.pending);
            // The claim goes with the first transaction that appends: the request's effect.
            if !pending.is_empty()
                && let Some(claim) = &claim
                && !crate::auth::record_claim(tx.conn, claim)?
            {
                claim_taken = true;
                return Err(StoreError::Conflict(format!(
                    "idempotency key `{}` is already in use",
                    claim.key
                )));
            }
            let receipt = if pending.is_empty() {
                None
            } else {
                Some(append_in(tx.conn, &key, clock.now(), pending)?)
            };
            out = Some((v, receipt));
            Ok(())
        });
        if let Some(e) = refused {
            return Err(e);
        }
        if claim_taken {
            self.claim = None;
            self.claim_state = ClaimState::Taken;
        }
        written?;
        if out.as_ref().is_some_and(|o| o.1.is_some()) && self.claim.take().is_some() {
            self.claim_state = ClaimState::Recorded;
        }
        let out =
            out.ok_or_else(|| E::from(StoreError::Db("transaction produced no result".into())))?;
        if let Some(r) = &out.1 {
            self.committed(r);
        }
        Ok(out)
    }

    /// Claims an idempotency key for the request about to run: the next write transaction
    /// records the key in the same transaction as its effects, so two requests under one
    /// key cannot both take effect. If another request holds the key, that transaction is
    /// rolled back and [`Store::end_claim`] says [`ClaimState::Taken`].
    pub fn claim(&mut self, claim: crate::auth::IdempotencyClaim) {
        self.claim = Some(claim);
        self.claim_state = ClaimState::NotUsed;
    }

    /// Ends the claim made by [`Store::claim`] and says what became of it.
    pub fn end_claim(&mut self) -> ClaimState {
        self.claim = None;
        std::mem::replace(&mut self.claim_state, ClaimState::NotUsed)
    }

    /// Sets the hook called after each committed append (each batch, with its receipt),
    /// outside the transaction. It must not block: it is on the append path.
    pub fn set_on_commit(&mut self, hook: Option<CommitHook>) {
        self.on_commit = hook;
    }

    pub(crate) fn committed(&self, receipt: &Receipt) {
        if let Some(h) = &self.on_commit {
            h(receipt);
        }
    }

    raw_sql! {
        /// Runs read-only queries on one snapshot.
        fn read<T>(&mut self, mut f: impl FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
            let mut out = None;
            self.backend.read(&mut |c| {
                out = Some(f(c)?);
                Ok(())
            })?;
            out.ok_or_else(|| StoreError::Db("read produced no result".into()))
        }
    }

    /// Runs typed reads on one snapshot.
    pub fn view<T>(
        &mut self,
        mut f: impl FnMut(&mut crate::reads::Reads<'_>) -> Result<T>,
    ) -> Result<T> {
        self.read(|c| f(&mut crate::reads::Reads::new(c)))
    }

    /// [`Store::view`] for a use case with its own error type: `f`'s error comes back
    /// unchanged. A read never takes the write lock.
    pub fn view_with<T, E: From<StoreError>>(
        &mut self,
        mut f: impl FnMut(&mut crate::reads::Reads<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mut out = None;
        self.read(|c| {
            out = Some(f(&mut crate::reads::Reads::new(c)));
            Ok(())
        })
        .map_err(E::from)?;
        out.ok_or_else(|| E::from(StoreError::Db("read produced no result".into())))?
    }

    raw_sql! {
        /// Streams a query's rows.
        fn stream(
            &mut self,
            sql: &str,
            params: &[Value],
            f: &mut dyn FnMut(Row) -> Result<()>,
        ) -> Result<()> {
            self.backend.stream(sql, params, f)
        }
    }

    /// The number of entries in the log.
    pub fn size(&mut self) -> Result<u64> {
        self.read(size_of)
    }

    /// The latest signed checkpoint.
    pub fn checkpoint(&mut self) -> Result<SignedCheckpoint> {
        let origin = self.origin.clone();
        self.read(|c| {
            let rows = c.query(
                "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )?;
            let r = rows
                .first()
                .ok_or_else(|| StoreError::Corrupt("no checkpoint stored".into()))?;
            Ok(SignedCheckpoint {
                origin: origin.clone(),
                size: u64::try_from(r.first().and_then(Value::as_i64).unwrap_or(0)).unwrap_or(0),
                root: hash_from(r.get(1).unwrap_or(&Value::Null))?,
                note: r.get(2).and_then(Value::opt_str).unwrap_or_default(),
            })
        })
    }

    /// The checkpoint signed for the tree of exactly `size` entries (one is signed per
    /// batch, so for the size after each batch), if any.
    pub fn checkpoint_at(&mut self, size: u64) -> Result<Option<SignedCheckpoint>> {
        let origin = self.origin.clone();
        self.read(|c| {
            let rows = c.query(
                "SELECT size, root, note FROM checkpoints WHERE size = ?",
                &[size.into()],
            )?;
            rows.first()
                .map(|r| {
                    Ok(SignedCheckpoint {
                        origin: origin.clone(),
                        size,
                        root: hash_from(r.get(1).unwrap_or(&Value::Null))?,
                        note: r.get(2).and_then(Value::opt_str).unwrap_or_default(),
                    })
                })
                .transpose()
        })
    }

    /// Every checkpoint signed, newest first, at most `limit`.
    pub fn checkpoints(&mut self, limit: u64) -> Result<Vec<SignedCheckpoint>> {
        let origin = self.origin.clone();
        self.read(|c| {
            let rows = c.query(
                "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT ?",
                &[limit.into()],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(SignedCheckpoint {
                        origin: origin.clone(),
                        size: u64::try_from(r.first().and_then(Value::as_i64).unwrap_or(0))
                            .unwrap_or(0),
                        root: hash_from(r.get(1).unwrap_or(&Value::Null))?,
                        note: r.get(2).and_then(Value::opt_str).unwrap_or_default(),
                    })
                })
                .collect()
        })
    }

    /// The checkpoint history: every stored signed checkpoint of size `since` or more,
    /// oldest first (at most `limit`), each with the consistency proof from the stored
    /// checkpoint before it, all read from one snapshot. An auditor who holds any earlier
    /// checkpoint checks each step, so no history can be cut back or rewritten unseen.
    pub fn checkpoint_history(
        &mut self,
        since: u64,
        limit: Option<u64>,
    ) -> Result<Vec<HistoryEntry>> {
        let origin = self.origin.clone();
        let limit = limit.unwrap_or(u64::MAX >> 1);
        self.read(|c| {
            let prev = c
                .query(
                    "SELECT COALESCE(MAX(size), -1) FROM checkpoints WHERE size < ?",
                    &[since.into()],
                )?
                .first()
                .and_then(|r| r.first())
                .and_then(Value::as_i64)
                .unwrap_or(-1);
            let rows = c.query(
                "SELECT size, root, note FROM checkpoints WHERE size >= ? ORDER BY size LIMIT ?",
                &[since.into(), limit.into()],
            )?;
            let mut prev = u64::try_from(prev).ok();
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let size = r
                    .first()
                    .and_then(Value::as_i64)
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| {
                        StoreError::Corrupt("a checkpoint's size is not a size".into())
                    })?;
                let checkpoint = SignedCheckpoint {
                    origin: origin.clone(),
                    size,
                    root: hash_from(r.get(1).unwrap_or(&Value::Null))?,
                    note: r.get(2).and_then(Value::opt_str).unwrap_or_default(),
                };
                let prev_size = prev.unwrap_or(0);
                let proof = if prev_size == 0 || prev_size == size {
                    Vec::new()
                } else {
                    let h = ConnHashes {
                        conn: RefCell::new(&mut *c),
                    };
                    consistency_proof(prev_size, size, &h)?
                };
                out.push(HistoryEntry {
                    checkpoint,
                    prev_size,
                    proof,
                });
                prev = Some(size);
            }
            Ok(out)
        })
    }

    /// Writes leaves `from..to` (bytes, without newline) to `f`.
    pub fn export(
        &mut self,
        from: u64,
        to: Option<u64>,
        f: &mut dyn FnMut(u64, &str) -> Result<()>,
    ) -> Result<()> {
        let to = to.unwrap_or(u64::MAX >> 1);
        self.backend.stream(
            "SELECT seq, body FROM ledger WHERE seq >= ? AND seq < ? ORDER BY seq",
            &[from.into(), to.into()],
            &mut |r| {
                let a = crate::decode::At::new("ledger", &["seq", "body"], &r);
                let seq = a.u64(0)?;
                let body = r.get(1).and_then(Value::as_str).ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "table `ledger`, row {seq}: column `body`: expected text"
                    ))
                })?;
                f(seq, body)
            },
        )
    }

    /// Whether any entry in `from..to` changed state, that is, is not only the record of a
    /// read ([`custodia_model::events::READ_RECORD_KINDS`]). Caches of reports use this so
    /// that reading a person (which appends) does not throw away a standards report.
    pub fn changed_between(&mut self, from: u64, to: u64) -> Result<bool> {
        Ok(self.last_change_between(from, to)?.is_some())
    }

    /// The position of the last entry in `from..to` that changes state (anything but a
    /// recorded read), if there is one.
    pub fn last_change_between(&mut self, from: u64, to: u64) -> Result<Option<u64>> {
        #[derive(serde::Deserialize)]
        struct Kind<'a> {
            #[serde(borrow)]
            kind: std::borrow::Cow<'a, str>,
        }
        let mut last = None;
        self.export(from, Some(to), &mut |seq, body| {
            let k: Kind<'_> = serde_json::from_str(body)
                .map_err(|e| StoreError::Corrupt(format!("ledger row {seq}: column body: {e}")))?;
            if !custodia_model::events::READ_RECORD_KINDS.contains(&k.kind.as_ref()) {
                last = Some(seq);
            }
            Ok(())
        })?;
        Ok(last)
    }

    /// One leaf's bytes.
    pub fn leaf(&mut self, seq: u64) -> Result<Option<String>> {
        self.read(|c| {
            Ok(
                c.query("SELECT body FROM ledger WHERE seq = ?", &[seq.into()])?
                    .first()
                    .and_then(|r| r.first())
                    .and_then(Value::opt_str),
            )
        })
    }

    /// The RFC 9162 inclusion proof of entry `index` in the tree of `size` (default: now).
    pub fn prove(&mut self, index: u64, size: Option<u64>) -> Result<InclusionProof> {
        self.read(|c| {
            let current = size_of(c)?;
            let size = size.unwrap_or(current);
            if size > current {
                return Err(StoreError::Invalid(format!(
                    "size {size} is larger than the log ({current} entries)"
                )));
            }
            if index >= size {
                return Err(StoreError::Invalid(format!(
                    "index {index} is not below size {size}"
                )));
            }
            let r = ConnHashes {
                conn: RefCell::new(c),
            };
            let proof = inclusion_proof(size, index, &r)?;
            let leaf = r
                .read_hashes(&[custodia_ledger::stored_hash_index(0, index)])
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let leaf_hash = *leaf
                .first()
                .ok_or_else(|| StoreError::Corrupt("leaf hash missing".into()))?;
            Ok(InclusionProof {
                index,
                size,
                leaf_hash,
                proof,
            })
        })
    }

    /// The RFC 9162 consistency proof from `old` to `new` (default: now).
    pub fn consistency(&mut self, old: u64, new: Option<u64>) -> Result<(u64, u64, Vec<Hash>)> {
        self.read(|c| {
            let current = size_of(c)?;
            let new = new.unwrap_or(current);
            if new > current {
                return Err(StoreError::Invalid(format!(
                    "new size {new} is larger than the log ({current} entries)"
                )));
            }
            if old > new {
                return Err(StoreError::Invalid(format!(
                    "old size {old} is larger than new size {new}"
                )));
            }
            let r = ConnHashes {
                conn: RefCell::new(c),
            };
            Ok((old, new, consistency_proof(old, new, &r)?))
        })
    }

    /// The root of the tree of `size` entries, from stored hashes.
    pub fn root_at(&mut self, size: u64) -> Result<Hash> {
        self.read(|c| {
            let r = ConnHashes {
                conn: RefCell::new(c),
            };
            Ok(tree_root(size, &r)?)
        })
    }

    pub(crate) fn backend_mut(&mut self) -> &mut dyn Backend {
        self.backend.as_mut()
    }
}
