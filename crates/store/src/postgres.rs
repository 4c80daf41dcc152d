//! The server backend: one PostgreSQL database per store, through the synchronous
//! `postgres` client.
//!
//! - The store's SQL is written once with `?` placeholders; they are rewritten to `$1..$n`
//!   here, and each rewritten statement is prepared once per connection and cached.
//! - Every write transaction first takes a transaction-level advisory lock on one fixed key,
//!   so writers in any number of processes or servers append one after another: one
//!   gap-free sequence, one tree, and no checkpoint signed over a state another writer
//!   changed underneath.
//! - A lost connection is [`StoreError::Unavailable`]; the next call connects again, so a
//!   server recovers by itself when the database returns.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{FromSql, IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};

use crate::backend::{Backend, Conn, Dialect, Row, Value};
use crate::error::{Result, StoreError};
use crate::pg_batch;

/// Versioned, append-only migrations, the twins of [`crate::sqlite::MIGRATIONS`] (same
/// tables, columns and order). Never edit one that has shipped: add the next.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/postgres/0001_ledger.sql")),
    (2, include_str!("migrations/postgres/0002_projections.sql")),
    (3, include_str!("migrations/postgres/0003_service.sql")),
    (4, include_str!("migrations/postgres/0004_separation.sql")),
    (
        5,
        include_str!("migrations/postgres/0005_person_events_seq.sql"),
    ),
    (6, include_str!("migrations/postgres/0006_custody_law.sql")),
    (7, include_str!("migrations/postgres/0007_cosignatures.sql")),
    (
        10,
        include_str!("migrations/postgres/0010_locator_public.sql"),
    ),
    (11, include_str!("migrations/postgres/0011_federation.sql")),
    (13, include_str!("migrations/postgres/0013_list_reads.sql")),
    (
        18,
        include_str!("migrations/postgres/0018_passenger_person.sql"),
    ),
];

/// The advisory-lock key every write transaction takes ("custodia" in ASCII). Advisory
/// locks are scoped to one database, so stores in different databases never contend.
pub const WRITE_LOCK: i64 = 0x6375_7374_6f64_6961;
/// The advisory-lock key migrations run under, so two processes opening a new database at
/// once do not both create its tables.
pub const MIGRATE_LOCK: i64 = 0x6375_7374_6d69_6772;

/// Rows fetched per round trip while streaming.
const STREAM_BATCH: i32 = 4096;
/// Prepared statements kept per connection before the cache is emptied.
const CACHE_CAP: usize = 512;

