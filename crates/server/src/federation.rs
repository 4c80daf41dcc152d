//! Two governments over HTTP (CONTRACT §10 "Two governments"). The decisions are
//! `custodia_app::federation`'s; this module only carries documents and receipts.
//!
//! Receiving: `POST /api/v1/federation/handover` takes a hand-over document (the signed
//! note, `text/plain`) and answers the signed receipt envelope (JSON,
//! `custodia_model::federation::ReceiptEnvelope`); the document authenticates itself by its
//! signature with a registered peer's log key, so the route takes no bearer token. Sending
//! the same document again answers the same receipt and appends nothing.
//! `GET /api/v1/federation/receipts/{doc_hash}` answers it again later.
//!
//! Sending: [`deliver`] issues the documents of departed manifests that have none, POSTs
//! each document of the outbox to its peer and records the receipt that comes back. A peer
//! that is down leaves the document in the outbox: [`spawn`] retries every [`RETRY`] in the
//! server, and the CLI (`manifest depart`, `federation send`) tries once per run. Documents
//! whose receipt left someone `not_received` are presented again on each try
//! (`custodia_app::federation::awaiting`): a person taken in since gets a further receipt.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use custodia_app::federation::{self as fed, Outgoing, RecordedReceipt};
use custodia_model::federation::ReceiptEnvelope;
use custodia_store::Store;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::Request;
use hyper::header::CONTENT_TYPE;
use hyper_tls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::AppState;
use crate::error::ApiError;

/// The path a peer's document is delivered to, under the peer's URL.
pub const HANDOVER_PATH: &str = "/api/v1/federation/handover";

/// How soon the server tries its outbox again.
pub const RETRY: Duration = Duration::from_secs(5);

/// How long one delivery may take (the peer reconciles before it answers).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest receipt read back.
const MAX_RESPONSE: usize = 16 * 1024 * 1024;

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/federation/handover", axum::routing::post(handover))
        .route(
            "/api/v1/federation/receipts/{doc_hash}",
            axum::routing::get(receipt),
        )
}

/// Receives a peer's hand-over document and answers its signed receipt.
#[utoipa::path(post, path = "/api/v1/federation/handover", tag = "federation",
    request_body(content = String, content_type = "text/plain", description = "the hand-over document: a C2SP signed note signed by a registered peer's log key"),
    responses((status = 200, description = "the signed receipt, its entry in this log, the entry's inclusion proof and checkpoint", body = Object),
              (status = 403, description = "not signed by any registered peer"),
              (status = 422, description = "the document, its departure entry, proof or checkpoint does not verify")))]
pub async fn handover(
    State(st): State<AppState>,
    body: Bytes,
) -> Result<Json<ReceiptEnvelope>, ApiError> {
    let doc = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::invalid("the hand-over document is not UTF-8"))?;
    st.db(move |s| Ok(Json(fed::receive(s, &doc)?))).await
}

/// A receipt this store issued, again.
#[utoipa::path(get, path = "/api/v1/federation/receipts/{doc_hash}", tag = "federation",
    params(("doc_hash" = String, Path, description = "hex SHA-256 of the hand-over document")),
    responses((status = 200, description = "the signed receipt envelope", body = Object),
              (status = 404, description = "no document with that hash was received")))]
pub async fn receipt(
    State(st): State<AppState>,
    Path(doc_hash): Path<String>,
) -> Result<Json<ReceiptEnvelope>, ApiError> {
    st.db(move |s| {
        fed::envelope_for(s, &doc_hash)?.map(Json).ok_or_else(|| {
            ApiError::not_found(format!(
                "no hand-over document `{doc_hash}` was received here"
            ))
        })
    })
    .await
}

/// What happened to one document of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The receipt came back, verified, and was recorded.
    Receipted(RecordedReceipt),
    /// Still in the outbox: why.
    Pending {
        doc_hash: String,
        peer: String,
        why: String,
    },
    /// A document already receipted, presented again for a later receipt, got one that
    /// could not be recorded: why (the earlier receipt stands).
    Refused {
        doc_hash: String,
        peer: String,
        why: String,
    },
}

