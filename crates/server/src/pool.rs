//! The stores a server works with.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use custodia_store::Store;

/// A few stores on one location; a request takes the next one. Several SQLite connections
/// on one file are fine: appends serialize in the database.
pub struct Pool {
    stores: Vec<Mutex<Store>>,
    next: AtomicUsize,
}

impl Pool {
    /// A pool over already-open stores (at least one).
    pub fn new(stores: Vec<Store>) -> Self {
        Self {
            stores: stores.into_iter().map(Mutex::new).collect(),
            next: AtomicUsize::new(0),
        }
    }
    pub(crate) fn get(&self) -> Option<MutexGuard<'_, Store>> {
        let n = self.stores.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        // A free store if there is one, else wait on the next in turn.
        for i in 0..n {
            if let Ok(g) = self.stores[(start + i) % n].try_lock() {
                return Some(g);
            }
        }
        let m = &self.stores[start % n];
        Some(m.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}
