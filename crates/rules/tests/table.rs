//! The rules as a table of cases, through one `check` helper: every rule, every boundary date
//! and combinations of rules.
//!
//! Each case starts from a base request that is eligible (a Salvadoran with a final removal
//! order, removed to SV into CECOT on 2025-06-30) and changes what the case is about.
//! `expect` lists the findings as `rule:effect`, in order (`review` for `needs_review`);
//! empty means eligible.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia_rules::{
    Decision, Params, citations, earliest_date, parse_request, screen, screen_with_earliest_date,
};
use serde_json::{Value, json};

struct Case {
    name: &'static str,
    req: Value,
    detail_has: Vec<&'static str>,
}

fn base(name: &'static str) -> Case {
    Case {
        name,
        req: json!({
            "id": name,
            "on": "2025-06-30",
            "person": {"id": "P-1", "date_of_birth": "1990-01-01", "nationalities": ["SV"],
                       "us_status": "undocumented", "languages": ["es"], "identity_verified": true},
            "records": [{"type": "removal_order", "date": "2025-01-10", "final": true}],
            "transfer": {"basis": "removal", "destination_country": "SV",
                         "facility": {"id": "CECOT", "adult_only": true}}
        }),
        detail_has: Vec::new(),
    }
}

impl Case {
    fn on(mut self, on: &str) -> Self {
        self.req["on"] = json!(on);
        self
    }
    /// Merges keys into `person` (`null` removes one).
    fn person(mut self, patch: Value) -> Self {
        merge(&mut self.req["person"], patch);
        self
    }
    /// Merges keys into `transfer` (`null` removes one).
    fn transfer(mut self, patch: Value) -> Self {
        merge(&mut self.req["transfer"], patch);
        self
    }
    /// Replaces the records.
    fn records(mut self, records: Value) -> Self {
        self.req["records"] = records;
        self
    }
    /// Adds records to the base's final order.
    fn with(mut self, records: Value) -> Self {
        let list = self.req["records"].as_array_mut().unwrap();
        list.extend(records.as_array().unwrap().iter().cloned());
        self
    }
    fn detail(mut self, s: &'static str) -> Self {
        self.detail_has.push(s);
        self
    }
}

fn merge(target: &mut Value, patch: Value) {
    let t = target.as_object_mut().unwrap();
    for (k, v) in patch.as_object().unwrap() {
        if v.is_null() {
            t.remove(k);
        } else {
            t.insert(k.clone(), v.clone());
        }
    }
}

fn check(case: Case, expect: &str) -> Decision {
    check_with(case, expect, Params::builtin())
}

fn check_with(case: Case, expect: &str, params: &Params) -> Decision {
    let req = parse_request(&case.req.to_string()).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let d = screen(&req, params);
    let got: Vec<String> = d
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f.rule.as_str(),
                if f.effect.as_str() == "blocked" {
                    "blocked"
                } else {
                    "review"
                }
            )
        })
        .collect();
    let want: Vec<&str> = expect.split_whitespace().collect();
    assert_eq!(got, want, "case `{}`: {:#?}", case.name, d.findings);
    let outcome = if want.iter().any(|w| w.ends_with(":blocked")) {
        "blocked"
    } else if want.is_empty() {
        "eligible"
    } else {
        "needs_review"
    };
    assert_eq!(d.outcome.as_str(), outcome, "case `{}`", case.name);
    let details: Vec<&str> = d.findings.iter().map(|f| f.detail.as_str()).collect();
    for s in &case.detail_has {
        assert!(
            details.iter().any(|d| d.contains(s)),
            "case `{}`: no detail mentions `{s}`: {details:#?}",
            case.name
        );
    }
    for f in &d.findings {
        assert!(
            citations(f.rule.as_str(), f.effect.as_str()).contains(&f.citation.as_ref()),
            "case `{}`: citation of {f:?}",
            case.name
        );
    }
    assert_eq!(d.rules_version, params.rules_version);
    d
}

/// The citations a rule's rows give (a finding carries the one of its row).
fn citations(rule: &str, effect: &str) -> Vec<&'static str> {
    match (rule, effect) {
        ("citizenship", _) => vec![citations::CITIZENSHIP, citations::CITIZENSHIP_CLAIM],
        ("status-protection", "blocked") => vec![citations::STATUS_PROTECTION_BLOCKED],
        ("status-protection", _) => vec![citations::STATUS_PROTECTION_REVIEW],
        ("final-order", _) => vec![citations::FINAL_ORDER],
        ("protection", _) => vec![citations::PROTECTION],
        ("court-order", _) => vec![citations::COURT_ORDER],
        ("habeas", _) => vec![citations::HABEAS],
        ("fear", _) => vec![citations::FEAR],
        ("third-country", _) => vec![citations::THIRD_COUNTRY],
        ("alien-enemies", _) => vec![citations::ALIEN_ENEMIES],
        ("prisoner-transfer", _) => vec![citations::PRISONER_TRANSFER],
        ("agreement", _) => vec![citations::AGREEMENT],
        ("safe-third-country", _) => vec![citations::SAFE_THIRD_COUNTRY],
        ("minor", _) => vec![citations::MINOR],
        ("identity", _) => vec![citations::IDENTITY],
        (other, _) => panic!("unknown rule {other}"),
    }
}

#[test]
fn citations_are_those_of_the_table() {
    let table = include_str!("../../../../shared/spec/legal-rules.md");
    for c in [
        citations::CITIZENSHIP,
        citations::CITIZENSHIP_CLAIM,
        citations::STATUS_PROTECTION_BLOCKED,
        citations::STATUS_PROTECTION_REVIEW,
        citations::FINAL_ORDER,
        citations::PROTECTION,
        citations::COURT_ORDER,
        citations::HABEAS,
        citations::FEAR,
        citations::THIRD_COUNTRY,
        citations::ALIEN_ENEMIES,
        citations::PRISONER_TRANSFER,
        citations::AGREEMENT,
        citations::SAFE_THIRD_COUNTRY,
        citations::MINOR,
        citations::IDENTITY,
    ] {
        assert!(
            table.contains(&format!("| {c} |")),
            "citation not in legal-rules.md: {c}"
        );
    }
}

#[test]
fn base_case_is_eligible() {
    check(base("base"), "");
}

#[test]
fn citizenship() {
    check(
        base("born citizen").person(json!({"us_status": "citizen_by_birth"})),
        "citizenship:blocked",
    );
    check(
        base("national").person(json!({"us_status": "non_citizen_national"})),
        "citizenship:blocked",
    );
    let nat = || base("naturalized").person(json!({"us_status": "citizen_naturalized"}));
    check(nat(), "citizenship:blocked");
    check(
        nat().with(json!([{"type": "denaturalization", "date": "2025-06-30", "final": true}])),
        "",
    );
    check(
        nat()
            .with(json!([{"type": "denaturalization", "date": "2025-07-01", "final": true}]))
            .detail("no final denaturalization"),
        "citizenship:blocked",
    );
    check(
        nat()
            .with(json!([{"type": "denaturalization", "date": "2025-01-01", "final": false}]))
            .detail("2025-01-01 is not final"),
        "citizenship:blocked",
    );
    check(
        base("permanent resident").person(json!({"us_status": "lawful_permanent_resident"})),
        "",
    );
}

#[test]
fn final_order() {
    check(
        base("no order")
            .records(json!([]))
            .detail("no final removal order on or before 2025-06-30"),
        "final-order:blocked",
    );
    check(
        base("order not final")
            .records(json!([{"type": "removal_order", "date": "2025-01-10", "final": false}])),
        "final-order:blocked",
    );
    check(
        base("order on the day")
            .records(json!([{"type": "removal_order", "date": "2025-06-30", "final": true}])),
        "",
    );
    check(
        base("order the day after")
            .records(json!([{"type": "removal_order", "date": "2025-07-01", "final": true}])),
        "final-order:blocked",
    );
    // Only removals need a final order.
    check(
        base("aea needs no order")
            .records(json!([]))
            .transfer(json!({"basis": "alien_enemies_act"})),
        "alien-enemies:blocked alien-enemies:blocked alien-enemies:blocked",
    );
}

#[test]
fn protection() {
    let w = |country: &str, date: &str| json!([{"type": "withholding_of_removal", "country": country, "date": date}]);
    check(
        base("withholding")
            .with(w("SV", "2019-10-10"))
            .detail("withholding of removal to SV granted 2019-10-10"),
        "protection:blocked",
    );
    check(
        base("withholding on the day").with(w("SV", "2025-06-30")),
        "protection:blocked",
    );
    check(
        base("withholding the day after").with(w("SV", "2025-07-01")),
        "",
    );
    check(
        base("withholding elsewhere").with(w("HN", "2019-10-10")),
        "",
    );
    check(
        base("withholding terminated")
            .with(json!([{"type": "withholding_of_removal", "country": "SV", "date": "2019-10-10", "terminated": true}])),
        "",
    );
    check(
        base("cat deferral")
            .with(json!([{"type": "cat_protection", "country": "SV", "date": "2020-02-02", "kind": "deferral"}]))
            .detail("CAT deferral of removal to SV granted 2020-02-02"),
        "protection:blocked",
    );
    check(
        base("cat withholding terminated").with(json!([{"type": "cat_protection", "country": "SV", "date": "2020-02-02",
                                                        "kind": "withholding", "terminated": true}])),
        "",
    );
}

