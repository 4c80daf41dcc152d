//! The JSON API (`/api/v1`), its role matrix and its OpenAPI document. One module per
//! resource, each with its routes beside its handlers: [`log`], [`locator`], [`persons`],
//! [`manifests`], [`housing`], [`admin`] (and `crate::law`, `crate::witnesses`,
//! `crate::federation`). Who may call a route is its handler's [`crate::extract::Auth`] or
//! [`crate::extract::Mutation`] type parameter.
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

pub mod admin;
pub mod housing;
pub mod locator;
pub mod log;
pub mod manifests;
pub mod persons;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::error::ApiError;
use crate::locator::LocateHit;

pub use locator::{LocateParams, WithholdBody, missing_parts, withhold_sync};
pub use manifests::{
    ApproveBody, IntakeBody, ManifestAction, Step, manifest_action_sync, take_step,
};
pub use persons::{read_event, read_person};

/// The routes of the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(log::routes())
        .merge(locator::routes())
        .merge(persons::routes())
        .merge(manifests::routes())
        .merge(housing::routes())
        .merge(admin::routes())
        .route("/api/{*rest}", axum::routing::any(api_not_found))
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such API route; see /api/openapi.json")
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(|_| ApiError::internal())
}

fn text(s: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], s).into_response()
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
    ("screen_manifest", "Screen every passenger of a manifest"),
    ("approve_manifest", "Approve a screened manifest"),
    ("depart_manifest", "Depart, through the departure gate"),
    ("arrive_manifest", "Confirm a manifest's arrival"),
    ("intake_manifest", "Record the receiving facility's intake"),
    (
        "reconcile_manifest",
        "Reconcile passengers against the intake",
    ),
    ("close_manifest", "Close a reconciled manifest"),
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
    paths(log::healthz, log::openapi, log::checkpoint, log::log_key, log::checkpoints, crate::witnesses::witnesses, crate::federation::handover, crate::federation::receipt,
          log::proof, log::consistency, log::leaves, log::verify, locator::locator_stats, locator::withheld_list, locator::locate, manifests::screen, locator::withhold,
          housing::facility_contact, persons::me, persons::persons, persons::person, persons::access_log, manifests::manifests, manifests::manifest,
          manifests::create_manifest, manifests::add_passenger, manifests::screen_manifest, manifests::approve_manifest, manifests::depart_manifest,
          manifests::arrive_manifest, manifests::intake_manifest, manifests::reconcile_manifest, manifests::close_manifest, manifests::cases,
          manifests::resolve_case, housing::facilities, housing::cells, housing::population, housing::invoices, admin::create_token,
          crate::law::add_records, crate::law::assign_counsel, crate::law::propose_correction, crate::law::confirm_correction,
          crate::law::tag_class, crate::law::notices, crate::law::overrides),
    components(schemas(ErrorBody, ErrorDetail, LocateHit, crate::locator::MatchKind, crate::locator::FacilityContact, WithholdBody, housing::ContactBody, manifests::NewManifestBody,
        manifests::PassengerBody, ApproveBody, manifests::JustificationBody, IntakeBody, manifests::ResolveBody, admin::TokenBody))
)]
pub struct ApiDoc;