fn client() -> Result<Client<HttpsConnector<HttpConnector>, Full<Bytes>>, String> {
    let tls = native_tls::TlsConnector::new().map_err(|e| e.to_string())?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(Duration::from_secs(5)));
    let connector = HttpsConnector::from((http, tokio_native_tls::TlsConnector::from(tls)));
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// POSTs one document to its peer; the receipt envelope it answers, unverified.
pub async fn post_document(o: &Outgoing) -> Result<ReceiptEnvelope, String> {
    let url = format!("{}{HANDOVER_PATH}", o.peer.url.trim_end_matches('/'));
    let req = Request::post(&url)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(o.document.clone())))
        .map_err(|e| format!("url `{url}`: {e}"))?;
    let client = client()?;
    let resp = tokio::time::timeout(DELIVERY_TIMEOUT, client.request(req))
        .await
        .map_err(|_| format!("`{url}` did not answer in {}s", DELIVERY_TIMEOUT.as_secs()))?
        .map_err(|e| format!("`{url}` unreachable: {e}"))?;
    let status = resp.status().as_u16();
    let bytes = Limited::new(resp.into_body(), MAX_RESPONSE)
        .collect()
        .await
        .map_err(|e| format!("`{url}`: {e}"))?
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    if status != 200 {
        return Err(format!(
            "`{url}` answered {status}: {}",
            text.chars().take(512).collect::<String>()
        ));
    }
    serde_json::from_str(&text)
        .map_err(|e| format!("`{url}` answered a body that is not a receipt envelope: {e}"))
}

/// Issues pending documents, delivers the outbox and records the receipts, from a caller
/// that is not async (the CLI): on a runtime of its own.
pub fn deliver(store: &mut Store, actor: &str) -> Result<Vec<Delivery>, custodia_app::AppError> {
    fed::issue_pending(store, actor)?;
    let outbox = fed::outbox(store)?;
    let awaiting = fed::awaiting(store)?;
    if outbox.is_empty() && awaiting.is_empty() {
        return Ok(Vec::new());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            custodia_app::AppError::Store(custodia_store::StoreError::Db(e.to_string()))
        })?;
    let mut out = Vec::new();
    for o in outbox {
        let pending = |why: String| Delivery::Pending {
            doc_hash: o.doc_hash.clone(),
            peer: o.peer.name.clone(),
            why,
        };
        match rt.block_on(post_document(&o)) {
            Ok(env) => match fed::record_receipt(store, actor, &env) {
                Ok(r) => out.push(Delivery::Receipted(r)),
                Err(e) => out.push(pending(format!("receipt refused: {e}"))),
            },
            Err(e) => out.push(pending(e)),
        }
    }
    for o in awaiting {
        // Already receipted: only a later receipt (someone taken in late) is news.
        if let Ok(env) = rt.block_on(post_document(&o)) {
            match fed::record_receipt(store, actor, &env) {
                Ok(r) if r.appended => out.push(Delivery::Receipted(r)),
                Ok(_) => {}
                Err(e) => out.push(Delivery::Refused {
                    doc_hash: o.doc_hash.clone(),
                    peer: o.peer.name.clone(),
                    why: e.to_string(),
                }),
            }
        }
    }
    Ok(out)
}

/// Starts the outbox task on the current tokio runtime: every [`RETRY`], issue pending
/// documents and deliver the outbox. Cheap when there are no peers.
pub fn spawn(state: &AppState) {
    let st = state.clone();
    tokio::spawn(async move {
        loop {
            round(&st).await;
            tokio::time::sleep(RETRY).await;
        }
    });
}

async fn round(st: &AppState) {
    let outbox = st
        .db(|s| {
            fed::issue_pending(s, "system:federation")?;
            let mut o = fed::outbox(s)?;
            o.extend(fed::awaiting(s)?);
            Ok(o)
        })
        .await;
    let outbox = match outbox {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = ?e, "federation outbox: store failed");
            return;
        }
    };
    for o in outbox {
        match post_document(&o).await {
            Ok(env) => {
                let h = o.doc_hash.clone();
                match st
                    .db(move |s| Ok(fed::record_receipt(s, "system:federation", &env)?))
                    .await
                {
                    Ok(r) if !r.appended => {}
                    Ok(r) => {
                        tracing::info!(doc = %h, received = r.received.len(), not_received = r.not_received.len(), "hand-over receipted")
                    }
                    Err(e) => tracing::warn!(doc = %h, error = ?e, "receipt refused"),
                }
            }
            Err(e) => {
                tracing::warn!(doc = %o.doc_hash, peer = %o.peer.name, error = %e, "hand-over not delivered yet")
            }
        }
    }
}
