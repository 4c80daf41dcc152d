//! Manifests: the list, a manifest's page (with the departure gate's preview and the
//! hand-over to the other government), and its forms: one lifecycle step (`action`,
//! dispatched through `api::ManifestAction`), take a passenger off, resolve a case.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use custodia_app::Role;
use custodia_model::state::{CaseState, ManifestState};
use maud::{Markup, html};
use serde::Deserialize;

use super::chrome::{
    Common, CsrfForm, Ctx, Post, Signed, back, csrf_field, error_page, findings, fmt_time,
    outcome_class, page, pct, refusal,
};
use crate::AppState;
use crate::api::{self, ManifestAction};
use crate::error::ApiError;
use crate::extract::Staff;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/manifests", get(manifests_page))
        .route("/manifests/{id}", get(manifest_page))
        .route("/manifests/{id}/action", post(manifest_post))
        .route("/cases/{id}/resolve", post(resolve_post))
}

async fn manifests_page(
    State(st): State<AppState>,
    Query(_): Query<Common>,
    Signed(c, p, ..): Signed<Staff>,
) -> Response {
    let fac = if p.actor.role == Role::ReceivingOfficer {
        p.actor.facility_id.clone()
    } else {
        None
    };
    let rows = match st.db(move |s| Ok(s.manifests(fac.as_deref(), 500)?)).await {
        Ok(r) => r,
        Err(e) => return error_page(&c, &e),
    };
    let body = html! {
        table id="manifests" tabindex="0" {
            tr { th { "id" } th { (c.t("flight")) } th { (c.t("from")) } th { (c.t("to")) } th { (c.t("departure")) } th { (c.t("state")) } th { (c.t("passengers")) } }
            @for m in &rows {
                tr { td { a href={ "/manifests/" (pct(&m.id)) } { (m.id) } } td { (m.flight) } td { (m.from_facility) } td { (m.to_facility) }
                     td { (m.departure_on) } td { (crate::i18n::word(c.lang, "state", &m.state)) } td { (m.passengers) } }
            }
        }
    };
    page(&c, StatusCode::OK, c.t("manifests"), body)
}

