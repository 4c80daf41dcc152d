//! Two governments (CONTRACT §10): `custodia peer add|list`, `custodia federation
//! send|check`. The hand-over itself starts at `manifest depart` (see `cmd::manifest`).

use std::path::{Path, PathBuf};

use custodia_app::Role;
use custodia_app::federation::{self as fed, Peer, check::LogView};
use custodia_model::events::Leaf;
use custodia_server::federation::Delivery;
use custodia_store::{Store, Verdict, VerifyOptions};

use crate::ctx::{ActorArg, app_err, open_store, print_json, store_err};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Subcommand)]
pub enum PeerCmd {
    /// Register the other government's store (admin): where to deliver hand-over documents,
    /// the key its log and receipts are signed with, and the facilities it holds.
    Add {
        #[command(flatten)]
        who: ActorArg,
        /// A name for the peer (one word, no `:`), e.g. `SV`.
        #[arg(long)]
        name: String,
        /// The peer server's base URL (`http://host:port`); documents go to
        /// `URL/api/v1/federation/handover`.
        #[arg(long)]
        url: String,
        /// The peer's log verifier key, as its `custodia log key` prints it.
        #[arg(long = "log-key")]
        log_key: String,
        /// A facility of this store that the peer holds (repeat for several): a manifest
        /// that departs to it is handed over to this peer.
        #[arg(long = "facility")]
        facilities: Vec<String>,
    },
    /// List the registered peers (JSON).
    List,
}

#[derive(Debug, clap::Subcommand)]
pub enum FederationCmd {
    /// Issue the hand-over documents of departed manifests to peers' facilities, deliver the
    /// outbox and record the receipts (safe to repeat: idempotent by document hash).
    Send {
        #[command(flatten)]
        who: ActorArg,
    },
    /// Cross-check this store's log and a peer's (auditor): both verify; every hand-over
    /// has a receipt or is open; every received person is in the receiver's custody; no one
    /// is in both custodies at once, or in neither without a release, removal or death.
    Check {
        #[command(flatten)]
        who: ActorArg,
        /// The peer's `custodia log export` (JSON Lines).
        #[arg(long = "peer-export")]
        peer_export: PathBuf,
        /// The peer's `custodia log checkpoint` taken with that export (default: the export's
        /// path with `.checkpoint` appended).
        #[arg(long = "peer-checkpoint")]
        peer_checkpoint: Option<PathBuf>,
    },
}

pub fn run_peer(db: &str, c: &PeerCmd) -> CliResult {
    let mut store = open_store(db)?;
    match c {
        PeerCmd::Add {
            who,
            name,
            url,
            log_key,
            facilities,
        } => {
            let actor = who.actor(&mut store)?;
            let peer = Peer {
                name: name.clone(),
                url: url.clone(),
                log_key: log_key.trim().to_string(),
                facilities: facilities.clone(),
            };
            let added = fed::add_peer(&mut store, &actor, &peer).map_err(app_err)?;
            if added {
                eprintln!("peer `{name}` registered ({} facilities)", facilities.len());
            } else {
                eprintln!("peer `{name}` was already registered with these values; nothing added");
            }
        }
        PeerCmd::List => print_json(&fed::peers(&mut store).map_err(app_err)?)?,
    }
    Ok(())
}

/// Delivers the outbox and says on standard error what happened. Never fails the caller: a
/// peer that is down leaves its document in the outbox for the next try.
pub fn deliver_and_report(store: &mut Store, actor: &str) -> Vec<Delivery> {
    match custodia_server::federation::deliver(store, actor) {
        Ok(out) => {
            for d in &out {
                match d {
                    Delivery::Receipted(r) => eprintln!(
                        "hand-over `{}`: receipt recorded ({} received, {} not received, {} unexpected)",
                        r.doc_hash,
                        r.received.len(),
                        r.not_received.len(),
                        r.unexpected.len()
                    ),
                    Delivery::Pending {
                        doc_hash,
                        peer,
                        why,
                    } => eprintln!(
                        "warning: hand-over `{doc_hash}` to `{peer}` stays in the outbox: {why} (retry with `custodia federation send`)"
                    ),
                    Delivery::Refused {
                        doc_hash,
                        peer,
                        why,
                    } => eprintln!(
                        "warning: hand-over `{doc_hash}`: a later receipt from `{peer}` was refused: {why}"
                    ),
                }
            }
            out
        }
        Err(e) => {
            eprintln!(
                "warning: hand-over documents not sent: {e} (retry with `custodia federation send`)"
            );
            Vec::new()
        }
    }
}

