//! custodia-server: the JSON API and the bilingual web interface over the store
//! (CONTRACT §8). The only crate that knows HTTP.
//!
//! [`app`] builds the axum [`Router`] from an [`AppState`] (a small pool of [`Store`]s on
//! one location, the clock and the [`Config`]); [`serve`] runs it with graceful shutdown.
//! Every handler authenticates through its extractors ([`extract::Auth`] and
//! [`extract::Mutation`] for `/api`, `ui::chrome::Signed` and `ui::chrome::Post` for the
//! pages), which check the role matrix, then calls the store or a `custodia_app` use case
//! on a blocking thread. Every read of a person's file first appends a `person_read` event naming the
//! reader, so access is itself on the ledger.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use custodia_server::{app, AppState, Config};
//! let clock = Arc::new(custodia_model::clock::SystemClock);
//! let state = AppState::open("custodia.db", None, clock, Config::default())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! custodia_server::serve(listener, app(state)).await?;
//! # Ok(()) }
//! ```

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod federation;
pub mod i18n;
pub mod law;
pub mod locator;
mod pool;
pub mod read_only;
mod reads;
mod serve;
pub mod ui;
pub mod witnesses;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::response::Response;
use custodia_model::clock::Clock;
use custodia_store::{OpenOptions, Store, StoreError, Verdict};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use pool::Pool;
pub use serve::{HEADER_READ_TIMEOUT, init_tracing, run_blocking, serve, serve_with};

/// Tunables.
#[derive(Debug, Clone)]
pub struct Config {
    /// Anonymous locator queries allowed per client address per minute.
    pub locate_anon_per_minute: u32,
    /// Locator queries allowed per token per minute (every role but the auditor).
    pub locate_token_per_minute: u32,
    /// Locator queries allowed per auditor token per minute.
    pub locate_auditor_per_minute: u32,
    /// Locator queries allowed per client address per UTC day, whoever asks (auditors
    /// excepted).
    pub locate_daily_per_address: u32,
    /// Apply the locator's rate limits (off only for benchmarks).
    pub rate_limits: bool,
    /// Largest request body, in bytes (413 beyond).
    pub body_limit: usize,
    /// Per-request time limit.
    pub request_timeout: Duration,
    /// How long the locator index may serve before it looks for new events in the log.
    pub locator_ttl: Duration,
    /// Mark cookies `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// How many stores the pool opens on the location.
    pub pool_size: usize,
    /// The log's witnesses (CONTRACT §10): each append is submitted to them in the
    /// background ([`witnesses`]).
    pub policy: Option<custodia_witness::Policy>,
    /// Serve a store this server must not write (a PostgreSQL hot standby): open it
    /// read-only and answer only [`read_only::ALLOWED`]; everything else is 503 `read_only`.
    pub read_only: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            locate_anon_per_minute: 3,
            locate_token_per_minute: 60,
            locate_auditor_per_minute: 600,
            locate_daily_per_address: 50,
            rate_limits: true,
            body_limit: 256 * 1024,
            request_timeout: Duration::from_secs(30),
            locator_ttl: Duration::from_secs(1),
            secure_cookies: false,
            pool_size: 4,
            policy: None,
            read_only: false,
        }
    }
}

/// The cached result of `verify`.
#[derive(Debug, Clone)]
pub struct VerifyCache {
    pub at: jiff::Timestamp,
    pub size: u64,
    pub result: Result<String, String>,
    pub running: bool,
}

struct LocatorCache {
    built: Instant,
    size: u64,
    index: Arc<dyn locator::Locator>,
    facilities: Facilities,
    staff: Arc<locator::StaffNames>,
}

/// A page's cached report, of whatever type the page keeps.
type Cached = Arc<dyn std::any::Any + Send + Sync>;

/// Facilities as families see them, by id.
pub(crate) type Facilities = Arc<HashMap<String, custodia_store::locator::PublicFacility>>;

/// The limiters' clock is the application's clock, so limits follow the injected clock like
/// every other rule (and tests can hold time still).
#[derive(Clone)]
struct LimitClock(Arc<dyn Clock>);

impl governor::clock::Clock for LimitClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        Duration::from_nanos(u64::try_from(self.0.now().as_nanosecond()).unwrap_or(0))
    }
}

type Keyed = governor::RateLimiter<
    String,
    governor::state::keyed::DashMapStateStore<String>,
    LimitClock,
    governor::middleware::NoOpMiddleware<Duration>,
