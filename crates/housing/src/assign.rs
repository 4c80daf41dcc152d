//! Cell assignment, CONTRACT §7.
//!
//! The problem generalises graph colouring (rival groups and `avoid_persons` pairs cannot
//! share a cell), so no fast algorithm is exact on every input. The engine therefore:
//!
//! 1. computes two **upper bounds** that ignore separation: the largest number that can be
//!    placed (free capacity), and for a given count the largest achievable smallest space
//!    per person `t` (the largest `t` with `Σ_c min(cap_c, ⌊area_c / t⌋) ≥ existing + placed`
//!    while every cell already occupied keeps `area_c / existing_c ≥ t`);
//! 2. runs a **class-greedy placement under per-cell limits** `limit_c = min(cap_c, ⌊area_c/t⌋)`:
//!    people with the same groups and separations are interchangeable, the most constrained
//!    classes go first, each person joins the compatible occupied cell with the most space
//!    per person left, and an empty cell is opened only when no occupied one fits (empty
//!    cells are the resource rival classes compete for); an **ejection repair** then tries to
//!    place each leftover person by moving one movable person out of the way;
//! 3. **binary-searches `t`** over the finite set of candidate values `area_c / k` for the
//!    largest `t` whose limits still place as many people as with no limit;
//! 4. on small instances, a **branch-and-bound** search starting from that incumbent proves
//!    optimality or improves it (the output says which: `bound.method`).
//!
//! The hard rules are checked at every single placement, so they hold whatever the
//! heuristic's quality.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::AssignError;

/// The whole input of `custodia assign` (CONTRACT §7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// The space standard used to count `persons_below_standard` (ICRC: 3.4 m²).
    pub standard_m2_per_person: f64,
    pub cells: Vec<CellInput>,
    #[serde(default)]
    pub persons: Vec<PersonInput>,
}

/// A cell with the people already in it.
// Unknown fields are refused rather than ignored: a misspelt `separate_from` silently
// dropped would put rivals together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellInput {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pavilion: Option<String>,
    pub area_m2: f64,
    pub capacity: u32,
    #[serde(default)]
    pub occupants: Vec<PersonInput>,
}

/// A person, present (an occupant) or arriving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub id: String,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub separate_from: Vec<String>,
    /// Ids of people this person must not share a cell with; unknown ids are ignored.
    #[serde(default)]
    pub avoid_persons: Vec<String>,
}

/// One placement of a new person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub person_id: String,
    pub cell_id: String,
}

/// Why a person could not be placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnassignedReason {
    /// Every cell is full.
    NoCapacity,
    /// Some cell had room, but every such cell holds someone this person must be kept from.
    Separation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unassigned {
    pub person_id: String,
    pub reason: UnassignedReason,
}

/// The summary figures of CONTRACT §7.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub assigned: usize,
    pub unassigned: usize,
    /// Smallest `area_m2 / occupants` over occupied cells after assignment; `null` when no
    /// cell is occupied.
    pub min_m2_per_person: Option<f64>,
    /// Everyone (existing and new) in a cell whose space per person is under the standard.
    pub persons_below_standard: usize,
}

/// How the result was obtained and how far it can be from the best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Branch-and-bound finished: the result is optimal.
    ExactSearch,
    /// The result meets both bounds below, so it is optimal.
    MeetsBound,
    /// Heuristic; compare with the bounds.
    Heuristic,
}

/// Upper bounds that ignore separation, to judge the result against (extra field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bound {
    /// No assignment can place more than this (free capacity, capped by arrivals).
    pub max_placeable: usize,
    /// No assignment placing `summary.assigned` people can have a larger smallest space
    /// per person. `null` when nobody would be housed.
    pub min_m2_per_person_upper: Option<f64>,
    pub method: Method,
}

/// Two existing occupants who already share a cell against the rules: reported, since
/// existing occupants stay where they are (extra field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistingConflict {
    pub cell_id: String,
    pub person_ids: [String; 2],
}

/// The whole output of `custodia assign` (CONTRACT §7, plus `bound` and `existing_conflicts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignOutput {
    pub assignments: Vec<Assignment>,
    pub unassigned: Vec<Unassigned>,
    pub summary: Summary,
    pub bound: Bound,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub existing_conflicts: Vec<ExistingConflict>,
}

/// Tuning knobs; the defaults are what the CLI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignOptions {
    /// Branch-and-bound is tried when there are at most this many new persons...
    pub exact_max_persons: usize,
    /// ...and gives up (keeping the heuristic result) after this many nodes.
    pub exact_node_limit: u64,
}

impl Default for AssignOptions {
    fn default() -> Self {
        Self {
            exact_max_persons: 14,
            exact_node_limit: 200_000,
        }
    }
}

/// Reads one cell or person, naming the field at fault (`, field \`area_m2\``).
fn item<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(v.clone()).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() {
            String::new()
        } else {
            format!(", field `{path}`")
        };
        (field, e.into_inner().to_string())
    })
}

