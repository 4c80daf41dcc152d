//! The web interface: server-rendered HTML (maud), English and Spanish, charts as SVG drawn
//! here, no JavaScript except the in-browser proof check on the proof page.
//!
//! Browser identities are the API's tokens: `/login` takes a token and opens a session
//! (cookie `HttpOnly; SameSite=Strict`, only its hash stored). Every form carries the
//! session's CSRF token, checked on POST; the login form uses a double-submit cookie.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use custodia_app::Role;
use custodia_store::Store;
use custodia_store::queries::{CellRow, Count};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;

use crate::AppState;
use crate::api::{self, ALL, LocateParams};
use crate::auth::{self, Principal, SESSION_COOKIE};
use crate::error::ApiError;
use crate::i18n::{Lang, t};

/// The routes of the pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/locator", get(locator_page))
        .route("/persons", get(persons_page))
        .route("/persons/{id}", get(person_page))
        .route("/manifests", get(manifests_page))
        .route("/manifests/{id}", get(manifest_page))
        .route("/manifests/{id}/action", post(manifest_post))
        .route("/cases/{id}/resolve", post(resolve_post))
        .route("/persons/{id}/withhold", post(withhold_post))
        .route("/persons/{id}/records", post(record_post))
        .route("/auditor", get(auditor_page))
        .route("/oversight", get(oversight_page))
        .route("/auditor/verify", post(verify_post))
        .route("/proof", get(proof_page))
        .route("/static/proof.js", get(proof_js))
        .route("/costs", get(costs_page))
        .route("/standards", get(standards_page))
        .fallback(not_found_page)
}

/// A real 404 page, in the visitor's language.
async fn not_found_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Response {
    let lang = Query::<Common>::try_from_uri(req.uri())
        .map(|Query(q)| q.lang)
        .unwrap_or(None);
    let c = ctx(
        &st,
        &headers,
        &Common { lang },
        req.uri().path().to_string(),
    )
    .await;
    let body = html! {
        p data-code="not_found" { (c.t("page_not_found_text")) }
        p { a href="/" { (c.t("home")) } " · " a href="/locator" { (c.t("locator")) } }
    };
    page(&c, StatusCode::NOT_FOUND, c.t("page_not_found"), body)
}

/// Common query: the language switch and a flash message.
#[derive(Debug, Default, Deserialize)]
pub struct Common {
    pub lang: Option<String>,
}

struct Ctx {
    lang: Lang,
    set_lang: bool,
    who: Option<Principal>,
    path: String,
    /// The request's path and query, for the language switch.
    uri: String,
    /// A message left by the previous request (cookie `flash`), shown once.
    flash: Option<Flash>,
}

/// A one-time message carried by the `flash` cookie across a redirect (never in the URL).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Flash {
    ok: bool,
    code: String,
    detail: String,
}

const FLASH_COOKIE: &str = "custodia_flash";

impl Flash {
    fn cookie(&self) -> String {
        let v = format!(
            "{}|{}|{}",
            if self.ok { "ok" } else { "err" },
            self.code,
            self.detail
        );
        format!(
            "{FLASH_COOKIE}={}; Path=/; Max-Age=120; HttpOnly; SameSite=Strict",
            pct(&v)
        )
    }
    fn parse(headers: &HeaderMap) -> Option<Self> {
        let raw = auth::cookie(headers, FLASH_COOKIE)?;
        let v = unpct(&raw).ok()?;
        let mut it = v.splitn(3, '|');
        let ok = it.next()? == "ok";
        let code = it.next()?.to_string();
        let detail = it.next().unwrap_or("").to_string();
        (!code.is_empty()).then_some(Self { ok, code, detail })
    }
}

tokio::task_local! {
    /// The path and query of the request being answered (set by [`remember_uri`]).
    static URI: String;
}

/// Middleware: keeps the request's path and query for the page being built, so that the
/// language switch links to the same page with the same query.
pub async fn remember_uri(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let uri = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), ToString::to_string);
    URI.scope(uri, next.run(req)).await
}

/// `uri` with its `lang` parameter set to `lang`, every other parameter kept.
pub fn with_lang(uri: &str, lang: &str) -> String {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut parts: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang="))
        .collect();
    let l = format!("lang={lang}");
    parts.push(&l);
    format!("{path}?{}", parts.join("&"))
}

impl Ctx {
    fn t(&self, k: &str) -> &'static str {
        t(self.lang, k)
    }
}

async fn ctx(st: &AppState, headers: &HeaderMap, c: &Common, path: String) -> Ctx {
    let lang = Lang::detect(c.lang.as_deref(), headers);
    let h = headers.clone();
    let who = st.db(move |s| auth::by_session(s, &h)).await.ok().flatten();
    let uri = URI.try_with(Clone::clone).unwrap_or_else(|_| path.clone());
    Ctx {
        lang,
        set_lang: c.lang.as_deref().and_then(Lang::parse).is_some(),
        who,
        path,
        uri,
        flash: Flash::parse(headers),
    }
}

fn css() -> &'static str {
    // Mobile first: nothing may lay out wider than the viewport (390 px phones); a table
    // scrolls inside its own box, charts shrink, long codes wrap.
    "*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}\
     body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa;overflow-wrap:anywhere}\
     header{background:#1d3557;color:#fff;padding:.6rem 1rem;display:flex;gap:.5rem 1rem;align-items:center;flex-wrap:wrap}\
     header a{color:#fff}header form{display:inline;margin:0}main{padding:1rem;max-width:1200px}\
     a{color:#0b4f8a}header a{color:#fff}\
     table{border-collapse:collapse;margin:.5rem 0;display:block;overflow-x:auto;max-width:100%}\
     td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}\
     pre{white-space:pre-wrap;word-break:break-all;max-width:100%}code{word-break:break-all}\
     svg{max-width:100%;height:auto}input,select,textarea,button{max-width:100%;font:inherit}\
     textarea{width:100%}\
     .stack{display:flex;flex-direction:column;gap:.3rem;max-width:32rem}.stack button{margin-top:.5rem;padding:.5rem}\
     .stack input{padding:.4rem}.req{font-weight:normal;color:#555}\
     .cards{list-style:none;padding:0;display:grid;gap:.75rem}.card{background:#fff;border:1px solid #ccc;border-radius:6px;padding:.75rem}\
     .card h2{margin:.1rem 0 .3rem;font-size:1.15rem}.card dl{display:grid;grid-template-columns:minmax(0,10rem) minmax(0,1fr);gap:.2rem .6rem;margin:.3rem 0}\
     .card dt{font-weight:600}.card dd{margin:0}\
     .blocked{color:#a4161a;font-weight:bold}.needs_review{color:#8a4700;font-weight:bold}.eligible{color:#1f5c08;font-weight:bold}\
     .flash{background:#e7f5e7;padding:.5rem}.err{background:#fde2e1;padding:.5rem}section{margin-bottom:1.5rem}\
     .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,420px),1fr));gap:1rem}small{color:#555}\
     .visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}"
}

fn page(c: &Ctx, status: StatusCode, title: &str, body: Markup) -> Response {
    let l = c.lang;
    let m = html! {
        (DOCTYPE)
        html lang=(l.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · custodia" }
                style { (PreEscaped(css())) }
            }
            body {
                header {
                    strong { a href="/" { (c.t("app")) } }
                    @if let Some(p) = &c.who {
                        a href="/" { (c.t("dashboard")) }
                        a href="/manifests" { (c.t("manifests")) }
                        a href="/persons" { (c.t("persons")) }
                        a href="/standards" { (c.t("standards")) }
                        @if !matches!(p.actor.role, Role::SendingOfficer) { a href="/costs" { (c.t("costs")) } }
                        @if matches!(p.actor.role, Role::Auditor | Role::Admin) { a href="/auditor" { (c.t("auditor")) } }
                    }
                    a href="/locator" { (c.t("locator")) }
                    a href=(with_lang(&c.uri, l.other().tag())) hreflang=(l.other().tag()) lang=(l.other().tag()) id="lang-switch" { (c.t("switch_lang")) }
                    @match &c.who {
                        Some(p) => {
                            span { (c.t("signed_in_as")) " " code { (p.actor.id()) } }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(p.csrf.clone().unwrap_or_default());
                                button type="submit" { (c.t("logout")) }
                            }
                        }
                        None => { a href="/login" { (c.t("login")) } }
                    }
                }
                main {
                    h1 { (title) }
                    @if let Some(f) = &c.flash {
                        @if f.ok { p class="flash" role="status" id="flash" { (t(l, &f.code)) } }
                        @else { p class="err" role="alert" id="flash" data-code=(f.code) { (code_text(l, &f.code, &f.detail)) } }
                    }
                    (body)
                }
            }
        }
    };
    let mut r = (status, axum::response::Html(m.into_string())).into_response();
    if c.flash.is_some() {
        r.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "custodia_flash=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict",
            ),
        );
    }
    if c.set_lang
        && let Ok(v) = HeaderValue::from_str(&format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            l.tag()
        ))
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

