//! Every page in Spanish shows no string of the English catalogue and no key; errors are
//! translated by their code; flash messages travel in a cookie, never in the URL; the
//! language switch keeps the path and the query; an unknown page is a real 404 page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use custodia_app::Role;
use custodia_server::i18n::STRINGS;
use custodia_server::{Config, app};
use http_body_util::BodyExt;
use tower::ServiceExt;

use common::Fixture;

async fn page(f: &Fixture, uri: &str, cookie: Option<&str>) -> (StatusCode, String, Vec<String>) {
    let mut b = Request::builder().uri(uri);
    if let Some(c) = cookie {
        b = b.header("cookie", c);
    }
    let r = app(f.state.clone())
        .oneshot(b.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = r.status();
    let cookies = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let html =
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, html, cookies)
}

/// The visible text of a page: no style, no script, no English asides (`lang="en"`), no
/// tags; attributes a person reads (`aria-label`, `placeholder`, `title`) kept.
fn visible_text(html: &str) -> String {
    let mut s = html.to_string();
    for (open, close) in [
        ("<style", "</style>"),
        ("<script", "</script>"),
        ("<small lang=\"en\"", "</small>"),
    ] {
        while let Some(i) = s.find(open) {
            let j = s[i..].find(close).map_or(s.len(), |j| i + j + close.len());
            s.replace_range(i..j, " ");
        }
    }
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let j = rest[i..].find('>').map_or(rest.len(), |j| i + j + 1);
        let tag = &rest[i..j];
        for attr in ["aria-label=\"", "placeholder=\"", "title=\""] {
            if let Some(k) = tag.find(attr) {
                out.push(' ');
                out.push_str(tag[k + attr.len()..].split('"').next().unwrap_or_default());
            }
        }
        out.push(' ');
        rest = &rest[j..];
    }
    out.push_str(rest);
    out.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

fn english_in(text: &str) -> Vec<&'static str> {
    STRINGS
        .iter()
        .filter(|(_, en, es)| en != es && (en.contains(' ') || en.len() >= 6))
        .filter(|(_, en, _)| {
            text.match_indices(en).any(|(i, _)| {
                let before = text[..i].chars().next_back();
                let after = text[i + en.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            })
        })
        .map(|(_, en, _)| *en)
        .collect()
}

fn keys_in(text: &str) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = STRINGS
        .iter()
        .filter(|(k, _, _)| k.contains('_') && text.contains(k))
        .map(|(k, _, _)| *k)
        .collect();
    if text.contains("??") {
        v.push("??");
    }
    v
}

