//! Two governments (CONTRACT §10 "Two governments", issue 16): each runs its own store, key
//! and origin; custody crosses the border on a document one signs and a receipt the other
//! signs, each an entry of its own log.
//!
//! The flow, and where each step lives:
//! 1. [`add_peer`]: an admin registers the other government's store (its URL, its log key,
//!    and the facilities it holds, as this store names them). A `peer_added` event.
//! 2. [`issue_pending`], after a manifest to a peer's facility departs: the hand-over
//!    document (a signed note, [`custodia_model::federation::HandoverBody`]) carrying the
//!    passengers' identity columns of CONTRACT §2 only, and the `manifest_departed` leaf with
//!    its inclusion proof and checkpoint. A `handover_issued` event holds the document; the
//!    `handovers` rows in state `sent` are the outbox ([`outbox`]). Delivery is HTTP, so it
//!    lives in `custodia_server::federation`; it never makes a departure fail.
//! 3. [`receive`], on the receiving store: checks the signature against a registered peer's
//!    key, the departure leaf, its proof and checkpoint; reconciles the facility's intake
//!    recorded for that manifest (`custodia_linkage`); admits the persons matched; opens a
//!    case for each passenger not received and each unexpected arrival; and appends a
//!    `receipt_issued` entry whose text it signs. Idempotent by the document's hash: a
//!    document received before gets the same receipt ([`envelope_for`]) and no new event.
//! 4. [`record_receipt`], on the sending store: checks the receipt's signature, its entry's
//!    leaf, inclusion proof and checkpoint, and that it answers exactly the persons sent;
//!    then, from that entry on, a `received` person is admitted at the peer's facility (in
//!    the receiving government's custody) and a `not_received` one stays this government's
//!    responsibility with an open case.
//! 5. A person `not_received` at first and taken in later: the sender presents the document
//!    again ([`awaiting`]), [`receive`] reconciles the intake recorded since and signs a
//!    further receipt, and [`record_receipt`] records it; custody passes at that entry.
//! 6. [`check`]: the auditor's cross-check of both logs (`custodia federation check`).
//!
//! [`manifest_handovers`] is what the manifest page shows of it.

use std::collections::{BTreeMap, BTreeSet};

use custodia_ledger::{Hash, verify_checkpoint, verify_note};
use custodia_linkage::Record as LinkRecord;
use custodia_model::events::{EventData, IntakeRecord, Leaf, NewEvent, PersonRecord};
use custodia_model::federation::{
    HANDOVER_FORMAT, HandoverBody, LogEntry, RECEIPT_FORMAT, ReceiptBody, ReceiptEnvelope,
    ReceiptLine, ReceiptStatus, doc_hash, note_text, parse_note_text,
};
use custodia_model::legal::CountryCode;
use custodia_store::reads::federation::{HandoverRow, PeerRow};
use custodia_store::reads::manifests::LinkRow;
use custodia_store::{Store, StoreError};
use serde::Serialize;

use crate::actor::{Actor, Role};
use crate::error::{AppError, Result};

pub mod check;

/// A registered peer: the other government's store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    pub name: String,
    pub url: String,
    pub log_key: String,
    pub facilities: Vec<String>,
}

/// A hand-over document waiting for its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub doc_hash: String,
    pub manifest_id: String,
    pub peer: Peer,
    pub document: String,
}

/// What recording a receipt did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedReceipt {
    pub doc_hash: String,
    pub received: Vec<String>,
    pub not_received: Vec<String>,
    pub unexpected: Vec<String>,
    /// False when the same receipt had been recorded before (nothing appended).
    pub appended: bool,
}

impl From<PeerRow> for Peer {
    fn from(p: PeerRow) -> Self {
        Self {
            name: p.name,
            url: p.url,
            log_key: p.log_key,
            facilities: p.facilities,
        }
    }
}

fn corrupt(m: String) -> AppError {
    AppError::Store(StoreError::Corrupt(m))
}

/// Registers (or re-registers) a peer; admin only. `facilities` must be registered in this
/// store: a manifest to one of them is a hand-over to this peer. Registering the same values
/// again appends nothing.
pub fn add_peer(store: &mut Store, actor: &Actor, peer: &Peer) -> Result<bool> {
    if actor.role != Role::Admin {
        return Err(AppError::Forbidden(format!(
            "role `{}` may not register peers (admin only)",
            actor.role
        )));
    }
    crate::auth::check_name(&peer.name).map_err(|_| {
        AppError::Invalid(format!(
            "field `--name`: `{}` must be 1 to 64 characters, without spaces or `:`",
            peer.name
        ))
    })?;
    if !(peer.url.starts_with("http://") || peer.url.starts_with("https://"))
        || peer.url.contains(char::is_whitespace)
    {
        return Err(AppError::Invalid(format!(
            "field `--url`: `{}` is not an http:// or https:// URL",
            peer.url
        )));
    }
    custodia_ledger::check_verifier_key(&peer.log_key).map_err(|e| {
        AppError::Invalid(format!(
            "field `--log-key`: `{}` is not a signed-note verifier key (`name+id+base64`, `custodia log key` on the peer): {e}",
            peer.log_key
        ))
    })?;
    if peer.log_key == store.verifier_key() {
        return Err(AppError::Invalid(
            "field `--log-key`: that is this store's own key, not a peer's".into(),
        ));
    }
    let now = store.clock().now();
    let (added, _) = store.transact_with(|tx| -> Result<bool> {
        let known = tx.reads().peers()?;
        for f in &peer.facilities {
            if !tx.reads().facility_exists(f)? {
                return Err(AppError::Invalid(format!(
                    "field `--facility`: no facility `{f}` in this store; register it first (`custodia facility register`)"
                )));
            }
            if let Some(owner) = known
                .iter()
                .find(|p| p.name != peer.name && p.facilities.contains(f))
            {
                return Err(AppError::Conflict(format!(
                    "facility `{f}` already belongs to peer `{}`",
                    owner.name
                )));
            }
        }
        if let Some(r) = known.iter().find(|p| p.name == peer.name)
            && r.url == peer.url
            && r.log_key == peer.log_key
            && r.facilities.join(";") == peer.facilities.join(";")
        {
            return Ok(false);
        }
        tx.emit(NewEvent {
            occurred_at: now,
            actor: actor.id(),
            data: EventData::PeerAdded {
                name: peer.name.clone(),
                url: peer.url.clone(),
                log_key: peer.log_key.clone(),
                facilities: peer.facilities.clone(),
            },
        });
        Ok(true)
    })?;
    Ok(added)
}

