//! The pages' chrome: the request's context ([`Ctx`]: language, session, flash message)
//! and the extractors that check who is asking ([`Signed`]: a session whose role may see the
//! page, else the login redirect or a 403 page; [`Post`]: a form post (`axum::Form`, typed)
//! whose session's CSRF token matches, compared in constant time with `subtle`), the
//! layout, the flash cookie (`axum-extra`'s `CookieJar`), and the formatting helpers every
//! page uses.

use std::convert::Infallible;
use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use custodia_app::Role;
use custodia_model::events::CustodyStatus;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq as _;

use crate::AppState;
use crate::auth::{self, Principal, SESSION_COOKIE};
use crate::error::ApiError;
use crate::extract::Roles;
use crate::i18n::{Lang, t};

/// Common query: the language switch.
#[derive(Debug, Default, Deserialize)]
pub struct Common {
    pub lang: Option<String>,
}

/// What every page needs to know about its request.
pub struct Ctx {
    pub lang: Lang,
    set_lang: bool,
    /// The signed-in session, if any.
    pub who: Option<Principal>,
    /// Where the login sends the visitor back to.
    pub path: String,
    /// The request's path and query, for the language switch.
    pub uri: String,
    /// A message left by the previous request (cookie `flash`), shown once.
    flash: Option<Flash>,
}

impl Ctx {
    pub fn t(&self, k: &str) -> &'static str {
        t(self.lang, k)
    }
}

/// Never refuses: a page without a session is still a page (the locator, the login), and a
/// session that cannot be read is no session.
impl FromRequestParts<AppState> for Ctx {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Infallible> {
        let jar = CookieJar::from_headers(&parts.headers);
        let query_lang = axum::extract::Query::<Common>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.lang);
        let lang = Lang::detect(query_lang.as_deref(), &parts.headers);
        let who = match jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
            Some(id) => st
                .db(move |s| auth::by_session(s, &id))
                .await
                .ok()
                .flatten(),
            None => None,
        };
        let uri = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_string(), ToString::to_string);
        Ok(Self {
            lang,
            set_lang: query_lang.as_deref().and_then(Lang::parse).is_some(),
            who,
            path: parts.uri.path().to_string(),
            uri,
            flash: Flash::from_jar(&jar),
        })
    }
}

async fn ctx_of(parts: &mut Parts, st: &AppState) -> Ctx {
    match Ctx::from_request_parts(parts, st).await {
        Ok(c) => c,
        Err(never) => match never {},
    }
}

/// A page for signed-in roles `R`: its context and the session's principal. Without a
/// session the visitor is sent to the login (and back here after it); a role not in `R`
/// gets the 403 page.
pub struct Signed<R>(pub Ctx, pub Principal, pub PhantomData<fn() -> R>);

impl<R: Roles> FromRequestParts<AppState> for Signed<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let c = ctx_of(parts, st).await;
        match c.who.clone() {
            None => Err(need_login(&c)),
            Some(p) if R::ROLES.contains(&p.actor.role) => Ok(Self(c, p, PhantomData)),
            Some(_) => Err(error_page(&c, &ApiError::forbidden(c.t("forbidden")))),
        }
    }
}

/// The page a form post returns to (the login's `next`): the page that holds the form.
fn page_of_post(path: &str) -> String {
    match path {
        "/login" => path.to_string(),
        "/auditor/verify" => "/auditor".into(),
        _ => ["/action", "/records", "/withhold"]
            .iter()
            .find_map(|s| path.strip_suffix(s))
            .unwrap_or("/")
            .to_string(),
    }
}