#[test]
fn court_order() {
    let stay = |v: Value| base("stay").with(json!([v]));
    check(
        stay(json!({"type": "stay", "issued": "2025-06-01", "scope": "all_removals"}))
            .detail("with no expiry"),
        "court-order:blocked",
    );
    check(
        stay(json!({"type": "stay", "issued": "2025-06-01", "expires": "2025-06-30", "scope": "all_removals"}))
            .detail("until 2025-06-30"),
        "court-order:blocked",
    );
    check(
        stay(
            json!({"type": "stay", "issued": "2025-06-01", "expires": "2025-06-29", "scope": "all_removals"}),
        ),
        "",
    );
    check(
        stay(json!({"type": "stay", "issued": "2025-06-30", "scope": "all_removals"})),
        "court-order:blocked",
    );
    check(
        stay(json!({"type": "stay", "issued": "2025-07-01", "scope": "all_removals"})),
        "",
    );
    check(
        stay(json!({"type": "stay", "issued": "2025-06-01", "scope": "country", "country": "SV"}))
            .detail("stay of removal to SV"),
        "court-order:blocked",
    );
    check(
        stay(json!({"type": "stay", "issued": "2025-06-01", "scope": "country", "country": "HN"})),
        "",
    );
}

#[test]
fn habeas() {
    let h = |status: &str, filed: &str| json!([{"type": "habeas_petition", "filed": filed, "status": status}]);
    check(
        base("pending")
            .with(h("pending", "2025-06-01"))
            .detail("filed 2025-06-01"),
        "habeas:review",
    );
    check(
        base("pending on the day").with(h("pending", "2025-06-30")),
        "habeas:review",
    );
    check(
        base("pending the day after").with(h("pending", "2025-07-01")),
        "",
    );
    check(base("denied").with(h("denied", "2025-06-01")), "");
    check(base("granted").with(h("granted", "2025-06-01")), "");
    check(
        aea("pending under the AEA").with(h("pending", "2025-06-01")),
        "habeas:blocked",
    );
    check(
        base("pending for a prisoner transfer")
            .transfer(json!({"basis": "prisoner_transfer"}))
            .records(json!([{"type": "conviction", "date": "2020-01-01", "offense": "fraud", "severity": "felony", "violent": false},
                            {"type": "transfer_consent", "country": "SV", "date": "2025-05-01", "verified": "2025-05-02"},
                            {"type": "habeas_petition", "filed": "2025-06-01", "status": "pending"}])),
        "habeas:review",
    );
}

#[test]
fn fear() {
    let claim = json!({"type": "fear_claim", "country": "SV", "date": "2025-06-01"});
    let s = |date: &str, outcome: &str| json!({"type": "fear_screening", "country": "SV", "date": date, "outcome": outcome});
    check(
        base("claim unscreened")
            .with(json!([claim]))
            .detail("made 2025-06-01 has no screening"),
        "fear:blocked",
    );
    check(
        base("claim negative").with(json!([claim, s("2025-06-10", "negative")])),
        "",
    );
    check(
        base("claim positive")
            .with(json!([claim, s("2025-06-10", "positive")]))
            .detail("2025-06-10, is positive"),
        "fear:blocked",
    );
    check(
        base("screening before the claim").with(json!([claim, s("2025-05-31", "negative")])),
        "fear:blocked",
    );
    check(
        base("screening the day of the claim").with(json!([claim, s("2025-06-01", "negative")])),
        "",
    );
    check(
        base("negative screening on `on`: inside the review window")
            .with(json!([claim, s("2025-06-30", "negative")]))
            .detail("less than 7 days"),
        "fear:blocked",
    );
    check(
        base("screening after `on`").with(json!([claim, s("2025-07-01", "negative")])),
        "fear:blocked",
    );
    check(
        base("negative then positive").with(json!([
            claim,
            s("2025-06-05", "negative"),
            s("2025-06-10", "positive")
        ])),
        "fear:blocked",
    );
    check(
        base("positive then negative").with(json!([
            claim,
            s("2025-06-10", "negative"),
            s("2025-06-05", "positive")
        ])),
        "",
    );
    check(
        base("same-day split").with(json!([
            claim,
            s("2025-06-10", "negative"),
            s("2025-06-10", "positive")
        ])),
        "fear:blocked",
    );
    check(
        base("screening for another country")
            .with(json!([claim, {"type": "fear_screening", "country": "HN", "date": "2025-06-10", "outcome": "negative"}])),
        "fear:blocked",
    );
    check(
        base("claim about another country")
            .with(json!([{"type": "fear_claim", "country": "HN", "date": "2025-06-01"}])),
        "",
    );
    check(
        base("claim the day after")
            .with(json!([{"type": "fear_claim", "country": "SV", "date": "2025-07-01"}])),
        "",
    );
    check(
        base("second claim unscreened")
            .with(json!([claim, s("2025-06-10", "negative"), {"type": "fear_claim", "country": "SV", "date": "2025-06-15"}]))
            .detail("made 2025-06-15"),
        "fear:blocked",
    );
}

/// A Honduran removed to El Salvador: a third-country removal.
fn honduran(name: &'static str) -> Case {
    base(name).person(json!({"nationalities": ["HN"]}))
}

fn notice(served: &str, language: &str) -> Value {
    json!([{"type": "third_country_notice", "country": "SV", "served": served, "language": language}])
}

#[test]
fn third_country() {
    check(
        honduran("no notice").detail("no notice of removal to SV served on or before 2025-06-20"),
        "third-country:blocked",
    );
    check(
        honduran("exactly 10 days").with(notice("2025-06-20", "es")),
        "",
    );
    check(
        honduran("9 days")
            .with(notice("2025-06-21", "es"))
            .detail("only 9 days before 2025-06-30"),
        "third-country:blocked",
    );
    check(
        honduran("served on `on`").with(notice("2025-06-30", "es")),
        "third-country:blocked",
    );
    check(
        honduran("served after `on`").with(notice("2025-07-01", "es")),
        "third-country:blocked",
    );
    check(
        honduran("language not understood")
            .with(notice("2025-06-01", "en"))
            .detail("`en` is not a language the person understands"),
        "third-country:blocked",
    );
    check(
        honduran("no languages")
            .person(json!({"languages": []}))
            .with(notice("2025-06-01", "es"))
            .detail("no language recorded"),
        "third-country:blocked",
    );
    check(
        honduran("second language")
            .person(json!({"languages": ["es", "en"]}))
            .with(notice("2025-06-01", "en")),
        "",
    );
    check(
        honduran("notice for another country")
            .with(json!([{"type": "third_country_notice", "country": "GT", "served": "2025-06-01", "language": "es"}])),
        "third-country:blocked",
    );
    check(
        honduran("one good notice among bad")
            .with(notice("2025-06-29", "es"))
            .with(notice("2025-06-01", "es")),
        "",
    );
    check(
        base("dual national").person(json!({"nationalities": ["HN", "SV"]})),
        "",
    );
}

/// A Venezuelan removed to El Salvador under the Alien Enemies Act with every condition met.
fn aea(name: &'static str) -> Case {
    base(name)
        .person(json!({"nationalities": ["VE"], "date_of_birth": "2000-05-05"}))
        .transfer(json!({"basis": "alien_enemies_act"}))
        .records(json!([
            {"type": "aea_designation", "date": "2025-05-01"},
            {"type": "aea_notice", "served": "2025-06-09", "language": "es"},
            {"type": "third_country_notice", "country": "SV", "served": "2025-06-01", "language": "es"}
        ]))
}

