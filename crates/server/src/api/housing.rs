//! Housing, population and billing reads, and a facility's public contact information.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use custodia_app::Role::ReceivingOfficer as Receiving;
use custodia_model::events::{EventData, NewEvent};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::{ErrorBody, to_json};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, parse_json};
use crate::extract::{Auth, Billing, ContactEditors, Mutation, Path, Query, Staff, mutate};

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/housing/facilities/{id}/contact",
            post(facility_contact),
        )
        .route("/api/v1/housing/facilities", get(facilities))
        .route("/api/v1/housing/facilities/{id}/cells", get(cells))
        .route("/api/v1/population", get(population))
        .route("/api/v1/invoices", get(invoices))
}

fn facility_scope(p: &Principal) -> Option<String> {
    if p.actor.role == Receiving {
        p.actor.facility_id.clone()
    } else {
        None
    }
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
    Path(id): Path<String>,
    m: Mutation<ContactEditors>,
) -> Response {
    mutate(
        &st,
        m,
        format!("POST /api/v1/housing/facilities/{id}/contact"),
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

#[utoipa::path(get, path = "/api/v1/housing/facilities", tag = "housing", security(("bearer" = [])),
    responses((status = 200, description = "facilities with persons in custody", body = [Object])))]
pub async fn facilities(
    State(st): State<AppState>,
    _: Auth<Staff>,
) -> Result<Json<Value>, ApiError> {
    st.db(move |s| to_json(&s.facilities()?).map(Json)).await
}

#[utoipa::path(get, path = "/api/v1/housing/facilities/{id}/cells", tag = "housing", security(("bearer" = [])),
    params(("id" = String, Path, description = "facility id")),
    responses((status = 200, description = "cells with occupants and m² per person", body = [Object])))]
pub async fn cells(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Auth(p, ..): Auth<Staff>,
) -> Result<Json<Value>, ApiError> {
    st.db(move |s| {
        if let Some(f) = facility_scope(&p)
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
    Query(qp): Query<PopulationParams>,
    _: Auth<Staff>,
) -> Result<Json<Value>, ApiError> {
    st.db(move |s| to_json(&s.population_by_nationality(qp.facility.as_deref())?).map(Json))
        .await
}

#[utoipa::path(get, path = "/api/v1/invoices", tag = "billing", security(("bearer" = [])),
    responses((status = 200, description = "issued invoices", body = [Object])))]
pub async fn invoices(
    State(st): State<AppState>,
    _: Auth<Billing>,
) -> Result<Json<Value>, ApiError> {
    st.db(|s| to_json(&s.invoices(500)?).map(Json)).await
}