/// A form posted from a page (`application/x-www-form-urlencoded`, decoded by `axum::Form`
/// into `T`), with the page's context; a form that does not decode gets the error page.
pub struct PageForm<T> {
    pub c: Ctx,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let mut c = ctx_of(&mut parts, st).await;
        c.path = page_of_post(parts.uri.path());
        match axum::Form::<T>::from_request(Request::from_parts(parts, body), st).await {
            Ok(axum::Form(form)) => Ok(Self { c, form }),
            Err(e) => {
                let code = if e.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                    "unsupported_media_type"
                } else {
                    "bad_request"
                };
                let e = ApiError::new(e.status(), code, format!("form: {}", e.body_text()));
                Err(error_page(&c, &e))
            }
        }
    }
}

/// A form that carries the session's CSRF token (field `csrf`).
pub trait CsrfForm: DeserializeOwned + Send {
    fn csrf(&self) -> &str;
}

/// A state-changing form post: the form ([`PageForm`]), a session (else the login
/// redirect), and the session's CSRF token in the form (else the 403 page).
pub struct Post<T> {
    pub c: Ctx,
    pub p: Principal,
    pub form: T,
}

impl<T: CsrfForm> FromRequest<AppState> for Post<T> {
    type Rejection = Response;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Response> {
        let PageForm { c, form } = PageForm::<T>::from_request(req, st).await?;
        let p = c.who.clone().ok_or_else(|| need_login(&c))?;
        let want = p.csrf.clone().unwrap_or_default();
        if want.is_empty() || !same(form.csrf(), &want) {
            return Err(error_page(
                &c,
                &ApiError::new(StatusCode::FORBIDDEN, "csrf_failed", ""),
            ));
        }
        Ok(Self { c, p, form })
    }
}

/// A form with nothing but the CSRF token.
#[derive(Debug, Default, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

impl CsrfForm for CsrfOnly {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Constant-time equality for secrets (`subtle`).
pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A one-time message carried by the `flash` cookie across a redirect (never in the URL).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Flash {
    ok: bool,
    code: String,
    detail: String,
}

const FLASH_COOKIE: &str = "custodia_flash";

/// A cookie with this server's attributes: `Path`, `HttpOnly`, `SameSite`, and `Max-Age`
/// when given.
pub fn cookie(
    name: &'static str,
    value: String,
    path: &'static str,
    max_age: Option<i64>,
    same_site: SameSite,
    http_only: bool,
) -> Cookie<'static> {
    let mut c = Cookie::build((name, value))
        .path(path)
        .same_site(same_site)
        .http_only(http_only);
    if let Some(s) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(s));
    }
    c.build()
}

impl Flash {
    fn cookie(&self) -> Cookie<'static> {
        let v = format!(
            "{}|{}|{}",
            if self.ok { "ok" } else { "err" },
            self.code,
            self.detail
        );
        // The jar percent-encodes the value, and decodes it when it comes back.
        cookie(FLASH_COOKIE, v, "/", Some(120), SameSite::Strict, true)
    }
    fn from_jar(jar: &CookieJar) -> Option<Self> {
        let raw = jar.get(FLASH_COOKIE)?;
        let mut it = raw.value().splitn(3, '|');
        let ok = it.next()? == "ok";
        let code = it.next()?.to_string();
        let detail = it.next().unwrap_or("").to_string();
        (!code.is_empty()).then_some(Self { ok, code, detail })
    }
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

fn css() -> &'static str {
    // Mobile first: nothing may lay out wider than the viewport (390 px phones); a table
    // scrolls inside its own box, charts shrink, long codes wrap.
    "*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}\
     body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa;overflow-wrap:anywhere}\
     header{background:#1d3557;color:#fff;padding:.6rem 1rem;display:flex;gap:.5rem 1rem;align-items:center;flex-wrap:wrap}\
     header a{color:#fff}header form{display:inline;margin:0}main{padding:1rem;max-width:1200px}\
     a{color:#0b4f8a}header a{color:#fff}\
     table{border-collapse:collapse;margin:.5rem 0;display:block;overflow-x:auto;max-width:100%;overflow-wrap:normal}\
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

