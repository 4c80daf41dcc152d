//! Legal records and screening requests (CONTRACT §1), with exactly their JSON shape.
//!
//! These are the types a screening request is made of and the store persists: a [`Person`]
//! with a [`UsStatus`], the [`Record`]s of the legal history, and the proposed [`Transfer`].
//! Parsing is strict: dates must be `YYYY-MM-DD` calendar dates, countries two upper-case
//! letters, enumerations one of their listed values, and a key that the contract does not
//! define is an error rather than silently ignored (a misspelt `withdrawn` or `terminated`
//! would otherwise change a legal outcome).

use std::fmt;

use jiff::civil::Date;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

// ---------------------------------------------------------------------------------------
// Countries
// ---------------------------------------------------------------------------------------

/// An ISO 3166-1 alpha-2 country code such as `SV`.
///
/// Only the shape is checked (two ASCII upper-case letters), not membership in the ISO list.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

/// A country code that is not two upper-case ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid country code `{0}`, expected two upper-case letters (ISO 3166-1 alpha-2, e.g. `SV`)"
)]
pub struct CountryCodeError(pub String);

impl CountryCode {
    /// Checks `s` is exactly two ASCII upper-case letters.
    pub fn new(s: &str) -> Result<Self, CountryCodeError> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(Self([*a, *b])),
            _ => Err(CountryCodeError(s.to_owned())),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // INVARIANT: both bytes are ASCII upper-case letters (checked in `new`), so this is
        // always valid UTF-8; the fallback is unreachable.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

impl std::str::FromStr for CountryCode {
    type Err = CountryCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl Serialize for CountryCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = CountryCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a country code: two upper-case letters")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CountryCode, E> {
                CountryCode::new(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

// ---------------------------------------------------------------------------------------
// Dates: strictly `YYYY-MM-DD`
// ---------------------------------------------------------------------------------------

/// A date that is not a `YYYY-MM-DD` calendar date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date `{0}`, expected a calendar date as YYYY-MM-DD")]
pub struct DateError(pub String);

/// Age in whole years on `on`. A birthday on `on` counts; someone born on 29 February turns a
/// year older on 1 March in common years (comparing (month, day) pairs gives exactly that).
/// Negative when born after `on`: a date of birth in the future is wrong or belongs to a
/// child, and either way it is no adult's (legal-rules.md: age is unknown only when the date
/// is missing).
pub fn age_on(dob: Date, on: Date) -> i64 {
    let mut age = i64::from(on.year()) - i64::from(dob.year());
    if (on.month(), on.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    age
}

/// The age of someone born on `dob` on `on` when it is under `adult_age`, i.e. when they may
/// not be held in an adult-only facility (Mandela Rules, rule 11(d); CRC art. 37(c)); `None`
/// for an adult, or for an unknown date of birth (screening flags that for review instead).
pub fn minor_on(dob: Option<Date>, on: Date, adult_age: u32) -> Option<i64> {
    dob.map(|d| age_on(d, on))
        .filter(|age| *age < i64::from(adult_age))
}

/// Parses exactly `YYYY-MM-DD` (CONTRACT: "Dates are `YYYY-MM-DD`"); no times, no offsets.
pub fn parse_date(s: &str) -> Result<Date, DateError> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i32> {
        let mut n = 0i32;
        for &c in b.get(r)? {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + i32::from(c - b'0');
        }
        Some(n)
    };
    let bad = || DateError(s.to_owned());
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return Err(bad());
    };
    // The ranges hold 4 and 2 digits, so the narrowing casts cannot overflow.
    let (y, m, d) = (i16::try_from(y).map_err(|_| bad())?, m as i8, d as i8);
    Date::new(y, m, d).map_err(|_| bad())
}

struct DateVisitor;

impl Visitor<'_> for DateVisitor {
    type Value = Date;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date as YYYY-MM-DD")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
        parse_date(v).map_err(E::custom)
    }
}

/// Serde helpers for a `Date` written as `YYYY-MM-DD`.
pub mod ymd {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(d)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        d.deserialize_str(DateVisitor)
    }
}

/// Serde helpers for an optional `Date` written as `YYYY-MM-DD` (absent or `null`: `None`).
pub mod ymd_opt {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.collect_str(d),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Date>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date as YYYY-MM-DD, or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_str(DateVisitor).map(Some)
            }
        }
        d.deserialize_option(V)
    }
}

// ---------------------------------------------------------------------------------------
// Person, transfer, request
// ---------------------------------------------------------------------------------------

/// A person's status in US law (CONTRACT §1 `us_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsStatus {
    CitizenByBirth,
    CitizenNaturalized,
    NonCitizenNational,
    LawfulPermanentResident,
    Refugee,
    Asylee,
    VisaHolder,
    Parolee,
    Tps,
    Undocumented,
}

