#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Properties of `assign`: hard rules, accounting, true summaries, bounds, and optimality
//! against exhaustive search on tiny instances.

use std::collections::{HashMap, HashSet};

use custodia_housing::{
    AssignInput, AssignOptions, AssignOutput, CellInput, Method, PersonInput, UnassignedReason,
    assign, assign_with,
};
use proptest::prelude::*;

const GROUPS: [&str; 3] = ["A", "B", "C"];

fn mask(m: u8) -> Vec<String> {
    GROUPS
        .iter()
        .enumerate()
        .filter(|(i, _)| m & (1 << i) != 0)
        .map(|(_, g)| g.to_string())
        .collect()
}

/// Independent re-statement of the CONTRACT §7 separation rule, on the input strings.
fn conflict(a: &PersonInput, b: &PersonInput) -> bool {
    let sep =
        |x: &PersonInput, y: &PersonInput| x.separate_from.iter().any(|g| y.groups.contains(g));
    sep(a, b) || sep(b, a) || a.avoid_persons.contains(&b.id) || b.avoid_persons.contains(&a.id)
}

/// Final occupants of each cell: existing plus assigned.
fn occupancy<'a>(input: &'a AssignInput, out: &AssignOutput) -> Vec<Vec<(&'a PersonInput, bool)>> {
    let idx: HashMap<&str, usize> = input
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let persons: HashMap<&str, &PersonInput> =
        input.persons.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut occ: Vec<Vec<(&PersonInput, bool)>> = input
        .cells
        .iter()
        .map(|c| c.occupants.iter().map(|p| (p, false)).collect())
        .collect();
    for a in &out.assignments {
        occ[idx[a.cell_id.as_str()]].push((persons[a.person_id.as_str()], true));
    }
    occ
}

/// Every property the output must have, checked from scratch.
fn check(input: &AssignInput, out: &AssignOutput) {
    // Everyone new is accounted for exactly once; nobody else appears.
    let new: HashSet<&str> = input.persons.iter().map(|p| p.id.as_str()).collect();
    let cells: HashSet<&str> = input.cells.iter().map(|c| c.id.as_str()).collect();
    let mut seen = HashSet::new();
    for a in &out.assignments {
        assert!(
            new.contains(a.person_id.as_str()),
            "unknown person {}",
            a.person_id
        );
        assert!(
            cells.contains(a.cell_id.as_str()),
            "unknown cell {}",
            a.cell_id
        );
        assert!(seen.insert(a.person_id.as_str()), "{} twice", a.person_id);
    }
    for u in &out.unassigned {
        assert!(new.contains(u.person_id.as_str()));
        assert!(seen.insert(u.person_id.as_str()), "{} twice", u.person_id);
    }
    assert_eq!(seen.len(), new.len());

    let occ = occupancy(input, out);
    for (c, people) in input.cells.iter().zip(&occ) {
        assert!(
            people.len() <= c.capacity as usize,
            "cell {} over capacity",
            c.id
        );
        for i in 0..people.len() {
            for j in i + 1..people.len() {
                let ((a, an), (b, bn)) = (people[i], people[j]);
                if an || bn {
                    assert!(!conflict(a, b), "{} and {} share {}", a.id, b.id, c.id);
                }
            }
        }
    }
    // Summary figures, recomputed.
    assert_eq!(out.summary.assigned, out.assignments.len());
    assert_eq!(out.summary.unassigned, out.unassigned.len());
    let spaces: Vec<(f64, usize)> = input
        .cells
        .iter()
        .zip(&occ)
        .filter(|(_, p)| !p.is_empty())
        .map(|(c, p)| (c.area_m2 / p.len() as f64, p.len()))
        .collect();
    let min = spaces.iter().map(|s| s.0).reduce(f64::min);
    assert_eq!(out.summary.min_m2_per_person, min);
    let below: usize = spaces
        .iter()
        .filter(|s| s.0 < input.standard_m2_per_person)
        .map(|s| s.1)
        .sum();
    assert_eq!(out.summary.persons_below_standard, below);
    // Bounds hold.
    assert!(out.summary.assigned <= out.bound.max_placeable);
    if let (Some(m), Some(u)) = (min, out.bound.min_m2_per_person_upper) {
        assert!(m <= u * (1.0 + 1e-9), "min {m} above bound {u}");
    }
    // Reasons are true.
    let persons: HashMap<&str, &PersonInput> =
        input.persons.iter().map(|p| (p.id.as_str(), p)).collect();
    let room: Vec<usize> = (0..input.cells.len())
        .filter(|&i| occ[i].len() < input.cells[i].capacity as usize)
        .collect();
    for u in &out.unassigned {
        let p = persons[u.person_id.as_str()];
        match u.reason {
            UnassignedReason::NoCapacity => assert!(room.is_empty(), "{} said no_capacity", p.id),
            UnassignedReason::Separation => {
                assert!(!room.is_empty());
                for &c in &room {
                    assert!(
                        occ[c].iter().any(|(q, _)| conflict(p, q)),
                        "{} fits {}",
                        p.id,
                        input.cells[c].id
                    );
                }
            }
        }
    }
}