/// Parses the JSON input, naming the cell or person at fault when a field is wrong.
pub fn parse_input(text: &str) -> Result<AssignInput, AssignError> {
    let root: serde_json::Value =
        serde_json::from_str(text).map_err(|e| AssignError::Json(e.to_string()))?;
    let obj = root
        .as_object()
        .ok_or_else(|| AssignError::Json("expected a JSON object at the top level".into()))?;
    for key in obj.keys() {
        if !matches!(key.as_str(), "standard_m2_per_person" | "cells" | "persons") {
            return Err(AssignError::Json(format!(
                "unknown top-level field `{key}`; expected `standard_m2_per_person`, `cells`, `persons`"
            )));
        }
    }
    let standard = match obj.get("standard_m2_per_person") {
        Some(v) => v.as_f64().ok_or_else(|| {
            AssignError::Json(format!(
                "`standard_m2_per_person` is `{v}`; expected a number"
            ))
        })?,
        None => {
            return Err(AssignError::Json(
                "missing field `standard_m2_per_person`".into(),
            ));
        }
    };
    let item_name = |v: &serde_json::Value, i: usize| match v.get("id").and_then(|x| x.as_str()) {
        Some(id) => format!("`{id}`"),
        None => format!("#{}", i + 1),
    };
    let cells_v = match obj.get("cells") {
        Some(serde_json::Value::Array(a)) => a.as_slice(),
        Some(v) => {
            return Err(AssignError::Json(format!(
                "`cells` is `{v}`; expected an array"
            )));
        }
        None => return Err(AssignError::Json("missing field `cells`".into())),
    };
    let mut cells = Vec::with_capacity(cells_v.len());
    for (i, v) in cells_v.iter().enumerate() {
        let cell: CellInput = item(v).map_err(|(field, message)| AssignError::Item {
            item: format!("cell {}{field}", item_name(v, i)),
            message,
        })?;
        cells.push(cell);
    }
    let mut persons = Vec::new();
    match obj.get("persons") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Array(a)) => {
            for (i, v) in a.iter().enumerate() {
                let p: PersonInput = item(v).map_err(|(field, message)| AssignError::Item {
                    item: format!("person {}{field}", item_name(v, i)),
                    message,
                })?;
                persons.push(p);
            }
        }
        Some(v) => {
            return Err(AssignError::Json(format!(
                "`persons` is `{v}`; expected an array"
            )));
        }
    }
    Ok(AssignInput {
        standard_m2_per_person: standard,
        cells,
        persons,
    })
}

/// Checks the input's consistency (ids, areas, capacities).
pub fn validate(input: &AssignInput) -> Result<(), AssignError> {
    let s = input.standard_m2_per_person;
    if !(s.is_finite() && s > 0.0) {
        return Err(AssignError::BadStandard(s));
    }
    let mut cell_ids = HashSet::new();
    let mut person_ids = HashSet::new();
    for c in &input.cells {
        if c.id.is_empty() {
            return Err(AssignError::EmptyId {
                what: "cell".into(),
            });
        }
        if !cell_ids.insert(c.id.as_str()) {
            return Err(AssignError::DuplicateCell(c.id.clone()));
        }
        if !(c.area_m2.is_finite() && c.area_m2 > 0.0) {
            return Err(AssignError::BadArea {
                cell: c.id.clone(),
                area: c.area_m2,
            });
        }
        let n = c.occupants.len();
        if c.capacity == 0 && n > 0 {
            return Err(AssignError::ZeroCapacityOccupied {
                cell: c.id.clone(),
                occupants: n,
            });
        }
        if n > c.capacity as usize {
            return Err(AssignError::OverCapacity {
                cell: c.id.clone(),
                occupants: n,
                capacity: c.capacity,
            });
        }
        for p in &c.occupants {
            if p.id.is_empty() {
                return Err(AssignError::EmptyId {
                    what: format!("occupant of cell `{}`", c.id),
                });
            }
            if !person_ids.insert(p.id.as_str()) {
                return Err(AssignError::DuplicatePerson(p.id.clone()));
            }
        }
    }
    for p in &input.persons {
        if p.id.is_empty() {
            return Err(AssignError::EmptyId {
                what: "person".into(),
            });
        }
        if !person_ids.insert(p.id.as_str()) {
            return Err(AssignError::DuplicatePerson(p.id.clone()));
        }
    }
    Ok(())
}

/// Parses, validates and assigns: what `custodia assign` does.
pub fn assign_json(text: &str) -> Result<AssignOutput, AssignError> {
    let input = parse_input(text)?;
    assign(&input)
}

/// Assigns the new persons to cells with the default options.
pub fn assign(input: &AssignInput) -> Result<AssignOutput, AssignError> {
    assign_with(input, AssignOptions::default())
}

