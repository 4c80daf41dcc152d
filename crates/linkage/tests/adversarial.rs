//! Combined noise, the adversarial set (twins, siblings in a missing person's place,
//! cousins of one name, people entered twice) and the symmetry of the linkage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use custodia_linkage::reconcile::{Config, reconcile, reconcile_with};
use custodia_linkage::synth::{SynthConfig, evaluate, generate};
use custodia_linkage::{Reconciliation, Record};
use proptest::prelude::*;

fn rec(id: &str, fam: &str, giv: &str, dob: &str, sex: &str, nat: &str, doc: &str) -> Record {
    let mut r = Record::new(id, fam, giv);
    r.date_of_birth = (!dob.is_empty()).then(|| dob.parse().unwrap());
    r.sex = (!sex.is_empty()).then(|| sex.to_string());
    r.nationality = (!nat.is_empty()).then(|| nat.to_string());
    r.document_number = (!doc.is_empty()).then(|| doc.to_string());
    r
}

fn pairs(out: &Reconciliation) -> BTreeSet<(String, String)> {
    out.matches
        .iter()
        .map(|m| (m.manifest_id.clone(), m.intake_id.clone()))
        .collect()
}

/// A background flight with the hard records of the issue added to it.
fn with_background(extra_m: Vec<Record>, extra_i: Vec<Record>) -> Reconciliation {
    let s = generate(17, &SynthConfig::flight(400));
    let mut m = s.manifest.clone();
    let mut i = s.intake.clone();
    m.extend(extra_m);
    i.extend(extra_i);
    reconcile(&m, &i)
}

#[test]
fn issue_17_double_noise_with_no_date_of_birth_still_matches() {
    let out = with_background(
        vec![
            rec(
                "X-M1",
                "Cruz Vásquez",
                "William",
                "1970-05-07",
                "M",
                "SV",
                "551234987",
            ),
            rec(
                "X-M2",
                "González Aguilar",
                "Carlos",
                "1983-11-02",
                "M",
                "HN",
                "778812345",
            ),
            rec(
                "X-M3",
                "Ramos Flores",
                "Edgardo",
                "1991-02-17",
                "M",
                "SV",
                "120945876",
            ),
        ],
        vec![
            rec("X-I1", "Cruz", "William", "", "M", "SV", ""),
            rec("X-I2", "Aguilar Gonzalez", "Carlos", "", "M", "HN", ""),
            rec(
                "X-I3",
                "RAMOSF LORES",
                "EDGARDO",
                "1991-02-17",
                "M",
                "SV",
                "",
            ),
        ],
    );
    let got = pairs(&out);
    for (m, i) in [("X-M1", "X-I1"), ("X-M2", "X-I2"), ("X-M3", "X-I3")] {
        assert!(
            got.contains(&(m.to_string(), i.to_string())),
            "{m} -> {i} not matched: missing {:?}",
            out.missing_from_intake
        );
    }
}

/// Twins with one first given name, each arrived under a record of their own: a rival
/// explained by a record of its own must not pull a perfect pair under the threshold (the
/// plain product of rivals did: "Carlos Kevin" scored 0.10 against his own record).
#[test]
fn twins_each_with_a_record_of_their_own_are_both_matched() {
    let out = with_background(
        vec![
            rec(
                "T-M1",
                "TORRES CRUZ",
                "CARLOS KEVIN",
                "1998-11-11",
                "M",
                "SV",
                "737495227",
            ),
            rec(
                "T-M2",
                "Torres Cruz",
                "Carlos Enrique",
                "1998-11-11",
                "M",
                "SV",
                "051285269",
            ),
        ],
        vec![
            rec(
                "T-I1",
                "Torres Cruz",
                "Carlos Kevin",
                "1998-11-11",
                "M",
                "SV",
                "",
            ),
            rec("T-I2", "Cruz", "Carlos Enrique", "1998-11-11", "", "SV", ""),
        ],
    );
    let got = pairs(&out);
    for (m, i) in [("T-M1", "T-I1"), ("T-M2", "T-I2")] {
        assert!(
            got.contains(&(m.to_string(), i.to_string())),
            "{m} -> {i}: {out:?}"
        );
    }
}