impl UsStatus {
    /// The wire name, e.g. `citizen_by_birth`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CitizenByBirth => "citizen_by_birth",
            Self::CitizenNaturalized => "citizen_naturalized",
            Self::NonCitizenNational => "non_citizen_national",
            Self::LawfulPermanentResident => "lawful_permanent_resident",
            Self::Refugee => "refugee",
            Self::Asylee => "asylee",
            Self::VisaHolder => "visa_holder",
            Self::Parolee => "parolee",
            Self::Tps => "tps",
            Self::Undocumented => "undocumented",
        }
    }
}

/// The legal basis of a proposed transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Removal,
    AlienEnemiesAct,
    PrisonerTransfer,
    /// A transfer under an Asylum Cooperative Agreement (legal-rules version 2).
    AsylumCooperative,
}

impl Basis {
    /// The wire name, e.g. `alien_enemies_act`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Removal => "removal",
            Self::AlienEnemiesAct => "alien_enemies_act",
            Self::PrisonerTransfer => "prisoner_transfer",
            Self::AsylumCooperative => "asylum_cooperative",
        }
    }
}

/// The person a request is about. Only `id`, `nationalities` and `us_status` are required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_names: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_names: Option<String>,
    #[serde(default, with = "ymd_opt", skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_birth: Option<CountryCode>,
    pub nationalities: Vec<CountryCode>,
    pub us_status: UsStatus,
    /// Language codes the person understands; empty means no notice can be shown to have
    /// been understood.
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub identity_verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
}

/// The facility a transfer names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facility {
    pub id: String,
    /// Absent means `false`: the facility is not known to hold adults only.
    #[serde(default)]
    pub adult_only: bool,
}

/// The proposed transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub basis: Basis,
    pub destination_country: CountryCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<Facility>,
}

/// One screening request (CONTRACT §1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningRequest {
    pub id: String,
    /// The date the transfer would happen; records dated after it do not exist yet.
    #[serde(with = "ymd")]
    pub on: Date,
    pub person: Person,
    /// Every version of every record; [`VersionedRecord`] says which one counts.
    #[serde(default)]
    pub records: Vec<VersionedRecord>,
    pub transfer: Transfer,
}

// ---------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------

/// The kind of a `cat_protection` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatKind {
    Withholding,
    Deferral,
}

/// The scope of a `stay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StayScope {
    AllRemovals,
    Country,
    /// A class-wide order: blocks like `all_removals` (the store only attaches it to persons
    /// tagged with the class). Requires `class`.
    Class,
    /// An order against transfer out of a district: blocks any destination but `US`.
    /// Requires `district`.
    NoTransferOutOfDistrict,
}

impl StayScope {
    /// The wire name, e.g. `all_removals`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AllRemovals => "all_removals",
            Self::Country => "country",
            Self::Class => "class",
            Self::NoTransferOutOfDistrict => "no_transfer_out_of_district",
        }
    }
}

/// The status of a `habeas_petition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HabeasStatus {
    Pending,
    Denied,
    Granted,
}

/// The severity of a `conviction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Felony,
    Misdemeanor,
}

/// The outcome of a `fear_screening` or an `aca_threshold_screening`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreeningOutcome {
    Positive,
    Negative,
}

/// The status of a `citizenship_claim`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Pending,
    Established,
    Rejected,
}

/// The outcome of a `fear_review` by an immigration judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    Affirmed,
    Vacated,
}

