//! The log's side of tlog-witness: submit a new checkpoint to every witness of a policy,
//! collect and verify their cosignatures, and merge them into the checkpoint note.
//!
//! A witness that is down, slow or refusing never makes a submission fail: [`Submitter::submit`]
//! returns what it got and, per witness, what happened and how far behind it is.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use custodia_ledger::{CheckpointBody, Hash, NoteSignature, SignedNote};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::Request;
use hyper::header::CONTENT_TYPE;
use hyper_tls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::cosignature::Cosignature;
use crate::policy::{Policy, PolicyWitness};
use crate::server::AddRequest;

/// How the log gives the submitter consistency proofs: the RFC 6962 proof from the tree of
/// `old` leaves to the tree of `new` leaves (`0 < old < new`). A closure
/// `Fn(u64, u64) -> Result<Vec<Hash>, String>` is one.
pub trait ProofSource: Sync {
    /// The consistency proof from `old` to `new`, or why it cannot be had.
    fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, String>;
}

impl<F> ProofSource for F
where
    F: Fn(u64, u64) -> Result<Vec<Hash>, String> + Sync,
{
    fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, String> {
        self(old, new)
    }
}

/// What happened with one witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WitnessStatus {
    /// It returned a valid cosignature for the checkpoint.
    Cosigned,
    /// The policy gives it no URL, so it was not asked.
    NoUrl,
    /// It has cosigned a larger tree than this checkpoint's (it is ahead of us).
    Ahead,
    /// The log could not produce the consistency proof it needs.
    NoProof(String),
    /// It answered with this status code and body (400, 403, 404, 422, …).
    Refused { status: u16, body: String },
    /// Its answer was not a valid cosignature or a valid 409.
    BadResponse(String),
    /// It could not be reached.
    Unreachable(String),
    /// It did not answer in time.
    TimedOut,
}

/// One witness's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessOutcome {
    /// The witness's name in the policy.
    pub name: String,
    /// What happened.
    pub status: WitnessStatus,
    /// The size the witness is known to have cosigned last (after this submission), if known.
    pub witness_size: Option<u64>,
    /// How many leaves the witness is behind the submitted checkpoint, if known.
    pub lag: Option<u64>,
    /// The time spent on it.
    pub elapsed: Duration,
}

/// The result of one submission. Never an error: look at `outcomes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// The checkpoint note with every valid cosignature collected merged in.
    pub note: String,
    /// The valid cosignatures collected, in policy order.
    pub cosignatures: Vec<Cosignature>,
    /// Per witness, in policy order.
    pub outcomes: Vec<WitnessOutcome>,
    /// Whether `note` satisfies the policy (log signature and quorum).
    pub quorum: bool,
}

/// Submits checkpoints to the witnesses of a policy (tlog-witness `add-checkpoint`).
///
/// It remembers, per witness, the size the witness last cosigned, so the next submission
/// starts from there; a witness that answers 409 is asked again from the size it reports.
#[derive(Debug)]
pub struct Submitter {
    policy: Policy,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
    known: Mutex<HashMap<String, u64>>,
}

/// Errors creating a submitter.
#[derive(Debug, thiserror::Error)]
pub enum SubmitterError {
    /// The TLS backend could not be initialised.
    #[error("tls: {0}")]
    Tls(String),
}

/// The default time allowed to each witness for one submission (all its requests).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// The most requests made to one witness for one submission (the first, and retries after 409).
const MAX_ATTEMPTS: usize = 3;

/// The largest response body read from a witness.
const MAX_RESPONSE: usize = 64 * 1024;

