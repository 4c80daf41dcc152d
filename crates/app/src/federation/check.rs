//! `custodia federation check` (CONTRACT §10): an auditor holds both governments' logs and
//! checks that custody never fell between them. Pure over the two logs' leaves; verifying
//! each log (`Store::verify` for the local one, [`verify_export`] for the peer's export) is
//! the caller's first step.
//!
//! Custody, as the check reads a log: a person is in that government's custody from an
//! admission at one of its own facilities (or a `custody_reported` `in_custody`) until a
//! release, removal, death, or a hand-over: an admission at a peer's facility, or — read
//! from the other log — the `receipt_issued` entry that says the person was received. A
//! departed but not yet receipted passenger is still the sender's; one `not_received` at
//! first and received by a later receipt for the same document passes at that later entry.
//! Intervals are half-open
//! `[from, to)` on `occurred_at`, so custody that passes at the receipt's instant is never
//! held twice.

use std::collections::{BTreeMap, BTreeSet};

use custodia_ledger::{BatchHasher, MemoryHashes, verify_checkpoint, verify_note};
use custodia_model::events::{CustodyStatus, EventData, Leaf};
use custodia_model::federation::{
    HANDOVER_FORMAT, HandoverBody, RECEIPT_FORMAT, ReceiptBody, ReceiptStatus, parse_note_text,
};
use jiff::Timestamp;
use serde::Serialize;

/// One government's log, as the check sees it.
#[derive(Debug, Clone)]
pub struct LogView {
    /// How breaks name this log (its origin, say).
    pub label: String,
    /// The verifier key its receipts and checkpoints are signed with.
    pub vkey: String,
    pub leaves: Vec<Leaf>,
}

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub handovers: usize,
    pub receipted: usize,
    /// Hand-overs without a recorded receipt, each with why.
    pub open: Vec<String>,
    /// Persons named in any hand-over.
    pub persons: usize,
    /// Each break, named.
    pub breaks: Vec<String>,
}

/// Verifies a peer's `log export` against its checkpoint and key: every line's `seq` is its
/// index, the tree over the lines has the checkpoint's size and root, and the checkpoint is
/// signed by `vkey`. Returns the parsed leaves.
pub fn verify_export(export: &str, checkpoint: &str, vkey: &str) -> Result<Vec<Leaf>, String> {
    let cp = verify_checkpoint(checkpoint, vkey).map_err(|e| format!("peer checkpoint: {e}"))?;
    let mem = MemoryHashes::default();
    let mut hasher = BatchHasher::new(0, &mem).map_err(|e| e.to_string())?;
    let mut leaves = Vec::new();
    for (i, line) in export.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        hasher
            .push(line.as_bytes())
            .map_err(|e| format!("peer export line {}: {e}", i + 1))?;
        let leaf = Leaf::from_bytes(line.as_bytes())
            .map_err(|e| format!("peer export line {}: not a leaf: {e}", i + 1))?;
        if leaf.seq != leaves.len() as u64 {
            return Err(format!(
                "peer export line {}: seq {}, expected {}",
                i + 1,
                leaf.seq,
                leaves.len()
            ));
        }
        leaves.push(leaf);
    }
    let (_, _, root) = hasher.finish();
    if leaves.len() as u64 != cp.size {
        return Err(format!(
            "peer export holds {} entries, its checkpoint {}: export and checkpoint must be taken together",
            leaves.len(),
            cp.size
        ));
    }
    if root != cp.root {
        return Err(format!(
            "peer export does not verify: its root {} is not the checkpoint's {} (an entry was altered)",
            hex::encode(root.0),
            hex::encode(cp.root.0)
        ));
    }
    Ok(leaves)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Transfer,
    Release,
    Removal,
    Death,
}

#[derive(Debug, Clone)]
struct Interval {
    from: Timestamp,
    to: Option<(Timestamp, End)>,
}

impl Interval {
    fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && self.to.is_none_or(|(e, _)| t < e)
    }
    fn overlaps(&self, o: &Interval) -> bool {
        let end = |i: &Interval| i.to.map(|(e, _)| e);
        end(o).is_none_or(|e| self.from < e) && end(self).is_none_or(|e| o.from < e)
    }
}

struct Issued {
    peer: String,
    manifest_id: String,
    persons: Vec<String>,
}

struct IssuedReceipt {
    seq: u64,
    at: Timestamp,
    text: String,
}

/// One log, read for the check.
struct Side<'a> {
    v: &'a LogView,
    issued: BTreeMap<String, Issued>,
    recorded: BTreeMap<String, String>,
    receipts: BTreeMap<String, Vec<IssuedReceipt>>,
    custody: BTreeMap<String, Vec<Interval>>,
    /// Peer name -> its log key, as this log registered it.
    peer_keys: BTreeMap<String, String>,
    /// Documents received -> the peer that sent them.
    received_from: BTreeMap<String, String>,
}