#[test]
fn alien_enemies() {
    check(aea("aea, all met, notice exactly 21 days"), "");
    let no_notice = |name| {
        aea(name).records(json!([
            {"type": "aea_designation", "date": "2025-05-01"},
            {"type": "third_country_notice", "country": "SV", "served": "2025-06-01", "language": "es"}
        ]))
    };
    check(
        no_notice("notice 20 days")
            .with(json!([{"type": "aea_notice", "served": "2025-06-10", "language": "es"}]))
            .detail("(e)"),
        "alien-enemies:blocked",
    );
    check(
        no_notice("notice in english")
            .with(json!([{"type": "aea_notice", "served": "2025-06-01", "language": "en"}])),
        "alien-enemies:blocked",
    );
    check(
        no_notice("notice after `on`")
            .with(json!([{"type": "aea_notice", "served": "2025-07-01", "language": "es"}])),
        "alien-enemies:blocked",
    );
    check(
        aea("not designated")
            .person(json!({"nationalities": ["CO"]}))
            .detail(
                "(a) no Alien Enemies Act designation in force on 2025-06-30 for nationality CO",
            ),
        "alien-enemies:blocked",
    );
    check(
        aea("dual VE national").person(json!({"nationalities": ["CO", "VE"]})),
        "",
    );
    check(
        aea("13 years old")
            .person(json!({"date_of_birth": "2011-07-01"}))
            .transfer(json!({"facility": null}))
            .detail("(b) age 13"),
        "alien-enemies:blocked",
    );
    check(
        aea("14 today")
            .person(json!({"date_of_birth": "2011-06-30"}))
            .transfer(json!({"facility": null})),
        "",
    );
    check(
        aea("born after `on`")
            .person(json!({"date_of_birth": "2025-07-01"}))
            .transfer(json!({"facility": null}))
            .detail("(b) date of birth 2025-07-01 is after 2025-06-30"),
        "alien-enemies:blocked",
    );
    check(
        aea("age unknown")
            .person(json!({"date_of_birth": null}))
            .detail("(b) age unknown"),
        "alien-enemies:blocked minor:review",
    );
    check(
        aea("permanent resident")
            .person(json!({"us_status": "lawful_permanent_resident"}))
            .detail("(c)"),
        "alien-enemies:blocked",
    );
    check(
        aea("naturalized").person(json!({"us_status": "citizen_naturalized"})),
        "citizenship:blocked alien-enemies:blocked",
    );
    check(
        aea("refugee").person(json!({"us_status": "refugee"})),
        "status-protection:review",
    );
    check(
        aea("no designation record").records(json!([
            {"type": "aea_notice", "served": "2025-06-09", "language": "es"},
            {"type": "third_country_notice", "country": "SV", "served": "2025-06-01", "language": "es"}
        ])).detail("(d)"),
        "alien-enemies:blocked",
    );
    check(
        aea("designation record after `on`").with(json!([])).records(json!([
            {"type": "aea_designation", "date": "2025-07-01"},
            {"type": "aea_notice", "served": "2025-06-09", "language": "es"},
            {"type": "third_country_notice", "country": "SV", "served": "2025-06-01", "language": "es"}
        ])),
        "alien-enemies:blocked",
    );
    check(
        aea("before the designation")
            .on("2025-03-13")
            .records(json!([])),
        {
            "third-country:blocked alien-enemies:blocked alien-enemies:blocked alien-enemies:blocked agreement:blocked"
        },
    );
    // Every condition unmet: five findings, in the order (a)..(e).
    let d = check(
        base("nothing met")
            .person(json!({"nationalities": ["CO"], "date_of_birth": null, "us_status": "lawful_permanent_resident"}))
            .transfer(json!({"basis": "alien_enemies_act"}))
            .records(json!([])),
        "third-country:blocked alien-enemies:blocked alien-enemies:blocked alien-enemies:blocked alien-enemies:blocked alien-enemies:blocked minor:review",
    );
    let tags: Vec<&str> = d
        .findings
        .iter()
        .skip(1)
        .take(5)
        .map(|f| &f.detail[..3])
        .collect();
    assert_eq!(tags, ["(a)", "(b)", "(c)", "(d)", "(e)"]);
}

/// A Salvadoran prisoner transferred to El Salvador with consent and a conviction.
fn prisoner(name: &'static str) -> Case {
    base(name).transfer(json!({"basis": "prisoner_transfer"})).records(json!([
        {"type": "conviction", "date": "2020-01-01", "offense": "fraud", "severity": "felony", "violent": false, "sentence_months": 60},
        {"type": "transfer_consent", "country": "SV", "date": "2025-05-01", "verified": "2025-05-10"}
    ]))
}

#[test]
fn prisoner_transfer() {
    check(prisoner("complete"), "");
    let conviction = json!({"type": "conviction", "date": "2020-01-01", "offense": "fraud", "severity": "felony", "violent": false});
    check(
        prisoner("no consent")
            .records(json!([conviction]))
            .detail("(c) no consent to transfer to SV verified"),
        "prisoner-transfer:blocked",
    );
    check(
        prisoner("withdrawn").records(json!([conviction, {"type": "transfer_consent", "country": "SV", "date": "2025-05-01", "withdrawn": true}])),
        "prisoner-transfer:blocked",
    );
    check(prisoner("consent elsewhere").records(json!([conviction, {"type": "transfer_consent", "country": "HN", "date": "2025-05-01"}])), "prisoner-transfer:blocked");
    check(prisoner("consent verified on `on`").records(json!([conviction, {"type": "transfer_consent", "country": "SV", "date": "2025-06-30", "verified": "2025-06-30"}])), "");
    check(prisoner("consent after `on`").records(json!([conviction, {"type": "transfer_consent", "country": "SV", "date": "2025-07-01", "verified": "2025-07-01"}])), "prisoner-transfer:blocked");
    check(prisoner("consent verified after `on`").records(json!([conviction, {"type": "transfer_consent", "country": "SV", "date": "2025-06-01", "verified": "2025-07-01"}])).detail("verified only on 2025-07-01"), "prisoner-transfer:blocked");
    check(prisoner("consent unverified").records(json!([conviction, {"type": "transfer_consent", "country": "SV", "date": "2025-06-01"}])).detail("consent of 2025-06-01 is not verified"), "prisoner-transfer:blocked");
    check(prisoner("verified, then withdrawn in the same record").records(json!([conviction, {"type": "transfer_consent", "country": "SV", "date": "2025-06-01", "verified": "2025-06-02", "withdrawn": true}])), "");
    check(
        prisoner("no conviction")
            .records(json!([{"type": "transfer_consent", "country": "SV", "date": "2025-05-01", "verified": "2025-05-01"}]))
            .detail("(d) no conviction"),
        "prisoner-transfer:blocked",
    );
    check(
        prisoner("conviction after `on`").records(json!([
            {"type": "conviction", "date": "2025-07-01", "offense": "fraud", "severity": "misdemeanor", "violent": false},
            {"type": "transfer_consent", "country": "SV", "date": "2025-05-01", "verified": "2025-05-01"}])),
        "prisoner-transfer:blocked",
    );
    // Not a national: blocked by this rule, and no third-country notice is asked for.
    check(
        prisoner("not a national")
            .person(json!({"nationalities": ["HN"]}))
            .detail("not a national of SV"),
        "prisoner-transfer:blocked",
    );
    // Every condition unmet: one finding each, in the order (a)..(d).
    let d = check(
        prisoner("nothing")
            .person(json!({"nationalities": ["GT"]}))
            .transfer(json!({"destination_country": "HN", "facility": null}))
            .records(json!([])),
        "prisoner-transfer:blocked prisoner-transfer:blocked prisoner-transfer:blocked prisoner-transfer:blocked agreement:blocked",
    );
    let tags: Vec<&str> = d.findings.iter().take(4).map(|f| &f.detail[..3]).collect();
    assert_eq!(tags, ["(a)", "(b)", "(c)", "(d)"]);
}

#[test]
fn agreement() {
    check(
        base("day before the agreement")
            .on("2025-03-14")
            .detail("US-SV-2025 is in force from 2025-03-15"),
        "agreement:blocked",
    );
    check(base("first day of the agreement").on("2025-03-15"), "");
    check(
        base("no facility, national")
            .on("2025-03-14")
            .transfer(json!({"facility": null})),
        "",
    );
    check(
        honduran("no facility, third-country national")
            .on("2025-03-14")
            .transfer(json!({"facility": null}))
            .with(notice("2025-03-01", "es")),
        "agreement:blocked",
    );
    check(
        honduran("third-country national in CECOT").with(notice("2025-06-01", "es")),
        "",
    );
    check(
        base("other facility")
            .transfer(json!({"facility": {"id": "MARIONA", "adult_only": true}}))
            .detail("SV and facility MARIONA"),
        "agreement:blocked",
    );
    check(
        base("destination with no agreement")
            .person(json!({"nationalities": ["GT"]}))
            .transfer(json!({"destination_country": "GT"})),
        "agreement:blocked",
    );
    check(
        base("national, no facility, no agreement")
            .person(json!({"nationalities": ["GT"]}))
            .transfer(json!({"destination_country": "GT", "facility": null})),
        "",
    );
    // Transfers to the United States need no agreement.
    check(
        honduran("to the US")
            .transfer(json!({"destination_country": "US", "facility": {"id": "FCI-1", "adult_only": true}}))
            .with(json!([{"type": "third_country_notice", "country": "US", "served": "2025-06-01", "language": "es"}])),
        "",
    );
    check(prisoner("prisoner before the agreement").on("2025-03-14").records(json!([
        {"type": "conviction", "date": "2020-01-01", "offense": "fraud", "severity": "felony", "violent": false},
        {"type": "transfer_consent", "country": "SV", "date": "2025-03-01", "verified": "2025-03-02"}])), "agreement:blocked");
}

#[test]
fn agreement_categories_come_from_the_params() {
    let text = custodia_rules::DEFAULT_PARAMS_TOML.replace(
        r#"accepts = ["nationals", "third_country_nationals", "sentenced_prisoners"]"#,
        r#"accepts = ["nationals"]"#,
    );
    let p = Params::from_toml_str(&text).unwrap();
    check_with(base("nationals accepted"), "", &p);
    check_with(
        honduran("third-country nationals refused")
            .with(notice("2025-06-01", "es"))
            .detail("accepting third_country_nationals"),
        "agreement:blocked",
        &p,
    );
    check_with(
        prisoner("prisoners refused").detail("accepting sentenced_prisoners"),
        "agreement:blocked",
        &p,
    );
    // An agreement that ended the day before `on` is not in force; one ending on `on` is.
    let ended = |to: &str| {
        Params::from_toml_str(&custodia_rules::DEFAULT_PARAMS_TOML.replace(
            "from = 2025-03-15",
            &format!("from = 2025-03-15\nto = {to}"),
        ))
        .unwrap()
    };
    check_with(
        base("agreement ended"),
        "agreement:blocked",
        &ended("2025-06-29"),
    );
    check_with(base("agreement ends today"), "", &ended("2025-06-30"));
}

