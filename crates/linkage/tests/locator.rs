#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The public locator: recall on generated noisy queries per noise type (beside exact
//! matching after accent folding), calibration, and the privacy guards.

use std::collections::BTreeMap;

use custodia_linkage::locator::synth::{QueryNoise, population, queries};
use custodia_linkage::locator::{
    LocatorEntry, LocatorIndex, LocatorQuery, MAX_LIMIT, exact_folded_match,
};
use custodia_model::events::CustodyStatus;
use jiff::civil::{Date, date};

const TODAY: Date = date(2025, 6, 1);

fn person(id: &str, family: &str, given: &str, dob: Option<Date>) -> LocatorEntry {
    LocatorEntry {
        person_id: id.into(),
        family_names: family.into(),
        given_names: given.into(),
        date_of_birth: dob,
        country_of_birth: Some("SV".into()),
        facility_id: Some("CECOT".into()),
        status: Some(CustodyStatus::InCustody),
        status_since: Some(date(2025, 3, 16)),
    }
}

fn query(family: &str, given: Option<&str>, dob: Option<Date>) -> LocatorQuery {
    LocatorQuery {
        family: family.into(),
        given: given.map(str::to_string),
        country: "SV".into(),
        dob,
        limit: 5,
    }
}

fn ids(hits: &[custodia_linkage::locator::Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.person_id.as_str()).collect()
}

#[test]
fn recall_per_noise_type_beats_exact_matching() {
    let people = population(11, 20_000, TODAY);
    let idx = LocatorIndex::build(people.clone());
    let qs = queries(12, &people, 40, TODAY);
    // (queries, found first, found in top 5, exact-folded found)
    let mut t: BTreeMap<QueryNoise, [usize; 4]> = BTreeMap::new();
    for nq in &qs {
        let hits = idx.search(&nq.query, TODAY);
        let row = t.entry(nq.noise).or_default();
        row[0] += 1;
        if hits.first().is_some_and(|h| h.person_id == nq.person_id) {
            row[1] += 1;
        }
        if hits.iter().take(5).any(|h| h.person_id == nq.person_id) {
            row[2] += 1;
        }
        if people
            .iter()
            .any(|e| e.person_id == nq.person_id && exact_folded_match(e, &nq.query))
        {
            row[3] += 1;
        }
    }
    let mut all = [0usize; 4];
    eprintln!("noise | n | recall@1 | recall@5 | exact-folded");
    for (noise, r) in &t {
        let f = |x: usize| x as f64 / r[0] as f64;
        eprintln!(
            "{} | {} | {:.3} | {:.3} | {:.3}",
            noise.label(),
            r[0],
            f(r[1]),
            f(r[2]),
            f(r[3])
        );
        for i in 0..4 {
            all[i] += r[i];
        }
        // Without a date of birth, same-named persons are truly ambiguous.
        let floor = if noise.without_dob() { 0.75 } else { 0.92 };
        assert!(
            f(r[2]) >= floor,
            "{}: recall@5 {:.3}",
            noise.label(),
            f(r[2])
        );
    }
    assert_eq!(t.len(), QueryNoise::ALL.len());
    let f = |x: usize| x as f64 / all[0] as f64;
    eprintln!(
        "all | {} | {:.3} | {:.3} | {:.3}",
        all[0],
        f(all[1]),
        f(all[2]),
        f(all[3])
    );
    assert!(f(all[1]) >= 0.90, "recall@1 {:.3}", f(all[1]));
    assert!(f(all[2]) >= 0.97, "recall@5 {:.3}", f(all[2]));
    // The exact matcher fails on almost every kind of noise.
    assert!(f(all[3]) < 0.5);
}

#[test]
fn scores_are_calibrated_on_generated_data() {
    let people = population(21, 20_000, TODAY);
    let idx = LocatorIndex::build(people.clone());
    let qs = queries(22, &people, 30, TODAY);
    let (mut n, mut sum, mut right) = (0usize, 0.0, 0usize);
    let (mut high, mut high_right) = (0usize, 0usize);
    for nq in &qs {
        for h in idx.search(&nq.query, TODAY) {
            let ok = h.person_id == nq.person_id;
            n += 1;
            sum += h.score;
            right += usize::from(ok);
            if h.score >= 0.9 {
                high += 1;
                high_right += usize::from(ok);
            }
            assert!((0.0..=1.0).contains(&h.score));
        }
    }
    let (mean, acc) = (sum / n as f64, right as f64 / n as f64);
    eprintln!(
        "hits {n}: mean score {mean:.3}, share correct {acc:.3}; >= 0.9: {high_right}/{high}"
    );
    assert!(
        (mean - acc).abs() < 0.08,
        "mean score {mean:.3} vs accuracy {acc:.3}"
    );
    assert!(high_right as f64 / high as f64 >= 0.97);
}

