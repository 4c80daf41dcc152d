//! The rules of legal-rules.md, one function per row of its table, each with its citation.
//!
//! Each rule reads the [`Case`] (the request seen as of its date `on`) and pushes at most one
//! finding, except `alien-enemies`, which pushes one per unmet condition. [`TABLE`] lists them
//! in the table's order; every one runs.

use custodia_model::legal::{
    Basis, CatKind, CountryCode, Facility, HabeasStatus, Person, Record, ScreeningOutcome,
    ScreeningRequest, StayScope, UsStatus,
};
use jiff::civil::Date;

use crate::decision::{Effect, Finding, RuleId};
use crate::params::{Category, Params};

/// A rule: reads the case, pushes its findings.
pub(crate) type Rule = fn(&Case<'_>, &mut Findings);

/// The rules table of legal-rules.md, in order.
pub(crate) const TABLE: [Rule; 12] = [
    citizenship,
    final_order,
    protection,
    court_order,
    habeas,
    fear,
    third_country,
    alien_enemies,
    prisoner_transfer,
    agreement,
    minor,
    identity,
];

// ---------------------------------------------------------------------------------------
// `citizenship` — always.
// P's us_status is citizen_by_birth or non_citizen_national; or citizen_naturalized with no
// denaturalization record that is final and on or before `on`. → blocked
// ---------------------------------------------------------------------------------------
pub const CITIZENSHIP: &str =
    "U.S. Const. amend. XIV § 1; 8 U.S.C. § 1451; Afroyim v. Rusk, 387 U.S. 253 (1967)";

fn citizenship(c: &Case<'_>, out: &mut Findings) {
    let detail = match c.person.us_status {
        UsStatus::CitizenByBirth => {
            "us_status `citizen_by_birth`: a US citizen by birth".to_owned()
        }
        UsStatus::NonCitizenNational => {
            "us_status `non_citizen_national`: a US national".to_owned()
        }
        UsStatus::CitizenNaturalized => {
            let final_denaturalization = c
                .records()
                .any(|r| matches!(r, Record::Denaturalization { is_final: true, .. }));
            if final_denaturalization {
                return;
            }
            let mut d = format!(
                "us_status `citizen_naturalized` with no final denaturalization on or before {}",
                c.on
            );
            for r in c.records() {
                if let Record::Denaturalization {
                    date,
                    is_final: false,
                } = r
                {
                    d.push_str(&format!("; denaturalization of {date} is not final"));
                }
            }
            d
        }
        _ => return,
    };
    out.push(RuleId::Citizenship, Effect::Blocked, CITIZENSHIP, detail);
}

// ---------------------------------------------------------------------------------------
// `final-order` — basis removal.
// No removal_order that is final and on or before `on`. → blocked
// ---------------------------------------------------------------------------------------
pub const FINAL_ORDER: &str = "8 U.S.C. § 1231(a); U.S. Const. amend. V";

fn final_order(c: &Case<'_>, out: &mut Findings) {
    if c.basis != Basis::Removal {
        return;
    }
    if c.records()
        .any(|r| matches!(r, Record::RemovalOrder { is_final: true, .. }))
    {
        return;
    }
    let mut d = format!("no final removal order on or before {}", c.on);
    for r in c.records() {
        if let Record::RemovalOrder {
            date,
            is_final: false,
            ..
        } = r
        {
            d.push_str(&format!("; removal order of {date} is not final"));
        }
    }
    out.push(RuleId::FinalOrder, Effect::Blocked, FINAL_ORDER, d);
}

// ---------------------------------------------------------------------------------------
// `protection` — always.
// A withholding_of_removal or cat_protection record for D, on or before `on`, not
// terminated. → blocked
// ---------------------------------------------------------------------------------------
pub const PROTECTION: &str =
    "8 U.S.C. § 1231(b)(3); 8 C.F.R. §§ 208.16–208.17; Convention Against Torture art. 3";

fn protection(c: &Case<'_>, out: &mut Findings) {
    let mut found = Vec::new();
    for r in c.records() {
        match r {
            Record::WithholdingOfRemoval {
                country,
                date,
                terminated: false,
            } if *country == c.to => {
                found.push(format!(
                    "withholding of removal to {country} granted {date}"
                ));
            }
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
                found.push(format!("CAT {kind} of removal to {country} granted {date}"));
            }
            _ => {}
        }
    }
    out.push_all(RuleId::Protection, Effect::Blocked, PROTECTION, found);
}

// ---------------------------------------------------------------------------------------
// `court-order` — always.
// A stay with issued ≤ `on` and (no expires, or expires ≥ `on`) whose scope is all_removals,
// or country with country = D. → blocked
// ---------------------------------------------------------------------------------------
pub const COURT_ORDER: &str = "the order on record";