/// A PostgreSQL database holding one store.
pub struct Postgres {
    url: String,
    client: Option<Client>,
    stmts: HashMap<String, Statement>,
    /// Per statement text: how its rows are batched, or `None` when it never is.
    plans: HashMap<String, Option<Arc<Plan>>>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("url", &redact(&self.url))
            .finish_non_exhaustive()
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = &url[s + 3..at];
            match user.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &user[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Postgres {
    /// Connects to `url` (`postgres://user@host:port/dbname`).
    pub fn connect(url: &str) -> Result<Self> {
        let mut pg = Self {
            url: url.to_string(),
            client: None,
            stmts: HashMap::new(),
            plans: HashMap::new(),
        };
        pg.client()?;
        Ok(pg)
    }

    /// Connects to an existing store's database for reading (`verify`): a database that
    /// does not exist is [`StoreError::Missing`], never created.
    pub fn connect_existing(url: &str) -> Result<Self> {
        match Client::connect(url, NoTls) {
            Ok(c) => Ok(Self {
                url: url.to_string(),
                client: Some(c),
                stmts: HashMap::new(),
                plans: HashMap::new(),
            }),
            Err(e) if e.code().is_some_and(|c| c.code() == "3D000") => Err(StoreError::Missing(
                format!("no store at `{}`: {}", redact(url), detail(&e)),
            )),
            Err(e) => Err(StoreError::Unavailable(format!(
                "cannot connect to `{}`: {}",
                redact(url),
                detail(&e)
            ))),
        }
    }

    /// The live connection, connecting again if there is none or it was lost.
    fn client(&mut self) -> Result<&mut Client> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.client = None;
        }
        if self.client.is_none() {
            self.stmts.clear();
            self.plans.clear();
            let c = Client::connect(&self.url, NoTls).map_err(|e| {
                StoreError::Unavailable(format!(
                    "cannot connect to `{}`: {}",
                    redact(&self.url),
                    detail(&e)
                ))
            })?;
            self.client = Some(c);
        }
        self.client
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("no connection".into()))
    }

    /// Maps an error; forgets the connection when it was lost, so the next call reconnects.
    fn fail(&mut self, e: StoreError) -> StoreError {
        if matches!(e, StoreError::Unavailable(_)) {
            self.client = None;
            self.stmts.clear();
            self.plans.clear();
        }
        e
    }

    /// Runs `f` in a write transaction (under the advisory lock) or a read-only snapshot.
    fn run_tx(
        &mut self,
        write: bool,
        f: &mut dyn FnMut(&mut dyn Conn) -> Result<()>,
    ) -> Result<()> {
        let r = self.run_tx_inner(write, f);
        r.map_err(|e| self.fail(e))
    }

    fn run_tx_inner(
        &mut self,
        write: bool,
        f: &mut dyn FnMut(&mut dyn Conn) -> Result<()>,
    ) -> Result<()> {
        self.client()?;
        let Self {
            client,
            stmts,
            plans,
            ..
        } = self;
        let client = client
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("no connection".into()))?;
        let builder = client.build_transaction();
        let builder = if write {
            builder.isolation_level(postgres::IsolationLevel::ReadCommitted)
        } else {
            builder
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
        };
        let mut tx = builder.start().map_err(pg_err)?;
        if write {
            // Under READ COMMITTED every statement after this one sees what the previous
            // lock holder committed, so the size read next is the true end of the log.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                .map_err(pg_err)?;
        }
        let mut conn = PgConn {
            tx: &mut tx,
            stmts,
            plans,
            batching: false,
            pending: Vec::new(),
            pending_rows: 0,
        };
        f(&mut conn)?;
        // INVARIANT: nothing held back is left unwritten at commit.
        conn.flush()?;
        tx.commit().map_err(pg_err)
    }
}

/// The error's own message, with the server's detail when there is one.
fn detail(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => match e.source() {
            Some(s) => format!("{e}: {s}"),
            None => e.to_string(),
        },
    }
}

/// Maps a driver error: a lost connection (closed socket, I/O error, or the server's
/// connection-exception and shutdown codes) is `Unavailable`; the rest is `Db`.
fn pg_err(e: postgres::Error) -> StoreError {
    let lost = e.is_closed()
        || match e.code() {
            Some(c) => {
                let c = c.code();
                c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03")
            }
            None => {
                e.as_db_error().is_none() && e.source().is_some_and(|s| s.is::<std::io::Error>())
            }
        };
    if lost {
        StoreError::Unavailable(detail(&e))
    } else {
        StoreError::Db(detail(&e))
    }
}

/// Rewrites `?` placeholders to `$1..$n`, leaving quoted text and identifiers alone.
pub fn rewrite_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0u32;
    let mut quote: Option<char> = None;
    for ch in sql.chars() {
        match quote {
            Some(q) => {
                if ch == q {
                    quote = None;
                }
                out.push(ch);
            }
            None => match ch {
                '\'' | '"' => {
                    quote = Some(ch);
                    out.push(ch);
                }
                '?' => {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                }
                _ => out.push(ch),
            },
        }
    }
    out
}

/// A value bound as a parameter, encoded for the type the server inferred for it (so an
/// integer bound where the server expects text or a float still means the same thing, as
/// it does in SQLite).
struct P<'a>(&'a Value);

impl std::fmt::Debug for P<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

type BoxErr = Box<dyn StdError + Sync + Send>;

