//! Manifests and their lifecycle (one route per step, each with its typed body), transfer
//! screening, and the discrepancy cases reconciliation opens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{MethodFilter, get, on, post};
use axum::{Json, Router};
use custodia_app::Actor;
use custodia_app::Role::ReceivingOfficer as Receiving;
use custodia_model::events::{IntakeRecord, Justification};
use custodia_model::legal::{Basis, CountryCode};
use custodia_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::to_json;
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, parse_json};
use crate::extract::{Answer, Anyone, Auth, Mutation, Path, Query, Sending, Staff, mutate};

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/screen", post(screen))
        .route("/api/v1/manifests", get(manifests).post(create_manifest))
        .route("/api/v1/manifests/{id}", get(manifest))
        .route("/api/v1/manifests/{id}/passengers", post(add_passenger))
        .route("/api/v1/manifests/{id}/screen", post(screen_manifest))
        .route("/api/v1/manifests/{id}/approve", post(approve_manifest))
        .route("/api/v1/manifests/{id}/depart", post(depart_manifest))
        .route("/api/v1/manifests/{id}/arrive", post(arrive_manifest))
        .route("/api/v1/manifests/{id}/intake", post(intake_manifest))
        .route("/api/v1/manifests/{id}/reconcile", post(reconcile_manifest))
        .route("/api/v1/manifests/{id}/close", post(close_manifest))
        // Any other step: 404 as before the steps had routes (not an operation of the
        // document, hence `on`).
        .route(
            "/api/v1/manifests/{id}/{action}",
            on(MethodFilter::POST, unknown_step),
        )
        .route("/api/v1/cases", get(cases))
        .route("/api/v1/cases/{id}/resolve", post(resolve_case))
}

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
    Auth(p, ..): Auth<Staff>,
) -> Result<Json<Value>, ApiError> {
    st.db(move |s| to_json(&s.manifests(facility_scope(&p).as_deref(), 500)?).map(Json))
        .await
}

#[utoipa::path(get, path = "/api/v1/manifests/{id}", tag = "manifests", security(("bearer" = [])),
    params(("id" = String, Path, description = "manifest id")),
    responses((status = 200, description = "manifest, passengers with screening outcome and findings, cases", body = Object)))]
pub async fn manifest(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Auth(p, ..): Auth<Staff>,
) -> Result<Json<Value>, ApiError> {
    let (actor, ids, v) = st
        .db(move |s| {
            let m = s
                .manifest_file(&id)?
                .ok_or_else(|| ApiError::not_found(format!("no manifest `{id}`")))?;
            if let Some(f) = facility_scope(&p)
                && m.manifest.to_facility != f
                && m.manifest.from_facility != f
            {
                return Err(ApiError::forbidden(format!(
                    "manifest `{id}` does not concern facility `{f}`"
                )));
            }
            let ids = m.passengers.iter().map(|x| x.person_id.clone()).collect();
            Ok((p.actor.id(), ids, to_json(&m)?))
        })
        .await?;
    // The passengers' names, screenings and findings are their data: the read names them
    // on the ledger before it answers.
    st.record_list_read(actor, ids, "manifest").await?;
    Ok(Json(v))
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
pub async fn create_manifest(State(st): State<AppState>, m: Mutation<Sending>) -> Response {
    mutate(&st, m, "POST /api/v1/manifests".into(), |s, p, body| {
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
    })
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
    Path(id): Path<String>,
    m: Mutation<Sending>,
) -> Response {
    mutate(
        &st,
        m,
        format!("POST /api/v1/manifests/{id}/passengers"),
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

/// A step of a manifest's lifecycle, one route each (`POST /api/v1/manifests/{id}/<step>`),
/// and the `action` of the manifest page's forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestAction {
    Screen,
    Approve,
    Depart,
    Arrive,
    Intake,
    Reconcile,
    Close,
}

impl ManifestAction {
    /// Its name in URLs and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Screen => "screen",
            Self::Approve => "approve",
            Self::Depart => "depart",
            Self::Arrive => "arrive",
            Self::Intake => "intake",
            Self::Reconcile => "reconcile",
            Self::Close => "close",
        }
    }

    /// The step named `name`; 404 `not_found` naming the steps otherwise.
    pub fn parse(name: &str) -> Result<Self, ApiError> {
        use serde::de::IntoDeserializer as _;
        Self::deserialize(name.into_deserializer()).map_err(|_: serde::de::value::Error| {
            ApiError::not_found(format!(
                "no action `{name}`; expected screen, approve, depart, arrive, intake, reconcile or close"
            ))
        })
    }
}