/// Every registered peer, by name.
pub fn peers(store: &mut Store) -> Result<Vec<Peer>> {
    Ok(store
        .view(|r| r.peers())?
        .into_iter()
        .map(Peer::from)
        .collect())
}

/// Builds and records the hand-over document of every manifest that departed to a peer's
/// facility and has none yet. Returns the new documents' hashes. Safe to run at any time
/// and from several processes: the check and the append are one transaction.
pub fn issue_pending(store: &mut Store, actor: &str) -> Result<Vec<String>> {
    let peers = peers(store)?;
    let mut issued = Vec::new();
    for peer in &peers {
        for facility in &peer.facilities {
            let pending = store.view(|r| r.departed_without_handover(facility))?;
            for m in pending {
                if let Some(h) = issue(store, actor, peer, &m)? {
                    issued.push(h);
                }
            }
        }
    }
    Ok(issued)
}

/// The seq of the manifest's `manifest_departed` entry.
fn departure_seq(store: &mut Store, manifest_id: &str) -> Result<u64> {
    let seqs = store.view(|r| r.manifest_event_seqs(manifest_id))?;
    for seq in seqs {
        let Some(body) = store.leaf(seq)? else {
            continue;
        };
        let leaf = Leaf::from_bytes(body.as_bytes())
            .map_err(|e| corrupt(format!("ledger leaf {seq}: {e}")))?;
        if matches!(&leaf.data, EventData::ManifestDeparted { manifest_id: m } if m == manifest_id)
        {
            return Ok(seq);
        }
    }
    Err(AppError::Conflict(format!(
        "manifest `{manifest_id}` has no departure entry"
    )))
}

/// An entry of this store's log with its proof in the tree of `size` leaves, and the
/// checkpoint of that tree (the one signed for the batch the entry ended, when it did).
fn entry_of(store: &mut Store, seq: u64) -> Result<(LogEntry, String)> {
    let (size, cp) = match store.checkpoint_at(seq + 1)? {
        Some(cp) => (seq + 1, cp.note),
        None => {
            let cp = store.checkpoint()?;
            (cp.size, cp.note)
        }
    };
    let proof = store.prove(seq, Some(size))?;
    let leaf = store
        .leaf(seq)?
        .ok_or_else(|| corrupt(format!("ledger leaf {seq} is missing")))?;
    Ok((
        LogEntry {
            index: seq,
            size,
            leaf,
            proof: proof.proof.iter().map(|h| hex::encode(h.0)).collect(),
        },
        cp,
    ))
}

fn issue(store: &mut Store, actor: &str, peer: &Peer, manifest_id: &str) -> Result<Option<String>> {
    let seq = departure_seq(store, manifest_id)?;
    let (departure, checkpoint) = entry_of(store, seq)?;
    // CONTRACT §2 columns only: never a legal record (8 C.F.R. § 208.6).
    let (m, passengers) = store.view(|r| {
        Ok((
            r.handover_manifest(manifest_id)?,
            r.passenger_link_rows(manifest_id)?,
        ))
    })?;
    let m = m.ok_or_else(|| AppError::NotFound(format!("no manifest `{manifest_id}`")))?;
    let passengers: Vec<IntakeRecord> = passengers
        .into_iter()
        .map(|r| IntakeRecord {
            record_id: r.id,
            family_names: r.family_names,
            given_names: r.given_names,
            date_of_birth: r.date_of_birth.map(|d| d.to_string()),
            sex: r.sex,
            nationality: r.nationality,
            document_number: None,
        })
        .collect();
    let body = HandoverBody {
        origin: store.origin().to_string(),
        manifest_id: manifest_id.to_string(),
        flight: m.flight,
        to_facility: m.to_facility,
        destination_country: m.destination_country,
        passengers,
        departure,
        checkpoint,
    };
    let t = note_text(HANDOVER_FORMAT, &body).map_err(|e| AppError::Store(e.into()))?;
    let document = signing_key(store)?
        .sign_note(&t)
        .map_err(|e| AppError::Store(StoreError::Db(e.to_string())))?;
    let hash = doc_hash(&document);
    let now = store.clock().now();
    let person_ids: Vec<String> = body
        .passengers
        .iter()
        .map(|p| p.record_id.clone())
        .collect();
    let (done, _) = store.transact_with(|tx| -> Result<bool> {
        if tx.reads().handover_issued_for(manifest_id)? {
            return Ok(false);
        }
        tx.emit(NewEvent {
            occurred_at: now,
            actor: actor.to_string(),
            data: EventData::HandoverIssued {
                doc_hash: hash.clone(),
                peer: peer.name.clone(),
                manifest_id: manifest_id.to_string(),
                person_ids: person_ids.clone(),
                document: document.clone(),
            },
        });
        Ok(true)
    })?;
    Ok(done.then_some(hash))
}