impl Side<'_> {
    /// Whether this log's peer `name` is the other log (by key).
    fn is_other(&self, name: &str, other: &LogView) -> bool {
        self.peer_keys.get(name).is_some_and(|k| *k == other.vkey)
    }
}

fn open(c: &mut BTreeMap<String, Vec<Interval>>, p: &str, t: Timestamp) {
    let v = c.entry(p.to_string()).or_default();
    if v.last().is_none_or(|i| i.to.is_some()) {
        v.push(Interval { from: t, to: None });
    }
}

fn close(c: &mut BTreeMap<String, Vec<Interval>>, p: &str, t: Timestamp, why: End) {
    if let Some(i) = c.get_mut(p).and_then(|v| v.last_mut())
        && i.to.is_none()
    {
        i.to = Some((t.max(i.from), why));
    }
}

impl<'a> Side<'a> {
    fn read(v: &'a LogView) -> Self {
        let peer_facilities: BTreeSet<&str> = v
            .leaves
            .iter()
            .filter_map(|l| match &l.data {
                EventData::PeerAdded { facilities, .. } => {
                    Some(facilities.iter().map(String::as_str))
                }
                _ => None,
            })
            .flatten()
            .collect();
        let mut s = Side {
            v,
            issued: BTreeMap::new(),
            recorded: BTreeMap::new(),
            receipts: BTreeMap::new(),
            custody: BTreeMap::new(),
            peer_keys: BTreeMap::new(),
            received_from: BTreeMap::new(),
        };
        for l in &v.leaves {
            let t = l.occurred_at;
            let c = &mut s.custody;
            match &l.data {
                EventData::Admitted {
                    person_id,
                    facility_id,
                    ..
                } => {
                    if peer_facilities.contains(facility_id.as_str()) {
                        close(c, person_id, t, End::Transfer);
                    } else {
                        open(c, person_id, t);
                    }
                }
                EventData::CustodyReported {
                    person_id,
                    facility_id,
                    status,
                } => match status {
                    CustodyStatus::InCustody
                        if facility_id
                            .as_deref()
                            .is_none_or(|f| !peer_facilities.contains(f)) =>
                    {
                        open(c, person_id, t)
                    }
                    CustodyStatus::Released => close(c, person_id, t, End::Release),
                    CustodyStatus::Removed => close(c, person_id, t, End::Removal),
                    CustodyStatus::Deceased => close(c, person_id, t, End::Death),
                    _ => {}
                },
                EventData::Released { person_id, .. } => close(c, person_id, t, End::Release),
                EventData::Removed { person_id, .. } => close(c, person_id, t, End::Removal),
                EventData::Died { person_id, .. } => close(c, person_id, t, End::Death),
                EventData::PeerAdded { name, log_key, .. } => {
                    s.peer_keys.insert(name.clone(), log_key.clone());
                }
                EventData::HandoverReceived { doc_hash, peer, .. } => {
                    s.received_from.insert(doc_hash.clone(), peer.clone());
                }
                EventData::HandoverIssued {
                    doc_hash,
                    peer,
                    manifest_id,
                    person_ids,
                    ..
                } => {
                    s.issued.insert(
                        doc_hash.clone(),
                        Issued {
                            peer: peer.clone(),
                            manifest_id: manifest_id.clone(),
                            persons: person_ids.clone(),
                        },
                    );
                }
                EventData::ReceiptRecorded {
                    doc_hash, receipt, ..
                } => {
                    s.recorded.insert(doc_hash.clone(), receipt.clone());
                }
                EventData::ReceiptIssued {
                    doc_hash, receipt, ..
                } => {
                    s.receipts
                        .entry(doc_hash.clone())
                        .or_default()
                        .push(IssuedReceipt {
                            seq: l.seq,
                            at: t,
                            text: receipt.clone(),
                        });
                }
                _ => {}
            }
        }
        s
    }
}

fn fmt_end(i: &Interval) -> String {
    match i.to {
        Some((t, _)) => t.to_string(),
        None => "now".into(),
    }
}