fn is_text(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON
    )
}

fn mismatch(v: &Value, ty: &Type) -> BoxErr {
    format!("cannot bind {v:?} to a parameter of type `{ty}`").into()
}

impl ToSql for P<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxErr> {
        encode(self.0, ty, out)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// Encodes `v` as a parameter of type `ty` (binary format), as SQLite would read it.
pub(crate) fn encode(
    v: &Value,
    ty: &Type,
    out: &mut BytesMut,
) -> std::result::Result<IsNull, BoxErr> {
    match v {
        Value::Null => return Ok(IsNull::Yes),
        Value::Int(i) => match *ty {
            Type::INT8 => out.put_i64(*i),
            Type::INT4 => out.put_i32(i32::try_from(*i)?),
            Type::INT2 => out.put_i16(i16::try_from(*i)?),
            Type::FLOAT8 => out.put_f64(*i as f64),
            Type::FLOAT4 => out.put_f32(*i as f32),
            Type::BOOL => out.put_u8(u8::from(*i != 0)),
            ref t if is_text(t) => out.put_slice(i.to_string().as_bytes()),
            _ => return Err(mismatch(v, ty)),
        },
        Value::Real(f) => match *ty {
            Type::FLOAT8 => out.put_f64(*f),
            Type::FLOAT4 => out.put_f32(*f as f32),
            ref t if is_text(t) => out.put_slice(format!("{f:?}").as_bytes()),
            _ => return Err(mismatch(v, ty)),
        },
        Value::Text(s) => match *ty {
            ref t if is_text(t) => out.put_slice(s.as_bytes()),
            Type::INT8 => out.put_i64(s.parse()?),
            Type::INT4 => out.put_i32(s.parse()?),
            Type::FLOAT8 => out.put_f64(s.parse()?),
            Type::BYTEA => out.put_slice(s.as_bytes()),
            _ => return Err(mismatch(v, ty)),
        },
        Value::Blob(b) => match *ty {
            Type::BYTEA => out.put_slice(b),
            _ => return Err(mismatch(v, ty)),
        },
    }
    Ok(IsNull::No)
}

/// A column read back as a [`Value`]: integers of every width are `Int`, floats `Real`,
/// text `Text`, `bytea` `Blob`; `numeric` (what `SUM` of a `bigint` gives) is `Int` when
/// whole, as SQLite would return it.
struct G(Value);

impl<'a> FromSql<'a> for G {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxErr> {
        let v = match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::OID => Value::Int(i64::from(u32::from_sql(ty, raw)?)),
            Type::BOOL => Value::Int(i64::from(bool::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::NUMERIC => numeric(raw)?,
            Type::JSONB => Value::Text(String::from_utf8(
                raw.get(1..).unwrap_or_default().to_vec(),
            )?),
            ref t if is_text(t) => Value::Text(String::from_utf8(raw.to_vec())?),
            _ => return Err(format!("a column of type `{ty}` has no store value").into()),
        };
        Ok(Self(v))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxErr> {
        Ok(Self(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Decodes PostgreSQL's binary `numeric` with `rust_decimal` (`db-postgres`): `Int` when the
/// value is whole and fits 64 bits, `Real` otherwise; `NaN` (which `Decimal` cannot hold) is
/// `Real(NaN)`.
fn numeric(raw: &[u8]) -> std::result::Result<Value, BoxErr> {
    use rust_decimal::prelude::ToPrimitive;
    // The header is ndigits, weight, sign, dscale (16 bits each); sign 0xC000 is NaN.
    if raw.get(4..6) == Some(&[0xC0, 0x00][..]) {
        return Ok(Value::Real(f64::NAN));
    }
    let d = rust_decimal::Decimal::from_sql(&Type::NUMERIC, raw)?;
    if d.fract().is_zero()
        && let Some(i) = d.to_i64()
    {
        return Ok(Value::Int(i));
    }
    d.to_f64()
        .map(Value::Real)
        .ok_or_else(|| format!("numeric `{d}` is not a number we can hold").into())
}

struct PgConn<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
    stmts: &'a mut HashMap<String, Statement>,
    plans: &'a mut HashMap<String, Option<Arc<Plan>>>,
    /// Whether single-row INSERTs are held back ([`Conn::batch_inserts`]).
    batching: bool,
    /// Held-back rows, one group per statement, in the order each statement first came.
    pending: Vec<Group>,
    pending_rows: usize,
}

/// How the rows of one single-row INSERT statement are written together.
#[derive(Debug)]
struct Plan {
    shape: pg_batch::Shape,
    /// The parameters' types, as the server inferred them for the single-row statement.
    types: Vec<Type>,
    /// `COPY … FROM STDIN (FORMAT binary)` when the shape allows it.
    copy: Option<String>,
    /// `INSERT … SELECT … FROM unnest(…)` otherwise.
    unnest: String,
}

/// Held-back rows of one statement.
struct Group {
    sql: String,
    plan: Arc<Plan>,
    rows: Vec<Row>,
}

impl PgConn<'_, '_> {
    /// The batching plan of `sql`, worked out once per connection.
    fn plan(&mut self, sql: &str, params: &[Value]) -> Result<Option<Arc<Plan>>> {
        if let Some(p) = self.plans.get(sql) {
            return Ok(p.clone());
        }
        let plan = match pg_batch::shape(sql) {
            Some(shape) if shape.params() == params.len() => {
                let st = self.statement(sql, params)?;
                let types = st.params().to_vec();
                (types.len() == shape.params() && types.iter().all(pg_batch::batchable_type)).then(
                    || {
                        Arc::new(Plan {
                            copy: shape.copyable().then(|| shape.copy_sql()),
                            unnest: shape.unnest_sql(&types),
                            shape,
                            types,
                        })
                    },
                )
            }
            _ => None,
        };
        self.plans.insert(sql.to_string(), plan.clone());
        Ok(plan)
    }

    /// Holds a row back; writes everything held once [`pg_batch::MAX_PENDING`] rows wait.
    fn hold(&mut self, sql: &str, plan: Arc<Plan>, row: Row) -> Result<()> {
        match self.pending.iter_mut().find(|g| g.sql == sql) {
            Some(g) => g.rows.push(row),
            None => self.pending.push(Group {
                sql: sql.to_string(),
                plan,
                rows: vec![row],
            }),
        }
        self.pending_rows += 1;
        if self.pending_rows >= pg_batch::MAX_PENDING {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes every held-back row, statement by statement in the order they first came.
    fn flush(&mut self) -> Result<()> {
        let groups = std::mem::take(&mut self.pending);
        self.pending_rows = 0;
        for g in groups {
            let n = g.rows.len();
            self.write_group(&g).map_err(|e| match e {
                StoreError::Db(m) => StoreError::Db(format!(
                    "batched insert of {n} row(s) into `{}`: {m}",
                    g.plan.shape.table
                )),
                other => other,
            })?;
        }
        Ok(())
    }

    fn write_group(&mut self, g: &Group) -> Result<()> {
        if let [row] = g.rows.as_slice() {
            let st = self.statement(&g.sql, row)?;
            let ps = bind(row);
            self.tx.execute(&st, &refs(&ps)).map_err(pg_err)?;
            return Ok(());
        }
        let plan = &g.plan;
        let width = plan.types.len();
        if let Some(r) = g.rows.iter().find(|r| r.len() != width) {
            return Err(StoreError::Invalid(format!(
                "insert into `{}`: a row has {} values, expected {width}",
                plan.shape.table,
                r.len()
            )));
        }
        if let Some(copy) = &plan.copy {
            let w = self.tx.copy_in(copy.as_str()).map_err(pg_err)?;
            let mut w = BinaryCopyInWriter::new(w, &plan.types);
            for r in &g.rows {
                let ps = bind(r);
                w.write(&refs(&ps)).map_err(pg_err)?;
            }
            w.finish().map_err(pg_err)?;
            return Ok(());
        }
        let st = self.statement(&plan.unnest, &[])?;
        for part in g.rows.chunks(pg_batch::UNNEST_CHUNK) {
            let cols: Vec<pg_batch::Column<'_>> = plan
                .types
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    Ok(pg_batch::Column {
                        elem: t.clone(),
                        values: part
                            .iter()
                            .map(|r| {
                                r.get(i).ok_or_else(|| {
                                    StoreError::Db(format!("a batched row has no column {i}"))
                                })
                            })
                            .collect::<Result<_>>()?,
                    })
                })
                .collect::<Result<_>>()?;
            let args: Vec<&(dyn ToSql + Sync)> =
                cols.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
            self.tx.execute(&st, &args).map_err(pg_err)?;
        }
        Ok(())
    }

    fn statement(&mut self, sql: &str, params: &[Value]) -> Result<Statement> {
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let st = prepare(self.tx, &rewrite_placeholders(sql), params)?;
        if self.stmts.len() >= CACHE_CAP {
            self.stmts.clear();
        }
        self.stmts.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

/// The type to declare for a parameter the server cannot infer (`? IS NULL`): the one its
/// first value has, text for NULL (SQLite would accept anything there).
fn declared(v: Option<&Value>) -> Type {
    match v {
        Some(Value::Int(_)) => Type::INT8,
        Some(Value::Real(_)) => Type::FLOAT8,
        Some(Value::Blob(_)) => Type::BYTEA,
        _ => Type::TEXT,
    }
}

/// Prepares `sql` inside a savepoint (a failed prepare would abort the transaction). A
/// parameter whose type the server cannot determine (SQLSTATE 42P18, as in `? IS NULL`) is
/// declared from its value and the prepare retried; the rest stay inferred.
fn prepare(tx: &mut postgres::Transaction<'_>, sql: &str, params: &[Value]) -> Result<Statement> {
    let mut types: Vec<Type> = Vec::new();
    loop {
        let mut sp = tx.savepoint("custodia_prepare").map_err(pg_err)?;
        match sp.prepare_typed(sql, &types) {
            Ok(st) => {
                sp.commit().map_err(pg_err)?;
                return Ok(st);
            }
            Err(e) => {
                let which = e
                    .as_db_error()
                    .filter(|d| d.code().code() == "42P18")
                    .and_then(|d| {
                        d.message()
                            .rsplit('$')
                            .next()
                            .and_then(|n| n.trim().parse::<usize>().ok())
                    })
                    .filter(|n| *n >= 1 && *n <= params.len());
                let retry = match which {
                    Some(n) if types.get(n - 1).is_none_or(|t| *t == Type::UNKNOWN) => {
                        if types.len() < n {
                            types.resize(n, Type::UNKNOWN);
                        }
                        if let Some(t) = types.get_mut(n - 1) {
                            *t = declared(params.get(n - 1));
                        }
                        true
                    }
                    _ => false,
                };
                let err = pg_err(e);
                sp.rollback().map_err(pg_err)?;
                if !retry {
                    return Err(err);
                }
            }
        }
    }
}

fn bind(params: &[Value]) -> Vec<P<'_>> {
    params.iter().map(P).collect()
}

fn refs<'a>(ps: &'a [P<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    ps.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

fn to_row(r: &postgres::Row) -> Result<Row> {
    (0..r.len())
        .map(|i| r.try_get::<_, G>(i).map(|g| g.0).map_err(pg_err))
        .collect()
}

impl Conn for PgConn<'_, '_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        if self.batching
            && let Some(plan) = self.plan(sql, params)?
        {
            // Held back: the row count is not known yet; see `Conn::batch_inserts`.
            self.hold(sql, plan, params.to_vec())?;
            return Ok(1);
        }
        self.flush()?;
        let st = self.statement(sql, params)?;
        let ps = bind(params);
        self.tx.execute(&st, &refs(&ps)).map_err(pg_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        self.flush()?;
        let st = self.statement(sql, params)?;
        let ps = bind(params);
        let rows = self.tx.query(&st, &refs(&ps)).map_err(pg_err)?;
        rows.iter().map(to_row).collect()
    }

    fn insert_many(&mut self, table: &str, columns: &[&str], rows: &[Row]) -> Result<()> {
        if columns.is_empty() || rows.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(", "),
            vec!["?"; columns.len()].join(", ")
        );
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let Some(plan) = self.plan(&sql, first)? else {
            return Err(StoreError::Invalid(format!(
                "insert into `{table}`: the columns cannot be written in a batch"
            )));
        };
        for r in rows {
            if r.len() != columns.len() {
                return Err(StoreError::Invalid(format!(
                    "insert into `{table}`: a row does not have {} values",
                    columns.len()
                )));
            }
            self.hold(&sql, plan.clone(), r.clone())?;
        }
        if !self.batching {
            self.flush()?;
        }
        Ok(())
    }

    fn batch_inserts(&mut self, on: bool) -> Result<()> {
        self.batching = on;
        if !on {
            self.flush()?;
        }
        Ok(())
    }
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn migrate(&mut self) -> Result<()> {
        let r = self.migrate_inner();
        r.map_err(|e| self.fail(e))
    }

    fn write(&mut self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<()>) -> Result<()> {
        self.run_tx(true, f)
    }

    fn read(&mut self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<()>) -> Result<()> {
        self.run_tx(false, f)
    }

    fn stream(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        let r = self.stream_inner(sql, params, f);
        r.map_err(|e| self.fail(e))
    }
}

impl Postgres {
    fn migrate_inner(&mut self) -> Result<()> {
        let client = self.client()?;
        // A session-level lock: held across the migrations' own transactions, released
        // below (or by the server if this process dies).
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATE_LOCK])
            .map_err(pg_err)?;
        let r = (|| -> Result<()> {
            client
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, checksum TEXT);
                     ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum TEXT",
                )
                .map_err(pg_err)?;
            let applied: Vec<(i64, Option<String>)> = client
                .query("SELECT version, checksum FROM schema_migrations", &[])
                .map_err(pg_err)?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<std::result::Result<_, postgres::Error>>()
                .map_err(pg_err)?;
            // Every version not yet applied, each in its own transaction (see crate::migrate).
            let plan = crate::migrate::plan(MIGRATIONS, &applied)?;
            for (v, sum) in &plan.backfill {
                client
                    .execute(
                        "UPDATE schema_migrations SET checksum = $1 WHERE version = $2",
                        &[sum, v],
                    )
                    .map_err(pg_err)?;
            }
            for (v, sql, sum) in &plan.to_apply {
                let mut tx = client.transaction().map_err(pg_err)?;
                tx.batch_execute(sql).map_err(pg_err)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                    &[v, sum],
                )
                .map_err(pg_err)?;
                tx.commit().map_err(pg_err)?;
            }
            Ok(())
        })();
        let unlock = client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATE_LOCK])
            .map_err(pg_err);
        r?;
        unlock.map(|_| ())
    }

    fn stream_inner(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        self.client()?;
        let Self { client, .. } = self;
        let client = client
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("no connection".into()))?;
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(pg_err)?;
        // A portal: the server keeps the cursor, we fetch STREAM_BATCH rows at a time.
        let st = prepare(&mut tx, &rewrite_placeholders(sql), params)?;
        let ps = bind(params);
        let portal = tx.bind(&st, &refs(&ps)).map_err(pg_err)?;
        loop {
            let rows = tx.query_portal(&portal, STREAM_BATCH).map_err(pg_err)?;
            let n = rows.len();
            for r in &rows {
                f(to_row(r)?)?;
            }
            if n < STREAM_BATCH as usize {
                break;
            }
        }
        drop(portal);
        tx.commit().map_err(pg_err)
    }
}

