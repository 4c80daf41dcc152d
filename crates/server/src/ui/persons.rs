//! Persons: the staff search, a person's page (the read on the ledger before the page is
//! sent), and its forms: file a legal record, withhold from the locator.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use custodia_app::Role;
use maud::{Markup, html};
use serde::Deserialize;

use super::chrome::{
    Common, CsrfForm, Post, Signed, back, country_name, csrf_field, error_page, findings, fmt_time,
    outcome_class, page, pct, refusal, status_words, zone_of,
};
use crate::AppState;
use crate::api;
use crate::error::ApiError;
use crate::extract::Anyone;
use crate::i18n::{Lang, t};

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/persons", get(persons_page))
        .route("/persons/{id}", get(person_page))
        .route("/persons/{id}/withhold", post(withhold_post))
        .route("/persons/{id}/records", post(record_post))
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    pub lang: Option<String>,
    pub q: Option<String>,
    pub page: Option<usize>,
}

/// Persons per page of the staff search.
const PER_PAGE: usize = 50;

/// Staff person search: the locator's name folding (`martinez` finds `Martínez`, any word
/// order, words as prefixes), an id, paging; counsel see only their persons.
async fn persons_page(
    State(st): State<AppState>,
    Query(q): Query<SearchQuery>,
    Signed(c, p, ..): Signed<Anyone>,
) -> Response {
    let needle = q.q.clone().unwrap_or_default();
    let n2 = needle.clone();
    let pageno = q.page.unwrap_or(0).min(100_000);
    let st2 = st.clone();
    let reader = p.actor.id();
    let rows = st
        .db(move |s| {
            Ok(if p.actor.role == Role::Counsel {
                (
                    s.counsel_persons(&p.actor.id())?
                        .into_iter()
                        .map(|r| {
                            (
                                r.person_id,
                                r.family_names,
                                r.given_names,
                                r.country_of_birth,
                                r.facility_id,
                                r.status,
                            )
                        })
                        .collect::<Vec<_>>(),
                    false,
                )
            } else {
                let fac = if p.actor.role == Role::ReceivingOfficer {
                    p.actor.facility_id.clone()
                } else {
                    None
                };
                let (hits, more) =
                    st2.staff_names(s)?
                        .search(&n2, fac.as_deref(), pageno, PER_PAGE);
                (
                    hits.into_iter()
                        .map(|r| {
                            (
                                r.person_id,
                                r.family_names,
                                r.given_names,
                                r.country_of_birth,
                                r.facility_id,
                                r.status,
                            )
                        })
                        .collect(),
                    more,
                )
            })
        })
        .await;
    // A search names everyone it shows on the ledger, before the page is sent (issue 18).
    let rows = match rows {
        Ok((rows, more)) => {
            let ids = rows.iter().map(|r| r.0.clone()).collect();
            st.record_list_read(reader, ids, "search")
                .await
                .map(|()| (rows, more))
        }
        Err(e) => Err(e),
    };
    let (rows, more) = match rows {
        Ok(r) => r,
        Err(e) => return error_page(&c, &e),
    };
    let link = |n: usize| format!("/persons?q={}&page={n}", pct(&needle));
    let body = html! {
        form method="get" action="/persons" class="stack" role="search" {
            label for="persons-q" { (c.t("search_hint")) }
            input name="q" id="persons-q" value=(needle);
            button type="submit" { (c.t("search")) }
        }
        @if rows.is_empty() { p id="no-results" { (c.t("no_results")) } }
        @else {
            table id="persons" tabindex="0" {
                tr { th { "id" } th { (c.t("family_names")) } th { (c.t("given_names")) } th { (c.t("country_of_birth")) } th { (c.t("facility")) } th { (c.t("status")) } }
                @for (id, fam, giv, cob, fac, status) in &rows {
                    tr { td { a href={ "/persons/" (pct(id)) } { (id) } } td { (fam) } td { (giv) }
                         td { (cob.as_deref().map(|x| country_name(c.lang, x)).unwrap_or_default()) } td { (fac.clone().unwrap_or_default()) } td { (status_words(&c, *status)) } }
                }
            }
        }
        nav aria-label=(c.t("pages")) {
            @if pageno > 0 { a href=(link(pageno - 1)) rel="prev" { "← " (c.t("previous")) } " " }
            (c.t("page")) " " (pageno + 1)
            @if more { " " a href=(link(pageno + 1)) rel="next" id="next-page" { (c.t("next")) " →" } }
        }
    };
    page(&c, StatusCode::OK, c.t("persons"), body)
}

