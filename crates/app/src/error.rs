//! Errors of the application services; the CLI and the server each map them once.

use custodia_store::StoreError;

/// What a use case can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid token: missing, unknown or revoked (HTTP 401, exit 2).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The actor's role may not do this (HTTP 403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The current state does not allow it (HTTP 409): an illegal transition, say.
    #[error("{0}")]
    Conflict(String),
    /// Something named does not exist (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// Bad input, named (HTTP 422, exit 2).
    #[error("{0}")]
    Invalid(String),
    /// The departure gate refused (HTTP 409, exit 2): each passenger, rule and citation.
    #[error("{0}")]
    DepartureRefused(Box<crate::manifests::DepartureRefused>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Shorthand.
pub type Result<T, E = AppError> = std::result::Result<T, E>;