/// Assigns the new persons to cells.
pub fn assign_with(input: &AssignInput, opts: AssignOptions) -> Result<AssignOutput, AssignError> {
    validate(input)?;
    let prob = Problem::new(input);
    let (state, method, t_upper, max_placeable) = solve(&prob, opts);
    Ok(render(
        input,
        &prob,
        &state,
        Bound {
            max_placeable,
            min_m2_per_person_upper: t_upper,
            method,
        },
    ))
}

// ---------------------------------------------------------------------------------------
// Internal model: people are indices (existing occupants first, then new persons), groups
// are interned.

struct Person {
    groups: Vec<u32>,
    sep: Vec<u32>,
    /// Symmetric closure of `avoid_persons`, resolved to indices.
    avoid: Vec<usize>,
}

struct Problem {
    area: Vec<f64>,
    cap: Vec<u32>,
    persons: Vec<Person>,
    n_exist: usize,
    /// Cell of each existing occupant.
    exist_cell: Vec<usize>,
    /// Class of each new person (index into `classes`), by identical groups and separations.
    class_of: Vec<usize>,
    /// Members of each class, new persons only, as person indices.
    classes: Vec<Vec<usize>>,
}

impl Problem {
    fn new(input: &AssignInput) -> Self {
        let mut interner: HashMap<&str, u32> = HashMap::new();
        fn intern<'a>(s: &'a str, interner: &mut HashMap<&'a str, u32>) -> u32 {
            let n = interner.len() as u32;
            *interner.entry(s).or_insert(n)
        }
        let mut raw: Vec<&PersonInput> = Vec::new();
        let mut exist_cell = Vec::new();
        for (ci, c) in input.cells.iter().enumerate() {
            for p in &c.occupants {
                raw.push(p);
                exist_cell.push(ci);
            }
        }
        let n_exist = raw.len();
        raw.extend(input.persons.iter());
        let index: HashMap<&str, usize> = raw
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();
        let mut persons: Vec<Person> = raw
            .iter()
            .map(|p| {
                let mut groups: Vec<u32> =
                    p.groups.iter().map(|g| intern(g, &mut interner)).collect();
                groups.sort_unstable();
                groups.dedup();
                let mut sep: Vec<u32> = p
                    .separate_from
                    .iter()
                    .map(|g| intern(g, &mut interner))
                    .collect();
                sep.sort_unstable();
                sep.dedup();
                Person {
                    groups,
                    sep,
                    avoid: Vec::new(),
                }
            })
            .collect();
        for (i, p) in raw.iter().enumerate() {
            for a in &p.avoid_persons {
                // An unknown id in `avoid_persons` names nobody here: nothing to keep apart.
                if let Some(&j) = index.get(a.as_str())
                    && j != i
                {
                    persons[i].avoid.push(j);
                    persons[j].avoid.push(i);
                }
            }
        }
        for p in &mut persons {
            p.avoid.sort_unstable();
            p.avoid.dedup();
        }
        let mut class_key: BTreeMap<(Vec<u32>, Vec<u32>), usize> = BTreeMap::new();
        let mut classes: Vec<Vec<usize>> = Vec::new();
        let mut class_of = vec![usize::MAX; persons.len()];
        for (i, p) in persons.iter().enumerate().skip(n_exist) {
            let key = (p.groups.clone(), p.sep.clone());
            let k = *class_key.entry(key).or_insert_with(|| {
                classes.push(Vec::new());
                classes.len() - 1
            });
            classes[k].push(i);
            class_of[i] = k;
        }
        Problem {
            area: input.cells.iter().map(|c| c.area_m2).collect(),
            cap: input.cells.iter().map(|c| c.capacity).collect(),
            persons,
            n_exist,
            exist_cell,
            class_of,
            classes,
        }
    }

    fn n_cells(&self) -> usize {
        self.area.len()
    }

    fn n_new(&self) -> usize {
        self.persons.len() - self.n_exist
    }

    /// True when the two profiles may share a cell as far as groups go.
    fn groups_compatible(&self, a: usize, b: usize) -> bool {
        let (pa, pb) = (&self.persons[a], &self.persons[b]);
        !intersects(&pa.sep, &pb.groups) && !intersects(&pb.sep, &pa.groups)
    }

    fn conflict(&self, a: usize, b: usize) -> bool {
        !self.groups_compatible(a, b) || self.persons[a].avoid.binary_search(&b).is_ok()
    }
}