/// Twins who both arrived, one record identical to one twin's manifest entry and the other
/// with a family name and the second given name dropped: each assignment of the two
/// records needs two changes, an exact tie under the model. Belief propagation (not exact
/// on the loop the four pairs make) scored the identical pair 0.28 and the twin whose
/// record it is was reported missing. Neither twin may be reported missing: both are in
/// review with both records (or matched right).
#[test]
fn twins_whose_records_tie_are_reviewed_not_reported_missing() {
    let out = with_background(
        vec![
            rec(
                "D-M1",
                "DÍAZ LÓPEZ",
                "SANTOS",
                "1994-01-23",
                "M",
                "HN",
                "B4919009",
            ),
            rec(
                "D-M2",
                "DÍAZ LÓPEZ",
                "SANTOS GIOVANNI",
                "1994-01-23",
                "M",
                "HN",
                "E3834479",
            ),
        ],
        vec![
            rec("D-I1", "Díaz López", "Santos", "1994-01-23", "M", "HN", ""),
            rec("D-I2", "López", "Santos", "1994-01-23", "M", "HN", ""),
        ],
    );
    for m in ["D-M1", "D-M2"] {
        assert!(!flagged_missing(&out, m), "{m} reported missing: {out:?}");
        assert!(
            !out.matches.iter().any(|x| x.manifest_id == m
                && !matches!(
                    (m, x.intake_id.as_str()),
                    ("D-M1", "D-I1") | ("D-M2", "D-I2")
                )),
            "{m} matched to the other twin's record: {out:?}"
        );
    }
}

/// How clerks write a name they heard: abbreviated ("FCO."), by a nickname ("Alex"),
/// as it sounds ("Gualter"), and a birth year a decade off with the day and month right.
#[test]
fn names_written_short_or_as_heard_and_a_decade_slip_still_match() {
    let out = with_background(
        vec![
            rec(
                "S-M1",
                "Soto Vásquez",
                "Francisco",
                "1992-10-24",
                "M",
                "SV",
                "5512",
            ),
            rec(
                "S-M2",
                "Montoya Vides",
                "Walter",
                "1974-06-15",
                "M",
                "HN",
                "",
            ),
            rec(
                "S-M3",
                "Portillo Alvarado",
                "Alejandro",
                "1998-05-08",
                "M",
                "GT",
                "",
            ),
            rec(
                "S-M4",
                "Jiménez de la Cruz",
                "Francisco Yovani",
                "2005-07-31",
                "M",
                "SV",
                "",
            ),
        ],
        vec![
            rec("S-I1", "SOTO VASQUEZ", "FCO.", "1992-10-24", "M", "SV", ""),
            rec(
                "S-I2",
                "MONTOYA VIDES",
                "GUALTER",
                "1974-06-15",
                "M",
                "HN",
                "",
            ),
            rec(
                "S-I3",
                "Portillo Alvarado",
                "Alex",
                "1998-05-08",
                "",
                "GT",
                "",
            ),
            rec(
                "S-I4",
                "Jiménez de la Cruz",
                "Francisco Yovani",
                "1995-07-31",
                "M",
                "SV",
                "",
            ),
        ],
    );
    let got = pairs(&out);
    for k in 1..=4 {
        let (m, i) = (format!("S-M{k}"), format!("S-I{k}"));
        assert!(got.contains(&(m.clone(), i.clone())), "{m} -> {i}: {out:?}");
    }
}

