//! The OpenAPI document (`/api/openapi.json`) is a well-formed OpenAPI 3.1 description and
//! agrees with the router: the same paths and methods, every path parameter declared and
//! required, every query parameter of a handler's parameter struct declared `in: query`,
//! a summary on every operation, one error schema on every error answer, 401/403 where a
//! token is needed, and every `$ref` resolves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::Request;
use custodia_server::{Config, app};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The sources that hold routes: the API (one module per resource), the custody-law
/// routes (CONTRACT §9), the witnesses and the federation.
const SOURCES: [&str; 10] = [
    include_str!("../src/api/mod.rs"),
    include_str!("../src/api/log.rs"),
    include_str!("../src/api/locator.rs"),
    include_str!("../src/api/persons.rs"),
    include_str!("../src/api/manifests.rs"),
    include_str!("../src/api/housing.rs"),
    include_str!("../src/api/admin.rs"),
    include_str!("../src/law.rs"),
    include_str!("../src/witnesses.rs"),
    include_str!("../src/federation.rs"),
];
static ALL_SRC: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| SOURCES.join("\n"));

/// `(path, method) -> handler` from the router's source.
fn routes() -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for src in SOURCES {
        let routes_fn = src
            .split("pub fn routes()")
            .nth(1)
            .unwrap()
            .split("\n}\n")
            .next()
            .unwrap();
        for part in routes_fn.split(".route(").skip(1) {
            let part = part.trim_start().strip_prefix('"').unwrap();
            let path = part.split('"').next().unwrap().to_string();
            if path.contains('*') {
                continue;
            }
            let call = &part[path.len() + 1..];
            for m in ["get", "post", "put", "delete", "patch"] {
                for piece in call.split(&format!("{m}(")).skip(1) {
                    let handler = piece
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap();
                    out.insert((path.clone(), m.to_string()), handler.to_string());
                }
            }
        }
    }
    out
}

/// The fields of `pub struct NAME { pub field: … }` in the source.
fn fields(name: &str) -> BTreeSet<String> {
    let start = ALL_SRC
        .find(&format!("pub struct {name} {{"))
        .unwrap_or_else(|| panic!("no struct {name}"));
    let body = ALL_SRC[start..].split("\n}").next().unwrap();
    body.lines()
        .filter_map(|l| l.trim().strip_prefix("pub "))
        .filter_map(|l| l.split(':').next())
        .filter(|f| !f.contains(' '))
        .map(str::to_string)
        .collect()
}

/// The query-parameter struct a handler extracts, if any.
fn params_struct(handler: &str) -> Option<String> {
    let start = ALL_SRC.find(&format!("pub async fn {handler}("))?;
    let sig = ALL_SRC[start..].split('{').next()?;
    if let Some(i) = sig.find("Query<") {
        return Some(sig[i + 6..].split('>').next()?.to_string());
    }
    // The locator parses its query by hand from the request.
    if !sig.contains("Request") {
        return None;
    }
    let body = &ALL_SRC[start..start + 800.min(ALL_SRC.len() - start)];
    body.find("Query::<").map(|i| {
        body[i + 8..]
            .split('>')
            .next()
            .unwrap_or_default()
            .to_string()
    })
}

fn resolve<'a>(doc: &'a Value, r: &str) -> &'a Value {
    let mut v = doc;
    for seg in r.trim_start_matches("#/").split('/') {
        v = &v[seg];
    }
    assert!(!v.is_null(), "unresolved $ref {r}");
    v
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push(x.as_str().unwrap().to_string());
                } else {
                    refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_valid_and_agrees_with_the_router() {
    let f = common::fixture(Config::default());
    let resp = app(f.state.clone())
        .oneshot(
            Request::builder()
                .uri("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let doc: Value =
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in &all {
        assert!(r.starts_with("#/components/"), "{r}");
        resolve(&doc, r);
    }

    let router = routes();
    assert!(router.len() > 25, "{router:?}");
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            documented.insert((path.clone(), method.clone()));
            let what = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{what}: no summary"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|k| k.starts_with('2')), "{what}");
            for (code, r) in responses {
                let r = if let Some(x) = r.get("$ref") {
                    resolve(&doc, x.as_str().unwrap())
                } else {
                    r
                };
                assert!(r["description"].is_string(), "{what} {code}");
                if code.starts_with('4') || code.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{what} {code}"
                    );
                }
            }
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x.get("bearer").is_some()));
            let optional = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|x| x.as_object().is_some_and(|o| o.is_empty()))
            });
            if secured {
                assert!(responses.contains_key("401"), "{what}: no 401");
                if !optional {
                    assert!(responses.contains_key("403"), "{what}: no 403");
                }
            }
            // Parameters: well-formed; path ones match the template, all required.
            let params: Vec<&Value> = op["parameters"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            for p in &params {
                let i = p["in"].as_str().unwrap();
                assert!(matches!(i, "query" | "path" | "header"), "{what}: in {i}");
                assert!(
                    p["name"].is_string() && p["schema"].is_object(),
                    "{what}: {p}"
                );
                if i == "path" {
                    assert_eq!(p["required"], true, "{what}: {p}");
                }
            }
            let in_template: BTreeSet<String> = path
                .split('{')
                .skip(1)
                .map(|x| x.split('}').next().unwrap().to_string())
                .collect();
            let declared: BTreeSet<String> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(in_template, declared, "{what}: path parameters");
            // Query parameters: exactly the fields of the handler's parameter struct.
            let handler = router
                .get(&(path.clone(), method.clone()))
                .unwrap_or_else(|| panic!("{what} is documented but not routed"));
            let query: BTreeSet<String> = params
                .iter()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
            match params_struct(handler) {
                Some(s) => assert_eq!(query, fields(&s), "{what}: query parameters of {s}"),
                None => assert!(query.is_empty(), "{what}: {query:?} but no query struct"),
            }
        }
    }
    // The locator's required parameters.
    let locate = &doc["paths"]["/api/v1/locate"]["get"];
    let req: BTreeMap<String, bool> = locate["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["required"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert!(req["family"]);
    assert!(req["given"]);
    assert!(!req["country"]);
    for code in ["200", "422", "429"] {
        assert!(locate["responses"].get(code).is_some(), "locate: {code}");
    }
    assert_eq!(
        locate["responses"]["200"]["content"]["application/json"]["schema"]["type"],
        "array"
    );
    let routed: BTreeSet<(String, String)> = router.keys().cloned().collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    assert!(missing.is_empty(), "routed but not documented: {missing:?}");
}
