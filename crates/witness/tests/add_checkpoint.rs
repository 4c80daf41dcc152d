//! Every status code of `POST /add-checkpoint` (C2SP tlog-witness), through the router.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use custodia_witness::{AddRequest, app, verify_cosignature};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use common::{Log, cosigner, witness};

async fn post(
    w: &std::sync::Arc<custodia_witness::Witness>,
    body: &str,
) -> (StatusCode, Option<String>, String) {
    let resp = app(w.clone())
        .oneshot(
            Request::post("/add-checkpoint")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8(bytes.to_vec()).unwrap())
}

fn setup() -> (
    Log,
    Log,
    custodia_witness::CosignerKey,
    std::sync::Arc<custodia_witness::Witness>,
) {
    let mut log = Log::named("example.org/log");
    log.append(10, "main");
    let mut fork = Log::new(log.key.clone());
    fork.append(10, "fork");
    let key = cosigner("witness.example.org/w1");
    let w = witness(key.clone(), &[&log]);
    (log, fork, key, w)
}

#[tokio::test]
async fn cosigns_then_conflicts_then_extends() {
    let (log, _, key, w) = setup();
    let (s, _, lines) = post(&w, &log.body(0, 4)).await;
    assert_eq!(s, StatusCode::OK, "{lines}");
    assert!(lines.starts_with("\u{2014} witness.example.org/w1 ") && lines.ends_with('\n'));
    let cosigned = custodia_witness::add_cosignatures(&log.checkpoint(4), &[lines]).unwrap();
    let c = verify_cosignature(&cosigned, &key.vkey()).unwrap();
    assert_eq!((c.checkpoint.size, c.timestamp), (4, 1_700_000_000));

    // 409: old 0 again; the body is the witness's size, typed text/x.tlog.size.
    let (s, ct, body) = post(&w, &log.body(0, 10)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(ct.as_deref(), Some("text/x.tlog.size"));
    assert_eq!(body, "4\n");
    // 409 with a wrong non-zero old size.
    let (s, _, body) = post(&w, &log.body(2, 10)).await;
    assert_eq!((s, body.as_str()), (StatusCode::CONFLICT, "4\n"));

    // 200 extending from 4 with a proof; then the same checkpoint again (equal sizes).
    assert_eq!(post(&w, &log.body(4, 10)).await.0, StatusCode::OK);
    assert_eq!(post(&w, &log.body(10, 10)).await.0, StatusCode::OK);
    assert_eq!(w.db().latest("example.org/log").unwrap().unwrap().size, 10);

    // The monitoring endpoint serves it with the log's and the witness's signatures.
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"example.org/log"));
    let resp = app(w.clone())
        .oneshot(
            Request::get(format!("/{hash}/checkpoint"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let note = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    custodia_ledger::verify_checkpoint(&note, log.key.verifier_key()).unwrap();
    assert_eq!(
        verify_cosignature(&note, &key.vkey())
            .unwrap()
            .checkpoint
            .size,
        10
    );
    let resp = app(w.clone())
        .oneshot(
            Request::get(format!("/{}/checkpoint", "00".repeat(32)))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_requests_are_400() {
    let (log, _, _, w) = setup();
    let note = log.checkpoint(4);
    let proof_line = "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n";
    let cases = [
        format!("old 01\n\n{note}"),
        format!("old -1\n\n{note}"),
        format!("new 0\n\n{note}"),
        format!("old  0\n\n{note}"),
        format!("old 0\n{note}"),
        format!("old 0\nnot base64!\n\n{note}"),
        format!("old 0\nAAAA\n\n{note}"),
        format!("old 0\n{}\n{note}", proof_line.repeat(64)),
        "old 0\n\nexample.org/log\n4\n".to_string(),
        "old 0\n\nexample.org/log\nfour\nAAAA\n\n\u{2014} example.org/log AAAAAAAA\n".to_string(),
        // old above the checkpoint's size (checked after the signature).
        log.body(0, 4).replacen("old 0", "old 5", 1),
    ];
    for body in cases {
        let (s, _, text) = post(&w, &body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body:?}: {text}");
    }
    assert!(w.db().latest("example.org/log").unwrap().is_none());
    // 63 proof lines are allowed by the syntax (and then fail as a proof: 409 first here).
    let (s, _, _) = post(&w, &format!("old 3\n{}\n{note}", proof_line.repeat(63))).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn unknown_origin_is_404_and_bad_signatures_403() {
    let (log, _, _, w) = setup();
    let mut other = Log::named("example.org/other");
    other.append(2, "o");
    assert_eq!(post(&w, &other.body(0, 2)).await.0, StatusCode::NOT_FOUND);

    // Same origin, untrusted key only: its signature is ignored, so none is trusted.
    let mut impostor = Log::named("example.org/log");
    impostor.append(2, "i");
    assert_eq!(
        post(&w, &impostor.body(0, 2)).await.0,
        StatusCode::FORBIDDEN
    );

    // A trusted key's line whose signature does not verify (text changed after signing).
    let body = log.body(0, 4).replacen("\n4\n", "\n5\n", 1);
    assert_eq!(post(&w, &body).await.0, StatusCode::FORBIDDEN);

    // Unknown extra signatures are ignored: the impostor's line beside the log's.
    let note = log.checkpoint(4);
    let imp_line = impostor.key.sign(4, log.root(4)).unwrap().note;
    let extra = imp_line.rsplit_once("\n\n").unwrap().1;
    let both = format!("{note}{extra}");
    let (s, _, t) = post(&w, &format!("old 0\n\n{both}")).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert!(
        w.db().refused().unwrap().is_empty(),
        "403 and 404 are not evidence"
    );
}

#[tokio::test]
async fn inconsistent_checkpoints_are_422_and_kept_as_evidence() {
    let (log, fork, _, w) = setup();
    // Size 0 with a root other than the empty tree's.
    let mut bad_zero = Log::new(log.key.clone());
    bad_zero.append(1, "z");
    let note = log.key.sign(0, bad_zero.root(1)).unwrap().note;
    assert_eq!(
        post(&w, &format!("old 0\n\n{note}")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Size 0 with the right root is fine.
    let note = log
        .key
        .sign(0, custodia_witness::server::empty_root())
        .unwrap()
        .note;
    assert_eq!(
        post(&w, &format!("old 0\n\n{note}")).await.0,
        StatusCode::OK
    );
    // old 0 with a non-empty proof.
    let body = AddRequest {
        old: 0,
        proof: log.proof(2, 4),
        note: log.checkpoint(4),
    }
    .to_body();
    assert_eq!(post(&w, &body).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(post(&w, &log.body(0, 4)).await.0, StatusCode::OK);
    // Equal sizes, different root (the fork at 4).
    let body = format!("old 4\n\n{}", fork.checkpoint(4));
    assert_eq!(post(&w, &body).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    // The fork's own honest proof from 4 to 8 does not match the main root at 4.
    assert_eq!(
        post(&w, &fork.body(4, 8)).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A proof for other sizes.
    let body = AddRequest {
        old: 4,
        proof: log.proof(3, 8),
        note: log.checkpoint(8),
    }
    .to_body();
    assert_eq!(post(&w, &body).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    // An empty proof where one is needed.
    let body = AddRequest {
        old: 4,
        proof: vec![],
        note: log.checkpoint(8),
    }
    .to_body();
    assert_eq!(post(&w, &body).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(w.db().latest("example.org/log").unwrap().unwrap().size, 4);
    let evidence = w.db().refused().unwrap();
    assert_eq!(evidence.len(), 6);
    assert!(
        evidence
            .iter()
            .all(|r| r.status == 422 && r.origin == "example.org/log")
    );
    assert!(evidence[2].request.contains(&fork.checkpoint(4)));
    // The honest extension still works.
    assert_eq!(post(&w, &log.body(4, 8)).await.0, StatusCode::OK);
}
