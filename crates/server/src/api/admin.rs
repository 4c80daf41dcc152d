//! Administration: tokens.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use custodia_app::Role;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth;
use crate::error::parse_json;
use crate::extract::{AdminOnly, Mutation, mutate};

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/admin/tokens", post(create_token))
}

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
pub async fn create_token(State(st): State<AppState>, m: Mutation<AdminOnly>) -> Response {
    mutate(&st, m, "POST /api/v1/admin/tokens".into(), |s, _, body| {
        let b: TokenBody = parse_json(body)?;
        let t = auth::create_token(s, b.role, &b.name, b.facility_id.as_deref())?;
        Ok((
            StatusCode::CREATED,
            json!({"token": t, "role": b.role, "name": b.name}),
        ))
    })
    .await
}