/// A lifecycle step with its typed body.
#[derive(Debug)]
pub enum Step {
    Screen,
    Approve(ApproveBody),
    Depart,
    Arrive,
    Intake(IntakeBody),
    Reconcile,
    Close,
}

impl ManifestAction {
    /// The step with its body read from `body`: `approve` takes an optional
    /// [`ApproveBody`], `intake` an [`IntakeBody`]; the others ignore their body.
    pub fn with_body(self, body: &[u8]) -> Result<Step, ApiError> {
        Ok(match self {
            Self::Screen => Step::Screen,
            Self::Approve => Step::Approve(body_or_default(body)?),
            Self::Depart => Step::Depart,
            Self::Arrive => Step::Arrive,
            Self::Intake => Step::Intake(parse_json(body)?),
            Self::Reconcile => Step::Reconcile,
            Self::Close => Step::Close,
        })
    }
}

/// Takes one lifecycle step (shared with the pages).
pub fn take_step(s: &mut Store, actor: &Actor, id: &str, step: Step) -> Answer {
    use custodia_app::manifests as m;
    let v = match step {
        Step::Screen => to_json(&m::screen(s, actor, id, custodia_rules::Params::builtin())?)?,
        Step::Approve(b) => {
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
        Step::Depart => to_json(&m::depart(s, actor, id, custodia_rules::Params::builtin())?)?,
        Step::Arrive => {
            m::arrive(s, actor, id)?;
            json!({"arrived": id})
        }
        Step::Intake(b) => {
            let fac = match b.facility_id {
                Some(f) => f,
                None => m::get(s, id)?.to_facility,
            };
            let n = m::record_intake(s, actor, &fac, Some(id), &b.records)?;
            json!({"recorded": n})
        }
        Step::Reconcile => to_json(&m::reconcile(s, actor, id)?)?,
        Step::Close => {
            m::close(s, actor, id)?;
            json!({"closed": id})
        }
    };
    Ok((StatusCode::OK, v))
}

/// Takes step `action` of manifest `id` with its body read from `body`.
pub fn manifest_action_sync(
    s: &mut Store,
    actor: &Actor,
    id: &str,
    action: ManifestAction,
    body: &[u8],
) -> Answer {
    take_step(s, actor, id, action.with_body(body)?)
}

/// Runs step `action` of manifest `id` under the idempotency rules. Every role reaches the
/// use case, which decides who may take the step.
async fn step(st: &AppState, id: String, action: ManifestAction, m: Mutation<Anyone>) -> Response {
    mutate(
        st,
        m,
        format!("POST /api/v1/manifests/{id}/{}", action.as_str()),
        move |s, p, body| manifest_action_sync(s, &p.actor, &id, action, body),
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/manifests/{id}/screen", tag = "manifests", security(("bearer" = [])),
    params(("id" = String, Path, description = "manifest id"), ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "every passenger screened on the clock's date: the decisions", body = Object),
              (status = 404, description = "no such manifest"), (status = 409, description = "the manifest's state does not allow it")))]
pub async fn screen_manifest(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Anyone>,
) -> Response {
    step(&st, id, ManifestAction::Screen, m).await
}

#[utoipa::path(post, path = "/api/v1/manifests/{id}/approve", tag = "manifests", security(("bearer" = [])),
    request_body(content = ApproveBody, description = "optional: a justification for each `needs_review` passenger", content_type = "application/json"),
    params(("id" = String, Path, description = "manifest id"), ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "approved: `{\"approved\": id}`", body = Object),
              (status = 404, description = "no such manifest"), (status = 409, description = "the manifest's state, the two-person rule or a missing justification does not allow it")))]
pub async fn approve_manifest(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Anyone>,
) -> Response {
    step(&st, id, ManifestAction::Approve, m).await
}

#[utoipa::path(post, path = "/api/v1/manifests/{id}/depart", tag = "manifests", security(("bearer" = [])),
    params(("id" = String, Path, description = "manifest id"), ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "departed, after the departure gate re-screened every passenger", body = Object),
              (status = 404, description = "no such manifest"), (status = 409, description = "the manifest's state does not allow it, or the gate refused (`departure_refused`, with each passenger's findings)")))]
pub async fn depart_manifest(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Anyone>,
) -> Response {
    step(&st, id, ManifestAction::Depart, m).await
}

