//! The JSON API (`/api/v1`), its role matrix and its OpenAPI document.
//!
//! Role matrix (who gets 200; everyone else with a valid token 403, without one 401):
//! - public: `/healthz`, `/api/openapi.json`, `/api/v1/log/checkpoint`, `/api/v1/log/key`,
//!   `/api/v1/log/checkpoints` (the checkpoint history with consistency proofs, so anyone
//!   can keep a trail), `/api/v1/locate` (anonymous callers rate-limited per address);
//! - any role: `/api/v1/me`, `/api/v1/log/proof`, `/api/v1/log/consistency`;
//! - a person's file: sending roles, auditor, admin; counsel for assigned persons; a
//!   receiving officer bound to a facility for persons held at or bound for it;
//! - screening, drafting, passengers, departure: sending roles; approval: supervisor;
//!   arrival, intake, reconciliation: receiving officer; closing and cases: receiving
//!   officer or supervisor (the use cases in `custodia_app` enforce these too);
//! - leaves, verify, access log, locator statistics: auditor (access log and statistics
//!   also admin); tokens: admin;
//! - witnesses (`/api/v1/log/witnesses`, in `crate::witnesses`): auditor, admin.

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use custodia_app::{Actor, Role};
use custodia_model::events::{EventData, IntakeRecord, Justification, NewEvent};
use custodia_model::legal::{Basis, CountryCode};
use custodia_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{self, Principal};
use crate::error::{ApiError, parse_json};
use crate::locator::{LocateHit, LocateQuery};

use Role::{
    Admin, Auditor, Counsel, ReceivingOfficer as Receiving, SendingOfficer as Officer,
    SendingSupervisor as Supervisor,
};

/// Every role.
pub const ALL: &[Role] = &[Officer, Supervisor, Receiving, Counsel, Auditor, Admin];
const SENDING: &[Role] = &[Officer, Supervisor];
const STAFF: &[Role] = &[Officer, Supervisor, Receiving, Auditor, Admin];

/// The routes of the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/log/checkpoint", get(checkpoint))
        .route("/api/v1/log/key", get(log_key))
        .route("/api/v1/log/checkpoints", get(checkpoints))
        .route("/api/v1/log/proof", get(proof))
        .route("/api/v1/log/consistency", get(consistency))
        .route("/api/v1/log/leaves", get(leaves))
        .route("/api/v1/locate", get(locate))
        .route("/api/v1/locator/stats", get(locator_stats))
        .route("/api/v1/locator/withheld", get(withheld_list))
        .route("/api/v1/persons/{id}/withhold", post(withhold))
        .route(
            "/api/v1/housing/facilities/{id}/contact",
            post(facility_contact),
        )
        .route("/api/v1/screen", post(screen))
        .route("/api/v1/me", get(me))
        .route("/api/v1/persons", get(persons))
        .route("/api/v1/persons/{id}", get(person))
        .route("/api/v1/access-log", get(access_log))
        .route("/api/v1/manifests", get(manifests).post(create_manifest))
        .route("/api/v1/manifests/{id}", get(manifest))
        .route("/api/v1/manifests/{id}/passengers", post(add_passenger))
        .route("/api/v1/manifests/{id}/{action}", post(manifest_action))
        .route("/api/v1/cases", get(cases))
        .route("/api/v1/cases/{id}/resolve", post(resolve_case))
        .route("/api/v1/housing/facilities", get(facilities))
        .route("/api/v1/housing/facilities/{id}/cells", get(cells))
        .route("/api/v1/population", get(population))
        .route("/api/v1/invoices", get(invoices))
        .route("/api/v1/verify", get(verify))
        .route("/api/v1/admin/tokens", post(create_token))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such API route; see /api/openapi.json")
}

// ---------------------------------------------------------------- helpers

pub(crate) fn q<T>(r: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    r.map(|Query(v)| v)
        .map_err(|e| ApiError::invalid(format!("query: {}", e.body_text())))
}

pub(crate) fn p<T>(r: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    r.map(|Path(v)| v)
        .map_err(|e| ApiError::bad_request(format!("path: {}", e.body_text())))
}

fn need(p: &Principal, roles: &[Role]) -> Result<(), ApiError> {
    if roles.contains(&p.actor.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "role `{}` may not use this route",
            p.actor.role
        )))
    }
}

/// Authenticates by bearer token and runs `f` on a store, on one blocking thread.
pub(crate) async fn authed<T: Send + 'static>(
    st: &AppState,
    headers: &HeaderMap,
    roles: &'static [Role],
    f: impl FnOnce(&mut Store, &Principal) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let tok = auth::bearer(headers)?.ok_or_else(ApiError::unauthorized)?;
    st.db(move |s| {
        let p = auth::by_token(s, &tok)?.ok_or_else(ApiError::unauthorized)?;
        need(&p, roles)?;
        f(s, &p)
    })
    .await
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(|_| ApiError::internal())
}

/// An answer to a state-changing request.
pub(crate) type Answer = Result<(StatusCode, Value), ApiError>;

/// Runs a state-changing request under the `Idempotency-Key` rules: a replay with the same
/// key and body returns the first answer; the same key with another body is 409.
pub(crate) async fn mutate(
    st: &AppState,
    headers: &HeaderMap,
    what: String,
    body: Bytes,
    roles: &'static [Role],
    f: impl FnOnce(&mut Store, &Principal, &[u8]) -> Answer + Send + 'static,
) -> Response {
    let key = match headers.get("idempotency-key").map(HeaderValue::to_str) {
        None => None,
        Some(Ok(k)) if !k.is_empty() && k.len() <= 200 => Some(k.to_string()),
        Some(_) => {
            return ApiError::invalid(
                "header `Idempotency-Key`: expected 1 to 200 visible ASCII characters",
            )
            .into_response();
        }
    };
    // A JSON body must say so (issue 18): `text/plain` is not taken as JSON.
    if !body.is_empty() {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json {
            return ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "a request body must be JSON, sent with `Content-Type: application/json`",
            )
            .into_response();
        }
    }
    let tok = match auth::bearer(headers).and_then(|t| t.ok_or_else(ApiError::unauthorized)) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let r = st
        .db(move |s| {
            let p = auth::by_token(s, &tok)?.ok_or_else(ApiError::unauthorized)?;
            need(&p, roles)?;
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

fn text(s: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], s).into_response()
}