/// The hand-over documents still waiting for a receipt (the outbox), oldest first.
pub fn outbox(store: &mut Store) -> Result<Vec<Outgoing>> {
    let peers: BTreeMap<String, Peer> = peers(store)?
        .into_iter()
        .map(|p| (p.name.clone(), p))
        .collect();
    let rows = store.view(|r| r.handovers_sent("sent"))?;
    Ok(rows
        .into_iter()
        .filter_map(|r| outgoing(&peers, r))
        .collect())
}

/// Documents already receipted whose recorded receipt leaves someone `not_received`: the
/// sender presents them again, so a person taken in late gets a further receipt.
pub fn awaiting(store: &mut Store) -> Result<Vec<Outgoing>> {
    let peers: BTreeMap<String, Peer> = peers(store)?
        .into_iter()
        .map(|p| (p.name.clone(), p))
        .collect();
    let rows = store.view(|r| r.handovers_sent("receipted"))?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            custodia_ledger::SignedNote::parse(r.receipt.as_deref().unwrap_or_default())
                .ok()
                .and_then(|n| parse_note_text::<ReceiptBody>(RECEIPT_FORMAT, &n.text).ok())
                .is_some_and(|b| {
                    b.passengers
                        .iter()
                        .any(|l| l.status == ReceiptStatus::NotReceived)
                })
        })
        .filter_map(|r| outgoing(&peers, r))
        .collect())
}

/// A document this store sent, with its peer (none when the peer is not registered).
fn outgoing(peers: &BTreeMap<String, Peer>, r: HandoverRow) -> Option<Outgoing> {
    Some(Outgoing {
        peer: peers.get(&r.peer)?.clone(),
        doc_hash: r.doc_hash,
        manifest_id: r.manifest_id,
        document: r.document.unwrap_or_default(),
    })
}

/// A hand-over of one manifest, as the manifest page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandoverView {
    /// `out` (this store sent it) or `in` (this store received it).
    pub direction: String,
    pub peer: String,
    pub doc_hash: String,
    /// `sent` (no receipt yet) or `receipted`.
    pub state: String,
    /// This store's entry that issued (`out`) or received (`in`) the document.
    pub issued_seq: u64,
    pub receipt: Option<ReceiptView>,
}

/// The latest receipt of a hand-over and where it is proved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptView {
    /// The key that signed it (the receiving log's origin).
    pub signer: String,
    /// When it was issued (its entry's `occurred_at`).
    pub issued_at: String,
    pub received: usize,
    pub not_received: usize,
    pub unexpected: usize,
    /// The receipt's entry in the receiving log, and the tree it is proved in.
    pub entry: u64,
    pub size: u64,
    /// The inclusion proof (hex hashes) and the receiving log's checkpoint of `size` leaves;
    /// empty for a receipt recorded before they were kept.
    pub proof: Vec<String>,
    pub checkpoint: Option<String>,
    /// This store's entry that recorded (`out`) or issued (`in`) it.
    pub local_seq: u64,
}

/// The hand-overs of a manifest, with their latest receipts.
pub fn manifest_handovers(store: &mut Store, manifest_id: &str) -> Result<Vec<HandoverView>> {
    let rows = store.view(|r| r.manifest_handovers(manifest_id))?;
    let mut out = Vec::new();
    for r in rows {
        let (direction, hash) = (r.direction.clone(), r.doc_hash.clone());
        let mut view = HandoverView {
            direction: direction.clone(),
            peer: r.peer.clone(),
            doc_hash: hash.clone(),
            state: r.state.clone(),
            issued_seq: r.issued_seq,
            receipt: None,
        };
        if let Some(local_seq) = r.receipt_seq {
            let leaf = store
                .leaf(local_seq)?
                .ok_or_else(|| corrupt(format!("ledger leaf {local_seq} is missing")))?;
            let leaf = Leaf::from_bytes(leaf.as_bytes())
                .map_err(|e| corrupt(format!("ledger leaf {local_seq}: {e}")))?;
            let note = r.receipt.clone().unwrap_or_default();
            let (body_text, signer, entry, size, proof, checkpoint) = if direction == "out" {
                let n = custodia_ledger::SignedNote::parse(&note)
                    .map_err(|e| corrupt(format!("handovers `{hash}`: receipt: {e}")))?;
                let signer = n
                    .signatures
                    .first()
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                match leaf.data {
                    EventData::ReceiptRecorded {
                        entry,
                        size,
                        proof,
                        checkpoint,
                        ..
                    } => (n.text, signer, entry, size, proof, checkpoint),
                    _ => {
                        return Err(corrupt(format!(
                            "ledger leaf {local_seq} is not a `receipt_recorded` entry"
                        )));
                    }
                }
            } else {
                let (e, cp) = entry_of(store, local_seq)?;
                (
                    note,
                    store.origin().to_string(),
                    e.index,
                    e.size,
                    e.proof,
                    Some(cp),
                )
            };
            let body: ReceiptBody = parse_note_text(RECEIPT_FORMAT, &body_text)
                .map_err(|e| corrupt(format!("handovers `{hash}`: receipt: {e}")))?;
            let count = |st| body.passengers.iter().filter(|l| l.status == st).count();
            // INVARIANT: a `receipt_recorded` entry occurs at the receipt's own instant.
            let issued_at = leaf.occurred_at;
            view.receipt = Some(ReceiptView {
                signer,
                issued_at: issued_at.to_string(),
                received: count(ReceiptStatus::Received),
                not_received: count(ReceiptStatus::NotReceived),
                unexpected: body.unexpected.len(),
                entry,
                size,
                proof,
                checkpoint,
                local_seq,
            });
        }
        out.push(view);
    }
    Ok(out)
}