fn court_order(c: &Case<'_>, out: &mut Findings) {
    let mut found = Vec::new();
    for r in c.records() {
        let Record::Stay {
            issued,
            expires,
            scope,
            country,
        } = r
        else {
            continue;
        };
        if expires.is_some_and(|e| e < c.on) {
            continue;
        }
        let what = match (scope, country) {
            (StayScope::AllRemovals, _) => "stay of all removals".to_owned(),
            (StayScope::Country, Some(k)) if *k == c.to => format!("stay of removal to {k}"),
            _ => continue,
        };
        let until = match expires {
            Some(e) => format!("until {e}"),
            None => "with no expiry".to_owned(),
        };
        found.push(format!("{what} issued {issued}, in force {until}"));
    }
    out.push_all(RuleId::CourtOrder, Effect::Blocked, COURT_ORDER, found);
}

// ---------------------------------------------------------------------------------------
// `habeas` — always.
// A habeas_petition with status pending, filed on or before `on`.
// → blocked when basis is alien_enemies_act, else needs_review
// ---------------------------------------------------------------------------------------
pub const HABEAS: &str = "U.S. Const. art. I § 9; 28 U.S.C. § 2241; A.A.R.P. v. Trump (2025)";

fn habeas(c: &Case<'_>, out: &mut Findings) {
    let found: Vec<String> = c
        .records()
        .filter_map(|r| match r {
            Record::HabeasPetition {
                filed,
                status: HabeasStatus::Pending,
            } => Some(format!("habeas petition filed {filed} is pending")),
            _ => None,
        })
        .collect();
    let effect = if c.basis == Basis::AlienEnemiesAct {
        Effect::Blocked
    } else {
        Effect::NeedsReview
    };
    out.push_all(RuleId::Habeas, effect, HABEAS, found);
}

// ---------------------------------------------------------------------------------------
// `fear` — always.
// A fear_claim for D on or before `on` with no fear_screening for D dated on or after that
// claim and on or before `on`; or the latest such screening is positive. → blocked
// ---------------------------------------------------------------------------------------
pub const FEAR: &str = "Convention Against Torture art. 3; 8 C.F.R. § 208.31";

fn fear(c: &Case<'_>, out: &mut Findings) {
    let mut found = Vec::new();
    for r in c.records() {
        let Record::FearClaim {
            country,
            date: claimed,
        } = r
        else {
            continue;
        };
        if *country != c.to {
            continue;
        }
        // The latest screening for D in [claim, on]. Two on the same latest day with
        // different outcomes: the positive one wins, since the claim is then not resolved.
        let mut latest: Option<(Date, ScreeningOutcome)> = None;
        for s in c.records() {
            if let Record::FearScreening {
                country,
                date,
                outcome,
            } = s
                && *country == c.to
                && date >= claimed
            {
                let replace = match latest {
                    None => true,
                    Some((d, o)) => *date > d || (*date == d && o == ScreeningOutcome::Negative),
                };
                if replace {
                    latest = Some((*date, *outcome));
                }
            }
        }
        match latest {
            None => found.push(format!(
                "fear claim about {country} made {claimed} has no screening on or before {}",
                c.on
            )),
            Some((d, ScreeningOutcome::Positive)) => found.push(format!(
                "fear claim about {country} made {claimed}: latest screening, {d}, is positive"
            )),
            Some((_, ScreeningOutcome::Negative)) => {}
        }
    }
    out.push_all(RuleId::Fear, Effect::Blocked, FEAR, found);
}

// ---------------------------------------------------------------------------------------
// `third-country` — P is not a national of D, and basis is not prisoner_transfer.
// No third_country_notice for D served at least `third_country_notice_days` days before
// `on` in a language P understands. → blocked
// ---------------------------------------------------------------------------------------
pub const THIRD_COUNTRY: &str = "8 U.S.C. § 1231(b)(2)(E); D.V.D. v. DHS (D. Mass. 2025)";

fn third_country(c: &Case<'_>, out: &mut Findings) {
    if c.national_of_d || c.basis == Basis::PrisonerTransfer {
        return;
    }
    let notices = c.records().filter_map(|r| match r {
        Record::ThirdCountryNotice {
            country,
            served,
            language,
        } if *country == c.to => Some((*served, language.as_str())),
        _ => None,
    });
    let what = format!("notice of removal to {}", c.to);
    if let Some(problem) = c.notice_problem(
        &what,
        "third_country_notice_days",
        c.p.third_country_notice_days.at(c.on),
        notices,
    ) {
        out.push(
            RuleId::ThirdCountry,
            Effect::Blocked,
            THIRD_COUNTRY,
            problem,
        );
    }
}

