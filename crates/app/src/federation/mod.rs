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
//! 5. [`check`]: the auditor's cross-check of both logs (`custodia federation check`).

use std::collections::{BTreeMap, BTreeSet};

use custodia_ledger::{Hash, verify_checkpoint, verify_note};
use custodia_linkage::Record as LinkRecord;
use custodia_model::events::{EventData, IntakeRecord, Leaf, NewEvent, PersonRecord};
use custodia_model::federation::{
    HANDOVER_FORMAT, HandoverBody, LogEntry, RECEIPT_FORMAT, ReceiptBody, ReceiptEnvelope,
    ReceiptLine, ReceiptStatus, doc_hash, note_text, parse_note_text,
};
use custodia_model::legal::CountryCode;
use custodia_store::backend::Value;
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

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::opt_str).unwrap_or_default()
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
        for f in &peer.facilities {
            if tx
                .query("SELECT id FROM facilities WHERE id = ?", &[f.as_str().into()])?
                .is_empty()
            {
                return Err(AppError::Invalid(format!(
                    "field `--facility`: no facility `{f}` in this store; register it first (`custodia facility register`)"
                )));
            }
            let owner = tx.query(
                "SELECT name, facilities FROM peers WHERE name <> ?",
                &[peer.name.as_str().into()],
            )?;
            for r in owner {
                if text(r.get(1)).split(';').any(|x| x == f) {
                    return Err(AppError::Conflict(format!(
                        "facility `{f}` already belongs to peer `{}`",
                        text(r.first())
                    )));
                }
            }
        }
        let existing = tx.query(
            "SELECT url, log_key, facilities FROM peers WHERE name = ?",
            &[peer.name.as_str().into()],
        )?;
        if let Some(r) = existing.first()
            && text(r.first()) == peer.url
            && text(r.get(1)) == peer.log_key
            && text(r.get(2)) == peer.facilities.join(";")
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
    Ok(store.read(|c| {
        Ok(c.query(
            "SELECT name, url, log_key, facilities FROM peers ORDER BY name",
            &[],
        )?
        .iter()
        .map(|r| Peer {
            name: text(r.first()),
            url: text(r.get(1)),
            log_key: text(r.get(2)),
            facilities: text(r.get(3))
                .split(';')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        })
        .collect())
    })?)
}

