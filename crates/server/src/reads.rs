//! Reads on the ledger, in groups (issue 18).
//!
//! Every read of a person's data is an event (`person_read`, or `persons_read` for a list,
//! a search or a leaf export) that must be on the ledger before the answer leaves the
//! server. One signed append per read caps reads near the database's commit rate, so reads
//! are handed to one writer thread that appends whatever has queued up as one batch (one
//! transaction, one checkpoint) and then wakes every reader in it: group commit. A reader
//! whose batch failed gets the error and sends nothing.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use custodia_model::events::{EventData, NewEvent};

use crate::error::ApiError;
use crate::{AppState, Inner};

/// The largest batch one append takes; more waits for the next one.
const MAX_BATCH: usize = 4096;

/// How long the writer gathers reads after the first before it appends them.
const GATHER: Duration = Duration::from_millis(3);

pub(crate) struct Pending {
    actor: String,
    data: EventData,
    done: tokio::sync::oneshot::Sender<Result<(), String>>,
}

/// The queue of reads waiting to be appended.
pub(crate) struct ReadLog {
    tx: Sender<Pending>,
}

impl ReadLog {
    /// A queue whose writer thread starts with the first read ([`ReadLog::start`]).
    pub(crate) fn new() -> (Self, Receiver<Pending>) {
        let (tx, rx) = mpsc::channel();
        (Self { tx }, rx)
    }
}

/// Starts the writer thread over `rx`. It holds the state weakly, so it ends when the last
/// [`AppState`] is dropped (the sender goes with it).
pub(crate) fn start(inner: &Arc<Inner>, rx: Receiver<Pending>) {
    let weak: Weak<Inner> = Arc::downgrade(inner);
    let spawned = std::thread::Builder::new()
        .name("read-log".into())
        .spawn(move || writer(&weak, &rx));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "the read log's writer did not start; reads will fail");
    }
}

fn writer(weak: &Weak<Inner>, rx: &Receiver<Pending>) {
    while let Ok(first) = rx.recv() {
        // Gather what arrives within GATHER of the first read: each append empties every
        // other connection's page cache and signs a checkpoint, so fewer, larger appends
        // leave more of the machine to the reads themselves.
        let until = Instant::now() + GATHER;
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            let left = until.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let result = match weak.upgrade() {
            None => Err("the server is shutting down".to_string()),
            Some(inner) => append(&AppState(inner), &mut batch),
        };
        for p in batch {
            let _ = p.done.send(result.clone());
        }
    }
}

fn append(st: &AppState, batch: &mut [Pending]) -> Result<(), String> {
    let mut store = st.0.pool.get().ok_or("no store")?;
    let now = st.now();
    let events = batch
        .iter_mut()
        .map(|p| NewEvent {
            occurred_at: now,
            actor: std::mem::take(&mut p.actor),
            data: std::mem::replace(
                &mut p.data,
                EventData::PersonRead {
                    person_id: String::new(),
                },
            ),
        })
        .collect();
    store.append(events).map(|_| ()).map_err(|e| {
        tracing::error!(error = %e, "reads not recorded; their answers are withheld");
        e.to_string()
    })
}

impl AppState {
    /// Puts `data` (a read by `actor`) on the ledger, grouped with the reads queued beside
    /// it; returns once it is committed. Nothing may be sent to the reader before this
    /// returns `Ok`.
    pub(crate) async fn record_read(&self, actor: String, data: EventData) -> Result<(), ApiError> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.0
            .reads
            .tx
            .send(Pending { actor, data, done })
            .map_err(|_| ApiError::internal())?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            _ => Err(ApiError::internal()),
        }
    }

    /// [`AppState::record_read`] for a list: nothing is recorded when it named nobody.
    pub(crate) async fn record_list_read(
        &self,
        actor: String,
        person_ids: Vec<String>,
        via: &str,
    ) -> Result<(), ApiError> {
        if person_ids.is_empty() {
            return Ok(());
        }
        self.record_read(
            actor,
            EventData::PersonsRead {
                person_ids,
                via: via.to_string(),
            },
        )
        .await
    }
}

/// The person whose data a leaf holds, if any: identity, legal records, custody. The leaves
/// that only record a read name no one's data.
pub(crate) fn leaf_person(leaf: &str) -> Option<String> {
    use custodia_model::events::Leaf;
    let l = Leaf::from_bytes(leaf.as_bytes()).ok()?;
    match &l.data {
        EventData::PersonRegistered(p) | EventData::PersonUpdated(p) => Some(p.id.clone()),
        EventData::PersonRead { .. } | EventData::PersonsRead { .. } => None,
        d => serde_json::to_value(d)
            .ok()?
            .get("data")?
            .get("person_id")?
            .as_str()
            .map(str::to_string),
    }
}