/// A legal record's fields as readable pairs: known fields named in the page's language,
/// dates as dates, yes/no in words, countries by name; the record's type is shown apart.
fn record_details(l: Lang, v: &serde_json::Value) -> Markup {
    let Some(m) = v.as_object() else {
        return html! { code { (v.to_string()) } };
    };
    html! {
        dl class="record" {
            @for (k, x) in m.iter().filter(|(k, _)| k.as_str() != "type") {
                dt { (crate::i18n::word(l, "field", k)) }
                dd {
                    @match x {
                        serde_json::Value::Bool(b) => (if *b { t(l, "yes") } else { t(l, "no") }),
                        serde_json::Value::String(s) if k.contains("country") => (country_name(l, s)),
                        serde_json::Value::String(s) => (crate::i18n::word(l, "value", s)),
                        serde_json::Value::Array(a) => (a.iter().map(|y| y.as_str().map_or_else(|| y.to_string(), |s| if k.contains("countr") { country_name(l, s) } else { s.to_string() })).collect::<Vec<_>>().join(", ")),
                        other => (other.to_string()),
                    }
                }
            }
        }
    }
}

async fn person_page(
    State(st): State<AppState>,
    Query(_): Query<Common>,
    Path(id): Path<String>,
    Signed(c, p, ..): Signed<Anyone>,
) -> Response {
    let pp = p.clone();
    let id2 = id.clone();
    let file = st
        .db(move |s| {
            let (f, lawful) = api::read_person(s, &p.actor, &id)?;
            let country = match &f.facility_id {
                Some(fid) => s
                    .public_facilities()?
                    .into_iter()
                    .find(|x| &x.id == fid)
                    .map(|x| x.country),
                None => None,
            };
            Ok((f, country, lawful))
        })
        .await;
    let p = pp;
    let id = id2;
    // The read is on the ledger before the page is sent.
    let file = match file {
        Ok(x) => st
            .record_read(p.actor.id(), api::read_event(&id))
            .await
            .map(|()| x),
        Err(e) => Err(e),
    };
    let (f, zone, lawful) = match file {
        Ok((f, country, lawful)) => (f, zone_of(country.as_deref()), lawful),
        Err(e) => return error_page(&c, &e),
    };
    let may_file = matches!(
        p.actor.role,
        Role::SendingOfficer | Role::SendingSupervisor | Role::Admin | Role::Counsel
    );
    let pr = &f.person;
    let o = |x: &Option<String>| x.clone().unwrap_or_else(|| "—".into());
    let body = html! {
        p { small { (c.t("read_recorded")) } }
        section {
            h2 { (c.t("identity")) }
            table tabindex="0" {
                tr { th { "id" } td { (pr.id) } }
                tr { th { (c.t("family_names")) } td { (pr.family_names) } }
                tr { th { (c.t("given_names")) } td { (pr.given_names) } }
                tr { th { (c.t("date_of_birth")) } td { (pr.date_of_birth.map(|d| d.to_string()).unwrap_or_else(|| "—".into())) } }
                tr { th { (c.t("country_of_birth")) } td { (pr.country_of_birth.map(|x| x.as_str().to_string()).unwrap_or_else(|| "—".into())) } }
                tr { th { (c.t("nationalities")) } td { (pr.nationalities.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")) } }
                tr { th { (c.t("status")) } td { (status_words(&c, f.status)) " " small { (o(&f.status_since)) } } }
                tr { th { (c.t("facility")) } td { (o(&f.facility_id)) } }
                tr { th { (c.t("cell")) } td { (o(&f.cell_id)) } }
                tr { th { (c.t("counsel")) } td { @if f.counsel.is_empty() { (c.t("none")) } @else { (f.counsel.join(", ")) } } }
            }
        }
        @if let Some(l) = &lawful {
            section id="lawful" {
                h2 { (c.t("lawful_title")) }
                p { (c.t("lawful_proposed")) " "
                    @if let Some(m) = &l.manifest_id { a href={ "/manifests/" (pct(m)) } { (m) } " · " }
                    (country_name(c.lang, l.destination_country.as_str()))
                    @if let Some(fac) = &l.facility_id { " · " (fac) } }
                @match (l.earliest_date, l.days_left) {
                    (Some(d), Some(0)) => { p class="bad" id="lawful-date" data-date=(d) { (c.t("lawful_today")) } }
                    (Some(d), Some(n)) => { p class="ok" id="lawful-date" data-date=(d) { (c.t("lawful_from")) " " strong { (d) } " — " (c.t("lawful_days_left")) " " strong { (n) } } }
                    _ => { p class="ok" id="lawful-date" data-date="" { (c.t("lawful_never")) } }
                }
            }
        }
        @if may_file {
            section id="file-record" {
                h2 { (c.t("file_record")) }
                form method="post" action={ "/persons/" (pct(&id)) "/records" } class="stack" {
                    (csrf_field(&p))
                    label for="rec-type" { (c.t("record_type")) }
                    select name="type" id="rec-type" {
                        @for k in ["stay", "habeas_petition", "fear_claim", "citizenship_claim"] {
                            option value=(k) { (crate::i18n::word(c.lang, "record", k)) }
                        }
                    }
                    label for="rec-date" { (c.t("record_date")) }
                    input type="date" name="date" id="rec-date" required;
                    label for="rec-country" { (c.t("record_country")) }
                    input name="country" id="rec-country" maxlength="2" pattern="[A-Z]{2}" placeholder="SV";
                    label for="rec-status" { (c.t("record_status")) }
                    select name="status" id="rec-status" {
                        @for k in ["pending", "denied", "granted", "established", "rejected"] {
                            option value=(k) { (crate::i18n::word(c.lang, "status", k)) }
                        }
                    }
                    label for="rec-court" { (c.t("record_court")) }
                    input name="court" id="rec-court" maxlength="200";
                    label for="rec-docket" { (c.t("record_docket")) }
                    input name="docket" id="rec-docket" maxlength="64";
                    label for="rec-id" { (c.t("record_version_of")) }
                    input name="id" id="rec-id" maxlength="64";
                    button type="submit" id="file-record-submit" { (c.t("file")) }
                }
            }
        }
        @if !matches!(p.actor.role, Role::Auditor) {
            section id="withhold" {
                h2 { (c.t("withhold_title")) }
                form method="post" action={ "/persons/" (pct(&id)) "/withhold" } class="stack" {
                    (csrf_field(&p))
                    label for="requested_by" { (c.t("requested_by")) }
                    select name="requested_by" id="requested_by" {
                        @if p.actor.role != Role::Counsel { option value="person" { (c.t("the_person")) } }
                        option value="counsel" { (c.t("counsel")) }
                    }
                    label for="withhold-reason" { (c.t("reason")) }
                    textarea name="reason" id="withhold-reason" rows="2" required {}
                    button type="submit" id="withhold-submit" { (c.t("withhold")) }
                }
            }
        }
        section {
            h2 { (c.t("legal_records")) }
            @if f.legal_records.is_empty() { p { (c.t("none")) } }
            table id="legal-records" tabindex="0" {
                tr { th { (c.t("record_type")) } th { (c.t("record_version")) } th { (c.t("details")) } th { (c.t("proof")) } }
                @for r in &f.legal_records {
                    tr {
                        td { (crate::i18n::word(c.lang, "record", &r.record_type)) }
                        td { @if let Some(v) = r.record.get("id").and_then(|v| v.as_str()) {
                                code { (v) }
                                @if let Some(a) = r.record.get("as_of").and_then(|v| v.as_str()) { " · " (a) }
                             } @else { "—" } }
                        td { (record_details(c.lang, &r.record)) }
                        td { a href={ "/proof?index=" (r.seq) } { (c.t("proof")) } }
                    }
                }
            }
        }
        @if !f.cases.is_empty() {
            section {
                h2 { (c.t("cases")) }
                table id="cases" tabindex="0" {
                    @for k in &f.cases {
                        tr { td { (k.id) } td { strong { (crate::i18n::word(c.lang, "state", &k.state)) } } td { (crate::i18n::word(c.lang, "case", &k.kind)) } td { (k.detail) }
                             td { a href={ "/manifests/" (pct(&k.manifest_id)) } { (k.manifest_id) } }
                             td { (k.resolved_reason.clone().unwrap_or_default()) } }
                    }
                }
            }
        }
        section {
            h2 { (c.t("screenings")) }
            @for sc in &f.screenings {
                div class="screening" {
                    p { strong class=(outcome_class(&sc.outcome)) { (crate::i18n::word(c.lang, "outcome", &sc.outcome)) } " — " (sc.on) " · " (crate::i18n::word(c.lang, "basis", &sc.basis)) " → " (country_name(c.lang, &sc.destination_country))
                        @if let Some(m) = &sc.manifest_id { " · " a href={ "/manifests/" (pct(m)) } { (m) } }
                        " · " small { (sc.rules_version) } }
                    (findings(&sc.findings))
                }
            }
        }
        section {
            h2 { (c.t("timeline")) }
            table id="timeline" tabindex="0" {
                tr { th { "seq" } th { (c.t("when")) } th { (c.t("event")) } th { (c.t("actor")) } th { (c.t("proof")) } }
                @for e in &f.timeline {
                    tr { td { (e.seq) } td { (fmt_time(c.lang, &e.occurred_at, zone)) } td { (crate::i18n::word(c.lang, "kind", &e.kind)) " " small { code { (e.kind) } } } td { (e.actor) }
                         td { a href={ "/proof?index=" (e.seq) } { (c.t("proof")) } } }
                }
            }
        }
    };
    page(
        &c,
        StatusCode::OK,
        &format!("{}, {}", pr.family_names, pr.given_names),
        body,
    )
}

/// The legal-record form of the person page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecordForm {
    csrf: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    date: Option<String>,
    country: Option<String>,
    status: Option<String>,
    court: Option<String>,
    docket: Option<String>,
    /// The record this one is a new version of.
    id: Option<String>,
}

impl RecordForm {
    /// Every field trimmed; an empty one is absent.
    fn tidy(self) -> Self {
        let t = |v: Option<String>| v.map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
        Self {
            csrf: self.csrf,
            kind: t(self.kind),
            date: t(self.date),
            country: t(self.country),
            status: t(self.status),
            court: t(self.court),
            docket: t(self.docket),
            id: t(self.id),
        }
    }
}

impl CsrfForm for RecordForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Files a legal record from the person page's form (counsel for their clients, sending
/// officers, admins): one `custodia_app::records::enter`, like the CLI and the API.
async fn record_post(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Post { c, p, form: f }: Post<RecordForm>,
) -> Response {
    let path = format!("/persons/{}", pct(&id));
    let f = f.tidy();
    let kind = f.kind.unwrap_or_default();
    let date = f.date.unwrap_or_default();
    let status = f.status.unwrap_or_else(|| "pending".into());
    let mut rec = serde_json::Map::new();
    rec.insert("type".into(), kind.clone().into());
    match kind.as_str() {
        "stay" => {
            rec.insert("issued".into(), date.into());
            match f.country {
                Some(k) => {
                    rec.insert("scope".into(), "country".into());
                    rec.insert("country".into(), k.into());
                }
                None => {
                    rec.insert("scope".into(), "all_removals".into());
                }
            }
            for (k, v) in [("court", f.court), ("docket", f.docket)] {
                if let Some(v) = v {
                    rec.insert(k.into(), v.into());
                }
            }
        }
        "habeas_petition" => {
            rec.insert("filed".into(), date.into());
            rec.insert("status".into(), status.into());
        }
        "fear_claim" => {
            rec.insert("country".into(), f.country.unwrap_or_default().into());
            rec.insert("date".into(), date.into());
        }
        _ => {
            rec.insert("date".into(), date.into());
            rec.insert("status".into(), status.into());
        }
    }
    let version = f.id;
    let r = st
        .db(move |s| {
            if let Some(v) = version {
                // A new version of record `id`, entered today.
                rec.insert("id".into(), v.into());
                let today = s.clock().now().to_zoned(jiff::tz::TimeZone::UTC).date();
                rec.insert("as_of".into(), today.to_string().into());
            }
            let record: custodia_model::legal::VersionedRecord =
                match serde_json::from_value(serde_json::Value::Object(rec.clone())) {
                    Ok(r) => r,
                    Err(e) => return Ok(Err(ApiError::invalid(format!("record: {e}")))),
                };
            let entry = custodia_app::records::Entry {
                at: "form".into(),
                subject: custodia_app::records::Subject::Person(id.clone()),
                record,
            };
            refusal(
                custodia_app::records::enter(s, &p.actor, &[entry])
                    .map(|_| ())
                    .map_err(ApiError::from),
            )
        })
        .await;
    match r {
        Ok(r) => back(&path, r),
        Err(e) => error_page(&c, &e),
    }
}

/// The withhold form of the person page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WithholdForm {
    csrf: String,
    requested_by: String,
    reason: String,
}

impl CsrfForm for WithholdForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn withhold_post(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Post { c, p, form }: Post<WithholdForm>,
) -> Response {
    let path = format!("/persons/{}", pct(&id));
    let b = api::WithholdBody {
        requested_by: form.requested_by,
        reason: form.reason,
    };
    let r = st
        .db(move |s| refusal(api::withhold_sync(s, &p.actor, &id, &b)))
        .await;
    match r {
        Ok(r) => back(&path, r),
        Err(e) => error_page(&c, &e),
    }
}