fn error_page(c: &Ctx, e: &ApiError) -> Response {
    let title = match e.status {
        StatusCode::FORBIDDEN => c.t("forbidden"),
        StatusCode::NOT_FOUND => c.t("not_found"),
        _ => c.t("error"),
    };
    page(
        c,
        e.status,
        title,
        html! { p class="err" role="alert" data-code=(e.code) { (error_text(c.lang, e)) } },
    )
}

fn need_login(c: &Ctx) -> Response {
    Redirect::to(&format!("/login?next={}", pct(&c.path))).into_response()
}

#[expect(
    clippy::result_large_err,
    reason = "the error is the page to send, built once per request"
)]
fn role_ok(c: &Ctx, roles: &[Role]) -> Result<Principal, Response> {
    match &c.who {
        None => Err(need_login(c)),
        Some(p) if roles.contains(&p.actor.role) => Ok(p.clone()),
        Some(_) => Err(error_page(c, &ApiError::forbidden(c.t("forbidden")))),
    }
}

/// Percent-encodes a query value.
pub fn pct(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

fn csrf_field(p: &Principal) -> Markup {
    html! { input type="hidden" name="csrf" value=(p.csrf.clone().unwrap_or_default()); }
}

/// Constant-time equality for secrets.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

type Form = Vec<(String, String)>;

fn field<'a>(f: &'a Form, k: &str) -> Option<&'a str> {
    f.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
}

fn parse_form(body: &[u8]) -> Result<Form, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| ApiError::bad_request("form is not UTF-8"))?;
    let mut out = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.push((unpct(k)?, unpct(v)?));
    }
    Ok(out)
}

fn unpct(s: &str) -> Result<String, ApiError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = b
                    .get(i + 1..i + 3)
                    .and_then(|x| std::str::from_utf8(x).ok())
                    .and_then(|x| u8::from_str_radix(x, 16).ok());
                out.push(h.ok_or_else(|| ApiError::bad_request("form: bad percent-encoding"))?);
                i += 2;
            }
            x => out.push(x),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ApiError::bad_request("form is not UTF-8"))
}

/// The session of a POST whose CSRF field matches, or the response refusing it.
#[expect(
    clippy::result_large_err,
    reason = "the error is the page to send, built once per request"
)]
fn checked(c: &Ctx, f: &Form) -> Result<Principal, Response> {
    let p = c.who.clone().ok_or_else(|| need_login(c))?;
    let want = p.csrf.clone().unwrap_or_default();
    match field(f, "csrf") {
        Some(got) if !want.is_empty() && same(got, &want) => Ok(p),
        _ => Err(error_page(c, &ApiError::forbidden(c.t("csrf_failed")))),
    }
}

// ---------------------------------------------------------------- login

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    pub lang: Option<String>,
    pub next: Option<String>,
}

fn safe_next(n: Option<&str>) -> String {
    match n {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

async fn login_form(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let c = ctx(
        &st,
        &headers,
        &Common {
            lang: q.lang.clone(),
        },
        "/login".into(),
    )
    .await;
    let pre = auth::cookie(&headers, "custodia_csrf")
        .filter(|v| v.len() >= 32)
        .unwrap_or_else(auth::random_secret);
    let body = html! {
        form method="post" action="/login" {
            input type="hidden" name="csrf" value=(pre);
            input type="hidden" name="next" value=(safe_next(q.next.as_deref()));
            label { (c.t("token")) " " input type="password" name="token" id="token" autocomplete="off" required; }
            " " button type="submit" id="login-submit" { (c.t("login")) }
        }
    };
    let mut r = page(&c, StatusCode::OK, c.t("login"), body);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "custodia_csrf={pre}; Path=/login; HttpOnly; SameSite=Strict"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn login(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let c = ctx(&st, &headers, &Common::default(), "/login".into()).await;
    let f = match parse_form(&body) {
        Ok(f) => f,
        Err(e) => return error_page(&c, &e),
    };
    let cookie = auth::cookie(&headers, "custodia_csrf").unwrap_or_default();
    if cookie.is_empty() || !same(field(&f, "csrf").unwrap_or(""), &cookie) {
        return error_page(&c, &ApiError::forbidden(c.t("csrf_failed")));
    }
    let token = field(&f, "token").unwrap_or("").trim().to_string();
    let next = safe_next(field(&f, "next"));
    let r = st.db(move |s| auth::open_session(s, &token, 12)).await;
    match r {
        Ok(Some((id, _))) => {
            let secure = if st.0.config.secure_cookies {
                "; Secure"
            } else {
                ""
            };
            let mut resp = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200{secure}"
            )) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(None) => back(
            &format!("/login?next={}", pct(&next)),
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "login_failed", "")),
        ),
        Err(e) => error_page(&c, &e),
    }
}

async fn logout(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let c = ctx(&st, &headers, &Common::default(), "/".into()).await;
    let f = parse_form(&body).unwrap_or_default();
    if let Err(r) = checked(&c, &f) {
        return r;
    }
    if let Some(id) = auth::cookie(&headers, SESSION_COOKIE) {
        let h = auth::sha256_hex(id.as_bytes());
        let _ = st.db(move |s| Ok(s.delete_session(&h)?)).await;
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("custodia_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    resp
}

// ---------------------------------------------------------------- dashboard

/// The colour of a cell by floor space per person against the 3.4 m² minimum (ICRC,
/// "Water, sanitation, hygiene and habitat in prisons", 2005/2012: 3.4 m² per person in
/// shared cells).
pub fn cell_colour(m2: Option<f64>) -> &'static str {
    // INVARIANT: green exactly when the standards report does not count the cell as below
    // standard (`custodia_housing` compares `m2 < min_m2_per_person`), so the heat map and
    // `custodia report standards` always agree.
    let min = custodia_housing::SpaceStandard::icrc_2012().min_m2_per_person;
    match m2 {
        None => "#e0e0e0",
        Some(x) if x >= min => "#2b9348",
        Some(x) if x >= 2.0 => "#f4a261",
        Some(x) if x >= 1.0 => "#e76f51",
        Some(_) => "#9d0208",
    }
}

/// The heat map: one row per pavilion, one square per cell.
pub fn heat_map(c: &ImplLang, cells: &[CellRow]) -> Markup {
    let mut by_pav: BTreeMap<&str, Vec<&CellRow>> = BTreeMap::new();
    for cell in cells {
        by_pav.entry(cell.pavilion.as_str()).or_default().push(cell);
    }
    let cols = by_pav.values().map(Vec::len).max().unwrap_or(1).max(1);
    let (sq, gap, left) = (14usize, 2usize, 90usize);
    let w = left + cols * (sq + gap) + 10;
    let h = by_pav.len() * (sq + gap + 4) + 100;
    let legend = [
        ("legend_empty", None),
        ("legend_ok", Some(4.0)),
        ("legend_low", Some(3.0)),
        ("legend_bad", Some(1.5)),
        ("legend_worst", Some(0.5)),
    ];
    let rows_h = by_pav.len() * (sq + gap + 4);
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(w) height=(h) viewBox={ "0 0 " (w) " " (h) } role="img" id="heatmap" aria-label=(t(c.0, "occupancy")) {
            @for (i, (pav, cs)) in by_pav.iter().enumerate() {
                @let y = i * (sq + gap + 4);
                text x="0" y=(y + sq - 2) font-size="11" { (t(c.0, "pavilion")) " " (pav) }
                @for (j, cell) in cs.iter().enumerate() {
                    rect class="cell" x=(left + j * (sq + gap)) y=(y) width=(sq) height=(sq) fill=(cell_colour(cell.m2_per_person)) {
                        title { (cell.id) ": " (cell.occupants) " / " (format!("{:.0}", cell.area_m2)) " m²"
                            @if let Some(m) = cell.m2_per_person { " = " (format!("{m:.2}")) " m²" } }
                    }
                }
            }
            @for (k, (key, v)) in legend.iter().enumerate() {
                @let x = (k % 3) * 170;
                @let y = rows_h + 10 + (k / 3) * 20;
                rect class="legend" x=(x) y=(y) width="12" height="12" fill=(cell_colour(*v)) {}
                text x=(x + 16) y=(y + 11) font-size="11" { (t(c.0, key)) }
            }
        }
    }
}