#[test]
fn minor() {
    check(
        base("18 today").person(json!({"date_of_birth": "2007-06-30"})),
        "",
    );
    check(
        base("18 tomorrow")
            .person(json!({"date_of_birth": "2007-07-01"}))
            .detail("age 17 on 2025-06-30 (born 2007-07-01) is under 18"),
        "minor:blocked",
    );
    let leap = || base("born 29 February").person(json!({"date_of_birth": "2008-02-29"}));
    check(leap().on("2026-02-28"), "minor:blocked");
    check(leap().on("2026-03-01"), "");
    check(
        base("born 29 February, leap year")
            .person(json!({"date_of_birth": "2004-02-29"}))
            .on("2022-02-28"),
        "final-order:blocked agreement:blocked minor:blocked",
    );
    check(
        base("age unknown")
            .person(json!({"date_of_birth": null}))
            .detail("age unknown"),
        "minor:review",
    );
    check(
        base("facility not adult-only")
            .person(json!({"date_of_birth": "2010-01-01"}))
            .transfer(json!({"destination_country": "SV", "facility": {"id": "IZALCO", "adult_only": false}})),
        "agreement:blocked",
    );
    check(
        base("adult_only absent, facility of no agreement")
            .person(json!({"date_of_birth": "2010-01-01"}))
            .transfer(json!({"facility": {"id": "IZALCO"}})),
        "agreement:blocked",
    );
    // CECOT is adult only in the agreement's terms, whatever the request says.
    check(
        base("CECOT with adult_only false")
            .person(json!({"date_of_birth": "2010-01-01"}))
            .transfer(json!({"facility": {"id": "CECOT", "adult_only": false}}))
            .detail("facility CECOT holds adults only"),
        "minor:blocked",
    );
    check(
        base("CECOT, adult_only absent, age unknown")
            .person(json!({"date_of_birth": null}))
            .transfer(json!({"facility": {"id": "CECOT"}})),
        "minor:review",
    );
    check(
        base("no facility")
            .person(json!({"date_of_birth": "2010-01-01"}))
            .transfer(json!({"facility": null})),
        "",
    );
    // A date of birth after `on` is a date, not a missing one: the age in whole years is
    // negative, under `adult_age` (legal-rules.md: age is unknown only when the date is
    // missing), and the detail says what is wrong with it.
    check(
        base("born after `on`")
            .person(json!({"date_of_birth": "2025-07-01"}))
            .detail("date of birth 2025-07-01 is after 2025-06-30"),
        "minor:blocked",
    );
    check(
        base("born the day before `on`").person(json!({"date_of_birth": "2025-06-29"})),
        "minor:blocked",
    );
}

#[test]
fn identity() {
    check(
        base("unverified")
            .person(json!({"identity_verified": false}))
            .detail("P-1"),
        "identity:review",
    );
    check(
        base("verification absent").person(json!({"identity_verified": null})),
        "identity:review",
    );
}

#[test]
fn combinations() {
    check(
        base("everything at once")
            .person(json!({"identity_verified": false}))
            .with(json!([
                {"type": "withholding_of_removal", "country": "SV", "date": "2019-10-10"},
                {"type": "stay", "issued": "2025-06-01", "scope": "all_removals"},
                {"type": "habeas_petition", "filed": "2025-06-01", "status": "pending"},
                {"type": "fear_claim", "country": "SV", "date": "2025-06-01"}
            ])),
        "protection:blocked court-order:blocked habeas:review fear:blocked identity:review",
    );
    check(
        base("two reviews").person(json!({"identity_verified": false, "date_of_birth": null})),
        "minor:review identity:review",
    );
    check(
        honduran("minor without notice or agreement")
            .on("2025-03-01")
            .person(json!({"date_of_birth": "2010-01-01"})),
        "third-country:blocked agreement:blocked minor:blocked",
    );
    check(
        base("citizen for a prisoner transfer")
            .person(json!({"us_status": "citizen_by_birth", "nationalities": ["US"]}))
            .transfer(json!({"basis": "prisoner_transfer"})),
        "citizenship:blocked prisoner-transfer:blocked prisoner-transfer:blocked prisoner-transfer:blocked",
    );
    // Records dated after `on` are ignored by every rule at once.
    check(
        base("future records").records(json!([
            {"type": "removal_order", "date": "2025-01-10", "final": true},
            {"type": "withholding_of_removal", "country": "SV", "date": "2025-07-01"},
            {"type": "cat_protection", "country": "SV", "date": "2025-07-01", "kind": "deferral"},
            {"type": "stay", "issued": "2025-07-01", "scope": "all_removals"},
            {"type": "habeas_petition", "filed": "2025-07-01", "status": "pending"},
            {"type": "fear_claim", "country": "SV", "date": "2025-07-01"}
        ])),
        "",
    );
}

#[test]
fn parameters_change_outcomes_and_version() {
    let fourteen = Params::from_toml_str(
        &custodia_rules::DEFAULT_PARAMS_TOML.replace("value = 10 }", "value = 14 }"),
    )
    .unwrap();
    assert_ne!(fourteen.rules_version, Params::builtin().rules_version);
    check(
        honduran("10 days, default").with(notice("2025-06-20", "es")),
        "",
    );
    check_with(
        honduran("10 days, 14 required")
            .with(notice("2025-06-20", "es"))
            .detail("(14 days before 2025-06-30)"),
        "third-country:blocked",
        &fourteen,
    );
    check_with(
        honduran("14 days, 14 required").with(notice("2025-06-16", "es")),
        "",
        &fourteen,
    );

    // A value that starts on a date: before it the older value applies.
    let dated = Params::from_toml_str(&custodia_rules::DEFAULT_PARAMS_TOML.replace(
        "values = [{ from = 1900-01-01, value = 18 }]",
        "values = [{ from = 1900-01-01, value = 18 }, { from = 2025-07-01, value = 21 }]",
    ))
    .unwrap();
    check_with(
        base("19 on 2025-06-30").person(json!({"date_of_birth": "2006-01-01"})),
        "",
        &dated,
    );
    check_with(
        base("19 on 2025-07-01")
            .on("2025-07-01")
            .person(json!({"date_of_birth": "2006-01-01"})),
        "minor:blocked",
        &dated,
    );

    // A designation that ended: (a) unmet after its `to`.
    let ended = Params::from_toml_str(
        &custodia_rules::DEFAULT_PARAMS_TOML
            .replace("from = 2025-03-14", "from = 2025-03-14\nto = 2025-06-29"),
    )
    .unwrap();
    check_with(aea("designation ended"), "alien-enemies:blocked", &ended);

    // No value in force on `on`: the rules that need it cannot be satisfied.
    let late = Params::from_toml_str(
        &custodia_rules::DEFAULT_PARAMS_TOML
            .replace(
                "values = [{ from = 1900-01-01, value = 10 }]",
                "values = [{ from = 2026-01-01, value = 10 }]",
            )
            .replace(
                "values = [{ from = 1900-01-01, value = 18 }]",
                "values = [{ from = 2026-01-01, value = 18 }]",
            ),
    )
    .unwrap();
    check_with(
        honduran("no notice period yet")
            .with(notice("2025-06-01", "es"))
            .detail("parameter `third_country_notice_days`"),
        "third-country:blocked minor:review",
        &late,
    );
}

// ---------------------------------------------------------------------------------------
// Version 2 of legal-rules.md
// ---------------------------------------------------------------------------------------