#[test]
fn spellings_a_relative_types_find_the_person() {
    let idx = LocatorIndex::build([
        person("P-1", "Menjívar Ruiz", "José Luis", Some(date(1990, 4, 12))),
        person(
            "P-2",
            "Hernández de la Cruz",
            "María de los Ángeles",
            Some(date(1985, 1, 30)),
        ),
        person("P-3", "Vásquez Cisneros", "Yovani", None),
        person("P-4", "Menjívar Ruiz", "Carlos", Some(date(1992, 8, 1))),
    ]);
    let first = |q: LocatorQuery| idx.search(&q, TODAY).first().map(|h| h.person_id.clone());
    let p = |s: &str| Some(s.to_string());
    assert_eq!(first(query("MENJIVAR", Some("jose"), None)), p("P-1"));
    assert_eq!(first(query("ruiz menjivar", Some("José"), None)), p("P-1"));
    assert_eq!(
        first(query("Menjivr", Some("Jose Luis"), Some(date(1990, 12, 4)))),
        p("P-1")
    );
    assert_eq!(
        first(query("Jose Luis", Some("Menjivar Ruiz"), None)),
        p("P-1")
    );
    assert_eq!(first(query("Cruz", Some("Maria"), None)), p("P-2"));
    assert_eq!(
        first(query("Hernandez", Some("Maria Angeles"), None)),
        p("P-2")
    );
    assert_eq!(
        first(query("Basquez Sisneros", Some("Llobani"), None)),
        p("P-3")
    );
    // The date of birth decides between brothers.
    assert_eq!(
        first(query("Menjivar", None, Some(date(1992, 8, 1)))),
        p("P-4")
    );
    // Nobody of that name in that country.
    assert_eq!(first(query("Xicará", Some("Pedro"), None)), None);
    let mut other = query("Menjivar", Some("Jose"), None);
    other.country = "HN".into();
    assert!(
        idx.search(&other, TODAY).is_empty(),
        "country of birth is required to match"
    );
}

#[test]
fn hits_serialize_as_the_contract_with_year_of_birth_only() {
    let idx = LocatorIndex::build([person("P-1", "Menjívar", "José", Some(date(1990, 4, 12)))]);
    let hits = idx.search(&query("Menjivar", Some("Jose"), None), TODAY);
    let v = serde_json::to_value(&hits).unwrap();
    let obj = v[0].as_object().unwrap();
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    let mut want = vec![
        "person_id",
        "family_names",
        "given_names",
        "country_of_birth",
        "year_of_birth",
        "facility_id",
        "status",
        "score",
    ];
    want.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(obj["year_of_birth"], 1990);
    let text = serde_json::to_string(&hits).unwrap();
    assert!(
        !text.contains("1990-04-12") && !text.contains("04-12"),
        "{text}"
    );
}

#[test]
fn minors_never_appear_and_come_of_age_on_their_birthday() {
    let idx = LocatorIndex::build([
        person("ADULT", "Menjívar", "José", Some(date(1990, 4, 12))),
        person("MINOR", "Menjívar", "José", Some(date(2010, 4, 12))),
        person("EIGHTEEN-TODAY", "Menjívar", "José", Some(date(2007, 6, 1))),
        person(
            "EIGHTEEN-TOMORROW",
            "Menjívar",
            "José",
            Some(date(2007, 6, 2)),
        ),
        person("AGE-UNKNOWN", "Menjívar", "José", None),
    ]);
    let hits = idx.search(&query("Menjivar", Some("Jose"), None), TODAY);
    let found = ids(&hits);
    assert!(found.contains(&"ADULT") && found.contains(&"EIGHTEEN-TODAY"));
    assert!(
        found.contains(&"AGE-UNKNOWN"),
        "unknown age is shown (documented choice)"
    );
    assert!(!found.contains(&"MINOR") && !found.contains(&"EIGHTEEN-TOMORROW"));
    // Not by date of birth, not by id either.
    let exact = idx.search(
        &query("Menjivar", Some("Jose"), Some(date(2010, 4, 12))),
        TODAY,
    );
    assert!(!ids(&exact).contains(&"MINOR"));
    assert!(idx.get("MINOR", TODAY).is_none());
    assert!(idx.get("EIGHTEEN-TOMORROW", TODAY).is_none());
    assert!(idx.get("EIGHTEEN-TOMORROW", date(2025, 6, 2)).is_some());
}