/// One legal record, tagged by `"type"` (CONTRACT §1).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    RemovalOrder {
        #[serde(with = "ymd")]
        date: Date,
        #[serde(rename = "final")]
        is_final: bool,
        /// Countries the order designates.
        #[serde(skip_serializing_if = "Option::is_none")]
        countries: Option<Vec<CountryCode>>,
    },
    Denaturalization {
        #[serde(with = "ymd")]
        date: Date,
        #[serde(rename = "final")]
        is_final: bool,
    },
    WithholdingOfRemoval {
        country: CountryCode,
        #[serde(with = "ymd")]
        date: Date,
        terminated: bool,
    },
    CatProtection {
        country: CountryCode,
        #[serde(with = "ymd")]
        date: Date,
        kind: CatKind,
        terminated: bool,
    },
    Stay {
        #[serde(with = "ymd")]
        issued: Date,
        #[serde(with = "ymd_opt", skip_serializing_if = "Option::is_none")]
        expires: Option<Date>,
        scope: StayScope,
        /// Required when `scope` is `country`.
        #[serde(skip_serializing_if = "Option::is_none")]
        country: Option<CountryCode>,
        /// The class definition; required when (and only allowed when) `scope` is `class`.
        #[serde(skip_serializing_if = "Option::is_none")]
        class: Option<String>,
        /// The district; required when (and only allowed when) `scope` is
        /// `no_transfer_out_of_district`.
        #[serde(skip_serializing_if = "Option::is_none")]
        district: Option<String>,
        /// The issuing court, e.g. `D. Mass.`.
        #[serde(skip_serializing_if = "Option::is_none")]
        court: Option<String>,
        /// The docket number, e.g. `1:25-cv-10676`.
        #[serde(skip_serializing_if = "Option::is_none")]
        docket: Option<String>,
    },
    HabeasPetition {
        #[serde(with = "ymd")]
        filed: Date,
        status: HabeasStatus,
    },
    Conviction {
        #[serde(with = "ymd")]
        date: Date,
        offense: String,
        severity: Severity,
        violent: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        sentence_months: Option<u32>,
    },
    FearClaim {
        country: CountryCode,
        #[serde(with = "ymd")]
        date: Date,
    },
    FearScreening {
        country: CountryCode,
        #[serde(with = "ymd")]
        date: Date,
        outcome: ScreeningOutcome,
    },
    ThirdCountryNotice {
        country: CountryCode,
        #[serde(with = "ymd")]
        served: Date,
        language: String,
    },
    AeaDesignation {
        #[serde(with = "ymd")]
        date: Date,
    },
    AeaNotice {
        #[serde(with = "ymd")]
        served: Date,
        language: String,
    },
    TransferConsent {
        country: CountryCode,
        #[serde(with = "ymd")]
        date: Date,
        /// The day a US magistrate verified the consent (18 U.S.C. § 4107).
        #[serde(with = "ymd_opt", skip_serializing_if = "Option::is_none")]
        verified: Option<Date>,
        withdrawn: bool,
    },
    CitizenshipClaim {
        #[serde(with = "ymd")]
        date: Date,
        status: ClaimStatus,
    },
    FearReview {
        country: CountryCode,
        #[serde(with = "ymd")]
        date: Date,
        outcome: ReviewOutcome,
    },
    /// The destination government's acceptance of this person.
    Acceptance {
        country: CountryCode,
        #[serde(with = "ymd")]
        date: Date,
    },
    AcaThresholdScreening {
        country: CountryCode,
        #[serde(with = "ymd")]
        date: Date,
        outcome: ScreeningOutcome,
    },
}

impl Record {
    /// The date that places the record in time (`date`, `served`, `filed` or `issued`):
    /// a record whose date is after a screening's `on` does not exist for that screening.
    pub fn date(&self) -> Date {
        match self {
            Self::RemovalOrder { date, .. }
            | Self::Denaturalization { date, .. }
            | Self::WithholdingOfRemoval { date, .. }
            | Self::CatProtection { date, .. }
            | Self::Conviction { date, .. }
            | Self::FearClaim { date, .. }
            | Self::FearScreening { date, .. }
            | Self::AeaDesignation { date }
            | Self::TransferConsent { date, .. }
            | Self::CitizenshipClaim { date, .. }
            | Self::FearReview { date, .. }
            | Self::Acceptance { date, .. }
            | Self::AcaThresholdScreening { date, .. } => *date,
            Self::Stay { issued, .. } => *issued,
            Self::HabeasPetition { filed, .. } => *filed,
            Self::ThirdCountryNotice { served, .. } | Self::AeaNotice { served, .. } => *served,
        }
    }

    /// The wire name of the record's type, e.g. `removal_order`.
    pub fn type_name(&self) -> &'static str {
        self.record_type().as_str()
    }

    /// The record's type.
    pub fn record_type(&self) -> RecordType {
        match self {
            Self::RemovalOrder { .. } => RecordType::RemovalOrder,
            Self::Denaturalization { .. } => RecordType::Denaturalization,
            Self::WithholdingOfRemoval { .. } => RecordType::WithholdingOfRemoval,
            Self::CatProtection { .. } => RecordType::CatProtection,
            Self::Stay { .. } => RecordType::Stay,
            Self::HabeasPetition { .. } => RecordType::HabeasPetition,
            Self::Conviction { .. } => RecordType::Conviction,
            Self::FearClaim { .. } => RecordType::FearClaim,
            Self::FearScreening { .. } => RecordType::FearScreening,
            Self::ThirdCountryNotice { .. } => RecordType::ThirdCountryNotice,
            Self::AeaDesignation { .. } => RecordType::AeaDesignation,
            Self::AeaNotice { .. } => RecordType::AeaNotice,
            Self::TransferConsent { .. } => RecordType::TransferConsent,
            Self::CitizenshipClaim { .. } => RecordType::CitizenshipClaim,
            Self::FearReview { .. } => RecordType::FearReview,
            Self::Acceptance { .. } => RecordType::Acceptance,
            Self::AcaThresholdScreening { .. } => RecordType::AcaThresholdScreening,
        }
    }
}

