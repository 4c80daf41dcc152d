//! The log asks its witnesses (CONTRACT §10): after each committed append, the new
//! checkpoint goes with the consistency proofs each witness needs to every witness of the
//! policy (`URL/add-checkpoint`, through [`custodia_witness::Submitter`]); the valid
//! cosignatures that come back are kept in the store beside the checkpoint.
//!
//! A witness that is down or refuses never makes an append fail and never holds it up:
//! submission happens after the commit, off the append path. [`Witnessing::round`] is one
//! submission of the latest checkpoint (the server runs it from a tokio task; the CLI from
//! [`Background`], a thread of its own that the append path only signals). A checkpoint
//! superseded before a round picks it up is covered by the later one: a witness that
//! cosigns size N has checked that the tree of N extends every tree it cosigned before.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use custodia_ledger::NoteSignature;
use custodia_store::{CommitHook, Store, StoreError};
use custodia_witness::{Policy, Submitter, WitnessStatus};

/// What the log knows of one witness of its policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WitnessState {
    /// The witness's name in the policy.
    pub name: String,
    /// Its verifier key.
    pub vkey: String,
    /// Its submission prefix.
    pub url: Option<String>,
    /// The largest size it is known to have cosigned (kept in the store, or reported by
    /// the witness itself with a 409).
    pub cosigned_size: Option<u64>,
    /// The log's size at the last round.
    pub log_size: u64,
    /// `log_size - cosigned_size` (the whole log when it never cosigned).
    pub lag: u64,
    /// What happened at the last round (`not asked yet` before the first).
    pub status: String,
    /// When the last round asked it (RFC 3339), if it was asked.
    pub at: Option<String>,
}

/// One submission's result: the size submitted and each witness's state after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    /// The size of the checkpoint submitted (0: nothing to submit yet).
    pub size: u64,
    /// How many witnesses cosigned it.
    pub cosigned: usize,
    /// Whether the checkpoint with its cosignatures satisfies the policy's quorum.
    pub quorum: bool,
    /// Per witness, in policy order.
    pub witnesses: Vec<WitnessState>,
}

/// Submits the log's checkpoints to the witnesses of a policy and keeps what they cosign.
pub struct Witnessing {
    submitter: Submitter,
    store: Mutex<Store>,
    states: Mutex<Vec<WitnessState>>,
}

/// Why witnessing could not start.
#[derive(Debug, thiserror::Error)]
pub enum WitnessingError {
    /// The HTTP client could not be built.
    #[error("witnesses: {0}")]
    Client(String),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn describe(s: &WitnessStatus) -> String {
    match s {
        WitnessStatus::Cosigned => "cosigned".into(),
        WitnessStatus::NoUrl => "no URL in the policy".into(),
        WitnessStatus::Ahead => "has cosigned a larger tree than the log's".into(),
        WitnessStatus::NoProof(e) => format!("no consistency proof: {e}"),
        WitnessStatus::Refused { status, body } => {
            format!("refused with {status}: {}", body.trim())
        }
        WitnessStatus::BadResponse(e) => format!("bad response: {e}"),
        WitnessStatus::Unreachable(e) => format!("unreachable: {e}"),
        WitnessStatus::TimedOut => "timed out".into(),
    }
}

impl Witnessing {
    /// Witnessing for `policy` over `store` (a store of its own: rounds read proofs and
    /// write cosignatures through it), each witness allowed `timeout` per round. What the
    /// store already keeps tells each witness's last cosigned size.
    pub fn new(
        policy: Policy,
        mut store: Store,
        timeout: Duration,
    ) -> Result<Self, WitnessingError> {
        let submitter = Submitter::new(policy)
            .map_err(|e| WitnessingError::Client(e.to_string()))?
            .with_timeout(timeout);
        let kept = store.cosigned_sizes()?;
        let log_size = store.size()?;
        let states = submitter
            .policy()
            .witnesses()
            .iter()
            .map(|w| {
                let vkey = w.verifier.vkey();
                let cosigned = kept.iter().find(|(k, _)| *k == vkey).map(|(_, s)| *s);
                if let Some(s) = cosigned {
                    submitter.set_known_size(&w.name, s);
                }
                WitnessState {
                    name: w.name.clone(),
                    vkey,
                    url: w.url.clone(),
                    cosigned_size: cosigned,
                    log_size,
                    lag: log_size.saturating_sub(cosigned.unwrap_or(0)),
                    status: "not asked yet".into(),
                    at: None,
                }
            })
            .collect();
        Ok(Self {
            submitter,
            store: Mutex::new(store),
            states: Mutex::new(states),
        })
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        self.submitter.policy()
    }