#[test]
fn a_sibling_who_arrived_in_a_missing_persons_place_is_not_matched() {
    let out = with_background(
        vec![
            rec(
                "X-M1",
                "Chicas Batres",
                "Fabián",
                "1990-03-12",
                "M",
                "SV",
                "551234987",
            ),
            rec(
                "X-M2",
                "Lemus Coto",
                "Josué Daniel",
                "1985-07-21",
                "M",
                "GT",
                "661234987",
            ),
        ],
        vec![
            // A brother: same family names and nationality, another given name and date.
            rec(
                "X-I1",
                "CHICAS BATRES",
                "WALTER",
                "1993-08-02",
                "M",
                "SV",
                "",
            ),
            // A twin, no date of birth on the intake.
            rec("X-I2", "Lemus Coto", "Elmer", "", "M", "GT", ""),
        ],
    );
    let got = pairs(&out);
    assert!(!got.iter().any(|(m, _)| m.starts_with("X-")), "{got:?}");
    assert!(out.missing_from_intake.contains(&"X-M1".to_string()));
    assert!(out.missing_from_intake.contains(&"X-M2".to_string()));
}

#[test]
fn a_cousin_of_the_same_names_is_not_matched() {
    let out = with_background(
        vec![rec(
            "X-M1",
            "Menjívar Ruiz",
            "José Luis",
            "1979-01-30",
            "M",
            "SV",
            "5551",
        )],
        vec![rec(
            "X-I1",
            "Menjívar Portillo",
            "José Luis",
            "1984-06-11",
            "M",
            "SV",
            "",
        )],
    );
    assert!(!pairs(&out).iter().any(|(m, _)| m.starts_with("X-")));
}

fn matched(out: &Reconciliation, m: &str, i: &str) -> bool {
    out.matches
        .iter()
        .any(|x| x.manifest_id == m && x.intake_id == i)
}

fn flagged_missing(out: &Reconciliation, m: &str) -> bool {
    out.missing_from_intake.iter().any(|x| x == m)
}

/// The outcome for a missing person and a relative on the same flight who arrived: the
/// relative's record is the relative's (matched, or in review between its claimants), and
/// the missing person is flagged missing, neither matched to it nor sent to review over it.
fn check_relative(missing: Record, relative: Record, arrived: Record) -> Reconciliation {
    let (m, r, a) = (
        missing.record_id.clone(),
        relative.record_id.clone(),
        arrived.record_id.clone(),
    );
    let out = with_background(vec![missing, relative], vec![arrived]);
    assert!(
        flagged_missing(&out, &m),
        "{m} not flagged missing; review {:?}",
        out.needs_review
            .iter()
            .filter(|x| x.manifest_id.starts_with("X-"))
            .collect::<Vec<_>>()
    );
    assert!(
        !out.matches
            .iter()
            .any(|x| x.intake_id == a && x.manifest_id != r)
    );
    assert!(
        matched(&out, &r, &a) || out.needs_review.iter().any(|x| x.manifest_id == r),
        "{r} neither matched to {a} nor in review"
    );
    out
}

/// A missing person whose brother is on the flight and arrived with one family name and
/// no date: "ESTRADA, JOSE, —" is José's (his given name exactly) more than Josué's (a
/// letter apart), so it is José's claim, and Josué is missing, not in review over it.
#[test]
fn a_missing_person_with_a_sibling_present_is_flagged_missing() {
    check_relative(
        rec(
            "X-M1",
            "Estrada Gómez",
            "Josué",
            "1991-04-25",
            "M",
            "SV",
            "921891491",
        ),
        rec(
            "X-M2",
            "Estrada Gómez",
            "José",
            "1994-02-10",
            "M",
            "SV",
            "921891492",
        ),
        rec("X-I2", "ESTRADA", "JOSE", "", "M", "SV", ""),
    );
}

/// Twins José and Josué on one flight, Josué missing: the arrived twin's record (one
/// family name, no date) is José's.
#[test]
fn twins_one_missing_the_other_is_flagged_missing() {
    check_relative(
        rec(
            "X-M1",
            "Lemus Coto",
            "Josué",
            "1985-07-21",
            "M",
            "GT",
            "661234987",
        ),
        rec(
            "X-M2",
            "Lemus Coto",
            "José",
            "1985-07-21",
            "M",
            "GT",
            "661234988",
        ),
        rec("X-I2", "LEMUS", "JOSE", "", "M", "GT", ""),
    );
}