fn parse_hashes(what: &str, hs: &[String]) -> Result<Vec<Hash>, String> {
    hs.iter()
        .enumerate()
        .map(|(i, h)| {
            let b = hex::decode(h).map_err(|_| format!("{what}: proof[{i}] is not hex"))?;
            let a: [u8; 32] = b
                .try_into()
                .map_err(|_| format!("{what}: proof[{i}] is not 32 bytes"))?;
            Ok(Hash(a))
        })
        .collect()
}

/// Checks an entry of a peer's log: the checkpoint is signed by `vkey` for `entry.size`, and
/// the leaf is included at `entry.index`. Returns the parsed leaf.
pub fn check_entry(
    what: &str,
    entry: &LogEntry,
    checkpoint: &str,
    vkey: &str,
) -> Result<Leaf, String> {
    let cp = verify_checkpoint(checkpoint, vkey).map_err(|e| format!("{what}: checkpoint: {e}"))?;
    if cp.size != entry.size {
        return Err(format!(
            "{what}: the proof is for a tree of {} entries, the checkpoint is for {}",
            entry.size, cp.size
        ));
    }
    let proof = parse_hashes(what, &entry.proof)?;
    let lh = custodia_ledger::leaf_hash(entry.leaf.as_bytes());
    custodia_ledger::verify_inclusion(&proof, entry.size, cp.root, entry.index, lh).map_err(
        |e| {
            format!(
                "{what}: entry {} is not in the checkpointed tree: {e}",
                entry.index
            )
        },
    )?;
    let leaf = Leaf::from_bytes(entry.leaf.as_bytes())
        .map_err(|e| format!("{what}: entry {} is not a leaf: {e}", entry.index))?;
    if leaf.seq != entry.index {
        return Err(format!(
            "{what}: the leaf says seq {}, the proof index {}",
            leaf.seq, entry.index
        ));
    }
    Ok(leaf)
}

/// The peer whose registered key signed `note`, and the note's text.
fn signer_of(store: &mut Store, note: &str) -> Result<(Peer, String)> {
    for p in peers(store)? {
        if let Ok(t) = verify_note(note, &p.log_key) {
            return Ok((p, t));
        }
    }
    Err(AppError::Forbidden(
        "the document is not signed by the key of any registered peer (`custodia peer add`)".into(),
    ))
}