/// The time zone of a facility's country (its capital's), UTC when unknown.
pub fn zone_of(country: Option<&str>) -> &'static str {
    match country {
        Some("SV") => "America/El_Salvador",
        Some("US") => "America/Chicago",
        Some("CU") => "America/Havana",
        Some("HN") => "America/Tegucigalpa",
        Some("GT") => "America/Guatemala",
        Some("MX") => "America/Mexico_City",
        Some("VE") => "America/Caracas",
        Some("CO") => "America/Bogota",
        _ => "UTC",
    }
}

/// A timestamp in `zone`, in the way of `l`, with the zone named; the text as it is when it
/// is not a timestamp.
pub fn fmt_time(l: Lang, ts: &str, zone: &str) -> String {
    let Ok(t) = ts.parse::<jiff::Timestamp>() else {
        return ts.to_string();
    };
    let (tz, name) = match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => (tz, zone),
        Err(_) => (jiff::tz::TimeZone::UTC, "UTC"),
    };
    let z = t.to_zoned(tz);
    let shown = match l {
        Lang::En => z.strftime("%Y-%m-%d %H:%M"),
        Lang::Es => z.strftime("%d/%m/%Y %H:%M"),
    };
    format!("{shown} ({name})")
}

/// An integer with the thousands separator of `l` (`12,345` / `12 345`).
pub fn fmt_int(l: Lang, n: u64) -> String {
    let d = n.to_string();
    let sep = match l {
        Lang::En => ',',
        // RAE: a thin space groups thousands in Spanish; four-digit numbers stay whole.
        Lang::Es => '\u{202f}',
    };
    if l == Lang::Es && d.len() <= 4 {
        return d;
    }
    let mut out = String::with_capacity(d.len() + d.len() / 3);
    for (i, ch) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

/// A decimal with the decimal mark of `l` (`3.40` / `3,40`).
pub fn fmt_dec(l: Lang, x: f64, places: usize) -> String {
    let s = format!("{x:.places$}");
    match l {
        Lang::En => s,
        Lang::Es => s.replace('.', ","),
    }
}

/// A language wrapper for chart helpers.
pub struct ImplLang(pub Lang);

/// Horizontal bars, one per nationality (the top 12).
pub fn bar_chart(c: &ImplLang, counts: &[Count]) -> Markup {
    let cl = c.0;
    let top: Vec<&Count> = counts.iter().take(12).collect();
    let max = top.iter().map(|c| c.count).max().unwrap_or(1).max(1);
    let (bar_h, left, width) = (18usize, 40usize, 320usize);
    let h = top.len() * (bar_h + 4) + 4;
    html! {
        @let alt = format!("{}: {}", t(c.0, "population"), top.iter().map(|x| format!("{} {}", x.key, fmt_int(c.0, x.count))).collect::<Vec<_>>().join(", "));
        svg xmlns="http://www.w3.org/2000/svg" width=(left + width + 60) height=(h) viewBox={ "0 0 " (left + width + 60) " " (h) } role="img" id="population" aria-label=(alt) {
            title { (alt) }
            @for (i, c) in top.iter().enumerate() {
                @let lang = cl;
                @let y = i * (bar_h + 4);
                @let w = ((c.count as f64 / max as f64) * width as f64).round().max(1.0) as usize;
                text x="0" y=(y + 13) font-size="12" { (c.key) }
                rect class="bar" x=(left) y=(y) width=(w) height=(bar_h) fill="#457b9d" {}
                text x=(left + w + 4) y=(y + 13) font-size="12" { (fmt_int(lang, c.count)) }
            }
        }
    }
}

struct MonthCost {
    agreement: String,
    facility: String,
    month: String,
    person_days: u64,
    total: String,
    currency: String,
}

/// The latest month with custody data in the store (the last admission or release day),
/// never the wall clock; `None` for a store without stays.
/// The latest month with data in the store (the month of `today` when there is none) and
/// its costs, both cached: what the dashboard and `/costs` show by default.
fn latest_costs(
    st: &AppState,
    s: &mut Store,
    today: jiff::civil::Date,
) -> Result<(custodia_billing::Month, Arc<Vec<MonthCost>>), ApiError> {
    let month = *st.cached(s, format!("latest-month:{today}"), |s| {
        Ok(latest_month(s)?.unwrap_or_else(|| custodia_billing::Month::containing(today)))
    })?;
    let costs = st.cached(s, format!("costs:{month}"), |s| month_costs(s, month))?;
    Ok((month, costs))
}

/// The standards report of `facility` over the 30 days to `as_of`, cached.
fn standards(
    st: &AppState,
    s: &mut Store,
    facility: &str,
    as_of: jiff::civil::Date,
) -> Result<Arc<custodia_housing::StandardsReport>, ApiError> {
    let from = as_of.saturating_sub(jiff::ToSpan::days(29));
    st.cached(s, format!("standards:{facility}:{as_of}"), |s| {
        Ok(custodia_app::housing::standards_report(
            s,
            Some(facility),
            from,
            as_of,
            &custodia_housing::StandardsParams::default(),
        )?)
    })
}

/// Computes what the pages' first views would otherwise compute: the locator and staff
/// indexes, the latest month's costs, and today's standards report of every facility that
/// holds anyone. Run at start and after the log changes, off the request path, so that no
/// visitor pays for a cold cache.
pub(crate) fn warm(st: &AppState, s: &mut Store) -> Result<(), ApiError> {
    let today = st.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    st.locator(s)?;
    latest_costs(st, s, today)?;
    for f in s.facilities()? {
        if f.in_custody > 0 {
            standards(st, s, &f.id, today)?;
        }
    }
    Ok(())
}

fn latest_month(s: &mut Store) -> Result<Option<custodia_billing::Month>, ApiError> {
    let mut latest: Option<jiff::civil::Date> = None;
    for a in s.agreements()? {
        for x in s.stays(&a.agreement.facility_id)? {
            for d in [Some(x.admitted_on), x.released_on].into_iter().flatten() {
                if let Ok(d) = d.parse::<jiff::civil::Date>() {
                    latest = latest.max(Some(d));
                }
            }
        }
    }
    Ok(latest.map(custodia_billing::Month::containing))
}

fn month_costs(s: &mut Store, month: custodia_billing::Month) -> Result<Vec<MonthCost>, ApiError> {
    let mut out = Vec::new();
    for a in s.agreements()? {
        let rec = &a.agreement;
        let mut rates = Vec::new();
        for r in &rec.rates {
            let per: rust_decimal::Decimal =
                r.per_person_day.parse().map_err(|_| ApiError::internal())?;
            rates.push(custodia_billing::Rate {
                from: r.from,
                per_person_day: per,
            });
        }
        let ag = custodia_billing::Agreement {
            id: rec.id.clone(),
            facility_id: rec.facility_id.clone(),
            currency: rec.currency.clone(),
            start: rec.start,
            end: rec.end,
            reserved_beds: rec.reserved_beds,
            over_reserved_per_person_day: rec
                .over_reserved_per_person_day
                .as_deref()
                .and_then(|x| x.parse().ok()),
            rates,
        };
        let stays: Vec<custodia_billing::Stay> = s
            .stays(&rec.facility_id)?
            .into_iter()
            .filter_map(|x| {
                Some(custodia_billing::Stay {
                    person_id: x.person_id,
                    facility_id: x.facility_id,
                    admitted_on: x.admitted_on.parse().ok()?,
                    released_on: x.released_on.and_then(|r| r.parse().ok()),
                })
            })
            .collect();
        match custodia_billing::invoice(&ag, &stays, month) {
            Ok(inv) => out.push(MonthCost {
                agreement: ag.id.clone(),
                facility: ag.facility_id.clone(),
                month: month.first_day().strftime("%Y-%m").to_string(),
                person_days: inv.person_days,
                total: custodia_billing::format_money(&inv.total),
                currency: ag.currency.clone(),
            }),
            Err(e) => tracing::warn!(agreement = %ag.id, error = %e, "stays do not invoice"),
        }
    }
    Ok(out)
}

#[derive(Debug, Default, Deserialize)]
pub struct DashQuery {
    pub lang: Option<String>,
    pub facility: Option<String>,
}

async fn dashboard(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DashQuery>,
) -> Response {
    let c = ctx(
        &st,
        &headers,
        &Common {
            lang: q.lang.clone(),
        },
        "/".into(),
    )
    .await;
    let Some(p) = c.who.clone() else {
        let body = html! {
            p { (c.t("welcome")) }
            p { a href="/locator" { (c.t("locator")) } " · " a href="/login" { (c.t("login")) } }
        };
        return page(&c, StatusCode::OK, c.t("tagline"), body);
    };
    if p.actor.role == Role::Counsel {
        let id = p.actor.id();
        let rows = st.db(move |s| Ok(s.counsel_persons(&id)?)).await;
        return match rows {
            Err(e) => error_page(&c, &e),
            Ok(rows) => page(
                &c,
                StatusCode::OK,
                c.t("all_persons_counsel"),
                html! {
                    ul { @for r in &rows { li { a href={ "/persons/" (r.person_id) } { (r.family_names) ", " (r.given_names) } " (" (r.person_id) ")" } } }
                },
            ),
        };
    }
    let today = st.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let want = q.facility.clone().or_else(|| p.actor.facility_id.clone());
    let st2 = st.clone();
    let data = st
        .db(move |s| {
            let facilities = s.facilities()?;
            // Default: the facility with the most cells that holds anyone.
            let fac = want
                .or_else(|| {
                    facilities
                        .iter()
                        .max_by_key(|f| f.in_custody)
                        .map(|f| f.id.clone())
                })
                .unwrap_or_default();
            let cells = s.cells(&fac)?;
            let pop = s.population_by_nationality(None)?;
            let cases = s.cases(true, None, 50)?;
            let (_, costs) = latest_costs(&st2, s, today)?;
            Ok((facilities, fac, cells, pop, cases, costs))
        })
        .await;
    let (facilities, fac, cells, pop, cases, costs) = match data {
        Ok(d) => d,
        Err(e) => return error_page(&c, &e),
    };
    let occupied: u64 = cells.iter().map(|x| x.occupants).sum();
    let area: f64 = cells
        .iter()
        .filter(|x| x.occupants > 0)
        .map(|x| x.area_m2)
        .sum();
    let body = html! {
        div class="grid" {
            section {
                h2 { (c.t("occupancy")) " — " (fac) }
                form method="get" action="/" {
                    label for="facility-select" { (c.t("facility")) } " "
                    select name="facility" id="facility-select" { @for f in &facilities { option value=(f.id) selected[f.id == fac] { (f.id) " (" (fmt_int(c.lang, f.in_custody)) ")" } } }
                    " " button type="submit" { (c.t("search")) }
                }
                p { small { (c.t("occupancy_note")) } }
                (heat_map(&ImplLang(c.lang), &cells))
                @if occupied > 0 { p { (fmt_int(c.lang, occupied)) " " (c.t("in_custody")) "; " (fmt_dec(c.lang, area / occupied as f64, 2)) " m²" } }
            }
            section {
                h2 { (c.t("population")) }
                (bar_chart(&ImplLang(c.lang), &pop))
            }
            section {
                h2 { (c.t("month_cost")) }
                p { a href="/costs" { (c.t("costs")) } }
                table tabindex="0" {
                    tr { th { (c.t("agreement")) } th { (c.t("facility")) } th { (c.t("month")) } th { (c.t("person_days")) } th { (c.t("total")) } }
                    @for m in costs.iter() { tr { td { (m.agreement) } td { (m.facility) } td { (m.month) } td { (fmt_int(c.lang, m.person_days)) } td id="month-total" { (money(c.lang, &m.total)) " " (m.currency) } } }
                }
            }
            section {
                h2 { (c.t("open_cases")) " (" (cases.len()) ")" }
                @if cases.is_empty() { p { (c.t("no_cases")) } }
                ul { @for k in cases.iter().take(20) { li { a href={ "/manifests/" (k.manifest_id) } { (k.id) } " — " (crate::i18n::word(c.lang, "case", &k.kind)) ": " (k.detail) } } }
            }
        }
    };
    page(&c, StatusCode::OK, c.t("dashboard"), body)
}

// ---------------------------------------------------------------- standards

#[derive(Debug, Default, Deserialize)]
pub struct StandardsQuery {
    pub lang: Option<String>,
    pub facility: Option<String>,
    pub as_of: Option<String>,
}

/// What is out of standard and why, as `custodia report standards` says it (the same
/// use case, the same parameters), with the cells drawn in the heat map's colours.
async fn standards_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StandardsQuery>,
) -> Response {
    let c = ctx(
        &st,
        &headers,
        &Common {
            lang: q.lang.clone(),
        },
        "/standards".into(),
    )
    .await;
    let p = match role_ok(&c, STAFF) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let today = st.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let as_of = match q.as_of.as_deref().filter(|d| !d.is_empty()) {
        None => today,
        Some(d) => match d.parse::<jiff::civil::Date>() {
            Ok(d) => d,
            Err(_) => {
                return error_page(
                    &c,
                    &ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "date_invalid",
                        format!("`{d}`: expected YYYY-MM-DD"),
                    ),
                );
            }
        },
    };
    let want = q
        .facility
        .clone()
        .filter(|f| !f.is_empty())
        .or_else(|| p.actor.facility_id.clone());
    let st2 = st.clone();
    let data = st
        .db(move |s| {
            let facilities = s.facilities()?;
            let fac = want
                .or_else(|| {
                    facilities
                        .iter()
                        .max_by_key(|f| f.in_custody)
                        .map(|f| f.id.clone())
                })
                .unwrap_or_default();
            let r = standards(&st2, s, &fac, as_of)?;
            Ok((facilities, fac, r))
        })
        .await;
    let (facilities, fac, r) = match data {
        Ok(d) => d,
        Err(e) => return error_page(&c, &e),
    };
    let cells: Vec<CellRow> = r
        .space
        .cells
        .iter()
        .map(|x| CellRow {
            id: x.cell_id.clone(),
            facility_id: fac.clone(),
            pavilion: x.pavilion.clone(),
            area_m2: x.m2_per_person.map_or(0.0, |m| m * f64::from(x.occupants)),
            capacity: u64::from(x.capacity),
            in_use: x.in_use,
            occupants: u64::from(x.occupants),
            m2_per_person: x.m2_per_person,
        })
        .collect();
    let body = html! {
        form method="get" action="/standards" class="stack" {
            label for="standards-facility" { (c.t("facility")) }
            select name="facility" id="standards-facility" { @for f in &facilities { option value=(f.id) selected[f.id == fac] { (f.id) } } }
            label for="as-of" { (c.t("as_of")) }
            input type="date" name="as_of" id="as-of" value=(r.as_of.to_string());
            button type="submit" { (c.t("show")) }
        }
        p { (c.t("period")) " " time datetime=(r.period_from.to_string()) { (r.period_from) } " — " time datetime=(r.as_of.to_string()) { (r.as_of) }
            " · " (fmt_int(c.lang, r.persons_present as u64)) " " (c.t("persons_present")) }
        section {
            h2 { (c.t("findings")) }
            ol id="standards-findings" class="cards" {
                @for f in &r.findings {
                    li class="card" data-finding=(f.id) data-out=(f.out_of_standard) {
                        h3 { (crate::i18n::word(c.lang, "finding", &f.id)) }
                        p { strong class=(if f.out_of_standard { "blocked" } else { "eligible" }) {
                            (if f.out_of_standard { c.t("out_of_standard") } else { c.t("within_standard") }) }
                            " · " (fmt_int(c.lang, f.persons_affected)) " " (c.t("persons_affected")) }
                        p { small lang="en" { (f.statement) } }
                        p { small { cite { (f.citation) } } }
                    }
                }
            }
        }
        section {
            h2 { (c.t("occupancy")) " — " (fac) }
            p { small { (c.t("occupancy_note")) } }
            (heat_map(&ImplLang(c.lang), &cells))
        }
    };
    page(&c, StatusCode::OK, c.t("standards"), body)
}

