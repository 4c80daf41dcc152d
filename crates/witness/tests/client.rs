//! The submitter against real witnesses on loopback: cosignatures collected and verified, 409
//! answered from the reported size, and down, slow, lying or refusing witnesses reported
//! per witness without failing the submission.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use custodia_ledger::Hash;
use custodia_witness::{
    CosignerKey, Policy, Submitter, Witness, WitnessStatus, add_cosignatures, app,
    verify_cosignature,
};

use common::{Log, cosigner, witness};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

async fn serve_witness(w: &Arc<Witness>) -> String {
    serve(app(w.clone())).await
}

fn proofs(log: &Log) -> impl Fn(u64, u64) -> Result<Vec<Hash>, String> + Sync + '_ {
    move |old, new| Ok(log.proof(old, new))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collects_cosignatures_and_reports_every_witness() {
    let mut log = Log::named("example.org/log");
    log.append(30, "m");
    let mut fork = Log::new(log.key.clone());
    fork.append(30, "f");
    let keys: Vec<CosignerKey> = (0..6)
        .map(|i| cosigner(&format!("w{i}.example.org")))
        .collect();
    let good = witness(keys[0].clone(), &[&log]);
    let behind = witness(keys[1].clone(), &[&log]);
    let forked = witness(keys[2].clone(), &[&log]);
    let url_good = serve_witness(&good).await;
    let url_behind = serve_witness(&behind).await;
    let url_forked = serve_witness(&forked).await;
    // A witness that lies: 200 with a cosignature from another key.
    let liar_key = keys[5].clone();
    let liar = serve(Router::new().route(
        "/add-checkpoint",
        post(move |body: String| {
            let k = liar_key.clone();
            async move {
                let note = body.split_once("\n\n").unwrap().1;
                let text = &note[..=note.rfind("\n\n").unwrap()];
                k.sign(text, 5).unwrap()
            }
        }),
    ))
    .await;
    // A witness that never answers in time.
    let slow = serve(Router::new().route(
        "/add-checkpoint",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            ""
        }),
    ))
    .await;
    // A closed port.
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    // The `behind` witness already cosigned 10; the `forked` one cosigned the fork at 12.
    behind.add_checkpoint(log.body(0, 10).as_bytes()).unwrap();
    forked.add_checkpoint(fork.body(0, 12).as_bytes()).unwrap();

    let policy = Policy::parse(&format!(
        "log {}\nwitness good {} {url_good}/\nwitness behind {} {url_behind}\nwitness forked {} {url_forked}\nwitness liar {} {liar}\nwitness slow {} {slow}\nwitness down {} {down}\nwitness offline {}\ngroup g 2 good behind forked liar slow down offline\nquorum g\n",
        log.key.verifier_key(),
        keys[0].vkey(),
        keys[1].vkey(),
        keys[2].vkey(),
        keys[3].vkey(),
        keys[4].vkey(),
        cosigner("down.example.org").vkey(),
        cosigner("offline.example.org").vkey(),
    ))
    .unwrap();
    let sub = Submitter::new(policy.clone())
        .unwrap()
        .with_timeout(Duration::from_millis(500));
    let note = log.checkpoint(20);
    let started = std::time::Instant::now();
    let s = sub.submit(&note, &proofs(&log)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let status: Vec<(&str, &WitnessStatus)> = s
        .outcomes
        .iter()
        .map(|o| (o.name.as_str(), &o.status))
        .collect();
    assert_eq!(status[0], ("good", &WitnessStatus::Cosigned));
    assert_eq!(
        status[1],
        ("behind", &WitnessStatus::Cosigned),
        "409 from 10, then a proof from 10"
    );
    assert!(
        matches!(status[2].1, WitnessStatus::Refused { status: 422, .. }),
        "{status:?}"
    );
    assert!(
        matches!(status[3].1, WitnessStatus::BadResponse(_)),
        "{status:?}"
    );
    assert_eq!(status[4].1, &WitnessStatus::TimedOut);
    assert!(
        matches!(status[5].1, WitnessStatus::Unreachable(_)),
        "{status:?}"
    );
    assert_eq!(status[6].1, &WitnessStatus::NoUrl);
    assert_eq!(s.outcomes[1].lag, Some(0));
    assert_eq!(
        s.outcomes[2].witness_size,
        Some(12),
        "the forked witness reported its size"
    );
    assert_eq!(s.cosignatures.len(), 2);
    assert!(s.quorum);
    assert_eq!(
        policy.satisfied(&s.note).unwrap().cosigned_by,
        ["good", "behind"]
    );
    verify_cosignature(&s.note, &keys[1].vkey()).unwrap();
    custodia_ledger::verify_checkpoint(&s.note, log.key.verifier_key()).unwrap();

    // Next append: the submitter remembers the sizes, so no 409 round trip is needed.
    let s = sub.submit(&log.checkpoint(30), &proofs(&log)).await;
    assert_eq!(s.outcomes[0].status, WitnessStatus::Cosigned);
    assert_eq!(sub.known_size("behind"), Some(30));
    assert_eq!(
        good.db().latest("example.org/log").unwrap().unwrap().size,
        30
    );

    // An older checkpoint: the witnesses are ahead; nothing fails.
    let s = sub.submit(&log.checkpoint(25), &proofs(&log)).await;
    assert_eq!(s.outcomes[0].status, WitnessStatus::Ahead);
    assert!(!s.quorum);

    // Garbage in: no panic, no error, every witness says why.
    let s = sub.submit("not a note", &proofs(&log)).await;
    assert!(
        s.outcomes
            .iter()
            .all(|o| matches!(o.status, WitnessStatus::BadResponse(_)))
    );
    // A proof source that fails: after the 409, a proof from 30 to 35 is needed.
    log.append(5, "more");
    let fresh = Submitter::new(policy)
        .unwrap()
        .with_timeout(Duration::from_millis(500));
    let s = fresh
        .submit(&log.checkpoint(35), &|_: u64, _: u64| {
            Err::<Vec<Hash>, String>("no proofs today".into())
        })
        .await;
    assert_eq!(
        s.outcomes[0].status,
        WitnessStatus::NoProof("no proofs today".into())
    );
}

#[test]
fn merging_replaces_a_key_s_older_line_and_skips_duplicates() {
    let mut log = Log::named("example.org/log");
    log.append(3, "m");
    let k = cosigner("w.example.org");
    let note = log.checkpoint(3);
    let text = &note[..=note.rfind("\n\n").unwrap()];
    let a = k.sign(text, 10).unwrap();
    let b = k.sign(text, 20).unwrap();
    let once = add_cosignatures(&note, &[&a, &a]).unwrap();
    assert_eq!(once.matches('\u{2014}').count(), 2);
    let twice = add_cosignatures(&once, &[b.trim_end()]).unwrap();
    assert_eq!(twice.matches('\u{2014}').count(), 2);
    assert_eq!(verify_cosignature(&twice, &k.vkey()).unwrap().timestamp, 20);
    assert!(add_cosignatures(&note, &["not a line"]).is_err());
}
