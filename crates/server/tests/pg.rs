#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The server on PostgreSQL (issue 9): when the database connection is lost, requests fail
//! cleanly with 503, and the server recovers by itself when the database is back.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use custodia_model::clock::ManualClock;
use custodia_server::{AppState, Config, app};
use tower::ServiceExt;

fn pg() -> Option<String> {
    match std::env::var("CUSTODIA_TEST_PG") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!("skipping: CUSTODIA_TEST_PG not set");
            None
        }
    }
}

async fn get(router: &axum::Router, uri: &str) -> StatusCode {
    router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_connections_give_503_then_recover() {
    let Some(url) = pg() else { return };
    let name = format!("custodia_t_srv_{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("pg.key");
    // The PostgreSQL client is synchronous: set up (and later tear down) off the runtime.
    let (u, n) = (url.clone(), name.clone());
    let state = tokio::task::spawn_blocking(move || {
        let _ = custodia_store::postgres::drop_database(&u, &n);
        let db = custodia_store::postgres::create_database(&u, &n).unwrap();
        let clock = Arc::new(ManualClock::new("2025-06-01T12:00:00Z".parse().unwrap()));
        let config = Config {
            pool_size: 1,
            ..Config::default()
        };
        AppState::open(&db, Some(key), clock, config).unwrap()
    })
    .await
    .unwrap();
    let router = app(state);
    assert_eq!(get(&router, "/api/v1/log/checkpoint").await, StatusCode::OK);

    // Cut every connection of this database from the server side.
    let (u, n) = (url.clone(), name.clone());
    tokio::task::spawn_blocking(move || {
        custodia_store::postgres::admin_execute(
            &u,
            &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{n}' AND pid <> pg_backend_pid()"),
        )
        .unwrap()
    })
    .await
    .unwrap();
    let during = get(&router, "/api/v1/log/checkpoint").await;
    assert_eq!(during, StatusCode::SERVICE_UNAVAILABLE);
    // The next request reconnects.
    assert_eq!(get(&router, "/api/v1/log/checkpoint").await, StatusCode::OK);
    assert_eq!(get(&router, "/healthz").await, StatusCode::OK);
    tokio::task::spawn_blocking(move || {
        drop(router);
        custodia_store::postgres::drop_database(&url, &name).unwrap();
    })
    .await
    .unwrap();
}