#[test]
fn released_and_removed_persons_show_for_60_days_then_no_longer() {
    let mut released = person("R", "Quintanilla", "Ana", Some(date(1980, 1, 1)));
    released.status = Some(CustodyStatus::Released);
    released.status_since = Some(date(2025, 4, 1));
    let mut removed = person("X", "Quintanilla", "Ana", Some(date(1981, 1, 1)));
    removed.status = Some(CustodyStatus::Removed);
    removed.status_since = Some(date(2025, 4, 2));
    let mut undated = person("U", "Quintanilla", "Ana", Some(date(1982, 1, 1)));
    undated.status = Some(CustodyStatus::Released);
    undated.status_since = None;
    let mut transferred = person("T", "Quintanilla", "Ana", Some(date(1983, 1, 1)));
    transferred.status = Some(CustodyStatus::Transferred);
    transferred.status_since = Some(date(2020, 1, 1));
    let idx = LocatorIndex::build([released, removed, undated, transferred]);
    let q = query("Quintanilla", Some("Ana"), None);
    // 2025-04-01 + 60 days = 2025-05-31: the last day shown.
    let on = |d: Date| {
        let mut v = ids(&idx.search(&q, d))
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>();
        v.sort();
        v
    };
    assert_eq!(on(date(2025, 5, 31)), ["R", "T", "X"]);
    assert_eq!(on(date(2025, 6, 1)), ["T", "X"]);
    assert_eq!(on(date(2025, 6, 2)), ["T"]);
    let hit = idx.get("R", date(2025, 5, 31)).unwrap();
    assert_eq!(hit.status, Some(CustodyStatus::Released));
    assert!(idx.get("R", date(2025, 6, 1)).is_none());
    assert!(
        idx.get("U", date(2025, 4, 2)).is_none(),
        "no date: window unprovable"
    );
}

#[test]
fn limit_is_clamped_and_vague_queries_list_nobody() {
    let twins: Vec<LocatorEntry> = (0..30)
        .map(|i| person(&format!("P-{i:02}"), "Xicará", "Pedro", None))
        .collect();
    let idx = LocatorIndex::build(twins);
    let mut q = query("Xicara", Some("Pedro"), None);
    q.limit = 50;
    assert_eq!(idx.search(&q, TODAY).len(), MAX_LIMIT);
    q.limit = 0;
    assert_eq!(idx.search(&q, TODAY).len(), 5);
    q.limit = 3;
    assert_eq!(idx.search(&q, TODAY).len(), 3);

    // A common family name alone, no given name, no date: at most the limit, and in a
    // large population nothing at all (no hit can reach the floor).
    let people = population(31, 20_000, TODAY);
    let idx = LocatorIndex::build(people);
    for fam in ["Hernández", "García", "López"] {
        let mut q = query(fam, None, None);
        q.limit = 10;
        let hits = idx.search(&q, TODAY);
        assert!(hits.len() <= MAX_LIMIT);
        assert!(hits.is_empty(), "{fam}: {} hits", hits.len());
    }
}