// ---------------------------------------------------------------- public

#[utoipa::path(get, path = "/healthz", tag = "public", responses((status = 200, description = "alive")))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "public", responses((status = 200, description = "this document")))]
pub async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

#[utoipa::path(get, path = "/api/v1/log/checkpoint", tag = "public",
    responses((status = 200, description = "the latest signed checkpoint (C2SP tlog-checkpoint), with every witness cosignature collected for it (CONTRACT §10)", content_type = "text/plain")))]
pub async fn checkpoint(State(st): State<AppState>) -> Result<Response, ApiError> {
    let cp = st.db(|s| Ok(s.cosigned_checkpoint()?)).await?;
    Ok(text(cp.note))
}

#[utoipa::path(get, path = "/api/v1/log/key", tag = "public",
    responses((status = 200, description = "the verifier key", content_type = "text/plain")))]
pub async fn log_key(State(st): State<AppState>) -> Result<Response, ApiError> {
    let k = st.db(|s| Ok(s.verifier_key().to_string())).await?;
    Ok(text(format!("{k}\n")))
}

/// Locator query parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocateParams {
    /// Family name(s), as typed (required).
    #[param(required = true)]
    pub family: Option<String>,
    /// Given name(s), as typed (required).
    #[param(required = true)]
    pub given: Option<String>,
    /// Country of birth: an ISO 3166-1 alpha-2 code or the country's name in English or
    /// Spanish, with or without accents (required unless `dob` is given).
    pub country: Option<String>,
    /// Date of birth, YYYY-MM-DD (required unless `country` is given; never shown back).
    #[param(format = Date)]
    pub dob: Option<String>,
    /// At most this many hits (default and maximum 3).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 3)]
    pub limit: Option<String>,
}

/// What a locator query lacks to be answered: the words of the `locate_too_vague`
/// error (`family`, `given`, `country_or_dob`).
pub fn missing_parts(p: &LocateParams) -> Vec<&'static str> {
    let has = |o: &Option<String>| o.as_deref().is_some_and(|x| !x.trim().is_empty());
    let mut m = Vec::new();
    if !has(&p.family) {
        m.push("family");
    }
    if !has(&p.given) {
        m.push("given");
    }
    if !has(&p.country) && !has(&p.dob) {
        m.push("country_or_dob");
    }
    m
}

impl LocateParams {
    /// The query, or why it cannot be answered (422 with a stable code).
    pub fn query(&self) -> Result<LocateQuery, ApiError> {
        let invalid = |code: &'static str, m: String| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, m)
        };
        let missing = missing_parts(self);
        if !missing.is_empty() {
            return Err(invalid(
                "locate_too_vague",
                format!(
                    "too vague: a query needs family, given, and country or dob; add {}",
                    missing.join(", ")
                ),
            ));
        }
        let tidy = |o: &Option<String>| {
            o.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let family = tidy(&self.family).unwrap_or_default();
        let given = tidy(&self.given);
        if family.chars().count() > 200 || given.as_deref().is_some_and(|g| g.chars().count() > 200)
        {
            return Err(invalid(
                "locate_name_too_long",
                "query `family`/`given`: at most 200 characters".into(),
            ));
        }
        let country = match tidy(&self.country) {
            None => None,
            Some(c) => Some(
                custodia_model::country::parse(&c)
                    .ok_or_else(|| {
                        invalid(
                            "locate_country_unknown",
                            format!(
                                "query `country`: `{c}` is neither an ISO code nor a country name we know"
                            ),
                        )
                    })?
                    .as_str()
                    .to_string(),
            ),
        };
        let dob = match tidy(&self.dob) {
            None => None,
            Some(d) => Some(d.parse().map_err(|_| {
                invalid(
                    "locate_dob_invalid",
                    format!("query `dob`: `{d}` is not a date, expected YYYY-MM-DD"),
                )
            })?),
        };
        let limit = match self.limit.as_deref().filter(|s| !s.is_empty()) {
            None => crate::locator::PUBLIC_LIMIT,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .map(|n| n.min(crate::locator::PUBLIC_LIMIT))
                .ok_or_else(|| {
                    invalid(
                        "locate_limit_invalid",
                        format!("query `limit`: `{l}`, expected 1 to 3"),
                    )
                })?,
        };
        Ok(LocateQuery {
            family,
            given,
            country,
            dob,
            limit,
        })
    }
}