/// Receives a peer's hand-over document: verifies it, records it, reconciles the intake and
/// returns the signed receipt. Idempotent by the document's hash.
pub fn receive(store: &mut Store, document: &str) -> Result<ReceiptEnvelope> {
    let hash = doc_hash(document);
    if let Some(env) = envelope_for(store, &hash)?
        && !receipt_misses_anyone(&env)
    {
        return Ok(env);
    }
    let (peer, t) = signer_of(store, document)?;
    let body: HandoverBody = parse_note_text(HANDOVER_FORMAT, &t)
        .map_err(|e| AppError::Invalid(format!("hand-over document: {e}")))?;
    let leaf = check_entry(
        "hand-over document, `departure`",
        &body.departure,
        &body.checkpoint,
        &peer.log_key,
    )
    .map_err(AppError::Invalid)?;
    match &leaf.data {
        EventData::ManifestDeparted { manifest_id } if *manifest_id == body.manifest_id => {}
        other => {
            return Err(AppError::Invalid(format!(
                "hand-over document: `departure` is a `{}` entry, expected `manifest_departed` of `{}`",
                other.kind(),
                body.manifest_id
            )));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, p) in body.passengers.iter().enumerate() {
        if !seen.insert(p.record_id.clone()) {
            return Err(AppError::Invalid(format!(
                "hand-over document: passengers[{i}]: `{}` appears twice",
                p.record_id
            )));
        }
    }
    let actor = format!("peer:{}", peer.name);
    let key = signing_key(store)?;
    let origin = key.name().to_string();
    let now = store.clock().now();
    let facility = body.to_facility.clone();
    let manifest_id = body.manifest_id.clone();
    store.transact_with(|tx| -> Result<()> {
        if let Some(r) = tx.reads().handover(&hash, "in")? {
            if r.state != "receipted" {
                return Ok(());
            }
            let before: ReceiptBody = parse_note_text(RECEIPT_FORMAT, r.receipt.as_deref().unwrap_or_default())
                .map_err(|e| corrupt(format!("handovers `{hash}`: receipt: {e}")))?;
            return late_receipt(tx, &Late { hash: &hash, peer: &peer, body: &body, actor: &actor, now, before });
        }
        if !tx.reads().facility_exists(&facility)? {
            return Err(AppError::Invalid(format!(
                "hand-over document: `to_facility` `{facility}` is not a facility of this store"
            )));
        }
        let manifest: Vec<LinkRecord> = body.passengers.iter().map(link_of).collect();
        let intake: Vec<LinkRecord> = tx
            .reads()
            .intake_link_rows(&facility, &manifest_id)?
            .into_iter()
            .map(link_of_row)
            .collect();
        let rec = custodia_linkage::reconcile::reconcile(&manifest, &intake);
        let matched: BTreeMap<&str, &str> = rec
            .matches
            .iter()
            .map(|m| (m.manifest_id.as_str(), m.intake_id.as_str()))
            .collect();
        let ev = |data| NewEvent { occurred_at: now, actor: actor.clone(), data };
        tx.emit(ev(EventData::HandoverReceived {
            doc_hash: hash.clone(),
            peer: peer.name.clone(),
            manifest_id: manifest_id.clone(),
            facility_id: facility.clone(),
            person_ids: body.passengers.iter().map(|p| p.record_id.clone()).collect(),
        }));
        let mut n = tx.reads().case_count(&manifest_id)?;
        let mut lines = Vec::new();
        for p in &body.passengers {
            let id = p.record_id.as_str();
            if let Some(intake_id) = matched.get(id) {
                if !tx.reads().person_exists(id)? {
                    tx.emit(ev(EventData::PersonRegistered(person_of(p))));
                }
                let admit = admission(tx, &facility, &manifest_id, p, now, &mut n)?;
                tx.emit(ev(admit));
                lines.push(ReceiptLine { person_id: id.to_string(), status: ReceiptStatus::Received, intake_id: Some((*intake_id).to_string()) });
            } else {
                n += 1;
                let review = rec.needs_review.iter().find(|r| r.manifest_id == id);
                let detail = match review {
                    Some(r) => format!(
                        "`{id}` was handed over by {} on flight {} but no intake record matches it surely (candidates: {})",
                        peer.name,
                        body.flight,
                        r.candidates.iter().map(|c| format!("{} ({:.2})", c.intake_id, c.score)).collect::<Vec<_>>().join(", ")
                    ),
                    None => format!("`{id}` was handed over by {} on flight {} but no intake record matches it", peer.name, body.flight),
                };
                tx.emit(ev(EventData::CaseOpened {
                    case_id: custodia_model::ids::case_id(&manifest_id, n),
                    manifest_id: manifest_id.clone(),
                    case_kind: "not_received".into(),
                    subject_id: id.to_string(),
                    detail,
                }));
                lines.push(ReceiptLine { person_id: id.to_string(), status: ReceiptStatus::NotReceived, intake_id: None });
            }
        }
        for u in &rec.unexpected_in_intake {
            n += 1;
            tx.emit(ev(EventData::CaseOpened {
                case_id: custodia_model::ids::case_id(&manifest_id, n),
                manifest_id: manifest_id.clone(),
                case_kind: "unexpected_in_intake".into(),
                subject_id: u.clone(),
                detail: format!("intake record `{u}` matches no passenger handed over by {} on flight {}", peer.name, body.flight),
            }));
        }
        let receipt = ReceiptBody {
            doc_hash: hash.clone(),
            origin: origin.clone(),
            manifest_id: manifest_id.clone(),
            facility_id: facility.clone(),
            passengers: lines,
            unexpected: rec.unexpected_in_intake.clone(),
        };
        let t = note_text(RECEIPT_FORMAT, &receipt).map_err(|e| AppError::Store(e.into()))?;
        // INVARIANT: the receipt is the batch's last entry, so the checkpoint signed for this
        // batch is the one its proof is given against (`entry_of`).
        tx.emit(ev(EventData::ReceiptIssued { doc_hash: hash.clone(), peer: peer.name.clone(), receipt: t }));
        Ok(())
    })?;
    envelope_for(store, &hash)?
        .ok_or_else(|| corrupt(format!("hand-over `{hash}` recorded without its receipt")))
}

/// Whether a receipt says someone was not received (so a later intake may answer again).
fn receipt_misses_anyone(env: &ReceiptEnvelope) -> bool {
    custodia_ledger::SignedNote::parse(&env.receipt)
        .ok()
        .and_then(|n| parse_note_text::<ReceiptBody>(RECEIPT_FORMAT, &n.text).ok())
        .is_some_and(|b| {
            b.passengers
                .iter()
                .any(|l| l.status == ReceiptStatus::NotReceived)
        })
}

/// A document received before whose receipt left someone `not_received`, presented again.
struct Late<'a> {
    hash: &'a str,
    peer: &'a Peer,
    body: &'a HandoverBody,
    actor: &'a str,
    now: jiff::Timestamp,
    before: ReceiptBody,
}

