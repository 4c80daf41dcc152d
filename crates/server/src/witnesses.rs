//! The log's witnesses (CONTRACT §10), as the server runs them: with a policy
//! (`Config::policy`), every append signals a tokio task that submits the latest checkpoint
//! to the witnesses and keeps their cosignatures ([`custodia_app::witnessing`]); a witness
//! that lags is asked again every [`RETRY`]. Appends never wait for it. Auditors read each
//! witness's lag and last status at `GET /api/v1/log/witnesses`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use custodia_app::witnessing::Witnessing;
use custodia_store::{CommitHook, Store};
use serde_json::{Value, json};

/// The routes: each witness's lag and last status.
pub fn routes() -> axum::Router<crate::AppState> {
    axum::Router::new().route("/api/v1/log/witnesses", axum::routing::get(witnesses))
}
use tokio::sync::Notify;

use crate::error::ApiError;
use crate::extract::{AuditorOrAdmin, Auth};
use crate::{AppState, Config};

/// How soon a witness that is behind the log is asked again.
pub const RETRY: Duration = Duration::from_secs(5);

/// How often the task looks at the log when nothing signals it (an append by another
/// process sharing the store).
const IDLE: Duration = Duration::from_secs(30);

/// The witnessing of one server: the engine and the signal appends give it.
pub(crate) struct Witnesses {
    engine: Arc<Witnessing>,
    notify: Arc<Notify>,
}

impl Witnesses {
    /// Witnessing for `config.policy` (None without one) over `store`, a store of its own.
    pub(crate) fn new(config: &Config, store: Store) -> Result<Option<Self>, String> {
        let Some(policy) = config.policy.clone() else {
            return Ok(None);
        };
        let engine = Witnessing::new(policy, store, custodia_witness::DEFAULT_TIMEOUT)
            .map_err(|e| e.to_string())?;
        Ok(Some(Self {
            engine: Arc::new(engine),
            notify: Arc::new(Notify::new()),
        }))
    }

    /// The hook for the pool's stores: a signal, never a wait.
    pub(crate) fn hook(&self) -> CommitHook {
        let n = self.notify.clone();
        Arc::new(move |_| n.notify_one())
    }
}

/// Starts the submission task on the current tokio runtime (nothing without a policy).
/// [`crate::run_blocking`] calls it; a caller that serves [`crate::app`] itself calls it once.
pub fn spawn(state: &AppState) {
    let Some(w) = state.0.witnesses.as_ref() else {
        return;
    };
    let (engine, notify) = (w.engine.clone(), w.notify.clone());
    tokio::spawn(async move {
        loop {
            match engine.round().await {
                Ok(r) => {
                    for s in r.witnesses.iter().filter(|s| s.status != "cosigned") {
                        tracing::warn!(witness = %s.name, status = %s.status, lag = s.lag, size = r.size, "witness did not cosign");
                    }
                }
                Err(e) => tracing::error!(error = %e, "witness submission: store failed"),
            }
            let wait = if engine.lagging() { RETRY } else { IDLE };
            tokio::select! {
                () = notify.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    });
}

/// Each witness of the policy: its cosigned size, its lag behind the log, and what happened
/// when it was last asked.
#[utoipa::path(get, path = "/api/v1/log/witnesses", tag = "log", security(("bearer" = [])),
    responses((status = 200, description = "the policy's witnesses, their lag and last status", body = Object),
              (status = 401, description = "no valid token"), (status = 403, description = "not an auditor or admin")))]
pub async fn witnesses(
    State(st): State<AppState>,
    _: Auth<AuditorOrAdmin>,
) -> Result<Json<Value>, ApiError> {
    let engine = st.0.witnesses.as_ref().map(|w| w.engine.clone());
    st.db(move |s| {
        let size = s.size()?;
        let Some(engine) = engine else {
            return Ok(Json(
                json!({"log_size": size, "quorum": null, "witnesses": []}),
            ));
        };
        let states: Vec<Value> = engine
            .states()
            .into_iter()
            .map(|mut w| {
                // The log may have grown since the last round.
                w.lag = size.saturating_sub(w.cosigned_size.unwrap_or(0));
                w.log_size = size;
                serde_json::to_value(w).unwrap_or(Value::Null)
            })
            .collect();
        Ok(Json(json!({
            "log_size": size,
            "quorum": engine.policy().quorum_name(),
            "witnesses": states,
        })))
    })
    .await
}