#[test]
fn upsert_and_remove_follow_events() {
    let mut idx = LocatorIndex::build([
        person("P-1", "Menjívar", "José", Some(date(1990, 4, 12))),
        person("P-2", "Guardado", "Ana", Some(date(1991, 5, 13))),
    ]);
    assert_eq!(idx.len(), 2);
    let mut renamed = person("P-1", "Chicas", "José", Some(date(1990, 4, 12)));
    renamed.facility_id = Some("IZALCO".into());
    idx.upsert(renamed);
    assert_eq!(idx.len(), 2);
    assert!(
        idx.search(&query("Menjivar", Some("Jose"), None), TODAY)
            .is_empty()
    );
    let hits = idx.search(&query("Chicas", Some("Jose"), None), TODAY);
    assert_eq!(ids(&hits), ["P-1"]);
    assert_eq!(hits[0].facility_id.as_deref(), Some("IZALCO"));
    assert!(idx.remove("P-2"));
    assert!(!idx.remove("P-2"));
    assert_eq!(idx.len(), 1);
    assert!(
        idx.search(&query("Guardado", Some("Ana"), None), TODAY)
            .is_empty()
    );
    assert!(idx.get("P-2", TODAY).is_none());
    idx.upsert(person("P-3", "Guardado", "Ana", None));
    assert_eq!(
        ids(&idx.search(&query("Guardado", Some("Ana"), None), TODAY)),
        ["P-3"]
    );
    assert!(idx.memory_bytes() > 0);
}

/// A crowd of `n` persons under family names `family` with varied given names and dates:
/// enough to push a family name's candidate set past the sizes scored whole.
fn crowd(prefix: &str, family: &str, n: usize) -> Vec<LocatorEntry> {
    const GIVEN: [&str; 8] = [
        "Carlos", "Luis", "Pedro", "Mario", "Jorge", "Raúl", "Óscar", "Rafael",
    ];
    (0..n)
        .map(|i| {
            let dob = date(
                1960 + (i % 40) as i16,
                1 + (i % 12) as i8,
                1 + (i % 28) as i8,
            );
            person(
                &format!("{prefix}-{i:05}"),
                family,
                GIVEN[i % GIVEN.len()],
                Some(dob),
            )
        })
        .collect()
}

#[test]
fn a_family_name_typed_twice_needs_a_person_who_has_it_twice() {
    // 300 persons with one "Hernández" and the query's rare given name: each answered
    // both typed "Hernández" before, so the one person named "Hernández Hernández" drowned
    // among them under the floor and the query listed nobody.
    let mut people: Vec<LocatorEntry> = (0..300)
        .map(|i| {
            person(
                &format!("P-{i:03}"),
                &format!("Hernández Apellido{i}"),
                "Glenda",
                None,
            )
        })
        .collect();
    people.push(person("P-999", "Hernández Hernández", "Glenda", None));
    let idx = LocatorIndex::build(people);
    let hits = idx.search(&query("Hernandez Hernandez", Some("Glenda"), None), TODAY);
    assert_eq!(ids(&hits).first(), Some(&"P-999"), "{hits:?}");
}

#[test]
fn a_three_letter_given_name_with_one_typing_error_is_still_found() {
    let idx = LocatorIndex::build([
        person("P-1", "González Ramos", "Iris", None),
        person("P-2", "González Ramos", "Ana", None),
    ]);
    let hits = idx.search(&query("Gonzalez Ramos", Some("Aba"), None), TODAY);
    assert_eq!(ids(&hits).first(), Some(&"P-2"), "{hits:?}");
    assert!(hits.len() == 1 || hits[0].score > hits[1].score, "{hits:?}");
}

#[test]
fn a_right_date_of_birth_finds_names_typed_beyond_recognition() {
    // Two typing errors leave "Jé" of "José" and the family name is too common to be scored
    // whole: the date of birth, exact and unique, still finds him.
    let mut people = crowd("G", "García López", 4_100);
    people.push(person("P-1", "García Paz", "José", Some(date(1967, 2, 11))));
    let idx = LocatorIndex::build(people);
    let hits = idx.search(
        &query("Garcia Paz", Some("Jé"), Some(date(1967, 2, 11))),
        TODAY,
    );
    assert_eq!(ids(&hits).first(), Some(&"P-1"), "{hits:?}");
    // Day and month swapped too.
    let hits = idx.search(
        &query("Garcia Paz", Some("Jé"), Some(date(1967, 11, 2))),
        TODAY,
    );
    assert_eq!(ids(&hits).first(), Some(&"P-1"), "{hits:?}");
}

#[test]
fn names_in_the_order_typed_rank_before_the_same_names_the_other_way_round() {
    let idx = LocatorIndex::build([
        person("P-1", "García Vides", "Juan", None),
        person("P-2", "Vides García", "Juan", None),
        person("P-3", "Vides García", "José Juan", None),
    ]);
    let hits = idx.search(&query("Vides García", Some("Juan"), None), TODAY);
    assert_eq!(ids(&hits).first(), Some(&"P-2"), "{hits:?}");
    assert!(hits[0].score > hits[1].score, "{hits:?}");
    // The other way round is still found, and ranks first when typed so.
    let hits = idx.search(&query("García Vides", Some("Juan"), None), TODAY);
    assert_eq!(ids(&hits).first(), Some(&"P-1"), "{hits:?}");
}