fn intersects(a: &[u32], b: &[u32]) -> bool {
    // Both sorted; lists are short.
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

#[derive(Clone)]
struct State {
    n: Vec<u32>,
    /// Per cell: how many occupants carry each group / separate from each group.
    grp: Vec<HashMap<u32, u32>>,
    sep: Vec<HashMap<u32, u32>>,
    cell_of: Vec<Option<usize>>,
    /// New persons in each cell (existing ones never move).
    movable: Vec<Vec<usize>>,
}

impl State {
    fn initial(prob: &Problem) -> Self {
        let nc = prob.n_cells();
        let mut s = State {
            n: vec![0; nc],
            grp: vec![HashMap::new(); nc],
            sep: vec![HashMap::new(); nc],
            cell_of: vec![None; prob.persons.len()],
            movable: vec![Vec::new(); nc],
        };
        for (i, &c) in prob.exist_cell.iter().enumerate() {
            s.add(prob, i, c);
        }
        s
    }

    fn add(&mut self, prob: &Problem, p: usize, c: usize) {
        let person = &prob.persons[p];
        self.n[c] += 1;
        for &g in &person.groups {
            *self.grp[c].entry(g).or_insert(0) += 1;
        }
        for &g in &person.sep {
            *self.sep[c].entry(g).or_insert(0) += 1;
        }
        self.cell_of[p] = Some(c);
        if p >= prob.n_exist {
            self.movable[c].push(p);
        }
    }

    fn remove(&mut self, prob: &Problem, p: usize) {
        let Some(c) = self.cell_of[p] else { return };
        let person = &prob.persons[p];
        self.n[c] -= 1;
        for &g in &person.groups {
            dec(&mut self.grp[c], g);
        }
        for &g in &person.sep {
            dec(&mut self.sep[c], g);
        }
        self.cell_of[p] = None;
        if let Some(pos) = self.movable[c].iter().position(|&q| q == p) {
            self.movable[c].swap_remove(pos);
        }
    }

    /// Group rule (CONTRACT §7): nobody in `c` separates from one of p's groups, and p
    /// separates from none of theirs.
    fn group_ok(&self, prob: &Problem, p: usize, c: usize) -> bool {
        let person = &prob.persons[p];
        person.groups.iter().all(|g| !self.sep[c].contains_key(g))
            && person.sep.iter().all(|g| !self.grp[c].contains_key(g))
    }

    /// `avoid_persons` rule, both directions (the list is symmetric).
    fn avoid_ok(&self, prob: &Problem, p: usize, c: usize) -> bool {
        prob.persons[p]
            .avoid
            .iter()
            .all(|&q| self.cell_of[q] != Some(c))
    }

    fn fits(&self, prob: &Problem, p: usize, c: usize, limit: &[u32]) -> bool {
        self.n[c] < limit[c] && self.group_ok(prob, p, c) && self.avoid_ok(prob, p, c)
    }

    fn placed(&self, prob: &Problem) -> usize {
        self.cell_of[prob.n_exist..]
            .iter()
            .filter(|c| c.is_some())
            .count()
    }

    fn min_space(&self, prob: &Problem) -> Option<f64> {
        self.n
            .iter()
            .zip(&prob.area)
            .filter(|(n, _)| **n > 0)
            .map(|(&n, &a)| a / f64::from(n))
            .reduce(f64::min)
    }
}

fn dec(m: &mut HashMap<u32, u32>, g: u32) {
    if let Some(v) = m.get_mut(&g) {
        *v -= 1;
        if *v == 0 {
            m.remove(&g);
        }
    }
}

/// Lexicographic objective: more people placed, then a larger smallest space (none = ∞).
fn better(a: (usize, Option<f64>), b: (usize, Option<f64>)) -> bool {
    if a.0 != b.0 {
        return a.0 > b.0;
    }
    let inf = |x: Option<f64>| x.unwrap_or(f64::INFINITY);
    inf(a.1) > inf(b.1) * (1.0 + 1e-12)
}

fn score(prob: &Problem, s: &State) -> (usize, Option<f64>) {
    (s.placed(prob), s.min_space(prob))
}

/// Per-cell limit that a smallest-space target `t` implies.
fn limits_for(prob: &Problem, t: f64) -> Vec<u32> {
    prob.area
        .iter()
        .zip(&prob.cap)
        .map(|(&a, &cap)| {
            // The relative slack absorbs the rounding of `t = area_d / k`.
            let k = (a / t * (1.0 + 1e-12)).floor();
            if k >= f64::from(cap) {
                cap
            } else {
                k.max(0.0) as u32
            }
        })
        .collect()
}

/// Candidate values of the smallest space: it is always `area_c / k` for some cell and
/// some head count `k`; sorted from largest to smallest. Only values compatible with the
/// existing occupants are kept (a cell with `e` people already has `area / e`).
fn candidates(prob: &Problem) -> Vec<f64> {
    let mut exist = vec![0u32; prob.n_cells()];
    for &c in &prob.exist_cell {
        exist[c] += 1;
    }
    let ceiling = exist
        .iter()
        .zip(&prob.area)
        .filter(|(e, _)| **e > 0)
        .map(|(&e, &a)| a / f64::from(e))
        .fold(f64::INFINITY, f64::min);
    let n_new = prob.n_new() as u64;
    let mut v = Vec::new();
    for ((&cap, &area), &e) in prob.cap.iter().zip(&prob.area).zip(&exist) {
        let max_k = u64::from(cap).min(u64::from(e) + n_new);
        for k in 1..=max_k {
            let t = area / k as f64;
            if t <= ceiling * (1.0 + 1e-12) {
                v.push(t);
            }
        }
    }
    v.sort_by(|a, b| b.total_cmp(a));
    v.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * b.abs());
    v
}