/// Intake that arrived after the first receipt: reconciles the passengers still
/// `not_received` against the facility's intake records for the manifest that no earlier
/// receipt used; admits each one matched now, resolves this store's `not_received` case for
/// them, opens a case for each new unexpected record, and signs a further receipt that
/// answers every passenger again (the earlier `received` lines unchanged). Nothing new
/// matched: nothing appended, the same receipt stands.
fn late_receipt(tx: &mut custodia_store::Tx<'_>, l: &Late<'_>) -> Result<()> {
    let (hash, body, before) = (l.hash, l.body, &l.before);
    let facility = before.facility_id.as_str();
    let manifest_id = before.manifest_id.as_str();
    let used: BTreeSet<&str> = before
        .passengers
        .iter()
        .filter_map(|x| x.intake_id.as_deref())
        .collect();
    let waiting: BTreeSet<&str> = before
        .passengers
        .iter()
        .filter(|x| x.status == ReceiptStatus::NotReceived)
        .map(|x| x.person_id.as_str())
        .collect();
    let manifest: Vec<LinkRecord> = body
        .passengers
        .iter()
        .filter(|p| waiting.contains(p.record_id.as_str()))
        .map(link_of)
        .collect();
    let intake: Vec<LinkRecord> = tx
        .reads()
        .intake_link_rows(facility, manifest_id)?
        .into_iter()
        .filter(|r| !used.contains(r.id.as_str()))
        .map(link_of_row)
        .collect();
    let rec = custodia_linkage::reconcile::reconcile(&manifest, &intake);
    if rec.matches.is_empty() {
        return Ok(());
    }
    let matched: BTreeMap<&str, &str> = rec
        .matches
        .iter()
        .map(|m| (m.manifest_id.as_str(), m.intake_id.as_str()))
        .collect();
    let ev = |data| NewEvent {
        occurred_at: l.now,
        actor: l.actor.to_string(),
        data,
    };
    let mut n = tx.reads().case_count(manifest_id)?;
    let mut lines = Vec::new();
    for line in &before.passengers {
        let Some(intake_id) = matched.get(line.person_id.as_str()) else {
            lines.push(line.clone());
            continue;
        };
        let id = line.person_id.as_str();
        let Some(p) = body.passengers.iter().find(|p| p.record_id == id) else {
            return Err(AppError::Invalid(format!(
                "the receipt for `{hash}` names `{id}`, whom the document does not carry"
            )));
        };
        if !tx.reads().person_exists(id)? {
            tx.emit(ev(EventData::PersonRegistered(person_of(p))));
        }
        let admit = admission(tx, facility, manifest_id, p, l.now, &mut n)?;
        tx.emit(ev(admit));
        for case_id in tx.reads().open_not_received_cases(manifest_id, id)? {
            tx.emit(ev(EventData::CaseResolved {
                case_id,
                reason: format!("taken in late: intake record `{intake_id}`; a further receipt for `{hash}` says received"),
            }));
        }
        lines.push(ReceiptLine {
            person_id: id.to_string(),
            status: ReceiptStatus::Received,
            intake_id: Some((*intake_id).to_string()),
        });
    }
    for u in &rec.unexpected_in_intake {
        if before.unexpected.contains(u) {
            continue;
        }
        n += 1;
        tx.emit(ev(EventData::CaseOpened {
            case_id: custodia_model::ids::case_id(manifest_id, n),
            manifest_id: manifest_id.to_string(),
            case_kind: "unexpected_in_intake".into(),
            subject_id: u.clone(),
            detail: format!(
                "intake record `{u}` matches no passenger handed over by {} on flight {}",
                l.peer.name, body.flight
            ),
        }));
    }
    let receipt = ReceiptBody {
        doc_hash: hash.to_string(),
        origin: before.origin.clone(),
        manifest_id: manifest_id.to_string(),
        facility_id: facility.to_string(),
        passengers: lines,
        unexpected: rec.unexpected_in_intake.clone(),
    };
    let t = note_text(RECEIPT_FORMAT, &receipt).map_err(|e| AppError::Store(e.into()))?;
    // INVARIANT: as for the first receipt, the receipt is the batch's last entry.
    tx.emit(ev(EventData::ReceiptIssued {
        doc_hash: hash.to_string(),
        peer: l.peer.name.clone(),
        receipt: t,
    }));
    Ok(())
}

/// The event that takes a received passenger in at `facility`: their admission, or, when
/// the law bars them from it (a minor at an adult-only facility), a case that says so, and
/// no admission. Custody has changed hands either way (the receipt says received); where
/// the person is held is for the receiving officer to decide (`custodia admit`).
fn admission(
    tx: &mut custodia_store::Tx<'_>,
    facility: &str,
    manifest_id: &str,
    p: &IntakeRecord,
    now: jiff::Timestamp,
    cases: &mut u64,
) -> Result<EventData> {
    let id = p.record_id.as_str();
    let adult_only = tx
        .reads()
        .facility_country(facility)?
        .is_some_and(|(_, adult_only)| adult_only);
    let dob = match tx.reads().person(id)? {
        Some(stored) => stored.date_of_birth,
        None => person_of(p).date_of_birth,
    };
    let day = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    Ok(
        match crate::custody::barred_as_minor(facility, adult_only, id, dob, day)? {
            None => EventData::Admitted {
                person_id: id.to_string(),
                facility_id: facility.to_string(),
                manifest_id: Some(manifest_id.to_string()),
            },
            Some(why) => {
                *cases += 1;
                EventData::CaseOpened {
                    case_id: custodia_model::ids::case_id(manifest_id, *cases),
                    manifest_id: manifest_id.to_string(),
                    case_kind: "minor_at_adult_facility".into(),
                    subject_id: id.to_string(),
                    detail: format!("received but not admitted: {why}"),
                }
            }
        },
    )
}

fn link_of_row(r: LinkRow) -> LinkRecord {
    crate::manifests::link_record(r)
}

fn link_of(p: &IntakeRecord) -> LinkRecord {
    let mut r = LinkRecord::new(&p.record_id, &p.family_names, &p.given_names);
    r.date_of_birth = p.date_of_birth.as_deref().and_then(|d| d.parse().ok());
    r.sex = p.sex.clone();
    r.nationality = p.nationality.clone();
    r.document_number = p.document_number.clone();
    r
}

fn person_of(p: &IntakeRecord) -> PersonRecord {
    PersonRecord {
        id: p.record_id.clone(),
        family_names: p.family_names.clone(),
        given_names: p.given_names.clone(),
        date_of_birth: p.date_of_birth.as_deref().and_then(|d| d.parse().ok()),
        sex: p.sex.clone(),
        country_of_birth: None,
        nationalities: p
            .nationality
            .as_deref()
            .and_then(|n| CountryCode::new(n).ok())
            .into_iter()
            .collect(),
        us_status: None,
        languages: Vec::new(),
        identity_verified: false,
    }
}

/// The receipt for a document this store received, signed again (Ed25519 is deterministic,
/// so it is the same note every time) with its entry's proof; `None` when not received.
pub fn envelope_for(store: &mut Store, hash: &str) -> Result<Option<ReceiptEnvelope>> {
    let Some(r) = store
        .view(|r| r.handover(hash, "in"))?
        .filter(|r| r.state == "receipted")
    else {
        return Ok(None);
    };
    let t = r.receipt.unwrap_or_default();
    let seq = r
        .receipt_seq
        .ok_or_else(|| corrupt(format!("handovers `{hash}`: receipt_seq")))?;
    let receipt = signing_key(store)?
        .sign_note(&t)
        .map_err(|e| AppError::Store(StoreError::Db(e.to_string())))?;
    let (entry, checkpoint) = entry_of(store, seq)?;
    Ok(Some(ReceiptEnvelope {
        doc_hash: hash.to_string(),
        receipt,
        entry,
        checkpoint,
    }))
}

