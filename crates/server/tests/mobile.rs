//! Families on a phone (issue 15), in headless Chromium at a 390 px viewport:
//! - each family journey in Spanish: found by a typed country name; found after a transfer
//!   with the destination shown; too vague; withheld; rate-limited, each with its message;
//! - every page in both languages lays out no wider than 390 px, and axe-core (installed
//!   from npm by the test into `target/axe`, never committed) finds no violation.
//!
//! Skipped, with a notice, when chromedriver is not installed; the axe part is skipped
//! with a notice when npm cannot install `axe-core`.
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

fn target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")),
        PathBuf::from,
    )
}

async fn shot(c: &Client, name: &str) {
    let d = target().join("artifacts");
    std::fs::create_dir_all(&d).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(d.join(format!("{name}.png")), png).unwrap();
}

/// axe-core's minified source, installed from npm into `target/axe` once.
fn axe_source() -> Option<String> {
    let dir = target().join("axe");
    let file = dir.join("node_modules/axe-core/axe.min.js");
    if !file.is_file() {
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("npm")
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
            ])
            .arg(&dir)
            .arg("axe-core@4")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return None;
        }
    }
    std::fs::read_to_string(file).ok()
}

/// The page's layout width and the viewport's.
async fn widths(c: &Client) -> (u64, u64) {
    let v = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
}

/// axe-core's violations on the current page, as `rule: target` lines.
async fn axe(c: &Client, src: &str) -> Vec<String> {
    c.execute(src, vec![]).await.unwrap();
    let v = c
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document).then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))))\
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect()
}