/// Relaxation used by the bounds: new persons flow to cells under `limit`, a class only to
/// cells whose existing occupants it may join. It ignores clashes among new persons, so
/// whatever it cannot place, no assignment can.
struct Relaxation {
    /// Per class, the cells its groups allow given the existing occupants.
    open: Vec<Vec<usize>>,
    sizes: Vec<u64>,
    exist: Vec<u32>,
}

impl Relaxation {
    fn new(prob: &Problem) -> Option<Self> {
        // Past this size the flow costs more than it tells; the plain capacity bound stays.
        if prob.classes.len().saturating_mul(prob.n_cells()) > 2_000_000 {
            return None;
        }
        let s = State::initial(prob);
        let open = prob
            .classes
            .iter()
            .map(|m| {
                (0..prob.n_cells())
                    .filter(|&c| s.group_ok(prob, m[0], c))
                    .collect()
            })
            .collect();
        Some(Self {
            open,
            sizes: prob.classes.iter().map(|m| m.len() as u64).collect(),
            exist: s.n.clone(),
        })
    }

    /// Most new persons placeable under `limit`.
    fn max_flow(&self, limit: &[u32]) -> u64 {
        let k = self.sizes.len();
        let nc = limit.len();
        let (src, sink) = (0, k + nc + 1);
        let mut g = Dinic::new(k + nc + 2);
        for (i, &sz) in self.sizes.iter().enumerate() {
            g.edge(src, 1 + i, sz);
            for &c in &self.open[i] {
                g.edge(1 + i, 1 + k + c, sz);
            }
        }
        for (c, (&l, &e)) in limit.iter().zip(&self.exist).enumerate() {
            g.edge(1 + k + c, sink, u64::from(l.saturating_sub(e)));
        }
        g.run(src, sink)
    }
}

/// Dinic's maximum flow on a small graph.
struct Dinic {
    head: Vec<Vec<usize>>,
    to: Vec<usize>,
    cap: Vec<u64>,
}

impl Dinic {
    fn new(n: usize) -> Self {
        Self {
            head: vec![Vec::new(); n],
            to: Vec::new(),
            cap: Vec::new(),
        }
    }

    fn edge(&mut self, a: usize, b: usize, c: u64) {
        self.head[a].push(self.to.len());
        self.to.push(b);
        self.cap.push(c);
        self.head[b].push(self.to.len());
        self.to.push(a);
        self.cap.push(0);
    }

    fn run(&mut self, s: usize, t: usize) -> u64 {
        let n = self.head.len();
        let mut total = 0;
        loop {
            let mut level = vec![usize::MAX; n];
            level[s] = 0;
            let mut queue = std::collections::VecDeque::from([s]);
            while let Some(v) = queue.pop_front() {
                for &e in &self.head[v] {
                    let w = self.to[e];
                    if self.cap[e] > 0 && level[w] == usize::MAX {
                        level[w] = level[v] + 1;
                        queue.push_back(w);
                    }
                }
            }
            if level[t] == usize::MAX {
                return total;
            }
            let mut it = vec![0usize; n];
            loop {
                let f = self.push(s, t, u64::MAX, &level, &mut it);
                if f == 0 {
                    break;
                }
                total += f;
            }
        }
    }

    fn push(&mut self, v: usize, t: usize, f: u64, level: &[usize], it: &mut [usize]) -> u64 {
        if v == t {
            return f;
        }
        while it[v] < self.head[v].len() {
            let e = self.head[v][it[v]];
            let w = self.to[e];
            if self.cap[e] > 0 && level[w] == level[v] + 1 {
                let d = self.push(w, t, f.min(self.cap[e]), level, it);
                if d > 0 {
                    self.cap[e] -= d;
                    self.cap[e ^ 1] += d;
                    return d;
                }
            }
            it[v] += 1;
        }
        0
    }
}

/// The largest smallest-space any assignment placing `placed` new people can reach,
/// ignoring clashes among new persons (`None` when nobody would be housed).
fn space_bound(
    prob: &Problem,
    relax: Option<&Relaxation>,
    cands: &[f64],
    placed: usize,
) -> Option<f64> {
    let need = (prob.n_exist + placed) as u64;
    if need == 0 {
        return None;
    }
    let ok = |t: f64| {
        let limit = limits_for(prob, t);
        limit.iter().map(|&l| u64::from(l)).sum::<u64>() >= need
            && relax.is_none_or(|r| r.max_flow(&limit) >= placed as u64)
    };
    // `ok` is monotone: a smaller target allows more per cell. Find the first true.
    let (mut lo, mut hi) = (0usize, cands.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if ok(cands[mid]) {
            hi = mid
        } else {
            lo = mid + 1
        }
    }
    cands.get(lo).copied()
}