async fn manifest_page(
    State(st): State<AppState>,
    Query(_): Query<Common>,
    Path(id): Path<String>,
    Signed(c, p, ..): Signed<Staff>,
) -> Response {
    let id2 = id.clone();
    // The receiving government's store has no manifest, only the hand-over of it
    // (CONTRACT §10): its page shows the hand-over and the receipt this store signed.
    let m = match st
        .db(move |s| {
            let m = s.manifest_file(&id2)?;
            let h = match m {
                Some(_) => Vec::new(),
                None => custodia_app::federation::manifest_handovers(s, &id2)?,
            };
            Ok((m, h))
        })
        .await
    {
        Ok((Some(m), _)) => m,
        Ok((None, h)) if !h.is_empty() => {
            let body = html! { @for x in &h { (handover_section(&c, x)) } };
            return page(
                &c,
                StatusCode::OK,
                &format!("{} {id}", c.t("handover")),
                body,
            );
        }
        Ok((None, _)) => {
            return error_page(&c, &ApiError::not_found(format!("no manifest `{id}`")));
        }
        Err(e) => return error_page(&c, &e),
    };
    if let (Role::ReceivingOfficer, Some(f)) = (p.actor.role, &p.actor.facility_id)
        && &m.manifest.to_facility != f
        && &m.manifest.from_facility != f
    {
        return error_page(&c, &ApiError::forbidden(c.t("forbidden")));
    }
    // The passengers' names, screenings and findings are their data: the page names them on
    // the ledger before it is sent.
    let ids = m.passengers.iter().map(|x| x.person_id.clone()).collect();
    if let Err(e) = st.record_list_read(p.actor.id(), ids, "manifest").await {
        return error_page(&c, &e);
    }
    let mm = &m.manifest;
    let role = p.actor.role;
    let sending = role.is_sending();
    // CONTRACT §9: before anyone presses "depart", show what the gate would say now, and
    // offer to take a stopped passenger off.
    let gate = if sending && mm.state == ManifestState::Approved {
        let id3 = id.clone();
        st.db(move |s| {
            custodia_app::manifests::gate_preview(s, &id3, custodia_rules::Params::builtin())
                .map_err(ApiError::from)
        })
        .await
        .ok()
    } else {
        None
    };
    let action = |name: &'static str| {
        html! {
            form method="post" action={ "/manifests/" (pct(&id)) "/action" } class="action" {
                (csrf_field(&p))
                input type="hidden" name="action" value=(name);
                button type="submit" id={ "action-" (name) } { (c.t(name)) }
            }
        }
    };
    let review: Vec<_> = m
        .passengers
        .iter()
        .filter(|x| x.outcome.as_deref() == Some("needs_review"))
        .collect();
    // CONTRACT §10: the hand-over document and the receipt the other government signed.
    let id4 = id.clone();
    let handovers = match st
        .db(move |s| Ok(custodia_app::federation::manifest_handovers(s, &id4)?))
        .await
    {
        Ok(h) => h,
        Err(e) => return error_page(&c, &e),
    };
    let body = html! {
        table tabindex="0" {
            tr { th { (c.t("flight")) } td { (mm.flight) } th { (c.t("state")) } td id="manifest-state" data-state=(mm.state) { (crate::i18n::word(c.lang, "state", &mm.state)) } }
            tr { th { (c.t("from")) } td { (mm.from_facility) } th { (c.t("to")) } td { (mm.to_facility) } }
            tr { th { (c.t("destination")) } td { (mm.destination_country) } th { (c.t("basis")) } td { (crate::i18n::word(c.lang, "basis", &mm.basis)) } }
            tr { th { (c.t("departure")) } td { (mm.departure_on) } th { (c.t("created_by")) } td { (mm.created_by) } }
            tr { th { (c.t("approved_by")) } td colspan="3" { (mm.approved_by.clone().unwrap_or_else(|| "—".into())) } }
        }
        section {
            h2 { (c.t("passengers")) " (" (m.passengers.len()) ")" }
            table id="passengers" tabindex="0" {
                tr { th { "id" } th { (c.t("family_names")) } th { (c.t("given_names")) } th { (c.t("nationalities")) } th { (c.t("outcome")) } th { (c.t("findings")) } th { (c.t("justification")) } }
                @for x in &m.passengers {
                    tr { td { a href={ "/persons/" (pct(&x.person_id)) } { (x.person_id) } } td { (x.family_names) } td { (x.given_names) } td { (x.nationalities) }
                         td { @if let Some(o) = &x.outcome { span class=(outcome_class(o)) data-outcome=(o) { (crate::i18n::word(c.lang, "outcome", o)) } } @else { "—" } }
                         td { (findings(&x.findings)) } td { (x.justification.clone().unwrap_or_default()) } }
                }
            }
        }
        @if let Some(g) = &gate {
            section id="gate" {
                h2 { (c.t("gate_check")) }
                @if let Some(d) = g.too_early {
                    p class="bad" id="gate-too-early" { (c.t("gate_too_early")) " " (d) }
                }
                @if g.stops.is_empty() && g.too_early.is_none() {
                    p class="ok" id="gate-clear" { (c.t("gate_clear")) }
                }
                @if !g.stops.is_empty() {
                    p class="bad" { (c.t("gate_stopped")) }
                    table id="gate-stops" tabindex="0" {
                        tr { th { (c.t("person")) } th { (c.t("outcome")) } th { (c.t("findings")) } th { "" } }
                        @for x in &g.stops {
                            tr data-person=(x.person_id) {
                                td { a href={ "/persons/" (pct(&x.person_id)) } { (x.person_id) } }
                                td { span class=(outcome_class(&x.outcome)) { (crate::i18n::word(c.lang, "outcome", &x.outcome)) }
                                     @if x.outcome == "needs_review" { br; small { (c.t("gate_needs_justification")) } } }
                                td { ul { @for f in &x.findings {
                                    li { strong { (crate::i18n::word(c.lang, "rule", &f.rule)) } " — " cite lang="en" { (f.citation) } br; small lang="en" { (f.detail) } }
                                } } }
                                td { form method="post" action={ "/manifests/" (pct(&id)) "/action" } {
                                    (csrf_field(&p))
                                    input type="hidden" name="action" value={ "remove:" (x.person_id) };
                                    button type="submit" class="take-off" { (c.t("take_off")) }
                                } }
                            }
                        }
                    }
                }
            }
        }
        section id="actions" {
            @if sending && matches!(mm.state.as_str(), "draft" | "screened" | "approved") { (action("screen")) }
            @if role == Role::SendingSupervisor && mm.state == ManifestState::Screened {
                form method="post" action={ "/manifests/" (pct(&id)) "/action" } id="approve-form" {
                    (csrf_field(&p))
                    input type="hidden" name="action" value="approve";
                    @for x in &review {
                        p { label { (c.t("justification_needed")) " — " (x.person_id) br;
                            textarea name={ "j:" (x.person_id) } rows="2" cols="60" required {} } }
                    }
                    button type="submit" id="action-approve" { (c.t("approve")) }
                }
            }
            @if sending && mm.state == ManifestState::Approved { (action("depart")) }
            @if role == Role::ReceivingOfficer && mm.state == ManifestState::Departed { (action("arrive")) }
            @if role == Role::ReceivingOfficer && mm.state == ManifestState::Arrived { (action("reconcile")) }
            @if matches!(role, Role::ReceivingOfficer | Role::SendingSupervisor) && mm.state == ManifestState::Reconciled { (action("close")) }
        }
        @if let Some(r) = &m.reconciliation {
            section {
                h2 { (c.t("reconciliation")) }
                p { (r.get("matched").cloned().unwrap_or_default()) " " (c.t("matched")) " · "
                    (r.get("missing").cloned().unwrap_or_default()) " " (c.t("missing")) " · "
                    (r.get("unexpected").cloned().unwrap_or_default()) " " (c.t("unexpected")) " · "
                    (r.get("review").cloned().unwrap_or_default()) " " (c.t("review")) }
            }
        }
        @for h in &handovers { (handover_section(&c, h)) }
        section {
            h2 { (c.t("cases")) " (" (m.cases.len()) ")" }
            table tabindex="0" {
                @for k in &m.cases {
                    tr { td { (k.id) } td { (crate::i18n::word(c.lang, "case", &k.kind)) } td { small lang="en" { (k.detail) } } td { (crate::i18n::word(c.lang, "state", &k.state)) @if let Some(r) = &k.resolved_reason { ": " small lang="en" { (r) } } }
                         td { @if k.state == CaseState::Open && matches!(role, Role::ReceivingOfficer | Role::SendingSupervisor) {
                             form method="post" action={ "/cases/" (pct(&k.id)) "/resolve" } {
                                 (csrf_field(&p))
                                 input type="hidden" name="manifest" value=(id);
                                 input name="reason" placeholder=(c.t("reason")) aria-label=(c.t("reason")) required;
                                 " " button type="submit" { (c.t("resolve")) }
                             }
                         } } }
                }
            }
        }
    };
    page(
        &c,
        StatusCode::OK,
        &format!("{} {}", c.t("flight"), mm.flight),
        body,
    )
}