/// Cousins of the same given and first family names, one missing: the arrived cousin's
/// record (a typing error in his second family name, no date) is his.
#[test]
fn a_cousin_of_the_same_names_missing_is_flagged_missing() {
    check_relative(
        rec(
            "X-M1",
            "Menjívar Ruiz",
            "José Luis",
            "1979-01-30",
            "M",
            "SV",
            "5551",
        ),
        rec(
            "X-M2",
            "Menjívar Portillo",
            "José Luis",
            "1984-06-11",
            "M",
            "SV",
            "5552",
        ),
        rec("X-I2", "MENJIVAR PORTIYO", "JOSE LUIS", "", "M", "SV", ""),
    );
}

/// The limit of the rule: when the arrived record cannot tell the cousins apart (the
/// family name they share, the given names they share, no date, no document), neither
/// claim is stronger, and both go to review: flagging either missing would be a guess.
#[test]
fn cousins_the_record_cannot_tell_apart_both_go_to_review() {
    let out = with_background(
        vec![
            rec(
                "X-M1",
                "Menjívar Ruiz",
                "José Luis",
                "1979-01-30",
                "M",
                "SV",
                "5551",
            ),
            rec(
                "X-M2",
                "Menjívar Portillo",
                "José Luis",
                "1984-06-11",
                "M",
                "SV",
                "5552",
            ),
        ],
        vec![rec("X-I2", "MENJIVAR", "JOSE LUIS", "", "M", "SV", "")],
    );
    let reviewed: Vec<&str> = out
        .needs_review
        .iter()
        .map(|r| r.manifest_id.as_str())
        .filter(|m| m.starts_with("X-"))
        .collect();
    assert_eq!(reviewed, ["X-M1", "X-M2"], "{:?}", out.missing_from_intake);
}

/// A review lists only candidates that could be the person: a brother with another
/// given name and another date (both given) is none, though his family names agree.
#[test]
fn a_review_never_lists_a_relative_with_another_given_name_and_date() {
    let out = with_background(
        vec![rec(
            "X-M1",
            "Lemus Coto",
            "Josué Daniel",
            "1985-07-21",
            "M",
            "GT",
            "661234987",
        )],
        vec![
            // The same person entered twice under two documents: real ambiguity.
            rec("X-I1", "LEMUS COTO", "JOSUE DANIEL", "", "M", "GT", "A-1"),
            rec("X-I2", "Lemus Coto", "Josué Daniel", "", "M", "GT", "B-2"),
            // His brother.
            rec("X-I3", "Lemus Coto", "Elmer", "1988-02-02", "M", "GT", ""),
        ],
    );
    let review: Vec<_> = out
        .needs_review
        .iter()
        .filter(|r| r.manifest_id == "X-M1")
        .collect();
    assert_eq!(
        review.len(),
        1,
        "{:?}",
        out.matches
            .iter()
            .filter(|m| m.manifest_id.starts_with("X-"))
            .collect::<Vec<_>>()
    );
    assert!(
        review[0].candidates.iter().all(|c| c.intake_id != "X-I3"),
        "{:?}",
        review[0].candidates
    );
}

