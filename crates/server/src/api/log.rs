//! The log's routes: liveness, this document, the checkpoint and its history, proofs,
//! leaves (auditors) and the cached `verify`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi};

use super::{ApiDoc, text};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Anyone, AuditorOnly, Auth, Query};

/// The routes.
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
        .route("/api/v1/verify", get(verify))
}

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
    Query(qp): Query<CheckpointsParams>,
) -> Result<Json<Vec<custodia_store::HistoryEntryJson>>, ApiError> {
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
    Query(qp): Query<ProofParams>,
    _: Auth<Anyone>,
) -> Result<Json<custodia_store::InclusionProofJson>, ApiError> {
    st.db(move |s| {
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
    Query(qp): Query<ConsistencyParams>,
    _: Auth<Anyone>,
) -> Result<Json<custodia_store::ConsistencyProofJson>, ApiError> {
    st.db(move |s| {
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
    Query(qp): Query<LeavesParams>,
    Auth(p, ..): Auth<AuditorOnly>,
) -> Result<Response, ApiError> {
    let from = qp.from.unwrap_or(0);
    let to = qp
        .to
        .unwrap_or(from.saturating_add(1000))
        .min(from.saturating_add(1000));
    let (persons, out) = st
        .db(move |s| {
            let mut out = String::new();
            let mut persons = Vec::new();
            s.export(from, Some(to), &mut |_, body| {
                persons.extend(crate::reads::leaf_person(body));
                out.push_str(body);
                out.push('\n');
                Ok(())
            })?;
            Ok((persons, out))
        })
        .await?;
    // An auditor's read of leaves is a read of the persons they name (issue 18).
    st.record_list_read(p.actor.id(), persons, "leaves").await?;
    Ok(([(header::CONTENT_TYPE, "application/jsonl")], out).into_response())
}

#[utoipa::path(get, path = "/api/v1/verify", tag = "log", security(("bearer" = [])),
    responses((status = 200, description = "the cached result of `verify` (a run starts when none is cached)", body = Object)))]
pub async fn verify(
    State(st): State<AppState>,
    _: Auth<AuditorOnly>,
) -> Result<Json<Value>, ApiError> {
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
