//! The witness: `POST /add-checkpoint` exactly as C2SP `tlog-witness` specifies, and the
//! monitoring endpoint `GET /<hex sha256(origin)>/checkpoint`.
//!
//! The checks, in order, with their status codes:
//! 1. the body is `old <size>\n`, at most 63 base64 proof lines, a blank line and a
//!    checkpoint note; otherwise **400**;
//! 2. the origin is one of the configured logs; otherwise **404**;
//! 3. a trusted log key signed it, and every line of a trusted key verifies; otherwise **403**;
//! 4. `old <= size`; otherwise **400**;
//! 5. `old` equals the size last cosigned for the origin (0 if none); otherwise **409**,
//!    `Content-Type: text/x.tlog.size`, body `<size>\n`;
//! 6. a size-0 checkpoint has the empty tree's root; an `old 0` request has no proof; equal
//!    sizes have equal roots; the proof verifies (RFC 6962 §2.1.2); otherwise **422**, and the
//!    request is kept as evidence;
//! 7. the new state is persisted, then **200** with the `cosignature/v1` line.
//!
//! Steps 5 to 7's persistence happen atomically (see [`crate::state`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use custodia_ledger::{CheckpointBody, Hash, SignedNote};
use sha2::{Digest, Sha256};

use crate::cosignature::CosignerKey;
use crate::policy::parse_log_vkey;
use crate::state::{Decision, Latest, StateError, WitnessDb};

/// The `Content-Type` of a 409's body.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// The most consistency proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

/// A source of POSIX time in seconds.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    })
}

/// Errors configuring a witness.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A `--log` key is not an Ed25519 log vkey.
    #[error("log key `{0}` is not an Ed25519 vkey (`<origin>+<id>+<base64(0x01 ‖ key)>`)")]
    LogKey(String),
}

/// Why `add-checkpoint` refused a request; each maps to one status code.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// 400: malformed request, or `old` above the checkpoint's size.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 403: no valid signature from a trusted key, or a trusted key's signature is bad.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: the origin is not one of this witness's logs.
    #[error("unknown origin `{0}`")]
    UnknownOrigin(String),
    /// 409: `old` is not the size the witness last cosigned, which is this.
    #[error("conflict: the witness's size is {0}")]
    Conflict(u64),
    /// 422: the checkpoint is not consistent with what the witness cosigned.
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// 500: the witness's state failed.
    #[error(transparent)]
    State(#[from] StateError),
}

impl AddError {
    /// The status code of this refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::UnknownOrigin(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::State(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AddError {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            Self::Conflict(size) => (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(SIZE_CONTENT_TYPE),
                )],
                format!("{size}\n"),
            )
                .into_response(),
            Self::State(e) => {
                tracing::error!("add-checkpoint: {e}");
                (status, "internal error\n").into_response()
            }
            other => (status, format!("{other}\n")).into_response(),
        }
    }
}

#[derive(Debug, Clone)]
struct TrustedLog {
    vkey: String,
    key_id: u32,
}

/// A witness: its key, the logs it follows, its state and its clock.
pub struct Witness {
    key: CosignerKey,
    logs: HashMap<String, Vec<TrustedLog>>,
    db: WitnessDb,
    clock: Clock,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("key", &self.key)
            .field("origins", &self.logs.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A parsed `add-checkpoint` request body.
#[derive(Debug, Clone, PartialEq)]
pub struct AddRequest {
    /// The `old` size.
    pub old: u64,
    /// The consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint note.
    pub note: String,
}

impl AddRequest {
    /// The request body: `old N\n`, the proof lines, a blank line, the note.
    pub fn to_body(&self) -> String {
        let mut out = format!("old {}\n", self.old);
        for h in &self.proof {
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(h.0));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.note);
        out
    }

    /// Parses a request body (400 on any deviation from tlog-witness).
    pub fn parse(body: &[u8]) -> Result<Self, AddError> {
        let bad = |m: &str| AddError::BadRequest(m.to_string());
        let body = std::str::from_utf8(body).map_err(|_| bad("body is not UTF-8"))?;
        let (head, note) = body
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .and_then(custodia_ledger::note::parse_decimal)
            .ok_or_else(|| bad("first line is not `old <size>` (decimal, no leading zeroes)"))?;
        let mut proof = Vec::new();
        for line in lines {
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad("more than 63 consistency proof lines"));
            }
            let h = base64::engine::general_purpose::STANDARD
                .decode(line)
                .ok()
                .and_then(|h| <[u8; 32]>::try_from(h).ok())
                .ok_or_else(|| bad("a consistency proof line is not a base64 hash"))?;
            proof.push(Hash(h));
        }
        Ok(Self {
            old,
            proof,
            note: note.to_string(),
        })
    }
}

/// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

impl Witness {
    /// A witness cosigning with `key` for the logs whose Ed25519 vkeys are `log_vkeys` (each
    /// key's name is its log's origin; several keys may share one origin).
    pub fn new(key: CosignerKey, log_vkeys: &[String], db: WitnessDb) -> Result<Self, ConfigError> {
        let mut logs: HashMap<String, Vec<TrustedLog>> = HashMap::new();
        for v in log_vkeys {
            let (origin, key_id, _) =
                parse_log_vkey(v.trim()).ok_or_else(|| ConfigError::LogKey(v.clone()))?;
            logs.entry(origin).or_default().push(TrustedLog {
                vkey: v.trim().to_string(),
                key_id,
            });
        }
        Ok(Self {
            key,
            logs,
            db,
            clock: system_clock(),
        })
    }

    /// Replaces the clock (tests pin it).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The cosigner key's verifier key.
    pub fn vkey(&self) -> String {
        self.key.vkey()
    }

    /// The state.
    pub fn db(&self) -> &WitnessDb {
        &self.db
    }

    /// Handles one `add-checkpoint` body: the cosignature line(s) on success.
    pub fn add_checkpoint(&self, body: &[u8]) -> Result<String, AddError> {
        let req = AddRequest::parse(body)?;
        let note = SignedNote::parse(&req.note)
            .map_err(|e| AddError::BadRequest(format!("checkpoint: {e}")))?;
        let cp = CheckpointBody::parse(&note.text)
            .map_err(|e| AddError::BadRequest(format!("checkpoint: {e}")))?;
        let trusted = self
            .logs
            .get(&cp.origin)
            .ok_or_else(|| AddError::UnknownOrigin(cp.origin.clone()))?;
        // Step 3: only signatures of trusted keys count; unknown ones are ignored.
        let mut verified = Vec::new();
        for log in trusted {
            let Some(line) = note
                .signatures
                .iter()
                .find(|s| s.name == cp.origin && s.key_id == log.key_id)
            else {
                continue;
            };
            custodia_ledger::verify_checkpoint(&req.note, &log.vkey).map_err(|_| {
                AddError::Forbidden(format!("the signature of `{}` does not verify", log.vkey))
            })?;
            verified.push(line.clone());
        }
        if verified.is_empty() {
            return Err(AddError::Forbidden(format!(
                "no signature from a trusted key for `{}`",
                cp.origin
            )));
        }
        if req.old > cp.size {
            return Err(AddError::BadRequest(format!(
                "old size {} is above the checkpoint's size {}",
                req.old, cp.size
            )));
        }
        if i64::try_from(cp.size).is_err() {
            return Err(AddError::BadRequest("tree size above 2^63 - 1".into()));
        }
        let now = (self.clock)();
        let cosig = self
            .key
            .sign(&note.text, now.max(1))
            .map_err(|e| AddError::BadRequest(e.to_string()))?;
        let mut served = note.text.clone();
        served.push('\n');
        for s in &verified {
            served.push_str(&s.to_line());
        }
        served.push_str(&cosig);
        let body_text = String::from_utf8_lossy(body);
        let origin = cp.origin.clone();
        self.db
            .check_and_update(&origin, now, &body_text, move |latest| {
                decide(&req, &cp, latest, served, cosig)
            })?
    }