// ---------------------------------------------------------------- costs

/// An amount (`1234567.89`) with the separators of `l`.
fn money(l: Lang, amount: &str) -> String {
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let neg = int.starts_with('-');
    let digits = int.trim_start_matches('-');
    let grouped = digits
        .parse::<u64>()
        .map_or_else(|_| digits.to_string(), |n| fmt_int(l, n));
    let mark = match l {
        Lang::En => ".",
        Lang::Es => ",",
    };
    format!(
        "{}{grouped}{}{frac}",
        if neg { "-" } else { "" },
        if frac.is_empty() { "" } else { mark }
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct CostsQuery {
    pub lang: Option<String>,
    pub month: Option<String>,
}

/// Costs per agreement for a month (default: the latest month with data in the store, not
/// the wall clock), and the invoices issued.
async fn costs_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CostsQuery>,
) -> Response {
    let c = ctx(
        &st,
        &headers,
        &Common {
            lang: q.lang.clone(),
        },
        "/costs".into(),
    )
    .await;
    if let Err(r) = role_ok(
        &c,
        &[
            Role::SendingSupervisor,
            Role::ReceivingOfficer,
            Role::Auditor,
            Role::Admin,
        ],
    ) {
        return r;
    }
    let asked = match q.month.as_deref().filter(|m| !m.is_empty()) {
        None => None,
        Some(m) => match m.parse::<custodia_billing::Month>() {
            Ok(m) => Some(m),
            Err(_) => {
                return error_page(
                    &c,
                    &ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "month_invalid",
                        format!("`{m}`: expected YYYY-MM"),
                    ),
                );
            }
        },
    };
    let today = st.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let st2 = st.clone();
    let data = st
        .db(move |s| {
            let (month, costs) = match asked {
                Some(m) => (
                    m,
                    st2.cached(s, format!("costs:{m}"), |s| month_costs(s, m))?,
                ),
                None => latest_costs(&st2, s, today)?,
            };
            Ok((month, costs, s.invoices(200)?))
        })
        .await;
    let (month, costs, invoices) = match data {
        Ok(d) => d,
        Err(e) => return error_page(&c, &e),
    };
    let m = month.to_string();
    let body = html! {
        form method="get" action="/costs" class="stack" id="month-form" {
            label for="month" { (c.t("month")) }
            input type="month" name="month" id="month" value=(m);
            button type="submit" { (c.t("show")) }
        }
        section {
            h2 { (c.t("month_cost")) " — " (m) }
            @if costs.is_empty() { p { (c.t("none")) } }
            table id="costs" tabindex="0" {
                tr { th { (c.t("agreement")) } th { (c.t("facility")) } th { (c.t("person_days")) } th { (c.t("total")) } }
                @for x in costs.iter() { tr { td { (x.agreement) } td { (x.facility) } td { (fmt_int(c.lang, x.person_days)) } td { (money(c.lang, &x.total)) " " (x.currency) } } }
            }
        }
        section {
            h2 { (c.t("invoices")) }
            @if invoices.is_empty() { p { (c.t("none")) } }
            @else {
                table id="invoices" tabindex="0" {
                    tr { th { "id" } th { (c.t("agreement")) } th { (c.t("month")) } th { (c.t("person_days")) } th { (c.t("total")) } th { (c.t("proof")) } }
                    @for i in &invoices {
                        tr { td { (i.id) } td { (i.agreement_id) } td { a href={ "/costs?month=" (i.month) } { (i.month) } }
                             td { (fmt_int(c.lang, i.person_days)) } td { (money(c.lang, &i.total)) } td { a href={ "/proof?index=" (i.seq) } { (c.t("proof")) } } }
                    }
                }
            }
        }
    };
    page(&c, StatusCode::OK, c.t("costs"), body)
}