/// Runs a locator query (shared with the public page): authenticates a token if one is
/// given, applies the rate limits (per address without a token, per token with one, a
/// higher quota for auditors, a daily cap per address), counts the query, searches.
pub(crate) async fn run_locate(
    st: &AppState,
    client: String,
    token: Option<String>,
    lq: LocateQuery,
) -> Result<Vec<LocateHit>, ApiError> {
    let day = || {
        st.now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_string()
    };
    if token.is_none() {
        st.allow_locate(&client, crate::Caller::Anonymous, &client)?;
        // The common case, a family without a token and an index younger than the TTL:
        // answered without taking a store from the pool.
        if let Some((index, facilities)) = st.locator_if_fresh() {
            if st.note_locate(&day(), false) {
                st.flush_counts_later();
            }
            // Scored on the blocking pool: a search is CPU work, and the runtime's few
            // workers keep serving connections meanwhile.
            return tokio::task::spawn_blocking(move || index.search(&lq, &facilities))
                .await
                .map_err(|_| ApiError::internal());
        }
    }
    let st2 = st.clone();
    st.db(move |s| {
        let principal = match &token {
            Some(t) => Some(auth::by_token(s, t)?.ok_or_else(ApiError::unauthorized)?),
            None => None,
        };
        match &principal {
            // Already counted against its quota above.
            None => {}
            Some(p) if p.actor.role == Auditor => {
                st2.allow_locate(&client, crate::Caller::Auditor, &p.token_hash)?;
            }
            Some(p) => st2.allow_locate(&client, crate::Caller::Token, &p.token_hash)?,
        }
        let day = st2
            .now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_string();
        st2.count_locate(s, &day, principal.is_some())?;
        let (index, facilities) = st2.locator(s)?;
        Ok(index.search(&lq, &facilities))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/locate", tag = "public", params(LocateParams),
    summary = "Find a person in custody (public locator)",
    description = "As `custodia locate --json`, at most 3 hits above a calibrated threshold, each with where the person is now. A query needs `family`, `given`, and `country` or `dob`. Anonymous callers are limited per address, token holders per token (auditors get a higher quota); every address has a daily cap.",
    security((), ("bearer" = [])),
    responses((status = 200, description = "hits, best first", body = [LocateHit]),
              (status = 401, description = "a token was given and is not valid", body = ErrorBody),
              (status = 422, description = "too vague (`locate_too_vague`) or a parameter is malformed", body = ErrorBody),
              (status = 429, description = "rate limit exceeded (`rate_limited`, `rate_limited_daily`)", body = ErrorBody)))]
pub async fn locate(
    State(st): State<AppState>,
    req: Request,
) -> Result<Json<Vec<LocateHit>>, ApiError> {
    let client = crate::client_of(&req);
    let token = auth::bearer(req.headers())?;
    let params: LocateParams = match Query::<LocateParams>::try_from_uri(req.uri()) {
        Ok(Query(v)) => v,
        Err(e) => return Err(ApiError::invalid(format!("query: {}", e.body_text()))),
    };
    let lq = params.query()?;
    Ok(Json(run_locate(&st, client, token, lq).await?))
}

/// Every error answer: `{"error": {"code", "message"}}`; `code` is stable (the pages
/// translate it), `message` is English for people reading logs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The error's code and message.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

// ---------------------------------------------------------------- log

/// Query of the checkpoint history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckpointsParams {
    /// The smallest tree size wanted (default 0: the whole history).
    pub since: Option<u64>,
    /// At most this many checkpoints (default and maximum 1000); page on with `since` set
    /// to the last size received.
    pub limit: Option<u64>,
}

/// Checkpoints per answer at most.
const HISTORY_PAGE: u64 = 1000;

#[utoipa::path(get, path = "/api/v1/log/checkpoints", tag = "public", params(CheckpointsParams),
    responses((status = 200, description = "the checkpoint history, as `custodia log checkpoints --since N`: every signed checkpoint of size `since` or more, oldest first, each with the RFC 9162 consistency proof from the stored checkpoint before it (`{\"size\",\"root\",\"note\",\"consistency\":{\"old_size\",\"new_size\",\"proof\"}}`); an auditor's trail is kept from it", body = [Object])))]
pub async fn checkpoints(
    State(st): State<AppState>,
    qp: Result<Query<CheckpointsParams>, QueryRejection>,
) -> Result<Json<Vec<custodia_store::HistoryEntryJson>>, ApiError> {
    let qp = q(qp)?;
    let since = qp.since.unwrap_or(0);
    let limit = qp.limit.unwrap_or(HISTORY_PAGE).clamp(1, HISTORY_PAGE);
    st.db(move |s| {
        let history = s.checkpoint_history(since, Some(limit))?;
        Ok(Json(history.iter().map(|e| e.to_wire()).collect()))
    })
    .await
}

/// Query of an inclusion proof.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProofParams {
    pub index: u64,
    pub size: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/log/proof", tag = "log", params(ProofParams), security(("bearer" = [])),
    responses((status = 200, description = "RFC 9162 inclusion proof, as `custodia log prove`", body = Object)))]
pub async fn proof(
    State(st): State<AppState>,
    headers: HeaderMap,
    qp: Result<Query<ProofParams>, QueryRejection>,
) -> Result<Json<custodia_store::InclusionProofJson>, ApiError> {
    let qp = q(qp)?;
    authed(&st, &headers, ALL, move |s, _| {
        let pr = s.prove(qp.index, qp.size)?;
        Ok(Json(pr.to_wire()))
    })
    .await
}

/// Query of a consistency proof.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyParams {
    pub old: u64,
    pub new: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/log/consistency", tag = "log", params(ConsistencyParams), security(("bearer" = [])),
    responses((status = 200, description = "RFC 9162 consistency proof, as `custodia log consistency`", body = Object)))]
pub async fn consistency(
    State(st): State<AppState>,
    headers: HeaderMap,
    qp: Result<Query<ConsistencyParams>, QueryRejection>,
) -> Result<Json<custodia_store::ConsistencyProofJson>, ApiError> {
    let qp = q(qp)?;
    authed(&st, &headers, ALL, move |s, _| {
        let (old, new, proof) = s.consistency(qp.old, qp.new)?;
        Ok(Json(custodia_store::ConsistencyProofJson::new(
            old, new, &proof,
        )))
    })
    .await
}