impl Submitter {
    /// A submitter for `policy`'s witnesses, with [`DEFAULT_TIMEOUT`].
    pub fn new(policy: Policy) -> Result<Self, SubmitterError> {
        let tls =
            native_tls::TlsConnector::new().map_err(|e| SubmitterError::Tls(e.to_string()))?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(DEFAULT_TIMEOUT));
        let connector = HttpsConnector::from((http, tokio_native_tls::TlsConnector::from(tls)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Ok(Self {
            policy,
            client,
            timeout: DEFAULT_TIMEOUT,
            known: Mutex::new(HashMap::new()),
        })
    }

    /// Sets the time allowed to each witness for one submission.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Tells the submitter that witness `name` last cosigned `size` (e.g. from a cosignature
    /// kept in the store), so the first request need not be a 409 round trip.
    pub fn set_known_size(&self, name: &str, size: u64) {
        if let Ok(mut k) = self.known.lock() {
            k.insert(name.to_string(), size);
        }
    }

    /// The size witness `name` is known to have cosigned last.
    pub fn known_size(&self, name: &str) -> Option<u64> {
        self.known.lock().ok().and_then(|k| k.get(name).copied())
    }

    /// Submits the log-signed checkpoint `note` to every witness with a URL, concurrently,
    /// each within the timeout; verifies what comes back; merges the valid cosignatures into
    /// the note. Never fails: a note that is not a checkpoint gives no cosignature and every
    /// witness's status says so.
    pub async fn submit(&self, note: &str, proofs: &dyn ProofSource) -> Submission {
        let parsed = SignedNote::parse(note)
            .ok()
            .and_then(|n| CheckpointBody::parse(&n.text).ok().map(|b| (n, b)));
        let Some((parsed, body)) = parsed else {
            let outcomes = self
                .policy
                .witnesses()
                .iter()
                .map(|w| WitnessOutcome {
                    name: w.name.clone(),
                    status: WitnessStatus::BadResponse("the note is not a checkpoint".into()),
                    witness_size: self.known_size(&w.name),
                    lag: None,
                    elapsed: Duration::ZERO,
                })
                .collect();
            return Submission {
                note: note.to_string(),
                cosignatures: Vec::new(),
                outcomes,
                quorum: false,
            };
        };
        let futures = self.policy.witnesses().iter().map(|w| {
            let parsed = &parsed;
            let body = &body;
            async move {
                let start = Instant::now();
                let res = match &w.url {
                    None => Ok((WitnessStatus::NoUrl, None)),
                    Some(url) => tokio::time::timeout(
                        self.timeout,
                        self.submit_one(w, url, note, parsed, body, proofs),
                    )
                    .await
                    .unwrap_or(Ok((WitnessStatus::TimedOut, None))),
                };
                let (status, cosig) = match res {
                    Ok(r) => r,
                    Err(s) => (s, None),
                };
                let witness_size = self.known_size(&w.name);
                WitnessOutcome {
                    name: w.name.clone(),
                    status,
                    witness_size,
                    lag: witness_size.map(|s| body.size.saturating_sub(s)),
                    elapsed: start.elapsed(),
                }
                .with(cosig)
            }
        });
        let results = futures_util::future::join_all(futures).await;
        let mut outcomes = Vec::with_capacity(results.len());
        let mut cosignatures = Vec::new();
        for (outcome, cosig) in results {
            outcomes.push(outcome);
            cosignatures.extend(cosig);
        }
        let lines: Vec<String> = cosignatures.iter().map(|c| c.line.clone()).collect();
        let merged = add_cosignatures(note, &lines).unwrap_or_else(|_| note.to_string());
        let quorum = self.policy.satisfied(&merged).is_ok();
        Submission {
            note: merged,
            cosignatures,
            outcomes,
            quorum,
        }
    }

    async fn submit_one(
        &self,
        w: &PolicyWitness,
        url: &str,
        note: &str,
        parsed: &SignedNote,
        body: &CheckpointBody,
        proofs: &dyn ProofSource,
    ) -> Result<(WitnessStatus, Option<Cosignature>), WitnessStatus> {
        let mut old = self.known_size(&w.name).unwrap_or(0);
        for _ in 0..MAX_ATTEMPTS {
            if old > body.size {
                return Ok((WitnessStatus::Ahead, None));
            }
            let proof = if old == 0 || old == body.size {
                Vec::new()
            } else {
                proofs
                    .consistency_proof(old, body.size)
                    .map_err(WitnessStatus::NoProof)?
            };
            let req_body = AddRequest {
                old,
                proof,
                note: note.to_string(),
            }
            .to_body();
            let req = Request::post(format!("{url}/add-checkpoint"))
                .header(CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(Full::new(Bytes::from(req_body)))
                .map_err(|e| WitnessStatus::BadResponse(format!("url `{url}`: {e}")))?;
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| WitnessStatus::Unreachable(e.to_string()))?;
            let status = resp.status().as_u16();
            let bytes = Limited::new(resp.into_body(), MAX_RESPONSE)
                .collect()
                .await
                .map_err(|e| WitnessStatus::Unreachable(e.to_string()))?
                .to_bytes();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            match status {
                200 => {
                    let cosig = verify_response(w, parsed, &text)?;
                    self.set_known_size(&w.name, body.size);
                    return Ok((WitnessStatus::Cosigned, Some(cosig)));
                }
                409 => {
                    let size = text
                        .strip_suffix('\n')
                        .and_then(custodia_ledger::note::parse_decimal)
                        .ok_or_else(|| {
                            WitnessStatus::BadResponse(format!("409 with body `{}`", text.trim()))
                        })?;
                    if size == old {
                        return Err(WitnessStatus::BadResponse(format!(
                            "409 reporting the size {size} that was sent"
                        )));
                    }
                    self.set_known_size(&w.name, size);
                    old = size;
                }
                _ => {
                    return Err(WitnessStatus::Refused {
                        status,
                        body: text.chars().take(512).collect(),
                    });
                }
            }
        }
        Err(WitnessStatus::BadResponse(format!(
            "still 409 after {MAX_ATTEMPTS} requests"
        )))
    }
}

impl WitnessOutcome {
    fn with(self, cosig: Option<Cosignature>) -> (Self, Option<Cosignature>) {
        (self, cosig)
    }
}

/// Finds the witness's valid cosignature among the response's signature lines; other keys'
/// lines are ignored.
fn verify_response(
    w: &PolicyWitness,
    parsed: &SignedNote,
    text: &str,
) -> Result<Cosignature, WitnessStatus> {
    let mut last_err = format!(
        "no cosignature from `{}` in the response",
        w.verifier.name()
    );
    for line in text.split_terminator('\n') {
        let Ok(sig) = NoteSignature::from_line(line) else {
            return Err(WitnessStatus::BadResponse(format!(
                "not a signature line: `{line}`"
            )));
        };
        if !w.verifier.matches(&sig) {
            continue;
        }
        let note = SignedNote {
            text: parsed.text.clone(),
            signatures: vec![sig],
        };
        match w.verifier.verify_note(&note) {
            Ok(c) => return Ok(c),
            Err(e) => last_err = e.to_string(),
        }
    }
    Err(WitnessStatus::BadResponse(last_err))
}

/// Adds signature lines (each `— name base64…`, with or without its newline) to a signed
/// note. A line from a key (name and key id) that already signed the note replaces that
/// key's line; identical lines are not repeated. The lines are not verified here.
pub fn add_cosignatures<S: AsRef<str>>(
    note: &str,
    lines: &[S],
) -> Result<String, custodia_ledger::note::NoteError> {
    let mut parsed = SignedNote::parse(note)?;
    for line in lines {
        let sig = NoteSignature::from_line(line.as_ref().trim_end_matches('\n'))?;
        match parsed
            .signatures
            .iter_mut()
            .find(|s| s.name == sig.name && s.key_id == sig.key_id)
        {
            Some(existing) => *existing = sig,
            None => parsed.signatures.push(sig),
        }
    }
    Ok(parsed.to_text())
}
