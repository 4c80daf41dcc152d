#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `custodia locate` (CONTRACT §5) through the real binary.

mod support;

use support::Scratch;

const PERSONS: &str = "person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,status
P-1,Menjívar Ruiz,José Luis,1990-04-12,M,SV,SV,CECOT,in_custody
P-2,Menjívar Ruiz,Carlos,1992-08-01,M,SV,SV,IZALCO,in_custody
P-3,Vásquez Cisneros,Yovani,1988-02-03,M,SV,SV,CECOT,released
P-4,Menjívar Ruiz,Kevin,2010-05-05,M,SV,SV,IZALCO,in_custody
P-5,Hernández,Ana,1979-11-30,F,HN,HN,CECOT,in_custody
";

fn world(name: &str) -> Scratch {
    let w = Scratch::new(name);
    // A minor (P-4) is never held in adult-only CECOT: he is at IZALCO.
    w.facility("CECOT", "SV", true);
    w.facility("IZALCO", "SV", false);
    std::fs::write(w.path("persons.csv"), PERSONS).unwrap();
    let csv = w.path("persons.csv");
    w.ok(&["import", "persons", csv.to_str().unwrap()]);
    w
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

#[test]
fn locate_finds_misspelled_names_and_shows_the_year_only() {
    let w = world("locate-name");
    let out = w.ok(&[
        "locate",
        "--family",
        "MENJIBAR",
        "--given",
        "jose",
        "--country",
        "sv",
        "--json",
    ]);
    let v = json(&out);
    let hits = v.as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 5);
    assert_eq!(hits[0]["person_id"], "P-1");
    assert_eq!(hits[0]["year_of_birth"], 1990);
    assert_eq!(hits[0]["facility_id"], "CECOT");
    assert_eq!(hits[0]["status"], "in_custody");
    assert_eq!(hits[0]["country_of_birth"], "SV");
    let mut keys: Vec<&str> = hits[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "country",
            "country_of_birth",
            "facility_id",
            "family_names",
            "given_names",
            "person_id",
            "score",
            "since",
            "status",
            "year_of_birth"
        ]
    );
    // Where the person is now (CONTRACT §5): the facility's country, and since when.
    assert_eq!(hits[0]["country"], "SV");
    assert_eq!(hits[0]["since"], "2025-06-01");
    assert!(!out.contains("1990-04-12"), "never the full date: {out}");
    // The minor brother never appears; the date of birth picks the adult one.
    let out = w.ok(&[
        "locate",
        "--family",
        "Ruiz Menjivar",
        "--given",
        "Carlos",
        "--country",
        "SV",
        "--dob",
        "1992-08-01",
        "--json",
    ]);
    let v = json(&out);
    assert_eq!(v[0]["person_id"], "P-2");
    assert!(!out.contains("P-4"));
    // Released today (the import's clock): still shown, with that status.
    let v = json(&w.ok(&[
        "locate",
        "--family",
        "Basquez",
        "--given",
        "Llobani",
        "--country",
        "SV",
        "--json",
    ]));
    assert_eq!(v[0]["person_id"], "P-3");
    assert_eq!(v[0]["status"], "released");
    // Country of birth must match.
    let v = json(&w.ok(&[
        "locate",
        "--family",
        "Hernandez",
        "--given",
        "Ana",
        "--country",
        "SV",
        "--json",
    ]));
    assert_eq!(v.as_array().unwrap().len(), 0);
    // Limit above 10 is clamped, not an error.
    w.ok(&[
        "locate",
        "--family",
        "Menjivar",
        "--given",
        "Jose",
        "--country",
        "SV",
        "--limit",
        "50",
        "--json",
    ]);
}

#[test]
fn locate_by_id_and_its_guards() {
    let w = world("locate-id");
    let v = json(&w.ok(&["locate", "--id", "P-5", "--json"]));
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["person_id"], "P-5");
    assert_eq!(v[0]["year_of_birth"], 1979);
    // A minor is not shown by id either; an unknown id is an empty list.
    assert_eq!(
        json(&w.ok(&["locate", "--id", "P-4", "--json"])),
        serde_json::json!([])
    );
    assert_eq!(
        json(&w.ok(&["locate", "--id", "NOPE", "--json"])),
        serde_json::json!([])
    );
    // 61 days after the release, the released person is gone.
    let o = w
        .cmd(&["locate", "--id", "P-3", "--json"])
        .env("CUSTODIA_CLOCK", "2025-08-01T12:00:00Z")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(
        json(&String::from_utf8(o.stdout).unwrap()),
        serde_json::json!([])
    );
}

#[test]
fn family_and_country_are_required_unless_id() {
    let w = world("locate-usage");
    w.fails(2, &["locate", "--family", "Menjivar", "--json"]);
    w.fails(2, &["locate", "--country", "SV", "--json"]);
    w.fails(2, &["locate", "--json"]);
    w.fails(
        2,
        &[
            "locate",
            "--family",
            "Menjivar",
            "--country",
            "SV",
            "--dob",
            "12/04/1990",
            "--json",
        ],
    );
    w.fails(
        2,
        &[
            "locate",
            "--family",
            "Menjivar",
            "--country",
            "El Salvador",
            "--json",
        ],
    );
    w.fails(
        2,
        &["locate", "--id", "P-1", "--family", "Menjivar", "--json"],
    );
}

#[test]
fn country_by_name_or_a_date_of_birth_instead() {
    let w = world("locate-country-name");
    for country in ["El Salvador", "el salvador", "EL SALVADOR", "sv"] {
        let v = json(&w.ok(&[
            "locate",
            "--family",
            "Menjivar",
            "--given",
            "Jose Luis",
            "--country",
            country,
            "--json",
        ]));
        assert_eq!(v[0]["person_id"], "P-1", "{country}");
    }
    let v = json(&w.ok(&[
        "locate",
        "--family",
        "Menjivar",
        "--given",
        "Jose",
        "--dob",
        "1990-04-12",
        "--json",
    ]));
    assert_eq!(v[0]["person_id"], "P-1");
    // Too vague without a given name; an unknown country is named.
    w.fails(
        2,
        &[
            "locate",
            "--family",
            "Menjivar",
            "--country",
            "SV",
            "--json",
        ],
    );
    w.fails(
        2,
        &[
            "locate",
            "--family",
            "Menjivar",
            "--given",
            "Jose",
            "--country",
            "Atlantis",
            "--json",
        ],
    );
}

/// Two letters that name no country are refused as a country name is (exit 2), not
/// answered with an empty list.
#[test]
fn a_country_code_that_names_no_country_is_refused() {
    let w = world("locate-zz");
    for c in ["ZZ", "xx", "Narnia"] {
        let err = w.fails(
            2,
            &[
                "locate",
                "--family",
                "Menjivar",
                "--given",
                "Jose",
                "--country",
                c,
                "--json",
            ],
        );
        assert!(err.contains(c), "{c}: {err}");
    }
}