/// A range of leaves.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeavesParams {
    pub from: Option<u64>,
    pub to: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/log/leaves", tag = "log", params(LeavesParams), security(("bearer" = [])),
    responses((status = 200, description = "leaves `from..to` (at most 1000) as JSON Lines", content_type = "application/jsonl")))]
pub async fn leaves(
    State(st): State<AppState>,
    headers: HeaderMap,
    qp: Result<Query<LeavesParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let qp = q(qp)?;
    let from = qp.from.unwrap_or(0);
    let to = qp
        .to
        .unwrap_or(from.saturating_add(1000))
        .min(from.saturating_add(1000));
    let (actor, persons, out) = authed(&st, &headers, &[Auditor], move |s, p| {
        let mut out = String::new();
        let mut persons = Vec::new();
        s.export(from, Some(to), &mut |_, body| {
            persons.extend(crate::reads::leaf_person(body));
            out.push_str(body);
            out.push('\n');
            Ok(())
        })?;
        Ok((p.actor.id(), persons, out))
    })
    .await?;
    // An auditor's read of leaves is a read of the persons they name (issue 18).
    st.record_list_read(actor, persons, "leaves").await?;
    Ok(([(header::CONTENT_TYPE, "application/jsonl")], out).into_response())
}

#[utoipa::path(get, path = "/api/v1/verify", tag = "log", security(("bearer" = [])),
    responses((status = 200, description = "the cached result of `verify` (a run starts when none is cached)", body = Object)))]
pub async fn verify(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authed(&st, &headers, &[Auditor], |_, _| Ok(())).await?;
    let c = st.verify_cached();
    if c.is_none() {
        st.verify_start();
    }
    Ok(Json(match c {
        None => json!({"running": true}),
        Some(c) => json!({"running": c.running, "at": c.at.to_string(), "size": c.size,
            "ok": c.result.is_ok(), "summary": match &c.result { Ok(s) | Err(s) => s }}),
    }))
}

#[utoipa::path(get, path = "/api/v1/locator/stats", tag = "log", security(("bearer" = [])),
    responses((status = 200, description = "locator queries per day, anonymous and authenticated", body = [Object])))]
pub async fn locator_stats(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let st2 = st.clone();
    authed(&st, &headers, &[Auditor, Admin], move |s, _| {
        st2.flush_counts(s)?;
        to_json(&s.locator_counts(90)?).map(Json)
    })
    .await
}

/// A request to withhold a person from the public locator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithholdBody {
    /// `person` (the person asked, recorded by staff) or `counsel`.
    pub requested_by: String,
    /// Why; shown to auditors, never to the public.
    pub reason: String,
}

/// Records that `person_id` asked (themselves or through counsel) not to appear in the
/// public locator (shared with the pages). Counsel may ask only for persons assigned to
/// them; staff record a person's own request.
pub fn withhold_sync(
    s: &mut Store,
    actor: &Actor,
    person_id: &str,
    b: &WithholdBody,
) -> Result<(), ApiError> {
    let scope = s
        .person_scope(person_id)?
        .ok_or_else(|| ApiError::not_found(format!("no person `{person_id}`")))?;
    if actor.role == Auditor || !auth::may_see_person(actor, &scope) {
        return Err(ApiError::forbidden(format!(
            "`{}` may not ask to withhold person `{person_id}`",
            actor.id()
        )));
    }
    if !matches!(b.requested_by.as_str(), "person" | "counsel") {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "withhold_requested_by",
            format!(
                "field `requested_by`: `{}`, expected `person` or `counsel`",
                b.requested_by
            ),
        ));
    }
    if actor.role == Counsel && b.requested_by != "counsel" {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "withhold_requested_by",
            "field `requested_by`: counsel asks as `counsel`",
        ));
    }
    let reason = b.reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "withhold_reason",
            "field `reason`: required, at most 2000 characters",
        ));
    }
    let now = s.clock().now();
    s.append(vec![NewEvent {
        occurred_at: now,
        actor: actor.id(),
        data: EventData::LocatorWithheld {
            person_id: person_id.to_string(),
            requested_by: b.requested_by.clone(),
            reason: reason.to_string(),
        },
    }])?;
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/persons/{id}/withhold", tag = "persons", security(("bearer" = [])), request_body = WithholdBody,
    summary = "Withhold a person from the public locator",
    params(("id" = String, Path, description = "person id"), ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "recorded; the person no longer appears in the public locator", body = Object),
              (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "this role may not ask for this person", body = ErrorBody),
              (status = 404, description = "no such person", body = ErrorBody), (status = 422, description = "a field is wrong", body = ErrorBody)))]
pub async fn withhold(
    State(st): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Response {
    let id = match p(id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    mutate(
        &st,
        &headers,
        format!("POST /api/v1/persons/{id}/withhold"),
        body,
        &[Officer, Supervisor, Receiving, Counsel, Admin],
        move |s, p, body| {
            let b: WithholdBody = parse_json(body)?;
            withhold_sync(s, &p.actor, &id, &b)?;
            Ok((StatusCode::OK, json!({"withheld": id})))
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/locator/withheld", tag = "log", security(("bearer" = [])),
    summary = "Persons withheld from the public locator (auditors)",
    responses((status = 200, description = "each request: person, who asked, why, who recorded it, its seq", body = [Object]),
              (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "not an auditor or admin", body = ErrorBody)))]
pub async fn withheld_list(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authed(&st, &headers, &[Auditor, Admin], |s, _| {
        Ok(Json(Value::Array(
            s.locator_withheld()?
                .into_iter()
                .map(|w| {
                    json!({"person_id": w.person_id, "requested_by": w.requested_by, "reason": w.reason, "recorded_by": w.actor, "seq": w.seq})
                })
                .collect(),
        )))
    })
    .await
}

/// A facility's public contact information.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// Visiting rules.
    pub visiting: Option<String>,
    /// The consular contact.
    pub consular: Option<String>,
    /// How counsel reaches a person held there.
    pub counsel_access: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/housing/facilities/{id}/contact", tag = "housing", security(("bearer" = [])), request_body = ContactBody,
    summary = "Publish a facility's contact information for families",
    params(("id" = String, Path, description = "facility id"), ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "published; the locator shows it", body = Object),
              (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "admin, or a receiving officer of that facility", body = ErrorBody),
              (status = 404, description = "no such facility", body = ErrorBody)))]