/// Checks two governments' logs against each other (both directions).
pub fn check(a: &LogView, b: &LogView) -> Report {
    let mut sa = Side::read(a);
    let mut sb = Side::read(b);
    let mut r = Report::default();
    let mut persons = BTreeSet::new();
    // Custody passes at the receiver's receipt entry, whether or not the sender has recorded
    // the receipt yet: cut the sender's custody of every person received there.
    let cuts = |s: &Side<'_>, rx: &Side<'_>| -> Vec<(String, Timestamp)> {
        let mut out = Vec::new();
        for (hash, list) in &rx.receipts {
            if !s.issued.contains_key(hash) {
                continue;
            }
            // A later receipt (someone taken in late) passes custody only of whom it
            // receives first.
            let mut seen = BTreeSet::new();
            for ir in list {
                let Ok(body) = parse_note_text::<ReceiptBody>(RECEIPT_FORMAT, &ir.text) else {
                    continue;
                };
                out.extend(
                    body.passengers
                        .iter()
                        .filter(|l| l.status == ReceiptStatus::Received)
                        .filter(|l| seen.insert(l.person_id.clone()))
                        .map(|l| (l.person_id.clone(), ir.at)),
                );
            }
        }
        out
    };
    let (ca, cb) = (cuts(&sa, &sb), cuts(&sb, &sa));
    for (s, list) in [(&mut sa, ca), (&mut sb, cb)] {
        for (p, at) in list {
            if let Some(i) = s
                .custody
                .get_mut(&p)
                .and_then(|v| v.iter_mut().find(|i| i.contains(at)))
            {
                i.to = Some((at, End::Transfer));
            }
        }
    }
    for (s, rx) in [(&sa, &sb), (&sb, &sa)] {
        let (sl, rl) = (&s.v.label, &rx.v.label);
        for (hash, h) in s.issued.iter().filter(|(_, h)| s.is_other(&h.peer, rx.v)) {
            r.handovers += 1;
            persons.extend(h.persons.iter().cloned());
            let m = &h.manifest_id;
            match s.recorded.get(hash) {
                Some(note) => match verify_note(note, &rx.v.vkey) {
                    Err(e) => r.breaks.push(format!(
                        "hand-over `{hash}` (manifest `{m}`): the receipt {sl} recorded is not signed by {rl}: {e}"
                    )),
                    Ok(t) => {
                        if rx.receipts.get(hash).is_some_and(|v| v.iter().any(|x| x.text == t)) {
                            r.receipted += 1;
                        } else {
                            r.breaks.push(format!(
                                "hand-over `{hash}` (manifest `{m}`): the receipt {sl} recorded is not in {rl}'s log (tampered or forged receipt)"
                            ));
                        }
                    }
                },
                None => r.open.push(format!(
                    "hand-over `{hash}` (manifest `{m}`, {sl} to {rl}): {}",
                    if rx.receipts.contains_key(hash) {
                        "receipt issued, not yet recorded by the sender"
                    } else {
                        "no receipt yet"
                    }
                )),
            }
        }
        // Receipts `rx` issued for documents it says `s` sent.
        for (hash, list) in &rx.receipts {
            let from_s = rx
                .received_from
                .get(hash)
                .is_some_and(|p| rx.is_other(p, s.v));
            if !from_s {
                continue;
            }
            let mut received_before = BTreeSet::new();
            for ir in list {
                let e = ir.seq;
                let Some(h) = s.issued.get(hash) else {
                    r.breaks.push(format!(
                        "{rl}'s receipt (entry {e}) answers document `{hash}`, which {sl} never sent"
                    ));
                    continue;
                };
                let body = match parse_note_text::<ReceiptBody>(RECEIPT_FORMAT, &ir.text) {
                    Ok(b) => b,
                    Err(err) => {
                        r.breaks.push(format!(
                            "{rl}'s receipt (entry {e}) for `{hash}` cannot be read: {err}"
                        ));
                        continue;
                    }
                };
                for l in &body.passengers {
                    if !h.persons.contains(&l.person_id) {
                        r.breaks.push(format!(
                            "{rl}'s receipt (entry {e}) for `{hash}` (manifest `{}`) names person `{}`, who was never sent in it",
                            h.manifest_id, l.person_id
                        ));
                    } else if l.status == ReceiptStatus::Received
                        && received_before.insert(l.person_id.clone())
                        && !rx
                            .custody
                            .get(&l.person_id)
                            .is_some_and(|v| v.iter().any(|i| i.contains(ir.at)))
                    {
                        r.breaks.push(format!(
                            "person `{}` is `received` in {rl}'s receipt (entry {e}) but not in {rl}'s custody at {}",
                            l.person_id, ir.at
                        ));
                    }
                }
            }
        }
    }
    // No one in both custodies at once.
    for (p, va) in &sa.custody {
        let Some(vb) = sb.custody.get(p) else {
            continue;
        };
        if let Some((ia, ib)) = va
            .iter()
            .flat_map(|ia| vb.iter().map(move |ib| (ia, ib)))
            .find(|(ia, ib)| ia.overlaps(ib))
        {
            r.breaks.push(format!(
                "person `{p}` is in both custodies: {} from {} to {}, {} from {} to {}",
                a.label,
                ia.from,
                fmt_end(ia),
                b.label,
                ib.from,
                fmt_end(ib)
            ));
        }
    }
    // No one handed over is in neither without a recorded release, removal or death.
    for p in &persons {
        for (s, o) in [(&sa, &sb), (&sb, &sa)] {
            for i in s.custody.get(p).into_iter().flatten() {
                let Some((t, End::Transfer)) = i.to else {
                    continue;
                };
                let held = o
                    .custody
                    .get(p)
                    .is_some_and(|v| v.iter().any(|j| j.contains(t)));
                if !held {
                    r.breaks.push(format!(
                        "person `{p}` is in neither custody from {t}: {}'s custody ended in a hand-over and {} does not hold them (no release, removal or death recorded)",
                        s.v.label, o.v.label
                    ));
                }
            }
        }
    }
    // Each log extends every checkpoint it signed that either log holds: a history rewritten
    // and signed again is not the one the other government was shown (tlog-checkpoint: a
    // log never signs a checkpoint inconsistent with one it signed before).
    r.breaks.extend(unfaithful(a, &pinned_checkpoints(a, b)));
    r.breaks.extend(unfaithful(b, &pinned_checkpoints(b, a)));
    r.persons = persons.len();
    r
}

