//! The API's extractors: who is asking ([`Auth`], [`Mutation`], [`BearerToken`]), from where
//! ([`Client`]), and [`Query`]/[`Path`], whose rejections answer in the one error shape
//! (`ApiError`'s `From<QueryRejection>`/`From<PathRejection>`), so no handler unpacks a
//! rejection by hand. The pages' extractors (session, CSRF, forms) are `crate::ui::chrome`'s.
//!
//! Order matters and follows the handlers' arguments: a path or query that does not parse is
//! refused before the token is looked at, and a state-changing request's idempotency key and
//! content type before its token (as before extractors).

use std::marker::PhantomData;
use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custodia_app::Role;
use custodia_store::Store;
use serde_json::Value;

use crate::AppState;
use crate::auth::{self, Principal};
use crate::error::ApiError;

/// A query string; a malformed one is 422 `invalid` naming it.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// Path parameters; one that does not parse is 400 `bad_request`.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// A set of roles a route admits (a type, so that it can parameterise [`Auth`]).
pub trait Roles: Send + Sync + 'static {
    /// The roles.
    const ROLES: &'static [Role];
}

macro_rules! roles {
    ($($(#[$m:meta])* $name:ident = [$($r:ident),* $(,)?];)*) => {
        $(
            $(#[$m])*
            #[derive(Debug)]
            pub enum $name {}
            impl Roles for $name {
                const ROLES: &'static [Role] = &[$(Role::$r),*];
            }
        )*
    };
}

roles! {
    /// Every role.
    Anyone = [SendingOfficer, SendingSupervisor, ReceivingOfficer, Counsel, Auditor, Admin];
    /// Everyone but counsel.
    Staff = [SendingOfficer, SendingSupervisor, ReceivingOfficer, Auditor, Admin];
    /// The sending government's officers.
    Sending = [SendingOfficer, SendingSupervisor];
    /// Auditors.
    AuditorOnly = [Auditor];
    /// Auditors and admins.
    AuditorOrAdmin = [Auditor, Admin];
    /// Admins.
    AdminOnly = [Admin];
    /// Counsel.
    CounselOnly = [Counsel];
    /// Who reads invoices.
    Billing = [SendingSupervisor, ReceivingOfficer, Auditor, Admin];
    /// Who records a request to be withheld from the locator.
    Withholders = [SendingOfficer, SendingSupervisor, ReceivingOfficer, Counsel, Admin];
    /// Who publishes a facility's contact information.
    ContactEditors = [ReceivingOfficer, Admin];
    /// Who files legal records (CONTRACT §9).
    Recorders = [SendingOfficer, SendingSupervisor, Counsel, Admin];
    /// Who assigns counsel.
    Assigners = [SendingSupervisor, Admin];
    /// Who proposes and confirms corrections.
    Correctors = [SendingOfficer, SendingSupervisor, ReceivingOfficer, Admin];
    /// Who reads the oversight report.
    Oversight = [Auditor, SendingSupervisor, Admin];
    /// Who tags persons with a class.
    Taggers = [SendingOfficer, SendingSupervisor, Admin];
}

/// 403 unless `p`'s role is one of `roles`.
pub(crate) fn need(p: &Principal, roles: &[Role]) -> Result<(), ApiError> {
    if roles.contains(&p.actor.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "role `{}` may not use this route",
            p.actor.role
        )))
    }
}

/// Resolves a bearer token: 401 when unknown or revoked.
async fn principal(st: &AppState, token: String) -> Result<Principal, ApiError> {
    st.db(move |s| auth::by_token(s, &token)?.ok_or_else(ApiError::unauthorized))
        .await
}

/// The caller of an API route: a valid bearer token (401 without one) whose role is one of
/// `R` (403 otherwise).
#[derive(Debug)]
pub struct Auth<R>(pub Principal, pub PhantomData<fn() -> R>);

impl<R: Roles> FromRequestParts<AppState> for Auth<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let tok = auth::bearer(&parts.headers)?.ok_or_else(ApiError::unauthorized)?;
        let p = principal(st, tok).await?;
        need(&p, R::ROLES)?;
        Ok(Self(p, PhantomData))
    }
}

/// The bearer token of a request where one is optional (the locator): `None` without an
/// `Authorization` header, 401 for a malformed one. It is resolved by the handler.
#[derive(Debug)]
pub struct BearerToken(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        auth::bearer(&parts.headers).map(Self)
    }
}

/// The client's address, for rate limits (`unknown` when the connection did not say).
#[derive(Debug)]
pub struct Client(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_of(&parts.extensions)))
    }
}