pub async fn facility_contact(
    State(st): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Response {
    let id = match p(id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    mutate(
        &st,
        &headers,
        format!("POST /api/v1/housing/facilities/{id}/contact"),
        body,
        &[Receiving, Admin],
        move |s, p, body| {
            if let Some(f) = facility_scope(p)
                && f != id
            {
                return Err(ApiError::forbidden(format!("bound to facility `{f}`")));
            }
            let b: ContactBody = parse_json(body)?;
            if !s.public_facilities()?.iter().any(|f| f.id == id) {
                return Err(ApiError::not_found(format!("no facility `{id}`")));
            }
            let tidy =
                |o: Option<String>| o.map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
            let now = s.clock().now();
            s.append(vec![NewEvent {
                occurred_at: now,
                actor: p.actor.id(),
                data: EventData::FacilityContactPublished {
                    facility_id: id.clone(),
                    visiting: tidy(b.visiting),
                    consular: tidy(b.consular),
                    counsel_access: tidy(b.counsel_access),
                },
            }])?;
            Ok((StatusCode::OK, json!({"facility_id": id})))
        },
    )
    .await
}

// ---------------------------------------------------------------- screening

#[utoipa::path(post, path = "/api/v1/screen", tag = "screening", security(("bearer" = [])),
    request_body(content = Object, description = "one screening request (CONTRACT §1)"),
    responses((status = 200, description = "the decision", body = Object), (status = 400, description = "not JSON"),
              (status = 422, description = "a field is wrong; the message names it"), (status = 403, description = "not a sending role")))]
pub async fn screen(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    mutate(
        &st,
        &headers,
        "POST /api/v1/screen".into(),
        body,
        SENDING,
        |_, _, body| {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::bad_request("body is not UTF-8"))?;
            let req = custodia_rules::parse_request(text).map_err(|e| {
                if e.field.is_none() && serde_json::from_str::<Value>(text).is_err() {
                    ApiError::bad_request(e.to_string())
                } else {
                    ApiError::invalid(e.to_string())
                }
            })?;
            let d = custodia_rules::screen(&req, custodia_rules::Params::builtin());
            Ok((StatusCode::OK, to_json(&d)?))
        },
    )
    .await
}

// ---------------------------------------------------------------- persons

#[utoipa::path(get, path = "/api/v1/me", tag = "persons", security(("bearer" = [])),
    responses((status = 200, description = "who the token speaks for", body = Object)))]
pub async fn me(State(st): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authed(&st, &headers, ALL, |_, p| Ok(Json(json!({"actor": p.actor.id(), "role": p.actor.role, "name": p.actor.name, "facility_id": p.actor.facility_id})))).await
}

/// A person search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonsParams {
    /// An id, or part of a name.
    pub q: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/persons", tag = "persons", params(PersonsParams), security(("bearer" = [])),
    responses((status = 200, description = "matching persons (counsel: only assigned ones)", body = [Object])))]
pub async fn persons(
    State(st): State<AppState>,
    headers: HeaderMap,
    qp: Result<Query<PersonsParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let qp = q(qp)?;
    let (actor, ids, v) = authed(&st, &headers, ALL, move |s, p| {
        let rows = if p.actor.role == Counsel {
            s.counsel_persons(&p.actor.id())?
        } else {
            let fac = if p.actor.role == Receiving {
                p.actor.facility_id.clone()
            } else {
                None
            };
            s.search_persons(qp.q.as_deref().unwrap_or(""), fac.as_deref(), 100)?
        };
        let ids = rows.iter().map(|r| r.person_id.clone()).collect();
        Ok((p.actor.id(), ids, to_json(&rows)?))
    })
    .await?;
    // A search names everyone it returns on the ledger, before it answers (issue 18).
    st.record_list_read(actor, ids, "search").await?;
    Ok(Json(v))
}

/// A person's file for `actor`, after the role matrix. The caller must put the read on the
/// ledger ([`AppState::record_read`] with [`read_event`]) before it answers with it, so no
/// read goes unrecorded.
pub fn read_person(
    s: &mut Store,
    actor: &Actor,
    id: &str,
) -> Result<custodia_store::queries::PersonFile, ApiError> {
    let scope = s
        .person_scope(id)?
        .ok_or_else(|| ApiError::not_found(format!("no person `{id}`")))?;
    if !auth::may_see_person(actor, &scope) {
        return Err(ApiError::forbidden(format!(
            "`{}` may not see person `{id}`",
            actor.id()
        )));
    }
    s.person_file(id)?
        .ok_or_else(|| ApiError::not_found(format!("no person `{id}`")))
}

/// The event that records a read of person `id`'s file.
pub fn read_event(id: &str) -> EventData {
    EventData::PersonRead {
        person_id: id.to_string(),
    }
}

#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "persons", security(("bearer" = [])),
    params(("id" = String, Path, description = "person id")),
    responses((status = 200, description = "record, legal records, screenings, custody timeline (each event with its seq)", body = Object),
              (status = 401, description = "no valid token"), (status = 403, description = "this role may not see this person"),
              (status = 404, description = "no such person")))]