/// The `"type"` of a [`Record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    RemovalOrder,
    Denaturalization,
    WithholdingOfRemoval,
    CatProtection,
    Stay,
    HabeasPetition,
    Conviction,
    FearClaim,
    FearScreening,
    ThirdCountryNotice,
    AeaDesignation,
    AeaNotice,
    TransferConsent,
    CitizenshipClaim,
    FearReview,
    Acceptance,
    AcaThresholdScreening,
}

impl RecordType {
    /// The wire name, e.g. `removal_order`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RemovalOrder => "removal_order",
            Self::Denaturalization => "denaturalization",
            Self::WithholdingOfRemoval => "withholding_of_removal",
            Self::CatProtection => "cat_protection",
            Self::Stay => "stay",
            Self::HabeasPetition => "habeas_petition",
            Self::Conviction => "conviction",
            Self::FearClaim => "fear_claim",
            Self::FearScreening => "fear_screening",
            Self::ThirdCountryNotice => "third_country_notice",
            Self::AeaDesignation => "aea_designation",
            Self::AeaNotice => "aea_notice",
            Self::TransferConsent => "transfer_consent",
            Self::CitizenshipClaim => "citizenship_claim",
            Self::FearReview => "fear_review",
            Self::Acceptance => "acceptance",
            Self::AcaThresholdScreening => "aca_threshold_screening",
        }
    }
}

/// A record object that has the wrong fields for its `type`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The message starts with "missing field `x`" so callers can extend the field path.
    #[error("missing field `{field}` in a `{record_type}` record{why}")]
    Missing {
        field: &'static str,
        record_type: &'static str,
        why: &'static str,
    },
    /// The message starts with "unknown field `x`" so callers can extend the field path.
    #[error("unknown field `{field}`, not a field of a `{record_type}` record{why}")]
    NotApplicable {
        field: &'static str,
        record_type: &'static str,
        why: &'static str,
    },
    /// The message starts with "field `x`: " so callers can extend the field path.
    #[error(
        "field `{field}`: unknown value `{value}` in a `{record_type}` record, expected {expected}"
    )]
    Value {
        field: &'static str,
        value: String,
        record_type: &'static str,
        expected: &'static str,
    },
}

/// One version of one legal record: the [`Record`] itself and, optionally, which record it
/// is a version of (`id`) and the day this version was entered (`as_of`).
///
/// On the wire the three are one object: `{"type":…, <the record's fields>, "id":…,
/// "as_of":…}` (CONTRACT §1). Among the versions with the same `type` and `id` only the one
/// with the latest `as_of` counts (legal-rules.md "Record versions"); records without an
/// `id` are each their own record.
///
/// INVARIANT: a version with neither `id` nor `as_of` serializes exactly as its bare
/// [`Record`] did before versions existed, byte for byte (records are hashed into the
/// ledger), hence `skip_serializing_if` on both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionedRecord {
    #[serde(flatten)]
    pub record: Record,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(with = "ymd_opt", skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Date>,
}

impl VersionedRecord {
    /// A version of the record `id` entered on `as_of`.
    pub fn new(record: Record, id: Option<String>, as_of: Option<Date>) -> Self {
        Self { record, id, as_of }
    }

    /// The day this version was entered: `as_of`, or when absent the record's own date.
    pub fn entered(&self) -> Date {
        self.as_of.unwrap_or_else(|| self.record.date())
    }
}

impl From<Record> for VersionedRecord {
    /// A record that is its own only version (no `id`, no `as_of`).
    fn from(record: Record) -> Self {
        Self {
            record,
            id: None,
            as_of: None,
        }
    }
}

impl std::ops::Deref for VersionedRecord {
    type Target = Record;
    fn deref(&self) -> &Record {
        &self.record
    }
}