#[tokio::test]
async fn spanish_pages_carry_no_english_catalogue_string_and_no_key() {
    let f = common::fixture(Config {
        rate_limits: false,
        ..Config::default()
    });
    let session = {
        let mut s = common::open(&f.path, f.clock.clone());
        let (id, _) =
            custodia_server::auth::open_session(&mut s, &f.tokens[&Role::SendingSupervisor], 12)
                .unwrap()
                .unwrap();
        format!("custodia_session={id}; lang=es")
    };
    let auditor = {
        let mut s = common::open(&f.path, f.clock.clone());
        let (id, _) = custodia_server::auth::open_session(&mut s, &f.tokens[&Role::Auditor], 12)
            .unwrap()
            .unwrap();
        format!("custodia_session={id}; lang=es")
    };
    let public = [
        "/?lang=es",
        "/locator?lang=es",
        "/locator?lang=es&family=Martinez%20Hernandez&given=Jose&country=El%20Salvador",
        "/locator?lang=es&family=Martinez",
        "/locator?lang=es&family=Martinez&given=Jose&country=Narnia",
        "/login?lang=es",
        "/nothing/here?lang=es",
    ];
    let staff = [
        "/?lang=es".to_string(),
        "/manifests?lang=es".into(),
        format!("/manifests/{}?lang=es", f.manifest),
        format!("/persons/{}?lang=es", f.at_cecot),
        "/persons?lang=es&q=a".into(),
        "/standards?lang=es".into(),
        "/costs?lang=es".into(),
        "/oversight?lang=es".into(),
    ];
    let mut bad = Vec::new();
    let mut check = |uri: &str, html: &str| {
        assert!(html.contains("<html lang=\"es\">"), "{uri}");
        let text = visible_text(html);
        for e in english_in(&text) {
            bad.push(format!("{uri}: English `{e}`"));
        }
        for k in keys_in(&text) {
            bad.push(format!("{uri}: key `{k}`"));
        }
    };
    for uri in public {
        let (_, html, _) = page(&f, uri, None).await;
        check(uri, &html);
    }
    for uri in &staff {
        let (s, html, _) = page(&f, uri, Some(&session)).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        check(uri, &html);
    }
    for uri in ["/auditor?lang=es", "/proof?index=3&lang=es"] {
        let (s, html, _) = page(&f, uri, Some(&auditor)).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        check(uri, &html);
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[tokio::test]
async fn errors_are_translated_by_code_and_the_404_page_is_real() {
    let f = common::fixture(Config::default());
    let (s, html, _) = page(&f, "/locator?lang=es&family=Martinez", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("data-code=\"locate_too_vague\""), "{html}");
    assert!(html.contains("demasiado vaga"), "{html}");
    let (s, html, _) = page(&f, "/no/such/page?lang=es", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("Página no encontrada"), "{html}");
    assert!(html.contains("<html lang=\"es\">"));
    let (s, html, _) = page(&f, "/no/such/page", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"), "{html}");
    // The API keeps its JSON 404.
    let (s, body, _) = page(&f, "/api/v1/nothing", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body.contains("\"code\":\"not_found\""), "{body}");
}

#[tokio::test]
async fn the_language_switch_keeps_the_path_and_the_query() {
    let f = common::fixture(Config::default());
    let (_, html, _) = page(
        &f,
        "/locator?family=Perez&given=Ana&country=SV&lang=en",
        None,
    )
    .await;
    let i = html.find("id=\"lang-switch\"").unwrap();
    let tag_start = html[..i].rfind("<a ").unwrap();
    let tag = &html[tag_start..i];
    assert!(
        tag.contains("href=\"/locator?family=Perez&amp;given=Ana&amp;country=SV&amp;lang=es\""),
        "{tag}"
    );
}

#[tokio::test]
async fn flash_messages_travel_in_a_cookie_not_the_url() {
    let f = common::fixture(Config::default());
    // A failed sign-in: the redirect carries no message; a cookie does, shown once.
    let (_, html, cookies) = page(&f, "/login?lang=es", None).await;
    let csrf = cookies
        .iter()
        .find_map(|c| c.strip_prefix("custodia_csrf="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(html.contains("Iniciar sesión"));
    let r = app(f.state.clone())
        .oneshot(
            Request::builder()
                .method("POST")
                .uri("/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", format!("custodia_csrf={csrf}; lang=es"))
                .body(Body::from(format!("csrf={csrf}&token=nope&next=%2F")))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(!loc.contains("msg=") && !loc.contains("error="), "{loc}");
    let flash = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("custodia_flash="))
        .unwrap();
    let flash = flash.split(';').next().unwrap().to_string();
    let (_, html, cookies) = page(&f, &loc, Some(&format!("{flash}; lang=es"))).await;
    assert!(html.contains("Ese token no es válido."), "{html}");
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("custodia_flash=;") && c.contains("Max-Age=0")),
        "{cookies:?}"
    );
}

#[tokio::test]
async fn staff_search_folds_names_and_pages() {
    let f = common::fixture(Config::default());
    let cookie = {
        let mut s = common::open(&f.path, f.clock.clone());
        let (id, _) =
            custodia_server::auth::open_session(&mut s, &f.tokens[&Role::SendingOfficer], 12)
                .unwrap()
                .unwrap();
        format!("custodia_session={id}")
    };
    for q in ["martinez", "MARTÍNEZ%20jose", "hernandez%20martinez", "T-1"] {
        let (s, html, _) = page(&f, &format!("/persons?q={q}"), Some(&cookie)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Martínez Hernández"), "{q}: {html}");
    }
    let (_, html, _) = page(&f, "/persons?q=", Some(&cookie)).await;
    assert!(
        html.contains("id=\"next-page\""),
        "more than one page of persons"
    );
    let (_, html2, _) = page(&f, "/persons?q=&page=1", Some(&cookie)).await;
    assert!(html2.contains("rel=\"prev\""));
    let first_ids = |h: &str| -> Vec<String> {
        h.split("href=\"/persons/")
            .skip(1)
            .map(|x| x.split('"').next().unwrap().to_string())
            .collect()
    };
    let (a, b) = (first_ids(&html), first_ids(&html2));
    assert_eq!(a.len(), 50);
    assert!(a.iter().all(|x| !b.contains(x)), "pages do not overlap");
}

/// The heat map's colour for each cell, by cell id.
fn heat(html: &str) -> std::collections::BTreeMap<String, String> {
    html.split("<rect class=\"cell\"")
        .skip(1)
        .map(|r| {
            let fill = r
                .split("fill=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let id = r
                .split("<title>")
                .nth(1)
                .unwrap()
                .split(':')
                .next()
                .unwrap();
            (id.to_string(), fill.to_string())
        })
        .collect()
}

#[tokio::test]
async fn the_heat_map_agrees_with_the_standards_report() {
    let f = common::fixture(Config::default());
    let cookie = {
        let mut s = common::open(&f.path, f.clock.clone());
        let (id, _) = custodia_server::auth::open_session(&mut s, &f.tokens[&Role::Auditor], 12)
            .unwrap()
            .unwrap();
        format!("custodia_session={id}")
    };
    let (s, dash, _) = page(&f, "/?facility=CECOT", Some(&cookie)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, std, _) = page(&f, "/standards?facility=CECOT", Some(&cookie)).await;
    assert_eq!(s, StatusCode::OK, "{std}");
    let (a, b) = (heat(&dash), heat(&std));
    assert!(a.len() >= 200, "{}", a.len());
    let green = custodia_server::ui::cell_colour(Some(100.0));
    for (id, fill) in &a {
        let other = b
            .get(id)
            .unwrap_or_else(|| panic!("{id} missing from the report"));
        assert_eq!(fill == green, other == green, "{id}: {fill} vs {other}");
    }
    // The report's verdict on space matches the colours.
    let out = std.contains("data-finding=\"space\" data-out=\"true\"");
    assert_eq!(out, a.values().any(|x| x != green && x != "#e0e0e0"));
}