pub fn run(db: &str, c: &FederationCmd) -> CliResult {
    let mut store = open_store(db)?;
    match c {
        FederationCmd::Send { who } => {
            let actor = who.actor(&mut store)?;
            if !matches!(
                actor.role,
                Role::Admin | Role::SendingOfficer | Role::SendingSupervisor
            ) {
                return Err(CliError::input(format!(
                    "forbidden: role `{}` may not send hand-over documents",
                    actor.role
                )));
            }
            let out = deliver_and_report(&mut store, &actor.id());
            let pending = out
                .iter()
                .filter(|d| matches!(d, Delivery::Pending { .. }))
                .count();
            let receipted: Vec<_> = out
                .iter()
                .filter_map(|d| match d {
                    Delivery::Receipted(r) => Some(r),
                    Delivery::Pending { .. } | Delivery::Refused { .. } => None,
                })
                .collect();
            print_json(&serde_json::json!({"receipted": receipted, "pending": pending}))?;
        }
        FederationCmd::Check {
            who,
            peer_export,
            peer_checkpoint,
        } => {
            let actor = who.actor(&mut store)?;
            if actor.role != Role::Auditor {
                return Err(CliError::input(format!(
                    "forbidden: role `{}` may not run the federation check (auditor only)",
                    actor.role
                )));
            }
            check(&mut store, peer_export, peer_checkpoint.as_ref())?;
        }
    }
    Ok(())
}

fn check(store: &mut Store, export: &Path, cp: Option<&PathBuf>) -> CliResult {
    let cp_path = cp.cloned().unwrap_or_else(|| {
        let mut p = export.to_path_buf().into_os_string();
        p.push(".checkpoint");
        PathBuf::from(p)
    });
    let export_text = crate::io::read_input(export)?;
    let cp_text = std::fs::read_to_string(&cp_path).map_err(|e| {
        CliError::input(format!(
            "`--peer-checkpoint {}`: {e}; give the peer's `custodia log checkpoint`",
            cp_path.display()
        ))
    })?;
    let mut breaks = Vec::new();
    // This store's log: leaves, root, checkpoints and projections.
    let verdict = store
        .verify(
            &VerifyOptions {
                checkpoint: None,
                verifier_key: None,
                skip_replay: false,
                trail: None,
            },
            &mut |_| {},
        )
        .map_err(store_err)?;
    let local_size = match verdict {
        Verdict::Ok { entries, .. } => entries,
        Verdict::Failed(why) => {
            breaks.push(format!("this store's log does not verify: {why}"));
            0
        }
    };
    let mut local = Vec::new();
    store
        .export(0, None, &mut |seq, body| {
            let leaf = Leaf::from_bytes(body.as_bytes()).map_err(|e| {
                custodia_store::StoreError::Corrupt(format!("ledger leaf {seq}: {e}"))
            })?;
            local.push(leaf);
            Ok(())
        })
        .map_err(store_err)?;
    // The peer's log: whose checkpoint is it?
    let peers = fed::peers(store).map_err(app_err)?;
    let signer = peers
        .iter()
        .find(|p| custodia_ledger::verify_checkpoint(&cp_text, &p.log_key).is_ok());
    let Some(peer) = signer else {
        return Err(CliError::Check(format!(
            "`{}` is not a checkpoint signed by any registered peer (`custodia peer list`)",
            cp_path.display()
        )));
    };
    let peer_leaves = match fed::check::verify_export(&export_text, &cp_text, &peer.log_key) {
        Ok(l) => l,
        Err(e) => {
            breaks.push(format!("`{}`: {e}", export.display()));
            // Still read what can be read, so every other break is named too.
            export_text
                .lines()
                .filter_map(|l| Leaf::from_bytes(l.as_bytes()).ok())
                .collect()
        }
    };
    let peer_size = peer_leaves.len();
    let here = LogView {
        label: format!("this store ({})", store.origin()),
        vkey: store.verifier_key().to_string(),
        leaves: local,
    };
    let there = LogView {
        label: format!("peer `{}`", peer.name),
        vkey: peer.log_key.clone(),
        leaves: peer_leaves,
    };
    let report = fed::check::check(&here, &there);
    breaks.extend(report.breaks.iter().cloned());
    for o in &report.open {
        eprintln!("open: {o}");
    }
    if !breaks.is_empty() {
        for b in &breaks {
            eprintln!("break: {b}");
        }
        return Err(CliError::Check(format!(
            "{} break(s) between this store and peer `{}`:\n  {}",
            breaks.len(),
            peer.name,
            breaks.join("\n  ")
        )));
    }
    println!(
        "ok: {} hand-over(s) ({} receipted, {} open), {} person(s) handed over; this store ({local_size} entries) and peer `{}` ({peer_size} entries) verify",
        report.handovers,
        report.receipted,
        report.open.len(),
        report.persons,
        peer.name
    );
    Ok(())
}
