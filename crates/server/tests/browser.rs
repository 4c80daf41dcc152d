//! Browser tests in a real headless Chromium driven through chromedriver (fantoccini):
//! every page in both languages, the public locator form, logging in and approving a
//! manifest, the dashboard's heat map, and the in-browser proof check. Screenshots go to
//! `target/artifacts/`. Skipped, with a notice, when chromedriver is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use custodia_app::{Actor, Role};
use custodia_server::{Config, app};
use fantoccini::{Client, ClientBuilder, Locator};

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    })
}

struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")),
        PathBuf::from,
    );
    let d = target.join("artifacts");
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
}

async fn lang_of(c: &Client) -> String {
    c.find(Locator::Css("html"))
        .await
        .unwrap()
        .attr("lang")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn login(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(token)
        .await
        .unwrap();
    c.find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("header form[action='/logout']"))
        .await
        .unwrap();
}

async fn logout(c: &Client) {
    c.find(Locator::Css("header form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("header a[href='/login']"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_in_a_real_browser() {
    let (Some(driver), Some(chromium)) = (
        which("chromedriver"),
        which("chromium").or_else(|| which("chromium-browser")),
    ) else {
        eprintln!(
            "NOTICE: browser tests skipped: chromedriver/chromium not installed (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let f = common::fixture(Config::default());
    // An officer drafts and screens a manifest; the supervisor approves it in the browser.
    let manifest = {
        let mut s = common::open(&f.path, f.clock.clone());
        let officer = Actor::new(Role::SendingOfficer, "browser");
        let id = custodia_app::manifests::create(
            &mut s,
            &officer,
            &custodia_app::manifests::NewManifest {
                flight: "CX42".into(),
                from_facility: "USDC-TX".into(),
                to_facility: "CECOT".into(),
                destination_country: custodia_model::legal::CountryCode::new("SV").unwrap(),
                basis: custodia_model::legal::Basis::Removal,
                departure_on: "2025-04-10".parse().unwrap(),
            },
        )
        .unwrap();
        for p in &f.eligible {
            custodia_app::manifests::add_passenger(&mut s, &officer, &id, p).unwrap();
        }
        custodia_app::manifests::screen(&mut s, &officer, &id, custodia_rules::Params::builtin())
            .unwrap();
        id
    };

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(f.state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let base = format!("http://{addr}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _driver = Driver(
        Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                     format!("--user-data-dir={}", profile.path().display())]
        }),
    );
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("chromedriver did not start");

    // Public pages in both languages.
    for lang in ["en", "es"] {
        for (name, path) in [("home", "/"), ("locator", "/locator"), ("login", "/login")] {
            c.goto(&format!("{base}{path}?lang={lang}")).await.unwrap();
            assert_eq!(lang_of(&c).await, lang, "{path}");
            shot(&c, &format!("{name}-{lang}")).await;
        }
    }
    // The choice is remembered in a cookie: no `?lang=` now, still Spanish.
    c.goto(&format!("{base}/locator")).await.unwrap();
    assert_eq!(lang_of(&c).await, "es");
    c.goto(&format!("{base}/locator?lang=en")).await.unwrap();

    // The locator form.
    c.find(Locator::Id("family"))
        .await
        .unwrap()
        .send_keys("Martinez Hernandez")
        .await
        .unwrap();
    c.find(Locator::Id("given"))
        .await
        .unwrap()
        .send_keys("Jose")
        .await
        .unwrap();
    c.find(Locator::Id("country"))
        .await
        .unwrap()
        .send_keys("SV")
        .await
        .unwrap();
    c.find(Locator::Id("locate-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let hits = c.wait().for_element(Locator::Id("hits")).await.unwrap();
    assert!(hits.text().await.unwrap().contains("Martínez Hernández"));
    shot(&c, "locator-results").await;

    // The supervisor logs in and approves.
    login(&c, &base, &f.tokens[&Role::SendingSupervisor]).await;
    c.goto(&format!("{base}/manifests/{manifest}"))
        .await
        .unwrap();
    assert_eq!(
        c.find(Locator::Id("manifest-state"))
            .await
            .unwrap()
            .attr("data-state")
            .await
            .unwrap()
            .as_deref(),
        Some("screened")
    );
    for t in c
        .find_all(Locator::Css("#approve-form textarea"))
        .await
        .unwrap()
    {
        t.send_keys("reviewed with counsel; no protection claim pending")
            .await
            .unwrap();
    }
    shot(&c, "manifest-before-approval").await;
    c.find(Locator::Id("action-approve"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("p.flash")).await.unwrap();
    assert_eq!(
        c.find(Locator::Id("manifest-state"))
            .await
            .unwrap()
            .attr("data-state")
            .await
            .unwrap()
            .as_deref(),
        Some("approved")
    );
    shot(&c, "manifest-approved").await;

    // Staff pages in both languages; the heat map has its cells.
    for lang in ["en", "es"] {
        for (name, path) in [
            ("dashboard", "/".to_string()),
            ("manifests", "/manifests".into()),
            ("manifest", format!("/manifests/{manifest}")),
            ("person", format!("/persons/{}", f.at_cecot)),
            ("persons", "/persons?q=a".into()),
        ] {
            c.goto(&format!(
                "{base}{path}{}lang={lang}",
                if path.contains('?') { "&" } else { "?" }
            ))
            .await
            .unwrap();
            assert_eq!(lang_of(&c).await, lang, "{path}");
            shot(&c, &format!("{name}-{lang}")).await;
        }
        c.goto(&format!("{base}/?lang={lang}")).await.unwrap();
        let rects = c
            .find_all(Locator::Css("#heatmap rect.cell"))
            .await
            .unwrap();
        assert!(rects.len() >= 200, "heat map has {} cells", rects.len());
        assert!(
            !c.find_all(Locator::Css("#population rect.bar"))
                .await
                .unwrap()
                .is_empty()
        );
    }
    logout(&c).await;

    // The auditor: checkpoints, verify, and a proof checked in the browser.
    login(&c, &base, &f.tokens[&Role::Auditor]).await;
    for lang in ["en", "es"] {
        c.goto(&format!("{base}/auditor?lang={lang}"))
            .await
            .unwrap();
        assert_eq!(lang_of(&c).await, lang);
        assert!(c.find(Locator::Css("#checkpoints tr + tr")).await.is_ok());
        shot(&c, &format!("auditor-{lang}")).await;
    }
    c.goto(&format!("{base}/proof?index=5&lang=en"))
        .await
        .unwrap();
    c.find(Locator::Id("proof-check"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut text = String::new();
    for _ in 0..50 {
        text = c
            .find(Locator::Id("proof-result"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if !text.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(text.starts_with("Valid"), "proof result: {text:?}");
    shot(&c, "proof-valid").await;
    // A tampered leaf fails.
    let leaf = c.find(Locator::Css("textarea[name=leaf]")).await.unwrap();
    leaf.send_keys(" ").await.unwrap();
    c.find(Locator::Id("proof-check"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        c.find(Locator::Id("proof-result"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .starts_with("Invalid")
    );
    c.close().await.unwrap();
}