pub fn page(c: &Ctx, status: StatusCode, title: &str, body: Markup) -> Response {
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
    let mut jar = CookieJar::new();
    if c.flash.is_some() {
        jar = jar.add(cookie(
            FLASH_COOKIE,
            String::new(),
            "/",
            Some(0),
            SameSite::Strict,
            true,
        ));
    }
    if c.set_lang {
        jar = jar.add(cookie(
            "lang",
            l.tag().to_string(),
            "/",
            Some(31_536_000),
            SameSite::Lax,
            false,
        ));
    }
    (status, jar, axum::response::Html(m.into_string())).into_response()
}

pub fn error_page(c: &Ctx, e: &ApiError) -> Response {
    let title = match e.status {
        // A refused role; an expired form is refused with 403 too, but not for the role.
        StatusCode::FORBIDDEN if e.code == "forbidden" => c.t("forbidden"),
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

pub fn need_login(c: &Ctx) -> Response {
    Redirect::to(&format!("/login?next={}", pct(&c.path))).into_response()
}

/// Percent-encodes a path segment or a query value (`percent-encoding`): everything but
/// ASCII letters, digits and `-_.~/`.
pub fn pct(s: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(s, KEEP).to_string()
}

pub fn csrf_field(p: &Principal) -> Markup {
    html! { input type="hidden" name="csrf" value=(p.csrf.clone().unwrap_or_default()); }
}

/// Back to `path` after a form post, with the outcome in the flash cookie.
pub fn back(path: &str, r: Result<(), ApiError>) -> Response {
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
    (CookieJar::new().add(f.cookie()), Redirect::to(path)).into_response()
}

/// A use case's refusal is the flash message of the page sent back to; a server error is
/// the error page.
pub fn refusal(r: Result<(), ApiError>) -> Result<Result<(), ApiError>, ApiError> {
    match r {
        Ok(()) => Ok(Ok(())),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) => Ok(Err(e)),
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

/// An amount (`1234567.89`) with the separators of `l`.
pub fn money(l: Lang, amount: &str) -> String {
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

/// The country names of the page's language.
pub fn country_lang(l: Lang) -> custodia_model::country::Language {
    match l {
        Lang::En => custodia_model::country::Language::En,
        Lang::Es => custodia_model::country::Language::Es,
    }
}

/// A country's name in the page's language (the code when the table lacks it).
pub fn country_name(l: Lang, code: &str) -> String {
    custodia_model::country::parse(code)
        .and_then(|c| custodia_model::country::name(c, country_lang(l)))
        .map_or_else(|| code.to_string(), str::to_string)
}

/// A custody status in words.
pub fn status_words(c: &Ctx, status: Option<CustodyStatus>) -> &'static str {
    match status {
        Some(CustodyStatus::InCustody) => c.t("status_in_custody"),
        Some(CustodyStatus::Released) => c.t("status_released"),
        Some(CustodyStatus::Removed) => c.t("status_removed"),
        Some(CustodyStatus::Transferred) => c.t("status_transferred"),
        Some(CustodyStatus::Deceased) => c.t("status_deceased"),
        None => c.t("status_unknown"),
    }
}

/// An error's code in the page's language; the English detail, when it adds something,
/// follows in a `lang="en"` aside.
pub fn error_text(l: Lang, e: &ApiError) -> Markup {
    code_text(l, e.code, &e.message)
}

pub fn code_text(l: Lang, code: &str, detail: &str) -> Markup {
    let key = format!("err_{code}");
    let known = crate::i18n::has(&key);
    html! {
        @if known { (t(l, &key)) } @else { (t(l, "err_generic")) }
        @if !detail.is_empty() && (!known || matches!(code, "invalid" | "conflict" | "not_found" | "forbidden" | "bad_request")) {
            " " small lang="en" { (detail) }
        }
    }
}

pub fn outcome_class(o: &str) -> &'static str {
    match o {
        "blocked" => "blocked",
        "needs_review" => "needs_review",
        "eligible" => "eligible",
        _ => "",
    }
}

pub fn findings(v: &serde_json::Value) -> Markup {
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