// ---------------------------------------------------------------------------------------
// `alien-enemies` — basis alien_enemies_act. One finding for each unmet condition:
// (a) a designation in force on `on` for one of P's nationalities;
// (b) age known and ≥ `aea_min_age`;
// (c) us_status is none of citizen_by_birth, citizen_naturalized, non_citizen_national,
//     lawful_permanent_resident;
// (d) an aea_designation record on or before `on`;
// (e) an aea_notice served at least `aea_notice_days` days before `on` in a language P
//     understands. → blocked
// ---------------------------------------------------------------------------------------
pub const ALIEN_ENEMIES: &str = "50 U.S.C. § 21; Proclamation 10903; Trump v. J.G.G. (U.S. 2025)";

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
        (Some(age), Some(min)) if age < i64::from(min) => {
            unmet(format!("(b) age {age} on {} is under {min}", c.on))
        }
        _ => {}
    }
    // (c)
    if matches!(
        c.person.us_status,
        UsStatus::CitizenByBirth
            | UsStatus::CitizenNaturalized
            | UsStatus::NonCitizenNational
            | UsStatus::LawfulPermanentResident
    ) {
        unmet(format!("(c) us_status `{}`", c.person.us_status.as_str()));
    }
    // (d)
    if !c
        .records()
        .any(|r| matches!(r, Record::AeaDesignation { .. }))
    {
        unmet(format!(
            "(d) no aea_designation record on or before {}",
            c.on
        ));
    }
    // (e)
    let notices = c.records().filter_map(|r| match r {
        Record::AeaNotice { served, language } => Some((*served, language.as_str())),
        _ => None,
    });
    if let Some(problem) = c.notice_problem(
        "Alien Enemies Act notice",
        "aea_notice_days",
        c.p.aea_notice_days.at(c.on),
        notices,
    ) {
        unmet(format!("(e) {problem}"));
    }
}

// ---------------------------------------------------------------------------------------
// `prisoner-transfer` — basis prisoner_transfer.
// P is not a national of D; or no transfer_consent for D on or before `on` that is not
// withdrawn; or no conviction record. → blocked
// ---------------------------------------------------------------------------------------
pub const PRISONER_TRANSFER: &str =
    "18 U.S.C. §§ 4100–4115; Convention on the Transfer of Sentenced Persons (ETS 112) art. 3";

fn prisoner_transfer(c: &Case<'_>, out: &mut Findings) {
    if c.basis != Basis::PrisonerTransfer {
        return;
    }
    let mut unmet = Vec::new();
    if !c.national_of_d {
        unmet.push(format!(
            "not a national of {} (nationalities: {})",
            c.to,
            list(&c.person.nationalities)
        ));
    }
    let consent = c.records().any(|r| matches!(r, Record::TransferConsent { country, withdrawn: false, .. } if *country == c.to));
    if !consent {
        unmet.push(format!(
            "no unwithdrawn consent to transfer to {} on or before {}",
            c.to, c.on
        ));
    }
    if !c.records().any(|r| matches!(r, Record::Conviction { .. })) {
        unmet.push(format!("no conviction on or before {}", c.on));
    }
    out.push_all(
        RuleId::PrisonerTransfer,
        Effect::Blocked,
        PRISONER_TRANSFER,
        unmet,
    );
}

// ---------------------------------------------------------------------------------------
// `agreement` — a facility is named, or P is not a national of D; and D is not US.
// No agreement in force on `on` for D (and for F, when named) that accepts P's category:
// sentenced_prisoners for basis prisoner_transfer, else nationals when P is a national of D,
// else third_country_nationals. → blocked
// ---------------------------------------------------------------------------------------
pub const AGREEMENT: &str = "the agreement's terms";

