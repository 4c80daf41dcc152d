//! Who is asking: bearer tokens for the API, session cookies for the browser. Only hashes
//! of tokens and session ids are stored; a token is shown once, when it is created.

use axum::http::HeaderMap;
use custodia_app::{Actor, Role};
use custodia_store::Store;

use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "custodia_session";

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub actor: Actor,
    /// The hash of the token it authenticated with (keys idempotency records).
    pub token_hash: String,
    /// The session's CSRF token, for browser sessions.
    pub csrf: Option<String>,
}

// Token hashing, creation and resolution are the application's (`custodia_app::auth`), so
// the CLI and the server decide "who acts" in one place.
pub use custodia_app::auth::{random_secret, sha256_hex};

/// Creates a token for `role`/`name` (bound to `facility` when given), stores its hash and
/// returns the token itself, which is never stored.
pub fn create_token(
    store: &mut Store,
    role: Role,
    name: &str,
    facility: Option<&str>,
) -> Result<String, ApiError> {
    Ok(custodia_app::auth::create_token(
        store, role, name, facility,
    )?)
}

fn actor_of(t: &custodia_store::auth::TokenRow) -> Option<Actor> {
    custodia_app::auth::actor_of(t)
}

/// The bearer token of a request: `Ok(None)` without an `Authorization` header; an error
/// for a malformed one.
pub fn bearer(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v.to_str().map_err(|_| ApiError::unauthorized())?;
    match v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
    {
        Some(t) if !t.trim().is_empty() => Ok(Some(t.trim().to_string())),
        _ => Err(ApiError::unauthorized()),
    }
}

/// Resolves a bearer token: `Ok(None)` when the token is unknown or revoked.
pub fn by_token(store: &mut Store, token: &str) -> Result<Option<Principal>, ApiError> {
    let hash = sha256_hex(token.as_bytes());
    Ok(store
        .token_by_hash(&hash)?
        .and_then(|t| actor_of(&t))
        .map(|actor| Principal {
            actor,
            token_hash: hash,
            csrf: None,
        }))
}

/// Resolves a browser session by its cookie's id, if it is open.
pub fn by_session(store: &mut Store, id: &str) -> Result<Option<Principal>, ApiError> {
    let now = store.clock().now();
    Ok(store
        .session(&sha256_hex(id.as_bytes()), now)?
        .and_then(|s| {
            actor_of(&s.token).map(|actor| Principal {
                actor,
                token_hash: s.token_hash,
                csrf: Some(s.csrf),
            })
        }))
}

/// Opens a session for a token; returns the cookie's id (stored only as its hash).
pub fn open_session(
    store: &mut Store,
    token: &str,
    hours: i64,
) -> Result<Option<(String, Principal)>, ApiError> {
    let Some(mut p) = by_token(store, token)? else {
        return Ok(None);
    };
    let id = random_secret();
    let csrf = random_secret();
    let expires = store
        .clock()
        .now()
        .checked_add(jiff::SignedDuration::from_hours(hours))
        .map_err(|_| ApiError::internal())?;
    store.insert_session(&sha256_hex(id.as_bytes()), &p.token_hash, &csrf, expires)?;
    p.csrf = Some(csrf);
    Ok(Some((id, p)))
}

/// Whether `actor` may see the person whose scope is `scope`.
pub fn may_see_person(actor: &Actor, scope: &custodia_store::queries::PersonScope) -> bool {
    match actor.role {
        Role::SendingOfficer | Role::SendingSupervisor | Role::Auditor | Role::Admin => true,
        Role::Counsel => scope.counsel.contains(&actor.id()),
        Role::ReceivingOfficer => match &actor.facility_id {
            None => true,
            Some(f) => {
                scope.facility_id.as_deref() == Some(f.as_str()) || scope.bound_for.contains(f)
            }
        },
    }
}