/// Checks a receipt envelope against the document it answers and the peer's key; returns
/// the receipt and the receipt entry's leaf.
pub fn check_receipt(
    env: &ReceiptEnvelope,
    document: &str,
    peer_key: &str,
) -> Result<(ReceiptBody, Leaf), String> {
    let t = verify_note(&env.receipt, peer_key)
        .map_err(|e| format!("receipt for `{}`: {e}", env.doc_hash))?;
    let body: ReceiptBody = parse_note_text(RECEIPT_FORMAT, &t)
        .map_err(|e| format!("receipt for `{}`: {e}", env.doc_hash))?;
    if body.doc_hash != env.doc_hash || doc_hash(document) != env.doc_hash {
        return Err(format!(
            "receipt answers document `{}`, not `{}`",
            body.doc_hash, env.doc_hash
        ));
    }
    let leaf = check_entry("receipt `entry`", &env.entry, &env.checkpoint, peer_key)?;
    match &leaf.data {
        EventData::ReceiptIssued {
            doc_hash, receipt, ..
        } if *doc_hash == env.doc_hash && *receipt == t => {}
        _ => {
            return Err(format!(
                "receipt `entry` {} is not the `receipt_issued` entry of this receipt",
                env.entry.index
            ));
        }
    }
    let sent: HandoverBody = custodia_ledger::SignedNote::parse(document)
        .map_err(|e| e.to_string())
        .and_then(|n| parse_note_text(HANDOVER_FORMAT, &n.text))
        .map_err(|e| format!("document `{}`: {e}", env.doc_hash))?;
    let sent_ids: Vec<&str> = sent
        .passengers
        .iter()
        .map(|p| p.record_id.as_str())
        .collect();
    let mut answered = BTreeSet::new();
    for l in &body.passengers {
        if !sent_ids.contains(&l.person_id.as_str()) {
            return Err(format!(
                "receipt for `{}` names person `{}`, who was never sent in it",
                env.doc_hash, l.person_id
            ));
        }
        if !answered.insert(l.person_id.as_str()) {
            return Err(format!(
                "receipt for `{}` names person `{}` twice",
                env.doc_hash, l.person_id
            ));
        }
    }
    if let Some(missing) = sent_ids.iter().find(|p| !answered.contains(**p)) {
        return Err(format!(
            "receipt for `{}` does not answer for person `{missing}`",
            env.doc_hash
        ));
    }
    Ok((body, leaf))
}

/// Records a peer's receipt for a document this store sent. From the receipt's entry on, a
/// `received` person is in the peer's custody (admitted at the peer's facility, at the
/// instant the receipt was issued); a `not_received` one stays this store's responsibility
/// with an open case. The same receipt again appends nothing. A later receipt for the same
/// document (the peer took in late someone it had not received) is recorded too: each person
/// it now says `received` passes into the peer's custody at that receipt's entry, and this
/// store's `not_received` case for them is resolved; any other receipt is refused.
pub fn record_receipt(
    store: &mut Store,
    actor: &str,
    env: &ReceiptEnvelope,
) -> Result<RecordedReceipt> {
    let found = store.view(|r| {
        let Some(h) = r.handover(&env.doc_hash, "out")? else {
            return Ok(None);
        };
        let key = r.peers()?.into_iter().find(|p| p.name == h.peer);
        let to = r.handover_manifest(&h.manifest_id)?;
        Ok(key.zip(to).map(|(p, m)| (h, p.log_key, m.to_facility)))
    })?;
    let (h, key, facility) = found.ok_or_else(|| {
        AppError::NotFound(format!(
            "no hand-over document `{}` was sent from this store",
            env.doc_hash
        ))
    })?;
    let (peer, manifest_id, document, state, prior) = (
        h.peer,
        h.manifest_id,
        h.document.unwrap_or_default(),
        h.state,
        h.receipt.unwrap_or_default(),
    );
    let (body, leaf) = check_receipt(env, &document, &key).map_err(AppError::Invalid)?;
    let summary = |appended| RecordedReceipt {
        doc_hash: env.doc_hash.clone(),
        received: body
            .passengers
            .iter()
            .filter(|l| l.status == ReceiptStatus::Received)
            .map(|l| l.person_id.clone())
            .collect(),
        not_received: body
            .passengers
            .iter()
            .filter(|l| l.status == ReceiptStatus::NotReceived)
            .map(|l| l.person_id.clone())
            .collect(),
        unexpected: body.unexpected.clone(),
        appended,
    };
    // A later receipt for the same document: persons taken in after the first one.
    let late = state == "receipted";
    let mut already: BTreeSet<String> = BTreeSet::new();
    if late {
        if prior == env.receipt {
            return Ok(summary(false));
        }
        already = later_receipt(store, env, &prior, &key, &body)?;
    }
    let now = store.clock().now();
    let at = leaf.occurred_at;
    let (appended, _) = store.transact_with(|tx| -> Result<bool> {
        let st = tx.reads().handover(&env.doc_hash, "out")?;
        if st.as_ref().is_some_and(|r| r.state == "receipted")
            && (!late || st.and_then(|r| r.receipt).unwrap_or_default() != prior)
        {
            return Ok(false);
        }
        tx.emit(NewEvent {
            occurred_at: at,
            actor: actor.to_string(),
            data: EventData::ReceiptRecorded {
                doc_hash: env.doc_hash.clone(),
                peer: peer.clone(),
                receipt: env.receipt.clone(),
                entry: env.entry.index,
                size: env.entry.size,
                proof: env.entry.proof.clone(),
                checkpoint: Some(env.checkpoint.clone()),
            },
        });
        let mut n = tx.reads().case_count(&manifest_id)?;
        for l in &body.passengers {
            if already.contains(&l.person_id) {
                continue;
            }
            match l.status {
                ReceiptStatus::Received if late => {
                    tx.emit(NewEvent {
                        occurred_at: at,
                        actor: actor.to_string(),
                        data: EventData::Admitted {
                            person_id: l.person_id.clone(),
                            facility_id: facility.clone(),
                            manifest_id: Some(manifest_id.clone()),
                        },
                    });
                    for case_id in tx.reads().open_not_received_cases(&manifest_id, &l.person_id)? {
                        tx.emit(NewEvent {
                            occurred_at: now,
                            actor: actor.to_string(),
                            data: EventData::CaseResolved {
                                case_id,
                                reason: format!(
                                    "received late by {peer}: its further receipt for `{}` (entry {}) says received",
                                    env.doc_hash, env.entry.index
                                ),
                            },
                        });
                    }
                }
                ReceiptStatus::NotReceived if late => {}
                ReceiptStatus::Received => tx.emit(NewEvent {
                    occurred_at: at,
                    actor: actor.to_string(),
                    data: EventData::Admitted {
                        person_id: l.person_id.clone(),
                        facility_id: facility.clone(),
                        manifest_id: Some(manifest_id.clone()),
                    },
                }),
                ReceiptStatus::NotReceived => {
                    n += 1;
                    tx.emit(NewEvent {
                        occurred_at: now,
                        actor: actor.to_string(),
                        data: EventData::CaseOpened {
                            case_id: custodia_model::ids::case_id(&manifest_id, n),
                            manifest_id: manifest_id.clone(),
                            case_kind: "not_received".into(),
                            subject_id: l.person_id.clone(),
                            detail: format!(
                                "`{}` was handed over to {peer} but its receipt `{}` says not received; still this government's responsibility",
                                l.person_id, env.doc_hash
                            ),
                        },
                    });
                }
            }
        }
        Ok(true)
    })?;
    Ok(summary(appended))
}