>;

/// The locator's rate limits (GCRA, `governor`): per address without a token, per token
/// with one (auditors get their own, higher quota), and a daily count per address.
pub(crate) struct Limits {
    anonymous: Keyed,
    token: Keyed,
    auditor: Keyed,
    daily: Mutex<HashMap<String, (i64, u32)>>,
}

/// Which quota a locator caller falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    Anonymous,
    Token,
    Auditor,
}

fn per_minute(n: u32) -> governor::Quota {
    governor::Quota::per_minute(
        std::num::NonZeroU32::new(n.max(1)).unwrap_or(std::num::NonZeroU32::MIN),
    )
}

impl Limits {
    fn new(c: &Config, clock: &Arc<dyn Clock>) -> Self {
        let keyed = |n: u32| {
            governor::RateLimiter::dashmap_with_clock(per_minute(n), LimitClock(clock.clone()))
        };
        Self {
            anonymous: keyed(c.locate_anon_per_minute),
            token: keyed(c.locate_token_per_minute),
            auditor: keyed(c.locate_auditor_per_minute),
            daily: Mutex::new(HashMap::new()),
        }
    }
}

/// Entries `from..to` of the log have been read for changes; `last` is the last that
/// changes state.
#[derive(Debug, Default)]
struct Changes {
    from: u64,
    to: u64,
    last: Option<u64>,
}

pub(crate) struct Inner {
    pool: Pool,
    pub(crate) config: Config,
    clock: Arc<dyn Clock>,
    limits: Limits,
    locator: Mutex<Option<LocatorCache>>,
    verify: Mutex<Option<VerifyCache>>,
    counts: Mutex<LocateCounts>,
    pages: Mutex<HashMap<String, (u64, Cached)>>,
    /// The log's entries already scanned for changes (see [`AppState::changed_since`]).
    changes: Mutex<Changes>,
    witnesses: Option<witnesses::Witnesses>,
    reads: reads::ReadLog,
}

/// Locator queries counted in memory and written to the store at most once a second, so
/// that counting does not make every public query a database write. A crash loses at most
/// the last second's counts.
struct LocateCounts {
    pending: std::collections::BTreeMap<String, (u64, u64)>,
    flushed: Instant,
}

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

impl AppState {
    /// A state over an open pool.
    pub fn new(pool: Pool, clock: Arc<dyn Clock>, config: Config) -> Self {
        Self::with_witnesses(pool, clock, config, None)
    }

    fn with_witnesses(
        pool: Pool,
        clock: Arc<dyn Clock>,
        config: Config,
        witnesses: Option<witnesses::Witnesses>,
    ) -> Self {
        let (reads, queue) = reads::ReadLog::new();
        let inner = Arc::new(Inner {
            reads,
            witnesses,
            pool,
            limits: Limits::new(&config, &clock),
            config,
            clock,
            locator: Mutex::new(None),
            verify: Mutex::new(None),
            counts: Mutex::new(LocateCounts {
                pending: Default::default(),
                flushed: Instant::now(),
            }),
            pages: Mutex::new(HashMap::new()),
            changes: Mutex::new(Changes::default()),
        });
        reads::start(&inner, queue);
        Self(inner)
    }

    /// Counts one locator query in memory; true when a second has passed since the counts
    /// were last written (the caller then writes them with [`AppState::flush_counts`]).
    pub(crate) fn note_locate(&self, day: &str, authenticated: bool) -> bool {
        let mut c = self
            .0
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let e = c.pending.entry(day.to_string()).or_default();
        if authenticated {
            e.1 += 1;
        } else {
            e.0 += 1;
        }
        c.flushed.elapsed() >= Duration::from_secs(1)
    }

    /// The locator index and its facilities when they are younger than the TTL: the
    /// anonymous fast path, which touches no store.
    pub(crate) fn locator_if_fresh(&self) -> Option<(Arc<dyn locator::Locator>, Facilities)> {
        let c = self
            .0
            .locator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        c.as_ref()
            .filter(|x| x.built.elapsed() < self.0.config.locator_ttl)
            .map(|x| (x.index.clone(), x.facilities.clone()))
    }

    /// Writes the pending locator counts on a blocking thread, without waiting.
    pub(crate) fn flush_counts_later(&self) {
        let st = self.clone();
        tokio::task::spawn_blocking(move || {
            if let Some(mut g) = st.0.pool.get()
                && let Err(e) = st.flush_counts(&mut g)
            {
                tracing::warn!(error = ?e, "locator counts not written yet");
            }
        });
    }