/// A namesake who arrived unannounced, with a wholly different date of birth, is not
/// matched to the missing person: the date tells them apart. Nor is the missing person
/// silently reported missing with the namesake unexpected: a record with the very names and
/// another date is, as often as not on every generator's files, the person with a date
/// written wrong, so the pair goes to a human (`review_near_misses`); the namesake with other
/// given names ("Wilfredo José" for "José Héctor") leaves the missing person missing. Fails
/// before the one-to-one E-step of
/// `estimate_m`, when twins and namesakes born the same day taught EM that a fifth of the
/// true pairs disagree on a date (m of "different" 0.11 for the date, 0.17 for the given
/// name, against 0.001 among the true pairs), so a date of 1970 against 1985 cost under 3
/// bits and the namesake was matched (seed 7 of the 40,000 run: "Hernández Navarro, José",
/// 0.75).
#[test]
fn a_namesake_born_another_year_is_not_the_missing_person() {
    let s = generate(7, &SynthConfig::combined(3000));
    let mut m = s.manifest.clone();
    let mut i = s.intake.clone();
    m.push(rec(
        "X-M1",
        "Hernández Navarro",
        "José",
        "1985-05-27",
        "M",
        "SV",
        "259911327",
    ));
    m.push(rec(
        "X-M2",
        "Henríquez Umaña",
        "José Héctor",
        "1999-07-20",
        "M",
        "SV",
        "077757417",
    ));
    i.push(rec(
        "X-I1",
        "Hernández Navarro",
        "José",
        "1970-08-14",
        "M",
        "SV",
        "",
    ));
    i.push(rec(
        "X-I2",
        "Henríquez Umaña",
        "Wilfredo José",
        "1996-02-05",
        "M",
        "SV",
        "",
    ));
    let out = reconcile(&m, &i);
    assert!(
        !out.matches.iter().any(|x| x.manifest_id.starts_with("X-")),
        "{:?}",
        out.matches
            .iter()
            .filter(|x| x.manifest_id.starts_with("X-"))
            .collect::<Vec<_>>()
    );
    let review: Vec<_> = out
        .needs_review
        .iter()
        .filter(|r| r.manifest_id == "X-M1")
        .collect();
    assert_eq!(review.len(), 1, "{:?}", out.needs_review);
    assert_eq!(review[0].candidates[0].intake_id, "X-I1");
    assert!(flagged_missing(&out, "X-M2"));
}

/// EM's m of the "different" levels stays near what the true pairs show (under 0.02 on
/// combined noise). Fails before the one-to-one E-step (0.11 to 0.18).
#[test]
fn em_is_not_taught_disagreement_by_twins_and_namesakes() {
    let s = generate(2026, &SynthConfig::combined(3000));
    let (_, d) = reconcile_with(&s.manifest, &s.intake, &Config::default());
    // Family names, given names, date of birth: the level "different" of each.
    for (field, level) in [(0, 7), (1, 5), (2, 4)] {
        let m = d.model.m[field][level];
        assert!(m < 0.02, "field {field} level {level}: m {m}");
    }
}

/// A record with given and family names swapped belongs to the person whose names it
/// holds exactly ("Walter | Rodríguez Hernández" is "Rodríguez Hernández, Walter"), not to
/// a namesake with a second given name who is missing. Fails before the swapped reading
/// took each agreeing name's frequency in its more common role: read swapped, "Walter"
/// was scored as a family name (rare, +5 bits) and the namesake outscored the owner (seed
/// 7 and seed 99 of the 40,000 run: a missing person matched at 0.99).
#[test]
fn a_swapped_record_goes_to_the_person_whose_names_it_holds() {
    check_relative(
        rec(
            "X-M1",
            "Rodríguez Hernández",
            "Walter Antonio",
            "1974-12-21",
            "M",
            "SV",
            "006576042",
        ),
        rec(
            "X-M2",
            "Rodríguez Hernández",
            "Walter",
            "1962-12-20",
            "M",
            "SV",
            "554221762",
        ),
        rec("X-I2", "Walter", "Rodríguez Hernández", "", "M", "SV", ""),
    );
}

fn swapped(out: &Reconciliation) -> BTreeSet<(String, String)> {
    out.matches
        .iter()
        .map(|m| (m.intake_id.clone(), m.manifest_id.clone()))
        .collect()
}

#[test]
fn combined_noise_quality_on_a_facility_of_3000() {
    let s = generate(2026, &SynthConfig::combined(3000));
    let out = reconcile(&s.manifest, &s.intake);
    let ev = evaluate(&s, &out);
    println!("{}", ev.table());
    assert!(ev.overall.f1() >= 0.985, "F1 {}", ev.overall.f1());
    assert!(
        ev.overall.precision() >= 0.995,
        "P {}",
        ev.overall.precision()
    );
    assert!(ev.review_share() <= 0.015, "review {}", ev.review_share());
    assert!(
        ev.missing_flagged as f64 >= 0.97 * ev.missing_total as f64,
        "{} of {}",
        ev.missing_flagged,
        ev.missing_total
    );
}

