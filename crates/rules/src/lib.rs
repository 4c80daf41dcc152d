//! custodia-rules: transfer screening, the rules of `legal-rules.md` as code. Pure: no I/O.
//!
//! [`screen`] checks one [`ScreeningRequest`] against every rule of the table (none stops
//! the others) and returns a [`Decision`]: an [`Outcome`] and the [`Finding`]s that gave it,
//! each with its rule id, [`Effect`], citation and a detail naming the records it rests on.
//! The rules live in `rules.rs`, one function per row of the table, each next to its
//! citation. Thresholds, Alien Enemies Act designations and agreements are dated
//! [`Params`], OpenFisca style, shipped in `params/default.toml` and replaceable as a whole
//! with [`Params::from_toml_str`]; every decision reports the parameters' `rules_version`.
//! [`parse_request`] and [`parse_requests`] read CONTRACT §1 requests with errors that name
//! the request, its `id` and the field.
//!
//! ```
//! use custodia_rules::{parse_request, screen, Outcome, Params};
//!
//! let req = parse_request(r#"{"id":"case-1","on":"2025-04-10",
//!   "person":{"id":"P-1","date_of_birth":"1991-04-12","nationalities":["SV"],
//!             "us_status":"undocumented","languages":["es"],"identity_verified":true},
//!   "records":[{"type":"removal_order","date":"2024-11-02","final":true}],
//!   "transfer":{"basis":"removal","destination_country":"SV",
//!               "facility":{"id":"CECOT","adult_only":true}}}"#).unwrap();
//! let decision = screen(&req, Params::builtin());
//! assert_eq!(decision.outcome, Outcome::Eligible);
//! assert!(decision.findings.is_empty());
//! ```

mod decision;
mod params;
mod parse;
mod rules;

pub use custodia_model::legal::ScreeningRequest;
pub use decision::{Decision, Effect, Finding, Outcome, RuleId};
pub use params::{
    Agreement, Category, DEFAULT_PARAMS_TOML, Dated, Designation, Params, ParamsError,
};
pub use parse::{RequestError, is_json_array, parse_request, parse_requests};
pub use rules::age_on;

/// The citation of each rule, as written in legal-rules.md.
pub mod citations {
    pub use crate::rules::{
        AGREEMENT, ALIEN_ENEMIES, CITIZENSHIP, COURT_ORDER, FEAR, FINAL_ORDER, HABEAS, IDENTITY,
        MINOR, PRISONER_TRANSFER, PROTECTION, THIRD_COUNTRY,
    };
}

/// Screens one request: runs every rule of the table in order and combines the findings.
///
/// The outcome is `blocked` if any finding blocks, else `needs_review` if any asks for
/// review, else `eligible`.
pub fn screen(req: &ScreeningRequest, params: &Params) -> Decision {
    let case = rules::Case::new(req, params);
    let mut findings = rules::Findings(Vec::new());
    for rule in rules::TABLE {
        rule(&case, &mut findings);
    }
    let findings = findings.0;
    let outcome = findings
        .iter()
        .map(|f| f.effect.outcome())
        .max()
        .unwrap_or(Outcome::Eligible);
    Decision {
        id: req.id.clone(),
        outcome,
        rules_version: params.rules_version.clone(),
        findings,
    }
}
