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