/// Builds and records the hand-over document of every manifest that departed to a peer's
/// facility and has none yet. Returns the new documents' hashes. Safe to run at any time
/// and from several processes: the check and the append are one transaction.
pub fn issue_pending(store: &mut Store, actor: &str) -> Result<Vec<String>> {
    let peers = peers(store)?;
    let mut issued = Vec::new();
    for peer in &peers {
        for facility in &peer.facilities {
            let pending: Vec<String> = store.read(|c| {
                Ok(c.query(
                    "SELECT m.id FROM manifests m WHERE m.to_facility = ? \
                     AND m.state IN ('departed', 'arrived', 'reconciled', 'closed') \
                     AND NOT EXISTS (SELECT 1 FROM handovers h WHERE h.manifest_id = m.id AND h.direction = 'out') \
                     ORDER BY m.id",
                    &[facility.as_str().into()],
                )?
                .iter()
                .map(|r| text(r.first()))
                .collect())
            })?;
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
    let seqs: Vec<i64> = store.read(|c| {
        Ok(c.query(
            "SELECT seq FROM manifest_events WHERE manifest_id = ? ORDER BY seq DESC",
            &[manifest_id.into()],
        )?
        .iter()
        .filter_map(|r| r.first().and_then(Value::as_i64))
        .collect())
    })?;
    for s in seqs {
        let seq = u64::try_from(s).map_err(|_| corrupt(format!("manifest_events: seq {s}")))?;
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
    let (m, passengers) = store.read(|c| {
        let m = c.query(
            "SELECT flight, to_facility, destination_country FROM manifests WHERE id = ?",
            &[manifest_id.into()],
        )?;
        // CONTRACT §2 columns only: never a legal record (8 C.F.R. § 208.6).
        let p = c.query(
            "SELECT p.id, p.family_names, p.given_names, p.date_of_birth, p.sex, p.nationalities FROM persons p \
             JOIN manifest_passengers mp ON mp.person_id = p.id WHERE mp.manifest_id = ? ORDER BY p.id",
            &[manifest_id.into()],
        )?;
        Ok((m, p))
    })?;
    let m = m
        .first()
        .ok_or_else(|| AppError::NotFound(format!("no manifest `{manifest_id}`")))?;
    let passengers: Vec<IntakeRecord> = passengers
        .iter()
        .map(|r| IntakeRecord {
            record_id: text(r.first()),
            family_names: text(r.get(1)),
            given_names: text(r.get(2)),
            date_of_birth: r.get(3).and_then(Value::opt_str),
            sex: r.get(4).and_then(Value::opt_str),
            nationality: text(r.get(5))
                .split(';')
                .next()
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            document_number: None,
        })
        .collect();
    let body = HandoverBody {
        origin: store.origin().to_string(),
        manifest_id: manifest_id.to_string(),
        flight: text(m.first()),
        to_facility: text(m.get(1)),
        destination_country: text(m.get(2)),
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
        if !tx
            .query(
                "SELECT doc_hash FROM handovers WHERE manifest_id = ? AND direction = 'out'",
                &[manifest_id.into()],
            )?
            .is_empty()
        {
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
    let rows = store.read(|c| {
        c.query(
            "SELECT doc_hash, manifest_id, peer, document FROM handovers \
             WHERE direction = 'out' AND state = 'sent' ORDER BY issued_seq",
            &[],
        )
    })?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Outgoing {
                doc_hash: text(r.first()),
                manifest_id: text(r.get(1)),
                peer: peers.get(&text(r.get(2)))?.clone(),
                document: text(r.get(3)),
            })
        })
        .collect())
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
    if let Some(env) = envelope_for(store, &hash)? {
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
        if !tx
            .query(
                "SELECT doc_hash FROM handovers WHERE doc_hash = ? AND direction = 'in'",
                &[hash.as_str().into()],
            )?
            .is_empty()
        {
            return Ok(());
        }
        if tx.query("SELECT id FROM facilities WHERE id = ?", &[facility.as_str().into()])?.is_empty() {
            return Err(AppError::Invalid(format!(
                "hand-over document: `to_facility` `{facility}` is not a facility of this store"
            )));
        }
        let manifest: Vec<LinkRecord> = body.passengers.iter().map(link_of).collect();
        let mut intake = Vec::new();
        for r in tx.query(
            "SELECT record_id, family_names, given_names, date_of_birth, sex, nationality, document_number FROM intake \
             WHERE facility_id = ? AND manifest_id = ? ORDER BY seq",
            &[facility.as_str().into(), manifest_id.as_str().into()],
        )? {
            intake.push(link_of(&IntakeRecord {
                record_id: text(r.first()),
                family_names: text(r.get(1)),
                given_names: text(r.get(2)),
                date_of_birth: r.get(3).and_then(Value::opt_str),
                sex: r.get(4).and_then(Value::opt_str),
                nationality: r.get(5).and_then(Value::opt_str),
                document_number: r.get(6).and_then(Value::opt_str),
            }));
        }
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
        let n0 = tx.query("SELECT COUNT(*) FROM cases WHERE manifest_id = ?", &[manifest_id.as_str().into()])?;
        let mut n = n0.first().and_then(|r| r.first()).and_then(Value::as_i64).unwrap_or(0);
        let mut lines = Vec::new();
        for p in &body.passengers {
            let id = p.record_id.as_str();
            if let Some(intake_id) = matched.get(id) {
                if tx.query("SELECT id FROM persons WHERE id = ?", &[id.into()])?.is_empty() {
                    tx.emit(ev(EventData::PersonRegistered(person_of(p))));
                }
                tx.emit(ev(EventData::Admitted {
                    person_id: id.to_string(),
                    facility_id: facility.clone(),
                    manifest_id: Some(manifest_id.clone()),
                }));
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
                    case_id: format!("CASE-{manifest_id}-{n:03}"),
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
                case_id: format!("CASE-{manifest_id}-{n:03}"),
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
    let row = store.read(|c| {
        c.query(
            "SELECT receipt, receipt_seq FROM handovers WHERE doc_hash = ? AND direction = 'in' AND state = 'receipted'",
            &[hash.into()],
        )
    })?;
    let Some(r) = row.first() else {
        return Ok(None);
    };
    let t = text(r.first());
    let seq = r
        .get(1)
        .and_then(Value::as_i64)
        .and_then(|s| u64::try_from(s).ok())
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
/// with an open case. The same receipt again appends nothing; another one is refused.
pub fn record_receipt(
    store: &mut Store,
    actor: &str,
    env: &ReceiptEnvelope,
) -> Result<RecordedReceipt> {
    let rows = store.read(|c| {
        c.query(
            "SELECT h.peer, h.manifest_id, h.document, h.state, h.receipt, p.log_key, m.to_facility FROM handovers h \
             JOIN peers p ON p.name = h.peer JOIN manifests m ON m.id = h.manifest_id \
             WHERE h.doc_hash = ? AND h.direction = 'out'",
            &[env.doc_hash.as_str().into()],
        )
    })?;
    let r = rows.first().ok_or_else(|| {
        AppError::NotFound(format!(
            "no hand-over document `{}` was sent from this store",
            env.doc_hash
        ))
    })?;
    let (peer, manifest_id, document, state, prior, key, facility) = (
        text(r.first()),
        text(r.get(1)),
        text(r.get(2)),
        text(r.get(3)),
        text(r.get(4)),
        text(r.get(5)),
        text(r.get(6)),
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
    if state == "receipted" {
        return if prior == env.receipt {
            Ok(summary(false))
        } else {
            Err(AppError::Conflict(format!(
                "hand-over `{}` already has another receipt recorded",
                env.doc_hash
            )))
        };
    }
    let now = store.clock().now();
    let at = leaf.occurred_at;
    let (appended, _) = store.transact_with(|tx| -> Result<bool> {
        let st = tx.query(
            "SELECT state FROM handovers WHERE doc_hash = ? AND direction = 'out'",
            &[env.doc_hash.as_str().into()],
        )?;
        if text(st.first().and_then(|r| r.first())) == "receipted" {
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
            },
        });
        let n0 = tx.query("SELECT COUNT(*) FROM cases WHERE manifest_id = ?", &[manifest_id.as_str().into()])?;
        let mut n = n0.first().and_then(|r| r.first()).and_then(Value::as_i64).unwrap_or(0);
        for l in &body.passengers {
            match l.status {
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
                            case_id: format!("CASE-{manifest_id}-{n:03}"),
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

/// The store's signing key: a store opened read-only has none and cannot sign.
fn signing_key(store: &custodia_store::Store) -> Result<custodia_ledger::LogKey, AppError> {
    store.key().cloned().ok_or_else(|| {
        AppError::Invalid("this store was opened without its signing key; it cannot sign".into())
    })
}