#[utoipa::path(post, path = "/api/v1/manifests/{id}/arrive", tag = "manifests", security(("bearer" = [])),
    params(("id" = String, Path, description = "manifest id"), ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "arrived: `{\"arrived\": id}`", body = Object),
              (status = 404, description = "no such manifest"), (status = 409, description = "the manifest's state does not allow it")))]
pub async fn arrive_manifest(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Anyone>,
) -> Response {
    step(&st, id, ManifestAction::Arrive, m).await
}

#[utoipa::path(post, path = "/api/v1/manifests/{id}/intake", tag = "manifests", security(("bearer" = [])),
    request_body(content = IntakeBody, description = "the receiving facility's intake rows", content_type = "application/json"),
    params(("id" = String, Path, description = "manifest id"), ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "recorded: `{\"recorded\": n}`", body = Object), (status = 400, description = "the body is not JSON"),
              (status = 404, description = "no such manifest"), (status = 409, description = "the manifest's state does not allow it")))]
pub async fn intake_manifest(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Anyone>,
) -> Response {
    step(&st, id, ManifestAction::Intake, m).await
}

#[utoipa::path(post, path = "/api/v1/manifests/{id}/reconcile", tag = "manifests", security(("bearer" = [])),
    params(("id" = String, Path, description = "manifest id"), ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "the reconciliation of the passengers against the intake", body = Object),
              (status = 404, description = "no such manifest"), (status = 409, description = "the manifest's state does not allow it")))]
pub async fn reconcile_manifest(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Anyone>,
) -> Response {
    step(&st, id, ManifestAction::Reconcile, m).await
}

#[utoipa::path(post, path = "/api/v1/manifests/{id}/close", tag = "manifests", security(("bearer" = [])),
    params(("id" = String, Path, description = "manifest id"), ("Idempotency-Key" = Option<String>, Header, description = "a replay returns the first answer")),
    responses((status = 200, description = "closed: `{\"closed\": id}`", body = Object),
              (status = 404, description = "no such manifest"), (status = 409, description = "the manifest's state or an open case does not allow it")))]
pub async fn close_manifest(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Anyone>,
) -> Response {
    step(&st, id, ManifestAction::Close, m).await
}

/// `POST /api/v1/manifests/{id}/<anything else>`: 404 naming the steps, answered under the
/// same rules as a step (token, idempotency) as before the steps had routes of their own.
/// Not in the OpenAPI document: it is not an operation.
async fn unknown_step(
    State(st): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    m: Mutation<Anyone>,
) -> Response {
    mutate(
        &st,
        m,
        format!("POST /api/v1/manifests/{id}/{action}"),
        move |s, p, body| {
            let action = ManifestAction::parse(&action)?;
            manifest_action_sync(s, &p.actor, &id, action, body)
        },
    )
    .await
}

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
    Query(qp): Query<CasesParams>,
    Auth(p, ..): Auth<Staff>,
) -> Result<Json<Value>, ApiError> {
    st.db(move |s| {
        to_json(&s.cases(qp.open.unwrap_or(true), facility_scope(&p).as_deref(), 1000)?).map(Json)
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
    Path(id): Path<String>,
    m: Mutation<Anyone>,
) -> Response {
    mutate(
        &st,
        m,
        format!("POST /api/v1/cases/{id}/resolve"),
        move |s, p, body| {
            let b: ResolveBody = parse_json(body)?;
            custodia_app::manifests::resolve_case(s, &p.actor, &id, &b.reason)?;
            Ok((StatusCode::OK, json!({"resolved": id})))
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/screen", tag = "screening", security(("bearer" = [])),
    request_body(content = Object, description = "one screening request (CONTRACT §1)"),
    responses((status = 200, description = "the decision", body = Object), (status = 400, description = "not JSON"),
              (status = 422, description = "a field is wrong; the message names it"), (status = 403, description = "not a sending role")))]
pub async fn screen(State(st): State<AppState>, m: Mutation<Sending>) -> Response {
    mutate(&st, m, "POST /api/v1/screen".into(), |_, _, body| {
        let text =
            std::str::from_utf8(body).map_err(|_| ApiError::bad_request("body is not UTF-8"))?;
        let req = custodia_rules::parse_request(text).map_err(|e| {
            if e.field.is_none() && serde_json::from_str::<Value>(text).is_err() {
                ApiError::bad_request(e.to_string())
            } else {
                ApiError::invalid(e.to_string())
            }
        })?;
        let d = custodia_rules::screen(&req, custodia_rules::Params::builtin());
        Ok((StatusCode::OK, to_json(&d)?))
    })
    .await
}