fn solve(prob: &Problem, opts: AssignOptions) -> (State, Method, Option<f64>, usize) {
    let cap = prob.cap.clone();
    let relax = Relaxation::new(prob);
    let max_placeable = max_placeable(prob, relax.as_ref());
    let mut best = place(prob, &cap);
    let mut best_score = score(prob, &best);
    let cands = candidates(prob);
    let mut t_upper = space_bound(prob, relax.as_ref(), &cands, best_score.0);

    // Binary search the largest target whose limits still place as many people.
    if let Some(tu) = t_upper {
        let start = cands
            .iter()
            .position(|&t| t <= tu * (1.0 + 1e-12))
            .unwrap_or(cands.len());
        let (mut lo, mut hi) = (start, cands.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let s = place(prob, &limits_for(prob, cands[mid]));
            let sc = score(prob, &s);
            if sc.0 >= best_score.0 {
                if better(sc, best_score) {
                    best = s;
                    best_score = sc;
                }
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
    }
    // More people placed outranks more space (CONTRACT §7): fill any hole left by limits.
    fill(prob, &mut best, &cap);
    best_score = score(prob, &best);
    t_upper = space_bound(prob, relax.as_ref(), &cands, best_score.0);

    let meets = best_score.0 == max_placeable
        && match (best_score.1, t_upper) {
            (Some(m), Some(u)) => m >= u * (1.0 - 1e-12),
            (None, _) => true,
            (Some(_), None) => false,
        };
    if meets {
        return (best, Method::MeetsBound, t_upper, max_placeable);
    }
    if prob.n_new() <= opts.exact_max_persons {
        let mut bb = Exact {
            prob,
            best: best.clone(),
            best_score,
            nodes: 0,
            limit: opts.exact_node_limit,
            max_placeable,
        };
        let mut s = State::initial(prob);
        bb.search(&mut s, prob.n_exist, 0);
        if bb.nodes <= bb.limit {
            let t = space_bound(prob, relax.as_ref(), &cands, bb.best_score.0);
            return (bb.best, Method::ExactSearch, t, max_placeable);
        }
        if better(bb.best_score, best_score) {
            // A cut-short search may stop on a leaf someone could still join.
            let mut improved = bb.best;
            fill(prob, &mut improved, &cap);
            let sc = improved.placed(prob);
            return (
                improved,
                Method::Heuristic,
                space_bound(prob, relax.as_ref(), &cands, sc),
                max_placeable,
            );
        }
    }
    (best, Method::Heuristic, t_upper, max_placeable)
}

fn max_placeable(prob: &Problem, relax: Option<&Relaxation>) -> usize {
    let free: u64 = prob.cap.iter().map(|&c| u64::from(c)).sum::<u64>() - prob.n_exist as u64;
    let plain = free.min(prob.n_new() as u64);
    relax.map_or(plain, |r| r.max_flow(&prob.cap).min(plain)) as usize
}

/// Greedy placement under per-cell limits, trying a few class orders (the order decides
/// who gets the empty cells): the default most-constrained-first order, and with few
/// classes each of its rotations. Keeps the best result.
fn place(prob: &Problem, limit: &[u32]) -> State {
    let base = class_order(prob);
    let mut best = place_in_order(prob, limit, &base);
    if base.len() > 1 && base.len() <= 6 {
        let mut best_score = score(prob, &best);
        for r in 1..base.len() {
            let mut order = base.clone();
            order.rotate_left(r);
            let s = place_in_order(prob, limit, &order);
            let sc = score(prob, &s);
            if better(sc, best_score) {
                best = s;
                best_score = sc;
            }
        }
    }
    best
}

/// One greedy pass in the given class order, then the ejection repair.
fn place_in_order(prob: &Problem, limit: &[u32], order: &[usize]) -> State {
    let mut s = State::initial(prob);
    for &k in order {
        let members = &prob.classes[k];
        let Some(&rep) = members.first() else {
            continue;
        };
        // Cells open to this class as far as groups go; placing members of a
        // self-compatible class never changes that, so the list is computed once.
        let mut open: Vec<usize> = (0..prob.n_cells())
            .filter(|&c| limit[c] > 0 && s.group_ok(prob, rep, c))
            .collect();
        let self_compatible = prob.groups_compatible(rep, rep);
        // People with avoid lists first: they are harder to place.
        let mut ms = members.clone();
        ms.sort_by_key(|&p| std::cmp::Reverse(prob.persons[p].avoid.len()));
        let mut demand = ms.len() as u32;
        for p in ms {
            // A self-compatible class keeps `open` exact; otherwise re-check groups.
            let d = if self_compatible { demand } else { 1 };
            demand -= 1;
            if let Some(c) = choose_in(prob, &s, p, &open, limit, !self_compatible, d) {
                s.add(prob, p, c);
                if !self_compatible {
                    open.retain(|&x| x != c);
                }
            }
        }
    }
    repair(prob, &mut s, limit);
    s
}

/// Most constrained classes first: those whose groups clash with the most other people.
fn class_order(prob: &Problem) -> Vec<usize> {
    let mut weight: Vec<(usize, usize)> = prob
        .classes
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let rep = m[0];
            let mut w = 0usize;
            for (k2, m2) in prob.classes.iter().enumerate() {
                if !prob.groups_compatible(rep, m2[0])
                    || (k2 == k && m.len() > 1 && !prob.groups_compatible(rep, rep))
                {
                    w += m2.len();
                }
            }
            for q in 0..prob.n_exist {
                if !prob.groups_compatible(rep, q) {
                    w += 1;
                }
            }
            (k, w)
        })
        .collect();
    weight.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    weight.into_iter().map(|(k, _)| k).collect()
}

