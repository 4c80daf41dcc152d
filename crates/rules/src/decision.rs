//! What `screen` returns: a [`Decision`] made of [`Finding`]s (CONTRACT §1 wire shape).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The decision on a transfer, ordered by severity: `Eligible < NeedsReview < Blocked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Eligible,
    NeedsReview,
    Blocked,
}

impl Outcome {
    /// The wire name, e.g. `needs_review`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eligible => "eligible",
            Self::NeedsReview => "needs_review",
            Self::Blocked => "blocked",
        }
    }
}

/// What one finding does to the outcome, ordered by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    NeedsReview,
    Blocked,
}

impl Effect {
    /// The outcome this effect alone would give.
    pub fn outcome(self) -> Outcome {
        match self {
            Self::NeedsReview => Outcome::NeedsReview,
            Self::Blocked => Outcome::Blocked,
        }
    }

    /// The wire name, e.g. `blocked`.
    pub fn as_str(self) -> &'static str {
        self.outcome().as_str()
    }
}

/// The stable rule ids of legal-rules.md, in the table's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleId {
    Citizenship,
    StatusProtection,
    FinalOrder,
    Protection,
    CourtOrder,
    Habeas,
    Fear,
    ThirdCountry,
    AlienEnemies,
    PrisonerTransfer,
    Agreement,
    SafeThirdCountry,
    Minor,
    Identity,
}

impl RuleId {
    /// Every rule, in the table's order.
    pub const ALL: [RuleId; 14] = [
        Self::Citizenship,
        Self::StatusProtection,
        Self::FinalOrder,
        Self::Protection,
        Self::CourtOrder,
        Self::Habeas,
        Self::Fear,
        Self::ThirdCountry,
        Self::AlienEnemies,
        Self::PrisonerTransfer,
        Self::Agreement,
        Self::SafeThirdCountry,
        Self::Minor,
        Self::Identity,
    ];

    /// The id as written in legal-rules.md, e.g. `final-order`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizenship => "citizenship",
            Self::StatusProtection => "status-protection",
            Self::FinalOrder => "final-order",
            Self::Protection => "protection",
            Self::CourtOrder => "court-order",
            Self::Habeas => "habeas",
            Self::Fear => "fear",
            Self::ThirdCountry => "third-country",
            Self::AlienEnemies => "alien-enemies",
            Self::PrisonerTransfer => "prisoner-transfer",
            Self::Agreement => "agreement",
            Self::SafeThirdCountry => "safe-third-country",
            Self::Minor => "minor",
            Self::Identity => "identity",
        }
    }
}

/// One rule that blocked or asked for review, with its citation and the records it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: RuleId,
    pub effect: Effect,
    pub citation: Cow<'static, str>,
    /// Human-readable, naming the records (dates, countries) the finding rests on.
    pub detail: String,
}

/// The decision on one screening request (CONTRACT §1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub id: String,
    pub outcome: Outcome,
    pub rules_version: String,
    /// Every finding, in the order of the rules table; empty when eligible.
    pub findings: Vec<Finding>,
}
