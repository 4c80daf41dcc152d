//! custodia-rules: transfer screening, the rules of `legal-rules.md` as code. Pure: no I/O.
//!
//! [`screen`] checks one [`ScreeningRequest`] against every rule of the table (none stops
//! the others) and returns a [`Decision`]: an [`Outcome`] and the [`Finding`]s that gave it,
//! each with its rule id, [`Effect`], citation and a detail naming the records it rests on.
//! The rules live in `rules.rs`, one function per row of the table, each next to its
//! citation; record versions (`id`, `as_of`) are resolved once, by [`resolve`], before any
//! rule runs. [`earliest_date`] says when waiting would make a blocked transfer lawful.
//! Thresholds, Alien Enemies Act designations, agreements and treaties are dated
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

use jiff::civil::Date;

pub use custodia_model::legal::ScreeningRequest;
pub use decision::{Decision, Effect, Finding, Outcome, RuleId};
pub use params::{
    Agreement, AgreementFacility, Category, DEFAULT_PARAMS_TOML, Dated, Designation, Params,
    ParamsError, Treaty, TreatyParty,
};
pub use parse::{RequestError, is_json_array, parse_request, parse_requests};
pub use rules::{age_on, resolve};

/// The citation of each row of the rules table, as written in legal-rules.md.
pub mod citations {
    pub use crate::rules::{
        AGREEMENT, ALIEN_ENEMIES, CITIZENSHIP, CITIZENSHIP_CLAIM, COURT_ORDER, FEAR, FINAL_ORDER,
        HABEAS, IDENTITY, MINOR, PRISONER_TRANSFER, PROTECTION, SAFE_THIRD_COUNTRY,
        STATUS_PROTECTION_BLOCKED, STATUS_PROTECTION_REVIEW, THIRD_COUNTRY,
    };
}

/// Screens one request: runs every rule of the table in order and combines the findings.
///
/// The outcome is `blocked` if any finding blocks, else `needs_review` if any asks for
/// review, else `eligible`.
pub fn screen(req: &ScreeningRequest, params: &Params) -> Decision {
    screen_with_earliest_date(req, params).0
}

/// The first date `d` ≥ `req.on` on which no blocking finding that a waiting period lifts
/// remains, the same records given (CONTRACT §9 "When it becomes lawful"): the
/// `third-country` notice days, the `alien-enemies` (e) notice days, and `fear_review_days`
/// after a negative fear screening; `req.on` itself when nothing blocks. `None` when a
/// blocking finding that no waiting period lifts remains (a stay, a missing order, a notice
/// never served, …). Findings that only ask for review do not count.
///
/// Computed from the findings on `req.on`, not by screening day after day: each waiting
/// finding knows the day it lifts (dated parameters included).
///
/// ```
/// use custodia_rules::{earliest_date, parse_request, Params};
/// let req = parse_request(r#"{"id":"c","on":"2025-06-02",
///   "person":{"id":"P","nationalities":["HN"],"us_status":"undocumented","languages":["es"],
///             "identity_verified":true},
///   "records":[{"type":"removal_order","date":"2025-01-15","final":true},
///              {"type":"third_country_notice","country":"SV","served":"2025-05-30","language":"es"}],
///   "transfer":{"basis":"removal","destination_country":"SV","facility":{"id":"CECOT"}}}"#).unwrap();
/// // Ten days' notice: lawful from 2025-06-09.
/// assert_eq!(earliest_date(&req, Params::builtin()), Some(jiff::civil::date(2025, 6, 9)));
/// ```
pub fn earliest_date(req: &ScreeningRequest, params: &Params) -> Option<Date> {
    screen_with_earliest_date(req, params).1
}

/// [`screen`] and [`earliest_date`] in one pass.
pub fn screen_with_earliest_date(
    req: &ScreeningRequest,
    params: &Params,
) -> (Decision, Option<Date>) {
    let case = rules::Case::new(req, params);
    let mut findings = rules::Findings(Vec::new());
    for rule in rules::TABLE {
        rule(&case, &mut findings);
    }
    let mut lifts = rules::Lifts::Now;
    let mut outcome = Outcome::Eligible;
    let findings = findings
        .0
        .into_iter()
        .map(|(f, l)| {
            if f.effect == Effect::Blocked {
                lifts = lifts.and(l);
            }
            outcome = outcome.max(f.effect.outcome());
            f
        })
        .collect();
    let earliest = match lifts {
        rules::Lifts::Now => Some(req.on),
        rules::Lifts::On(d) => Some(d.max(req.on)),
        rules::Lifts::Never => None,
    };
    (
        Decision {
            id: req.id.clone(),
            outcome,
            rules_version: params.rules_version.clone(),
            findings,
        },
        earliest,
    )
}