#[test]
fn citizenship_v2() {
    check(
        base("US among nationalities")
            .person(json!({"nationalities": ["SV", "US"]}))
            .detail("`US` is among the person's nationalities"),
        "citizenship:blocked",
    );
    let denat = |name, date: &str| {
        base(name)
            .person(json!({"nationalities": ["SV", "US"], "us_status": "citizen_naturalized"}))
            .with(json!([{"type": "denaturalization", "date": date, "final": true}]))
    };
    check(denat("denaturalized, US still listed", "2025-06-30"), "");
    check(
        denat("denaturalized after `on`", "2025-07-01"),
        "citizenship:blocked",
    );
    check(
        base("denaturalization not final, US listed")
            .person(json!({"nationalities": ["SV", "US"], "us_status": "citizen_naturalized"}))
            .with(json!([{"type": "denaturalization", "date": "2025-01-01", "final": false}])),
        "citizenship:blocked",
    );
    // A final denaturalization does not matter to someone who never naturalized.
    check(
        base("US listed, undocumented, a denaturalization on file")
            .person(json!({"nationalities": ["SV", "US"]}))
            .with(json!([{"type": "denaturalization", "date": "2025-01-01", "final": true}])),
        "citizenship:blocked",
    );
    let claim = |status: &str, date: &str| json!({"type": "citizenship_claim", "date": date, "status": status});
    check(
        base("claim pending")
            .with(json!([claim("pending", "2025-06-01")]))
            .detail("claim to US citizenship made 2025-06-01 is pending"),
        "citizenship:blocked",
    );
    check(
        base("claim established").with(json!([claim("established", "2025-06-01")])),
        "citizenship:blocked",
    );
    check(
        base("claim rejected").with(json!([claim("rejected", "2025-06-01")])),
        "",
    );
    check(
        base("claim made on `on`").with(json!([claim("pending", "2025-06-30")])),
        "citizenship:blocked",
    );
    check(
        base("claim made after `on`").with(json!([claim("pending", "2025-07-01")])),
        "",
    );
    // Both rows: two findings of one rule, each with its own citation.
    let d = check(
        base("citizen with a pending claim")
            .person(json!({"us_status": "citizen_by_birth"}))
            .with(json!([claim("pending", "2025-06-01")])),
        "citizenship:blocked citizenship:blocked",
    );
    assert_eq!(d.findings[0].citation, citations::CITIZENSHIP);
    assert_eq!(d.findings[1].citation, citations::CITIZENSHIP_CLAIM);
    // Versions: rejected later, then established on appeal.
    let v = |status: &str, as_of: &str| json!({"type": "citizenship_claim", "id": "CC1", "date": "2025-05-20", "status": status, "as_of": as_of});
    check(
        base("claim rejected later").with(json!([
            claim("pending", "2025-05-20")
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("id".into(), json!("CC1"));
                    o
                })
                .unwrap(),
            v("rejected", "2025-05-28")
        ])),
        "",
    );
    check(
        base("claim rejected after `on`").with(json!([
            v("pending", "2025-05-20"),
            v("rejected", "2025-07-01")
        ])),
        "citizenship:blocked",
    );
    check(
        base("claim rejected, then established").with(json!([
            v("pending", "2025-05-20"),
            v("rejected", "2025-05-28"),
            v("established", "2025-06-15")
        ])),
        "citizenship:blocked",
    );
}

#[test]
fn status_protection() {
    check(
        base("asylee")
            .person(json!({"us_status": "asylee"}))
            .detail("asylee"),
        "status-protection:blocked",
    );
    check(
        base("tps").person(json!({"us_status": "tps"})),
        "status-protection:blocked",
    );
    let d = check(
        base("refugee").person(json!({"us_status": "refugee"})),
        "status-protection:review",
    );
    assert_eq!(d.findings[0].citation, citations::STATUS_PROTECTION_REVIEW);
    for other in [
        "lawful_permanent_resident",
        "parolee",
        "visa_holder",
        "undocumented",
    ] {
        check(
            base("no protected status").person(json!({"us_status": other})),
            "",
        );
    }
    // A prisoner transfer is the person's own request: the status does not bar it.
    for status in ["asylee", "tps", "refugee"] {
        check(
            prisoner("prisoner transfer of a protected status")
                .person(json!({"us_status": status})),
            "",
        );
    }
    check(
        base("asylee under an asylum cooperative agreement")
            .person(json!({"us_status": "asylee"}))
            .transfer(json!({"basis": "asylum_cooperative", "destination_country": "GT", "facility": null}))
            .on("2020-06-01"),
        "status-protection:blocked third-country:blocked safe-third-country:blocked",
    );
}

/// A habeas petition in versions (`id` H1), each `(status, as_of)`.
fn habeas_versions(name: &'static str, versions: &[(&str, Option<&str>)]) -> Case {
    let list: Vec<Value> = versions
        .iter()
        .map(|(status, as_of)| {
            let mut v = json!({"type": "habeas_petition", "id": "H1", "filed": "2025-04-01", "status": status});
            if let Some(a) = as_of {
                v["as_of"] = json!(a);
            }
            v
        })
        .collect();
    base(name).with(Value::Array(list))
}

#[test]
fn record_versions() {
    check(
        habeas_versions("one version", &[("pending", None)]),
        "habeas:review",
    );
    check(
        habeas_versions(
            "denied later",
            &[("pending", None), ("denied", Some("2025-05-15"))],
        ),
        "",
    );
    check(
        habeas_versions(
            "denial entered after `on`",
            &[("pending", None), ("denied", Some("2025-07-01"))],
        ),
        "habeas:review",
    );
    check(
        habeas_versions(
            "denial entered on `on`",
            &[("pending", None), ("denied", Some("2025-06-30"))],
        ),
        "",
    );
    // The latest `as_of` counts wherever it sits in `records`.
    check(
        habeas_versions(
            "latest first",
            &[("denied", Some("2025-05-15")), ("pending", None)],
        ),
        "",
    );
    check(
        habeas_versions(
            "pending again on appeal",
            &[
                ("pending", None),
                ("denied", Some("2025-05-15")),
                ("pending", Some("2025-06-01")),
            ],
        ),
        "habeas:review",
    );
    // A tie on `as_of`: the later in `records` counts.
    check(
        habeas_versions(
            "tie, denied last",
            &[
                ("pending", Some("2025-05-15")),
                ("denied", Some("2025-05-15")),
            ],
        ),
        "",
    );
    check(
        habeas_versions(
            "tie, pending last",
            &[
                ("denied", Some("2025-05-15")),
                ("pending", Some("2025-05-15")),
            ],
        ),
        "habeas:review",
    );
    // Without `as_of` a version is entered on its own date (`filed`).
    check(
        habeas_versions(
            "no as_of: the filing date",
            &[("denied", Some("2025-03-31")), ("pending", None)],
        ),
        "habeas:review",
    );
    check(
        habeas_versions(
            "no as_of: a tie with the filing date",
            &[("pending", None), ("denied", Some("2025-04-01"))],
        ),
        "",
    );
    // Records without an id are each their own record.
    check(
        base("no ids").with(json!([
            {"type": "habeas_petition", "filed": "2025-04-01", "status": "pending"},
            {"type": "habeas_petition", "filed": "2025-04-01", "status": "denied", "as_of": "2025-05-15"}
        ])),
        "habeas:review",
    );
    // The same id on another type is another record.
    check(
        habeas_versions("same id, other type", &[("pending", None)])
            .with(json!([{"type": "citizenship_claim", "id": "H1", "date": "2025-04-01", "status": "rejected", "as_of": "2025-05-01"}])),
        "habeas:review",
    );
    // Two records with different ids do not supersede each other.
    check(
        habeas_versions("other id", &[("pending", None)])
            .with(json!([{"type": "habeas_petition", "id": "H2", "filed": "2025-04-01", "status": "denied", "as_of": "2025-05-01"}])),
        "habeas:review",
    );
    // Protection: terminated later, then reinstated.
    let w = |terminated: bool, as_of: Option<&str>| {
        let mut v = json!({"type": "withholding_of_removal", "id": "W1", "country": "SV", "date": "2019-10-10", "terminated": terminated});
        if let Some(a) = as_of {
            v["as_of"] = json!(a);
        }
        v
    };
    check(
        base("withholding").with(json!([w(false, None)])),
        "protection:blocked",
    );
    check(
        base("withholding terminated later")
            .with(json!([w(false, None), w(true, Some("2025-03-01"))])),
        "",
    );
    check(
        base("withholding reinstated").with(json!([
            w(false, None),
            w(true, Some("2025-03-01")),
            w(false, Some("2025-04-01"))
        ])),
        "protection:blocked",
    );
    check(
        base("termination entered after `on`")
            .with(json!([w(false, None), w(true, Some("2025-07-01"))])),
        "protection:blocked",
    );
    // A version entered on or before `on` whose own date is after `on` does not exist yet:
    // here the stay's corrected issue date is in the future.
    check(
        base("stay corrected to a later issue date").with(json!([
            {"type": "stay", "id": "S1", "issued": "2025-06-01", "scope": "all_removals"},
            {"type": "stay", "id": "S1", "issued": "2025-07-15", "scope": "all_removals", "as_of": "2025-06-20"}
        ])),
        "",
    );
    // Versions resolve the final order too: an order no longer final counts as not final.
    check(
        base("final order reopened").records(json!([
            {"type": "removal_order", "id": "R1", "date": "2025-01-10", "final": true},
            {"type": "removal_order", "id": "R1", "date": "2025-01-10", "final": false, "as_of": "2025-05-01"}
        ])),
        "final-order:blocked",
    );
}

