//! The events of the custody ledger. Every change to custody state is one of these, appended
//! to the log; the store's tables are projections that a replay of them rebuilds exactly.
//!
//! INVARIANT: the JSON of an event is part of a leaf, and leaves are hashed into the signed
//! tree, so a field's name, order or meaning never changes once written. New needs get new
//! variants or new optional fields (absent when `None`).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::legal::{Basis, CountryCode, UsStatus, VersionedRecord};

/// A person held in, or known to, the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonRecord {
    pub id: String,
    pub family_names: String,
    pub given_names: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_birth: Option<CountryCode>,
    pub nationalities: Vec<CountryCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub us_status: Option<UsStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    #[serde(default)]
    pub identity_verified: bool,
}

/// Where a person stands in custody.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::Display,
    strum::EnumString,
    strum::AsRefStr,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CustodyStatus {
    InCustody,
    Released,
    Removed,
    Transferred,
    Deceased,
}

impl CustodyStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// A detention site: facility → pavilion → cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacilityRecord {
    pub id: String,
    pub name: String,
    pub country: CountryCode,
    /// `us_detention`, `prison`, `military_base`, ...
    pub kind: String,
    #[serde(default)]
    pub adult_only: bool,
    pub pavilions: Vec<PavilionRecord>,
}

/// A pavilion of a facility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PavilionRecord {
    pub id: String,
    pub cells: Vec<CellRecord>,
}

/// A cell: floor area, design capacity, attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellRecord {
    pub id: String,
    pub area_m2: f64,
    pub capacity: u32,
    #[serde(default)]
    pub windows: bool,
    /// `in_cell`, `shared`, `none`.
    pub sanitation: String,
}

/// One finding of a screening decision, as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRecord {
    pub rule: String,
    pub effect: String,
    pub citation: String,
    pub detail: String,
}

/// A row of the receiving facility's intake (CONTRACT §2 columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeRecord {
    pub record_id: String,
    pub family_names: String,
    pub given_names: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
}

/// One dated rate of an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateRecord {
    pub from: Date,
    /// Exact decimal, as a string (`"54.35"`).
    pub per_person_day: String,
}

/// An agreement between governments, as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementRecord {
    pub id: String,
    pub facility_id: String,
    pub currency: String,
    pub start: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_beds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_reserved_per_person_day: Option<String>,
    pub rates: Vec<RateRecord>,
}