/// Exhaustive search: the best (placed, smallest space) over every assignment.
fn brute_force(input: &AssignInput) -> (usize, Option<f64>) {
    let n = input.persons.len();
    let k = input.cells.len() + 1;
    let mut best: (usize, Option<f64>) = (0, None);
    let mut first = true;
    let mut choice = vec![0usize; n];
    loop {
        let mut occ: Vec<Vec<&PersonInput>> = input
            .cells
            .iter()
            .map(|c| c.occupants.iter().collect())
            .collect();
        let mut ok = true;
        let mut placed = 0;
        for (i, &ch) in choice.iter().enumerate() {
            if ch == 0 {
                continue;
            }
            let c = ch - 1;
            let p = &input.persons[i];
            if occ[c].len() >= input.cells[c].capacity as usize
                || occ[c].iter().any(|q| conflict(p, q))
            {
                ok = false;
                break;
            }
            occ[c].push(p);
            placed += 1;
        }
        if ok {
            let min = input
                .cells
                .iter()
                .zip(&occ)
                .filter(|(_, o)| !o.is_empty())
                .map(|(c, o)| c.area_m2 / o.len() as f64)
                .reduce(f64::min);
            let inf = |x: Option<f64>| x.unwrap_or(f64::INFINITY);
            if first || placed > best.0 || (placed == best.0 && inf(min) > inf(best.1)) {
                best = (placed, min);
                first = false;
            }
        }
        // Next choice vector (odometer).
        let mut i = 0;
        loop {
            if i == n {
                return best;
            }
            choice[i] += 1;
            if choice[i] < k {
                break;
            }
            choice[i] = 0;
            i += 1;
        }
    }
}

type RawPerson = (u8, u8, Vec<usize>);

fn build(
    standard: f64,
    cells: Vec<(u32, u32, usize)>,
    occupants: Vec<RawPerson>,
    persons: Vec<RawPerson>,
) -> AssignInput {
    let mut n_occ = 0;
    let mut occ_iter = occupants.into_iter();
    let mut ids: Vec<String> = Vec::new();
    let mut cells_in = Vec::new();
    let mut raw_occ = Vec::new();
    for (i, (area, cap, want)) in cells.into_iter().enumerate() {
        let mut occ = Vec::new();
        for _ in 0..want.min(cap as usize) {
            if let Some(r) = occ_iter.next() {
                let id = format!("X-{n_occ}");
                n_occ += 1;
                ids.push(id.clone());
                occ.push(id);
                raw_occ.push(r);
            }
        }
        cells_in.push((format!("C{i}"), f64::from(area) / 2.0, cap, occ));
    }
    for i in 0..persons.len() {
        ids.push(format!("N-{i}"));
    }
    let total = ids.len();
    let person = |id: String, r: &RawPerson| PersonInput {
        id,
        groups: mask(r.0),
        separate_from: mask(r.1),
        // Indices past the end name nobody: unknown ids must be ignored.
        avoid_persons: r
            .2
            .iter()
            .map(|&j| {
                if j < total {
                    ids[j].clone()
                } else {
                    format!("ghost-{j}")
                }
            })
            .collect(),
    };
    let mut k = 0;
    let cells = cells_in
        .into_iter()
        .map(|(id, area_m2, capacity, occ)| CellInput {
            id,
            pavilion: Some("P1".into()),
            area_m2,
            capacity,
            occupants: occ
                .into_iter()
                .map(|oid| {
                    let p = person(oid, &raw_occ[k]);
                    k += 1;
                    p
                })
                .collect(),
        })
        .collect();
    let persons = persons
        .iter()
        .enumerate()
        .map(|(i, r)| person(format!("N-{i}"), r))
        .collect();
    AssignInput {
        standard_m2_per_person: standard,
        cells,
        persons,
    }
}

