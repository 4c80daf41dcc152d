//! The web interface: server-rendered HTML (maud), English and Spanish, charts as SVG drawn
//! here, no JavaScript except the in-browser proof check on the proof page.
//!
//! One module per resource, each with its routes beside its handlers: [`session`] (login,
//! logout), [`reports`] (dashboard, standards, costs), [`locator`], [`persons`],
//! [`manifests`], [`auditor`]; the shared chrome (context, session and CSRF extractors,
//! layout, flash, formatting) is [`chrome`], the SVG charts [`charts`].
//!
//! Browser identities are the API's tokens: `/login` takes a token and opens a session
//! (cookie `HttpOnly; SameSite=Strict`, only its hash stored). Every form carries the
//! session's CSRF token, checked on POST ([`chrome::Post`]); the login form uses a
//! double-submit cookie.

pub mod auditor;
pub mod charts;
pub mod chrome;
pub mod locator;
pub mod manifests;
pub mod persons;
pub mod reports;
pub mod session;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use crate::AppState;
use chrome::{Ctx, page};

pub use charts::{ImplLang, bar_chart, cell_colour, heat_map};
pub use chrome::{error_text, fmt_dec, fmt_int, fmt_time, pct, with_lang, zone_of};
pub(crate) use reports::warm;

/// The routes of the pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(session::routes())
        .merge(reports::routes())
        .merge(locator::routes())
        .merge(persons::routes())
        .merge(manifests::routes())
        .merge(auditor::routes())
        .fallback(not_found_page)
}

/// A real 404 page, in the visitor's language.
async fn not_found_page(c: Ctx) -> Response {
    let body = html! {
        p data-code="not_found" { (c.t("page_not_found_text")) }
        p { a href="/" { (c.t("home")) } " · " a href="/locator" { (c.t("locator")) } }
    };
    page(&c, StatusCode::NOT_FOUND, c.t("page_not_found"), body)
}
