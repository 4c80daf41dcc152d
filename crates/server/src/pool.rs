//! The stores a server works with: an `r2d2` pool of [`Store`]s on one location.
//!
//! Several SQLite connections on one file are fine (appends serialize in the database); on
//! PostgreSQL each store is a connection. The stores are opened up front, each with the
//! server's options (read-only, the witnesses' commit hook), and handed to the pool; when
//! the pool needs another (it never drops one on its own: no lifetime, no idle timeout) it
//! opens it with the same function. A request that finds every store busy waits for one,
//! up to the checkout timeout, and then fails (503-class internal error, logged).

use std::sync::Mutex;
use std::time::Duration;

use custodia_store::{Store, StoreError};

/// Opens one more store like the others.
pub type Opener = Box<dyn Fn() -> Result<Store, StoreError> + Send + Sync>;

/// How long a request waits for a free store before it fails.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(30);

/// The `r2d2` manager: hands out the stores opened up front, then opens new ones.
pub struct StoreManager {
    spare: Mutex<Vec<Store>>,
    open: Option<Opener>,
}

impl r2d2::ManageConnection for StoreManager {
    type Connection = Store;
    type Error = StoreError;

    fn connect(&self) -> Result<Store, StoreError> {
        let spare = self
            .spare
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        match (spare, &self.open) {
            (Some(s), _) => Ok(s),
            (None, Some(open)) => open(),
            (None, None) => Err(StoreError::Unavailable(
                "the pool's stores are all in use and it cannot open another".into(),
            )),
        }
    }

    fn is_valid(&self, _: &mut Store) -> Result<(), StoreError> {
        Ok(())
    }

    fn has_broken(&self, _: &mut Store) -> bool {
        false
    }
}

/// The server's stores.
pub struct Pool {
    inner: r2d2::Pool<StoreManager>,
}

impl Pool {
    /// A pool over already-open stores (at least one); it never opens another.
    pub fn new(stores: Vec<Store>) -> Self {
        Self::build(stores, None)
    }

    /// A pool over already-open stores that opens more with `open` if it ever needs them.
    pub fn with_opener(stores: Vec<Store>, open: Opener) -> Self {
        Self::build(stores, Some(open))
    }

    fn build(stores: Vec<Store>, open: Option<Opener>) -> Self {
        let n = u32::try_from(stores.len().max(1)).unwrap_or(u32::MAX);
        let manager = StoreManager {
            spare: Mutex::new(stores),
            open,
        };
        // The stores are taken as they are: no test on checkout, never retired.
        let inner = r2d2::Pool::builder()
            .max_size(n)
            .max_lifetime(None)
            .idle_timeout(None)
            .test_on_check_out(false)
            .connection_timeout(CHECKOUT_TIMEOUT)
            .build_unchecked(manager);
        Self { inner }
    }

    /// A free store, waiting for one if all are busy; `None` (logged) when none came.
    pub(crate) fn get(&self) -> Option<r2d2::PooledConnection<StoreManager>> {
        match self.inner.get() {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!(error = %e, "no store from the pool");
                None
            }
        }
    }
}