/// The client address used for rate limiting.
pub(crate) fn client_of(ext: &axum::http::Extensions) -> String {
    ext.get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

/// A state-changing API request, read in this order (each refusal in the one error shape):
/// the body; the `Idempotency-Key` header (1 to 200 visible ASCII characters, else 422); a
/// non-empty body's `Content-Type` (JSON, else 415); the bearer token (401) and its role
/// (one of `R`, else 403). Run it with [`mutate`].
pub struct Mutation<R> {
    pub principal: Principal,
    key: Option<String>,
    body: Bytes,
    _roles: PhantomData<fn() -> R>,
}

impl<R: Roles> FromRequest<AppState> for Mutation<R> {
    type Rejection = Response;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Response> {
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, st)
            .await
            .map_err(IntoResponse::into_response)?;
        let key = idempotency_key(&headers).map_err(IntoResponse::into_response)?;
        // A JSON body must say so (issue 18): `text/plain` is not taken as JSON.
        if !body.is_empty() && !is_json(&headers) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "a request body must be JSON, sent with `Content-Type: application/json`",
            )
            .into_response());
        }
        let tok = auth::bearer(&headers)
            .and_then(|t| t.ok_or_else(ApiError::unauthorized))
            .map_err(IntoResponse::into_response)?;
        let p = principal(st, tok)
            .await
            .map_err(IntoResponse::into_response)?;
        need(&p, R::ROLES).map_err(IntoResponse::into_response)?;
        Ok(Self {
            principal: p,
            key,
            body,
            _roles: PhantomData,
        })
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key").map(HeaderValue::to_str) {
        None => Ok(None),
        Some(Ok(k)) if !k.is_empty() && k.len() <= 200 => Ok(Some(k.to_string())),
        Some(_) => Err(ApiError::invalid(
            "header `Idempotency-Key`: expected 1 to 200 visible ASCII characters",
        )),
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

/// An answer to a state-changing request.
pub(crate) type Answer = Result<(StatusCode, Value), ApiError>;

/// Runs a state-changing request under the `Idempotency-Key` rules: a replay with the same
/// key and body returns the first answer; the same key with another body is 409.
pub(crate) async fn mutate<R>(
    st: &AppState,
    m: Mutation<R>,
    what: String,
    f: impl FnOnce(&mut Store, &Principal, &[u8]) -> Answer + Send + 'static,
) -> Response {
    let Mutation {
        principal: p,
        key,
        body,
        ..
    } = m;
    let r = st
        .db(move |s| {
            let mut h = Vec::with_capacity(what.len() + 1 + body.len());
            h.extend_from_slice(what.as_bytes());
            h.push(b'\n');
            h.extend_from_slice(&body);
            let request_hash = auth::sha256_hex(&h);
            if let Some(k) = &key
                && let Some(a) = s.idempotent_answer(k, &p.token_hash)?
            {
                return replay(k, &request_hash, &a);
            }
            // The key is recorded in the use case's own transaction: of two requests under
            // one key that race past the check above, only one takes effect.
            if let Some(k) = &key {
                s.claim(custodia_store::auth::IdempotencyClaim {
                    key: k.clone(),
                    token_hash: p.token_hash.clone(),
                    request_hash: request_hash.clone(),
                });
            }
            let answer = f(s, &p, &body);
            if s.end_claim() == custodia_store::ClaimState::Taken
                && let Some(k) = &key
            {
                let a = s
                    .idempotent_answer(k, &p.token_hash)?
                    .ok_or_else(ApiError::internal)?;
                return replay(k, &request_hash, &a);
            }
            let (status, v) = match answer {
                Ok(x) => x,
                Err(e) if e.status.is_server_error() => return Err(e),
                Err(e) => (e.status, e.body()),
            };
            if let Some(k) = &key {
                let a = custodia_store::auth::IdempotentAnswer {
                    request_hash,
                    status: status.as_u16(),
                    response: v.to_string(),
                };
                s.remember_answer(k, &p.token_hash, &a)?;
            }
            Ok((status, v, false))
        })
        .await;
    match r {
        Ok((status, v, replayed)) => {
            let mut resp = (status, Json(v)).into_response();
            if replayed {
                resp.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            resp
        }
        Err(e) => e.into_response(),
    }
}

/// The recorded answer to a request repeated under its idempotency key: the first answer,
/// 409 `idempotency_conflict` if the key came with another request, or 409
/// `idempotency_in_progress` if the first request has taken effect but not yet answered.
fn replay(
    k: &str,
    request_hash: &str,
    a: &custodia_store::auth::IdempotentAnswer,
) -> Result<(StatusCode, Value, bool), ApiError> {
    if a.request_hash != request_hash {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_conflict",
            format!("`Idempotency-Key` `{k}` was first used with another request"),
        ));
    }
    if a.status == 0 {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_in_progress",
            format!(
                "the request first sent with `Idempotency-Key` `{k}` has taken effect and its answer is not recorded yet; repeat it later"
            ),
        ));
    }
    let v: Value = serde_json::from_str(&a.response).map_err(|_| ApiError::internal())?;
    Ok((
        StatusCode::from_u16(a.status).map_err(|_| ApiError::internal())?,
        v,
        true,
    ))
}