pub async fn person(
    State(st): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = p(id)?;
    let (actor, id, v) = authed(&st, &headers, ALL, move |s, p| {
        let mut v = to_json(&read_person(s, &p.actor, &id)?)?;
        // CONTRACT §9: when the proposed transfer becomes lawful, from the records now.
        let lawful = match custodia_app::screening::proposed_transfer(s, &id)? {
            Some(prop) => Some(custodia_app::screening::lawful_from(
                s,
                &prop,
                custodia_rules::Params::builtin(),
            )?),
            None => None,
        };
        if let Value::Object(m) = &mut v {
            m.insert(
                "earliest_date".into(),
                lawful
                    .as_ref()
                    .and_then(|l| l.earliest_date)
                    .map_or(Value::Null, |d| Value::String(d.to_string())),
            );
            m.insert("proposed_transfer".into(), to_json(&lawful)?);
        }
        Ok((p.actor.id(), id, v))
    })
    .await?;
    st.record_read(actor, read_event(&id)).await?;
    Ok(Json(v))
}

/// Access log query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessParams {
    pub person: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/access-log", tag = "persons", params(AccessParams), security(("bearer" = [])),
    responses((status = 200, description = "recorded reads of person files, newest first", body = [Object])))]
pub async fn access_log(
    State(st): State<AppState>,
    headers: HeaderMap,
    qp: Result<Query<AccessParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let qp = q(qp)?;
    authed(&st, &headers, &[Auditor, Admin], move |s, _| {
        to_json(&s.access_log(qp.person.as_deref(), 500)?).map(Json)
    })
    .await
}

// ---------------------------------------------------------------- manifests

fn facility_scope(p: &Principal) -> Option<String> {
    if p.actor.role == Receiving {
        p.actor.facility_id.clone()
    } else {
        None
    }
}

#[utoipa::path(get, path = "/api/v1/manifests", tag = "manifests", security(("bearer" = [])),
    responses((status = 200, description = "manifests, newest first", body = [Object])))]
pub async fn manifests(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authed(&st, &headers, STAFF, |s, p| {
        to_json(&s.manifests(facility_scope(p).as_deref(), 500)?).map(Json)
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/manifests/{id}", tag = "manifests", security(("bearer" = [])),
    params(("id" = String, Path, description = "manifest id")),
    responses((status = 200, description = "manifest, passengers with screening outcome and findings, cases", body = Object)))]
pub async fn manifest(
    State(st): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = p(id)?;
    authed(&st, &headers, STAFF, move |s, p| {
        let m = s
            .manifest_file(&id)?
            .ok_or_else(|| ApiError::not_found(format!("no manifest `{id}`")))?;
        if let Some(f) = facility_scope(p)
            && m.manifest.to_facility != f
            && m.manifest.from_facility != f
        {
            return Err(ApiError::forbidden(format!(
                "manifest `{id}` does not concern facility `{f}`"
            )));
        }
        to_json(&m).map(Json)
    })
    .await
}

/// A manifest to draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewManifestBody {
    pub flight: String,
    pub from_facility: String,
    pub to_facility: String,
    #[schema(value_type = String, example = "SV")]
    pub destination_country: CountryCode,
    #[schema(value_type = String, example = "removal")]
    pub basis: Basis,
    #[schema(value_type = String, format = Date)]
    pub departure_on: jiff::civil::Date,
}

#[utoipa::path(post, path = "/api/v1/manifests", tag = "manifests", security(("bearer" = [])), request_body = NewManifestBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 201, description = "drafted: `{\"id\": …}`", body = Object), (status = 422, description = "a field is wrong")))]
pub async fn create_manifest(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mutate(
        &st,
        &headers,
        "POST /api/v1/manifests".into(),
        body,
        SENDING,
        |s, p, body| {
            let b: NewManifestBody = parse_json(body)?;
            let id = custodia_app::manifests::create(
                s,
                &p.actor,
                &custodia_app::manifests::NewManifest {
                    flight: b.flight,
                    from_facility: b.from_facility,
                    to_facility: b.to_facility,
                    destination_country: b.destination_country,
                    basis: b.basis,
                    departure_on: b.departure_on,
                },
            )?;
            Ok((StatusCode::CREATED, json!({"id": id})))
        },
    )
    .await
}

/// A passenger to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassengerBody {
    pub person_id: String,
}

#[utoipa::path(post, path = "/api/v1/manifests/{id}/passengers", tag = "manifests", security(("bearer" = [])), request_body = PassengerBody,
    params(("id" = String, Path, description = "manifest id"), ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "added", body = Object)))]
pub async fn add_passenger(
    State(st): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Response {
    let id = match p(id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    mutate(
        &st,
        &headers,
        format!("POST /api/v1/manifests/{id}/passengers"),
        body,
        SENDING,
        move |s, p, body| {
            let b: PassengerBody = parse_json(body)?;
            custodia_app::manifests::add_passenger(s, &p.actor, &id, &b.person_id)?;
            Ok((
                StatusCode::OK,
                json!({"manifest_id": id, "person_id": b.person_id}),
            ))
        },
    )
    .await
}

/// Approval with justifications for `needs_review` passengers.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    #[serde(default)]
    pub justifications: Vec<JustificationBody>,
}

/// One justification.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JustificationBody {
    pub person_id: String,
    pub text: String,
}

/// Intake rows recorded by the receiving facility.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeBody {
    /// Default: the manifest's receiving facility.
    pub facility_id: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<IntakeRecord>,
}

fn body_or_default<T: serde::de::DeserializeOwned + Default>(b: &[u8]) -> Result<T, ApiError> {
    if b.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse_json(b)
    }
}

