//! Persons: who the token speaks for, the search, a person's file (every read on the
//! ledger first) and the access log.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use custodia_app::Actor;
use custodia_app::Role::{Counsel, ReceivingOfficer as Receiving};
use custodia_app::screening::{self, Lawful};
use custodia_model::events::EventData;
use custodia_store::Store;
use custodia_store::queries::PersonFile;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::to_json;
use crate::AppState;
use crate::auth;
use crate::error::ApiError;
use crate::extract::{Anyone, AuditorOrAdmin, Auth, Path, Query};

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/persons", get(persons))
        .route("/api/v1/persons/{id}", get(person))
        .route("/api/v1/access-log", get(access_log))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "persons", security(("bearer" = [])),
    responses((status = 200, description = "who the token speaks for", body = Object)))]
pub async fn me(Auth(p, ..): Auth<Anyone>) -> Json<Value> {
    Json(
        json!({"actor": p.actor.id(), "role": p.actor.role, "name": p.actor.name, "facility_id": p.actor.facility_id}),
    )
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
    Query(qp): Query<PersonsParams>,
    Auth(p, ..): Auth<Anyone>,
) -> Result<Json<Value>, ApiError> {
    let (actor, ids, v) = st
        .db(move |s| {
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

/// A person's file for `actor`, after the role matrix, and when the transfer they are
/// proposed for becomes lawful (CONTRACT §9), all from one snapshot. The caller must put the
/// read on the ledger ([`AppState::record_read`] with [`read_event`]) before it answers
/// with it, so no read goes unrecorded.
pub fn read_person(
    s: &mut Store,
    actor: &Actor,
    id: &str,
) -> Result<(PersonFile, Option<Lawful>), ApiError> {
    let today = s.clock().now().to_zoned(jiff::tz::TimeZone::UTC).date();
    s.view_with(|r| {
        let refused = || ApiError::forbidden(format!("`{}` may not see person `{id}`", actor.id()));
        // A token that sees only some persons (counsel, a facility's officer) is told the
        // same of an id that exists and of one that does not: its answers must not reveal
        // who is held.
        let scoped =
            actor.role == Counsel || (actor.role == Receiving && actor.facility_id.is_some());
        let scope = match r.person_scope(id)? {
            Some(scope) => scope,
            None if scoped => return Err(refused()),
            None => return Err(ApiError::not_found(format!("no person `{id}`"))),
        };
        if !auth::may_see_person(actor, &scope) {
            return Err(refused());
        }
        let file = r
            .person_file(id)?
            .ok_or_else(|| ApiError::not_found(format!("no person `{id}`")))?;
        let lawful = match screening::proposed_transfer_in(r, id, today)? {
            Some(prop) => Some(screening::lawful_in(
                r,
                &prop,
                custodia_rules::Params::builtin(),
            )?),
            None => None,
        };
        Ok((file, lawful))
    })
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
    Path(id): Path<String>,
    Auth(p, ..): Auth<Anyone>,
) -> Result<Json<Value>, ApiError> {
    let (actor, id, v) = st
        .db(move |s| {
            let (file, lawful) = read_person(s, &p.actor, &id)?;
            let mut v = to_json(&file)?;
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
    Query(qp): Query<AccessParams>,
    _: Auth<AuditorOrAdmin>,
) -> Result<Json<Value>, ApiError> {
    st.db(move |s| to_json(&s.access_log(qp.person.as_deref(), 500)?).map(Json))
        .await
}