async fn text_of(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn fill(c: &Client, id: &str, value: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    if !value.is_empty() {
        e.send_keys(value).await.unwrap();
    }
}

/// Fills the locator form the way a relative would and submits it.
async fn search(c: &Client, base: &str, family: &str, given: &str, country: &str) {
    c.goto(&format!("{base}/locator?lang=es")).await.unwrap();
    fill(c, "family", family).await;
    fill(c, "given", given).await;
    fill(c, "country", country).await;
    // The page's own `required` would stop an empty field in the browser; a relative on an
    // older phone gets the server's answer, which is what is tested here.
    c.execute(
        "document.getElementById('locator-form').noValidate = true;",
        vec![],
    )
    .await
    .unwrap();
    c.find(Locator::Id("locate-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#hits, #no-results, #locate-error"))
        .await
        .unwrap();
}

async fn login(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "token", token).await;
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

/// The page's width and axe-core's violations, as failure lines.
async fn check(c: &Client, label: &str, axe_src: Option<&str>) -> Vec<String> {
    let mut failures = Vec::new();
    let (w, vw) = widths(c).await;
    if w > 390 || vw != 390 {
        failures.push(format!(
            "{label}: lays out {w} px wide in a {vw} px viewport"
        ));
        shot(
            c,
            &format!("too-wide-{}", label.replace(['/', '?', '=', '&', ' '], "_")),
        )
        .await;
    }
    if let Some(src) = axe_src {
        for v in axe(c, src).await {
            failures.push(format!("{label}: {v}"));
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn families_on_a_phone_in_spanish_and_every_page_fits_and_passes_axe() {
    let (Some(driver), Some(chromium)) = (
        which("chromedriver"),
        which("chromium").or_else(|| which("chromium-browser")),
    ) else {
        eprintln!(
            "NOTICE: browser tests skipped: chromedriver/chromium not installed (apt-get install chromium chromium-driver)"
        );
        return;
    };
    // Limits on, small enough that the last journey reaches them.
    let f = common::fixture(Config {
        locate_anon_per_minute: 8,
        locator_ttl: Duration::ZERO,
        ..Config::default()
    });
    // T-2 leaves for CECOT today; T-1 asks to be withheld later in the test.
    let dep_day = {
        use custodia_model::clock::Clock;
        f.clock
            .now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_string()
    };
    let manifest = {
        let mut s = common::open(&f.path, f.clock.clone());
        let officer = Actor::new(Role::SendingOfficer, "o");
        let id = custodia_app::manifests::create(
            &mut s,
            &officer,
            &custodia_app::manifests::NewManifest {
                flight: "CX90".into(),
                from_facility: "USDC-TX".into(),
                to_facility: "CECOT".into(),
                destination_country: custodia_model::legal::CountryCode::new("SV").unwrap(),
                basis: custodia_model::legal::Basis::Removal,
                // The departure gate opens on the scheduled day: schedule it for today.
                departure_on: dep_day.parse().unwrap(),
            },
        )
        .unwrap();
        custodia_app::manifests::add_passenger(&mut s, &officer, &id, "T-2").unwrap();
        custodia_app::manifests::screen(&mut s, &officer, &id, custodia_rules::Params::builtin())
            .unwrap();
        let sup = Actor::new(Role::SendingSupervisor, "s");
        custodia_app::manifests::approve(&mut s, &sup, &id, &[]).unwrap();
        custodia_app::manifests::depart(&mut s, &officer, &id, custodia_rules::Params::builtin())
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
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                     format!("--user-data-dir={}", profile.path().display())],
            "mobileEmulation": {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 1.0}}
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

    // 1. Found by a typed country name, without accents.
    search(&c, &base, "Martinez Hernandez", "Jose Luis", "el salvador").await;
    let hits = text_of(&c, "#hits").await;
    assert!(hits.contains("Martínez Hernández"), "{hits}");
    assert!(hits.contains("Coincidencia exacta"), "{hits}");
    assert!(!hits.contains("0."), "no score is shown: {hits}");
    assert_eq!(widths(&c).await, (390, 390));
    shot(&c, "journey-found-es-390").await;

    // 2. Found after a transfer, with the destination shown.
    search(&c, &base, "Pérez Gómez", "José Luis", "El Salvador").await;
    let hits = text_of(&c, "#hits").await;
    for want in [
        "Trasladada",
        "El Salvador",
        "el gobierno de El Salvador",
        dep_day.as_str(),
    ] {
        assert!(hits.contains(want), "missing {want}: {hits}");
    }
    shot(&c, "journey-transferred-es-390").await;

    // 3. Too vague.
    search(&c, &base, "Martinez", "", "").await;
    let err = text_of(&c, "#locate-error").await;
    assert!(err.contains("demasiado vaga"), "{err}");
    assert!(err.contains("el nombre"), "{err}");
    assert!(c.find(Locator::Id("hits")).await.is_err());
    shot(&c, "journey-too-vague-es-390").await;

    // 4. Withheld at the person's request: no longer found.
    {
        let mut s = common::open(&f.path, f.clock.clone());
        custodia_server::api::withhold_sync(
            &mut s,
            &Actor::new(Role::SendingOfficer, "o"),
            "T-1",
            &custodia_server::api::WithholdBody {
                requested_by: "person".into(),
                reason: "asked at interview".into(),
            },
        )
        .unwrap();
    }
    search(&c, &base, "Martinez Hernandez", "Jose Luis", "SV").await;
    let none = text_of(&c, "#no-results").await;
    assert!(none.contains("No se encontró"), "{none}");
    shot(&c, "journey-withheld-es-390").await;

    // 5. Rate-limited, with a translated message.
    let mut limited = String::new();
    for _ in 0..10 {
        search(&c, &base, "Gomez", "Ana", "Honduras").await;
        if let Ok(e) = c
            .find(Locator::Css("#locate-error[data-code=rate_limited]"))
            .await
        {
            limited = e.text().await.unwrap();
            break;
        }
    }
    assert!(limited.contains("Demasiadas búsquedas"), "{limited:?}");
    shot(&c, "journey-rate-limited-es-390").await;

    // Every page, both languages: no wider than the phone, no axe violation.
    let axe_src = axe_source();
    if axe_src.is_none() {
        eprintln!("NOTICE: axe-core checks skipped: `npm install axe-core` failed");
    }
    let mut failures = Vec::new();
    let public = [
        "/".to_string(),
        "/locator".into(),
        "/locator?family=Perez%20Gomez&given=Jose&country=SV".into(),
        "/locator?family=Perez".into(),
        "/login".into(),
        "/no/such/page".into(),
    ];
    for lang in ["es", "en"] {
        for p in &public {
            let sep = if p.contains('?') { '&' } else { '?' };
            c.goto(&format!("{base}{p}{sep}lang={lang}")).await.unwrap();
            failures.extend(check(&c, &format!("{lang} {p}"), axe_src.as_deref()).await);
        }
    }
    let staff = [
        "/".to_string(),
        "/manifests".into(),
        format!("/manifests/{manifest}"),
        format!("/persons/{}", f.at_cecot),
        "/persons?q=a".into(),
        "/standards".into(),
        "/costs".into(),
        "/oversight".into(),
    ];
    login(&c, &base, &f.tokens[&Role::SendingSupervisor]).await;
    for lang in ["es", "en"] {
        for p in &staff {
            let sep = if p.contains('?') { '&' } else { '?' };
            c.goto(&format!("{base}{p}{sep}lang={lang}")).await.unwrap();
            failures.extend(check(&c, &format!("{lang} {p}"), axe_src.as_deref()).await);
        }
    }
    logout(&c).await;
    login(&c, &base, &f.tokens[&Role::Auditor]).await;
    for lang in ["es", "en"] {
        for p in ["/auditor", "/proof?index=5"] {
            let sep = if p.contains('?') { '&' } else { '?' };
            c.goto(&format!("{base}{p}{sep}lang={lang}")).await.unwrap();
            failures.extend(check(&c, &format!("{lang} {p}"), axe_src.as_deref()).await);
        }
    }
    c.close().await.unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