/// Runs one lifecycle action (shared with the pages).
pub fn manifest_action_sync(
    s: &mut Store,
    actor: &Actor,
    id: &str,
    action: &str,
    body: &[u8],
) -> Answer {
    use custodia_app::manifests as m;
    let v = match action {
        "screen" => to_json(&m::screen(s, actor, id, custodia_rules::Params::builtin())?)?,
        "approve" => {
            let b: ApproveBody = body_or_default(body)?;
            let js: Vec<Justification> = b
                .justifications
                .into_iter()
                .map(|j| Justification {
                    person_id: j.person_id,
                    text: j.text,
                })
                .collect();
            m::approve(s, actor, id, &js)?;
            json!({"approved": id})
        }
        "depart" => to_json(&m::depart(s, actor, id, custodia_rules::Params::builtin())?)?,
        "arrive" => {
            m::arrive(s, actor, id)?;
            json!({"arrived": id})
        }
        "intake" => {
            let b: IntakeBody = parse_json(body)?;
            let fac = match b.facility_id {
                Some(f) => f,
                None => m::get(s, id)?.to_facility,
            };
            let n = m::record_intake(s, actor, &fac, Some(id), &b.records)?;
            json!({"recorded": n})
        }
        "reconcile" => to_json(&m::reconcile(s, actor, id)?)?,
        "close" => {
            m::close(s, actor, id)?;
            json!({"closed": id})
        }
        other => {
            return Err(ApiError::not_found(format!(
                "no action `{other}`; expected screen, approve, depart, arrive, intake, reconcile or close"
            )));
        }
    };
    Ok((StatusCode::OK, v))
}

#[utoipa::path(post, path = "/api/v1/manifests/{id}/{action}", tag = "manifests", security(("bearer" = [])),
    params(("id" = String, Path, description = "manifest id"),
           ("action" = String, Path, description = "screen | approve (body ApproveBody) | depart | arrive | intake (body IntakeBody) | reconcile | close"),
           ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "done", body = Object), (status = 403, description = "role may not"),
              (status = 409, description = "the manifest's state does not allow it"), (status = 422, description = "bad body")))]
pub async fn manifest_action(
    State(st): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> Response {
    let (id, action) = match p(path) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    mutate(
        &st,
        &headers,
        format!("POST /api/v1/manifests/{id}/{action}"),
        body,
        ALL,
        move |s, p, body| manifest_action_sync(s, &p.actor, &id, &action, body),
    )
    .await
}

// ---------------------------------------------------------------- cases

/// Case listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesParams {
    /// Only open cases (default true).
    pub open: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CasesParams), security(("bearer" = [])),
    responses((status = 200, description = "discrepancy cases", body = [Object])))]
pub async fn cases(
    State(st): State<AppState>,
    headers: HeaderMap,
    qp: Result<Query<CasesParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let qp = q(qp)?;
    authed(&st, &headers, STAFF, move |s, p| {
        to_json(&s.cases(qp.open.unwrap_or(true), facility_scope(p).as_deref(), 1000)?).map(Json)
    })
    .await
}

/// A resolution.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/resolve", tag = "cases", security(("bearer" = [])), request_body = ResolveBody,
    params(("id" = String, Path, description = "case id"), ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "resolved", body = Object)))]
pub async fn resolve_case(
    State(st): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Response {
    let id = match p(id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    mutate(
        &st,
        &headers,
        format!("POST /api/v1/cases/{id}/resolve"),
        body,
        ALL,
        move |s, p, body| {
            let b: ResolveBody = parse_json(body)?;
            custodia_app::manifests::resolve_case(s, &p.actor, &id, &b.reason)?;
            Ok((StatusCode::OK, json!({"resolved": id})))
        },
    )
    .await
}

// ---------------------------------------------------------------- housing, population, billing

#[utoipa::path(get, path = "/api/v1/housing/facilities", tag = "housing", security(("bearer" = [])),
    responses((status = 200, description = "facilities with persons in custody", body = [Object])))]
pub async fn facilities(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authed(&st, &headers, STAFF, |s, _| {
        to_json(&s.facilities()?).map(Json)
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/housing/facilities/{id}/cells", tag = "housing", security(("bearer" = [])),
    params(("id" = String, Path, description = "facility id")),
    responses((status = 200, description = "cells with occupants and m² per person", body = [Object])))]
pub async fn cells(
    State(st): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = p(id)?;
    authed(&st, &headers, STAFF, move |s, p| {
        if let Some(f) = facility_scope(p)
            && f != id
        {
            return Err(ApiError::forbidden(format!("bound to facility `{f}`")));
        }
        to_json(&s.cells(&id)?).map(Json)
    })
    .await
}

/// Population query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PopulationParams {
    pub facility: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/population", tag = "housing", params(PopulationParams), security(("bearer" = [])),
    responses((status = 200, description = "persons in custody by nationality", body = [Object])))]
pub async fn population(
    State(st): State<AppState>,
    headers: HeaderMap,
    qp: Result<Query<PopulationParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let qp = q(qp)?;
    authed(&st, &headers, STAFF, move |s, _| {
        to_json(&s.population_by_nationality(qp.facility.as_deref())?).map(Json)
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/invoices", tag = "billing", security(("bearer" = [])),
    responses((status = 200, description = "issued invoices", body = [Object])))]
pub async fn invoices(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authed(
        &st,
        &headers,
        &[Supervisor, Receiving, Auditor, Admin],
        |s, _| to_json(&s.invoices(500)?).map(Json),
    )
    .await
}

// ---------------------------------------------------------------- admin

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    #[schema(value_type = String, example = "auditor")]
    pub role: Role,
    pub name: String,
    pub facility_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/admin/tokens", tag = "admin", security(("bearer" = [])), request_body = TokenBody,
    responses((status = 201, description = "`{\"token\": …}`, shown once", body = Object)))]