/// Every key any record type may carry; each type then takes the ones it defines, and any
/// key left over is an error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    #[serde(rename = "type")]
    record_type: RecordType,
    id: Option<String>,
    #[serde(default, with = "ymd_opt")]
    as_of: Option<Date>,
    #[serde(default, with = "ymd_opt")]
    date: Option<Date>,
    #[serde(default, with = "ymd_opt")]
    issued: Option<Date>,
    #[serde(default, with = "ymd_opt")]
    expires: Option<Date>,
    #[serde(default, with = "ymd_opt")]
    filed: Option<Date>,
    #[serde(default, with = "ymd_opt")]
    served: Option<Date>,
    #[serde(default, with = "ymd_opt")]
    verified: Option<Date>,
    #[serde(rename = "final")]
    is_final: Option<bool>,
    countries: Option<Vec<CountryCode>>,
    country: Option<CountryCode>,
    terminated: Option<bool>,
    kind: Option<CatKind>,
    scope: Option<StayScope>,
    class: Option<String>,
    district: Option<String>,
    court: Option<String>,
    docket: Option<String>,
    /// `habeas_petition` and `citizenship_claim` give it different values.
    status: Option<String>,
    offense: Option<String>,
    severity: Option<Severity>,
    violent: Option<bool>,
    sentence_months: Option<u32>,
    /// The screenings and `fear_review` give it different values.
    outcome: Option<String>,
    language: Option<String>,
    withdrawn: Option<bool>,
}

/// Reads an enumeration field whose values depend on the record type.
fn word<T>(
    v: Option<String>,
    field: &'static str,
    t: &'static str,
    values: &[(&str, T)],
    expected: &'static str,
) -> Result<T, RecordError>
where
    T: Copy,
{
    let v = v.ok_or(RecordError::Missing {
        field,
        record_type: t,
        why: "",
    })?;
    values
        .iter()
        .find(|(w, _)| *w == v)
        .map(|(_, x)| *x)
        .ok_or(RecordError::Value {
            field,
            value: v,
            record_type: t,
            expected,
        })
}