// ---------------------------------------------------------------- locator

/// The country names of the page's language.
fn country_lang(l: Lang) -> custodia_model::country::Language {
    match l {
        Lang::En => custodia_model::country::Language::En,
        Lang::Es => custodia_model::country::Language::Es,
    }
}

/// A country's name in the page's language (the code when the table lacks it).
fn country_name(l: Lang, code: &str) -> String {
    custodia_model::country::parse(code)
        .and_then(|c| custodia_model::country::name(c, country_lang(l)))
        .map_or_else(|| code.to_string(), str::to_string)
}

/// A custody status in words.
fn status_words(c: &Ctx, status: Option<&str>) -> &'static str {
    match status {
        Some("in_custody") => c.t("status_in_custody"),
        Some("released") => c.t("status_released"),
        Some("removed") => c.t("status_removed"),
        Some("transferred") => c.t("status_transferred"),
        Some("deceased") => c.t("status_deceased"),
        _ => c.t("status_unknown"),
    }
}

/// An error's code in the page's language; the English detail, when it adds something,
/// follows in a `lang="en"` aside.
pub fn error_text(l: Lang, e: &ApiError) -> Markup {
    code_text(l, e.code, &e.message)
}

fn code_text(l: Lang, code: &str, detail: &str) -> Markup {
    let key = format!("err_{code}");
    let known = crate::i18n::has(&key);
    html! {
        @if known { (t(l, &key)) } @else { (t(l, "err_generic")) }
        @if !detail.is_empty() && (!known || matches!(code, "invalid" | "conflict" | "not_found" | "forbidden" | "bad_request")) {
            " " small lang="en" { (detail) }
        }
    }
}

fn too_vague(c: &Ctx, raw: &LocateParams) -> Markup {
    let parts: Vec<&str> = api::missing_parts(raw)
        .into_iter()
        .map(|p| match p {
            "family" => c.t("add_family"),
            "given" => c.t("add_given"),
            _ => c.t("add_country_or_dob"),
        })
        .collect();
    html! { (c.t("too_vague")) " " (parts.join(&format!(" {} ", c.t("and")))) "." }
}

