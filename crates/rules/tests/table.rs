//! The rules as a table of cases, through one `check` helper: every rule, every boundary date
//! and combinations of rules.
//!
//! Each case starts from a base request that is eligible (a Salvadoran with a final removal
//! order, removed to SV into CECOT on 2025-06-30) and changes what the case is about.
//! `expect` lists the findings as `rule:effect`, in order (`review` for `needs_review`);
//! empty means eligible.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia_rules::{Decision, Params, citations, parse_request, screen};
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
        assert_eq!(
            f.citation,
            citation(f.rule.as_str()),
            "case `{}`",
            case.name
        );
    }
    assert_eq!(d.rules_version, params.rules_version);
    d
}

fn citation(rule: &str) -> &'static str {
    match rule {
        "citizenship" => citations::CITIZENSHIP,
        "final-order" => citations::FINAL_ORDER,
        "protection" => citations::PROTECTION,
        "court-order" => citations::COURT_ORDER,
        "habeas" => citations::HABEAS,
        "fear" => citations::FEAR,
        "third-country" => citations::THIRD_COUNTRY,
        "alien-enemies" => citations::ALIEN_ENEMIES,
        "prisoner-transfer" => citations::PRISONER_TRANSFER,
        "agreement" => citations::AGREEMENT,
        "minor" => citations::MINOR,
        "identity" => citations::IDENTITY,
        other => panic!("unknown rule {other}"),
    }
}

#[test]
fn citations_are_those_of_the_table() {
    let table = include_str!("../../../../shared/spec/legal-rules.md");
    for c in [
        citations::CITIZENSHIP,
        citations::FINAL_ORDER,
        citations::PROTECTION,
        citations::COURT_ORDER,
        citations::HABEAS,
        citations::FEAR,
        citations::THIRD_COUNTRY,
        citations::ALIEN_ENEMIES,
        citations::PRISONER_TRANSFER,
        citations::AGREEMENT,
        citations::MINOR,
        citations::IDENTITY,
    ] {
        if c != citations::MINOR {
            assert!(
                table.contains(&format!("| {c} |")),
                "citation not in legal-rules.md: {c}"
            );
        }
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
                            {"type": "transfer_consent", "country": "SV", "date": "2025-05-01"},
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
        base("screening on `on`").with(json!([claim, s("2025-06-30", "negative")])),
        "",
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
    check(aea("refugee").person(json!({"us_status": "refugee"})), "");
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
        {"type": "transfer_consent", "country": "SV", "date": "2025-05-01"}
    ]))
}

#[test]
fn prisoner_transfer() {
    check(prisoner("complete"), "");
    let conviction = json!({"type": "conviction", "date": "2020-01-01", "offense": "fraud", "severity": "felony", "violent": false});
    check(
        prisoner("no consent")
            .records(json!([conviction]))
            .detail("no unwithdrawn consent"),
        "prisoner-transfer:blocked",
    );
    check(
        prisoner("withdrawn").records(json!([conviction, {"type": "transfer_consent", "country": "SV", "date": "2025-05-01", "withdrawn": true}])),
        "prisoner-transfer:blocked",
    );
    check(prisoner("consent elsewhere").records(json!([conviction, {"type": "transfer_consent", "country": "HN", "date": "2025-05-01"}])), "prisoner-transfer:blocked");
    check(prisoner("consent on `on`").records(json!([conviction, {"type": "transfer_consent", "country": "SV", "date": "2025-06-30"}])), "");
    check(prisoner("consent after `on`").records(json!([conviction, {"type": "transfer_consent", "country": "SV", "date": "2025-07-01"}])), "prisoner-transfer:blocked");
    check(
        prisoner("no conviction")
            .records(json!([{"type": "transfer_consent", "country": "SV", "date": "2025-05-01"}]))
            .detail("no conviction"),
        "prisoner-transfer:blocked",
    );
    check(
        prisoner("conviction after `on`").records(json!([
            {"type": "conviction", "date": "2025-07-01", "offense": "fraud", "severity": "misdemeanor", "violent": false},
            {"type": "transfer_consent", "country": "SV", "date": "2025-05-01"}])),
        "prisoner-transfer:blocked",
    );
    // Not a national: blocked by this rule, and no third-country notice is asked for.
    check(
        prisoner("not a national")
            .person(json!({"nationalities": ["HN"]}))
            .detail("not a national of SV"),
        "prisoner-transfer:blocked",
    );
    // All three unmet: still one finding naming each.
    let d = check(
        prisoner("nothing")
            .person(json!({"nationalities": ["HN"]}))
            .records(json!([])),
        "prisoner-transfer:blocked",
    );
    assert_eq!(
        d.findings[0].detail.matches("; ").count(),
        2,
        "{}",
        d.findings[0].detail
    );
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
        {"type": "transfer_consent", "country": "SV", "date": "2025-03-01"}])), "agreement:blocked");
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
            .transfer(json!({"facility": {"id": "CECOT", "adult_only": false}})),
        "",
    );
    check(
        base("adult_only absent")
            .person(json!({"date_of_birth": "2010-01-01"}))
            .transfer(json!({"facility": {"id": "CECOT"}})),
        "",
    );
    check(
        base("no facility")
            .person(json!({"date_of_birth": "2010-01-01"}))
            .transfer(json!({"facility": null})),
        "",
    );
    check(
        base("born after `on`").person(json!({"date_of_birth": "2025-07-01"})),
        "minor:review",
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
        "citizenship:blocked prisoner-transfer:blocked",
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