fn raw_person(avoid_max: usize) -> impl Strategy<Value = RawPerson> {
    (
        0u8..8,
        0u8..8,
        prop::collection::vec(0usize..avoid_max, 0..3),
    )
}

fn instance(
    max_cells: usize,
    max_persons: usize,
    max_cap: u32,
) -> impl Strategy<Value = AssignInput> {
    (
        prop::sample::select(vec![1.0, 2.5, 3.4, 10.0]),
        prop::collection::vec((1u32..120, 0u32..=max_cap, 0usize..4), 1..=max_cells),
        prop::collection::vec(raw_person(30), 0..12),
        prop::collection::vec(raw_person(30), 0..=max_persons),
    )
        .prop_map(|(s, c, o, p)| build(s, c, o, p))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn never_breaks_a_hard_rule_and_summaries_are_true(input in instance(8, 25, 6)) {
        let out = assign(&input).unwrap();
        check(&input, &out);
    }

    #[test]
    fn heuristic_alone_also_keeps_every_rule(input in instance(8, 25, 6)) {
        let opts = AssignOptions { exact_max_persons: 0, ..AssignOptions::default() };
        let out = assign_with(&input, opts).unwrap();
        check(&input, &out);
    }

    #[test]
    fn a_cut_short_exact_search_keeps_every_rule(input in instance(6, 12, 5)) {
        let opts = AssignOptions { exact_max_persons: 14, exact_node_limit: 40 };
        let out = assign_with(&input, opts).unwrap();
        check(&input, &out);
    }

    #[test]
    fn optimal_on_tiny_instances(input in instance(3, 5, 3)) {
        let out = assign(&input).unwrap();
        check(&input, &out);
        let (count, min) = brute_force(&input);
        prop_assert_eq!(out.summary.assigned, count);
        match (out.summary.min_m2_per_person, min) {
            (Some(a), Some(b)) => prop_assert!((a - b).abs() <= 1e-9 * b, "min {} vs optimum {}", a, b),
            (a, b) => prop_assert_eq!(a, b),
        }
        prop_assert!(matches!(out.bound.method, Method::ExactSearch | Method::MeetsBound));
        // The bound is above the true optimum.
        if let (Some(u), Some(b)) = (out.bound.min_m2_per_person_upper, min) {
            prop_assert!(b <= u * (1.0 + 1e-9));
        }
    }

    /// Without any separation, the heuristic alone reaches both bounds: it is optimal.
    #[test]
    fn without_separation_the_heuristic_meets_the_bound(
        cells in prop::collection::vec((1u32..400, 0u32..40), 1..20),
        n in 0usize..200,
    ) {
        let input = AssignInput {
            standard_m2_per_person: 3.4,
            cells: cells.into_iter().enumerate().map(|(i, (a, c))| CellInput {
                id: format!("C{i}"), pavilion: None, area_m2: f64::from(a) / 4.0, capacity: c, occupants: vec![],
            }).collect(),
            persons: (0..n).map(|i| PersonInput { id: format!("N-{i}"), groups: vec!["A".into()], separate_from: vec!["B".into()], avoid_persons: vec![] }).collect(),
        };
        let opts = AssignOptions { exact_max_persons: 0, ..AssignOptions::default() };
        let out = assign_with(&input, opts).unwrap();
        check(&input, &out);
        prop_assert_eq!(out.summary.assigned, out.bound.max_placeable);
        prop_assert_eq!(out.summary.min_m2_per_person, out.bound.min_m2_per_person_upper);
        prop_assert_eq!(out.bound.method, Method::MeetsBound);
    }
}

fn p(id: &str, g: &[&str], s: &[&str], a: &[&str]) -> PersonInput {
    PersonInput {
        id: id.into(),
        groups: g.iter().map(|x| x.to_string()).collect(),
        separate_from: s.iter().map(|x| x.to_string()).collect(),
        avoid_persons: a.iter().map(|x| x.to_string()).collect(),
    }
}

fn cell(id: &str, area: f64, cap: u32, occ: Vec<PersonInput>) -> CellInput {
    CellInput {
        id: id.into(),
        pavilion: Some("P1".into()),
        area_m2: area,
        capacity: cap,
        occupants: occ,
    }
}

