//! The public locator (issue 15): vague queries refused with a code, country names in two
//! languages, at most three hits above the threshold in words, where a person is now after
//! a transfer, facility contacts, withholding, rate limits for every caller, and a harvest
//! of the demo world that must list at most 2% of the people the locator can show.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use custodia_app::{Actor, Role};
use custodia_server::{AppState, Config, Pool, app};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use common::{Fixture, fixture};

async fn call_on(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        b = b.header("content-type", "application/json");
    }
    let req = b
        .body(body.map_or_else(Body::empty, |s| Body::from(s.to_string())))
        .unwrap();
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
    )
}

async fn call(f: &Fixture, uri: &str, role: Option<Role>) -> (StatusCode, Value) {
    call_on(
        &f.state,
        "GET",
        uri,
        role.map(|r| f.tokens[&r].as_str()),
        None,
    )
    .await
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|h| h["person_id"].as_str().unwrap().to_string())
        .collect()
}

fn no_limits() -> Config {
    Config {
        rate_limits: false,
        locator_ttl: std::time::Duration::ZERO,
        ..Config::default()
    }
}

#[tokio::test]
async fn vague_queries_are_refused_with_a_code_never_a_list() {
    let f = fixture(no_limits());
    for q in [
        "",
        "family=Martinez",
        "family=Martinez&country=SV",
        "family=Martinez&dob=1991-04-12",
        "given=Jose&country=SV",
        "family=Martinez&given=Jose",
        "family=%20&given=Jose&country=SV",
    ] {
        let (s, v) = call(&f, &format!("/api/v1/locate?{q}"), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {v}");
        assert_eq!(v["error"]["code"], "locate_too_vague", "{q}: {v}");
        assert!(v.as_array().is_none());
    }
    let (s, v) = call(
        &f,
        "/api/v1/locate?family=Martinez&given=Jose&country=Atlantis",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["code"], "locate_country_unknown");
    let (_, v) = call(
        &f,
        "/api/v1/locate?family=Martinez&given=Jose&dob=1991-13-45",
        None,
    )
    .await;
    assert_eq!(v["error"]["code"], "locate_dob_invalid");
}

#[tokio::test]
async fn country_by_code_or_name_in_either_language_with_or_without_accents() {
    let f = fixture(no_limits());
    for country in [
        "SV",
        "sv",
        "El%20Salvador",
        "el%20salvador",
        "EL%20SALVADOR",
        "Salvador",
    ] {
        let (s, v) = call(
            &f,
            &format!(
                "/api/v1/locate?family=Martinez%20Hernandez&given=Jose%20Luis&country={country}"
            ),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{country}: {v}");
        assert_eq!(
            ids(&v).first().map(String::as_str),
            Some("T-1"),
            "{country}: {v}"
        );
    }
    // A date of birth instead of a country.
    let (s, v) = call(
        &f,
        "/api/v1/locate?family=Martinez%20Hernandez&given=Jose&dob=1991-04-12",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(ids(&v).first().map(String::as_str), Some("T-1"), "{v}");
}

#[tokio::test]
async fn at_most_three_hits_above_the_threshold_said_in_words() {
    let f = fixture(no_limits());
    let (_, v) = call(
        &f,
        "/api/v1/locate?family=Martinez%20Hernandez&given=Jose%20Luis&country=SV&limit=10",
        None,
    )
    .await;
    let hits = v.as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 3, "{v}");
    for h in hits {
        assert!(
            h["score"].as_f64().unwrap() >= custodia_server::locator::PUBLIC_MIN_SCORE,
            "{h}"
        );
        assert!(h["match"] == "exact" || h["match"] == "close", "{h}");
    }
    assert_eq!(hits[0]["match"], "exact", "{v}");
    let (_, v) = call(
        &f,
        "/api/v1/locate?family=Martines%20Hernandes&given=Jose&country=SV",
        None,
    )
    .await;
    let hits = v.as_array().unwrap();
    assert_eq!(hits[0]["person_id"], "T-1", "{v}");
    assert_eq!(hits[0]["match"], "close", "{v}");
    // The page never shows a score.
    let req = Request::builder()
        .uri("/locator?family=Martinez%20Hernandez&given=Jose&country=SV&lang=es")
        .body(Body::empty())
        .unwrap();
    let r = app(f.state.clone()).oneshot(req).await.unwrap();
    let html =
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(html.contains("Coincidencia exacta"), "{html}");
    assert!(
        !html.contains("Puntuación") && !html.contains("0."),
        "{html}"
    );
}

/// Sends T-2 to CECOT: drafted, screened, approved by another supervisor, departed.
fn depart_t2(f: &Fixture) -> String {
    let mut s = common::open(&f.path, f.clock.clone());
    let officer = Actor::new(Role::SendingOfficer, "o");
    let id = custodia_app::manifests::create(
        &mut s,
        &officer,
        &custodia_app::manifests::NewManifest {
            flight: "CX77".into(),
            from_facility: "USDC-TX".into(),
            to_facility: "CECOT".into(),
            destination_country: custodia_model::legal::CountryCode::new("SV").unwrap(),
            basis: custodia_model::legal::Basis::Removal,
            departure_on: "2025-04-05".parse().unwrap(),
        },
    )
    .unwrap();
    custodia_app::manifests::add_passenger(&mut s, &officer, &id, "T-2").unwrap();
    custodia_app::manifests::screen(&mut s, &officer, &id, custodia_rules::Params::builtin())
        .unwrap();
    let sup = Actor::new(Role::SendingSupervisor, "s");
    custodia_app::manifests::approve(&mut s, &sup, &id, &[]).unwrap();
    // The departure gate opens on the scheduled day.
    {
        use custodia_model::clock::Clock;
        let day: jiff::Timestamp = "2025-04-05T12:00:00Z".parse().unwrap();
        if f.clock.now() < day {
            f.clock.set(day);
        }
    }
    custodia_app::manifests::depart(&mut s, &officer, &id, custodia_rules::Params::builtin())
        .unwrap();
    id
}

#[tokio::test]
async fn after_a_transfer_the_locator_says_where_and_since_when() {
    let f = fixture(no_limits());
    let manifest = depart_t2(&f);
    // The receiving facility publishes how families reach it.
    let (s, v) = call_on(
        &f.state,
        "POST",
        "/api/v1/housing/facilities/CECOT/contact",
        Some(&f.tokens[&Role::Admin]),
        Some(r#"{"visiting":"No visits.","consular":"Consulado: +503 0000 0000","counsel_access":"Written request to the director."}"#),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let uri = "/api/v1/locate?family=Perez%20Gomez&given=Jose%20Luis&country=SV";
    let (_, v) = call(&f, uri, None).await;
    let h = &v[0];
    assert_eq!(h["person_id"], "T-2", "{v}");
    assert_eq!(h["status"], "transferred", "{v}");
    assert_eq!(h["facility_id"], "CECOT", "{v}");
    assert_eq!(h["country"], "SV", "{v}");
    assert_eq!(h["custodian"], "SV", "{v}");
    assert_eq!(h["transferred_on"], "2025-04-05", "{v}");
    assert_eq!(h["arrival_confirmed"], false, "{v}");
    assert_eq!(h["contact"]["visiting"], "No visits.", "{v}");
    // Arrived, but the intake did not list T-2: a missing-from-intake case, still
    // "arrival not yet confirmed".
    {
        let mut s = common::open(&f.path, f.clock.clone());
        let recv = Actor {
            role: Role::ReceivingOfficer,
            name: "r".into(),
            facility_id: Some("CECOT".into()),
        };
        custodia_app::manifests::arrive(&mut s, &recv, &manifest).unwrap();
        custodia_app::manifests::record_intake(&mut s, &recv, "CECOT", Some(&manifest), &[])
            .unwrap();
        custodia_app::manifests::reconcile(&mut s, &recv, &manifest).unwrap();
    }
    let (_, v) = call(&f, uri, None).await;
    assert_eq!(v[0]["arrival_confirmed"], false, "{v}");
    let req = Request::builder()
        .uri(format!("{uri}&lang=es").replace("/api/v1/locate", "/locator"))
        .body(Body::empty())
        .unwrap();
    let r = app(f.state.clone()).oneshot(req).await.unwrap();
    let html =
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    for want in [
        "Trasladada; llegada aún no confirmada",
        "el gobierno de El Salvador",
        "2025-04-05",
        "No visits.",
    ] {
        assert!(html.contains(want), "missing {want}: {html}");
    }
}

#[tokio::test]
async fn a_withheld_person_never_appears_and_auditors_see_why() {
    let f = fixture(no_limits());
    let uri = "/api/v1/locate?family=Martinez%20Hernandez&given=Jose%20Luis&country=SV";
    assert_eq!(ids(&call(&f, uri, None).await.1)[0], "T-1");
    // Counsel not assigned to T-1 may not ask for them.
    let body = r#"{"requested_by":"counsel","reason":"threats against the family"}"#;
    let (s, _) = call_on(
        &f.state,
        "POST",
        "/api/v1/persons/T-1/withhold",
        Some(&f.tokens[&Role::Counsel]),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = call_on(
        &f.state,
        "POST",
        "/api/v1/persons/T-1/withhold",
        Some(&f.tokens[&Role::SendingOfficer]),
        Some(r#"{"requested_by":"nobody","reason":"x"}"#),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = call_on(
        &f.state,
        "POST",
        "/api/v1/persons/T-1/withhold",
        Some(&f.tokens[&Role::SendingOfficer]),
        Some(r#"{"requested_by":"person","reason":"asked at intake interview"}"#),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = call(&f, uri, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!ids(&v).contains(&"T-1".to_string()), "{v}");
    let (_, v) = call(
        &f,
        "/api/v1/locate?family=Martinez%20Hernandez&given=Jose&dob=1991-04-12",
        Some(Role::Auditor),
    )
    .await;
    assert!(!ids(&v).contains(&"T-1".to_string()), "{v}");
    let (s, _) = call(&f, "/api/v1/locator/withheld", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = call(&f, "/api/v1/locator/withheld", Some(Role::Counsel)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = call(&f, "/api/v1/locator/withheld", Some(Role::Auditor)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0]["person_id"], "T-1");
    assert_eq!(v[0]["requested_by"], "person");
    assert_eq!(v[0]["reason"], "asked at intake interview");
    // A fresh index (a restarted server) does not hold them either.
    let state = AppState::new(
        Pool::new(vec![common::open(&f.path, f.clock.clone())]),
        f.clock.clone(),
        no_limits(),
    );
    let (_, v) = call_on(&state, "GET", uri, None, None).await;
    assert!(!ids(&v).contains(&"T-1".to_string()), "{v}");
    // verify still agrees with the projections.
    let mut s = common::open(&f.path, f.clock.clone());
    assert!(matches!(
        s.verify(&Default::default(), &mut |_| {}).unwrap(),
        custodia_store::Verdict::Ok { .. }
    ));
}

#[tokio::test]
async fn every_caller_is_rate_limited_auditors_less_and_addresses_daily() {
    let f = fixture(Config {
        locate_anon_per_minute: 2,
        locate_token_per_minute: 3,
        locate_auditor_per_minute: 8,
        locate_daily_per_address: 1000,
        ..Config::default()
    });
    let uri = "/api/v1/locate?family=Martinez&given=Jose&country=SV";
    let count_ok = |role: Option<Role>, n: usize| {
        let f = &f;
        async move {
            let mut ok = 0;
            let mut last = Value::Null;
            for _ in 0..n {
                let (s, v) = call(f, uri, role).await;
                if s == StatusCode::OK {
                    ok += 1;
                } else {
                    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
                    last = v;
                }
            }
            (ok, last)
        }
    };
    let (ok, last) = count_ok(None, 5).await;
    assert_eq!(ok, 2);
    assert_eq!(last["error"]["code"], "rate_limited");
    let (ok, _) = count_ok(Some(Role::Counsel), 6).await;
    assert_eq!(ok, 3, "a token is limited per token");
    let (ok, _) = count_ok(Some(Role::SendingOfficer), 6).await;
    assert_eq!(ok, 3, "each token has its own quota");
    let (ok, _) = count_ok(Some(Role::Auditor), 12).await;
    assert_eq!(ok, 8, "the auditor's quota is higher");

    // A daily cap per address, whoever asks.
    let f = fixture(Config {
        locate_anon_per_minute: 100,
        locate_token_per_minute: 100,
        locate_daily_per_address: 4,
        ..Config::default()
    });
    let mut codes = Vec::new();
    for role in [
        None,
        None,
        Some(Role::Counsel),
        None,
        Some(Role::Counsel),
        None,
    ] {
        let (s, v) = call(&f, uri, role).await;
        codes.push(if s == StatusCode::OK {
            "ok".to_string()
        } else {
            v["error"]["code"].as_str().unwrap().to_string()
        });
    }
    assert_eq!(
        codes,
        [
            "ok",
            "ok",
            "ok",
            "ok",
            "rate_limited_daily",
            "rate_limited_daily"
        ]
    );
    // The page says it in the visitor's language.
    let req = Request::builder()
        .uri("/locator?family=Martinez&given=Jose&country=SV&lang=es")
        .body(Body::empty())
        .unwrap();
    let r = app(f.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let html =
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(html.contains("Inténtelo de nuevo mañana"), "{html}");

    // Off for benchmarks.
    let f = fixture(Config {
        locate_anon_per_minute: 1,
        locate_daily_per_address: 1,
        rate_limits: false,
        ..Config::default()
    });
    for _ in 0..5 {
        assert_eq!(call(&f, uri, None).await.0, StatusCode::OK);
    }
}

const SURNAMES: [&str; 80] = [
    "Hernández",
    "García",
    "Martínez",
    "López",
    "González",
    "Rodríguez",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Flores",
    "Cruz",
    "Rivera",
    "Gómez",
    "Díaz",
    "Reyes",
    "Morales",
    "Ortiz",
    "Castillo",
    "Jiménez",
    "Moreno",
    "Romero",
    "Álvarez",
    "Ruiz",
    "Mendoza",
    "Aguilar",
    "Vásquez",
    "Castro",
    "Chávez",
    "Torres",
    "Gutiérrez",
    "Ramos",
    "Herrera",
    "Medina",
    "Vargas",
    "Guzmán",
    "Rojas",
    "Salazar",
    "Domínguez",
    "Contreras",
    "Molina",
    "Méndez",
    "Delgado",
    "Rosales",
    "Ríos",
    "Navarro",
    "Ortega",
    "Campos",
    "Carrillo",
    "Figueroa",
    "Fuentes",
    "Guerrero",
    "Lara",
    "Luna",
    "Marín",
    "Mejía",
    "Miranda",
    "Núñez",
    "Orellana",
    "Peña",
    "Quintanilla",
    "Soto",
    "Suárez",
    "Valdez",
    "Vega",
    "Zelaya",
    "Alvarado",
    "Argueta",
    "Ayala",
    "Bonilla",
    "Cabrera",
    "Cordero",
    "Escobar",
    "Estrada",
    "Galdámez",
    "Henríquez",
    "Lemus",
    "Mármol",
    "Portillo",
    "Sandoval",
    "Umaña",
];
const GIVEN: [&str; 12] = [
    "José",
    "Juan",
    "Carlos",
    "Luis",
    "Jorge",
    "Miguel",
    "María",
    "Ana",
    "Francisco",
    "Pedro",
    "Mario",
    "Óscar",
];
const COUNTRIES: [&str; 9] = ["SV", "VE", "HN", "GT", "MX", "CO", "EC", "NI", "CU"];

/// A harvester asks for common surnames in every country, adding given names when a query
/// fills up, as one anonymous client with the default limits on. It must list at most 2% of
/// the people the locator can show.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harvesting_the_demo_world_lists_at_most_two_percent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db").to_str().unwrap().to_string();
    let clock = std::sync::Arc::new(custodia_model::clock::ManualClock::new(
        "2025-01-01T00:00:00Z".parse().unwrap(),
    ));
    let mut s = common::open(&path, clock.clone());
    for b in custodia_demo::build(2025, custodia_demo::Scale::Small) {
        clock.set(b.recorded_at);
        s.append(b.events).unwrap();
    }
    let today = custodia_model::clock::Clock::now(&*clock)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let (rows, _) = s.locator_rows(None).unwrap();
    let visible = rows
        .iter()
        .filter(|r| !r.withheld)
        .filter(|r| custodia_linkage::locator::publicly_visible(&r.entry, today))
        .count();
    assert!(visible > 500, "only {visible} visible persons");
    let state = AppState::new(Pool::new(vec![s]), clock.clone(), Config::default());
    let mut listed = BTreeSet::new();
    let (mut asked, mut refused) = (0u32, 0u32);
    for country in COUNTRIES {
        for family in SURNAMES {
            let mut given: Vec<&str> = vec![GIVEN[0]];
            let mut k = 1;
            loop {
                let uri = format!(
                    "/api/v1/locate?family={}&given={}&country={country}",
                    custodia_server::ui::pct(family),
                    custodia_server::ui::pct(&given.join(" "))
                );
                asked += 1;
                let (s, v) = call_on(&state, "GET", &uri, None, None).await;
                if s == StatusCode::TOO_MANY_REQUESTS {
                    refused += 1;
                    break;
                }
                assert_eq!(s, StatusCode::OK, "{v}");
                let got = ids(&v);
                let full = got.len() >= custodia_server::locator::PUBLIC_LIMIT;
                listed.extend(got);
                if !full || k >= GIVEN.len() {
                    break;
                }
                given = vec![GIVEN[k]];
                k += 1;
            }
        }
    }
    let share = listed.len() as f64 / visible as f64;
    eprintln!(
        "harvest: {asked} queries, {refused} refused, {} of {visible} visible persons listed ({:.2}%)",
        listed.len(),
        share * 100.0
    );
    assert!(
        share <= 0.02,
        "listed {:.2}% of visible persons",
        share * 100.0
    );
}