/// The cell a person joins: an occupied compatible cell with the most space per person
/// after joining (water-filling). Only when none is left does it open an empty cell, the
/// scarce resource rival classes compete for: best fit, the smallest one that takes the
/// whole remaining `demand` of its class, else the largest.
fn choose(prob: &Problem, s: &State, p: usize, cells: &[usize], limit: &[u32]) -> Option<usize> {
    choose_in(prob, s, p, cells, limit, true, 1)
}

/// `check_groups` false: the caller has already filtered `cells` by the group rule.
fn choose_in(
    prob: &Problem,
    s: &State,
    p: usize,
    cells: &[usize],
    limit: &[u32],
    check_groups: bool,
    demand: u32,
) -> Option<usize> {
    // Rank: 2 = occupied (larger key better), 1 = empty and fits the demand (smaller
    // limit better, so the key is negated), 0 = empty and too small (larger better).
    let mut best: Option<(usize, u8, f64)> = None;
    for &c in cells {
        if s.n[c] >= limit[c]
            || !s.avoid_ok(prob, p, c)
            || (check_groups && !s.group_ok(prob, p, c))
        {
            continue;
        }
        let (rank, key) = if s.n[c] > 0 {
            (2, prob.area[c] / f64::from(s.n[c] + 1))
        } else if limit[c] >= demand {
            (1, -f64::from(limit[c]) + prob.area[c] * 1e-9)
        } else {
            (0, f64::from(limit[c]) + prob.area[c] * 1e-9)
        };
        let take = match best {
            None => true,
            Some((_, br, bk)) => rank > br || (rank == br && key > bk),
        };
        if take {
            best = Some((c, rank, key));
        }
    }
    best.map(|b| b.0)
}

/// Ejection repair: place a leftover person by moving one movable person elsewhere.
fn repair(prob: &Problem, s: &mut State, limit: &[u32]) {
    let all: Vec<usize> = (0..prob.n_cells()).collect();
    // Bounds the work of one repair: each probe of the search must stay cheap.
    let mut budget: u64 = 2_000_000;
    for _pass in 0..3 {
        let mut improved = false;
        let leftovers: Vec<usize> = (prob.n_exist..prob.persons.len())
            .filter(|&p| s.cell_of[p].is_none())
            .collect();
        for p in leftovers {
            if !all.iter().any(|&c| s.n[c] < limit[c]) {
                return;
            }
            if let Some(c) = choose(prob, s, p, &all, limit) {
                s.add(prob, p, c);
                improved = true;
                continue;
            }
            if try_eject(prob, s, p, limit, &mut budget) {
                improved = true;
            }
        }
        if !improved {
            return;
        }
    }
}

fn try_eject(prob: &Problem, s: &mut State, p: usize, limit: &[u32], budget: &mut u64) -> bool {
    let room: Vec<usize> = (0..prob.n_cells()).filter(|&c| s.n[c] < limit[c]).collect();
    // Whether a class could go to a cell with room other than `c`, ignoring avoid lists
    // (memo per attempt: the state does not change until a success).
    let mut can_move: HashMap<(usize, usize), bool> = HashMap::new();
    for c in 0..prob.n_cells() {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        if limit[c] == 0 || !s.group_ok(prob, p, c) {
            continue;
        }
        let mut blockers = prob.persons[p]
            .avoid
            .iter()
            .copied()
            .filter(|&q| s.cell_of[q] == Some(c));
        let first = blockers.next();
        if blockers.next().is_some() || first.is_some_and(|q| q < prob.n_exist) {
            continue;
        }
        let candidates: Vec<usize> = match first {
            Some(q) => vec![q],
            None if s.n[c] >= limit[c] => s.movable[c].clone(),
            None => continue,
        };
        let elsewhere: Vec<usize> = room.iter().copied().filter(|&c2| c2 != c).collect();
        for q in candidates {
            *budget = budget.saturating_sub(1);
            let k = prob.class_of[q];
            let movable = *can_move
                .entry((k, c))
                .or_insert_with(|| elsewhere.iter().any(|&c2| s.group_ok(prob, q, c2)));
            if !movable {
                continue;
            }
            s.remove(prob, q);
            match choose(prob, s, q, &elsewhere, limit) {
                // q's new cell is not c, so p is judged against c without q.
                Some(c2) if s.fits(prob, p, c, limit) => {
                    s.add(prob, q, c2);
                    s.add(prob, p, c);
                    return true;
                }
                _ => s.add(prob, q, c),
            }
        }
    }
    false
}

