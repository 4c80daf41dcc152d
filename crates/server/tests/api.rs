//! API tests through `oneshot` on a fresh store per test: the role matrix (401, 403, 200)
//! for every route, person reads on the ledger, idempotency, limits, malformed input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use custodia_app::Role;
use custodia_server::{Config, app};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use common::{Fixture, fixture};
use custodia_model::clock::Clock;
use custodia_model::events::{CustodyStatus, EventData, NewEvent, PersonRecord};
use custodia_model::legal::CountryCode;

async fn call(
    f: &Fixture,
    method: &str,
    uri: &str,
    role: Option<Role>,
    body: Option<&str>,
    key: Option<&str>,
) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(r) = role {
        b = b.header("authorization", format!("Bearer {}", f.tokens[&r]));
    }
    if let Some(k) = key {
        b = b.header("idempotency-key", k);
    }
    if body.is_some() {
        b = b.header("content-type", "application/json");
    }
    let req = b
        .body(body.map_or_else(Body::empty, |s| Body::from(s.to_string())))
        .unwrap();
    let resp = app(f.state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, bytes, headers)
}

fn json_of(b: &[u8]) -> Value {
    serde_json::from_slice(b).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(b)))
}

const O: u16 = 200;
const C: u16 = 201;
const F: u16 = 403;
const U: u16 = 401;

/// Expected status for: anonymous, then Role::ALL order (officer, supervisor, receiving,
/// counsel, auditor, admin).
struct Case {
    method: &'static str,
    uri: String,
    body: Option<String>,
    expect: [u16; 7],
}

fn screen_body() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/spec/examples/screening.jsonl"))
        .ok()
        .and_then(|t| t.lines().next().map(str::to_string))
        .unwrap_or_else(|| r#"{"id":"x","on":"2025-04-10","person":{"id":"P-1","nationalities":["SV"],"us_status":"undocumented","identity_verified":true},"records":[],"transfer":{"basis":"removal","destination_country":"SV"}}"#.to_string())
}

