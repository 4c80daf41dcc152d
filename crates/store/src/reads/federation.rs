//! Federation reads (CONTRACT §10, issue 16): the registered peers, the hand-overs both ways,
//! and the rows `app::federation` decides on when it issues, receives and records.

use super::Reads;
use crate::decode::rows;
use crate::error::Result;

/// A registered peer (`peers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRow {
    pub name: String,
    pub url: String,
    pub log_key: String,
    /// The facilities of this store that are the peer's, in the order registered.
    pub facilities: Vec<String>,
}

/// A hand-over row (`handovers`), either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverRow {
    pub doc_hash: String,
    /// `out` (this store sent the document) or `in` (this store received it).
    pub direction: String,
    pub peer: String,
    pub manifest_id: String,
    /// The signed document (kept for `out`).
    pub document: Option<String>,
    /// `sent` or `receipted`.
    pub state: String,
    /// This store's entry that issued (`out`) or received (`in`) the document.
    pub issued_seq: u64,
    /// The signed receipt note (`out`) or the receipt's text (`in`), once receipted.
    pub receipt: Option<String>,
    /// This store's entry that recorded (`out`) or issued (`in`) the receipt.
    pub receipt_seq: Option<u64>,
}

/// What a hand-over document says of its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverManifest {
    pub flight: String,
    pub to_facility: String,
    pub destination_country: String,
}

const PEER_COLS: &[&str] = &["name", "url", "log_key", "facilities"];
const HANDOVER_COLS: &[&str] = &[
    "doc_hash",
    "direction",
    "peer",
    "manifest_id",
    "document",
    "state",
    "issued_seq",
    "receipt",
    "receipt_seq",
];
const HANDOVER_SELECT: &str = "SELECT doc_hash, direction, peer, manifest_id, document, state, issued_seq, receipt, receipt_seq FROM handovers";

fn handover(a: &crate::decode::At<'_>) -> Result<HandoverRow> {
    Ok(HandoverRow {
        doc_hash: a.text(0)?,
        direction: a.text(1)?,
        peer: a.text(2)?,
        manifest_id: a.text(3)?,
        document: a.opt_text(4)?,
        state: a.text(5)?,
        issued_seq: a.u64(6)?,
        receipt: a.opt_text(7)?,
        receipt_seq: a.opt_u64(8)?,
    })
}

impl Reads<'_> {
    /// Every registered peer, by name.
    pub fn peers(&mut self) -> Result<Vec<PeerRow>> {
        let r = self.query(
            "SELECT name, url, log_key, facilities FROM peers ORDER BY name",
            &[],
        )?;
        rows("peers", PEER_COLS, &r, |a| {
            Ok(PeerRow {
                name: a.text(0)?,
                url: a.text(1)?,
                log_key: a.text(2)?,
                facilities: a.list(3)?,
            })
        })
    }

    /// The manifests to `facility` that have departed (or gone further) and have no
    /// hand-over document issued yet, by id.
    pub fn departed_without_handover(&mut self, facility: &str) -> Result<Vec<String>> {
        let r = self.query(
            "SELECT m.id FROM manifests m WHERE m.to_facility = ? \
             AND m.state IN ('departed', 'arrived', 'reconciled', 'closed') \
             AND NOT EXISTS (SELECT 1 FROM handovers h WHERE h.manifest_id = m.id AND h.direction = 'out') \
             ORDER BY m.id",
            &[facility.into()],
        )?;
        rows("manifests", &["id"], &r, |a| a.text(0))
    }

    /// The entries about a manifest, latest first.
    pub fn manifest_event_seqs(&mut self, manifest_id: &str) -> Result<Vec<u64>> {
        let r = self.query(
            "SELECT seq FROM manifest_events WHERE manifest_id = ? ORDER BY seq DESC",
            &[manifest_id.into()],
        )?;
        rows("manifest_events", &["seq"], &r, |a| a.u64(0))
    }

    /// The flight, destination facility and country of a manifest, if it exists.
    pub fn handover_manifest(&mut self, manifest_id: &str) -> Result<Option<HandoverManifest>> {
        let r = self.query(
            "SELECT id, flight, to_facility, destination_country FROM manifests WHERE id = ?",
            &[manifest_id.into()],
        )?;
        Ok(rows(
            "manifests",
            &["id", "flight", "to_facility", "destination_country"],
            &r,
            |a| {
                Ok(HandoverManifest {
                    flight: a.text(1)?,
                    to_facility: a.text(2)?,
                    destination_country: a.text(3)?,
                })
            },
        )?
        .into_iter()
        .next())
    }

    /// Whether a hand-over document was issued for the manifest.
    pub fn handover_issued_for(&mut self, manifest_id: &str) -> Result<bool> {
        self.exists(
            "SELECT doc_hash FROM handovers WHERE manifest_id = ? AND direction = 'out'",
            &[manifest_id.into()],
        )
    }

    /// The hand-over of document `doc_hash` in `direction` (`out` or `in`), if any.
    pub fn handover(&mut self, doc_hash: &str, direction: &str) -> Result<Option<HandoverRow>> {
        let r = self.query(
            &format!("{HANDOVER_SELECT} WHERE doc_hash = ? AND direction = ?"),
            &[doc_hash.into(), direction.into()],
        )?;
        Ok(rows("handovers", HANDOVER_COLS, &r, handover)?
            .into_iter()
            .next())
    }

    /// The documents this store sent that are in `state` (`sent`: the outbox;
    /// `receipted`), in the order issued.
    pub fn handovers_sent(&mut self, state: &str) -> Result<Vec<HandoverRow>> {
        let r = self.query(
            &format!("{HANDOVER_SELECT} WHERE direction = 'out' AND state = ? ORDER BY issued_seq"),
            &[state.into()],
        )?;
        rows("handovers", HANDOVER_COLS, &r, handover)
    }

    /// The hand-overs of a manifest, both ways, in the order issued.
    pub fn manifest_handovers(&mut self, manifest_id: &str) -> Result<Vec<HandoverRow>> {
        let r = self.query(
            &format!("{HANDOVER_SELECT} WHERE manifest_id = ? ORDER BY issued_seq"),
            &[manifest_id.into()],
        )?;
        rows("handovers", HANDOVER_COLS, &r, handover)
    }

    /// The ids of the manifest's open `not_received` cases about `subject_id`.
    pub fn open_not_received_cases(
        &mut self,
        manifest_id: &str,
        subject_id: &str,
    ) -> Result<Vec<String>> {
        let r = self.query(
            "SELECT id FROM cases WHERE manifest_id = ? AND kind = 'not_received' AND subject_id = ? AND state = 'open' ORDER BY id",
            &[manifest_id.into(), subject_id.into()],
        )?;
        rows("cases", &["id"], &r, |a| a.text(0))
    }
}
