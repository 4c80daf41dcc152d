//! Every worked example of `shared/spec/examples/screening.jsonl` must give the outcome and,
//! for each rule, the strongest effect listed in `screening.expected.jsonl`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use custodia_rules::{Params, RuleId, parse_requests, screen};
use serde_json::Value;

fn spec(name: &str) -> String {
    let path = format!(
        "{}/../../../shared/spec/examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn worked_examples_give_the_expected_decisions() {
    let requests = parse_requests(&spec("screening.jsonl")).unwrap();
    let expected: Vec<Value> = spec("screening.expected.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(requests.len(), expected.len());
    assert!(requests.len() >= 14);
    for (req, want) in requests.iter().zip(&expected) {
        let got = screen(req, Params::builtin());
        assert_eq!(got.id, want["id"].as_str().unwrap());
        assert_eq!(
            got.outcome.as_str(),
            want["outcome"].as_str().unwrap(),
            "{}: {got:#?}",
            got.id
        );
        // The expected file lists each rule once, with its strongest effect.
        let mut strongest: BTreeMap<&str, &str> = BTreeMap::new();
        for f in &got.findings {
            let e = strongest
                .entry(f.rule.as_str())
                .or_insert(f.effect.as_str());
            if f.effect.as_str() == "blocked" {
                *e = "blocked";
            }
        }
        let wanted: BTreeMap<&str, &str> = want["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["rule"].as_str().unwrap(), f["effect"].as_str().unwrap()))
            .collect();
        assert_eq!(strongest, wanted, "{}: {got:#?}", got.id);
        // Findings come in the order of the rules table.
        let order: Vec<RuleId> = got.findings.iter().map(|f| f.rule).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "{}", got.id);
        for f in &got.findings {
            assert!(!f.detail.is_empty() && !f.citation.is_empty());
        }
    }
}

#[test]
fn example_decision_has_the_contract_shape() {
    let requests = parse_requests(&spec("screening.jsonl")).unwrap();
    let d = screen(&requests[1], Params::builtin());
    let v = serde_json::to_value(&d).unwrap();
    let text = serde_json::to_string(&d).unwrap();
    let prefix = format!(
        r#"{{"id":"withholding-to-el-salvador","outcome":"blocked","rules_version":"{}","findings":[{{"rule":"protection","effect":"blocked","citation":"#,
        Params::builtin().rules_version
    );
    assert!(text.starts_with(&prefix), "{text}");
    assert_eq!(
        v["findings"][0],
        serde_json::json!({
            "rule": "protection",
            "effect": "blocked",
            "citation": "8 U.S.C. § 1231(b)(3); 8 C.F.R. §§ 208.16–208.17, 1208.16–1208.18; Convention Against Torture art. 3",
            "detail": "withholding of removal to SV granted 2019-10-10"
        })
    );
    assert_eq!(v["rules_version"], Params::builtin().rules_version.as_str());
    let back: custodia_rules::Decision = serde_json::from_value(v).unwrap();
    assert_eq!(back, d);
}

// ---------------------------------------------------------------------------------------
// Worked cases from the text of legal-rules.md (version 2), one test each.
// ---------------------------------------------------------------------------------------

/// A removal of a Salvadoran into CECOT on 2025-06-02 with a final order, plus `records`,
/// with `person` and `transfer` patched.
fn spec_case(person: Value, records: Value, transfer: Value, on: &str) -> Vec<String> {
    let mut req = serde_json::json!({
        "id": "spec", "on": on,
        "person": {"id": "P", "date_of_birth": "1988-07-30", "nationalities": ["SV"],
                   "us_status": "undocumented", "languages": ["es"], "identity_verified": true},
        "records": [{"type": "removal_order", "date": "2025-01-15", "final": true}],
        "transfer": {"basis": "removal", "destination_country": "SV", "facility": {"id": "CECOT", "adult_only": true}}
    });
    for (k, v) in person.as_object().unwrap() {
        req["person"][k] = v.clone();
    }
    for (k, v) in transfer.as_object().unwrap() {
        if v.is_null() {
            req["transfer"].as_object_mut().unwrap().remove(k);
        } else {
            req["transfer"][k] = v.clone();
        }
    }
    req["records"]
        .as_array_mut()
        .unwrap()
        .extend(records.as_array().unwrap().iter().cloned());
    let d = screen(
        &custodia_rules::parse_request(&req.to_string()).unwrap(),
        Params::builtin(),
    );
    d.findings
        .iter()
        .map(|f| format!("{}:{}", f.rule.as_str(), f.effect.as_str()))
        .collect()
}

use serde_json::json;

#[test]
fn spec_a_habeas_petition_later_denied_is_one_record_in_two_versions() {
    let v = |status: &str, as_of: Option<&str>| {
        let mut r =
            json!({"type": "habeas_petition", "id": "H", "filed": "2025-04-01", "status": status});
        if let Some(a) = as_of {
            r["as_of"] = json!(a);
        }
        r
    };
    let none: Vec<String> = Vec::new();
    assert_eq!(
        spec_case(
            json!({}),
            json!([v("pending", None), v("denied", Some("2025-05-01"))]),
            json!({}),
            "2025-06-02"
        ),
        none
    );
    // The denial entered after `on` does not exist yet for that decision.
    assert_eq!(
        spec_case(
            json!({}),
            json!([v("pending", None), v("denied", Some("2025-06-03"))]),
            json!({}),
            "2025-06-02"
        ),
        ["habeas:needs_review"]
    );
}

#[test]
fn spec_a_grant_later_terminated_no_longer_protects() {
    let w = |terminated: bool, as_of: &str| json!({"type": "cat_protection", "id": "C", "country": "SV", "date": "2020-01-01", "kind": "deferral", "terminated": terminated, "as_of": as_of});
    assert_eq!(
        spec_case(
            json!({}),
            json!([w(false, "2020-01-01")]),
            json!({}),
            "2025-06-02"
        ),
        ["protection:blocked"]
    );
    assert!(
        spec_case(
            json!({}),
            json!([w(false, "2020-01-01"), w(true, "2025-05-01")]),
            json!({}),
            "2025-06-02"
        )
        .is_empty()
    );
}

#[test]
fn spec_a_consent_verified_then_withdrawn_still_counts() {
    let records = json!([
        {"type": "conviction", "date": "2023-01-10", "offense": "robbery", "severity": "felony", "violent": true},
        {"type": "transfer_consent", "id": "K", "country": "SV", "date": "2025-04-01", "verified": "2025-04-20"},
        {"type": "transfer_consent", "id": "K", "country": "SV", "date": "2025-04-01", "verified": "2025-04-20", "withdrawn": true, "as_of": "2025-05-02"}
    ]);
    assert!(
        spec_case(
            json!({}),
            records,
            json!({"basis": "prisoner_transfer", "facility": null}),
            "2025-06-02"
        )
        .is_empty()
    );
}

#[test]
fn spec_es_and_upper_case_es_are_the_same_language() {
    let records = json!([{"type": "third_country_notice", "country": "SV", "served": "2025-05-01", "language": "ES"}]);
    assert!(
        spec_case(
            json!({"nationalities": ["HN"], "languages": ["es"]}),
            records,
            json!({}),
            "2025-06-02"
        )
        .is_empty()
    );
}

#[test]
fn spec_born_29_february_is_a_year_older_on_1_march() {
    let minor = |on| {
        spec_case(
            json!({"date_of_birth": "2008-02-29"}),
            json!([]),
            json!({}),
            on,
        )
    };
    assert_eq!(minor("2026-02-28"), ["minor:blocked"]);
    assert!(minor("2026-03-01").is_empty());
}

#[test]
fn spec_the_guatemala_aca_was_suspended_in_2021() {
    let records = |on: &str| {
        json!([
            {"type": "third_country_notice", "country": "GT", "served": "2019-01-01", "language": "es"},
            {"type": "aca_threshold_screening", "country": "GT", "date": on, "outcome": "negative"}
        ])
    };
    let aca = |on: &str| {
        spec_case(
            json!({"nationalities": ["HN"]}),
            records(on),
            json!({"basis": "asylum_cooperative", "destination_country": "GT", "facility": null}),
            on,
        )
    };
    assert!(aca("2021-02-06").is_empty());
    assert_eq!(aca("2021-02-07"), ["safe-third-country:blocked"]);
}

#[test]
fn spec_no_removal_inside_the_fear_review_window() {
    let fear = |screened: &str| {
        spec_case(
            json!({}),
            json!([
                {"type": "fear_claim", "country": "SV", "date": "2025-05-01"},
                {"type": "fear_screening", "country": "SV", "date": screened, "outcome": "negative"}
            ]),
            json!({}),
            "2025-06-02",
        )
    };
    // 7 days: dated less than 7 days before `on` blocks; exactly 7 days does not.
    assert_eq!(fear("2025-05-27"), ["fear:blocked"]);
    assert!(fear("2025-05-26").is_empty());
}

#[test]
fn spec_a_final_denaturalization_lifts_alien_enemies_c() {
    let records = |final_: bool| {
        json!([
            {"type": "denaturalization", "date": "2025-03-01", "final": final_},
            {"type": "aea_designation", "date": "2025-04-01"},
            {"type": "aea_notice", "served": "2025-05-01", "language": "es"},
            {"type": "third_country_notice", "country": "SV", "served": "2025-05-01", "language": "es"}
        ])
    };
    let aea = |final_| {
        spec_case(
            json!({"nationalities": ["VE"], "us_status": "citizen_naturalized"}),
            records(final_),
            json!({"basis": "alien_enemies_act"}),
            "2025-06-02",
        )
    };
    assert!(aea(true).is_empty());
    assert_eq!(aea(false), ["citizenship:blocked", "alien-enemies:blocked"]);
}

#[test]
fn spec_a_prisoner_transfer_needs_a_treaty_in_force_with_d() {
    let records = json!([
        {"type": "conviction", "date": "2000-01-10", "offense": "robbery", "severity": "felony", "violent": true},
        {"type": "transfer_consent", "country": "SV", "date": "2007-01-01", "verified": "2007-01-02"}
    ]);
    let t = |on| {
        spec_case(
            json!({}),
            records.clone(),
            json!({"basis": "prisoner_transfer", "facility": null}),
            on,
        )
    };
    // El Salvador deposited on 2007-12-18.
    assert_eq!(t("2007-12-17"), ["prisoner-transfer:blocked"]);
    assert!(t("2007-12-18").is_empty());
}