    /// Each witness's state after the last round.
    pub fn states(&self) -> Vec<WitnessState> {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether some witness with a URL is behind the log (worth asking again later).
    pub fn lagging(&self) -> bool {
        self.states().iter().any(|s| s.url.is_some() && s.lag > 0)
    }

    /// Submits the latest checkpoint to every witness, keeps the valid cosignatures, and
    /// records each witness's state. Fails only if the store fails; a witness's failure is
    /// in its state.
    pub async fn round(&self) -> Result<Round, StoreError> {
        let cp = self.lock().checkpoint()?;
        if cp.size == 0 {
            return Ok(Round {
                size: 0,
                cosigned: 0,
                quorum: false,
                witnesses: self.states(),
            });
        }
        let proofs = |old: u64, new: u64| {
            self.lock()
                .consistency(old, Some(new))
                .map(|(_, _, p)| p)
                .map_err(|e| e.to_string())
        };
        let sub = self.submitter.submit(&cp.note, &proofs).await;
        let policy = self.submitter.policy();
        let mut lines = Vec::new();
        for c in &sub.cosignatures {
            let line = c.line.trim_end_matches('\n');
            let Ok(sig) = NoteSignature::from_line(line) else {
                continue;
            };
            if let Some(w) = policy.witnesses().iter().find(|w| w.verifier.matches(&sig)) {
                lines.push((w.verifier.vkey(), line.to_string()));
            }
        }
        self.lock().add_cosignatures(cp.size, &lines)?;
        let now = self.lock().clock().now().to_string();
        let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        for (st, o) in states.iter_mut().zip(&sub.outcomes) {
            let known = o.witness_size.or(st.cosigned_size);
            st.cosigned_size = match (known, st.cosigned_size) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            st.log_size = cp.size;
            st.lag = cp.size.saturating_sub(st.cosigned_size.unwrap_or(0));
            st.status = describe(&o.status);
            st.at = Some(now.clone());
        }
        Ok(Round {
            size: cp.size,
            cosigned: lines.len(),
            quorum: sub.quorum,
            witnesses: states.clone(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
struct Progress {
    /// The largest size a finished round submitted.
    submitted: u64,
    /// The last round, if any.
    last: Option<Round>,
    /// How many rounds have finished.
    rounds: u64,
    /// The round loop has ended (its store failed, or the runtime could not start).
    ended: Option<String>,
}

/// Witnessing on a thread of its own, for a synchronous program (the CLI): the append path
/// only signals it ([`Background::hook`]); [`Background::flush`] waits, within a deadline,
/// until the last committed checkpoint has been submitted.
pub struct Background {
    tx: Mutex<Option<mpsc::Sender<()>>>,
    committed: Arc<AtomicU64>,
    progress: Arc<(Mutex<Progress>, Condvar)>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Background {
    /// Starts the thread over `witnessing`.
    pub fn start(witnessing: Witnessing) -> Self {
        let (tx, rx) = mpsc::channel::<()>();
        let progress = Arc::new((Mutex::new(Progress::default()), Condvar::new()));
        let p = progress.clone();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    finish(&p, Err(e.to_string()));
                    return;
                }
            };
            // Each signal is a committed batch; signals that queued up while a round ran are
            // covered by the next round, which submits the latest checkpoint.
            while rx.recv().is_ok() {
                while rx.try_recv().is_ok() {}
                match rt.block_on(witnessing.round()) {
                    Ok(r) => {
                        let (m, cv) = &*p;
                        let mut g = m.lock().unwrap_or_else(PoisonError::into_inner);
                        g.submitted = g.submitted.max(r.size);
                        g.last = Some(r);
                        g.rounds += 1;
                        cv.notify_all();
                    }
                    Err(e) => {
                        finish(&p, Err(e.to_string()));
                        return;
                    }
                }
            }
            finish(&p, Ok(()));
        });
        Self {
            tx: Mutex::new(Some(tx)),
            committed: Arc::new(AtomicU64::new(0)),
            progress,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// The hook to install on every store that appends: it records the size and signals
    /// the thread, and never blocks.
    pub fn hook(&self) -> CommitHook {
        let tx = self
            .tx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let committed = self.committed.clone();
        let tx = Mutex::new(tx);
        Arc::new(move |r| {
            committed.fetch_max(r.size, Ordering::SeqCst);
            if let Some(tx) = tx.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
                let _ = tx.send(());
            }
        })
    }

    /// Waits until the last committed checkpoint has been submitted, or until `deadline`
    /// passes; returns the last round (None if nothing was committed or no round finished).
    pub fn flush(&self, deadline: Duration) -> Result<Option<Round>, String> {
        let target = self.committed.load(Ordering::SeqCst);
        if target == 0 {
            return Ok(None);
        }
        let end = Instant::now() + deadline;
        let (m, cv) = &*self.progress;
        let mut g = m.lock().unwrap_or_else(PoisonError::into_inner);
        while g.submitted < target && g.ended.is_none() {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            g = cv
                .wait_timeout(g, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        if let Some(e) = g.ended.as_ref().filter(|e| !e.is_empty()) {
            return Err(e.clone());
        }
        Ok(g.last.clone())
    }

    /// How many rounds (submissions to the witnesses) have finished.
    pub fn rounds(&self) -> u64 {
        self.progress
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .rounds
    }

    /// Stops the thread after the round in progress (without waiting for it).
    pub fn stop(&self) {
        self.tx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(
            self.thread
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }
}

fn finish(p: &Arc<(Mutex<Progress>, Condvar)>, r: Result<(), String>) {
    let (m, cv) = &**p;
    let mut g = m.lock().unwrap_or_else(PoisonError::into_inner);
    g.ended = Some(r.err().unwrap_or_default());
    cv.notify_all();
}
