//! Server benchmarks on an existing store (BENCHMARKS.md, server section):
//!
//! ```sh
//! custodia --db /tmp/cecot.db demo --scale cecot
//! cargo run --release -p custodia-server --example serve_bench -- /tmp/cecot.db pages
//! cargo run --release -p custodia-server --example serve_bench -- /tmp/cecot.db serve 127.0.0.1:18181
//! wrk -t2 -c32 -d10s --latency 'http://127.0.0.1:18181/api/v1/locate?family=Hernandez%20Lopez&given=Jose&country=SV'
//! ```
//!
//! `pages` times every page in process (`tower::ServiceExt::oneshot`, so server time only:
//! no network), signed in as a sending supervisor and as an auditor, in both languages:
//! the first request after the server is ready (it warms its caches at start, as `custodia
//! serve` does, and the time that takes is printed), then the median and the worst of 20
//! more. `serve` serves the store with the locator's rate limits off, for wrk.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use custodia_app::Role;
use custodia_server::{AppState, Config, app};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn config() -> Config {
    Config {
        rate_limits: false,
        pool_size: 4,
        ..Config::default()
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let db = args.get(1).expect("usage: serve_bench DB pages|serve ADDR");
    let clock = Arc::new(custodia_model::clock::SystemClock);
    let state = AppState::open(db, None, clock.clone(), config()).expect("open the store");
    match args.get(2).map(String::as_str) {
        Some("serve") => {
            let addr = args.get(3).map_or("127.0.0.1:18181", String::as_str);
            let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
            eprintln!("serving {db} on http://{addr} (rate limits off)");
            state.spawn_warmer(std::time::Duration::from_secs(1));
            custodia_server::serve(listener, app(state)).await.unwrap();
        }
        _ => pages(db, state, clock).await,
    }
}

async fn time(state: &AppState, uri: &str, cookie: &str) -> (u16, f64) {
    let req = Request::builder()
        .uri(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap();
    let t = Instant::now();
    let r = app(state.clone()).oneshot(req).await.unwrap();
    let status = r.status().as_u16();
    let _ = r.into_body().collect().await.unwrap();
    (status, t.elapsed().as_secs_f64() * 1000.0)
}

async fn pages(db: &str, state: AppState, clock: Arc<custodia_model::clock::SystemClock>) {
    let mut store = custodia_store::Store::open(
        db,
        custodia_store::OpenOptions {
            key_path: None,
            clock,
        },
    )
    .unwrap();
    let mut session = |role: Role| {
        let t = custodia_server::auth::create_token(&mut store, role, "bench", None).unwrap();
        let (id, _) = custodia_server::auth::open_session(&mut store, &t, 1)
            .unwrap()
            .unwrap();
        format!("custodia_session={id}")
    };
    let t = Instant::now();
    state.warm().unwrap();
    println!(
        "warming the caches at start: {:.1} ms\n",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let sup = session(Role::SendingSupervisor);
    let aud = session(Role::Auditor);
    let person = store
        .search_persons("a", None, 1)
        .unwrap()
        .first()
        .map(|p| p.person_id.clone())
        .unwrap_or_default();
    let manifest = store
        .manifests(None, 1)
        .unwrap()
        .first()
        .map(|m| m.id.clone())
        .unwrap_or_default();
    let pages: Vec<(String, &str)> = vec![
        ("/locator".into(), ""),
        (
            "/locator?family=Hernandez%20Lopez&given=Jose&country=El%20Salvador".into(),
            "",
        ),
        ("/login".into(), ""),
        ("/".into(), &sup),
        ("/manifests".into(), &sup),
        (format!("/manifests/{manifest}"), &sup),
        (format!("/persons/{person}"), &sup),
        ("/persons?q=Hernandez".into(), &sup),
        ("/standards?facility=CECOT".into(), &sup),
        ("/costs".into(), &sup),
        ("/auditor".into(), &aud),
        ("/proof?index=1000".into(), &aud),
        ("/no/such/page".into(), ""),
    ];
    println!("| page | status | first ms | median ms | max ms |");
    println!("|---|---|---|---|---|");
    for (uri, cookie) in &pages {
        for lang in ["en", "es"] {
            let sep = if uri.contains('?') { '&' } else { '?' };
            let u = format!("{uri}{sep}lang={lang}");
            let (_, first) = time(&state, &u, cookie).await;
            let mut ms = Vec::new();
            let mut status = 0;
            for _ in 0..20 {
                let (s, t) = time(&state, &u, cookie).await;
                status = s;
                ms.push(t);
            }
            ms.sort_by(f64::total_cmp);
            println!(
                "| `{u}` | {status} | {first:.1} | {:.1} | {:.1} |",
                ms[ms.len() / 2],
                ms[ms.len() - 1]
            );
        }
    }
}