fn agreement(c: &Case<'_>, out: &mut Findings) {
    let applies = (c.facility.is_some() || !c.national_of_d) && c.to.as_str() != "US";
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
        a.destination == c.to
            && match (c.facility, &a.facility) {
                (Some(f), Some(af)) => *af == f.id,
                // An agreement naming no facility covers every facility in its destination.
                (_, None) | (None, _) => true,
            }
    };
    let accepted =
        c.p.agreements
            .iter()
            .any(|a| for_place(a) && a.in_force(c.on) && a.accepts.contains(&category));
    if accepted {
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
    for a in c.p.agreements.iter().filter(|a| for_place(a)) {
        let until = a.to.map(|t| format!(" to {t}")).unwrap_or_default();
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
// `minor` — facility named with adult_only true.
// Age < `adult_age` → blocked; age unknown → needs_review
// ---------------------------------------------------------------------------------------
pub const MINOR: &str = "Mandela Rules, rule 11(d); CRC art. 37(c)";

fn minor(c: &Case<'_>, out: &mut Findings) {
    let Some(f) = c.facility.filter(|f| f.adult_only) else {
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
            let born = c
                .person
                .date_of_birth
                .map(|d| format!(" (born {d})"))
                .unwrap_or_default();
            (
                Effect::Blocked,
                format!(
                    "age {age} on {}{born} is under {adult}; facility {} holds adults only",
                    c.on, f.id
                ),
            )
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
// The common terms of legal-rules.md
// ---------------------------------------------------------------------------------------

/// A request as seen on its date `on`, with the common terms computed once.
pub(crate) struct Case<'a> {
    pub req: &'a ScreeningRequest,
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
}

impl<'a> Case<'a> {
    pub fn new(req: &'a ScreeningRequest, p: &'a Params) -> Self {
        let to = req.transfer.destination_country;
        Case {
            req,
            p,
            person: &req.person,
            on: req.on,
            to,
            basis: req.transfer.basis,
            facility: req.transfer.facility.as_ref(),
            age: req.person.date_of_birth.and_then(|dob| age_on(dob, req.on)),
            national_of_d: req.person.nationalities.contains(&to),
        }
    }

    /// The records that exist on `on`: those dated after it do not exist yet.
    pub fn records(&self) -> impl Iterator<Item = &'a Record> + '_ {
        let on = self.on;
        self.req.records.iter().filter(move |r| r.date() <= on)
    }

    /// "A language P understands": a code in `person.languages`.
    fn understands(&self, language: &str) -> bool {
        self.person.languages.iter().any(|l| l == language)
    }

    /// Why no notice among `notices` was "served at least `days` days before `on`" (served
    /// ≤ `on` − days) in a language P understands; `None` when one was.
    fn notice_problem<'n>(
        &self,
        what: &str,
        param: &str,
        days: Option<u32>,
        notices: impl Iterator<Item = (Date, &'n str)>,
    ) -> Option<String> {
        let Some(days) = days else {
            return Some(format!("parameter `{param}` has no value on {}", self.on));
        };
        let deadline = self
            .on
            .saturating_sub(jiff::Span::new().days(i64::from(days)));
        let mut reasons = Vec::new();
        for (served, language) in notices {
            let in_time = served <= deadline;
            let understood = self.understands(language);
            if in_time && understood {
                return None;
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
        let languages = if self.person.languages.is_empty() {
            "no language recorded for the person".to_owned()
        } else {
            format!("person understands {}", self.person.languages.join(", "))
        };
        let mut d = format!(
            "no {what} served on or before {deadline} ({days} days before {}) in a language the person understands ({languages})",
            self.on
        );
        for r in reasons {
            d.push_str("; ");
            d.push_str(&r);
        }
        Some(d)
    }
}

/// Age in whole years on `on`. A birthday on `on` counts; someone born on 29 February turns a
/// year older on 1 March in common years (comparing (month, day) pairs gives exactly that).
/// `None` when born after `on`.
pub fn age_on(dob: Date, on: Date) -> Option<i64> {
    if dob > on {
        return None;
    }
    let mut age = i64::from(on.year()) - i64::from(dob.year());
    if (on.month(), on.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    Some(age)
}

fn list(countries: &[CountryCode]) -> String {
    if countries.is_empty() {
        return "none recorded".to_owned();
    }
    let v: Vec<&str> = countries.iter().map(|c| c.as_str()).collect();
    v.join(", ")
}

/// The findings of one decision, in the order the rules push them.
pub(crate) struct Findings(pub Vec<Finding>);

impl Findings {
    fn push(&mut self, rule: RuleId, effect: Effect, citation: &'static str, detail: String) {
        self.0.push(Finding {
            rule,
            effect,
            citation: citation.into(),
            detail,
        });
    }

    /// One finding resting on every record in `details`; none when `details` is empty.
    fn push_all(
        &mut self,
        rule: RuleId,
        effect: Effect,
        citation: &'static str,
        details: Vec<String>,
    ) {
        if !details.is_empty() {
            self.push(rule, effect, citation, details.join("; "));
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
        assert_eq!(age_on(date(2007, 5, 5), date(2025, 5, 5)), Some(18));
        assert_eq!(age_on(date(2007, 5, 6), date(2025, 5, 5)), Some(17));
        assert_eq!(age_on(date(2004, 2, 29), date(2022, 2, 28)), Some(17));
        assert_eq!(age_on(date(2004, 2, 29), date(2022, 3, 1)), Some(18));
        assert_eq!(age_on(date(2004, 2, 29), date(2024, 2, 29)), Some(20));
        assert_eq!(age_on(date(2025, 5, 6), date(2025, 5, 5)), None);
    }
}
