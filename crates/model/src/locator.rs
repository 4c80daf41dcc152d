//! A person as the public locator sees them: one type, read by the store from its
//! `persons` projection (`custodia_store::locator::LocatorRow`), indexed by the engine
//! (`custodia_linkage::locator::LocatorIndex`), with no conversion between the two.

use jiff::civil::Date;

use crate::events::CustodyStatus;

/// One person as the locator indexes them (built from the store's `persons` projection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatorEntry {
    pub person_id: String,
    pub family_names: String,
    pub given_names: String,
    pub date_of_birth: Option<Date>,
    /// ISO 3166-1 alpha-2; a person without one is found only by id.
    pub country_of_birth: Option<String>,
    pub facility_id: Option<String>,
    /// Custody status, or unknown.
    pub status: Option<CustodyStatus>,
    /// When `status` took effect (the start of the 60-day window of a release).
    pub status_since: Option<Date>,
}
