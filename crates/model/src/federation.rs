//! The wire formats of the two-government hand-over (CONTRACT §10 "Two governments").
//!
//! A hand-over document and a receipt are C2SP signed notes whose text is two lines: a
//! format line ([`HANDOVER_FORMAT`], [`RECEIPT_FORMAT`]) and one line of compact JSON
//! ([`HandoverBody`], [`ReceiptBody`]). The note is signed with the store's log key, so the
//! peer that registered that key (`custodia peer add --log-key`) can check it. A document's
//! identity is [`doc_hash`]: the SHA-256 of the whole signed note, in hex.
//!
//! INVARIANT: a hand-over document carries only the identity columns of CONTRACT §2 for
//! each passenger ([`crate::events::IntakeRecord`]): never an asylum, fear or protection
//! record (8 C.F.R. § 208.6). The type has no field that could hold one.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::events::IntakeRecord;

/// The first line of a hand-over document's text.
pub const HANDOVER_FORMAT: &str = "custodia-handover/v1";
/// The first line of a receipt's text.
pub const RECEIPT_FORMAT: &str = "custodia-receipt/v1";

/// A leaf of a log with its RFC 9162 inclusion proof in the tree of `size` leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub index: u64,
    pub size: u64,
    /// The leaf's bytes (one line of `custodia log export`).
    pub leaf: String,
    /// The proof's hashes, hex.
    pub proof: Vec<String>,
}

/// What a sending store tells the receiving one when a manifest departs to its facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverBody {
    /// The sending log's origin.
    pub origin: String,
    pub manifest_id: String,
    pub flight: String,
    /// The receiving facility, as the sending store names it.
    pub to_facility: String,
    pub destination_country: String,
    /// Each passenger's identity columns (CONTRACT §2); `record_id` is the sending store's
    /// person id.
    pub passengers: Vec<IntakeRecord>,
    /// The `manifest_departed` entry of the sending log.
    pub departure: LogEntry,
    /// The sending log's signed checkpoint of `departure.size` leaves.
    pub checkpoint: String,
}

/// Whether a passenger of a hand-over arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    Received,
    NotReceived,
}

/// One passenger's line of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub person_id: String,
    pub status: ReceiptStatus,
    /// The receiving facility's intake record that matched (`received` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake_id: Option<String>,
}

/// What the receiving store acknowledges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptBody {
    /// The hand-over document this answers.
    pub doc_hash: String,
    /// The receiving log's origin.
    pub origin: String,
    pub manifest_id: String,
    pub facility_id: String,
    /// Every passenger of the document, once, in the document's order.
    pub passengers: Vec<ReceiptLine>,
    /// Intake records of the facility for this manifest that match no passenger.
    pub unexpected: Vec<String>,
}

/// A receipt as it travels back: the signed receipt note, its entry in the receiving log
/// (a `receipt_issued` leaf whose `receipt` is the note's text) with its inclusion proof,
/// and the receiving log's checkpoint of `entry.size` leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptEnvelope {
    pub doc_hash: String,
    pub receipt: String,
    pub entry: LogEntry,
    pub checkpoint: String,
}

/// The identity of a document: hex SHA-256 of the whole signed note.
pub fn doc_hash(note: &str) -> String {
    hex::encode(Sha256::digest(note.as_bytes()))
}

/// A note text: the format line and the body as one line of JSON, newline-terminated.
pub fn note_text<T: Serialize>(format: &str, body: &T) -> Result<String, serde_json::Error> {
    Ok(format!("{format}\n{}\n", serde_json::to_string(body)?))
}

/// Parses a note text made by [`note_text`], checking its format line.
pub fn parse_note_text<T: for<'de> Deserialize<'de>>(
    format: &str,
    text: &str,
) -> Result<T, String> {
    let (first, rest) = text
        .split_once('\n')
        .ok_or_else(|| "note text has no format line".to_string())?;
    if first != format {
        return Err(format!("format line `{first}`, expected `{format}`"));
    }
    let json = rest.strip_suffix('\n').unwrap_or(rest);
    if json.contains('\n') {
        return Err("note text has more than one line of JSON".into());
    }
    serde_json::from_str(json).map_err(|e| format!("line 2, {e}"))
}