/// Test and tooling support: the URL of database `name` on the server of `url`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    match base[after_scheme..].find('/') {
        Some(slash) => format!("{}/{name}{query}", &base[..after_scheme + slash]),
        None => format!("{base}/{name}{query}"),
    }
}

fn admin(url: &str) -> Result<Client> {
    Client::connect(url, NoTls)
        .or_else(|_| Client::connect(&with_database(url, "postgres"), NoTls))
        .map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot connect to `{}`: {}",
                redact(url),
                detail(&e)
            ))
        })
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 63
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(StoreError::Invalid(format!(
            "database name `{name}`: expected 1 to 63 lowercase letters, digits or `_`"
        )));
    }
    Ok(())
}

/// Creates database `name` on the server of `url` and returns its URL (tests, tooling).
pub fn create_database(url: &str, name: &str) -> Result<String> {
    check_name(name)?;
    let mut c = admin(url)?;
    c.batch_execute(&format!("CREATE DATABASE {name}"))
        .map_err(pg_err)?;
    Ok(with_database(url, name))
}

/// Drops database `name` on the server of `url`, ending its sessions first.
pub fn drop_database(url: &str, name: &str) -> Result<()> {
    check_name(name)?;
    let mut c = admin(url)?;
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .map_err(pg_err)
}