/// A checkpoint of one log held somewhere: where it was found, its size and root.
struct Pin {
    found: String,
    size: u64,
    root: custodia_ledger::Hash,
}

/// Every checkpoint signed with `owner`'s key that the two logs hold: the one in each
/// hand-over document `owner` issued, and the one each receipt `other` recorded was checked
/// against. A checkpoint whose signature does not verify pins nothing (the receipt checks
/// report a forged receipt).
fn pinned_checkpoints(owner: &LogView, other: &LogView) -> Vec<Pin> {
    let mut out = Vec::new();
    let mut pin = |found: String, note: &str| {
        if let Ok(cp) = verify_checkpoint(note, &owner.vkey) {
            out.push(Pin {
                found,
                size: cp.size,
                root: cp.root,
            });
        }
    };
    for l in &owner.leaves {
        if let EventData::HandoverIssued { document, .. } = &l.data
            && let Ok(body) = document_body(document)
        {
            pin(
                format!("the hand-over document of {} entry {}", owner.label, l.seq),
                &body.checkpoint,
            );
        }
    }
    for l in &other.leaves {
        if let EventData::ReceiptRecorded {
            checkpoint: Some(cp),
            ..
        } = &l.data
        {
            pin(
                format!("the receipt recorded at {} entry {}", other.label, l.seq),
                cp,
            );
        }
    }
    out
}

/// The checkpoints in `pins` that `owner`'s leaves do not extend: the tree over its first
/// `size` leaves must have the checkpoint's root, and the log must hold that many.
fn unfaithful(owner: &LogView, pins: &[Pin]) -> Vec<String> {
    let mut order: Vec<&Pin> = pins.iter().collect();
    order.sort_by_key(|p| p.size);
    let mut out = Vec::new();
    let mem = MemoryHashes::default();
    let Ok(mut hasher) = BatchHasher::new(0, &mem) else {
        return out;
    };
    let mut next = order.iter().peekable();
    let mut check = |hasher: &BatchHasher, p: &Pin| {
        if hasher.root() != p.root {
            out.push(format!(
                "{}'s log does not extend its own signed checkpoint of {} entries held in {}: its history was rewritten after it was shown",
                owner.label, p.size, p.found
            ));
        }
    };
    while next.peek().is_some_and(|p| p.size == 0) {
        next.next();
    }
    for l in &owner.leaves {
        let Ok(bytes) = l.to_bytes() else {
            continue;
        };
        if hasher.push(&bytes).is_err() {
            break;
        }
        while let Some(p) = next.next_if(|p| p.size == hasher.size()) {
            check(&hasher, p);
        }
    }
    for p in next {
        out.push(format!(
            "{}'s log holds {} entries, but it signed a checkpoint of {} entries, held in {}: entries were removed",
            owner.label,
            owner.leaves.len(),
            p.size,
            p.found
        ));
    }
    out
}

/// Parses a hand-over document's body without checking its signature (the check reads the
/// documents a verified log holds).
pub fn document_body(document: &str) -> Result<HandoverBody, String> {
    let n = custodia_ledger::SignedNote::parse(document).map_err(|e| e.to_string())?;
    parse_note_text(HANDOVER_FORMAT, &n.text)
}
