//! The API of CONTRACT §9: legal records (counsel file for their own clients), counsel
//! assignments and notices, identity corrections, class tags, and the oversight report.
//! Handlers parse, call one `custodia_app` use case, and answer; the rules live in `app`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use custodia_app::records::{Entry, Subject};
use custodia_model::legal::VersionedRecord as Record;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::to_json;
use crate::error::{ApiError, parse_json};
use crate::extract::{
    Assigners, Auth, Correctors, CounselOnly, Mutation, Oversight, Path, Query, Recorders, Taggers,
    mutate,
};

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/persons/{id}/records", post(add_records))
        .route("/api/v1/persons/{id}/counsel", post(assign_counsel))
        .route("/api/v1/persons/{id}/corrections", post(propose_correction))
        .route("/api/v1/persons/{id}/classes", post(tag_class))
        .route("/api/v1/corrections/{id}/confirm", post(confirm_correction))
        .route("/api/v1/counsel/notices", get(notices))
        .route("/api/v1/reports/overrides", get(overrides))
}

/// One record, or several: `{"record": {...}}` or `{"records": [{...}, ...]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordsBody {
    #[serde(default)]
    record: Option<Record>,
    #[serde(default)]
    records: Vec<Record>,
}

#[utoipa::path(post, path = "/api/v1/persons/{id}/records", tag = "persons", security(("bearer" = [])),
    params(("id" = String, Path, description = "person id")),
    request_body(content = Object, description = "`{\"record\": {…}}` or `{\"records\": [{…}]}`: legal records as in CONTRACT §1, with optional `id`/`as_of` versions", content_type = "application/json"),
    responses((status = 201, description = "what was added; approved manifests sent back to `screened`", body = Object),
              (status = 403, description = "this role may not file; counsel may file stay, habeas_petition, fear_claim and citizenship_claim records for their own clients"),
              (status = 422, description = "a field is wrong or a date is after today")))]