#[test]
fn fear_v2() {
    let claim = json!({"type": "fear_claim", "country": "SV", "date": "2025-06-01"});
    let s = |date: &str, outcome: &str| json!({"type": "fear_screening", "country": "SV", "date": date, "outcome": outcome});
    let r = |date: &str, outcome: &str| json!({"type": "fear_review", "country": "SV", "date": date, "outcome": outcome});
    // `on` is 2025-06-30 and fear_review_days 7: blocked while the screening is after 06-23.
    check(
        base("negative 7 days before").with(json!([claim, s("2025-06-23", "negative")])),
        "",
    );
    check(
        base("negative 6 days before")
            .with(json!([claim, s("2025-06-24", "negative")]))
            .detail("negative screening of 2025-06-24 is less than 7 days"),
        "fear:blocked",
    );
    check(
        base("affirmed on review").with(json!([
            claim,
            s("2025-06-28", "negative"),
            r("2025-06-29", "affirmed")
        ])),
        "",
    );
    check(
        base("affirmed the same day").with(json!([
            claim,
            s("2025-06-28", "negative"),
            r("2025-06-28", "affirmed")
        ])),
        "",
    );
    check(
        base("vacated on review")
            .with(json!([
                claim,
                s("2025-06-10", "negative"),
                r("2025-06-12", "vacated")
            ]))
            .detail("vacated on review 2025-06-12"),
        "fear:blocked",
    );
    check(
        base("vacated, window long past").with(json!([
            claim,
            s("2025-05-01", "negative"),
            r("2025-06-29", "vacated")
        ])),
        "fear:blocked",
    );
    // A review tie: the vacated one wins, wherever it sits.
    check(
        base("review tie, vacated last").with(json!([
            claim,
            s("2025-06-10", "negative"),
            r("2025-06-12", "affirmed"),
            r("2025-06-12", "vacated")
        ])),
        "fear:blocked",
    );
    check(
        base("review tie, vacated first").with(json!([
            claim,
            s("2025-06-10", "negative"),
            r("2025-06-12", "vacated"),
            r("2025-06-12", "affirmed")
        ])),
        "fear:blocked",
    );
    // The latest review counts.
    check(
        base("vacated, then affirmed").with(json!([
            claim,
            s("2025-06-10", "negative"),
            r("2025-06-12", "vacated"),
            r("2025-06-20", "affirmed")
        ])),
        "",
    );
    // A review must be dated on or after the screening, and on or before `on`.
    check(
        base("review before the screening").with(json!([
            claim,
            s("2025-06-28", "negative"),
            r("2025-06-20", "affirmed")
        ])),
        "fear:blocked",
    );
    check(
        base("vacated review before the screening").with(json!([
            claim,
            s("2025-06-10", "negative"),
            r("2025-06-05", "vacated")
        ])),
        "",
    );
    check(
        base("review after `on`").with(json!([
            claim,
            s("2025-06-28", "negative"),
            r("2025-07-01", "affirmed")
        ])),
        "fear:blocked",
    );
    check(
        base("review about another country")
            .with(json!([claim, s("2025-06-10", "negative"), {"type": "fear_review", "country": "HN", "date": "2025-06-12", "outcome": "vacated"}])),
        "",
    );
    // A screening tie: the positive one wins, wherever it sits.
    check(
        base("screening tie, positive first").with(json!([
            claim,
            s("2025-06-10", "positive"),
            s("2025-06-10", "negative")
        ])),
        "fear:blocked",
    );
    // A new negative screening after a vacated review starts a new window.
    check(
        base("screened again after vacatur").with(json!([
            claim,
            s("2025-06-01", "negative"),
            r("2025-06-05", "vacated"),
            s("2025-06-20", "negative")
        ])),
        "",
    );
    check(
        base("fear_review_days from the params").with(json!([claim, s("2025-06-27", "negative")])),
        "fear:blocked",
    );
    let fourteen = Params::from_toml_str(
        &custodia_rules::DEFAULT_PARAMS_TOML.replace("value = 7 }", "value = 3 }"),
    )
    .unwrap();
    check_with(
        base("three review days").with(json!([claim, s("2025-06-27", "negative")])),
        "",
        &fourteen,
    );
}

#[test]
fn third_country_v2() {
    // The final order designates countries: a national of D is sent to a third country when
    // D is not among them.
    let order = |date: &str, countries: Value| json!({"type": "removal_order", "date": date, "final": true, "countries": countries});
    check(
        base("designates HN only")
            .records(json!([order("2025-01-10", json!(["HN"]))]))
            .detail("the final order of 2025-01-10 designates HN"),
        "third-country:blocked",
    );
    check(
        base("designates HN and SV").records(json!([order("2025-01-10", json!(["HN", "SV"]))])),
        "",
    );
    check(
        base("designates nothing").records(json!([order("2025-01-10", json!([]))])),
        "",
    );
    check(
        base("designates HN, notice given")
            .records(json!([order("2025-01-10", json!(["HN"]))]))
            .with(notice("2025-06-01", "es")),
        "",
    );
    // The latest final order designates.
    check(
        base("later order designates SV").records(json!([
            order("2025-01-10", json!(["HN"])),
            order("2025-02-01", json!(["SV"]))
        ])),
        "",
    );
    check(
        base("later order designates HN").records(json!([
            order("2025-02-01", json!(["HN"])),
            order("2025-01-10", json!(["SV"]))
        ])),
        "third-country:blocked",
    );
    check(
        base("later order designates nothing").records(json!([order("2025-01-10", json!(["HN"])), {"type": "removal_order", "date": "2025-02-01", "final": true}])),
        "",
    );
    // A tie on date: the later in `records`.
    check(
        base("tie, HN last").records(json!([
            order("2025-01-10", json!(["SV"])),
            order("2025-01-10", json!(["HN"]))
        ])),
        "third-country:blocked",
    );
    check(
        base("tie, SV last").records(json!([
            order("2025-01-10", json!(["HN"])),
            order("2025-01-10", json!(["SV"]))
        ])),
        "",
    );
    // Orders that are not final, or not yet made, designate nothing.
    check(
        base("order not final").with(json!([{"type": "removal_order", "date": "2025-02-01", "final": false, "countries": ["HN"]}])),
        "",
    );
    check(
        base("order after `on`").with(json!([order("2025-07-01", json!(["HN"]))])),
        "",
    );
    // So does `agreement`: a Guatemalan sent to GT against an order designating HN.
    check(
        base("national, order elsewhere, no agreement")
            .person(json!({"nationalities": ["GT"]}))
            .transfer(json!({"destination_country": "GT", "facility": null}))
            .records(json!([order("2025-01-10", json!(["HN"]))]))
            .with(json!([{"type": "third_country_notice", "country": "GT", "served": "2025-06-01", "language": "es"},
                         {"type": "acceptance", "country": "GT", "date": "2025-06-01"}])),
        "agreement:blocked",
    );
    // Language codes compare without regard to case.
    check(
        honduran("notice `ES`, person `es`").with(notice("2025-06-01", "ES")),
        "",
    );
    check(
        honduran("notice `es`, person `Es`")
            .person(json!({"languages": ["Es"]}))
            .with(notice("2025-06-01", "es")),
        "",
    );
    check(
        honduran("notice `es-SV`, person `es`").with(notice("2025-06-01", "es-SV")),
        "third-country:blocked",
    );
    // A third country for a prisoner transfer needs no notice.
    check(
        prisoner("prisoner transfer against the order")
            .with(json!([order("2025-01-10", json!(["HN"]))])),
        "",
    );
}

#[test]
fn acceptance() {
    let to_gt = |name| {
        honduran(name)
            .transfer(json!({"destination_country": "GT", "facility": null}))
            .with(json!([{"type": "third_country_notice", "country": "GT", "served": "2025-06-01", "language": "es"}]))
    };
    let acc = |country: &str, date: &str| json!([{"type": "acceptance", "country": country, "date": date}]);
    check(
        to_gt("no acceptance").detail("no acceptance by GT on or before 2025-06-30"),
        "agreement:blocked",
    );
    check(to_gt("accepted").with(acc("GT", "2025-06-10")), "");
    check(to_gt("accepted on `on`").with(acc("GT", "2025-06-30")), "");
    check(
        to_gt("accepted after `on`").with(acc("GT", "2025-07-01")),
        "agreement:blocked",
    );
    check(
        to_gt("accepted by another country").with(acc("SV", "2025-06-10")),
        "agreement:blocked",
    );
    // A named facility needs an agreement covering it.
    check(
        to_gt("facility named")
            .transfer(json!({"facility": {"id": "PAVON", "adult_only": false}}))
            .with(acc("GT", "2025-06-10")),
        "agreement:blocked",
    );
    // A national's acceptance is not the question.
    check(
        base("national to GT with a facility")
            .person(json!({"nationalities": ["GT"]}))
            .transfer(json!({"destination_country": "GT", "facility": {"id": "PAVON", "adult_only": false}}))
            .with(acc("GT", "2025-06-10")),
        "agreement:blocked",
    );
    // An acceptance withdrawn later is not an acceptance: versions apply here too.
    check(
        to_gt("acceptance entered after `on`")
            .with(json!([{"type": "acceptance", "id": "A1", "country": "GT", "date": "2025-06-10", "as_of": "2025-07-02"}])),
        "agreement:blocked",
    );
}

#[test]
fn alien_enemies_v2() {
    check(
        aea("naturalized, denaturalized")
            .person(json!({"us_status": "citizen_naturalized"}))
            .with(json!([{"type": "denaturalization", "date": "2025-03-01", "final": true}])),
        "",
    );
    check(
        aea("denaturalization not final")
            .person(json!({"us_status": "citizen_naturalized"}))
            .with(json!([{"type": "denaturalization", "date": "2025-03-01", "final": false}]))
            .detail("(c) a US citizen or national"),
        "citizenship:blocked alien-enemies:blocked",
    );
    check(
        aea("US among nationalities").person(json!({"nationalities": ["VE", "US"]})),
        "citizenship:blocked alien-enemies:blocked",
    );
    check(
        aea("notice language `ES`").person(json!({"languages": ["ES"]})),
        "",
    );
    // A class-wide stay blocks like a stay of all removals.
    check(
        aea("class stay").with(json!([{"type": "stay", "issued": "2025-04-10", "scope": "class", "class": "Venezuelans subject to Proclamation 10903 in the district", "court": "S.D. Tex.", "docket": "1:25-cv-59"}]))
            .detail("S.D. Tex. No. 1:25-cv-59"),
        "court-order:blocked",
    );
}

