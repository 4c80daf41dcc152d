//! The routes of CONTRACT §9 through `oneshot`: the role matrix (401 without a token, 403 for
//! a role that may not, counsel on a non-client 403), and the two-person rule on corrections
//! comparing names across roles.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use custodia_app::Role;
use custodia_server::{Config, app};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use common::{Fixture, fixture};

async fn call(
    f: &Fixture,
    method: &str,
    uri: &str,
    role: Option<Role>,
    body: Option<&str>,
) -> (u16, Value) {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(r) = role {
        b = b.header("authorization", format!("Bearer {}", f.tokens[&r]));
    }
    if body.is_some() {
        b = b.header("content-type", "application/json");
    }
    let req = b
        .body(body.map_or_else(Body::empty, |s| Body::from(s.to_string())))
        .unwrap();
    let resp = app(f.state.clone()).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn clock_to(f: &Fixture, t: &str) {
    f.clock.set(t.parse().unwrap());
}

#[tokio::test]
async fn role_matrix_of_the_custody_law_routes() {
    let f = fixture(Config::default());
    clock_to(&f, "2025-06-01T12:00:00Z");
    let stay = r#"{"record":{"type":"stay","issued":"2025-05-30","scope":"all_removals"}}"#;
    let client = format!("/api/v1/persons/{}/records", f.assigned);
    let stranger = format!("/api/v1/persons/{}/records", f.at_cecot);
    let counsel = format!("/api/v1/persons/{}/counsel", f.at_cecot);
    let correct = format!("/api/v1/persons/{}/corrections", f.at_cecot);
    let tag = format!("/api/v1/persons/{}/classes", f.at_cecot);
    use Role::*;
    // (route, method, body, [officer, supervisor, receiving, counsel, auditor, admin])
    let matrix: Vec<(&str, &str, Option<&str>, [u16; 6])> = vec![
        (&client, "POST", Some(stay), [201, 201, 403, 201, 403, 201]),
        (
            &stranger,
            "POST",
            Some(stay),
            [201, 201, 403, 403, 403, 201],
        ),
        (
            "/api/v1/counsel/notices",
            "GET",
            None,
            [403, 403, 403, 200, 403, 403],
        ),
        (
            "/api/v1/reports/overrides",
            "GET",
            None,
            [403, 200, 403, 403, 200, 200],
        ),
        (
            &counsel,
            "POST",
            Some(r#"{"counsel":"maria"}"#),
            [403, 200, 403, 403, 403, 200],
        ),
        (
            &correct,
            "POST",
            Some(r#"{"field":"given_names","value":"José","reason":"passport"}"#),
            [201, 201, 201, 403, 403, 201],
        ),
        (
            &tag,
            "POST",
            Some(r#"{"class_id":"j-g-g"}"#),
            [201, 200, 403, 403, 403, 200],
        ),
    ];
    for (uri, method, body, want) in matrix {
        let (s, _) = call(&f, method, uri, None, body).await;
        assert_eq!(s, 401, "{method} {uri} without a token");
        for (role, w) in [
            SendingOfficer,
            SendingSupervisor,
            ReceivingOfficer,
            Counsel,
            Auditor,
            Admin,
        ]
        .into_iter()
        .zip(want)
        {
            let (s, v) = call(&f, method, uri, Some(role), body).await;
            // A class tag answers 200 once it exists; the first tagger may get 201 or 200.
            let ok = s == w || (w == 201 && s == 200 && uri.ends_with("/classes"));
            assert!(ok, "{method} {uri} as {role}: {s}, expected {w}: {v}");
        }
    }
    // Records from the future and wrong types are named.
    let (s, v) = call(
        &f,
        "POST",
        &client,
        Some(Counsel),
        Some(r#"{"record":{"type":"stay","issued":"2025-06-09","scope":"all_removals"}}"#),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("record.issued"),
        "{v}"
    );
    let (s, v) = call(
        &f,
        "POST",
        &client,
        Some(Counsel),
        Some(r#"{"record":{"type":"removal_order","date":"2025-05-01","final":true}}"#),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    // Counsel's notices include the stay just filed.
    let (s, v) = call(&f, "GET", "/api/v1/counsel/notices", Some(Counsel), None).await;
    assert_eq!(s, 200);
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "legal_record_added"),
        "{v}"
    );
}

#[tokio::test]
async fn a_correction_needs_a_second_name_not_a_second_role() {
    let f = fixture(Config::default());
    clock_to(&f, "2025-06-01T12:00:00Z");
    let (s, v) = call(
        &f,
        "POST",
        &format!("/api/v1/persons/{}/corrections", f.at_cecot),
        Some(Role::SendingSupervisor),
        Some(r#"{"field":"date_of_birth","value":"1990-01-02","reason":"birth certificate"}"#),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = v["correction_id"].as_str().unwrap().to_string();
    // The supervisor `rene` also holds an admin token: still the same person.
    let mut store = common::open(&f.path, f.clock.clone());
    let rene_admin =
        custodia_app::auth::create_token(&mut store, Role::Admin, "rene", None).unwrap();
    let req = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/corrections/{id}/confirm"))
        .header("authorization", format!("Bearer {rene_admin}"))
        .body(Body::empty())
        .unwrap();
    let resp = app(f.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("second person"));
    // Another person confirms it.
    let (s, v) = call(
        &f,
        "POST",
        &format!("/api/v1/corrections/{id}/confirm"),
        Some(Role::Admin),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

/// The manifest page shows what the departure gate would say today, in the page's language,
/// and takes a stopped passenger off (issue 12).
#[tokio::test]
async fn the_manifest_page_shows_the_gate_and_takes_a_passenger_off() {
    use custodia_app::{Actor, manifests};
    let f = fixture(Config::default());
    clock_to(&f, "2025-06-01T12:00:00Z");
    let (stopped, fine) = (f.eligible[0].clone(), f.eligible[1].clone());
    let id = {
        let mut s = common::open(&f.path, f.clock.clone());
        // A stay issued after the date the manifest is screened for: eligible on paper.
        let stay: custodia_model::legal::VersionedRecord =
            serde_json::from_str(r#"{"type":"stay","issued":"2025-05-25","scope":"all_removals"}"#)
                .unwrap();
        custodia_app::records::enter(
            &mut s,
            &Actor::new(Role::SendingOfficer, "ana"),
            &[custodia_app::records::Entry {
                at: "test".into(),
                subject: custodia_app::records::Subject::Person(stopped.clone()),
                record: stay,
            }],
        )
        .unwrap();
        let officer = Actor::new(Role::SendingOfficer, "ana");
        let id = manifests::create(
            &mut s,
            &officer,
            &manifests::NewManifest {
                flight: "CX1".into(),
                from_facility: "USDC-TX".into(),
                to_facility: "CECOT".into(),
                destination_country: custodia_model::legal::CountryCode::new("SV").unwrap(),
                basis: custodia_model::legal::Basis::Removal,
                departure_on: "2025-05-20".parse().unwrap(),
            },
        )
        .unwrap();
        for p in [&stopped, &fine] {
            manifests::add_passenger(&mut s, &officer, &id, p).unwrap();
        }
        manifests::screen(&mut s, &officer, &id, custodia_rules::Params::builtin()).unwrap();
        manifests::approve(
            &mut s,
            &Actor::new(Role::SendingSupervisor, "rene"),
            &id,
            &[],
        )
        .unwrap();
        id
    };
    let (cookie, csrf) = {
        let mut s = common::open(&f.path, f.clock.clone());
        let (sid, p) =
            custodia_server::auth::open_session(&mut s, &f.tokens[&Role::SendingOfficer], 12)
                .unwrap()
                .unwrap();
        (format!("custodia_session={sid}; lang=es"), p.csrf.unwrap())
    };
    let get = |uri: String, cookie: String| {
        let st = f.state.clone();
        async move {
            let r = app(st)
                .oneshot(
                    Request::builder()
                        .uri(uri)
                        .header("cookie", cookie)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
        }
    };
    let html = get(format!("/manifests/{id}"), cookie.clone()).await;
    assert!(html.contains("Control de salida"), "{html}");
    assert!(html.contains("Retirar del manifiesto"), "{html}");
    assert!(
        html.contains(&format!("data-person=\"{stopped}\"")),
        "{html}"
    );
    assert!(!html.contains(&format!("data-person=\"{fine}\"")), "{html}");
    assert!(
        html.contains("Orden judicial"),
        "the rule, in Spanish: {html}"
    );
    // Take the stopped passenger off from the page.
    let body = format!("csrf={csrf}&action=remove%3A{stopped}");
    let r = app(f.state.clone())
        .oneshot(
            Request::builder()
                .method("POST")
                .uri(format!("/manifests/{id}/action"))
                .header("cookie", cookie.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let (s, v) = call(
        &f,
        "GET",
        &format!("/api/v1/manifests/{id}"),
        Some(Role::Auditor),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let on: Vec<&str> = v["passengers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_id"].as_str().unwrap())
        .collect();
    assert_eq!(on, vec![fine.as_str()], "{v}");
}

/// `/proof` shows a leaf's content only to whoever may read that person, and logs the read;
/// anyone else gets the leaf's hash, which is all the proof needs (issue 18).
#[tokio::test]
async fn the_proof_page_does_not_leak_a_leaf() {
    let f = fixture(Config::default());
    let (seq, family) = {
        let mut s = common::open(&f.path, f.clock.clone());
        let seq = common::first(
            &mut s,
            &format!(
                "SELECT CAST(MIN(seq) AS TEXT) FROM person_events WHERE person_id = '{}'",
                f.at_cecot
            ),
        );
        let family = common::first(
            &mut s,
            &format!(
                "SELECT family_names FROM persons WHERE id = '{}'",
                f.at_cecot
            ),
        );
        (seq, family)
    };
    let html_as = |role: Role| {
        let f = &f;
        let seq = seq.clone();
        async move {
            let cookie = {
                let mut s = common::open(&f.path, f.clock.clone());
                let (sid, _) = custodia_server::auth::open_session(&mut s, &f.tokens[&role], 12)
                    .unwrap()
                    .unwrap();
                format!("custodia_session={sid}")
            };
            let r = app(f.state.clone())
                .oneshot(
                    Request::builder()
                        .uri(format!("/proof?index={seq}"))
                        .header("cookie", cookie)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
        }
    };
    let reads = |f: &Fixture| {
        let mut s = common::open(&f.path, f.clock.clone());
        common::first(&mut s, "SELECT CAST(COUNT(*) AS TEXT) FROM access_log")
    };
    let before = reads(&f);
    let counsel = html_as(Role::Counsel).await;
    assert!(
        !counsel.contains(&family),
        "counsel with no such client saw the leaf"
    );
    assert!(counsel.contains("name=\"leaf_hash\""), "{counsel}");
    assert_eq!(reads(&f), before, "nothing was read");
    let auditor = html_as(Role::Auditor).await;
    assert!(auditor.contains(&family), "the auditor sees the leaf");
    assert_ne!(reads(&f), before, "and the read is on the ledger");
}

/// A JSON body must say it is JSON (415 otherwise, in the error shape), and nothing personal
/// may be cached (issue 18).
#[tokio::test]
async fn json_bodies_need_their_content_type_and_nothing_is_cached() {
    let f = fixture(Config::default());
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/screen")
        .header(
            "authorization",
            format!("Bearer {}", f.tokens[&Role::SendingOfficer]),
        )
        .header("content-type", "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    let r = app(f.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let v: Value =
        serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["error"]["code"], "unsupported_media_type", "{v}");
    let req = Request::builder()
        .uri(format!("/api/v1/persons/{}", f.at_cecot))
        .header(
            "authorization",
            format!("Bearer {}", f.tokens[&Role::Auditor]),
        )
        .body(Body::empty())
        .unwrap();
    let r = app(f.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
}

/// 405 answers in the error shape, and a 10 MB id is refused by field (issue 18).
#[tokio::test]
async fn wrong_methods_and_huge_ids_answer_in_the_error_shape() {
    let f = fixture(Config::default());
    for uri in [
        "/healthz",
        "/api/v1/log/checkpoint",
        "/api/v1/counsel/notices",
    ] {
        let r = app(f.state.clone())
            .oneshot(
                Request::builder()
                    .method("DELETE")
                    .uri(uri)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        let v: Value = serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes())
            .unwrap_or(Value::Null);
        assert_eq!(v["error"]["code"], "method_not_allowed", "{uri}: {v}");
    }
    let long = "x".repeat(100_000);
    let body = format!(
        r#"{{"id":"{long}","on":"2025-04-10","person":{{"id":"P-1","nationalities":["SV"],"us_status":"undocumented"}},"transfer":{{"basis":"removal","destination_country":"SV"}}}}"#
    );
    let (s, v) = call(
        &f,
        "POST",
        "/api/v1/screen",
        Some(Role::SendingOfficer),
        Some(&body),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("`id`"),
        "{v}"
    );
}

/// The person page's record form (issue 14: a typed `axum::Form`, fields trimmed, an empty
/// one absent) files through `custodia_app::records::enter`, like the API: a stay with a
/// country is scoped to it, a habeas petition without a status is pending; the page comes
/// back with the outcome in its flash cookie, and a form without the session's CSRF token
/// is refused.
#[tokio::test]
async fn the_person_page_files_legal_records() {
    let f = fixture(Config::default());
    let person = f.at_cecot.clone();
    let (cookie, csrf) = {
        let mut s = common::open(&f.path, f.clock.clone());
        let (sid, p) =
            custodia_server::auth::open_session(&mut s, &f.tokens[&Role::SendingOfficer], 12)
                .unwrap()
                .unwrap();
        (format!("custodia_session={sid}"), p.csrf.unwrap())
    };
    let post = |body: String| {
        let st = f.state.clone();
        let uri = format!("/persons/{person}/records");
        let cookie = cookie.clone();
        async move {
            app(st)
                .oneshot(
                    Request::builder()
                        .method("POST")
                        .uri(uri)
                        .header("cookie", cookie)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(Body::from(body))
                        .unwrap(),
                )
                .await
                .unwrap()
        }
    };
    // The flash cookie's value, decoded.
    let flash = |r: &axum::response::Response| {
        let c = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("custodia_flash="))
            .unwrap_or_default();
        let v = c["custodia_flash=".len().min(c.len())..]
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        percent_encoding::percent_decode_str(&v)
            .decode_utf8()
            .unwrap()
            .to_string()
    };
    let r = post(format!(
        "csrf={csrf}&type=stay&date=2020-01-02&country=+SV+&status=pending&court=&docket=D-1&id="
    ))
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/persons/{person}"));
    assert_eq!(flash(&r), "ok|done|");
    let r = post(format!(
        "csrf={csrf}&type=habeas_petition&date=2020-01-03&country=&status=++&court=&docket=&id="
    ))
    .await;
    assert_eq!(flash(&r), "ok|done|");
    // A record dated after the clock's date is refused, and the page says why.
    let r = post(format!(
        "csrf={csrf}&type=fear_claim&date=2999-01-01&country=SV"
    ))
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(flash(&r).starts_with("err|"), "{}", flash(&r));
    // Without the CSRF token: the 403 page, nothing filed.
    let r = post("type=stay&date=2020-01-04".into()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, v) = call(
        &f,
        "GET",
        &format!("/api/v1/persons/{person}"),
        Some(Role::Auditor),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let recs: Vec<&Value> = v["legal_records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["record"])
        .collect();
    let stay = recs.iter().find(|r| r["type"] == "stay").unwrap();
    assert_eq!(
        (
            &stay["scope"],
            &stay["country"],
            &stay["docket"],
            &stay["issued"]
        ),
        (
            &Value::from("country"),
            &Value::from("SV"),
            &Value::from("D-1"),
            &Value::from("2020-01-02")
        ),
        "{stay}"
    );
    assert!(stay.get("court").is_none(), "{stay}");
    let habeas = recs
        .iter()
        .find(|r| r["type"] == "habeas_petition")
        .unwrap();
    assert_eq!(habeas["status"], "pending", "{habeas}");
    // Nothing from the refused posts: one stay, no fear claim.
    assert_eq!(
        recs.iter().filter(|r| r["type"] == "stay").count(),
        1,
        "{recs:?}"
    );
    assert!(recs.iter().all(|r| r["type"] != "fear_claim"), "{recs:?}");
}