#[tokio::test]
async fn role_matrix_for_every_route() {
    let f = fixture(Config::default());
    let (at_cecot, elsewhere, assigned, man) = (
        f.at_cecot.clone(),
        f.elsewhere.clone(),
        f.assigned.clone(),
        f.manifest.clone(),
    );
    let new_manifest = json!({"flight":"CX100","from_facility":"USDC-TX","to_facility":"CECOT","destination_country":"SV","basis":"removal","departure_on":"2025-04-10"}).to_string();
    let g = |uri: String, expect: [u16; 7]| Case {
        method: "GET",
        uri,
        body: None,
        expect,
    };
    let p = |uri: String, body: &str, expect: [u16; 7]| Case {
        method: "POST",
        uri,
        body: Some(body.to_string()),
        expect,
    };
    let cases = vec![
        g("/healthz".into(), [O; 7]),
        g("/api/openapi.json".into(), [O; 7]),
        g("/api/v1/log/checkpoint".into(), [O; 7]),
        g("/api/v1/log/key".into(), [O; 7]),
        g(
            "/api/v1/locate?family=Martinez&given=Jose&country=SV".into(),
            [O; 7],
        ),
        g("/api/v1/me".into(), [U, O, O, O, O, O, O]),
        // Public since issue 18: the history an auditor's trail is kept from.
        g("/api/v1/log/checkpoints".into(), [O; 7]),
        g("/api/v1/log/proof?index=0".into(), [U, O, O, O, O, O, O]),
        g(
            "/api/v1/log/consistency?old=1".into(),
            [U, O, O, O, O, O, O],
        ),
        g(
            "/api/v1/log/leaves?from=0&to=3".into(),
            [U, F, F, F, F, O, F],
        ),
        g("/api/v1/verify".into(), [U, F, F, F, F, O, F]),
        g("/api/v1/locator/stats".into(), [U, F, F, F, F, O, O]),
        g("/api/v1/access-log".into(), [U, F, F, F, F, O, O]),
        g("/api/v1/persons?q=a".into(), [U, O, O, O, O, O, O]),
        g(format!("/api/v1/persons/{at_cecot}"), [U, O, O, O, F, O, O]),
        g(
            format!("/api/v1/persons/{elsewhere}"),
            [U, O, O, F, F, O, O],
        ),
        g(format!("/api/v1/persons/{assigned}"), [U, O, O, 0, O, O, O]),
        g("/api/v1/manifests".into(), [U, O, O, O, F, O, O]),
        g(format!("/api/v1/manifests/{man}"), [U, O, O, O, F, O, O]),
        g("/api/v1/cases?open=false".into(), [U, O, O, O, F, O, O]),
        g("/api/v1/housing/facilities".into(), [U, O, O, O, F, O, O]),
        g(
            "/api/v1/housing/facilities/CECOT/cells".into(),
            [U, O, O, O, F, O, O],
        ),
        g(
            "/api/v1/housing/facilities/USDC-TX/cells".into(),
            [U, O, O, F, F, O, O],
        ),
        g("/api/v1/population".into(), [U, O, O, O, F, O, O]),
        g("/api/v1/invoices".into(), [U, F, O, O, F, O, O]),
        p(
            "/api/v1/screen".into(),
            &screen_body(),
            [U, O, O, F, F, F, F],
        ),
        p(
            "/api/v1/manifests".into(),
            &new_manifest,
            [U, C, C, F, F, F, F],
        ),
        p(
            format!("/api/v1/manifests/{man}/passengers"),
            r#"{"person_id":"T-1"}"#,
            [U, 0, 0, F, F, F, F],
        ),
        p(
            format!("/api/v1/manifests/{man}/approve"),
            "{}",
            [U, F, 0, F, F, F, F],
        ),
        p(
            format!("/api/v1/manifests/{man}/arrive"),
            "",
            [U, F, F, 0, F, F, F],
        ),
        p(
            format!("/api/v1/manifests/{man}/reconcile"),
            "",
            [U, F, F, 0, F, F, F],
        ),
        p(
            format!("/api/v1/manifests/{man}/close"),
            "",
            [U, F, 0, 0, F, F, F],
        ),
        p(
            format!("/api/v1/manifests/{man}/screen"),
            "",
            [U, 0, 0, F, F, F, F],
        ),
        p(
            format!("/api/v1/manifests/{man}/depart"),
            "",
            [U, 0, 0, F, F, F, F],
        ),
        p(
            format!("/api/v1/manifests/{man}/intake"),
            r#"{"records":[]}"#,
            [U, F, F, 0, F, F, F],
        ),
        p(
            "/api/v1/cases/NOPE/resolve".into(),
            r#"{"reason":"x"}"#,
            [U, F, 404, 404, F, F, F],
        ),
        p(
            "/api/v1/admin/tokens".into(),
            r#"{"role":"auditor","name":"bob"}"#,
            [U, F, F, F, F, F, C],
        ),
    ];
    let mut failures = Vec::new();
    for c in &cases {
        for (i, role) in std::iter::once(None)
            .chain(Role::ALL.into_iter().map(Some))
            .enumerate()
        {
            let want = c.expect[i];
            let (got, body, _) = call(&f, c.method, &c.uri, role, c.body.as_deref(), None).await;
            // 0: allowed by role; the manifest's state decides (200, 409 or 422), never 401/403/5xx.
            let ok = if want == 0 {
                !matches!(got.as_u16(), 401 | 403) && got.as_u16() < 500
            } else {
                got.as_u16() == want
            };
            if !ok {
                failures.push(format!(
                    "{} {} as {:?}: want {want}, got {got}: {}",
                    c.method,
                    c.uri,
                    role,
                    String::from_utf8_lossy(&body)
                ));
            }
            if got.as_u16() >= 400 && c.uri.starts_with("/api/v1") {
                let v = json_of(&body);
                assert!(
                    v["error"]["code"].is_string() && v["error"]["message"].is_string(),
                    "error shape: {v}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The counsel sees their assigned person.
    let (s, _, _) = call(
        &f,
        "GET",
        &format!("/api/v1/persons/{assigned}"),
        Some(Role::Counsel),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn every_person_read_is_appended_to_the_ledger() {
    let f = fixture(Config::default());
    let mut s = common::open(&f.path, f.clock.clone());
    let before = s.size().unwrap();
    let uri = format!("/api/v1/persons/{}", f.at_cecot);
    let (st, body, _) = call(&f, "GET", &uri, Some(Role::Auditor), None, None).await;
    assert_eq!(st, StatusCode::OK);
    let v = json_of(&body);
    assert_eq!(v["person"]["id"], f.at_cecot.as_str());
    assert!(
        v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["seq"].is_u64() && e["kind"].is_string())
    );
    assert!(!v["timeline"].as_array().unwrap().is_empty());
    call(&f, "GET", &uri, Some(Role::SendingOfficer), None, None).await;
    assert_eq!(s.size().unwrap(), before + 2);
    let log = s.access_log(Some(&f.at_cecot), 10).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].actor, "sending_officer:ana");
    assert_eq!(log[1].actor, "auditor:ines");
    let last = s.leaf(before + 1).unwrap().unwrap();
    assert!(
        last.contains("\"kind\":\"person_read\"") && last.contains(&f.at_cecot),
        "{last}"
    );
    // A refused read is not a read: nothing appended.
    let (st, _, _) = call(&f, "GET", &uri, Some(Role::Counsel), None, None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(s.size().unwrap(), before + 2);
    // Counsel sees only its clients, and cannot tell an id that exists from one that does
    // not: both are refused alike. Staff who see everyone are told "not found".
    let (st, _, _) = call(
        &f,
        "GET",
        "/api/v1/persons/P-NOBODY",
        Some(Role::Counsel),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = call(
        &f,
        "GET",
        "/api/v1/persons/P-NOBODY",
        Some(Role::Auditor),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(s.size().unwrap(), before + 2);
    // The access log is visible to auditors.
    let (_, body, _) = call(
        &f,
        "GET",
        &format!("/api/v1/access-log?person={}", f.at_cecot),
        Some(Role::Auditor),
        None,
        None,
    )
    .await;
    assert_eq!(json_of(&body).as_array().unwrap().len(), 2);
}

/// A manifest's file holds its passengers' names, screenings and findings: reading it names
/// every passenger on the ledger, once, before it answers.
#[tokio::test]
async fn a_manifest_read_names_its_passengers_on_the_ledger() {
    let f = fixture(Config::default());
    let mut s = common::open(&f.path, f.clock.clone());
    let before = s.size().unwrap();
    let uri = format!("/api/v1/manifests/{}", f.manifest);
    let (st, body, _) = call(&f, "GET", &uri, Some(Role::Auditor), None, None).await;
    assert_eq!(st, StatusCode::OK);
    let passengers: Vec<String> = json_of(&body)["passengers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !passengers.is_empty(),
        "the fixture's manifest has passengers"
    );
    assert_eq!(
        s.size().unwrap(),
        before + 1,
        "one event for the whole file"
    );
    let leaf = s.leaf(before).unwrap().unwrap();
    assert!(leaf.contains("\"kind\":\"persons_read\""), "{leaf}");
    for id in &passengers {
        assert!(
            leaf.contains(&format!("\"{id}\"")),
            "{id} not named in {leaf}"
        );
    }
    assert_eq!(
        s.access_log(Some(&passengers[0]), 10).unwrap()[0].via,
        "manifest"
    );
}

#[tokio::test]
async fn a_search_and_a_leaf_export_name_on_the_ledger_everyone_they_return() {
    let f = fixture(Config::default());
    let mut s = common::open(&f.path, f.clock.clone());
    let before = s.size().unwrap();
    let (st, body, _) = call(
        &f,
        "GET",
        "/api/v1/persons?q=",
        Some(Role::SendingOfficer),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let returned: Vec<String> = json_of(&body)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["person_id"].as_str().unwrap().to_string())
        .collect();
    assert!(returned.len() > 2, "the fixture has persons");
    assert_eq!(
        s.size().unwrap(),
        before + 1,
        "one event for the whole search"
    );
    let leaf = s.leaf(before).unwrap().unwrap();
    assert!(leaf.contains("\"kind\":\"persons_read\""), "{leaf}");
    for id in &returned {
        assert!(
            leaf.contains(&format!("\"{id}\"")),
            "{id} not named in {leaf}"
        );
    }
    let log = s.access_log(Some(&returned[0]), 10).unwrap();
    assert_eq!(log[0].via, "search");
    assert_eq!(log[0].actor, "sending_officer:ana");
    // A search that returns nobody records nothing.
    let (st, _, _) = call(
        &f,
        "GET",
        "/api/v1/persons?q=zzzqqq",
        Some(Role::SendingOfficer),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(s.size().unwrap(), before + 1);

    // An auditor's leaf export names the persons whose data the leaves hold.
    let (st, body, _) = call(
        &f,
        "GET",
        "/api/v1/log/leaves?from=0&to=20",
        Some(Role::Auditor),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
    let registered: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"kind\":\"person_registered\""))
        .collect();
    assert!(!registered.is_empty(), "{text}");
    let size = s.size().unwrap();
    assert_eq!(size, before + 2);
    let leaf = s.leaf(size - 1).unwrap().unwrap();
    assert!(leaf.contains("\"via\":\"leaves\""), "{leaf}");
    for l in registered {
        let v: Value = serde_json::from_str(l).unwrap();
        let id = v["data"]["id"].as_str().unwrap();
        assert!(
            leaf.contains(&format!("\"{id}\"")),
            "{id} not named in {leaf}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reads_are_each_on_the_ledger_before_their_answers() {
    let f = fixture(Config::default());
    let mut s = common::open(&f.path, f.clock.clone());
    let before = s.size().unwrap();
    let checkpoints_before = s.checkpoints(u64::MAX).unwrap().len();
    let uri = format!("/api/v1/persons/{}", f.at_cecot);
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let f = (
            f.state.clone(),
            f.tokens[&Role::Auditor].clone(),
            uri.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let req = Request::builder()
                .uri(&f.2)
                .header("authorization", format!("Bearer {}", f.1))
                .body(Body::empty())
                .unwrap();
            app(f.0).oneshot(req).await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    // Every read answered is on the ledger ...
    assert_eq!(s.size().unwrap(), before + 64);
    assert_eq!(s.access_log(Some(&f.at_cecot), 100).unwrap().len(), 64);
    // ... in as many appends as the writer found queues (how many depends on timing).
    let appends = s.checkpoints(u64::MAX).unwrap().len() - checkpoints_before;
    println!("64 concurrent reads: {appends} appends");
    assert!(
        (1..=64).contains(&appends),
        "{appends} appends for 64 reads"
    );
}

/// Two requests under one key that race past the replay check: the key is recorded in the
/// use case's own transaction, so exactly one takes effect; every other answer is the first
/// answer replayed or `idempotency_in_progress`, and a later repeat gets the first answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_under_one_key_take_effect_once() {
    let f = fixture(Config {
        pool_size: 8,
        ..Config::default()
    });
    let mut store = common::open(&f.path, f.clock.clone());
    let manifests_before = store.manifests(None, 1000).unwrap().len();
    let body = json!({"flight":"CX9","from_facility":"USDC-TX","to_facility":"CECOT","destination_country":"SV","basis":"removal","departure_on":"2025-04-10"}).to_string();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (state, token, body) = (
            f.state.clone(),
            f.tokens[&Role::SendingOfficer].clone(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let req = Request::builder()
                .method("POST")
                .uri("/api/v1/manifests")
                .header("authorization", format!("Bearer {token}"))
                .header("idempotency-key", "race-1")
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap();
            let r = app(state).oneshot(req).await.unwrap();
            let status = r.status();
            let b = r.into_body().collect().await.unwrap().to_bytes().to_vec();
            (status, json_of(&b))
        }));
    }
    let mut created = Vec::new();
    for t in tasks {
        let (status, v) = t.await.unwrap();
        match status {
            StatusCode::CREATED => created.push(v["id"].clone()),
            StatusCode::CONFLICT => {
                assert_eq!(v["error"]["code"], "idempotency_in_progress", "{v}")
            }
            s => panic!("unexpected {s}: {v}"),
        }
    }
    assert!(!created.is_empty());
    assert!(created.iter().all(|id| *id == created[0]), "{created:?}");
    assert_eq!(
        store.manifests(None, 1000).unwrap().len(),
        manifests_before + 1,
        "one key, one manifest"
    );
    let (s, b, h) = call(
        &f,
        "POST",
        "/api/v1/manifests",
        Some(Role::SendingOfficer),
        Some(&body),
        Some("race-1"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(json_of(&b)["id"], created[0]);
    assert_eq!(h.get("idempotent-replayed").unwrap(), "true");
}

#[tokio::test]
async fn idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let f = fixture(Config::default());
    let body = json!({"flight":"CX7","from_facility":"USDC-TX","to_facility":"CECOT","destination_country":"SV","basis":"removal","departure_on":"2025-04-10"}).to_string();
    let (s1, b1, _) = call(
        &f,
        "POST",
        "/api/v1/manifests",
        Some(Role::SendingOfficer),
        Some(&body),
        Some("k-1"),
    )
    .await;
    assert_eq!(s1, StatusCode::CREATED);
    let mut store = common::open(&f.path, f.clock.clone());
    let size = store.size().unwrap();
    let (s2, b2, h2) = call(
        &f,
        "POST",
        "/api/v1/manifests",
        Some(Role::SendingOfficer),
        Some(&body),
        Some("k-1"),
    )
    .await;
    assert_eq!((s2, b2.clone()), (s1, b1.clone()));
    assert_eq!(h2.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(store.size().unwrap(), size, "a replay appends nothing");
    let other = body.replace("CX7", "CX8");
    let (s3, b3, _) = call(
        &f,
        "POST",
        "/api/v1/manifests",
        Some(Role::SendingOfficer),
        Some(&other),
        Some("k-1"),
    )
    .await;
    assert_eq!(s3, StatusCode::CONFLICT);
    assert_eq!(json_of(&b3)["error"]["code"], "idempotency_conflict");
    // Without a key, a second POST is a second manifest.
    let (s4, b4, _) = call(
        &f,
        "POST",
        "/api/v1/manifests",
        Some(Role::SendingOfficer),
        Some(&body),
        None,
    )
    .await;
    assert_eq!(s4, StatusCode::CREATED);
    assert_ne!(json_of(&b4)["id"], json_of(&b1)["id"]);
}

#[tokio::test]
async fn manifest_lifecycle_through_the_api() {
    let f = fixture(Config::default());
    let body = json!({"flight":"CX9","from_facility":"USDC-TX","to_facility":"CECOT","destination_country":"SV","basis":"removal","departure_on":"2025-04-10"}).to_string();
    let (_, b, _) = call(
        &f,
        "POST",
        "/api/v1/manifests",
        Some(Role::SendingOfficer),
        Some(&body),
        None,
    )
    .await;
    let id = json_of(&b)["id"].as_str().unwrap().to_string();
    for p in &f.eligible {
        let (s, b, _) = call(
            &f,
            "POST",
            &format!("/api/v1/manifests/{id}/passengers"),
            Some(Role::SendingOfficer),
            Some(&json!({"person_id": p}).to_string()),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    }
    let (s, b, _) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{id}/screen"),
        Some(Role::SendingOfficer),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let outcomes = json_of(&b);
    assert!(
        outcomes
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["outcome"] == "eligible"),
        "{outcomes}"
    );
    // Two-person rule: the creator's own supervisor token is another person, so this works.
    let (s, b, _) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{id}/approve"),
        Some(Role::SendingSupervisor),
        Some("{}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    // Approving twice is a state conflict.
    let (s, _, _) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{id}/approve"),
        Some(Role::SendingSupervisor),
        Some("{}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The departure gate (CONTRACT §9) opens on the scheduled day: before it, 409 with the
    // reason; on it, the passengers are screened again and the flight leaves.
    f.clock.set("2025-04-09T12:00:00Z".parse().unwrap());
    let (s, b, _) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{id}/depart"),
        Some(Role::SendingOfficer),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let e = json_of(&b);
    assert_eq!(e["error"]["code"], "departure_refused", "{e}");
    assert_eq!(e["error"]["details"]["too_early"], "2025-04-10", "{e}");
    f.clock.set("2025-04-10T08:00:00Z".parse().unwrap());
    let (s, b, _) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{id}/depart"),
        Some(Role::SendingOfficer),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert!(
        json_of(&b)["passengers"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
    let (s, _, _) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{id}/arrive"),
        Some(Role::ReceivingOfficer),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, b, _) = call(
        &f,
        "GET",
        &format!("/api/v1/manifests/{id}"),
        Some(Role::Auditor),
        None,
        None,
    )
    .await;
    let m = json_of(&b);
    assert_eq!(m["manifest"]["state"], "arrived");
    assert_eq!(m["passengers"].as_array().unwrap().len(), 2);
    let (s, _, _) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{id}/fly"),
        Some(Role::SendingOfficer),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn malformed_json_and_wrong_types_name_the_field() {
    let f = fixture(Config::default());
    let (s, b, _) = call(
        &f,
        "POST",
        "/api/v1/manifests",
        Some(Role::SendingOfficer),
        Some("{not json"),
        None,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&b)
    );
    let bad = json!({"flight":"CX1","from_facility":"USDC-TX","to_facility":"CECOT","destination_country":"SV","basis":"removal","departure_on":5}).to_string();
    let (s, b, _) = call(
        &f,
        "POST",
        "/api/v1/manifests",
        Some(Role::SendingOfficer),
        Some(&bad),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json_of(&b)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("departure_on"),
        "{}",
        String::from_utf8_lossy(&b)
    );
    let bad = json!({"flight":"CX1","from_facility":"USDC-TX","to_facility":"CECOT","destination_country":"sv","basis":"removal","departure_on":"2025-04-10"}).to_string();
    let (s, b, _) = call(
        &f,
        "POST",
        "/api/v1/manifests",
        Some(Role::SendingOfficer),
        Some(&bad),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json_of(&b)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("destination_country")
    );
    let (s, b, _) = call(&f, "POST", "/api/v1/screen", Some(Role::SendingOfficer), Some(r#"{"id":"x","on":"2025-04-10","person":{"id":"P","nationalities":["SV"],"us_status":"martian"},"records":[],"transfer":{"basis":"removal","destination_country":"SV"}}"#), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json_of(&b)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("us_status"),
        "{}",
        String::from_utf8_lossy(&b)
    );
    let (s, _, _) = call(
        &f,
        "POST",
        "/api/v1/screen",
        Some(Role::SendingOfficer),
        Some("]]"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b, _) = call(
        &f,
        "GET",
        "/api/v1/log/proof?index=minus",
        Some(Role::Auditor),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json_of(&b)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("index")
    );
    let (s, _, _) = call(
        &f,
        "GET",
        "/api/v1/log/proof?index=99999999",
        Some(Role::Auditor),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _, _) = call(&f, "GET", "/api/v1/locate?family=X", None, None, None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _, _) = call(&f, "GET", "/api/v1/nope", None, None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = call(&f, "GET", "/api/v1/me", None, None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn oversized_body_is_413_and_headers_are_set() {
    let f = fixture(Config {
        body_limit: 1024,
        ..Config::default()
    });
    let big = format!("{{\"person_id\":\"{}\"}}", "x".repeat(4096));
    let (s, _, _) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{}/passengers", f.manifest),
        Some(Role::SendingOfficer),
        Some(&big),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    // The layer's refusal answers in the one error shape (issue 18).
    let (_, b, h) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{}/passengers", f.manifest),
        Some(Role::SendingOfficer),
        Some(&big),
        None,
    )
    .await;
    assert_eq!(json_of(&b)["error"]["code"], "payload_too_large", "{h:?}");
    let (_, _, h) = call(&f, "GET", "/healthz", None, None, None).await;
    // No inline script may run: the proof check's script is a file of its own.
    let csp = h["content-security-policy"].to_str().unwrap();
    let script_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap();
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    let (st, js, jh) = call(&f, "GET", "/static/proof.js", None, None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        jh["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(String::from_utf8(js).unwrap().contains("proof-form"));
    let (_, page, _) = call(&f, "GET", "/proof", Some(Role::Auditor), None, None).await;
    let page = String::from_utf8(page).unwrap();
    assert!(
        !page.contains("<script>"),
        "inline script in the proof page"
    );
    for k in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "x-request-id",
    ] {
        assert!(h.contains_key(k), "missing {k}");
    }
}

#[tokio::test]
async fn anonymous_locator_is_rate_limited_and_counted() {
    let f = fixture(Config {
        locate_anon_per_minute: 3,
        ..Config::default()
    });
    let uri = "/api/v1/locate?family=Martinez%20Hernandez&given=Jose&country=SV&dob=1991-04-12";
    for _ in 0..3 {
        let (s, b, _) = call(&f, "GET", uri, None, None, None).await;
        assert_eq!(s, StatusCode::OK);
        let hits = json_of(&b);
        assert_eq!(hits[0]["person_id"], "T-1", "{hits}");
        let keys: Vec<&str> = hits[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for k in [
            "person_id",
            "family_names",
            "given_names",
            "country_of_birth",
            "year_of_birth",
            "facility_id",
            "status",
            "score",
        ] {
            assert!(keys.contains(&k), "missing {k}");
        }
    }
    let (s, b, _) = call(&f, "GET", uri, None, None, None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(json_of(&b)["error"]["code"], "rate_limited");
    for _ in 0..5 {
        let (s, _, _) = call(&f, "GET", uri, Some(Role::Counsel), None, None).await;
        assert_eq!(s, StatusCode::OK, "a token has its own quota");
    }
    let (_, b, _) = call(
        &f,
        "GET",
        "/api/v1/locator/stats",
        Some(Role::Auditor),
        None,
        None,
    )
    .await;
    let v = json_of(&b);
    assert_eq!(v[0]["anonymous"], 3);
    assert_eq!(v[0]["authenticated"], 5);
    // A typo and a dropped accent still find the person.
    let (_, b, _) = call(
        &f,
        "GET",
        "/api/v1/locate?family=Martines&given=Jose&country=SV",
        Some(Role::Auditor),
        None,
        None,
    )
    .await;
    assert!(
        json_of(&b)
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["person_id"] == "T-1")
    );
}

#[tokio::test]
async fn openapi_lists_every_route() {
    let f = fixture(Config::default());
    let (_, b, _) = call(&f, "GET", "/api/openapi.json", None, None, None).await;
    let v = json_of(&b);
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/healthz",
        "/api/v1/log/checkpoint",
        "/api/v1/locate",
        "/api/v1/screen",
        "/api/v1/persons/{id}",
        "/api/openapi.json",
        "/api/v1/manifests/{id}/approve",
        "/api/v1/manifests/{id}/intake",
        "/api/v1/log/proof",
        "/api/v1/log/checkpoints",
    ] {
        assert!(v["paths"].get(p).is_some(), "missing {p}");
    }
}

/// Each manifest step is a route of its own with its typed body in the document (issue 14);
/// any other step still answers 404 naming the steps, after the token as before, and a GET
/// on a step is 405.
#[tokio::test]
async fn manifest_steps_have_routes_of_their_own() {
    let f = fixture(Config::default());
    let m = f.manifest.clone();
    let (s, b, _) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{m}/fly"),
        Some(Role::SendingOfficer),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let v = json_of(&b);
    assert_eq!(v["error"]["code"], "not_found");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("no action `fly`") && msg.contains("reconcile"),
        "{msg}"
    );
    let (s, _, _) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{m}/fly"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b, _) = call(
        &f,
        "GET",
        &format!("/api/v1/manifests/{m}/approve"),
        Some(Role::SendingOfficer),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(json_of(&b)["error"]["code"], "method_not_allowed");
    // A step's body is typed: an intake that is not an intake is 422 naming the field.
    let (s, b, _) = call(
        &f,
        "POST",
        &format!("/api/v1/manifests/{m}/intake"),
        Some(Role::ReceivingOfficer),
        Some(r#"{"records": 3}"#),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json_of(&b)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("records"),
        "{}",
        String::from_utf8_lossy(&b)
    );
    let (_, b, _) = call(&f, "GET", "/api/openapi.json", None, None, None).await;
    let doc = json_of(&b);
    assert!(
        doc["paths"]
            .get("/api/v1/manifests/{id}/{action}")
            .is_none()
    );
    for (step, schema) in [("approve", "ApproveBody"), ("intake", "IntakeBody")] {
        let body = &doc["paths"][format!("/api/v1/manifests/{{id}}/{step}")]["post"]["requestBody"];
        assert_eq!(
            body["content"]["application/json"]["schema"]["$ref"],
            format!("#/components/schemas/{schema}"),
            "{step}: {body}"
        );
    }
    for step in ["screen", "depart", "arrive", "reconcile", "close"] {
        let op = &doc["paths"][format!("/api/v1/manifests/{{id}}/{step}")]["post"];
        assert!(op["summary"].is_string(), "{step}");
    }
}

/// The checkpoint history is public (issue 18): anyone can keep a trail. Oldest first from
/// `since`, at most `limit`, each note signed by the log's key, each step proved consistent
/// with the one before.
#[tokio::test]
async fn the_checkpoint_history_is_public_with_consistency_proofs() {
    let f = fixture(Config::default());
    let (st, b, _) = call(&f, "GET", "/api/v1/log/key", None, None, None).await;
    assert_eq!(st, StatusCode::OK);
    let vkey = String::from_utf8(b).unwrap().trim().to_string();
    let hash = |v: &Value| {
        custodia_ledger::Hash(
            hex::decode(v.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap(),
        )
    };
    let (st, b, _) = call(&f, "GET", "/api/v1/log/checkpoints", None, None, None).await;
    assert_eq!(st, StatusCode::OK);
    let all = json_of(&b);
    let all = all.as_array().unwrap();
    assert!(all.len() >= 2, "{all:?}");
    assert_eq!(all[0]["size"], 0);
    let mut prev: Option<(u64, custodia_ledger::Hash)> = None;
    for e in all {
        let cp = custodia_ledger::verify_checkpoint(e["note"].as_str().unwrap(), &vkey).unwrap();
        let (size, root) = (e["size"].as_u64().unwrap(), hash(&e["root"]));
        assert_eq!((cp.size, cp.root), (size, root));
        let proof: Vec<_> = e["consistency"]["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(hash)
            .collect();
        if let Some((ps, pr)) = prev {
            assert_eq!(e["consistency"]["old_size"].as_u64(), Some(ps));
            custodia_ledger::verify_consistency(&proof, ps, pr, size, root).unwrap();
        }
        prev = Some((size, root));
    }
    let last = all.last().unwrap()["size"].as_u64().unwrap();
    let (_, b, _) = call(&f, "GET", "/api/v1/log/checkpoint", None, None, None).await;
    let now = String::from_utf8(b).unwrap();
    assert_eq!(now.lines().nth(1), Some(last.to_string().as_str()));
    // `since` and `limit` page through it.
    let mid = all[1]["size"].as_u64().unwrap();
    let (_, b, _) = call(
        &f,
        "GET",
        &format!("/api/v1/log/checkpoints?since={mid}&limit=1"),
        None,
        None,
        None,
    )
    .await;
    let page = json_of(&b);
    assert_eq!(page.as_array().unwrap().as_slice(), &all[1..2]);
    let (st, _, _) = call(
        &f,
        "GET",
        "/api/v1/log/checkpoints?since=x",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(st.as_u16(), 422);
}

#[tokio::test]
async fn pages_follow_the_language_and_forms_need_csrf() {
    let f = fixture(Config::default());
    let get = |uri: &str, lang: Option<&str>| {
        let mut b = Request::builder().uri(uri);
        if let Some(l) = lang {
            b = b.header("accept-language", l);
        }
        app(f.state.clone()).oneshot(b.body(Body::empty()).unwrap())
    };
    for (al, tag) in [
        (None, "en"),
        (Some("es-SV,es;q=0.9,en;q=0.5"), "es"),
        (Some("fr, en;q=0.3"), "en"),
    ] {
        let r = get("/locator", al).await.unwrap();
        let html =
            String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        assert!(html.contains(&format!("<html lang=\"{tag}\">")), "{al:?}");
    }
    let r = get("/locator?lang=es", None).await.unwrap();
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("lang=es"))
    );
    // Logging in without the double-submit cookie is refused.
    let req = Request::builder()
        .method("POST")
        .uri("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "csrf=abc&token={}",
            f.tokens[&Role::Auditor]
        )))
        .unwrap();
    let r = app(f.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The page says why (the form expired), not that the role may not do this.
    let page = String::from_utf8(
        axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(page.contains("The form expired"), "{page}");
    assert!(!page.contains("Your role may not"), "{page}");
    // With it, a session cookie (HttpOnly, SameSite=Strict) is set.
    let pre = "p".repeat(43);
    let req = Request::builder()
        .method("POST")
        .uri("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("custodia_csrf={pre}"))
        .body(Body::from(format!(
            "csrf={pre}&token={}&next=/auditor",
            f.tokens[&Role::Auditor]
        )))
        .unwrap();
    let r = app(f.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sc = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        sc.contains("HttpOnly") && sc.contains("SameSite=Strict"),
        "{sc}"
    );
    let session = sc.split(';').next().unwrap().to_string();
    // A POST with the session but without its CSRF token is refused.
    let req = Request::builder()
        .method("POST")
        .uri(format!("/manifests/{}/action", f.manifest))
        .header("cookie", &session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("action=screen"))
        .unwrap();
    let r = app(f.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Pages the session may see.
    for uri in [
        "/",
        "/auditor",
        "/manifests",
        &format!("/manifests/{}", f.manifest),
        &format!("/persons/{}", f.at_cecot),
        "/proof?index=3",
        "/persons?q=a",
    ] {
        let req = Request::builder()
            .uri(uri)
            .header("cookie", &session)
            .body(Body::empty())
            .unwrap();
        let r = app(f.state.clone()).oneshot(req).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
    }
    // Without a session, staff pages redirect to the login.
    let r = get("/manifests", None).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

mod fuzz {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            "[a-zA-Z0-9_ -]{0,12}".prop_map(Value::String),
            prop_oneof![
                Just("2025-04-10"),
                Just("SV"),
                Just("removal"),
                Just("T-1"),
                Just("CECOT"),
                Just("USDC-TX"),
                Just("needs_review")
            ]
            .prop_map(|s| Value::String(s.into())),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("flight".to_string()),
                        Just("person_id".to_string()),
                        Just("id".to_string()),
                        Just("on".to_string()),
                        Just("person".to_string()),
                        Just("records".to_string()),
                        Just("transfer".to_string()),
                        Just("justifications".to_string()),
                        Just("reason".to_string()),
                        Just("role".to_string()),
                        Just("name".to_string()),
                        Just("departure_on".to_string()),
                        "[a-z_]{1,8}".prop_map(|s| s)
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
        #[test]
        fn random_json_never_gives_a_5xx(v in any_json(), route in 0usize..7, raw in proptest::option::of("[ -~]{0,40}")) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let f = FIX.with(|f| f.clone());
            let routes = ["/api/v1/screen", "/api/v1/manifests", "/api/v1/manifests/MAN-0001/passengers", "/api/v1/manifests/MAN-0001/approve",
                          "/api/v1/manifests/MAN-0001/intake", "/api/v1/cases/CASE-1/resolve", "/api/v1/admin/tokens"];
            let body = raw.unwrap_or_else(|| v.to_string());
            for role in [Role::SendingOfficer, Role::SendingSupervisor, Role::ReceivingOfficer, Role::Admin] {
                let (s, b, _) = rt.block_on(call(&f, "POST", routes[route], Some(role), Some(&body), None));
                prop_assert!(s.as_u16() < 500, "{} {} -> {} {}", routes[route], body, s, String::from_utf8_lossy(&b));
                let v: Value = serde_json::from_slice(&b).unwrap();
                prop_assert!(s.is_success() || v["error"]["code"].is_string());
            }
        }
    }

    thread_local! {
        static FIX: std::sync::Arc<Fixture> = std::sync::Arc::new(fixture(Config::default()));
    }
}

/// The locator index follows the log: a person registered by another process after the
/// index was built is found once the index looks again, without a rebuild.
#[tokio::test]
async fn locator_follows_events_as_they_arrive() {
    let f = fixture(Config {
        locator_ttl: std::time::Duration::ZERO,
        ..Config::default()
    });
    let uri = "/api/v1/locate?family=Ixcamparic%20Tzunun&given=Rosa&country=SV&dob=1980-02-02";
    let (s, b, _) = call(&f, "GET", uri, Some(Role::Auditor), None, None).await;
    assert_eq!(s, StatusCode::OK);
    let before = json_of(&b);
    assert!(
        before
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["person_id"] != "LATE-1"),
        "{before}"
    );
    // Another writer (an import, say) on the same store.
    let mut other = common::open(&f.path, f.clock.clone());
    let now = f.clock.now();
    other
        .append(vec![
            NewEvent {
                occurred_at: now,
                actor: "import".into(),
                data: EventData::PersonRegistered(PersonRecord {
                    id: "LATE-1".into(),
                    family_names: "Ixcamparic Tzunún".into(),
                    given_names: "Rosa Elena".into(),
                    date_of_birth: Some("1980-02-02".parse().unwrap()),
                    sex: Some("F".into()),
                    country_of_birth: Some(CountryCode::new("SV").unwrap()),
                    nationalities: vec![CountryCode::new("SV").unwrap()],
                    us_status: None,
                    languages: vec![],
                    identity_verified: false,
                }),
            },
            NewEvent {
                occurred_at: now,
                actor: "import".into(),
                data: EventData::CustodyReported {
                    person_id: "LATE-1".into(),
                    facility_id: Some("CECOT".into()),
                    status: CustodyStatus::InCustody,
                },
            },
        ])
        .unwrap();
    let (s, b, _) = call(&f, "GET", uri, Some(Role::Auditor), None, None).await;
    assert_eq!(s, StatusCode::OK);
    let hits = json_of(&b);
    assert_eq!(hits[0]["person_id"], "LATE-1", "{hits}");
    assert_eq!(hits[0]["facility_id"], "CECOT");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let f = fixture(Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(custodia_server::serve_with(
        listener,
        app(f.state.clone()),
        std::time::Duration::from_millis(300),
        async {
            let _ = stopped.await;
        },
    ));
    // A whole request is answered ...
    let mut ok = tokio::net::TcpStream::connect(addr).await.unwrap();
    ok.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    ok.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // ... a request whose headers never end is cut off, not held open.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        slow.read_to_end(&mut buf),
    )
    .await;
    assert!(read.is_ok(), "the slow connection was still open after 5 s");
    let text = String::from_utf8_lossy(&buf);
    assert!(buf.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