pub async fn create_token(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    mutate(
        &st,
        &headers,
        "POST /api/v1/admin/tokens".into(),
        body,
        &[Admin],
        |s, _, body| {
            let b: TokenBody = parse_json(body)?;
            let t = auth::create_token(s, b.role, &b.name, b.facility_id.as_deref())?;
            Ok((
                StatusCode::CREATED,
                json!({"token": t, "role": b.role, "name": b.name}),
            ))
        },
    )
    .await
}

// ---------------------------------------------------------------- OpenAPI

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// One summary per operation (by operation id: the handler's name).
const SUMMARIES: &[(&str, &str)] = &[
    ("healthz", "Liveness"),
    ("openapi", "This OpenAPI document"),
    ("checkpoint", "The latest signed checkpoint"),
    ("log_key", "The log's verifier key"),
    (
        "checkpoints",
        "The checkpoint history, oldest first, with consistency proofs",
    ),
    (
        "witnesses",
        "Each witness's cosigned size, lag and last status",
    ),
    ("proof", "An inclusion proof"),
    ("consistency", "A consistency proof"),
    ("leaves", "Leaves of the log as JSON Lines"),
    ("verify", "The cached result of verify"),
    ("locator_stats", "Locator queries per day"),
    ("withheld_list", "Persons withheld from the public locator"),
    ("locate", "Find a person in custody (public locator)"),
    ("screen", "Screen one transfer request"),
    ("withhold", "Withhold a person from the public locator"),
    (
        "facility_contact",
        "Publish a facility's contact information",
    ),
    ("me", "Who the token belongs to"),
    ("persons", "Search persons"),
    ("person", "A person's record (the read is recorded)"),
    ("access_log", "Recorded reads of person files"),
    ("manifests", "List manifests"),
    ("manifest", "One manifest with passengers and cases"),
    ("create_manifest", "Draft a manifest"),
    ("add_passenger", "Add a passenger to a manifest"),
    ("manifest_action", "Move a manifest through its lifecycle"),
    ("cases", "Discrepancy cases"),
    ("resolve_case", "Resolve a case"),
    ("facilities", "Facilities with persons in custody"),
    ("cells", "A facility's cells and occupancy"),
    ("population", "Persons in custody by nationality"),
    ("invoices", "Issued invoices"),
    ("create_token", "Create a token"),
];

/// Completes the generated document: a summary on every operation, 401 and 403 on every
/// operation that needs a token (401 only where a token is optional), 422 where there are
/// parameters or a body, and one error schema on every error answer.
struct Complete;

impl utoipa::Modify for Complete {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |d: &str| {
            ResponseBuilder::new()
                .description(d)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                let id = op.operation_id.clone().unwrap_or_default();
                if op.summary.is_none()
                    && let Some((_, s)) = SUMMARIES.iter().find(|(k, _)| *k == id)
                {
                    op.summary = Some((*s).to_string());
                }
                let secured = op.security.as_ref().is_some_and(|v| !v.is_empty());
                let optional = op.security.as_ref().is_some_and(|v| {
                    v.iter().any(|r| {
                        serde_json::to_value(r)
                            .ok()
                            .and_then(|x| x.as_object().map(serde_json::Map::is_empty))
                            .unwrap_or(false)
                    })
                });
                let has_input = op.request_body.is_some()
                    || op.parameters.as_ref().is_some_and(|p| {
                        p.iter().any(|x| {
                            matches!(
                                x.parameter_in,
                                utoipa::openapi::path::ParameterIn::Query
                                    | utoipa::openapi::path::ParameterIn::Path
                            )
                        })
                    });
                let r = &mut op.responses.responses;
                let mut add = |code: &str, d: &str| {
                    r.entry(code.to_string()).or_insert_with(|| error(d).into());
                };
                if secured {
                    add("401", "no valid bearer token (`unauthorized`)");
                    if !optional {
                        add("403", "this role may not use this route (`forbidden`)");
                    }
                }
                if has_input {
                    add("422", "a parameter or field is wrong; the message names it");
                }
                // Error answers without a body schema get the one error schema.
                for (code, resp) in r.iter_mut() {
                    if (code.starts_with('4') || code.starts_with('5'))
                        && let utoipa::openapi::RefOr::T(resp) = resp
                        && resp.content.is_empty()
                    {
                        resp.content.insert(
                            "application/json".into(),
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("ErrorBody")))
                                .build(),
                        );
                    }
                }
            }
        }
    }
}

/// The OpenAPI 3 document, generated from the handlers above.
#[derive(OpenApi)]
#[openapi(
    info(title = "custodia", description = "Accountable custody transfers: ledger, screening, manifests, housing, billing, locator (CONTRACT §8)."),
    modifiers(&Bearer, &Complete),
    paths(healthz, openapi, checkpoint, log_key, checkpoints, crate::witnesses::witnesses, crate::federation::handover, crate::federation::receipt, proof, consistency, leaves, verify, locator_stats, withheld_list, locate, screen, withhold, facility_contact,
          me, persons, person, access_log, manifests, manifest, create_manifest, add_passenger, manifest_action, cases,
          resolve_case, facilities, cells, population, invoices, create_token,
          crate::law::add_records, crate::law::assign_counsel, crate::law::propose_correction, crate::law::confirm_correction,
          crate::law::tag_class, crate::law::notices, crate::law::overrides),
    components(schemas(ErrorBody, ErrorDetail, LocateHit, crate::locator::MatchKind, crate::locator::FacilityContact, WithholdBody, ContactBody, NewManifestBody, PassengerBody, ApproveBody, JustificationBody, IntakeBody, ResolveBody, TokenBody))
)]
pub struct ApiDoc;