/// File legal records for a person (CONTRACT §9)
pub async fn add_records(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Recorders>,
) -> Response {
    mutate(&st, m, format!("records {id}"), move |s, pr, b| {
        let body: RecordsBody = parse_json(b)?;
        let mut all: Vec<Record> = body.record.into_iter().collect();
        all.extend(body.records);
        if all.is_empty() {
            return Err(ApiError::invalid(
                "field `record`: expected a legal record (CONTRACT §1)",
            ));
        }
        let entries: Vec<Entry> = all
            .into_iter()
            .enumerate()
            .map(|(i, record)| Entry {
                at: format!("record {}", i + 1),
                subject: Subject::Person(id.clone()),
                record,
            })
            .collect();
        let out = custodia_app::records::enter(s, &pr.actor, &entries)?;
        Ok((StatusCode::CREATED, to_json(&out)?))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CounselBody {
    counsel: String,
    /// `true` to assign (the default), `false` to end the assignment.
    #[serde(default = "yes")]
    assign: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(post, path = "/api/v1/persons/{id}/counsel", tag = "persons", security(("bearer" = [])),
    params(("id" = String, Path, description = "person id")),
    request_body(content = Object, description = "`{\"counsel\": NAME, \"assign\": true|false}`", content_type = "application/json"),
    responses((status = 200, description = "the assignment", body = Object)))]
/// Assign or unassign counsel (supervisor or admin)
pub async fn assign_counsel(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Assigners>,
) -> Response {
    mutate(
        &st,
        m,
        format!("counsel {id}"),
        move |s, pr, b| {
        let body: CounselBody = parse_json(b)?;
        let changed = custodia_app::counsel::set(s, &pr.actor, &id, &body.counsel, body.assign)?;
        Ok((StatusCode::OK, json!({"person_id": id, "counsel": body.counsel, "assigned": body.assign, "changed": changed})))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrectionBody {
    field: String,
    value: String,
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/persons/{id}/corrections", tag = "persons", security(("bearer" = [])),
    params(("id" = String, Path, description = "person id")),
    request_body(content = Object, description = "`{\"field\", \"value\", \"reason\"}`: an identity fact to correct", content_type = "application/json"),
    responses((status = 201, description = "the proposed correction's id", body = Object)))]
/// Propose an identity-fact correction
pub async fn propose_correction(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Correctors>,
) -> Response {
    mutate(&st, m, format!("correct {id}"), move |s, pr, b| {
        let body: CorrectionBody = parse_json(b)?;
        let cid = custodia_app::corrections::propose(
            s,
            &pr.actor,
            &id,
            &body.field,
            &body.value,
            &body.reason,
        )?;
        Ok((
            StatusCode::CREATED,
            json!({"correction_id": cid, "state": "proposed"}),
        ))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/corrections/{id}/confirm", tag = "persons", security(("bearer" = [])),
    params(("id" = String, Path, description = "correction id")),
    responses((status = 200, description = "confirmed; manifests sent back", body = Object),
              (status = 409, description = "the proposer cannot confirm their own correction")))]
/// Confirm a correction (a second person)
pub async fn confirm_correction(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Correctors>,
) -> Response {
    mutate(&st, m, format!("confirm {id}"), move |s, pr, _| {
        let reopened = custodia_app::corrections::confirm(s, &pr.actor, &id)?;
        Ok((
            StatusCode::OK,
            json!({"correction_id": id, "state": "confirmed", "manifests_reopened": reopened}),
        ))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassBody {
    class_id: String,
}

#[utoipa::path(post, path = "/api/v1/persons/{id}/classes", tag = "persons", security(("bearer" = [])),
    params(("id" = String, Path, description = "person id")),
    request_body(content = Object, description = "`{\"class_id\": …}`", content_type = "application/json"),
    responses((status = 200, description = "tagged", body = Object)))]
/// Tag a person with a class named in class-wide orders
pub async fn tag_class(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Mutation<Taggers>,
) -> Response {
    mutate(&st, m, format!("class {id}"), move |s, pr, b| {
        let body: ClassBody = parse_json(b)?;
        let added = custodia_app::records::tag_class(s, &pr.actor, &id, &body.class_id)?;
        Ok((
            StatusCode::OK,
            json!({"person_id": id, "class_id": body.class_id, "changed": added}),
        ))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NoticeParams {
    /// Only notices after this log position.
    pub after: Option<u64>,
    /// At most this many (default 1000).
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/counsel/notices", tag = "persons", security(("bearer" = [])),
    params(NoticeParams),
    responses((status = 200, description = "every screening, manifest change, departure and custody change of counsel's clients, oldest first", body = Vec<Object>)))]
/// Counsel's notices for their clients
pub async fn notices(
    State(st): State<AppState>,
    Query(qp): Query<NoticeParams>,
    Auth(pr, ..): Auth<CounselOnly>,
) -> Result<Json<Value>, ApiError> {
    let (actor, ids, v) = st
        .db(move |s| {
            let n =
                custodia_app::counsel::notices(s, &pr.actor, qp.after, qp.limit.unwrap_or(1000))?;
            let ids: std::collections::BTreeSet<String> =
                n.iter().flat_map(|x| x.persons.iter().cloned()).collect();
            Ok((pr.actor.id(), ids.into_iter().collect(), to_json(&n)?))
        })
        .await?;
    // The clients' screenings and custody changes are their data: the read names them on
    // the ledger before it answers.
    st.record_list_read(actor, ids, "counsel_notices").await?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverridesParams {
    /// Only this month, `YYYY-MM`.
    pub month: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/overrides", tag = "auditor", security(("bearer" = [])),
    params(OverridesParams),
    responses((status = 200, description = "needs-review approvals with justifications, refused departures, corrections, late records", body = Object)))]
/// The oversight report
pub async fn overrides(
    State(st): State<AppState>,
    Query(qp): Query<OverridesParams>,
    Auth(pr, ..): Auth<Oversight>,
) -> Result<Json<Value>, ApiError> {
    st.db(move |s| {
        to_json(&custodia_app::oversight::overrides(
            s,
            &pr.actor,
            qp.month.as_deref(),
        )?)
        .map(Json)
    })
    .await
}