/// One hand-over of the manifest page (CONTRACT §10): the document's hash, and the latest
/// receipt: who signed it, when, its counts, its entry in the receiving log with the
/// inclusion proof and the checkpoint it was checked against.
fn handover_section(c: &Ctx, h: &custodia_app::federation::HandoverView) -> Markup {
    let out = h.direction == "out";
    html! {
        section class="handover" data-doc=(h.doc_hash) data-direction=(h.direction) data-state=(h.state) {
            h2 { (c.t("handover")) " — " (c.t(if out { "handover_to" } else { "handover_from" })) " " (h.peer) }
            table tabindex="0" {
                tr { th { (c.t("handover_doc")) } td { code class="doc-hash" { (h.doc_hash) } } }
                tr { th { (c.t("handover_entry")) } td { a href={ "/proof?index=" (h.issued_seq) } { (h.issued_seq) } } }
            }
            @match &h.receipt {
                None => { p class="bad" id="no-receipt" { (c.t("receipt_none")) } }
                Some(r) => {
                    h3 { (c.t("receipt")) }
                    table tabindex="0" class="receipt" {
                        tr { th { (c.t("receipt_signed_by")) } td class="receipt-signer" { code { (r.signer) } } }
                        tr { th { (c.t("when")) } td class="receipt-at" data-at=(r.issued_at) { (fmt_time(c.lang, &r.issued_at, "UTC")) } }
                        tr { th { (c.t("passengers")) } td {
                            span class="receipt-received" data-n=(r.received) { (r.received) " " (c.t("receipt_received")) } " · "
                            span class="receipt-not-received" data-n=(r.not_received) { (r.not_received) " " (c.t("receipt_not_received")) } " · "
                            span class="receipt-unexpected" data-n=(r.unexpected) { (r.unexpected) " " (c.t("unexpected")) }
                        } }
                        tr { th { (c.t("receipt_entry")) } td class="receipt-entry" data-entry=(r.entry) data-size=(r.size) {
                            (r.entry) " / " (c.t("size")) " " (r.size)
                            @if !out { " · " a href={ "/proof?index=" (r.local_seq) } { (c.t("proof")) } }
                        } }
                        tr { th { (c.t("receipt_local")) } td { a href={ "/proof?index=" (r.local_seq) } { (r.local_seq) } } }
                    }
                    @if !r.proof.is_empty() {
                        details class="receipt-proof" {
                            summary { (c.t("proof")) " (" (r.proof.len()) ")" }
                            ol { @for x in &r.proof { li { code { (x) } } } }
                        }
                    }
                    @if let Some(cp) = &r.checkpoint {
                        details class="receipt-checkpoint" {
                            summary { (c.t("receipt_checkpoint")) }
                            pre { (cp) }
                        }
                    }
                }
            }
        }
    }
}

