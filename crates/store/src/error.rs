//! Errors of the store.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no.
    #[error("database: {0}")]
    Db(String),
    /// The database could not be reached (the server maps this to 503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A request that the current state does not allow (an illegal transition, say).
    #[error("{0}")]
    Conflict(String),
    /// There is no store where one was named (a read-only open never creates one).
    #[error("{0}")]
    Missing(String),
    /// Something named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Bad input; the message names it.
    #[error("{0}")]
    Invalid(String),
    /// The signing key.
    #[error(transparent)]
    Key(#[from] custodia_ledger::KeyError),
    /// The Merkle layer.
    #[error(transparent)]
    Ledger(#[from] custodia_ledger::LedgerError),
    /// A stored leaf or row that does not parse: the store is damaged.
    #[error("corrupt store: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Db(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

/// Shorthand.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
