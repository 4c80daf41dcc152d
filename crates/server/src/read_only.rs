//! `custodia serve --read-only` (issue 18): a server over a PostgreSQL hot standby (or any
//! store it must not write), so the public locator scales out across stateless servers
//! while one writer takes every write.
//!
//! What it serves is an allowlist of GET (and HEAD) routes that neither write nor show a
//! person's record: the public locator (API and page), the log's public routes (checkpoint,
//! key, history, inclusion and consistency proofs, which are hashes only), health and the
//! OpenAPI document. Everything else answers 503 with code `read_only`, before any handler
//! runs:
//!
//! - every write (every POST, and every route not on the list);
//! - every read of a person's record or of pages and lists naming people (person API and
//!   page, searches, manifests, cases, leaves, `/proof`, the auditor's and oversight pages):
//!   each of those must be a `person_read`/`persons_read` on the ledger before it is
//!   answered, and a replica cannot append. Serving them unlogged would break "every read
//!   of a person's data is recorded"; they go to the writer.
//!
//! The store itself is opened read-only too (`Store::open_read_only`: no key, no
//! migration), and a hot standby refuses writes in the database, so a route added to the
//! list by mistake still cannot write. Locator query counts (`locator_counts`) are not kept
//! by a read-only server: they are statistics of the writer's queries only.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

/// The routes a read-only server answers (GET and HEAD only).
pub const ALLOWED: &[&str] = &[
    "/healthz",
    "/api/openapi.json",
    "/api/v1/locate",
    "/api/v1/log/checkpoint",
    "/api/v1/log/key",
    "/api/v1/log/checkpoints",
    "/api/v1/log/proof",
    "/api/v1/log/consistency",
    "/locator",
    "/static/proof.js",
];

/// Whether a read-only server answers `method path`.
pub fn allowed(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD) && ALLOWED.contains(&path)
}

/// The refusal every other request gets.
pub fn refusal(method: &Method, path: &str) -> ApiError {
    let what = if method == Method::GET || method == Method::HEAD {
        "reads of a person's record are logged on the ledger, which a read-only server cannot append to"
    } else {
        "it takes no writes"
    };
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "read_only",
        format!(
            "`{method} {path}`: this server is a read-only replica and {what}; send it to the writer"
        ),
    )
}

/// The middleware: the allowlist, or the refusal.
pub async fn guard(req: Request, next: Next) -> Response {
    if allowed(req.method(), req.uri().path()) {
        next.run(req).await
    } else {
        refusal(req.method(), req.uri().path()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_reads_pass() {
        assert!(allowed(&Method::GET, "/api/v1/locate"));
        assert!(allowed(&Method::HEAD, "/healthz"));
        assert!(!allowed(&Method::POST, "/api/v1/locate"));
        for path in [
            "/api/v1/persons/P-1",
            "/api/v1/persons",
            "/api/v1/log/leaves",
            "/proof",
            "/persons/P-1",
            "/api/v1/manifests",
            "/login",
        ] {
            assert!(!allowed(&Method::GET, path), "{path}");
        }
        let e = refusal(&Method::POST, "/api/v1/manifests");
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.code, "read_only");
    }
}