/// Places whoever still fits anywhere under the hard capacity.
fn fill(prob: &Problem, s: &mut State, cap: &[u32]) {
    let all: Vec<usize> = (0..prob.n_cells()).collect();
    for p in prob.n_exist..prob.persons.len() {
        if s.cell_of[p].is_none()
            && let Some(c) = choose(prob, s, p, &all, cap)
        {
            s.add(prob, p, c);
        }
    }
    repair(prob, s, cap);
}

/// Branch and bound over the new persons in input order, for small instances.
struct Exact<'a> {
    prob: &'a Problem,
    best: State,
    best_score: (usize, Option<f64>),
    nodes: u64,
    limit: u64,
    max_placeable: usize,
}

impl Exact<'_> {
    fn search(&mut self, s: &mut State, p: usize, placed: usize) {
        self.nodes += 1;
        if self.nodes > self.limit {
            return;
        }
        let prob = self.prob;
        let remaining = prob.persons.len() - p;
        let potential = (placed + remaining).min(self.max_placeable);
        // Adding people never raises the smallest space, so the current one bounds it.
        let cur = s.min_space(prob);
        if !better((potential, cur), self.best_score) {
            return;
        }
        if p == prob.persons.len() {
            self.best = s.clone();
            self.best_score = (placed, cur);
            return;
        }
        let mut options: Vec<usize> = Vec::new();
        for c in 0..prob.n_cells() {
            if !s.fits(prob, p, c, &prob.cap) {
                continue;
            }
            // Symmetry: two empty cells of equal area and capacity are interchangeable.
            let dup = s.n[c] == 0
                && options.iter().any(|&o| {
                    s.n[o] == 0 && prob.area[o] == prob.area[c] && prob.cap[o] == prob.cap[c]
                });
            if !dup {
                options.push(c);
            }
        }
        options.sort_by(|&a, &b| {
            let ka = prob.area[a] / f64::from(s.n[a] + 1);
            let kb = prob.area[b] / f64::from(s.n[b] + 1);
            kb.total_cmp(&ka)
        });
        for c in options {
            s.add(prob, p, c);
            self.search(s, p + 1, placed + 1);
            s.remove(prob, p);
        }
        self.search(s, p + 1, placed);
    }
}

fn render(input: &AssignInput, prob: &Problem, s: &State, bound: Bound) -> AssignOutput {
    let mut assignments = Vec::new();
    let mut unassigned = Vec::new();
    let any_room = (0..prob.n_cells()).any(|c| s.n[c] < prob.cap[c]);
    for (i, p) in input.persons.iter().enumerate() {
        match s.cell_of[prob.n_exist + i] {
            Some(c) => assignments.push(Assignment {
                person_id: p.id.clone(),
                cell_id: input.cells[c].id.clone(),
            }),
            None => unassigned.push(Unassigned {
                person_id: p.id.clone(),
                // Every cell with room was tried and refused this person (the result is
                // maximal), so room anywhere means separation kept them out.
                reason: if any_room {
                    UnassignedReason::Separation
                } else {
                    UnassignedReason::NoCapacity
                },
            }),
        }
    }
    let standard = input.standard_m2_per_person;
    let persons_below_standard =
        s.n.iter()
            .zip(&prob.area)
            .filter(|(n, a)| **n > 0 && **a / f64::from(**n) < standard)
            .map(|(n, _)| *n as usize)
            .sum();
    let mut existing_conflicts = Vec::new();
    let mut base = 0;
    for cell in &input.cells {
        let n = cell.occupants.len();
        for i in 0..n {
            for j in i + 1..n {
                if prob.conflict(base + i, base + j) {
                    existing_conflicts.push(ExistingConflict {
                        cell_id: cell.id.clone(),
                        person_ids: [cell.occupants[i].id.clone(), cell.occupants[j].id.clone()],
                    });
                }
            }
        }
        base += n;
    }
    AssignOutput {
        summary: Summary {
            assigned: assignments.len(),
            unassigned: unassigned.len(),
            min_m2_per_person: s.min_space(prob),
            persons_below_standard,
        },
        assignments,
        unassigned,
        bound,
        existing_conflicts,
    }
}
