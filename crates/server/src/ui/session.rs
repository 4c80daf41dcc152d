//! Signing in and out. Browser identities are the API's tokens: `/login` takes a token and
//! opens a session (cookie `HttpOnly; SameSite=Strict`, only its hash stored); the login
//! form carries a double-submit CSRF cookie, every later form the session's own token.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{CookieJar, SameSite};
use maud::html;
use serde::Deserialize;

use super::chrome::{CsrfOnly, Ctx, PageForm, Post, back, cookie, error_page, page, pct, same};
use crate::AppState;
use crate::auth::{self, SESSION_COOKIE};
use crate::error::ApiError;

/// The login form's double-submit CSRF cookie.
const CSRF_COOKIE: &str = "custodia_csrf";

/// How long a session lasts.
const SESSION_HOURS: i64 = 12;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

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

async fn login_form(c: Ctx, jar: CookieJar, Query(q): Query<LoginQuery>) -> Response {
    let pre = jar
        .get(CSRF_COOKIE)
        .map(|v| v.value().to_string())
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
    let jar = CookieJar::new().add(cookie(
        CSRF_COOKIE,
        pre,
        "/login",
        None,
        SameSite::Strict,
        true,
    ));
    (jar, page(&c, StatusCode::OK, c.t("login"), body)).into_response()
}

/// The login form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    csrf: String,
    token: String,
    next: Option<String>,
}

async fn login(State(st): State<AppState>, jar: CookieJar, f: PageForm<LoginForm>) -> Response {
    let PageForm { c, form: f } = f;
    let want = jar
        .get(CSRF_COOKIE)
        .map(|v| v.value().to_string())
        .unwrap_or_default();
    if want.is_empty() || !same(&f.csrf, &want) {
        return error_page(&c, &ApiError::new(StatusCode::FORBIDDEN, "csrf_failed", ""));
    }
    let token = f.token.trim().to_string();
    let next = safe_next(f.next.as_deref());
    let r = st
        .db(move |s| auth::open_session(s, &token, SESSION_HOURS))
        .await;
    match r {
        Ok(Some((id, _))) => {
            let mut session = cookie(
                SESSION_COOKIE,
                id,
                "/",
                Some(SESSION_HOURS * 3600),
                SameSite::Strict,
                true,
            );
            session.set_secure(st.0.config.secure_cookies);
            (CookieJar::new().add(session), Redirect::to(&next)).into_response()
        }
        Ok(None) => back(
            &format!("/login?next={}", pct(&next)),
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "login_failed", "")),
        ),
        Err(e) => error_page(&c, &e),
    }
}

async fn logout(State(st): State<AppState>, jar: CookieJar, _: Post<CsrfOnly>) -> Response {
    if let Some(id) = jar.get(SESSION_COOKIE) {
        let h = auth::sha256_hex(id.value().as_bytes());
        let _ = st.db(move |s| Ok(s.delete_session(&h)?)).await;
    }
    let gone = cookie(
        SESSION_COOKIE,
        String::new(),
        "/",
        Some(0),
        SameSite::Strict,
        true,
    );
    (CookieJar::new().add(gone), Redirect::to("/")).into_response()
}