/// Runs one statement (no parameters) on database `url` outside any store: tests use it
/// to tamper with rows and to end a store's session.
pub fn admin_execute(url: &str, sql: &str) -> Result<()> {
    let mut c = Client::connect(url, NoTls).map_err(|e| {
        StoreError::Unavailable(format!(
            "cannot connect to `{}`: {}",
            redact(url),
            detail(&e)
        ))
    })?;
    c.batch_execute(sql).map_err(pg_err)
}

/// Runs one query (no parameters) on database `url` outside any store and returns the
/// first column of its first row as an integer (tests watch a writer from outside).
pub fn admin_query_i64(url: &str, sql: &str) -> Result<Option<i64>> {
    let mut c = Client::connect(url, NoTls).map_err(|e| {
        StoreError::Unavailable(format!(
            "cannot connect to `{}`: {}",
            redact(url),
            detail(&e)
        ))
    })?;
    let rows = c.query(sql, &[]).map_err(pg_err)?;
    match rows.first() {
        None => Ok(None),
        Some(r) => Ok(r.try_get::<_, G>(0).map_err(pg_err)?.0.as_i64()),
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
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            rewrite_placeholders("SELECT '?' , \"a?\" FROM t WHERE a = ? AND b IN (?, ?)"),
            "SELECT '?' , \"a?\" FROM t WHERE a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(rewrite_placeholders("SELECT 1"), "SELECT 1");
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h:1", "x"), "postgres://u@h:1/x");
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert!(check_name("custodia_t_1").is_ok());
        assert!(check_name("x; DROP").is_err());
    }

    #[test]
    fn numeric_decodes() {
        // 12345678 = digits [1234, 5678], weight 1.
        let raw = [0u8, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xD2, 0x16, 0x2E];
        assert_eq!(numeric(&raw).unwrap(), Value::Int(12_345_678));
        // 20000 = digits [2], weight 1 (trailing zero groups omitted).
        let raw = [0u8, 1, 0, 1, 0x40, 0, 0, 0, 0, 2];
        assert_eq!(numeric(&raw).unwrap(), Value::Int(-20_000));
        // 1.5 = digits [1, 5000], weight 0, scale 1.
        let raw = [0u8, 2, 0, 0, 0, 0, 0, 1, 0, 1, 0x13, 0x88];
        assert_eq!(numeric(&raw).unwrap(), Value::Real(1.5));
        // NaN: no digits, sign 0xC000.
        let raw = [0u8, 0, 0, 0, 0xC0, 0, 0, 0];
        assert!(matches!(numeric(&raw).unwrap(), Value::Real(f) if f.is_nan()));
        // Truncated input is an error, not a value.
        assert!(numeric(&[0u8, 2, 0, 1]).is_err());
    }
}