impl RawRecord {
    fn into_version(mut self) -> Result<VersionedRecord, RecordError> {
        use RecordType as T;
        let t = self.record_type.as_str();
        fn req<V>(v: Option<V>, field: &'static str, t: &'static str) -> Result<V, RecordError> {
            v.ok_or(RecordError::Missing {
                field,
                record_type: t,
                why: "",
            })
        }
        let screening = [
            ("positive", ScreeningOutcome::Positive),
            ("negative", ScreeningOutcome::Negative),
        ];
        const POS_NEG: &str = "`positive` or `negative`";
        let s = &mut self;
        let rec = match s.record_type {
            T::RemovalOrder => Record::RemovalOrder {
                date: req(s.date.take(), "date", t)?,
                is_final: req(s.is_final.take(), "final", t)?,
                countries: s.countries.take(),
            },
            T::Denaturalization => Record::Denaturalization {
                date: req(s.date.take(), "date", t)?,
                is_final: req(s.is_final.take(), "final", t)?,
            },
            T::WithholdingOfRemoval => Record::WithholdingOfRemoval {
                country: req(s.country.take(), "country", t)?,
                date: req(s.date.take(), "date", t)?,
                terminated: s.terminated.take().unwrap_or(false),
            },
            T::CatProtection => Record::CatProtection {
                country: req(s.country.take(), "country", t)?,
                date: req(s.date.take(), "date", t)?,
                kind: req(s.kind.take(), "kind", t)?,
                terminated: s.terminated.take().unwrap_or(false),
            },
            T::Stay => {
                let issued = req(s.issued.take(), "issued", t)?;
                let expires = s.expires.take();
                let scope = req(s.scope.take(), "scope", t)?;
                let country = s.country.take();
                // A scoped stay that does not say what it covers cannot be applied; a
                // `class` or `district` on another scope would be silently ignored.
                let needs = |field: &'static str, why: &'static str, present: bool| {
                    if present {
                        Ok(())
                    } else {
                        Err(RecordError::Missing {
                            field,
                            record_type: t,
                            why,
                        })
                    }
                };
                let only = |field: &'static str, why: &'static str, present: bool| {
                    if present {
                        Err(RecordError::NotApplicable {
                            field,
                            record_type: t,
                            why,
                        })
                    } else {
                        Ok(())
                    }
                };
                match scope {
                    StayScope::Country => {
                        needs("country", " with scope `country`", country.is_some())?
                    }
                    StayScope::Class => needs("class", " with scope `class`", s.class.is_some())?,
                    StayScope::NoTransferOutOfDistrict => needs(
                        "district",
                        " with scope `no_transfer_out_of_district`",
                        s.district.is_some(),
                    )?,
                    StayScope::AllRemovals => {}
                }
                if scope != StayScope::Class {
                    only("class", " unless its scope is `class`", s.class.is_some())?;
                }
                if scope != StayScope::NoTransferOutOfDistrict {
                    only(
                        "district",
                        " unless its scope is `no_transfer_out_of_district`",
                        s.district.is_some(),
                    )?;
                }
                Record::Stay {
                    issued,
                    expires,
                    scope,
                    country,
                    class: s.class.take(),
                    district: s.district.take(),
                    court: s.court.take(),
                    docket: s.docket.take(),
                }
            }
            T::HabeasPetition => Record::HabeasPetition {
                filed: req(s.filed.take(), "filed", t)?,
                status: word(
                    s.status.take(),
                    "status",
                    t,
                    &[
                        ("pending", HabeasStatus::Pending),
                        ("denied", HabeasStatus::Denied),
                        ("granted", HabeasStatus::Granted),
                    ],
                    "`pending`, `denied` or `granted`",
                )?,
            },
            T::Conviction => Record::Conviction {
                date: req(s.date.take(), "date", t)?,
                offense: req(s.offense.take(), "offense", t)?,
                severity: req(s.severity.take(), "severity", t)?,
                violent: req(s.violent.take(), "violent", t)?,
                sentence_months: s.sentence_months.take(),
            },
            T::FearClaim => Record::FearClaim {
                country: req(s.country.take(), "country", t)?,
                date: req(s.date.take(), "date", t)?,
            },
            T::FearScreening => Record::FearScreening {
                country: req(s.country.take(), "country", t)?,
                date: req(s.date.take(), "date", t)?,
                outcome: word(s.outcome.take(), "outcome", t, &screening, POS_NEG)?,
            },
            T::ThirdCountryNotice => Record::ThirdCountryNotice {
                country: req(s.country.take(), "country", t)?,
                served: req(s.served.take(), "served", t)?,
                language: req(s.language.take(), "language", t)?,
            },
            T::AeaDesignation => Record::AeaDesignation {
                date: req(s.date.take(), "date", t)?,
            },
            T::AeaNotice => Record::AeaNotice {
                served: req(s.served.take(), "served", t)?,
                language: req(s.language.take(), "language", t)?,
            },
            T::TransferConsent => Record::TransferConsent {
                country: req(s.country.take(), "country", t)?,
                date: req(s.date.take(), "date", t)?,
                verified: s.verified.take(),
                withdrawn: s.withdrawn.take().unwrap_or(false),
            },
            T::CitizenshipClaim => Record::CitizenshipClaim {
                date: req(s.date.take(), "date", t)?,
                status: word(
                    s.status.take(),
                    "status",
                    t,
                    &[
                        ("pending", ClaimStatus::Pending),
                        ("established", ClaimStatus::Established),
                        ("rejected", ClaimStatus::Rejected),
                    ],
                    "`pending`, `established` or `rejected`",
                )?,
            },
            T::FearReview => Record::FearReview {
                country: req(s.country.take(), "country", t)?,
                date: req(s.date.take(), "date", t)?,
                outcome: word(
                    s.outcome.take(),
                    "outcome",
                    t,
                    &[
                        ("affirmed", ReviewOutcome::Affirmed),
                        ("vacated", ReviewOutcome::Vacated),
                    ],
                    "`affirmed` or `vacated`",
                )?,
            },
            T::Acceptance => Record::Acceptance {
                country: req(s.country.take(), "country", t)?,
                date: req(s.date.take(), "date", t)?,
            },
            T::AcaThresholdScreening => Record::AcaThresholdScreening {
                country: req(s.country.take(), "country", t)?,
                date: req(s.date.take(), "date", t)?,
                outcome: word(s.outcome.take(), "outcome", t, &screening, POS_NEG)?,
            },
        };
        let (id, as_of) = (self.id.take(), self.as_of.take());
        match self.leftover() {
            Some(field) => Err(RecordError::NotApplicable {
                field,
                record_type: t,
                why: "",
            }),
            None => Ok(VersionedRecord {
                record: rec,
                id,
                as_of,
            }),
        }
    }

    /// The first key still present after the record's type took its own.
    fn leftover(&self) -> Option<&'static str> {
        let present = [
            ("id", self.id.is_some()),
            ("as_of", self.as_of.is_some()),
            ("date", self.date.is_some()),
            ("issued", self.issued.is_some()),
            ("expires", self.expires.is_some()),
            ("filed", self.filed.is_some()),
            ("served", self.served.is_some()),
            ("verified", self.verified.is_some()),
            ("final", self.is_final.is_some()),
            ("countries", self.countries.is_some()),
            ("country", self.country.is_some()),
            ("terminated", self.terminated.is_some()),
            ("kind", self.kind.is_some()),
            ("scope", self.scope.is_some()),
            ("class", self.class.is_some()),
            ("district", self.district.is_some()),
            ("court", self.court.is_some()),
            ("docket", self.docket.is_some()),
            ("status", self.status.is_some()),
            ("offense", self.offense.is_some()),
            ("severity", self.severity.is_some()),
            ("violent", self.violent.is_some()),
            ("sentence_months", self.sentence_months.is_some()),
            ("outcome", self.outcome.is_some()),
            ("language", self.language.is_some()),
            ("withdrawn", self.withdrawn.is_some()),
        ];
        present.iter().find(|(_, p)| *p).map(|(k, _)| *k)
    }
}

