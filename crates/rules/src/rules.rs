//! The rules of legal-rules.md (version 2), one function per row of its table, each with its
//! citation.
//!
//! Each rule reads the [`Case`] (the request seen as of its date `on`, with its record
//! versions resolved once) and pushes at most one finding per row, except `alien-enemies`,
//! `prisoner-transfer` and `safe-third-country`, which push one per unmet condition. [`TABLE`]
//! lists them in the table's order; every one runs. Every rule is linear in the number of
//! records: the only step above that is the version resolution in [`resolve`] (hashing).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use custodia_model::legal::{
    Basis, CatKind, ClaimStatus, CountryCode, Facility, HabeasStatus, Person, Record, RecordType,
    ReviewOutcome, ScreeningOutcome, ScreeningRequest, StayScope, UsStatus, VersionedRecord,
};
use jiff::civil::Date;

use crate::decision::{Effect, Finding, RuleId};
use crate::params::{Category, Dated, Params};

/// A rule: reads the case, pushes its findings.
pub(crate) type Rule = fn(&Case<'_>, &mut Findings);

/// The rules table of legal-rules.md, in order.
pub(crate) const TABLE: [Rule; 16] = [
    citizenship,
    citizenship_claim,
    status_protection_blocked,
    status_protection_review,
    final_order,
    protection,
    court_order,
    habeas,
    fear,
    third_country,
    alien_enemies,
    prisoner_transfer,
    agreement,
    safe_third_country,
    minor,
    identity,
];

/// How many records a detail names before it says "and N more".
const LISTED: usize = 5;

// ---------------------------------------------------------------------------------------
// `citizenship` — always.
// P is a US citizen or national on `on` (see `Case::us_citizen`). → blocked
// ---------------------------------------------------------------------------------------
pub const CITIZENSHIP: &str =
    "U.S. Const. amend. XIV § 1; 8 U.S.C. § 1451; Afroyim v. Rusk, 387 U.S. 253 (1967)";

fn citizenship(c: &Case<'_>, out: &mut Findings) {
    let Some(why) = c.us_citizen_why() else {
        return;
    };
    out.push(RuleId::Citizenship, Effect::Blocked, CITIZENSHIP, why);
}

// ---------------------------------------------------------------------------------------
// `citizenship` — always.
// A citizenship_claim on or before `on` whose counting version is pending or established.
// → blocked
// ---------------------------------------------------------------------------------------
pub const CITIZENSHIP_CLAIM: &str = "8 U.S.C. § 1503; ICE Directive 16001.2 (2015)";

fn citizenship_claim(c: &Case<'_>, out: &mut Findings) {
    let found = c.recs.iter().filter_map(|r| match r {
        Record::CitizenshipClaim { date, status } => match status {
            ClaimStatus::Pending => Some(format!("claim to US citizenship made {date} is pending")),
            ClaimStatus::Established => Some(format!(
                "claim to US citizenship made {date} is established"
            )),
            ClaimStatus::Rejected => None,
        },
        _ => None,
    });
    out.push_all(
        RuleId::Citizenship,
        Effect::Blocked,
        CITIZENSHIP_CLAIM,
        found,
    );
}

// ---------------------------------------------------------------------------------------
// `status-protection` — basis is not prisoner_transfer.
// us_status is asylee or tps → blocked
// ---------------------------------------------------------------------------------------
pub const STATUS_PROTECTION_BLOCKED: &str =
    "8 U.S.C. § 1158(c)(1)(A) (asylee); 8 U.S.C. § 1254a(a)(1)(A) (TPS)";

fn status_protection_blocked(c: &Case<'_>, out: &mut Findings) {
    if c.basis == Basis::PrisonerTransfer {
        return;
    }
    let what = match c.person.us_status {
        UsStatus::Asylee => "an asylee may not be removed while asylum stands",
        UsStatus::Tps => "a TPS holder may not be removed while the status stands",
        _ => return,
    };
    out.push(
        RuleId::StatusProtection,
        Effect::Blocked,
        STATUS_PROTECTION_BLOCKED,
        format!("us_status `{}`: {what}", c.person.us_status.as_str()),
    );
}

// ---------------------------------------------------------------------------------------
// `status-protection` — basis is not prisoner_transfer.
// us_status is refugee → needs_review
// ---------------------------------------------------------------------------------------
pub const STATUS_PROTECTION_REVIEW: &str = "8 U.S.C. § 1157(c)(4); 8 C.F.R. § 207.9";

fn status_protection_review(c: &Case<'_>, out: &mut Findings) {
    if c.basis == Basis::PrisonerTransfer || c.person.us_status != UsStatus::Refugee {
        return;
    }
    out.push(
        RuleId::StatusProtection,
        Effect::NeedsReview,
        STATUS_PROTECTION_REVIEW,
        "us_status `refugee`: removal needs the refugee status terminated first".to_owned(),
    );
}

// ---------------------------------------------------------------------------------------
// `final-order` — basis removal.
// No removal_order that is final and on or before `on`. → blocked
// ---------------------------------------------------------------------------------------
pub const FINAL_ORDER: &str = "8 U.S.C. § 1231(a); U.S. Const. amend. V";

fn final_order(c: &Case<'_>, out: &mut Findings) {
    if c.basis != Basis::Removal || c.final_order.is_some() {
        return;
    }
    let mut d = format!("no final removal order on or before {}", c.on);
    let not_final = c.recs.iter().filter_map(|r| match r {
        Record::RemovalOrder {
            date,
            is_final: false,
            ..
        } => Some(format!("removal order of {date} is not final")),
        _ => None,
    });
    for s in capped(not_final) {
        d.push_str("; ");
        d.push_str(&s);
    }
    out.push(RuleId::FinalOrder, Effect::Blocked, FINAL_ORDER, d);
}

// ---------------------------------------------------------------------------------------
// `protection` — always.
// A withholding_of_removal or cat_protection record for D, on or before `on`, whose counting
// version is not terminated. → blocked
// ---------------------------------------------------------------------------------------
pub const PROTECTION: &str = "8 U.S.C. § 1231(b)(3); 8 C.F.R. §§ 208.16–208.17, 1208.16–1208.18; Convention Against Torture art. 3";

fn protection(c: &Case<'_>, out: &mut Findings) {
    let found = c.recs.iter().filter_map(|r| match r {
        Record::WithholdingOfRemoval {
            country,
            date,
            terminated: false,
        } if *country == c.to => Some(format!(
            "withholding of removal to {country} granted {date}"
        )),
        Record::CatProtection {
            country,
            date,
            kind,
            terminated: false,
        } if *country == c.to => {
            let kind = match kind {
                CatKind::Withholding => "withholding",
                CatKind::Deferral => "deferral",
            };
            Some(format!("CAT {kind} of removal to {country} granted {date}"))
        }
        _ => None,
    });
    out.push_all(RuleId::Protection, Effect::Blocked, PROTECTION, found);
}

// ---------------------------------------------------------------------------------------
// `court-order` — always.
// A stay with issued ≤ `on` and (no expires, or expires ≥ `on`) whose scope is all_removals,
// or country with country = D (issue 12: or class, which blocks like all_removals, or
// no_transfer_out_of_district when D is not US). → blocked
// ---------------------------------------------------------------------------------------
pub const COURT_ORDER: &str = "the order on record";

fn court_order(c: &Case<'_>, out: &mut Findings) {
    let found = c.recs.iter().filter_map(|r| {
        let Record::Stay {
            issued,
            expires,
            scope,
            country,
            class,
            district,
            court,
            docket,
        } = r
        else {
            return None;
        };
        if expires.is_some_and(|e| e < c.on) {
            return None;
        }
        let mut what = match scope {
            StayScope::AllRemovals => "stay of all removals".to_owned(),
            StayScope::Country => match country {
                Some(k) if *k == c.to => format!("stay of removal to {k}"),
                _ => return None,
            },
            StayScope::Class => format!(
                "class-wide stay of removals ({})",
                class.as_deref().unwrap_or("class not named")
            ),
            StayScope::NoTransferOutOfDistrict if c.to.as_str() != "US" => format!(
                "order against transfer out of {} (destination {})",
                district.as_deref().unwrap_or("the district"),
                c.to
            ),
            StayScope::NoTransferOutOfDistrict => return None,
        };
        match (court, docket) {
            (Some(k), Some(n)) => what.push_str(&format!(", {k} No. {n}")),
            (Some(k), None) => what.push_str(&format!(", {k}")),
            (None, Some(n)) => what.push_str(&format!(", No. {n}")),
            (None, None) => {}
        }
        let until = match expires {
            Some(e) => format!("until {e}"),
            None => "with no expiry".to_owned(),
        };
        Some(format!("{what}, issued {issued}, in force {until}"))
    });
    out.push_all(RuleId::CourtOrder, Effect::Blocked, COURT_ORDER, found);
}

// ---------------------------------------------------------------------------------------
// `habeas` — always.
// A habeas_petition filed on or before `on` whose counting version is pending.
// → blocked when basis is alien_enemies_act, else needs_review
// ---------------------------------------------------------------------------------------
pub const HABEAS: &str = "U.S. Const. art. I § 9; 28 U.S.C. § 2241; A.A.R.P. v. Trump (2025)";

fn habeas(c: &Case<'_>, out: &mut Findings) {
    let found = c.recs.iter().filter_map(|r| match r {
        Record::HabeasPetition {
            filed,
            status: HabeasStatus::Pending,
        } => Some(format!("habeas petition filed {filed} is pending")),
        _ => None,
    });
    let effect = if c.basis == Basis::AlienEnemiesAct {
        Effect::Blocked
    } else {
        Effect::NeedsReview
    };
    out.push_all(RuleId::Habeas, effect, HABEAS, found);
}

// ---------------------------------------------------------------------------------------
// `fear` — always.
// A fear_claim for D on or before `on`, and S, the latest fear_screening for D dated on or
// after that claim and on or before `on` (on a tie, a positive one): S is missing; or S is
// positive; or S is negative and R, the latest fear_review for D dated on or after S and on
// or before `on` (on a tie, a vacated one), is vacated; or S is negative, there is no R, and
// S is dated less than `fear_review_days` days before `on`. → blocked
//
// The latest screening for D dated in [claim, on] is the latest screening for D overall
// when that one is dated on or after the claim, and there is none otherwise; likewise for
// R. So one pass finds S and R for every claim.
// ---------------------------------------------------------------------------------------
pub const FEAR: &str =
    "Convention Against Torture art. 3; 8 C.F.R. §§ 208.30(g), 208.31, 1208.30(g)";

fn fear(c: &Case<'_>, out: &mut Findings) {
    let mut screening: Option<(Date, ScreeningOutcome)> = None;
    let mut review: Option<(Date, ReviewOutcome)> = None;
    let mut claims = Vec::new();
    for r in &c.recs {
        match r {
            Record::FearClaim { country, date } if *country == c.to => claims.push(*date),
            Record::FearScreening {
                country,
                date,
                outcome,
            } if *country == c.to => {
                screening = latest(screening, *date, *outcome, ScreeningOutcome::Positive)
            }
            Record::FearReview {
                country,
                date,
                outcome,
            } if *country == c.to => {
                review = latest(review, *date, *outcome, ReviewOutcome::Vacated)
            }
            _ => {}
        }
    }
    if claims.is_empty() {
        return;
    }
    let review_days = c.p.fear_review_days.at(c.on);
    let mut found = Vec::new();
    let mut lifts = Lifts::Now;
    for claimed in claims {
        let d = c.to;
        let s = screening.filter(|(s, _)| *s >= claimed);
        let (detail, lift) = match s {
            None => (
                format!(
                    "fear claim about {d} made {claimed} has no screening on or before {}",
                    c.on
                ),
                Lifts::Never,
            ),
            Some((s, ScreeningOutcome::Positive)) => (
                format!("fear claim about {d} made {claimed}: latest screening, {s}, is positive"),
                Lifts::Never,
            ),
            Some((s, ScreeningOutcome::Negative)) => match review.filter(|(r, _)| *r >= s) {
                Some((r, ReviewOutcome::Vacated)) => (
                    format!(
                        "fear claim about {d} made {claimed}: negative screening of {s} was vacated on review {r}"
                    ),
                    Lifts::Never,
                ),
                Some((_, ReviewOutcome::Affirmed)) => continue,
                None => {
                    let inside = match review_days {
                        Some(n) => s > c.on.saturating_sub(jiff::Span::new().days(i64::from(n))),
                        None => true,
                    };
                    if !inside {
                        continue;
                    }
                    let days = review_days.map_or("no".to_owned(), |n| n.to_string());
                    (
                        format!(
                            "fear claim about {d} made {claimed}: negative screening of {s} is less than {days} days (`fear_review_days`) before {} and has no review",
                            c.on
                        ),
                        first_day_waited(&c.p.fear_review_days, s, c.on)
                            .map_or(Lifts::Never, Lifts::On),
                    )
                }
            },
        };
        found.push(detail);
        lifts = lifts.and(lift);
    }
    out.push_lifting(
        RuleId::Fear,
        Effect::Blocked,
        FEAR,
        found.into_iter(),
        lifts,
    );
}

/// Keeps the later of `held` and (`date`, `v`); on the same day, `wins` beats the other value.
fn latest<T: Copy + PartialEq>(
    held: Option<(Date, T)>,
    date: Date,
    v: T,
    wins: T,
) -> Option<(Date, T)> {
    match held {
        Some((d, o)) if d > date || (d == date && (o == wins || v != wins)) => Some((d, o)),
        _ => Some((date, v)),
    }
}

// ---------------------------------------------------------------------------------------
// `third-country` — D is a third country for P, and basis is not prisoner_transfer.
// No third_country_notice for D served at least `third_country_notice_days` days before
// `on` in a language P understands. → blocked
// ---------------------------------------------------------------------------------------
pub const THIRD_COUNTRY: &str =
    "D.V.D. v. DHS, No. 1:25-cv-10676 (D. Mass. 2025); 8 U.S.C. § 1231(b)(2)(E)";

fn third_country(c: &Case<'_>, out: &mut Findings) {
    if !c.third_country || c.basis == Basis::PrisonerTransfer {
        return;
    }
    let notices = c.recs.iter().filter_map(|r| match r {
        Record::ThirdCountryNotice {
            country,
            served,
            language,
        } if *country == c.to => Some((*served, language.as_str())),
        _ => None,
    });
    let what = format!("notice of removal to {}", c.to);
    if let Some((problem, lifts)) = c.notice_problem(
        &what,
        "third_country_notice_days",
        &c.p.third_country_notice_days,
        notices,
    ) {
        let why = c.third_country_why();
        out.push_lifting(
            RuleId::ThirdCountry,
            Effect::Blocked,
            THIRD_COUNTRY,
            std::iter::once(format!("{why}: {problem}")),
            lifts,
        );
    }
}

// ---------------------------------------------------------------------------------------
// `alien-enemies` — basis alien_enemies_act. One finding for each unmet condition:
// (a) a designation in force on `on` for one of P's nationalities;
// (b) age known and ≥ `aea_min_age`;
// (c) P is not a US citizen or national on `on`, and us_status is not
//     lawful_permanent_resident;
// (d) an aea_designation record on or before `on`;
// (e) an aea_notice served at least `aea_notice_days` days before `on` in a language P
//     understands. → blocked
// ---------------------------------------------------------------------------------------
pub const ALIEN_ENEMIES: &str = "50 U.S.C. § 21; Proclamation 10903; Trump v. J.G.G. (U.S. 2025); A.A.R.P. v. Trump (U.S. 2025)";

fn alien_enemies(c: &Case<'_>, out: &mut Findings) {
    if c.basis != Basis::AlienEnemiesAct {
        return;
    }
    let mut unmet =
        |detail: String| out.push(RuleId::AlienEnemies, Effect::Blocked, ALIEN_ENEMIES, detail);

    // (a)
    if !c
        .person
        .nationalities
        .iter()
        .any(|n| c.p.designation(*n, c.on).is_some())
    {
        unmet(format!(
            "(a) no Alien Enemies Act designation in force on {} for nationality {}",
            c.on,
            list(&c.person.nationalities)
        ));
    }
    // (b)
    match (c.age, c.p.aea_min_age.at(c.on)) {
        (_, None) => unmet(format!(
            "(b) parameter `aea_min_age` has no value on {}",
            c.on
        )),
        (None, _) => unmet("(b) age unknown: no date of birth".to_owned()),
        (Some(age), Some(min)) if age < i64::from(min) => unmet(match c.person.date_of_birth {
            Some(born) if age < 0 => format!(
                "(b) date of birth {born} is after {}: no age of at least {min} is shown",
                c.on
            ),
            _ => format!("(b) age {age} on {} is under {min}", c.on),
        }),
        _ => {}
    }
    // (c)
    if let Some(why) = c.us_citizen_why() {
        unmet(format!("(c) a US citizen or national: {why}"));
    } else if c.person.us_status == UsStatus::LawfulPermanentResident {
        unmet("(c) us_status `lawful_permanent_resident`".to_owned());
    }
    // (d)
    if !c
        .recs
        .iter()
        .any(|r| matches!(r, Record::AeaDesignation { .. }))
    {
        unmet(format!(
            "(d) no aea_designation record on or before {}",
            c.on
        ));
    }
    // (e)
    let notices = c.recs.iter().filter_map(|r| match r {
        Record::AeaNotice { served, language } => Some((*served, language.as_str())),
        _ => None,
    });
    if let Some((problem, lifts)) = c.notice_problem(
        "Alien Enemies Act notice",
        "aea_notice_days",
        &c.p.aea_notice_days,
        notices,
    ) {
        out.push_lifting(
            RuleId::AlienEnemies,
            Effect::Blocked,
            ALIEN_ENEMIES,
            std::iter::once(format!("(e) {problem}")),
            lifts,
        );
    }
}

// ---------------------------------------------------------------------------------------
// `prisoner-transfer` — basis prisoner_transfer. One finding for each unmet condition:
// (a) P is a national of D; (b) a treaty in force with D on `on` (`transfer_treaties`);
// (c) a transfer_consent for D whose counting version has `verified` on or before `on` —
// once verified, a later withdrawn does not undo it; unverified consent never suffices;
// (d) a conviction on or before `on`. → blocked
// ---------------------------------------------------------------------------------------
pub const PRISONER_TRANSFER: &str = "18 U.S.C. §§ 4100(a)–(b), 4107; Inter-American Convention on Serving Criminal Sentences Abroad arts. III, V";

fn prisoner_transfer(c: &Case<'_>, out: &mut Findings) {
    if c.basis != Basis::PrisonerTransfer {
        return;
    }
    let mut unmet = |detail: String| {
        out.push(
            RuleId::PrisonerTransfer,
            Effect::Blocked,
            PRISONER_TRANSFER,
            detail,
        )
    };
    // (a)
    if !c.national_of_d {
        unmet(format!(
            "(a) not a national of {} (nationalities: {})",
            c.to,
            list(&c.person.nationalities)
        ));
    }
    // (b)
    if c.p.treaty_with(c.to, c.on).is_none() {
        let mut d = format!(
            "(b) no treaty on the transfer of sentenced persons in force with {} on {}",
            c.to, c.on
        );
        for t in &c.p.transfer_treaties {
            for party in t.parties.iter().filter(|p| p.country == c.to) {
                let until = party.until.map(|u| format!(" to {u}")).unwrap_or_default();
                d.push_str(&format!(
                    "; {} ({}) binds {} from {}{until} and the US from {}",
                    t.name, t.id, c.to, party.from, t.us_from
                ));
            }
        }
        unmet(d);
    }
    // (c)
    let mut unverified = Vec::new();
    let mut verified = false;
    for r in &c.recs {
        if let Record::TransferConsent {
            country,
            date,
            verified: v,
            ..
        } = r
            && *country == c.to
        {
            match v {
                Some(v) if *v <= c.on => verified = true,
                Some(v) => unverified.push(format!("consent of {date} is verified only on {v}")),
                None => unverified.push(format!("consent of {date} is not verified")),
            }
        }
    }
    if !verified {
        let mut d = format!(
            "(c) no consent to transfer to {} verified by a US magistrate on or before {}",
            c.to, c.on
        );
        for s in capped(unverified.into_iter()) {
            d.push_str("; ");
            d.push_str(&s);
        }
        unmet(d);
    }
    // (d)
    if !c
        .recs
        .iter()
        .any(|r| matches!(r, Record::Conviction { .. }))
    {
        unmet(format!("(d) no conviction on or before {}", c.on));
    }
}

// ---------------------------------------------------------------------------------------
// `agreement` — a facility is named, or D is a third country for P; and D is not US; and
// basis is not asylum_cooperative.
// No agreement in force on `on` for D (and for F, when named) that accepts P's category:
// sentenced_prisoners for basis prisoner_transfer, else nationals when P is a national of D,
// else third_country_nationals. When no facility is named and P is not a national of D, an
// acceptance record for D on or before `on` also suffices. → blocked
// ---------------------------------------------------------------------------------------
pub const AGREEMENT: &str = "the agreement's terms; 8 U.S.C. § 1231(b)(2)(E)(vii)";

fn agreement(c: &Case<'_>, out: &mut Findings) {
    let applies = (c.facility.is_some() || c.third_country)
        && c.to.as_str() != "US"
        && c.basis != Basis::AsylumCooperative;
    if !applies {
        return;
    }
    let category = if c.basis == Basis::PrisonerTransfer {
        Category::SentencedPrisoners
    } else if c.national_of_d {
        Category::Nationals
    } else {
        Category::ThirdCountryNationals
    };
    let for_place = |a: &crate::params::Agreement| {
        a.destination == c.to && c.facility.is_none_or(|f| a.covers(&f.id))
    };
    let accepted =
        c.p.agreements
            .iter()
            .any(|a| for_place(a) && a.in_force(c.on) && a.accepts.contains(&category));
    if accepted {
        return;
    }
    let acceptance_counts = c.facility.is_none() && !c.national_of_d;
    if acceptance_counts
        && c.recs
            .iter()
            .any(|r| matches!(r, Record::Acceptance { country, .. } if *country == c.to))
    {
        return;
    }
    let place = match c.facility {
        Some(f) => format!("{} and facility {}", c.to, f.id),
        None => c.to.to_string(),
    };
    let mut d = format!(
        "no agreement in force on {} for {place} accepting {}",
        c.on,
        category.as_str()
    );
    if acceptance_counts {
        d.push_str(&format!(
            ", and no acceptance by {} on or before {}",
            c.to, c.on
        ));
    }
    for a in c.p.agreements.iter().filter(|a| for_place(a)) {
        let until = a.until.map(|t| format!(" to {t}")).unwrap_or_default();
        let accepts: Vec<&str> = a.accepts.iter().map(|k| k.as_str()).collect();
        d.push_str(&format!(
            "; {} is in force from {}{until} and accepts {}",
            a.id,
            a.from,
            accepts.join(", ")
        ));
    }
    out.push(RuleId::Agreement, Effect::Blocked, AGREEMENT, d);
}

// ---------------------------------------------------------------------------------------
// `safe-third-country` — basis asylum_cooperative. One finding for each unmet condition:
// (a) P is not a national of D; (b) an agreement in force on `on` for D that accepts
// asylum_seekers; (c) an aca_threshold_screening for D on or before `on` whose latest one
// (on a tie, a positive one) is negative. → blocked
// ---------------------------------------------------------------------------------------
pub const SAFE_THIRD_COUNTRY: &str = "8 U.S.C. § 1158(a)(2)(A); 8 C.F.R. § 208.30(e)(7)";

fn safe_third_country(c: &Case<'_>, out: &mut Findings) {
    if c.basis != Basis::AsylumCooperative {
        return;
    }
    let mut unmet = |detail: String| {
        out.push(
            RuleId::SafeThirdCountry,
            Effect::Blocked,
            SAFE_THIRD_COUNTRY,
            detail,
        )
    };
    // (a)
    if c.national_of_d {
        unmet(format!(
            "(a) a national of {}: an asylum cooperative agreement sends only to a third country",
            c.to
        ));
    }
    // (b)
    let accepts = |a: &&crate::params::Agreement| {
        a.destination == c.to && a.accepts.contains(&Category::AsylumSeekers)
    };
    if !c
        .p
        .agreements
        .iter()
        .filter(accepts)
        .any(|a| a.in_force(c.on))
    {
        let mut d = format!(
            "(b) no agreement in force on {} for {} accepting asylum_seekers",
            c.on, c.to
        );
        for a in c.p.agreements.iter().filter(accepts) {
            let until = a.until.map(|t| format!(" to {t}")).unwrap_or_default();
            d.push_str(&format!("; {} is in force from {}{until}", a.id, a.from));
        }
        unmet(d);
    }
    // (c)
    let mut screening: Option<(Date, ScreeningOutcome)> = None;
    for r in &c.recs {
        if let Record::AcaThresholdScreening {
            country,
            date,
            outcome,
        } = r
            && *country == c.to
        {
            screening = latest(screening, *date, *outcome, ScreeningOutcome::Positive);
        }
    }
    match screening {
        None => unmet(format!(
            "(c) no threshold screening about {} on or before {}",
            c.to, c.on
        )),
        Some((d, ScreeningOutcome::Positive)) => unmet(format!(
            "(c) latest threshold screening about {}, {d}, is positive",
            c.to
        )),
        Some((_, ScreeningOutcome::Negative)) => {}
    }
}

// ---------------------------------------------------------------------------------------
// `minor` — a facility is named that is adult only: adult_only true in the request, or that
// facility marked adult only in any agreement of the parameters.
// Age < `adult_age` → blocked; age unknown → needs_review
// ---------------------------------------------------------------------------------------
pub const MINOR: &str = "Mandela Rules, rule 11(d); CRC art. 37(c)";

fn minor(c: &Case<'_>, out: &mut Findings) {
    let Some(f) = c
        .facility
        .filter(|f| f.adult_only || c.p.adult_only_facility(&f.id))
    else {
        return;
    };
    let (effect, detail) = match (c.age, c.p.adult_age.at(c.on)) {
        (_, None) => (
            Effect::NeedsReview,
            format!("parameter `adult_age` has no value on {}", c.on),
        ),
        (None, _) => (
            Effect::NeedsReview,
            format!(
                "age unknown (no date of birth); facility {} holds adults only",
                f.id
            ),
        ),
        (Some(age), Some(adult)) if age < i64::from(adult) => {
            let detail = match c.person.date_of_birth {
                Some(born) if age < 0 => format!(
                    "date of birth {born} is after {}: the date is wrong or the person is a child, and no adult is shown; facility {} holds adults only",
                    c.on, f.id
                ),
                born => format!(
                    "age {age} on {}{} is under {adult}; facility {} holds adults only",
                    c.on,
                    born.map(|d| format!(" (born {d})")).unwrap_or_default(),
                    f.id
                ),
            };
            (Effect::Blocked, detail)
        }
        _ => return,
    };
    out.push(RuleId::Minor, effect, MINOR, detail);
}

// ---------------------------------------------------------------------------------------
// `identity` — always. identity_verified is not true → needs_review
// ---------------------------------------------------------------------------------------
pub const IDENTITY: &str = "Mandela Rules, rule 7(a)";

fn identity(c: &Case<'_>, out: &mut Findings) {
    if !c.person.identity_verified {
        out.push(
            RuleId::Identity,
            Effect::NeedsReview,
            IDENTITY,
            format!("identity of person {} is not verified", c.person.id),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Record versions
// ---------------------------------------------------------------------------------------

/// The records that exist on `on`, one per record, in `records` order (legal-rules "Record
/// versions"): a version entered (`as_of`, else its own date) after `on` does not exist;
/// among the versions of one record (same type and `id`) only the latest entered counts, on
/// a tie the later in `records`; a record without `id` is its own record. Of the counting
/// versions, those dated after `on` do not exist yet either.
///
/// This is the only place versions are resolved; every rule reads its result. Linear in the
/// number of records (one hash map, only when some record has an `id`).
pub fn resolve(records: &[VersionedRecord], on: Date) -> Vec<&Record> {
    let exists = |v: &VersionedRecord| v.entered() <= on && v.record.date() <= on;
    if records.iter().all(|v| v.id.is_none()) {
        return records
            .iter()
            .filter(|v| exists(v))
            .map(|v| &v.record)
            .collect();
    }
    // INVARIANT: `counting[(type, id)]` is the index of the latest entered version seen so
    // far (ties: the later index), among versions entered on or before `on`.
    let mut counting: HashMap<(RecordType, &str), usize> = HashMap::new();
    let mut keep = vec![false; records.len()];
    for (i, v) in records.iter().enumerate() {
        let entered = v.entered();
        if entered > on {
            continue;
        }
        let Some(id) = v.id.as_deref() else {
            keep[i] = true;
            continue;
        };
        match counting.entry((v.record.record_type(), id)) {
            Entry::Vacant(e) => {
                e.insert(i);
                keep[i] = true;
            }
            Entry::Occupied(mut e) => {
                let j = *e.get();
                if records.get(j).is_some_and(|w| w.entered() <= entered) {
                    if let Some(k) = keep.get_mut(j) {
                        *k = false;
                    }
                    keep[i] = true;
                    e.insert(i);
                }
            }
        }
    }
    records
        .iter()
        .zip(keep)
        .filter(|(v, k)| *k && v.record.date() <= on)
        .map(|(v, _)| &v.record)
        .collect()
}

// ---------------------------------------------------------------------------------------
// The common terms of legal-rules.md
// ---------------------------------------------------------------------------------------

/// A request as seen on its date `on`, with the common terms computed once.
pub(crate) struct Case<'a> {
    pub p: &'a Params,
    pub person: &'a Person,
    pub on: Date,
    /// The destination country D.
    pub to: CountryCode,
    pub basis: Basis,
    pub facility: Option<&'a Facility>,
    /// Age in whole years on `on`; `None` when unknown.
    pub age: Option<i64>,
    /// "P is a national of D": D is in `person.nationalities`.
    pub national_of_d: bool,
    /// The records that exist on `on`, versions resolved ([`resolve`]).
    pub recs: Vec<&'a Record>,
    /// "The final order": the latest final removal order on or before `on` (by date; on a
    /// tie, the later in `records`).
    pub final_order: Option<&'a Record>,
    /// "D is a third country for P".
    pub third_country: bool,
    /// A final denaturalization on or before `on`.
    pub denaturalized: bool,
}

impl<'a> Case<'a> {
    pub fn new(req: &'a ScreeningRequest, p: &'a Params) -> Self {
        let to = req.transfer.destination_country;
        let on = req.on;
        let recs = resolve(&req.records, on);
        let mut final_order: Option<&Record> = None;
        let mut denaturalized = false;
        for r in &recs {
            match r {
                // On a tie, the later in `records`: `<=`.
                Record::RemovalOrder {
                    date,
                    is_final: true,
                    ..
                } if final_order.is_none_or(|f| f.date() <= *date) => final_order = Some(*r),
                Record::Denaturalization { is_final: true, .. } => denaturalized = true,
                _ => {}
            }
        }
        let national_of_d = req.person.nationalities.contains(&to);
        let designates_other = match final_order {
            Some(Record::RemovalOrder {
                countries: Some(cs),
                ..
            }) => !cs.is_empty() && !cs.contains(&to),
            _ => false,
        };
        Case {
            p,
            person: &req.person,
            on,
            to,
            basis: req.transfer.basis,
            facility: req.transfer.facility.as_ref(),
            age: req.person.date_of_birth.map(|dob| age_on(dob, on)),
            national_of_d,
            recs,
            final_order,
            third_country: !national_of_d || designates_other,
            denaturalized,
        }
    }

    /// "P is a US citizen or national on `on`", and why; `None` when not.
    fn us_citizen_why(&self) -> Option<String> {
        let status = self.person.us_status;
        let listed = self.person.nationalities.iter().any(|n| n.as_str() == "US");
        match status {
            UsStatus::CitizenByBirth => {
                Some("us_status `citizen_by_birth`: a US citizen by birth".to_owned())
            }
            UsStatus::NonCitizenNational => {
                Some("us_status `non_citizen_national`: a US national".to_owned())
            }
            // A final denaturalization ends citizenship, whatever `nationalities` still says.
            UsStatus::CitizenNaturalized if self.denaturalized => None,
            UsStatus::CitizenNaturalized => {
                let mut d = format!(
                    "us_status `citizen_naturalized` with no final denaturalization on or before {}",
                    self.on
                );
                let not_final = self.recs.iter().filter_map(|r| match r {
                    Record::Denaturalization {
                        date,
                        is_final: false,
                    } => Some(format!("denaturalization of {date} is not final")),
                    _ => None,
                });
                for s in capped(not_final) {
                    d.push_str("; ");
                    d.push_str(&s);
                }
                Some(d)
            }
            _ if listed => Some(format!(
                "`US` is among the person's nationalities ({})",
                list(&self.person.nationalities)
            )),
            _ => None,
        }
    }

    /// Why D is a third country for P (only meaningful when it is).
    fn third_country_why(&self) -> String {
        if !self.national_of_d {
            return format!(
                "{} is a third country (nationalities: {})",
                self.to,
                list(&self.person.nationalities)
            );
        }
        match self.final_order {
            Some(Record::RemovalOrder {
                date,
                countries: Some(cs),
                ..
            }) => format!(
                "{} is a third country: the final order of {date} designates {}",
                self.to,
                list(cs)
            ),
            _ => format!("{} is a third country", self.to),
        }
    }

    /// "A language P understands": a code in `person.languages`, compared without regard to
    /// case (BCP 47).
    fn understands(&self, language: &str) -> bool {
        self.person
            .languages
            .iter()
            .any(|l| same_language(l, language))
    }

    /// Why no notice among `notices` was "served at least `days` days before `on`" (served
    /// ≤ `on` − days) in a language P understands, and the day waiting would lift that;
    /// `None` when one was.
    fn notice_problem<'n>(
        &self,
        what: &str,
        param: &str,
        days: &Dated<u32>,
        notices: impl Iterator<Item = (Date, &'n str)>,
    ) -> Option<(String, Lifts)> {
        let n = days.at(self.on);
        let deadline = n.map(|n| self.on.saturating_sub(jiff::Span::new().days(i64::from(n))));
        let mut reasons = Vec::new();
        // The earliest notice P understands: waiting lifts the finding from its date + days.
        let mut earliest: Option<Date> = None;
        for (served, language) in notices {
            let in_time = deadline.is_some_and(|d| served <= d);
            let understood = self.understands(language);
            if in_time && understood {
                return None;
            }
            if understood {
                earliest = Some(earliest.map_or(served, |e| e.min(served)));
            }
            let mut why = Vec::new();
            if !in_time {
                let before = (self.on - served).get_days();
                why.push(format!("only {before} days before {}", self.on));
            }
            if !understood {
                why.push(format!(
                    "`{language}` is not a language the person understands"
                ));
            }
            reasons.push(format!(
                "{what} served {served} in `{language}`: {}",
                why.join(" and ")
            ));
        }
        let mut d = match (n, deadline) {
            (Some(n), Some(deadline)) => {
                let languages = if self.person.languages.is_empty() {
                    "no language recorded for the person".to_owned()
                } else {
                    format!("person understands {}", self.person.languages.join(", "))
                };
                format!(
                    "no {what} served on or before {deadline} ({n} days before {}) in a language the person understands ({languages})",
                    self.on
                )
            }
            _ => format!("parameter `{param}` has no value on {}", self.on),
        };
        for r in capped(reasons.into_iter()) {
            d.push_str("; ");
            d.push_str(&r);
        }
        let lifts = earliest
            .and_then(|e| first_day_waited(days, e, self.on))
            .map_or(Lifts::Never, Lifts::On);
        Some((d, lifts))
    }
}

/// BCP 47 language tags compare without regard to case (`ES` is `es`).
fn same_language(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || (!(a.is_ascii() && b.is_ascii()) && a.to_lowercase() == b.to_lowercase())
}

/// The first day `d` ≥ `on` on which `since` is at least `days(d)` days before `d` (`since` ≤
/// `d` − `days(d)`, with the parameter's value in force on `d`); `None` if never. Exact for
/// dated parameters: the first day in each stretch of one value is a candidate, so this
/// looks at one candidate per value, not at every day.
pub(crate) fn first_day_waited(days: &Dated<u32>, since: Date, on: Date) -> Option<Date> {
    let values = days.values();
    for (i, (from, n)) in values.iter().enumerate() {
        let next = values.get(i + 1).map(|(f, _)| *f);
        if next.is_some_and(|next| next <= on) {
            continue;
        }
        let waited = since.saturating_add(jiff::Span::new().days(i64::from(*n)));
        let d = on.max(*from).max(waited);
        if next.is_none_or(|next| d < next) {
            return Some(d);
        }
    }
    None
}

/// Age in whole years on `on`: defined once, in `custodia_model::legal`, because the store's
/// import and the application's admission refuse a minor in an adult-only facility too.
pub use custodia_model::legal::age_on;

fn list(countries: &[CountryCode]) -> String {
    if countries.is_empty() {
        return "none recorded".to_owned();
    }
    let v: Vec<&str> = countries.iter().map(|c| c.as_str()).collect();
    v.join(", ")
}

/// The first [`LISTED`] items, then "and N more" (a person with 100,000 records gets a
/// detail one can read, in time linear in the records).
fn capped(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut more = 0usize;
    for s in items {
        if out.len() < LISTED {
            out.push(s);
        } else {
            more += 1;
        }
    }
    if more > 0 {
        out.push(format!("and {more} more"));
    }
    out
}

/// Whether, and when, waiting lifts a blocking finding (CONTRACT §9 "When it becomes
/// lawful").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifts {
    /// Nothing to wait for (the neutral element of [`Lifts::and`]).
    Now,
    /// Waiting lifts it from this day on, the same records given.
    On(Date),
    /// No waiting period lifts it.
    Never,
}

impl Lifts {
    /// Both must lift.
    pub fn and(self, other: Lifts) -> Lifts {
        match (self, other) {
            (Lifts::Never, _) | (_, Lifts::Never) => Lifts::Never,
            (Lifts::Now, x) | (x, Lifts::Now) => x,
            (Lifts::On(a), Lifts::On(b)) => Lifts::On(a.max(b)),
        }
    }
}

/// The findings of one decision, in the order the rules push them, each with when waiting
/// lifts it.
pub(crate) struct Findings(pub Vec<(Finding, Lifts)>);

impl Findings {
    fn push(&mut self, rule: RuleId, effect: Effect, citation: &'static str, detail: String) {
        self.push_with(rule, effect, citation, detail, Lifts::Never);
    }

    fn push_with(
        &mut self,
        rule: RuleId,
        effect: Effect,
        citation: &'static str,
        detail: String,
        lifts: Lifts,
    ) {
        self.0.push((
            Finding {
                rule,
                effect,
                citation: citation.into(),
                detail,
            },
            lifts,
        ));
    }

    /// One finding resting on every record in `details` (the first few named); none when
    /// `details` is empty.
    fn push_all(
        &mut self,
        rule: RuleId,
        effect: Effect,
        citation: &'static str,
        details: impl Iterator<Item = String>,
    ) {
        self.push_lifting(rule, effect, citation, details, Lifts::Never);
    }

    fn push_lifting(
        &mut self,
        rule: RuleId,
        effect: Effect,
        citation: &'static str,
        details: impl Iterator<Item = String>,
        lifts: Lifts,
    ) {
        let details = capped(details);
        if !details.is_empty() {
            self.push_with(rule, effect, citation, details.join("; "), lifts);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn age_counts_birthdays_and_29_february() {
        assert_eq!(age_on(date(2007, 5, 5), date(2025, 5, 5)), 18);
        assert_eq!(age_on(date(2007, 5, 6), date(2025, 5, 5)), 17);
        assert_eq!(age_on(date(2004, 2, 29), date(2022, 2, 28)), 17);
        assert_eq!(age_on(date(2004, 2, 29), date(2022, 3, 1)), 18);
        assert_eq!(age_on(date(2004, 2, 29), date(2024, 2, 29)), 20);
        // Born after `on`: no adult (the date is wrong, or the person is a child).
        assert_eq!(age_on(date(2025, 5, 6), date(2025, 5, 5)), -1);
        assert_eq!(age_on(date(2025, 5, 5), date(2025, 5, 5)), 0);
    }

    #[test]
    fn languages_compare_without_case() {
        assert!(same_language("ES", "es"));
        assert!(same_language("es-SV", "ES-sv"));
        assert!(!same_language("es", "en"));
    }

    #[test]
    fn ties_keep_the_winning_value() {
        use ScreeningOutcome::{Negative as N, Positive as P};
        let d = date(2025, 1, 1);
        let e = date(2025, 1, 2);
        assert_eq!(latest(Some((d, N)), d, P, P), Some((d, P)));
        assert_eq!(latest(Some((d, P)), d, N, P), Some((d, P)));
        assert_eq!(latest(Some((d, P)), e, N, P), Some((e, N)));
        assert_eq!(latest(Some((e, N)), d, P, P), Some((e, N)));
        assert_eq!(latest(Some((d, N)), d, N, P), Some((d, N)));
        assert_eq!(latest(None, d, N, P), Some((d, N)));
    }

    #[test]
    fn first_day_waited_follows_dated_values() {
        let p = Params::builtin();
        // 10 days from 2025-06-01: 2025-06-11; never before `on`.
        let tc = &p.third_country_notice_days;
        assert_eq!(
            first_day_waited(tc, date(2025, 6, 1), date(2025, 6, 5)),
            Some(date(2025, 6, 11))
        );
        assert_eq!(
            first_day_waited(tc, date(2025, 1, 1), date(2025, 6, 5)),
            Some(date(2025, 6, 5))
        );
        // 10 days until 2025-07-01, then 30: served 2025-06-25 → 07-05 falls under 30 days.
        let text = crate::DEFAULT_PARAMS_TOML.replace(
            "values = [{ from = 1900-01-01, value = 10 }]",
            "values = [{ from = 1900-01-01, value = 10 }, { from = 2025-07-01, value = 30 }]",
        );
        let q = Params::from_toml_str(&text).unwrap();
        let tc = &q.third_country_notice_days;
        assert_eq!(
            first_day_waited(tc, date(2025, 6, 25), date(2025, 6, 26)),
            Some(date(2025, 7, 25))
        );
        assert_eq!(
            first_day_waited(tc, date(2025, 6, 10), date(2025, 6, 12)),
            Some(date(2025, 6, 20))
        );
        // 30 days, then 5: the shorter wait applies from its start date.
        let text = crate::DEFAULT_PARAMS_TOML.replace(
            "values = [{ from = 1900-01-01, value = 10 }]",
            "values = [{ from = 1900-01-01, value = 30 }, { from = 2025-07-01, value = 5 }]",
        );
        let q = Params::from_toml_str(&text).unwrap();
        let tc = &q.third_country_notice_days;
        assert_eq!(
            first_day_waited(tc, date(2025, 6, 20), date(2025, 6, 21)),
            Some(date(2025, 7, 1))
        );
    }
}