    /// The latest checkpoint cosigned for the origin whose SHA-256 is `origin_hash` (hex).
    pub fn latest_by_hash(&self, origin_hash: &str) -> Result<Option<Latest>, StateError> {
        for origin in self.logs.keys() {
            if hex::encode(Sha256::digest(origin.as_bytes())) == origin_hash {
                return self.db.latest(origin);
            }
        }
        Ok(None)
    }
}

/// Steps 5 and 6, under the state's lock.
fn decide(
    req: &AddRequest,
    cp: &CheckpointBody,
    latest: Option<&Latest>,
    served: String,
    cosig: String,
) -> Decision<Result<String, AddError>> {
    let (size, root) = latest.map_or((0, None), |l| (l.size, Some(l.root)));
    if req.old != size {
        return Decision::Keep(Err(AddError::Conflict(size)));
    }
    let refuse = |reason: String| Decision::Refuse {
        status: 422,
        reason: reason.clone(),
        value: Err(AddError::Unprocessable(reason)),
    };
    if cp.size == 0 && cp.root != empty_root() {
        return refuse("a checkpoint of size 0 must have the empty tree's root".into());
    }
    if req.old == 0 && !req.proof.is_empty() {
        return refuse("old size 0 takes an empty consistency proof".into());
    }
    let advance = Decision::Advance {
        latest: Latest {
            size: cp.size,
            root: cp.root,
            note: served,
        },
        value: Ok(cosig.clone()),
    };
    match root {
        // Never cosigned (old is 0): the empty tree is consistent with any tree.
        None => advance,
        Some(old_root) if req.old == cp.size => {
            if old_root != cp.root {
                refuse(format!(
                    "size {} was cosigned with a different root hash",
                    cp.size
                ))
            } else if !req.proof.is_empty() {
                refuse("equal sizes take an empty consistency proof".into())
            } else {
                // The same checkpoint again: cosign it, the state does not change.
                Decision::Keep(Ok(cosig))
            }
        }
        Some(old_root) => {
            match custodia_ledger::verify_consistency(
                &req.proof, req.old, old_root, cp.size, cp.root,
            ) {
                Ok(()) => advance,
                Err(e) => refuse(format!(
                    "consistency proof from {} to {} does not verify: {e}",
                    req.old, cp.size
                )),
            }
        }
    }
}

/// The witness's routes: `POST /add-checkpoint` and `GET /{origin hash}/checkpoint`.
pub fn app(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/{origin_hash}/checkpoint", get(checkpoint))
        .with_state(witness)
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: Bytes) -> Response {
    let res = tokio::task::spawn_blocking(move || w.add_checkpoint(&body)).await;
    match res {
        Ok(Ok(lines)) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            lines,
        )
            .into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(e) => {
            tracing::error!("add-checkpoint task: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

async fn checkpoint(State(w): State<Arc<Witness>>, UrlPath(hash): UrlPath<String>) -> Response {
    let res = tokio::task::spawn_blocking(move || w.latest_by_hash(&hash)).await;
    match res {
        Ok(Ok(Some(l))) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            l.note,
        )
            .into_response(),
        Ok(Ok(None)) => (
            StatusCode::NOT_FOUND,
            "no checkpoint cosigned for this origin\n",
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::error!("checkpoint: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
        Err(e) => {
            tracing::error!("checkpoint task: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

/// Serves the witness at `addr` until Ctrl-C, on a runtime of its own; `on_bound` is told the
/// address actually bound (useful with port 0).
pub fn run_blocking(
    addr: &str,
    witness: Arc<Witness>,
    on_bound: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        on_bound(listener.local_addr()?);
        axum::serve(listener, app(witness))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
}