/// What happened. The variant name is the leaf's `kind`; its fields are the leaf's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum EventData {
    FacilityRegistered(FacilityRecord),
    CellStatusChanged {
        cell_id: String,
        in_use: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    PersonRegistered(PersonRecord),
    PersonUpdated(PersonRecord),
    /// Custody as reported by an outside registry (an import), not observed by this system.
    CustodyReported {
        person_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        facility_id: Option<String>,
        status: CustodyStatus,
    },
    /// A legal record, or a new version of one (`id`, `as_of`: a petition later denied, a
    /// grant later terminated). Without `id`/`as_of` its JSON is exactly a bare record's.
    LegalRecordAdded {
        person_id: String,
        record: VersionedRecord,
    },
    CounselAssigned {
        person_id: String,
        counsel: String,
    },
    Admitted {
        person_id: String,
        facility_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        manifest_id: Option<String>,
    },
    /// What housing must respect for a person: the groups they belong to, the groups they
    /// must be kept from, and named persons (co-defendants) they must not share a cell with.
    /// Replaces any earlier record for the person.
    SeparationRecorded {
        person_id: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        groups: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        separate_from: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        avoid_persons: Vec<String>,
    },
    /// A placement in a cell, on intake or as a move.
    Placed {
        person_id: String,
        cell_id: String,
    },
    Released {
        person_id: String,
        facility_id: String,
    },
    /// Handed over at a destination outside the system's facilities.
    Removed {
        person_id: String,
        country: CountryCode,
    },
    Died {
        person_id: String,
        facility_id: String,
    },
    ScreeningDecided {
        person_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        manifest_id: Option<String>,
        on: Date,
        basis: Basis,
        destination_country: CountryCode,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        facility_id: Option<String>,
        outcome: String,
        rules_version: String,
        findings: Vec<FindingRecord>,
    },
    ManifestCreated {
        manifest_id: String,
        flight: String,
        from_facility: String,
        to_facility: String,
        destination_country: CountryCode,
        basis: Basis,
        departure_on: Date,
    },
    PassengerAdded {
        manifest_id: String,
        person_id: String,
    },
    PassengerRemoved {
        manifest_id: String,
        person_id: String,
    },
    ManifestScreened {
        manifest_id: String,
    },
    ManifestApproved {
        manifest_id: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        justifications: Vec<Justification>,
    },
    ManifestDeparted {
        manifest_id: String,
    },
    ManifestArrived {
        manifest_id: String,
    },
    ManifestReconciled {
        manifest_id: String,
        matched: u32,
        missing: u32,
        unexpected: u32,
        review: u32,
    },
    ManifestClosed {
        manifest_id: String,
    },
    IntakeRecorded {
        facility_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        manifest_id: Option<String>,
        record: IntakeRecord,
    },
    CaseOpened {
        case_id: String,
        manifest_id: String,
        case_kind: String,
        subject_id: String,
        detail: String,
    },
    CaseResolved {
        case_id: String,
        reason: String,
    },
    AgreementRegistered(AgreementRecord),
    InvoiceIssued {
        invoice_id: String,
        agreement_id: String,
        month: String,
        person_days: u64,
        total: String,
    },
    InvoiceAdjusted {
        note_id: String,
        invoice_id: String,
        note_kind: String,
        amount: String,
        reason: String,
    },
    ExerciseRecorded {
        person_id: String,
        on: Date,
        minutes: u32,
    },
    VisitRecorded {
        person_id: String,
        on: Date,
        visit_kind: String,
    },
    SolitaryStarted {
        person_id: String,
        on: Date,
    },
    SolitaryEnded {
        person_id: String,
        on: Date,
    },
    FamilyNotified {
        person_id: String,
        occasion: String,
    },
    /// Someone read a person's record: access itself is audited.
    PersonRead {
        person_id: String,
    },
    /// A list, a search or an export returned these persons' data (issue 18): every person
    /// named, once; `via` says which read (`search`, `list`, `leaves`, `proof`).
    PersonsRead {
        person_ids: Vec<String>,
        via: String,
    },
    /// Counsel no longer represents the person (`counsel` as in `counsel_assigned`).
    CounselUnassigned {
        person_id: String,
        counsel: String,
    },
    /// A proposed change to one identity fact (CONTRACT §9); takes effect only when a second
    /// person confirms it.
    CorrectionProposed {
        correction_id: String,
        person_id: String,
        /// `family_names`, `given_names`, `date_of_birth`, `country_of_birth`,
        /// `nationalities` (`;`-separated) or `us_status`.
        field: String,
        /// The new value as text; empty means unknown.
        value: String,
        reason: String,
    },
    /// A second person confirmed a correction: the person's record changes now.
    CorrectionConfirmed {
        correction_id: String,
    },
    /// A class-wide court order (a `stay` with scope `class`): it applies to every person
    /// tagged with `class_id`.
    ClassOrderRecorded {
        class_id: String,
        record: VersionedRecord,
    },
    /// An officer tagged a person as a member of a class named in class-wide orders.
    ClassTagged {
        person_id: String,
        class_id: String,
    },
    // ---- public locator (issue 15): new variants go after this line, never before.
    /// A facility's public contact information, as the locator shows it to families:
    /// visiting rules, the consular contact, how counsel reaches a person held there.
    /// Replaces any earlier one for the facility.
    FacilityContactPublished {
        facility_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visiting: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consular: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        counsel_access: Option<String>,
    },
    /// The person, or their counsel, asked that the person not appear in the public
    /// locator. Auditors see the request and its reason; the locator never shows the person.
    LocatorWithheld {
        person_id: String,
        /// `person` or `counsel`.
        requested_by: String,
        reason: String,
    },
    // ---- federation (issue 16, CONTRACT §10 "Two governments"): new variants go after this.
    /// Another government's store, registered by an admin: where its hand-overs are delivered
    /// (`url`), the verifier key its log and receipts are signed with (`log_key`), and the
    /// facilities it holds (ids as this store knows them): a manifest departing to one of
    /// them is a hand-over to this peer. Replaces an earlier registration of the same name.
    PeerAdded {
        name: String,
        url: String,
        log_key: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        facilities: Vec<String>,
    },
    /// Sending side: the hand-over document of a departed manifest to a peer's facility was
    /// issued. `document` is the signed note itself, `doc_hash` its SHA-256 (hex).
    HandoverIssued {
        doc_hash: String,
        peer: String,
        manifest_id: String,
        person_ids: Vec<String>,
        document: String,
    },
    /// Receiving side: a peer's hand-over document verified (signature, departure entry,
    /// inclusion proof, checkpoint) and was recorded.
    HandoverReceived {
        doc_hash: String,
        peer: String,
        manifest_id: String,
        facility_id: String,
        person_ids: Vec<String>,
    },
    /// Receiving side: the receipt for `doc_hash`. `receipt` is the receipt note's text
    /// (`crate::federation::ReceiptBody`), exactly the bytes this store's key signs.
    ReceiptIssued {
        doc_hash: String,
        peer: String,
        receipt: String,
    },
    /// Sending side: the peer's receipt, verified: `receipt` is the signed note, `entry` its
    /// index in the peer's log and `size` the peer's tree its inclusion was checked against.
    /// From this entry on, a `received` person is in the peer's custody. A later receipt for
    /// the same document (a person taken in late) is recorded by another such entry.
    ReceiptRecorded {
        doc_hash: String,
        peer: String,
        receipt: String,
        entry: u64,
        size: u64,
        /// The entry's inclusion proof in the peer's tree of `size` leaves (hex hashes), as
        /// checked; absent from entries written before it was kept.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        proof: Vec<String>,
        /// The peer's signed checkpoint of `size` leaves the proof was checked against.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkpoint: Option<String>,
    },
}