#[test]
fn court_order_v2() {
    let class = |issued: &str, expires: Option<&str>| {
        let mut v = json!({"type": "stay", "issued": issued, "scope": "class", "class": "detainees at Bluebonnet"});
        if let Some(e) = expires {
            v["expires"] = json!(e);
        }
        json!([v])
    };
    check(
        base("class stay")
            .with(class("2025-06-01", None))
            .detail("class-wide stay of removals (detainees at Bluebonnet)"),
        "court-order:blocked",
    );
    check(
        base("class stay issued on `on`").with(class("2025-06-30", None)),
        "court-order:blocked",
    );
    check(
        base("class stay issued after `on`").with(class("2025-07-01", None)),
        "",
    );
    check(
        base("class stay expires on `on`").with(class("2025-06-01", Some("2025-06-30"))),
        "court-order:blocked",
    );
    check(
        base("class stay expired").with(class("2025-06-01", Some("2025-06-29"))),
        "",
    );
    let district = |issued: &str, expires: Option<&str>| {
        let mut v = json!({"type": "stay", "issued": issued, "scope": "no_transfer_out_of_district", "district": "D. Mass.", "docket": "1:25-cv-10676"});
        if let Some(e) = expires {
            v["expires"] = json!(e);
        }
        json!([v])
    };
    check(
        base("no transfer out of district")
            .with(district("2025-06-01", None))
            .detail("order against transfer out of D. Mass. (destination SV), No. 1:25-cv-10676"),
        "court-order:blocked",
    );
    check(
        base("district order expired").with(district("2025-06-01", Some("2025-06-29"))),
        "",
    );
    check(
        base("district order issued after `on`").with(district("2025-07-01", None)),
        "",
    );
    check(
        honduran("district order, transfer inside the US")
            .transfer(json!({"destination_country": "US", "facility": null}))
            .with(district("2025-06-01", None))
            .with(json!([{"type": "third_country_notice", "country": "US", "served": "2025-06-01", "language": "es"}])),
        "",
    );
    check(
        base("court and docket named")
            .with(json!([{"type": "stay", "issued": "2025-06-01", "scope": "all_removals", "court": "D. Mass."}]))
            .detail("stay of all removals, D. Mass., issued 2025-06-01"),
        "court-order:blocked",
    );
}

/// A Salvadoran transferred under a prisoner-transfer treaty on `on`, without a facility.
fn treaty_case(name: &'static str, on: &str, country: &str) -> Case {
    base(name)
        .on(on)
        .person(json!({"nationalities": [country]}))
        .transfer(json!({"basis": "prisoner_transfer", "destination_country": country, "facility": null}))
        .records(json!([
            {"type": "conviction", "date": "1990-01-01", "offense": "fraud", "severity": "felony", "violent": false},
            {"type": "transfer_consent", "country": country, "date": "1990-01-01", "verified": "1990-01-02"}
        ]))
}

#[test]
fn prisoner_transfer_treaties() {
    check(
        treaty_case("SV, the day before deposit", "2007-12-17", "SV").detail("(b) no treaty"),
        "prisoner-transfer:blocked",
    );
    check(
        treaty_case("SV, the day of deposit", "2007-12-18", "SV"),
        "",
    );
    check(treaty_case("GT from 2006-03-01", "2006-03-01", "GT"), "");
    check(
        treaty_case("GT before", "2006-02-28", "GT"),
        "prisoner-transfer:blocked",
    );
    check(
        treaty_case("MX from 2001-06-24, the US's own date", "2001-06-24", "MX"),
        "",
    );
    check(
        treaty_case("MX before the US was bound", "2001-06-23", "MX")
            .detail("and the US from 2001-06-24"),
        "prisoner-transfer:blocked",
    );
    check(treaty_case("CR", "2025-06-30", "CR"), "");
    check(treaty_case("NI", "2025-06-30", "NI"), "");
    check(treaty_case("PA", "2025-06-30", "PA"), "");
    check(treaty_case("EC from 2006-12-21", "2006-12-21", "EC"), "");
    check(
        treaty_case("EC before", "2006-12-20", "EC"),
        "prisoner-transfer:blocked",
    );
    check(
        treaty_case("HN is no party", "2025-06-30", "HN"),
        "prisoner-transfer:blocked",
    );
    // Consent versions: verified, then withdrawn, still counts; withdrawn before any
    // verification never does.
    let consent = |v: Value| {
        treaty_case("consent versions", "2025-06-30", "SV").records(json!([
            {"type": "conviction", "date": "2020-01-01", "offense": "fraud", "severity": "felony", "violent": false}
        ])).with(v)
    };
    check(
        consent(json!([
            {"type": "transfer_consent", "id": "C1", "country": "SV", "date": "2025-04-01", "verified": "2025-04-20"},
            {"type": "transfer_consent", "id": "C1", "country": "SV", "date": "2025-04-01", "verified": "2025-04-20", "withdrawn": true, "as_of": "2025-05-02"}
        ])),
        "",
    );
    check(
        consent(json!([
            {"type": "transfer_consent", "id": "C1", "country": "SV", "date": "2025-04-01"},
            {"type": "transfer_consent", "id": "C1", "country": "SV", "date": "2025-04-01", "withdrawn": true, "as_of": "2025-05-02"}
        ])),
        "prisoner-transfer:blocked",
    );
    check(
        consent(json!([
            {"type": "transfer_consent", "id": "C1", "country": "SV", "date": "2025-04-01"},
            {"type": "transfer_consent", "id": "C1", "country": "SV", "date": "2025-04-01", "verified": "2025-06-01", "as_of": "2025-06-01"}
        ])),
        "",
    );
    check(
        consent(json!([
            {"type": "transfer_consent", "id": "C1", "country": "SV", "date": "2025-04-01"},
            {"type": "transfer_consent", "id": "C1", "country": "SV", "date": "2025-04-01", "verified": "2025-06-01", "as_of": "2025-07-01"}
        ])),
        "prisoner-transfer:blocked",
    );
    // Treaties come from the params: a party's `until` ends it.
    let ended = Params::from_toml_str(&custodia_rules::DEFAULT_PARAMS_TOML.replace(
        r#"{ country = "SV", from = 2007-12-18 }"#,
        r#"{ country = "SV", from = 2007-12-18, until = 2025-06-29 }"#,
    ))
    .unwrap();
    check_with(
        treaty_case("SV denounced", "2025-06-30", "SV"),
        "prisoner-transfer:blocked",
        &ended,
    );
    check_with(treaty_case("SV last day", "2025-06-29", "SV"), "", &ended);
}

/// A Honduran sent to Guatemala under the Asylum Cooperative Agreement on 2020-06-01, with
/// notice and a negative threshold screening.
fn aca(name: &'static str) -> Case {
    honduran(name)
        .on("2020-06-01")
        .transfer(json!({"basis": "asylum_cooperative", "destination_country": "GT", "facility": null}))
        .records(json!([
            {"type": "third_country_notice", "country": "GT", "served": "2020-05-10", "language": "es"},
            {"type": "aca_threshold_screening", "country": "GT", "date": "2020-05-25", "outcome": "negative"}
        ]))
}