async fn locator_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Response {
    let client = crate::client_of(&req);
    let raw: LocateParams = Query::<LocateParams>::try_from_uri(req.uri())
        .map(|Query(q)| q)
        .unwrap_or_default();
    let lang = Query::<Common>::try_from_uri(req.uri())
        .map(|Query(q)| q.lang)
        .unwrap_or(None);
    let c = ctx(
        &st,
        &headers,
        &Common { lang },
        req.uri()
            .path_and_query()
            .map_or_else(|| "/locator".to_string(), ToString::to_string),
    )
    .await;
    let searched = [&raw.family, &raw.given, &raw.country, &raw.dob]
        .iter()
        .any(|x| x.is_some());
    let result = if searched {
        match raw.query() {
            Ok(lq) => Some(api::run_locate(&st, client, None, lq).await),
            Err(e) => Some(Err(e)),
        }
    } else {
        None
    };
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let first = match c.lang {
        Lang::Es => Some("SV"),
        Lang::En => None,
    };
    let countries = custodia_model::country::list(country_lang(c.lang), first);
    // The country field shows the name in the page's language when the query named one.
    let country_value = raw
        .country
        .as_deref()
        .and_then(custodia_model::country::parse)
        .map_or_else(|| v(&raw.country), |cc| country_name(c.lang, cc.as_str()));
    let body = html! {
        p { (c.t("locator_intro")) }
        form method="get" action="/locator" id="locator-form" class="stack" {
            label for="family" { (c.t("family_names")) " " span class="req" { "(" (c.t("required")) ")" } }
            input name="family" id="family" value=(v(&raw.family)) autocomplete="family-name" required;
            label for="given" { (c.t("given_names")) " " span class="req" { "(" (c.t("required")) ")" } }
            input name="given" id="given" value=(v(&raw.given)) autocomplete="given-name" required;
            label for="country" { (c.t("country_of_birth")) }
            input name="country" id="country" list="countries" value=(country_value) autocomplete="off" aria-describedby="country-hint";
            datalist id="countries" { @for (_, name) in &countries { option value=(name) {} } }
            small id="country-hint" { (c.t("country_hint")) }
            label for="dob" { (c.t("date_of_birth")) }
            input name="dob" type="date" id="dob" value=(v(&raw.dob));
            button type="submit" id="locate-submit" { (c.t("search")) }
        }
        @match &result {
            None => {}
            Some(Err(e)) if e.code == "locate_too_vague" => { p class="err" role="alert" id="locate-error" data-code=(e.code) { (too_vague(&c, &raw)) } }
            Some(Err(e)) => { p class="err" role="alert" id="locate-error" data-code=(e.code) { (error_text(c.lang, e)) } }
            Some(Ok(hits)) if hits.is_empty() => { p id="no-results" role="status" { (c.t("no_results")) } }
            Some(Ok(hits)) => {
                p role="status" { (c.t("results_note")) }
                ol id="hits" class="cards" {
                    @for h in hits {
                        li class="card hit" {
                            h2 { (h.given_names) " " (h.family_names) }
                            p class="match" { strong { @match h.match_kind {
                                crate::locator::MatchKind::Exact => (c.t("match_exact")),
                                crate::locator::MatchKind::Close => (c.t("match_close")),
                            } } }
                            dl {
                                dt { (c.t("country_of_birth")) } dd { (h.country_of_birth.as_deref().map(|x| country_name(c.lang, x)).unwrap_or_else(|| "—".into())) }
                                dt { (c.t("year_of_birth")) } dd { (h.year_of_birth.map(|y| y.to_string()).unwrap_or_else(|| "—".into())) }
                                dt { (c.t("status")) } dd class="status" {
                                    @if h.arrival_confirmed == Some(false) { (c.t("arrival_unconfirmed")) }
                                    @else { (status_words(&c, h.status.as_deref())) }
                                    @if let Some(d) = &h.since { " " small { "(" (c.t("since")) " " (d) ")" } }
                                }
                                dt { (c.t("facility")) } dd class="facility" { (h.facility_name.clone().or_else(|| h.facility_id.clone()).unwrap_or_else(|| "—".into())) }
                                @if let Some(cc) = &h.country { dt { (c.t("country_now")) } dd class="country-now" { (country_name(c.lang, cc)) } }
                                @if let Some(g) = &h.custodian { dt { (c.t("custodian")) } dd class="custodian" { (c.t("government_of")) " " (country_name(c.lang, g)) } }
                                @if let Some(d) = &h.transferred_on { dt { (c.t("transferred_on")) } dd class="transferred-on" { time datetime=(d) { (d) } } }
                            }
                            @if let Some(k) = &h.contact {
                                details class="contact" open {
                                    summary { (c.t("contact")) }
                                    dl {
                                        @if let Some(x) = &k.visiting { dt { (c.t("visiting")) } dd { (x) } }
                                        @if let Some(x) = &k.consular { dt { (c.t("consular")) } dd { (x) } }
                                        @if let Some(x) = &k.counsel_access { dt { (c.t("counsel_access")) } dd { (x) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let status = match &result {
        Some(Err(e)) => e.status,
        _ => StatusCode::OK,
    };
    page(&c, status, c.t("locator"), body)
}

// ---------------------------------------------------------------- persons

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
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Response {
    let c = ctx(
        &st,
        &headers,
        &Common {
            lang: q.lang.clone(),
        },
        "/persons".into(),
    )
    .await;
    let p = match role_ok(&c, ALL) {
        Ok(p) => p,
        Err(r) => return r,
    };
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
                         td { (cob.as_deref().map(|x| country_name(c.lang, x)).unwrap_or_default()) } td { (fac.clone().unwrap_or_default()) } td { (status_words(&c, status.as_deref())) } }
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

fn outcome_class(o: &str) -> &'static str {
    match o {
        "blocked" => "blocked",
        "needs_review" => "needs_review",
        "eligible" => "eligible",
        _ => "",
    }
}

fn findings(v: &serde_json::Value) -> Markup {
    let items = v.as_array().cloned().unwrap_or_default();
    let g = |f: &serde_json::Value, k: &str| {
        f.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    html! {
        @if !items.is_empty() {
            ul { @for f in &items {
                li { strong class=(outcome_class(&g(f, "effect"))) { (g(f, "rule")) } " — " (g(f, "detail")) br; small { cite { (g(f, "citation")) } } }
            } }
        }
    }
}

async fn person_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Common>,
    Path(id): Path<String>,
) -> Response {
    let c = ctx(&st, &headers, &q, format!("/persons/{}", pct(&id))).await;
    let p = match role_ok(&c, ALL) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let pp = p.clone();
    let id2 = id.clone();
    let file = st
        .db(move |s| {
            let f = api::read_person(s, &p.actor, &id)?;
            let country = match &f.facility_id {
                Some(fid) => s
                    .public_facilities()?
                    .into_iter()
                    .find(|x| &x.id == fid)
                    .map(|x| x.country),
                None => None,
            };
            // CONTRACT §9: when the proposed transfer becomes lawful.
            let lawful = match custodia_app::screening::proposed_transfer(s, &id)? {
                Some(prop) => Some(custodia_app::screening::lawful_from(
                    s,
                    &prop,
                    custodia_rules::Params::builtin(),
                )?),
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
                tr { th { (c.t("status")) } td { (status_words(&c, f.status.as_deref())) " " small { (o(&f.status_since)) } } }
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

// ---------------------------------------------------------------- manifests

const STAFF: &[Role] = &[
    Role::SendingOfficer,
    Role::SendingSupervisor,
    Role::ReceivingOfficer,
    Role::Auditor,
    Role::Admin,
];

async fn manifests_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Common>,
) -> Response {
    let c = ctx(&st, &headers, &q, "/manifests".into()).await;
    let p = match role_ok(&c, STAFF) {
        Ok(p) => p,
        Err(r) => return r,
    };
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
    headers: HeaderMap,
    Query(q): Query<Common>,
    Path(id): Path<String>,
) -> Response {
    let c = ctx(&st, &headers, &q, format!("/manifests/{}", pct(&id))).await;
    let p = match role_ok(&c, STAFF) {
        Ok(p) => p,
        Err(r) => return r,
    };
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
    let mm = &m.manifest;
    let role = p.actor.role;
    let sending = role.is_sending();
    // CONTRACT §9: before anyone presses "depart", show what the gate would say now, and
    // offer to take a stopped passenger off.
    let gate = if sending && mm.state == "approved" {
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
            @if sending && matches!(mm.state.as_str(), "draft" | "screened") { (action("screen")) }
            @if role == Role::SendingSupervisor && mm.state == "screened" {
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
            @if sending && mm.state == "approved" { (action("depart")) }
            @if role == Role::ReceivingOfficer && mm.state == "departed" { (action("arrive")) }
            @if role == Role::ReceivingOfficer && mm.state == "arrived" { (action("reconcile")) }
            @if matches!(role, Role::ReceivingOfficer | Role::SendingSupervisor) && mm.state == "reconciled" { (action("close")) }
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
                         td { @if k.state == "open" && matches!(role, Role::ReceivingOfficer | Role::SendingSupervisor) {
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

fn back(path: &str, r: Result<(), ApiError>) -> Response {
    let f = match r {
        Ok(()) => Flash {
            ok: true,
            code: "done".into(),
            detail: String::new(),
        },
        Err(e) => Flash {
            ok: false,
            code: e.code.to_string(),
            detail: e.message,
        },
    };
    let mut resp = Redirect::to(path).into_response();
    if let Ok(v) = HeaderValue::from_str(&f.cookie()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

async fn manifest_post(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let path = format!("/manifests/{}", pct(&id));
    let c = ctx(&st, &headers, &Common::default(), path.clone()).await;
    let f = match parse_form(&body) {
        Ok(f) => f,
        Err(e) => return error_page(&c, &e),
    };
    let p = match checked(&c, &f) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let action = field(&f, "action").unwrap_or("").to_string();
    let js: Vec<serde_json::Value> = f
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("j:")
                .map(|pid| serde_json::json!({"person_id": pid, "text": v}))
        })
        .collect();
    let payload = serde_json::json!({"justifications": js}).to_string();
    let r = st
        .db(move |s| {
            let b = if action == "approve" {
                payload.into_bytes()
            } else {
                Vec::new()
            };
            if let Some(pid) = action.strip_prefix("remove:") {
                return match custodia_app::manifests::remove_passenger(s, &p.actor, &id, pid) {
                    Ok(()) => Ok(Ok(())),
                    Err(e) => {
                        let e = ApiError::from(e);
                        if e.status.is_server_error() {
                            Err(e)
                        } else {
                            Ok(Err(e))
                        }
                    }
                };
            }
            match api::manifest_action_sync(s, &p.actor, &id, &action, &b) {
                Ok(_) => Ok(Ok(())),
                Err(e) if e.status.is_server_error() => Err(e),
                Err(e) => Ok(Err(e)),
            }
        })
        .await;
    match r {
        Ok(r) => back(&path, r),
        Err(e) => error_page(&c, &e),
    }
}

/// Files a legal record from the person page's form (counsel for their clients, sending
/// officers, admins): one `custodia_app::records::enter`, like the CLI and the API.
async fn record_post(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let path = format!("/persons/{}", pct(&id));
    let c = ctx(&st, &headers, &Common::default(), path.clone()).await;
    let f = match parse_form(&body) {
        Ok(f) => f,
        Err(e) => return error_page(&c, &e),
    };
    let p = match checked(&c, &f) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let get = |k: &str| {
        field(&f, k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let kind = get("type").unwrap_or_default();
    let date = get("date").unwrap_or_default();
    let mut rec = serde_json::Map::new();
    rec.insert("type".into(), kind.clone().into());
    match kind.as_str() {
        "stay" => {
            rec.insert("issued".into(), date.into());
            match get("country") {
                Some(k) => {
                    rec.insert("scope".into(), "country".into());
                    rec.insert("country".into(), k.into());
                }
                None => {
                    rec.insert("scope".into(), "all_removals".into());
                }
            }
            for k in ["court", "docket"] {
                if let Some(v) = get(k) {
                    rec.insert(k.into(), v.into());
                }
            }
        }
        "habeas_petition" => {
            rec.insert("filed".into(), date.into());
            rec.insert(
                "status".into(),
                get("status").unwrap_or_else(|| "pending".into()).into(),
            );
        }
        "fear_claim" => {
            rec.insert("country".into(), get("country").unwrap_or_default().into());
            rec.insert("date".into(), date.into());
        }
        _ => {
            rec.insert("date".into(), date.into());
            rec.insert(
                "status".into(),
                get("status").unwrap_or_else(|| "pending".into()).into(),
            );
        }
    }
    let version = get("id");
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
            match custodia_app::records::enter(s, &p.actor, &[entry]) {
                Ok(_) => Ok(Ok(())),
                Err(e) => {
                    let e = ApiError::from(e);
                    if e.status.is_server_error() {
                        Err(e)
                    } else {
                        Ok(Err(e))
                    }
                }
            }
        })
        .await;
    match r {
        Ok(r) => back(&path, r),
        Err(e) => error_page(&c, &e),
    }
}

async fn withhold_post(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let path = format!("/persons/{}", pct(&id));
    let c = ctx(&st, &headers, &Common::default(), path.clone()).await;
    let f = match parse_form(&body) {
        Ok(f) => f,
        Err(e) => return error_page(&c, &e),
    };
    let p = match checked(&c, &f) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let b = api::WithholdBody {
        requested_by: field(&f, "requested_by").unwrap_or("").to_string(),
        reason: field(&f, "reason").unwrap_or("").to_string(),
    };
    let r = st
        .db(move |s| match api::withhold_sync(s, &p.actor, &id, &b) {
            Ok(()) => Ok(Ok(())),
            Err(e) if e.status.is_server_error() => Err(e),
            Err(e) => Ok(Err(e)),
        })
        .await;
    match r {
        Ok(r) => back(&path, r),
        Err(e) => error_page(&c, &e),
    }
}

async fn resolve_post(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(case): Path<String>,
    body: Bytes,
) -> Response {
    let c = ctx(&st, &headers, &Common::default(), "/".into()).await;
    let f = match parse_form(&body) {
        Ok(f) => f,
        Err(e) => return error_page(&c, &e),
    };
    let p = match checked(&c, &f) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let reason = field(&f, "reason").unwrap_or("").to_string();
    let path = format!("/manifests/{}", pct(field(&f, "manifest").unwrap_or("")));
    let r = st
        .db(
            move |s| match custodia_app::manifests::resolve_case(s, &p.actor, &case, &reason) {
                Ok(()) => Ok(Ok(())),
                Err(e) => {
                    let e: ApiError = e.into();
                    if e.status.is_server_error() {
                        Err(e)
                    } else {
                        Ok(Err(e))
                    }
                }
            },
        )
        .await;
    match r {
        Ok(r) => back(&path, r),
        Err(e) => error_page(&c, &e),
    }
}

// ---------------------------------------------------------------- auditor and proofs

#[derive(Debug, Default, serde::Deserialize)]
struct OversightQuery {
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// The oversight report (CONTRACT §9; `custodia report overrides`): approvals of
/// `needs_review` passengers with their justifications, refused departures, corrections, and
/// late records that sent a manifest back.
async fn oversight_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<OversightQuery>,
) -> Response {
    let common = Common {
        lang: q.lang.clone(),
    };
    let c = ctx(&st, &headers, &common, "/oversight".into()).await;
    let p = match role_ok(&c, &[Role::Auditor, Role::SendingSupervisor, Role::Admin]) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let month = q.month.clone().filter(|m| !m.is_empty());
    let m2 = month.clone();
    let r = st
        .db(move |s| {
            Ok(custodia_app::oversight::overrides(
                s,
                &p.actor,
                m2.as_deref(),
            )?)
        })
        .await;
    let r = match r {
        Ok(r) => r,
        Err(e) => return error_page(&c, &e),
    };
    let body = html! {
        form method="get" action="/oversight" class="stack" {
            label for="ov-month" { (c.t("month")) }
            input type="month" name="month" id="ov-month" value=(month.clone().unwrap_or_default());
            button type="submit" { (c.t("show")) }
        }
        section id="ov-approved" {
            h2 { (c.t("ov_approved")) " (" (r.approved_needs_review.len()) ")" }
            table tabindex="0" {
                tr { th { (c.t("when")) } th { (c.t("flight")) } th { (c.t("person")) } th { (c.t("justification")) } th { (c.t("approved_by")) } }
                @for a in &r.approved_needs_review {
                    tr { td { (fmt_time(c.lang, &a.at, "UTC")) } td { a href={ "/manifests/" (pct(&a.manifest_id)) } { (a.manifest_id) } }
                         td { a href={ "/persons/" (pct(&a.person_id)) } { (a.person_id) } } td { (a.text) } td { (a.approver) } }
                }
            }
        }
        section id="ov-refused" {
            h2 { (c.t("ov_refused")) " (" (r.refused_departures.len()) ")" }
            table tabindex="0" {
                tr { th { (c.t("when")) } th { (c.t("flight")) } th { (c.t("actor")) } th { (c.t("details")) } }
                @for d in &r.refused_departures {
                    tr { td { (fmt_time(c.lang, &d.at, "UTC")) } td { a href={ "/manifests/" (pct(&d.manifest_id)) } { (d.manifest_id) } }
                         td { (d.actor) } td { pre lang="en" { (d.detail) } } }
                }
            }
        }
        section id="ov-corrections" {
            h2 { (c.t("ov_corrections")) " (" (r.corrections.len()) ")" }
            table tabindex="0" {
                tr { th { (c.t("when")) } th { (c.t("person")) } th { (c.t("ov_field")) } th { (c.t("ov_value")) } th { (c.t("reason")) } th { (c.t("ov_proposed_by")) } th { (c.t("ov_confirmed_by")) } }
                @for k in &r.corrections {
                    tr { td { (fmt_time(c.lang, &k.proposed_at, "UTC")) } td { a href={ "/persons/" (pct(&k.correction.person_id)) } { (k.correction.person_id) } }
                         td { code { (k.correction.field) } } td { (k.correction.value) } td { (k.correction.reason) } td { (k.correction.proposed_by) }
                         td { (k.correction.confirmed_by.clone().unwrap_or_else(|| "—".into())) } }
                }
            }
        }
        section id="ov-late" {
            h2 { (c.t("ov_late")) " (" (r.late_records.len()) ")" }
            table tabindex="0" {
                tr { th { (c.t("when")) } th { (c.t("flight")) } th { (c.t("person")) } th { (c.t("ov_cause")) } th { (c.t("actor")) } }
                @for l in &r.late_records {
                    tr { td { (fmt_time(c.lang, &l.at, "UTC")) } td { a href={ "/manifests/" (pct(&l.manifest_id)) } { (l.manifest_id) } }
                         td { a href={ "/persons/" (pct(&l.person_id)) } { (l.person_id) } } td { code { (l.cause) } } td { (l.actor) } }
                }
            }
        }
    };
    page(&c, StatusCode::OK, c.t("oversight"), body)
}

async fn auditor_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Common>,
) -> Response {
    let c = ctx(&st, &headers, &q, "/auditor".into()).await;
    if let Err(r) = role_ok(&c, &[Role::Auditor, Role::Admin]) {
        return r;
    }
    let Some(p) = c.who.clone() else {
        return need_login(&c);
    };
    let st2 = st.clone();
    let data = st
        .db(move |s| {
            st2.flush_counts(s)?;
            Ok((
                s.checkpoints(20)?,
                s.locator_counts(30)?,
                s.access_log(None, 50)?,
                s.locator_withheld()?,
            ))
        })
        .await;
    let (cps, counts, reads, withheld) = match data {
        Ok(d) => d,
        Err(e) => return error_page(&c, &e),
    };
    let v = st.verify_cached();
    if v.is_none() {
        st.verify_start();
    }
    let body = html! {
        section id="verify" {
            h2 { (c.t("verify")) }
            @match &v {
                Some(x) if !x.running || x.result.is_ok() => {
                    @match &x.result {
                        Ok(s) => p class="flash" { code { (s) } " · " (fmt_time(c.lang, &x.at.to_string(), "UTC")) },
                        Err(s) => p class="err" { code { (s) } " · " (fmt_time(c.lang, &x.at.to_string(), "UTC")) },
                    }
                }
                _ => p { (c.t("verify_running")) },
            }
            form method="post" action="/auditor/verify" { (csrf_field(&p)) button type="submit" { (c.t("verify_again")) } }
        }
        section {
            h2 { (c.t("checkpoints")) }
            table id="checkpoints" tabindex="0" {
                tr { th { (c.t("size")) } th { (c.t("root")) } th { (c.t("note")) } }
                @for cp in &cps { tr { td { (cp.size) } td { code { (hex::encode(cp.root.0)) } } td { pre { (cp.note) } } } }
            }
        }
        section {
            h2 { (c.t("proof_check")) }
            p { a href="/proof" { (c.t("proof_check")) } }
            p { a href="/oversight" id="oversight-link" { (c.t("oversight")) } }
        }
        section {
            h2 { (c.t("locator_volume")) }
            table tabindex="0" { tr { th { (c.t("month")) } th { (c.t("anonymous")) } th { (c.t("authenticated")) } }
                @for d in &counts { tr { td { (d.day) } td { (d.anonymous) } td { (d.authenticated) } } } }
        }
        section id="withheld" {
            h2 { (c.t("withheld")) }
            @if withheld.is_empty() { p { (c.t("none")) } }
            @else {
                table tabindex="0" { tr { th { (c.t("persons")) } th { (c.t("requested_by")) } th { (c.t("reason")) } th { (c.t("actor")) } th { "seq" } }
                    @for w in &withheld {
                        tr { td { a href={ "/persons/" (pct(&w.person_id)) } { (w.person_id) } } td { (if w.requested_by == "counsel" { c.t("counsel") } else { c.t("the_person") }) } td { (w.reason) } td { (w.actor) } td { (w.seq) } }
                    }
                }
            }
        }
        section {
            h2 { (c.t("access_log")) }
            table tabindex="0" { @for r in &reads { tr { td { (r.seq) } td { (fmt_time(c.lang, &r.at, "UTC")) } td { (r.actor) } td { a href={ "/persons/" (pct(&r.person_id)) } { (r.person_id) } } } } }
        }
    };
    page(&c, StatusCode::OK, c.t("auditor"), body)
}

async fn verify_post(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let c = ctx(&st, &headers, &Common::default(), "/auditor".into()).await;
    let f = parse_form(&body).unwrap_or_default();
    match checked(&c, &f) {
        Ok(p) if matches!(p.actor.role, Role::Auditor | Role::Admin) => {
            st.verify_start();
            Redirect::to("/auditor").into_response()
        }
        Ok(_) => error_page(&c, &ApiError::forbidden(c.t("forbidden"))),
        Err(r) => r,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ProofQuery {
    pub lang: Option<String>,
    pub index: Option<u64>,
}

/// RFC 9162 §2.1.3.2 inclusion verification, in the browser, with SubtleCrypto SHA-256.
const PROOF_JS: &str = r#"
async function sha(parts){const n=parts.reduce((a,p)=>a+p.length,0);const b=new Uint8Array(n);let o=0;for(const p of parts){b.set(p,o);o+=p.length}return new Uint8Array(await crypto.subtle.digest('SHA-256',b))}
function unhex(h){h=h.trim();const b=new Uint8Array(h.length/2);for(let i=0;i<b.length;i++)b[i]=parseInt(h.substr(i*2,2),16);return b}
function hex(b){return Array.from(b).map(x=>x.toString(16).padStart(2,'0')).join('')}
async function check(ev){ev.preventDefault();const f=ev.target;const out=document.getElementById('proof-result');
 try{let fn=BigInt(f.index.value),sn=BigInt(f.size.value)-1n;if(fn>sn)throw 0;
 let r=f.leaf.value?await sha([new Uint8Array([0]),new TextEncoder().encode(f.leaf.value)]):unhex(f.leaf_hash.value);
 for(const line of f.proof.value.split(/\s+/).filter(x=>x)){const p=unhex(line);if(sn===0n)throw 0;
  if((fn&1n)===1n||fn===sn){r=await sha([new Uint8Array([1]),p,r]);if((fn&1n)===0n){while((fn&1n)===0n&&fn!==0n){fn>>=1n;sn>>=1n}}}
  else{r=await sha([new Uint8Array([1]),r,p])}fn>>=1n;sn>>=1n}
 const ok=sn===0n&&hex(r)===f.root.value.trim().toLowerCase();out.textContent=ok?out.dataset.ok:out.dataset.bad;out.className=ok?'flash':'err'}
 catch(e){out.textContent=out.dataset.bad;out.className='err'}}
document.getElementById('proof-form').addEventListener('submit',check);
"#;

/// The proof check's script, from a file of its own: the CSP allows no inline script.
async fn proof_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PROOF_JS,
    )
        .into_response()
}

async fn proof_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ProofQuery>,
) -> Response {
    let c = ctx(
        &st,
        &headers,
        &Common {
            lang: q.lang.clone(),
        },
        "/proof".into(),
    )
    .await;
    let p = match role_ok(&c, ALL) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let idx = q.index;
    let data = st
        .db(move |s| {
            let Some(i) = idx else { return Ok(None) };
            let pr = s.prove(i, None)?;
            let root = s.root_at(pr.size)?;
            let leaf = s.leaf(i)?.unwrap_or_default();
            // A leaf can hold a person's name, birth date and legal records (issue 18): its
            // content goes only to whoever may read that person, and the read is logged;
            // everyone else gets its hash, which is all a proof needs.
            let person = crate::reads::leaf_person(&leaf);
            let shown = match &person {
                None => true,
                Some(pid) => {
                    p.actor.role == Role::Auditor
                        || s.person_scope(pid)?
                            .is_some_and(|scope| crate::auth::may_see_person(&p.actor, &scope))
                }
            };
            let hash = hex::encode(custodia_ledger::leaf_hash(leaf.as_bytes()).0);
            let read = person.filter(|_| shown).map(|pid| (p.actor.id(), pid));
            Ok(Some((
                pr,
                root,
                if shown { leaf } else { String::new() },
                hash,
                read,
            )))
        })
        .await;
    // The content of a leaf naming a person is a read of that person, on the ledger first.
    let data = match data {
        Ok(Some((pr, root, leaf, hash, Some((actor, pid))))) => st
            .record_read(actor, api::read_event(&pid))
            .await
            .map(|()| Some((pr, root, leaf, hash))),
        Ok(Some((pr, root, leaf, hash, None))) => Ok(Some((pr, root, leaf, hash))),
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    let (index, size, leaf, leaf_hash, proof, root) = match data {
        Ok(Some((pr, root, leaf, hash))) => (
            pr.index.to_string(),
            pr.size.to_string(),
            leaf,
            hash,
            pr.proof
                .iter()
                .map(|h| hex::encode(h.0))
                .collect::<Vec<_>>()
                .join("\n"),
            hex::encode(root.0),
        ),
        Ok(None) => Default::default(),
        Err(e) => return error_page(&c, &e),
    };
    let body = html! {
        form id="proof-form" {
            p { label { (c.t("index")) " " input name="index" value=(index); } " " label { (c.t("size")) " " input name="size" value=(size); } }
            p { label { (c.t("leaf")) br; textarea name="leaf" rows="4" cols="100" { (leaf) } } }
            p { label { (c.t("leaf_hash")) " " input name="leaf_hash" size="70" value=(leaf_hash); } }
            p { label { (c.t("proof_hashes")) br; textarea name="proof" rows="8" cols="70" { (proof) } } }
            p { label { (c.t("root")) " " input name="root" size="70" value=(root); } }
            button type="submit" id="proof-check" { (c.t("check")) }
        }
        p id="proof-result" role="status" data-ok=(c.t("proof_ok")) data-bad=(c.t("proof_bad")) {}
        script src="/static/proof.js" {}
    };
    page(&c, StatusCode::OK, c.t("proof_check"), body)
}