    /// Counts one locator query; writes the pending counts when a second has passed.
    pub(crate) fn count_locate(
        &self,
        store: &mut Store,
        day: &str,
        authenticated: bool,
    ) -> Result<(), ApiError> {
        let due = {
            let mut c = self
                .0
                .counts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let e = c.pending.entry(day.to_string()).or_default();
            if authenticated {
                e.1 += 1;
            } else {
                e.0 += 1;
            }
            c.flushed.elapsed() >= Duration::from_secs(1)
        };
        if due {
            self.flush_counts(store)?;
        }
        Ok(())
    }

    /// Writes the pending locator counts to the store (kept pending if the write fails).
    pub(crate) fn flush_counts(&self, store: &mut Store) -> Result<(), ApiError> {
        let pending: Vec<(String, u64, u64)> = {
            let mut c = self
                .0
                .counts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            c.flushed = Instant::now();
            std::mem::take(&mut c.pending)
                .into_iter()
                .map(|(d, (a, b))| (d, a, b))
                .collect()
        };
        if pending.is_empty() || self.0.config.read_only {
            // A read-only server keeps no counts (see `read_only`).
            return Ok(());
        }
        if let Err(e) = store.count_locate_many(&pending) {
            let mut c = self
                .0
                .counts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (d, a, b) in pending {
                let x = c.pending.entry(d).or_default();
                x.0 += a;
                x.1 += b;
            }
            return Err(e.into());
        }
        Ok(())
    }

    /// Opens `config.pool_size` stores at `location`.
    pub fn open(
        location: &str,
        key_path: Option<PathBuf>,
        clock: Arc<dyn Clock>,
        config: Config,
    ) -> Result<Self, StoreError> {
        if config.read_only {
            let open: crate::pool::Opener = {
                let (location, clock) = (location.to_string(), clock.clone());
                Box::new(move || Store::open_read_only(&location, clock.clone()))
            };
            let mut stores = Vec::new();
            for _ in 0..config.pool_size.max(1) {
                stores.push(open()?);
            }
            return Ok(Self::new(Pool::with_opener(stores, open), clock, config));
        }
        let open = || {
            Store::open(
                location,
                OpenOptions {
                    key_path: key_path.clone(),
                    clock: clock.clone(),
                },
            )
        };
        // With a policy, one more store for the witnesses' task, and a hook on each store
        // of the pool that signals it after each append.
        let witnesses = match config.policy {
            Some(_) => witnesses::Witnesses::new(&config, open()?).map_err(StoreError::Invalid)?,
            None => None,
        };
        let hook = witnesses.as_ref().map(witnesses::Witnesses::hook);
        let open_hooked: crate::pool::Opener = {
            let (location, key_path, clock) = (location.to_string(), key_path, clock.clone());
            Box::new(move || {
                let mut s = Store::open(
                    &location,
                    OpenOptions {
                        key_path: key_path.clone(),
                        clock: clock.clone(),
                    },
                )?;
                s.set_on_commit(hook.clone());
                Ok(s)
            })
        };
        let mut stores = Vec::new();
        for _ in 0..config.pool_size.max(1) {
            stores.push(open_hooked()?);
        }
        Ok(Self::with_witnesses(
            Pool::with_opener(stores, open_hooked),
            clock,
            config,
            witnesses,
        ))
    }