/// The manifest page's forms: a lifecycle step (`action` = `screen`, `approve` with a
/// justification `j:<person>` per `needs_review` passenger, …) or `remove:<person>`.
/// Fields keep their order (the justifications are recorded in it).
#[derive(Debug, Default, Deserialize)]
#[serde(from = "Vec<(String, String)>")]
struct ActionForm {
    csrf: String,
    action: String,
    justifications: Vec<api::manifests::JustificationBody>,
}

impl From<Vec<(String, String)>> for ActionForm {
    fn from(fields: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        let (mut csrf, mut action) = (None, None);
        for (k, v) in fields {
            match (k.as_str(), k.strip_prefix("j:")) {
                ("csrf", _) => {
                    csrf.get_or_insert(v);
                }
                ("action", _) => {
                    action.get_or_insert(v);
                }
                (_, Some(pid)) => f.justifications.push(api::manifests::JustificationBody {
                    person_id: pid.to_string(),
                    text: v,
                }),
                _ => {}
            }
        }
        f.csrf = csrf.unwrap_or_default();
        f.action = action.unwrap_or_default();
        f
    }
}

impl CsrfForm for ActionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// What a manifest form asks for.
enum FormStep {
    /// Take a passenger stopped by the gate off the manifest.
    Remove(String),
    /// A lifecycle step, as `POST /api/v1/manifests/{id}/<step>`.
    Step(api::Step),
}

async fn manifest_post(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Post { c, p, form }: Post<ActionForm>,
) -> Response {
    let path = format!("/manifests/{}", pct(&id));
    let step = match form.action.strip_prefix("remove:") {
        Some(pid) => Ok(FormStep::Remove(pid.to_string())),
        None => ManifestAction::parse(&form.action)
            .and_then(|a| match a {
                ManifestAction::Approve => Ok(api::Step::Approve(api::ApproveBody {
                    justifications: form.justifications,
                })),
                // The other steps' forms send no body (an intake has none to send).
                a => a.with_body(&[]),
            })
            .map(FormStep::Step),
    };
    let step = match step {
        Ok(s) => s,
        Err(e) => return back(&path, Err(e)),
    };
    let r = st
        .db(move |s| {
            refusal(match step {
                FormStep::Remove(pid) => {
                    custodia_app::manifests::remove_passenger(s, &p.actor, &id, &pid)
                        .map_err(ApiError::from)
                }
                FormStep::Step(step) => api::take_step(s, &p.actor, &id, step).map(|_| ()),
            })
        })
        .await;
    match r {
        Ok(r) => back(&path, r),
        Err(e) => error_page(&c, &e),
    }
}

/// The resolve form of a case on the manifest page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResolveForm {
    csrf: String,
    reason: String,
    /// The manifest page to return to.
    manifest: String,
}

impl CsrfForm for ResolveForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn resolve_post(
    State(st): State<AppState>,
    Path(case): Path<String>,
    Post { c, p, form }: Post<ResolveForm>,
) -> Response {
    let reason = form.reason;
    let path = format!("/manifests/{}", pct(&form.manifest));
    let r = st
        .db(move |s| {
            refusal(
                custodia_app::manifests::resolve_case(s, &p.actor, &case, &reason)
                    .map_err(ApiError::from),
            )
        })
        .await;
    match r {
        Ok(r) => back(&path, r),
        Err(e) => error_page(&c, &e),
    }
}
