//! Who acts: bearer tokens (CONTRACT §8, §9). A token names one natural person (`name`) in
//! one role; the store keeps only its SHA-256. The CLI and the server both resolve the actor
//! of every state-changing call here, so "who did this" never comes from what a user typed.

use std::str::FromStr;

use base64::Engine;
use custodia_store::Store;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};

/// Hex SHA-256.
pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// A fresh random secret (32 bytes, URL-safe base64).
pub fn random_secret() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Checks a token holder's name: one natural person, no spaces, no `:` (the ledger writes
/// actors as `role:name`).
pub fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty()
        || name.contains(char::is_whitespace)
        || name.contains(':')
        || name.chars().any(char::is_control)
        || name.chars().count() > 64
    {
        return Err(AppError::Invalid(format!(
            "field `name`: `{name}` must be 1 to 64 characters, without spaces or `:`"
        )));
    }
    Ok(())
}

/// Creates a token for `role`/`name` (bound to `facility` when given), stores its hash and
/// returns the token itself, which is never stored.
pub fn create_token(
    store: &mut Store,
    role: Role,
    name: &str,
    facility: Option<&str>,
) -> Result<String> {
    check_name(name)?;
    let token = format!("cst_{}", random_secret());
    let now = store.clock().now();
    store.insert_token(
        &sha256_hex(token.as_bytes()),
        role.as_str(),
        name,
        facility,
        now,
    )?;
    Ok(token)
}

/// The actor a stored token row speaks for; `None` for a role this build does not know.
pub fn actor_of(t: &custodia_store::auth::TokenRow) -> Option<Actor> {
    let role = Role::from_str(&t.role).ok()?;
    Some(Actor {
        role,
        name: t.name.clone(),
        facility_id: t.facility_id.clone(),
    })
}

/// Resolves a token to its actor: `Ok(None)` when it is unknown or revoked.
pub fn actor_for_token(store: &mut Store, token: &str) -> Result<Option<(Actor, String)>> {
    let hash = sha256_hex(token.trim().as_bytes());
    Ok(store
        .token_by_hash(&hash)?
        .and_then(|t| actor_of(&t))
        .map(|a| (a, hash)))
}

/// Resolves the token of a state-changing command, refusing a missing, unknown or revoked
/// one (CONTRACT §9 "Who acts").
pub fn require_actor(store: &mut Store, token: Option<&str>) -> Result<Actor> {
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(AppError::Unauthorized(
            "this command changes the store: give a bearer token with `--token` or `CUSTODIA_TOKEN` (see `custodia token create`)".into(),
        ));
    };
    match actor_for_token(store, token)? {
        Some((a, _)) => Ok(a),
        None => Err(AppError::Unauthorized(
            "the token given is unknown or revoked".into(),
        )),
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
    fn names_are_one_word_without_colons() {
        assert!(check_name("ana").is_ok());
        for bad in ["", " ", "ana maria", "role:ana", "a\u{0}b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