#[test]
fn a_family_name_typed_twice_in_the_given_field_needs_a_person_who_has_it_twice() {
    // The fields swapped: "Pedro" as the family name, "Martínez Martínez" as the given
    // names. Every "Martínez X, Pedro" used to answer for both words, so the one person
    // named "Martínez Martínez" drowned among them and the query listed nobody.
    let mut people: Vec<LocatorEntry> = (0..300)
        .map(|i| {
            person(
                &format!("P-{i:03}"),
                &format!("Martínez Apellido{i}"),
                "Pedro",
                None,
            )
        })
        .collect();
    people.push(person("P-999", "Martínez Martínez", "Pedro", None));
    people.extend(crowd("B", "Flores López", 5000));
    let idx = LocatorIndex::build(people);
    let hits = idx.search(&query("Pedro", Some("Martinez Martinez"), None), TODAY);
    assert_eq!(ids(&hits).first(), Some(&"P-999"), "{hits:?}");
}

#[test]
fn a_rare_name_like_the_typed_one_does_not_outrank_the_name_typed() {
    // "Luis" is common, "Luz" rare: a rare word only like the query's must not count for
    // more than the query's own word (it ranked "Hernández Ramos, Luz" at 0.94 above the
    // exact "Ramos Hernández, Luis" at 0.03).
    let mut people: Vec<LocatorEntry> = (0..400)
        .map(|i| {
            person(
                &format!("L-{i:03}"),
                &format!("Apellido{i} Otro"),
                "Luis",
                None,
            )
        })
        .collect();
    people.push(person("P-1", "RAMOS HERNANDEZ", "LUIS", None));
    people.push(person("P-2", "Hernández Ramos", "Luz", None));
    let idx = LocatorIndex::build(people);
    let hits = idx.search(&query("Ramos Hernández", Some("Luis"), None), TODAY);
    assert_eq!(ids(&hits).first(), Some(&"P-1"), "{hits:?}");
    assert!(
        hits.len() == 1 || hits[0].score > 2.0 * hits[1].score,
        "{hits:?}"
    );
}

/// Privacy: a date of birth alone lists nobody. Names unlike everyone's with the very date
/// of a person ("Zzzz, Qqqq, 1985-08-03") find no one; a family name like theirs and a given
/// name unlike with only the day and month of their birth (another year) find no one; with
/// the very date, a name like one of theirs is enough (the previous test).
#[test]
fn a_date_of_birth_alone_lists_nobody() {
    let mut people = population(7, 5_000, TODAY);
    people.push(person(
        "P-1",
        "Hernández Méndez",
        "Kevin",
        Some(date(1985, 8, 3)),
    ));
    people.push(person(
        "P-2",
        "Guzmán Hernández",
        "Yeferson",
        Some(date(1975, 1, 1)),
    ));
    let idx = LocatorIndex::build(people);
    let none = |q: LocatorQuery| {
        let hits = idx.search(&q, TODAY);
        assert!(hits.is_empty(), "{q:?}: {hits:?}");
    };
    none(query("Zzzz", Some("Qqqq"), Some(date(1985, 8, 3))));
    none(query("Zzzz", Some("Qqqq"), Some(date(1975, 1, 1))));
    // A Hernández named Yeferson, born on 1 January of another year, is not a "Hernández,
    // José, 1990-01-01" (a Josué Hernández born in 1990 may well be).
    let hits = idx.search(
        &query("Hernández", Some("José"), Some(date(1990, 1, 1))),
        TODAY,
    );
    assert!(!ids(&hits).contains(&"P-2"), "{hits:?}");
    // The same names, written right, find each.
    let hits = idx.search(
        &query("Hernández Méndez", Some("Kevin"), Some(date(1985, 8, 3))),
        TODAY,
    );
    assert_eq!(ids(&hits).first(), Some(&"P-1"), "{hits:?}");
    let hits = idx.search(&query("Guzman", Some("Yeferson"), None), TODAY);
    assert!(ids(&hits).contains(&"P-2"), "{hits:?}");
}