impl<'de> Deserialize<'de> for VersionedRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RawRecord::deserialize(d)?
            .into_version()
            .map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Record {
    /// A bare record: `id` and `as_of` belong to a [`VersionedRecord`] and are refused here
    /// rather than dropped.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = VersionedRecord::deserialize(d)?;
        let t = v.record.type_name();
        let refuse = |field| {
            de::Error::custom(RecordError::NotApplicable {
                field,
                record_type: t,
                why: " here: only a versioned record has it",
            })
        };
        if v.id.is_some() {
            return Err(refuse("id"));
        }
        if v.as_of.is_some() {
            return Err(refuse("as_of"));
        }
        Ok(v.record)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_two_upper_case_letters() {
        assert_eq!(CountryCode::new("SV").unwrap().as_str(), "SV");
        for bad in ["sv", "S", "SVX", "", "S1", "ÉS"] {
            assert!(CountryCode::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(
            parse_date("2024-02-29").unwrap(),
            jiff::civil::date(2024, 2, 29)
        );
        for bad in [
            "2025-02-29",
            "2025-2-01",
            "2025-02-01T00:00",
            "20250201",
            "2025-13-01",
            "x",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_round_trips_through_json() {
        let text = r#"{"id":"case-1","on":"2025-03-15","person":{"id":"P-1","date_of_birth":"1991-04-12",
            "nationalities":["SV"],"us_status":"undocumented","languages":["es"],"identity_verified":true},
            "records":[{"type":"removal_order","date":"2024-01-10","final":true},
                       {"type":"stay","issued":"2025-01-01","scope":"country","country":"SV"},
                       {"type":"cat_protection","country":"SV","date":"2019-01-01","kind":"deferral"}],
            "transfer":{"basis":"removal","destination_country":"SV","facility":{"id":"CECOT","adult_only":true}}}"#;
        let req: ScreeningRequest = serde_json::from_str(text).unwrap();
        let again: ScreeningRequest =
            serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        assert_eq!(req, again);
        assert_eq!(req.records[0].date(), jiff::civil::date(2024, 1, 10));
        assert_eq!(req.records[0].id, None);
        let v = serde_json::to_value(&req.records[0]).unwrap();
        assert_eq!(v["type"], "removal_order");
        assert_eq!(v["final"], true);
    }

    #[test]
    fn record_fields_are_checked_per_type() {
        let missing =
            serde_json::from_str::<Record>(r#"{"type":"removal_order","date":"2024-01-10"}"#);
        assert!(
            missing
                .unwrap_err()
                .to_string()
                .starts_with("missing field `final`")
        );
        let foreign = serde_json::from_str::<Record>(
            r#"{"type":"removal_order","date":"2024-01-10","final":true,"country":"SV"}"#,
        );
        assert!(
            foreign
                .unwrap_err()
                .to_string()
                .starts_with("unknown field `country`")
        );
        let stay = serde_json::from_str::<Record>(
            r#"{"type":"stay","issued":"2024-01-10","scope":"country"}"#,
        );
        assert!(
            stay.unwrap_err()
                .to_string()
                .starts_with("missing field `country`")
        );
        let unknown = serde_json::from_str::<Record>(r#"{"type":"parole","date":"2024-01-10"}"#);
        assert!(unknown.is_err());
    }

    /// INVARIANT check: records written before versions existed serialize byte for byte as
    /// they did (they are inside hashed ledger events). Each line is exactly what version 1
    /// wrote for that record.
    #[test]
    fn version_1_records_serialize_byte_for_byte_as_before() {
        let lines = [
            r#"{"type":"removal_order","date":"2024-01-10","final":true}"#,
            r#"{"type":"removal_order","date":"2024-01-10","final":false,"countries":["HN","SV"]}"#,
            r#"{"type":"denaturalization","date":"2024-01-10","final":true}"#,
            r#"{"type":"withholding_of_removal","country":"SV","date":"2019-10-10","terminated":false}"#,
            r#"{"type":"cat_protection","country":"SV","date":"2019-10-10","kind":"deferral","terminated":true}"#,
            r#"{"type":"stay","issued":"2025-01-01","scope":"all_removals"}"#,
            r#"{"type":"stay","issued":"2025-01-01","expires":"2025-02-01","scope":"country","country":"SV"}"#,
            r#"{"type":"habeas_petition","filed":"2025-01-01","status":"pending"}"#,
            r#"{"type":"conviction","date":"2020-01-01","offense":"robbery","severity":"felony","violent":true,"sentence_months":60}"#,
            r#"{"type":"conviction","date":"2020-01-01","offense":"dui","severity":"misdemeanor","violent":false}"#,
            r#"{"type":"fear_claim","country":"SV","date":"2025-01-01"}"#,
            r#"{"type":"fear_screening","country":"SV","date":"2025-01-01","outcome":"negative"}"#,
            r#"{"type":"third_country_notice","country":"SV","served":"2025-01-01","language":"es"}"#,
            r#"{"type":"aea_designation","date":"2025-03-15"}"#,
            r#"{"type":"aea_notice","served":"2025-03-15","language":"es"}"#,
            r#"{"type":"transfer_consent","country":"SV","date":"2025-01-01","withdrawn":false}"#,
        ];
        for line in lines {
            let bare: Record = serde_json::from_str(line).unwrap();
            assert_eq!(serde_json::to_string(&bare).unwrap(), line);
            let version: VersionedRecord = serde_json::from_str(line).unwrap();
            assert_eq!(serde_json::to_string(&version).unwrap(), line);
            assert_eq!(version, VersionedRecord::from(bare));
        }
    }

    #[test]
    fn versions_carry_id_and_as_of() {
        let text = r#"{"type":"habeas_petition","filed":"2025-04-01","status":"denied","id":"H1","as_of":"2025-05-15"}"#;
        let v: VersionedRecord = serde_json::from_str(text).unwrap();
        assert_eq!(v.id.as_deref(), Some("H1"));
        assert_eq!(v.as_of, Some(jiff::civil::date(2025, 5, 15)));
        assert_eq!(v.entered(), jiff::civil::date(2025, 5, 15));
        assert_eq!(serde_json::to_string(&v).unwrap(), text);
        let plain: VersionedRecord =
            serde_json::from_str(r#"{"type":"aea_designation","date":"2025-03-15"}"#).unwrap();
        assert_eq!(plain.entered(), jiff::civil::date(2025, 3, 15));
        // A bare record refuses them rather than dropping them.
        let e = serde_json::from_str::<Record>(text)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("unknown field `id`"), "{e}");
    }

    #[test]
    fn version_2_records_parse_strictly() {
        let ok = [
            r#"{"type":"citizenship_claim","date":"2025-05-20","status":"pending"}"#,
            r#"{"type":"fear_review","country":"SV","date":"2025-06-01","outcome":"vacated"}"#,
            r#"{"type":"acceptance","country":"GT","date":"2025-05-25"}"#,
            r#"{"type":"aca_threshold_screening","country":"GT","date":"2020-05-25","outcome":"negative"}"#,
            r#"{"type":"transfer_consent","country":"SV","date":"2025-04-01","verified":"2025-04-20","withdrawn":true}"#,
            r#"{"type":"stay","issued":"2025-04-01","scope":"class","class":"Venezuelans designated under Proclamation 10903","court":"S.D. Tex.","docket":"1:25-cv-59"}"#,
            r#"{"type":"stay","issued":"2025-04-01","scope":"no_transfer_out_of_district","district":"D. Mass."}"#,
        ];
        for line in ok {
            let v: VersionedRecord = serde_json::from_str(line).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), line);
        }
        let bad = [
            (
                r#"{"type":"fear_review","country":"SV","date":"2025-06-01","outcome":"positive"}"#,
                "field `outcome`: unknown value `positive` in a `fear_review` record, expected `affirmed` or `vacated`",
            ),
            (
                r#"{"type":"citizenship_claim","date":"2025-05-20","status":"denied"}"#,
                "field `status`: unknown value `denied`",
            ),
            (
                r#"{"type":"aca_threshold_screening","country":"GT","date":"2020-05-25","outcome":"vacated"}"#,
                "field `outcome`: unknown value `vacated`",
            ),
            (
                r#"{"type":"transfer_consent","country":"SV","date":"2025-04-01","verified":"yes"}"#,
                "invalid date `yes`",
            ),
            (
                r#"{"type":"stay","issued":"2025-04-01","scope":"class"}"#,
                "missing field `class`",
            ),
            (
                r#"{"type":"stay","issued":"2025-04-01","scope":"no_transfer_out_of_district"}"#,
                "missing field `district`",
            ),
            (
                r#"{"type":"stay","issued":"2025-04-01","scope":"all_removals","class":"x"}"#,
                "unknown field `class`",
            ),
            (
                r#"{"type":"acceptance","country":"GT","date":"2025-05-25","verified":"2025-05-25"}"#,
                "unknown field `verified`",
            ),
            (
                r#"{"type":"acceptance","country":"GT","date":"2025-05-25","as_of":"2025-13-01"}"#,
                "invalid date `2025-13-01`",
            ),
        ];
        for (line, want) in bad {
            let e = serde_json::from_str::<VersionedRecord>(line)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(want), "{line}: {e}");
        }
    }
}