proptest! {
    // Seeded like every test of this project, so CI draws the same cases every run.
    #![proptest_config(ProptestConfig {
        cases: 8,
        rng_seed: proptest::test_runner::RngSeed::Fixed(2025),
        ..ProptestConfig::default()
    })]
    /// Swapping the two files' roles gives the same pairs.
    #[test]
    fn swapping_the_files_roles_gives_the_same_pairs(seed in 0u64..1_000, n in 20usize..200) {
        let s = generate(seed, &SynthConfig::combined(n));
        let a = reconcile(&s.manifest, &s.intake);
        let b = reconcile(&s.intake, &s.manifest);
        prop_assert_eq!(pairs(&a), swapped(&b));
    }
}

/// Once a known asymmetry (issue 17, found by the property above with another draw): with
/// the files' roles swapped, `M-000112`/`I-000035` was matched in one direction only. It
/// holds since the swapped reading takes each agreeing name's frequency in its more common
/// role (the frequency had depended on which file held the swapped record) and EM's E-step
/// became one-to-one; kept pinned.
#[test]
fn swapping_roles_seed_914_n_115() {
    let s = generate(914, &SynthConfig::combined(115));
    let a = reconcile(&s.manifest, &s.intake);
    let b = reconcile(&s.intake, &s.manifest);
    assert_eq!(pairs(&a), swapped(&b));
}

#[test]
fn em_learns_which_family_name_clerks_keep() {
    // A facility whose clerks often drop the second family name (and the date), as most
    // do: "Cruz, William, —" is then more likely "Cruz Vásquez, William" than "Linares
    // Cruz, William". The two claims are no longer equal, so the one who did not arrive is
    // reported missing instead of both going to review. (The one who arrived may still be
    // reviewed: a claim stronger by a few bits is not certainty.)
    let s = generate(17, &SynthConfig::flight(600));
    let m = {
        let mut m = s.manifest.clone();
        m.push(rec(
            "X-M1",
            "Cruz Vásquez",
            "William",
            "1970-05-07",
            "M",
            "SV",
            "551234987",
        ));
        m.push(rec(
            "X-M2",
            "Linares Cruz",
            "William",
            "1985-08-19",
            "M",
            "SV",
            "662345098",
        ));
        m
    };
    let mut i = s.intake.clone();
    for (k, r) in i.iter_mut().enumerate() {
        let words: Vec<String> = r.family_names.split(' ').map(str::to_string).collect();
        if k % 3 == 0 && words.len() == 2 {
            r.family_names = words[0].clone();
            r.date_of_birth = None;
        }
    }
    i.push(rec("X-I1", "Cruz", "William", "", "M", "SV", ""));
    let out = reconcile(&m, &i);
    let x_m1_has_x_i1 = matched(&out, "X-M1", "X-I1")
        || out.needs_review.iter().any(|r| {
            r.manifest_id == "X-M1" && r.candidates.first().is_some_and(|c| c.intake_id == "X-I1")
        });
    assert!(x_m1_has_x_i1, "{:?}", out.needs_review);
    assert!(flagged_missing(&out, "X-M2"), "{:?}", out.needs_review);
}

#[test]
fn a_flight_where_a_quarter_never_arrived_is_still_reconciled_right() {
    // The one-to-one posterior assumes most of a flight arrives (`ARRIVAL_SHARE`); where a
    // quarter did not, the missing must still be reported missing, not matched to a
    // relative or namesake who did arrive.
    let cfg = SynthConfig {
        missing_rate: 0.25,
        ..SynthConfig::combined(3000)
    };
    let s = generate(31, &cfg);
    let out = reconcile(&s.manifest, &s.intake);
    let e = evaluate(&s, &out);
    assert!(e.overall.precision() >= 0.999, "{:?}", e.overall);
    assert!(e.overall.recall() >= 0.99, "{:?}", e.overall);
    assert!(
        e.missing_flagged as f64 >= 0.98 * e.missing_total as f64,
        "{} of {}",
        e.missing_flagged,
        e.missing_total
    );
}