    /// The clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.0.clock.now()
    }

    /// Runs `f` on a store, on a blocking thread.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let st = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut g = st.0.pool.get().ok_or_else(ApiError::internal)?;
            f(&mut g)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "blocking task failed");
            ApiError::internal()
        })?
    }

    /// What `f` computes from the store, kept until the log changes: the pages' expensive
    /// reports (standards, costs) are a pure function of the log and `key` (which names the
    /// report, its parameters and the day). Entries that only record reads (every person
    /// page appends one) change no report, so they keep the cached value.
    pub(crate) fn cached<T: std::any::Any + Send + Sync>(
        &self,
        store: &mut Store,
        key: String,
        f: impl FnOnce(&mut Store) -> Result<T, ApiError>,
    ) -> Result<Arc<T>, ApiError> {
        let size = store.size()?;
        let hit = {
            let m = self
                .0
                .pages
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            m.get(&key)
                .and_then(|(at, v)| Some((*at, v.clone().downcast::<T>().ok()?)))
        };
        if let Some((at, v)) = hit {
            if at == size {
                return Ok(v);
            }
            if at < size && !self.changed_since(store, at, size)? {
                let mut m = self
                    .0
                    .pages
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(e) = m.get_mut(&key)
                    && e.0 == at
                {
                    e.0 = size;
                }
                return Ok(v);
            }
        }
        let v = Arc::new(f(store)?);
        let mut m = self
            .0
            .pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if m.len() > 64 {
            m.clear();
        }
        m.insert(key, (size, v.clone()));
        Ok(v)
    }

    /// Whether any entry in `at..size` changes state (is more than a recorded read). Every
    /// entry is read once for all the cached reports: the scanned window and the last
    /// change in it are kept; an `at` before the window is scanned directly. May say
    /// "changed" when unsure (the report is then recomputed), never "unchanged".
    fn changed_since(&self, store: &mut Store, at: u64, size: u64) -> Result<bool, ApiError> {
        /// Past this many entries not yet scanned, recomputing is cheaper than reading them
        /// for one report ...
        const MAX_SCAN: u64 = 4096;
        /// ... and for all of them at once (the window is shared: each entry is read once).
        const MAX_WINDOW_SCAN: u64 = 1 << 16;
        let mut w = self
            .0
            .changes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if size > w.to {
            if size - w.to > MAX_WINDOW_SCAN {
                *w = Changes {
                    from: size,
                    to: size,
                    last: None,
                };
            } else {
                if let Some(l) = store.last_change_between(w.to, size)? {
                    w.last = Some(l);
                }
                w.to = size;
            }
        }
        if at < w.from {
            drop(w);
            return Ok(size - at > MAX_SCAN || store.changed_between(at, size)?);
        }
        Ok(w.last.is_some_and(|l| l >= at))
    }

    /// Whether a locator query is within its rates; counts it. `key` is the client
    /// address for anonymous callers and the token's hash otherwise. Errors are 429s
    /// with the stable codes `rate_limited` and `rate_limited_daily`.
    pub(crate) fn allow_locate(
        &self,
        client: &str,
        caller: Caller,
        key: &str,
    ) -> Result<(), ApiError> {
        if !self.0.config.rate_limits {
            return Ok(());
        }
        let l = &self.0.limits;
        let limiter = match caller {
            Caller::Anonymous => &l.anonymous,
            Caller::Token => &l.token,
            Caller::Auditor => &l.auditor,
        };
        if limiter.len() > 100_000 {
            limiter.retain_recent();
        }
        if limiter.check_key(&key.to_string()).is_err() {
            return Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many locator queries; wait a minute and try again",
            ));
        }
        if caller == Caller::Auditor {
            return Ok(());
        }
        let day = self.now().as_second().div_euclid(86_400);
        let mut m = l
            .daily
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if m.len() > 100_000 {
            m.retain(|_, (d, _)| *d == day);
        }
        let e = m.entry(client.to_string()).or_insert((day, 0));
        if e.0 != day {
            *e = (day, 0);
        }
        if e.1 >= self.0.config.locate_daily_per_address {
            return Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "rate_limited_daily",
                "this address has made its locator queries for today; try again tomorrow",
            ));
        }
        e.1 += 1;
        Ok(())
    }

    /// The locator index and the facilities it names, rebuilt from the store when older
    /// than the TTL and the log grew.
    pub(crate) fn locator(
        &self,
        store: &mut Store,
    ) -> Result<(Arc<dyn locator::Locator>, Facilities), ApiError> {
        self.indexes(store).map(|(i, f, _)| (i, f))
    }

    /// Staff name search over every person, kept current like the locator.
    pub(crate) fn staff_names(
        &self,
        store: &mut Store,
    ) -> Result<Arc<locator::StaffNames>, ApiError> {
        self.indexes(store).map(|(_, _, s)| s)
    }

    /// The locator index, the facilities and the staff name index, rebuilt from the store
    /// when older than the TTL and the log grew.
    #[expect(
        clippy::type_complexity,
        reason = "three shared indexes, returned together"
    )]
    fn indexes(
        &self,
        store: &mut Store,
    ) -> Result<
        (
            Arc<dyn locator::Locator>,
            Facilities,
            Arc<locator::StaffNames>,
        ),
        ApiError,
    > {
        let mut c = self
            .0
            .locator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let fresh = c
            .as_ref()
            .is_some_and(|x| x.built.elapsed() < self.0.config.locator_ttl);
        if let (true, Some(x)) = (fresh, c.as_ref()) {
            return Ok((x.index.clone(), x.facilities.clone(), x.staff.clone()));
        }
        let size = store.size()?;
        let today = self.now().to_zoned(jiff::tz::TimeZone::UTC).date();
        if let Some(x) = c.as_mut()
            && x.size == size
        {
            x.built = Instant::now();
            return Ok((x.index.clone(), x.facilities.clone(), x.staff.clone()));
        }
        let facilities: Facilities = Arc::new(
            store
                .public_facilities()?
                .into_iter()
                .map(|f| (f.id.clone(), f))
                .collect(),
        );
        // The log grew: apply the persons its new events touched.
        if let Some(x) = c.as_mut() {
            let (rows, upto) = store.locator_rows_since(x.size)?;
            x.staff.upsert(&rows);
            if x.index.update(rows, today) {
                x.size = upto;
                x.built = Instant::now();
                x.facilities = facilities.clone();
                return Ok((x.index.clone(), facilities, x.staff.clone()));
            }
        }
        let (rows, size) = store.locator_rows(None)?;
        let staff = Arc::new(locator::StaffNames::default());
        staff.upsert(&rows);
        let index: Arc<dyn locator::Locator> = Arc::new(locator::LinkageLocator::new(rows, today));
        *c = Some(LocatorCache {
            built: Instant::now(),
            size,
            index: index.clone(),
            facilities: facilities.clone(),
            staff: staff.clone(),
        });
        Ok((index, facilities, staff))
    }

    /// Warms the pages' caches now (see `ui::warm`), on the calling thread.
    pub fn warm(&self) -> Result<(), ApiError> {
        let mut s = self.0.pool.get().ok_or_else(ApiError::internal)?;
        ui::warm(self, &mut s)
    }

    /// Keeps the pages' caches warm in the background: warms once, then again whenever the
    /// log has grown, checking every `every`. The thread ends with the state's last clone.
    pub fn spawn_warmer(&self, every: Duration) {
        let weak = Arc::downgrade(&self.0);
        std::thread::spawn(move || {
            let mut seen = None;
            while let Some(inner) = weak.upgrade() {
                let st = AppState(inner);
                let size = st.0.pool.get().and_then(|mut s| s.size().ok());
                if size.is_some() && size != seen {
                    match st.warm() {
                        Ok(()) => seen = size,
                        Err(e) => {
                            tracing::warn!(error = %e.message, "warming the page caches failed")
                        }
                    }
                }
                drop(st);
                std::thread::sleep(every);
            }
        });
    }

    /// The cached `verify` result.
    pub fn verify_cached(&self) -> Option<VerifyCache> {
        self.0
            .verify
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Runs `verify` in the background unless a run is going; the result replaces the cache.
    pub fn verify_start(&self) {
        {
            let mut v = self
                .0
                .verify
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if v.as_ref().is_some_and(|x| x.running) {
                return;
            }
            let prev = v.take();
            *v = Some(VerifyCache {
                at: prev.as_ref().map_or(self.now(), |p| p.at),
                size: prev.as_ref().map_or(0, |p| p.size),
                result: prev.map_or(Err("running".into()), |p| p.result),
                running: true,
            });
        }
        let st = self.clone();
        std::thread::spawn(move || {
            let out = st.0.pool.get().map(|mut s| {
                let size = s.size().unwrap_or(0);
                let r = match s.verify(&Default::default(), &mut |_| {}) {
                    Ok(Verdict::Ok { entries, root, .. }) => Ok(format!(
                        "ok: {entries} entries, root {}",
                        hex::encode(root.0)
                    )),
                    Ok(Verdict::Failed(m)) => Err(m),
                    Err(e) => Err(e.to_string()),
                };
                (size, r)
            });
            let mut v =
                st.0.verify
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            let (size, result) = out.unwrap_or((0, Err("no store".into())));
            *v = Some(VerifyCache {
                at: st.now(),
                size,
                result,
                running: false,
            });
        });
    }
}