/// A supervisor's reason to send a `needs_review` person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Justification {
    pub person_id: String,
    pub text: String,
}

/// The kinds of leaf that only record that someone read a person's data: they change no
/// state that a report, a page or a decision reads (only the access log).
pub const READ_RECORD_KINDS: [&str; 2] = ["person_read", "persons_read"];

impl EventData {
    /// Whether this event only records a read (see [`READ_RECORD_KINDS`]).
    pub fn is_read_record(&self) -> bool {
        READ_RECORD_KINDS.contains(&self.kind())
    }

    /// The leaf's `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::FacilityRegistered(_) => "facility_registered",
            Self::CellStatusChanged { .. } => "cell_status_changed",
            Self::PersonRegistered(_) => "person_registered",
            Self::PersonUpdated(_) => "person_updated",
            Self::CustodyReported { .. } => "custody_reported",
            Self::LegalRecordAdded { .. } => "legal_record_added",
            Self::CounselAssigned { .. } => "counsel_assigned",
            Self::Admitted { .. } => "admitted",
            Self::SeparationRecorded { .. } => "separation_recorded",
            Self::Placed { .. } => "placed",
            Self::Released { .. } => "released",
            Self::Removed { .. } => "removed",
            Self::Died { .. } => "died",
            Self::ScreeningDecided { .. } => "screening_decided",
            Self::ManifestCreated { .. } => "manifest_created",
            Self::PassengerAdded { .. } => "passenger_added",
            Self::PassengerRemoved { .. } => "passenger_removed",
            Self::ManifestScreened { .. } => "manifest_screened",
            Self::ManifestApproved { .. } => "manifest_approved",
            Self::ManifestDeparted { .. } => "manifest_departed",
            Self::ManifestArrived { .. } => "manifest_arrived",
            Self::ManifestReconciled { .. } => "manifest_reconciled",
            Self::ManifestClosed { .. } => "manifest_closed",
            Self::IntakeRecorded { .. } => "intake_recorded",
            Self::CaseOpened { .. } => "case_opened",
            Self::CaseResolved { .. } => "case_resolved",
            Self::AgreementRegistered(_) => "agreement_registered",
            Self::InvoiceIssued { .. } => "invoice_issued",
            Self::InvoiceAdjusted { .. } => "invoice_adjusted",
            Self::ExerciseRecorded { .. } => "exercise_recorded",
            Self::VisitRecorded { .. } => "visit_recorded",
            Self::SolitaryStarted { .. } => "solitary_started",
            Self::SolitaryEnded { .. } => "solitary_ended",
            Self::FamilyNotified { .. } => "family_notified",
            Self::PersonRead { .. } => "person_read",
            Self::PersonsRead { .. } => "persons_read",
            Self::CounselUnassigned { .. } => "counsel_unassigned",
            Self::CorrectionProposed { .. } => "correction_proposed",
            Self::CorrectionConfirmed { .. } => "correction_confirmed",
            Self::ClassOrderRecorded { .. } => "class_order_recorded",
            Self::ClassTagged { .. } => "class_tagged",
            Self::FacilityContactPublished { .. } => "facility_contact_published",
            Self::LocatorWithheld { .. } => "locator_withheld",
            Self::PeerAdded { .. } => "peer_added",
            Self::HandoverIssued { .. } => "handover_issued",
            Self::HandoverReceived { .. } => "handover_received",
            Self::ReceiptIssued { .. } => "receipt_issued",
            Self::ReceiptRecorded { .. } => "receipt_recorded",
        }
    }
}

