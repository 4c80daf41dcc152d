//! The public locator (`/api/v1/locate`) and what keeps it honest: its statistics, the
//! persons withheld from it and the requests to withhold someone.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use custodia_app::Actor;
use custodia_app::Role::{Auditor, Counsel};
use custodia_model::events::{EventData, NewEvent};
use custodia_store::Store;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::{ErrorBody, to_json};
use crate::AppState;
use crate::auth;
use crate::error::{ApiError, parse_json};
use crate::extract::{
    AuditorOrAdmin, Auth, BearerToken, Client, Mutation, Path, Query, Withholders, mutate,
};
use crate::locator::{LocateHit, LocateQuery};

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/locate", get(locate))
        .route("/api/v1/locator/stats", get(locator_stats))
        .route("/api/v1/locator/withheld", get(withheld_list))
        .route("/api/v1/persons/{id}/withhold", post(withhold))
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
    Client(client): Client,
    BearerToken(token): BearerToken,
    Query(params): Query<LocateParams>,
) -> Result<Json<Vec<LocateHit>>, ApiError> {
    let lq = params.query()?;
    Ok(Json(run_locate(&st, client, token, lq).await?))
}

#[utoipa::path(get, path = "/api/v1/locator/stats", tag = "log", security(("bearer" = [])),
    responses((status = 200, description = "locator queries per day, anonymous and authenticated", body = [Object])))]
pub async fn locator_stats(
    State(st): State<AppState>,
    _: Auth<AuditorOrAdmin>,
) -> Result<Json<Value>, ApiError> {
    let st2 = st.clone();
    st.db(move |s| {
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
    Path(id): Path<String>,
    m: Mutation<Withholders>,
) -> Response {
    mutate(
        &st,
        m,
        format!("POST /api/v1/persons/{id}/withhold"),
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
    _: Auth<AuditorOrAdmin>,
) -> Result<Json<Value>, ApiError> {
    st.db(|s| {
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