/// Checks that `env`, a receipt for a document whose receipt `prior` (the signed note) is
/// already recorded, is a later one: a later entry of the peer's log, every person
/// `received` before still `received` with the same intake record, and at least one
/// `not_received` person now `received`. Returns the persons the earlier receipt settled
/// (received before, or still not received), whom recording it leaves as they are.
fn later_receipt(
    store: &mut Store,
    env: &ReceiptEnvelope,
    prior: &str,
    key: &str,
    body: &ReceiptBody,
) -> Result<BTreeSet<String>> {
    let conflict = |why: String| {
        AppError::Conflict(format!(
            "hand-over `{}` already has another receipt recorded, and this one is not a later receipt for it: {why}",
            env.doc_hash
        ))
    };
    let before: ReceiptBody = verify_note(prior, key)
        .map_err(|e| e.to_string())
        .and_then(|t| parse_note_text(RECEIPT_FORMAT, &t))
        .map_err(|e| {
            corrupt(format!(
                "handovers `{}`: recorded receipt: {e}",
                env.doc_hash
            ))
        })?;
    // The entry the recorded receipt came from (the `receipt_recorded` leaf says).
    let seq = store
        .view(|r| r.handover(&env.doc_hash, "out"))?
        .and_then(|r| r.receipt_seq)
        .ok_or_else(|| corrupt(format!("handovers `{}`: receipt_seq", env.doc_hash)))?;
    let leaf = store
        .leaf(seq)?
        .ok_or_else(|| corrupt(format!("ledger leaf {seq} is missing")))?;
    let prior_entry = match Leaf::from_bytes(leaf.as_bytes()).map(|l| l.data) {
        Ok(EventData::ReceiptRecorded { entry, .. }) => entry,
        _ => {
            return Err(corrupt(format!(
                "ledger leaf {seq} is not the `receipt_recorded` entry of `{}`",
                env.doc_hash
            )));
        }
    };
    if env.entry.index <= prior_entry {
        return Err(conflict(format!(
            "its entry {} is not after entry {prior_entry} of the receipt recorded",
            env.entry.index
        )));
    }
    let now: BTreeMap<&str, &ReceiptLine> = body
        .passengers
        .iter()
        .map(|l| (l.person_id.as_str(), l))
        .collect();
    let mut settled = BTreeSet::new();
    let mut newly = 0;
    for l in &before.passengers {
        let Some(x) = now.get(l.person_id.as_str()) else {
            return Err(conflict(format!(
                "person `{}` is not answered",
                l.person_id
            )));
        };
        match (l.status, x.status) {
            (ReceiptStatus::Received, ReceiptStatus::Received) if l.intake_id == x.intake_id => {
                settled.insert(l.person_id.clone());
            }
            (ReceiptStatus::Received, _) => {
                return Err(conflict(format!(
                    "person `{}` was `received` (intake `{}`) and is not any more",
                    l.person_id,
                    l.intake_id.as_deref().unwrap_or("")
                )));
            }
            (ReceiptStatus::NotReceived, ReceiptStatus::Received) => newly += 1,
            (ReceiptStatus::NotReceived, ReceiptStatus::NotReceived) => {
                settled.insert(l.person_id.clone());
            }
        }
    }
    if newly == 0 {
        return Err(conflict(
            "it receives no one the recorded receipt did not".into(),
        ));
    }
    Ok(settled)
}

/// The store's signing key: a store opened read-only has none and cannot sign.
fn signing_key(store: &custodia_store::Store) -> Result<custodia_ledger::LogKey, AppError> {
    store.key().cloned().ok_or_else(|| {
        AppError::Invalid("this store was opened without its signing key; it cannot sign".into())
    })
}