/// An event to append: what happened, when (as reported), and who reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub occurred_at: jiff::Timestamp,
    pub actor: String,
    pub data: EventData,
}

/// A leaf of the log, in its exact wire order: `seq`, `occurred_at`, `recorded_at`, `kind`,
/// `data`, `actor`.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub seq: u64,
    pub occurred_at: jiff::Timestamp,
    pub recorded_at: jiff::Timestamp,
    pub data: EventData,
    pub actor: String,
}

/// The leaf's fields other than the event, for parsing.
#[derive(Deserialize)]
struct Header {
    seq: u64,
    occurred_at: jiff::Timestamp,
    recorded_at: jiff::Timestamp,
    actor: String,
}

impl Leaf {
    /// The leaf's bytes: compact JSON on one line (serde_json never writes a raw newline).
    ///
    /// Written by hand rather than through `#[serde(flatten)]`: the adjacently tagged event
    /// (`{"kind":…,"data":…}`) is spliced between the header and the actor, which is both
    /// the contract's key order and several times faster.
    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"{\"seq\":");
        out.extend_from_slice(self.seq.to_string().as_bytes());
        out.extend_from_slice(b",\"occurred_at\":");
        serde_json::to_writer(&mut out, &self.occurred_at)?;
        out.extend_from_slice(b",\"recorded_at\":");
        serde_json::to_writer(&mut out, &self.recorded_at)?;
        out.push(b',');
        let ev = serde_json::to_vec(&self.data)?;
        // `ev` is `{"kind":…,"data":…}`: keep its inside.
        out.extend_from_slice(ev.get(1..ev.len().saturating_sub(1)).unwrap_or_default());
        out.extend_from_slice(b",\"actor\":");
        serde_json::to_writer(&mut out, &self.actor)?;
        out.push(b'}');
        Ok(out)
    }

    /// Parses a leaf's bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Self, serde_json::Error> {
        // The adjacently tagged event reads `kind` and `data` and skips the other keys.
        let data: EventData = serde_json::from_slice(b)?;
        let h: Header = serde_json::from_slice(b)?;
        Ok(Self {
            seq: h.seq,
            occurred_at: h.occurred_at,
            recorded_at: h.recorded_at,
            data,
            actor: h.actor,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn leaf_round_trips_in_contract_key_order() {
        let leaf = Leaf {
            seq: 7,
            occurred_at: "2025-03-15T06:30:00Z".parse().unwrap(),
            recorded_at: "2025-03-15T06:31:00Z".parse().unwrap(),
            data: EventData::CaseResolved {
                case_id: "C-1".into(),
                reason: "a \"quoted\"\nreason".into(),
            },
            actor: "receiving_officer:ana".into(),
        };
        let b = leaf.to_bytes().unwrap();
        let s = String::from_utf8(b.clone()).unwrap();
        assert!(!s.contains('\n'));
        assert_eq!(
            s,
            r#"{"seq":7,"occurred_at":"2025-03-15T06:30:00Z","recorded_at":"2025-03-15T06:31:00Z","kind":"case_resolved","data":{"case_id":"C-1","reason":"a \"quoted\"\nreason"},"actor":"receiving_officer:ana"}"#
        );
        assert_eq!(Leaf::from_bytes(&b).unwrap(), leaf);
    }
}