#[test]
fn contract_example_shape() {
    let text = r#"{"standard_m2_per_person": 3.4,
     "cells": [{"id": "P1-C01", "pavilion": "P1", "area_m2": 100.0, "capacity": 80,
                "occupants": [{"id": "X-1", "groups": ["A"], "separate_from": ["B"], "avoid_persons": []}]}],
     "persons": [{"id": "N-1", "groups": ["B"], "separate_from": ["A"], "avoid_persons": ["N-7"]}]}"#;
    let out = custodia_housing::assign_json(text).unwrap();
    let v = serde_json::to_value(&out).unwrap();
    assert_eq!(v["assignments"], serde_json::json!([]));
    assert_eq!(
        v["unassigned"],
        serde_json::json!([{"person_id": "N-1", "reason": "separation"}])
    );
    assert_eq!(
        v["summary"],
        serde_json::json!({"assigned": 0, "unassigned": 1, "min_m2_per_person": 100.0, "persons_below_standard": 0})
    );
}

#[test]
fn rivals_get_their_own_cells_and_space_is_spread() {
    // Two cells of 20 m²: A goes with A, B with B; four A then share one cell (5 m² each).
    let input = AssignInput {
        standard_m2_per_person: 6.0,
        cells: vec![
            cell("C1", 20.0, 10, vec![p("X-1", &["A"], &["B"], &[])]),
            cell("C2", 20.0, 10, vec![]),
            cell("C3", 40.0, 10, vec![]),
        ],
        persons: vec![
            p("N-1", &["B"], &["A"], &[]),
            p("N-2", &["A"], &["B"], &[]),
            p("N-3", &["A"], &["B"], &[]),
            p("N-4", &["B"], &["A"], &["N-1"]),
        ],
    };
    let out = assign(&input).unwrap();
    check(&input, &out);
    assert_eq!(out.summary.assigned, 4);
    // Optimum: B's in C2 and C3 apart (20, 40), A's: X-1 + N-2 + N-3 in C1 → 20/3.
    assert!(
        (out.summary.min_m2_per_person.unwrap() - 20.0 / 3.0).abs() < 1e-9,
        "{out:?}"
    );
}

#[test]
fn no_capacity_vs_separation() {
    let full = AssignInput {
        standard_m2_per_person: 3.4,
        cells: vec![cell("C1", 10.0, 1, vec![p("X-1", &[], &[], &[])])],
        persons: vec![p("N-1", &[], &[], &[])],
    };
    let out = assign(&full).unwrap();
    assert_eq!(out.unassigned[0].reason, UnassignedReason::NoCapacity);
    let apart = AssignInput {
        standard_m2_per_person: 3.4,
        cells: vec![cell("C1", 10.0, 2, vec![p("X-1", &[], &[], &["N-1"])])],
        persons: vec![p("N-1", &[], &[], &[])],
    };
    let out = assign(&apart).unwrap();
    assert_eq!(out.unassigned[0].reason, UnassignedReason::Separation);
    assert_eq!(out.summary.persons_below_standard, 0);
}

#[test]
fn validation_names_the_item() {
    let base = || AssignInput {
        standard_m2_per_person: 3.4,
        cells: vec![cell("C1", 10.0, 2, vec![p("X-1", &[], &[], &[])])],
        persons: vec![p("N-1", &[], &[], &[])],
    };
    let mut i = base();
    i.cells[0].area_m2 = -1.0;
    assert!(assign(&i).unwrap_err().to_string().contains("`C1`"));
    let mut i = base();
    i.cells[0].capacity = 0;
    assert!(assign(&i).unwrap_err().to_string().contains("`C1`"));
    let mut i = base();
    i.persons[0].id = "X-1".into();
    assert!(assign(&i).unwrap_err().to_string().contains("`X-1`"));
    let mut i = base();
    i.cells.push(cell("C1", 5.0, 1, vec![]));
    assert!(
        assign(&i)
            .unwrap_err()
            .to_string()
            .contains("duplicate cell id `C1`")
    );
    let mut i = base();
    i.cells[0].occupants.push(p("X-2", &[], &[], &[]));
    i.cells[0].occupants.push(p("X-3", &[], &[], &[]));
    assert!(assign(&i).unwrap_err().to_string().contains("exceed"));
    let e = custodia_housing::assign_json(
        r#"{"standard_m2_per_person":3.4,"cells":[{"id":"C9","area_m2":"big","capacity":1}]}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("cell `C9`"), "{e}");
    let e = custodia_housing::assign_json(
        r#"{"standard_m2_per_person":3.4,"cells":[],"persons":[{"id":"N-1","separate_fron":["A"]}]}"#,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("person `N-1`") && e.to_string().contains("separate_fron"),
        "{e}"
    );
}