/// The whole application: API, pages, hardening layers.
pub fn app(state: AppState) -> Router {
    let limit = state.0.config.body_limit;
    let timeout = state.0.config.request_timeout;
    let x_request_id = HeaderName::from_static("x-request-id");
    let read_only = state.0.config.read_only;
    let router = Router::new()
        .merge(law::routes())
        .merge(api::routes())
        .merge(witnesses::routes())
        .merge(federation::routes())
        .merge(ui::routes())
        // A known path with the wrong method answers in the one error shape (issue 18).
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method; see /api/openapi.json",
            )
        })
        .with_state(state);
    // The read-only guard refuses before any handler (or its extractors) runs.
    let router = if read_only {
        router.layer(axum::middleware::from_fn(read_only::guard))
    } else {
        router
    };
    router
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, timeout))
        // The layers' own refusals (413, 408) answer in the one error shape too.
        .layer(axum::middleware::map_response(error_shape))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::internal())
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'",
            ),
        ))
        // Nothing this server answers may sit in a shared cache: person records, pages naming
        // people, and proofs are personal (issue 18). A handler may set its own policy.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
}

/// Gives an error answer that has no body of its own (a layer's 413 or 408) the JSON error
/// shape, so every error a client sees reads the same way.
async fn error_shape(resp: Response) -> Response {
    let status = resp.status();
    let plain = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return resp;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "the request body is larger than this server accepts",
        ),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long"),
        StatusCode::NOT_FOUND => ("not_found", "no such route"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this route does not take that method; see /api/openapi.json",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the body must be application/json",
        ),
        s if s.is_server_error() => ("internal", "internal error"),
        _ => ("bad_request", "the request could not be read"),
    };
    // A rejection's own text says more than the default (a server error's says too much).
    let text = if status.is_server_error() {
        String::new()
    } else {
        axum::body::to_bytes(resp.into_body(), 4096)
            .await
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .unwrap_or_default()
    };
    let message = if text.is_empty() {
        message.to_string()
    } else {
        text
    };
    axum::response::IntoResponse::into_response(ApiError::new(status, code, message))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use custodia_model::clock::ManualClock;
    use custodia_model::events::{EventData, NewEvent, PersonRecord};
    use custodia_store::OpenOptions;

    use super::*;

    fn ev(data: EventData) -> NewEvent {
        NewEvent {
            occurred_at: "2025-03-15T12:00:00Z".parse().unwrap(),
            actor: "test".into(),
            data,
        }
    }

    fn reads(n: usize) -> Vec<NewEvent> {
        (0..n)
            .map(|i| {
                ev(EventData::PersonRead {
                    person_id: format!("P-{i}"),
                })
            })
            .collect()
    }

    /// A report cached before a stream of reads stays cached however many reads arrive
    /// between two looks (the warmer's case: more than one report's scan limit), and is
    /// recomputed after the first entry that changes state.
    #[test]
    fn report_caches_survive_any_number_of_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let clock = Arc::new(ManualClock::new("2025-03-15T12:00:00Z".parse().unwrap()));
        let open = || {
            Store::open(
                path.to_str().unwrap(),
                OpenOptions {
                    key_path: None,
                    clock: clock.clone(),
                },
            )
            .unwrap()
        };
        let mut writer = open();
        let st = AppState::new(Pool::new(vec![open()]), clock.clone(), Config::default());
        let computed = AtomicUsize::new(0);
        let look = |st: &AppState| {
            let mut s = st.0.pool.get().unwrap();
            st.cached(&mut s, "report".into(), |_| {
                Ok(computed.fetch_add(1, Ordering::SeqCst))
            })
            .unwrap();
        };
        look(&st);
        writer.append(reads(3000)).unwrap();
        look(&st);
        // More than the 4,096 a single report would read before giving up.
        writer.append(reads(5000)).unwrap();
        look(&st);
        look(&st);
        assert_eq!(
            computed.load(Ordering::SeqCst),
            1,
            "reads alone recomputed the report"
        );
        writer
            .append(vec![ev(EventData::PersonRegistered(PersonRecord {
                id: "P-1".into(),
                family_names: "Pérez".into(),
                given_names: "Ana".into(),
                date_of_birth: None,
                sex: None,
                country_of_birth: None,
                nationalities: Vec::new(),
                us_status: None,
                languages: Vec::new(),
                identity_verified: false,
            }))])
            .unwrap();
        writer.append(reads(10)).unwrap();
        look(&st);
        assert_eq!(
            computed.load(Ordering::SeqCst),
            2,
            "a change kept a stale report"
        );
    }
}
