//! The states a projection row moves through, with their wire names (the text the store
//! keeps, the JSON and CSV print, the CLI shows). `strum` gives `Display`/`FromStr`/
//! `AsRef<str>`/`&'static str`; serde uses the same `snake_case` names.
//!
//! A stored state that is none of these is a damaged store (`StoreError::Corrupt`), never a
//! default.

use serde::{Deserialize, Serialize};
use strum::{AsRefStr, Display, EnumString, IntoStaticStr, VariantArray};

/// Where a transfer manifest is in its workflow (CONTRACT §9).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Display,
    EnumString,
    AsRefStr,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ManifestState {
    /// Created, or sent back by a late record; passengers may change.
    Draft,
    /// Every passenger screened on it.
    Screened,
    /// Approved by a supervisor other than its editors.
    Approved,
    /// The departure gate passed; the flight left.
    Departed,
    /// The receiving facility recorded the arrival.
    Arrived,
    /// Intake reconciled against the passengers.
    Reconciled,
    /// No open case left; closed.
    Closed,
}

/// Where a discrepancy case stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Display,
    EnumString,
    AsRefStr,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CaseState {
    Open,
    Resolved,
}

macro_rules! wire_name {
    ($t:ty) => {
        impl $t {
            /// The wire name.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
    };
}

wire_name!(ManifestState);
wire_name!(CaseState);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// strum's names, serde's names and `as_str` agree for every variant, and parse back.
    fn agree<T>(all: &[T], names: &[&str])
    where
        T: Copy
            + std::fmt::Display
            + std::str::FromStr
            + Serialize
            + serde::de::DeserializeOwned
            + PartialEq
            + std::fmt::Debug
            + AsRef<str>,
    {
        assert_eq!(all.len(), names.len());
        for (v, n) in all.iter().zip(names) {
            assert_eq!(v.to_string(), *n);
            assert_eq!(v.as_ref(), *n);
            assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{n}\""));
            assert_eq!(serde_json::from_str::<T>(&format!("\"{n}\"")).unwrap(), *v);
            assert!(n.parse::<T>().ok() == Some(*v));
        }
    }

    #[test]
    fn wire_names() {
        agree(
            ManifestState::VARIANTS,
            &[
                "draft",
                "screened",
                "approved",
                "departed",
                "arrived",
                "reconciled",
                "closed",
            ],
        );
        agree(CaseState::VARIANTS, &["open", "resolved"]);
        use crate::events::CustodyStatus;
        agree(
            CustodyStatus::VARIANTS,
            &[
                "in_custody",
                "released",
                "removed",
                "transferred",
                "deceased",
            ],
        );
        assert_eq!(
            CustodyStatus::parse("in_custody"),
            Some(CustodyStatus::InCustody)
        );
        assert_eq!(CustodyStatus::parse("InCustody"), None);
        assert!("Draft".parse::<ManifestState>().is_err());
        assert!("".parse::<CaseState>().is_err());
        assert_eq!(ManifestState::Reconciled.as_str(), "reconciled");
    }
}