#[test]
fn safe_third_country() {
    check(aca("all met"), "");
    let screening = |date: &str, outcome: &str| json!([{"type": "aca_threshold_screening", "country": "GT", "date": date, "outcome": outcome}]);
    check(
        aca("a national of GT")
            .person(json!({"nationalities": ["GT"]}))
            .detail("(a) a national of GT"),
        "safe-third-country:blocked",
    );
    check(
        aca("first day")
            .on("2019-11-19")
            .records(json!([]))
            .with(notice_gt("2019-11-01"))
            .with(screening("2019-11-19", "negative")),
        "",
    );
    check(
        aca("day before")
            .on("2019-11-18")
            .records(json!([]))
            .with(notice_gt("2019-11-01"))
            .with(screening("2019-11-18", "negative"))
            .detail("(b) no agreement in force on 2019-11-18"),
        "safe-third-country:blocked",
    );
    check(
        aca("last day")
            .on("2021-02-06")
            .records(json!([]))
            .with(notice_gt("2021-01-01"))
            .with(screening("2021-02-01", "negative")),
        "",
    );
    check(
        aca("suspended")
            .on("2021-02-07")
            .records(json!([]))
            .with(notice_gt("2021-01-01"))
            .with(screening("2021-02-01", "negative"))
            .detail("US-GT-ACA-2019 is in force from 2019-11-19 to 2021-02-06"),
        "safe-third-country:blocked",
    );
    check(aca("to SV: no ACA").transfer(json!({"destination_country": "SV"})).records(json!([])).with(notice("2020-05-01", "es")).with(json!([{"type": "aca_threshold_screening", "country": "SV", "date": "2020-05-25", "outcome": "negative"}])), "safe-third-country:blocked");
    check(
        aca("no screening")
            .records(json!([]))
            .with(notice_gt("2020-05-10"))
            .detail("(c) no threshold screening"),
        "safe-third-country:blocked",
    );
    check(
        aca("positive").with(screening("2020-05-28", "positive")),
        "safe-third-country:blocked",
    );
    check(
        aca("positive, then negative").with(screening("2020-05-20", "positive")),
        "",
    );
    check(
        aca("tie: positive wins").with(screening("2020-05-25", "positive")),
        "safe-third-country:blocked",
    );
    check(
        aca("screening after `on`").with(screening("2020-06-02", "positive")),
        "",
    );
    check(aca("screening about another country").with(json!([{"type": "aca_threshold_screening", "country": "SV", "date": "2020-05-30", "outcome": "positive"}])), "");
    // Third-country notice still applies; agreement and final-order do not.
    check(
        aca("no notice")
            .records(json!([]))
            .with(screening("2020-05-25", "negative")),
        "third-country:blocked",
    );
    // Every condition unmet: (a), (b), (c).
    let d = check(
        aca("nothing met")
            .on("2022-01-01")
            .person(json!({"nationalities": ["GT"]}))
            .records(json!([])),
        "safe-third-country:blocked safe-third-country:blocked safe-third-country:blocked",
    );
    let tags: Vec<&str> = d.findings.iter().map(|f| &f.detail[..3]).collect();
    assert_eq!(tags, ["(a)", "(b)", "(c)"]);
}

fn notice_gt(served: &str) -> Value {
    json!([{"type": "third_country_notice", "country": "GT", "served": served, "language": "es"}])
}

#[test]
fn agreements_end_and_mark_facilities() {
    // `until` is the agreement's last day in force.
    let until = |d: &str| {
        Params::from_toml_str(&custodia_rules::DEFAULT_PARAMS_TOML.replace(
            "from = 2025-03-15",
            &format!("from = 2025-03-15\nuntil = {d}"),
        ))
        .unwrap()
    };
    check_with(base("last day"), "", &until("2025-06-30"));
    check_with(
        base("ended").detail("US-SV-2025 is in force from 2025-03-15 to 2025-06-29"),
        "agreement:blocked",
        &until("2025-06-29"),
    );
    // A facility not marked adult only in the params: the request's flag decides.
    let not_adult = Params::from_toml_str(
        &custodia_rules::DEFAULT_PARAMS_TOML.replace("adult_only = true", "adult_only = false"),
    )
    .unwrap();
    check_with(
        base("CECOT not adult only in params")
            .person(json!({"date_of_birth": "2010-01-01"}))
            .transfer(json!({"facility": {"id": "CECOT"}})),
        "",
        &not_adult,
    );
    check_with(
        base("request says adult only").person(json!({"date_of_birth": "2010-01-01"})),
        "minor:blocked",
        &not_adult,
    );
    // Marked adult only by any agreement, even one for another destination or not in force.
    check(
        base("CECOT named for GT")
            .person(json!({"nationalities": ["GT"], "date_of_birth": "2010-01-01"}))
            .transfer(json!({"destination_country": "GT", "facility": {"id": "CECOT"}})),
        "agreement:blocked minor:blocked",
    );
    check(
        base("CECOT before the agreement")
            .on("2025-03-01")
            .person(json!({"date_of_birth": "2010-01-01"}))
            .transfer(json!({"facility": {"id": "CECOT"}})),
        "agreement:blocked minor:blocked",
    );
}

// ---------------------------------------------------------------------------------------
// When it becomes lawful (CONTRACT §9)
// ---------------------------------------------------------------------------------------

fn earliest(case: Case, expect: &str, params: &Params) -> Option<String> {
    let req = parse_request(&case.req.to_string()).unwrap();
    let (d, e) = screen_with_earliest_date(&req, params);
    assert_eq!(d, screen(&req, params));
    assert_eq!(e, earliest_date(&req, params));
    let got = e.map(|d| d.to_string());
    assert_eq!(
        got.as_deref().unwrap_or("null"),
        expect,
        "case `{}`: {:#?}",
        case.name,
        d.findings
    );
    got
}

#[test]
fn earliest_date_lifts_only_waiting_periods() {
    let p = Params::builtin();
    earliest(base("eligible: `on` itself"), "2025-06-30", p);
    earliest(
        base("review only").person(json!({"identity_verified": false, "us_status": "refugee"})),
        "2025-06-30",
        p,
    );
    // Third-country notice: 10 days from service.
    earliest(
        honduran("notice 9 days before").with(notice("2025-06-21", "es")),
        "2025-07-01",
        p,
    );
    earliest(
        honduran("notice served on `on`").with(notice("2025-06-30", "es")),
        "2025-07-10",
        p,
    );
    earliest(
        honduran("two notices: the earlier")
            .with(notice("2025-06-29", "es"))
            .with(notice("2025-06-25", "es")),
        "2025-07-05",
        p,
    );
    earliest(honduran("no notice"), "null", p);
    earliest(
        honduran("notice in a language not understood").with(notice("2025-06-25", "en")),
        "null",
        p,
    );
    earliest(
        honduran("notice served after `on`: not a record yet").with(notice("2025-07-01", "es")),
        "null",
        p,
    );
    // Alien Enemies Act notice: 21 days; with the third-country notice, the later of the two.
    let aea_late = |name| {
        aea(name).records(json!([
            {"type": "aea_designation", "date": "2025-05-01"},
            {"type": "aea_notice", "served": "2025-06-20", "language": "es"},
            {"type": "third_country_notice", "country": "SV", "served": "2025-06-25", "language": "es"}
        ]))
    };
    earliest(aea_late("both notices late"), "2025-07-11", p);
    earliest(
        aea_late("and under age")
            .person(json!({"date_of_birth": "2015-01-01"}))
            .transfer(json!({"facility": null})),
        "null",
        p,
    );
    // Fear: a negative screening without review waits fear_review_days.
    let claim = json!({"type": "fear_claim", "country": "SV", "date": "2025-06-01"});
    let s = |date: &str, outcome: &str| json!({"type": "fear_screening", "country": "SV", "date": date, "outcome": outcome});
    earliest(
        base("negative screening 2 days ago").with(json!([claim, s("2025-06-28", "negative")])),
        "2025-07-05",
        p,
    );
    earliest(
        base("negative screening on `on`").with(json!([claim, s("2025-06-30", "negative")])),
        "2025-07-07",
        p,
    );
    earliest(
        base("positive screening").with(json!([claim, s("2025-06-28", "positive")])),
        "null",
        p,
    );
    earliest(base("unscreened claim").with(json!([claim])), "null", p);
    earliest(
        base("vacated on review").with(json!([claim, s("2025-06-20", "negative"), {"type": "fear_review", "country": "SV", "date": "2025-06-25", "outcome": "vacated"}])),
        "null",
        p,
    );
    // Any other blocking finding: no date.
    earliest(base("a stay with an expiry is not a waiting period").with(json!([claim, s("2025-06-28", "negative"), {"type": "stay", "issued": "2025-06-01", "expires": "2025-07-15", "scope": "all_removals"}])), "null", p);
    earliest(
        honduran("minor with late notice")
            .person(json!({"date_of_birth": "2010-01-01"}))
            .with(notice("2025-06-25", "es")),
        "null",
        p,
    );
    // Waiting findings combine with review findings: still a date.
    earliest(
        honduran("late notice, unverified identity")
            .person(json!({"identity_verified": false}))
            .with(notice("2025-06-25", "es")),
        "2025-07-05",
        p,
    );
    // Dated parameters: the notice period grows from 10 to 30 days on 2025-07-01.
    let longer = Params::from_toml_str(&custodia_rules::DEFAULT_PARAMS_TOML.replace(
        "values = [{ from = 1900-01-01, value = 10 }]",
        "values = [{ from = 1900-01-01, value = 10 }, { from = 2025-07-01, value = 30 }]",
    ))
    .unwrap();
    earliest(
        honduran("period grows before the wait ends").with(notice("2025-06-25", "es")),
        "2025-07-25",
        &longer,
    );
    earliest(
        honduran("wait ends before it grows").with(notice("2025-06-15", "es")),
        "2025-06-30",
        &longer,
    );
    // The date found is lawful: screening on it removes every waiting finding.
    for (name, extra) in [
        ("check 1", notice("2025-06-21", "es")),
        ("check 2", notice("2025-06-30", "es")),
    ] {
        let e = earliest(
            honduran(name).with(extra.clone()),
            if name == "check 1" {
                "2025-07-01"
            } else {
                "2025-07-10"
            },
            p,
        )
        .unwrap();
        check(honduran(name).with(extra.clone()).on(&e), "");
        let day_before = jiff::civil::Date::strptime("%Y-%m-%d", &e)
            .unwrap()
            .yesterday()
            .unwrap()
            .to_string();
        check(
            honduran(name).with(extra).on(&day_before),
            "third-country:blocked",
        );
    }
}
