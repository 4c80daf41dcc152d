//! Conditions against international standards, from a cell census and ledger evidence.
//!
//! Everything here is a count the ledger can back: the caller (the store) summarises
//! events into the input records; this module only judges them. Thresholds are dated
//! parameters ([`StandardsParams`]), never buried constants.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::StandardsError;

/// A space standard and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpaceStandard {
    pub min_m2_per_person: f64,
    pub source: String,
    /// The date the figure was published or took effect.
    pub in_force_from: Date,
}

impl SpaceStandard {
    /// 3.4 m² per person in shared accommodation: ICRC, *Water, sanitation, hygiene and
    /// habitat in prisons* (2012 supplement).
    pub fn icrc_2012() -> Self {
        Self {
            min_m2_per_person: 3.4,
            source: "ICRC, Water, sanitation, hygiene and habitat in prisons (2012 supplement)"
                .into(),
            in_force_from: jiff::civil::date(2012, 1, 1),
        }
    }
}

/// The thresholds the report applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardsParams {
    pub space: SpaceStandard,
    /// Mandela Rules, rule 23(1): at least one hour of suitable exercise in the open air daily.
    pub exercise_min_hours_per_day: f64,
    /// Mandela Rules, rule 58(1): contact with family "at regular intervals"; this system
    /// flags no visit or contact in this many days.
    pub contact_window_days: i64,
    /// Mandela Rules, rule 44: solitary confinement beyond 15 consecutive days is
    /// prolonged, and rule 43(1)(b) prohibits it.
    pub solitary_max_days: i64,
    /// Mandela Rules, rule 68: the right to inform family immediately of imprisonment and
    /// transfer; this system flags more than this many hours.
    pub notification_max_hours: f64,
}

impl Default for StandardsParams {
    fn default() -> Self {
        Self {
            space: SpaceStandard::icrc_2012(),
            exercise_min_hours_per_day: 1.0,
            contact_window_days: 30,
            solitary_max_days: 15,
            notification_max_hours: 24.0,
        }
    }
}

/// One cell as the census sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellCensus {
    pub cell_id: String,
    pub pavilion: String,
    pub area_m2: f64,
    /// Design capacity.
    pub capacity: u32,
    pub occupants: u32,
    pub in_use: bool,
}

/// A person held on `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentPerson {
    pub person_id: String,
    pub admitted_on: Date,
}

/// Open-air exercise recorded for a person on a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExerciseRecord {
    pub person_id: String,
    pub date: Date,
    pub hours: f64,
}

/// A visit or other contact with family (call, letter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecord {
    pub person_id: String,
    pub date: Date,
    pub kind: String,
}

/// A spell of solitary confinement; `to` is the last day spent in it (`None`: ongoing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SolitarySpell {
    pub person_id: String,
    pub from: Date,
    pub to: Option<Date>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationOccasion {
    Admission,
    Transfer,
}

/// An admission or transfer, and when family was notified (`None`: not recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRecord {
    pub person_id: String,
    pub occasion: NotificationOccasion,
    pub occurred_at: Timestamp,
    pub notified_at: Option<Timestamp>,
}

/// Everything the report judges. The period is the whole days `period_from..=as_of`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardsInput {
    pub facility_id: Option<String>,
    pub period_from: Date,
    pub as_of: Date,
    pub cells: Vec<CellCensus>,
    pub persons: Vec<PresentPerson>,
    pub exercise: Vec<ExerciseRecord>,
    pub contacts: Vec<ContactRecord>,
    pub solitary: Vec<SolitarySpell>,
    pub notifications: Vec<NotificationRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellStanding {
    pub cell_id: String,
    pub pavilion: String,
    pub occupants: u32,
    pub capacity: u32,
    pub m2_per_person: Option<f64>,
    pub below_standard: bool,
    pub over_capacity: bool,
    pub in_use: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpaceSection {
    pub standard: SpaceStandard,
    pub persons_housed: u64,
    pub design_capacity: u64,
    /// Persons housed / design capacity of cells in use.
    pub occupancy_rate: Option<f64>,
    pub min_m2_per_person: Option<f64>,
    /// Total area of occupied cells / persons housed.
    pub mean_m2_per_person: Option<f64>,
    pub cells_below_standard: usize,
    pub persons_below_standard: u64,
    pub cells_over_capacity: usize,
    pub persons_over_capacity: u64,
    /// Persons held in cells recorded as out of use.
    pub persons_in_cells_out_of_use: u64,
    pub cells: Vec<CellStanding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExerciseSection {
    pub person_days: u64,
    pub person_days_below: u64,
    pub persons_with_days_below: usize,
    pub mean_hours_per_person_day: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactSection {
    /// Present the whole window and no visit or contact in it.
    pub persons_without_contact: Vec<String>,
    /// Held for less than the window: not yet judged.
    pub persons_too_recent: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProlongedSolitary {
    pub person_id: String,
    pub from: Date,
    /// Last day; `None`: still in solitary on `as_of`.
    pub to: Option<Date>,
    pub consecutive_days: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolitarySection {
    pub persons_in_solitary: usize,
    pub prolonged: Vec<ProlongedSolitary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationSection {
    pub occasions: usize,
    pub missing: usize,
    pub late: usize,
    pub median_hours: Option<f64>,
    pub max_hours: Option<f64>,
    /// Persons with a missing or late notification.
    pub persons_affected: Vec<String>,
}

/// One line of the verdict: a standard, whether it is met, and for how many people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub citation: String,
    pub out_of_standard: bool,
    pub persons_affected: u64,
    pub statement: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardsReport {
    pub facility_id: Option<String>,
    pub period_from: Date,
    pub as_of: Date,
    pub persons_present: usize,
    pub findings: Vec<Finding>,
    pub space: SpaceSection,
    pub exercise: ExerciseSection,
    pub contact: ContactSection,
    pub solitary: SolitarySection,
    pub notification: NotificationSection,
}

fn days_between(a: Date, b: Date) -> i64 {
    a.until(b).map(|s| i64::from(s.get_days())).unwrap_or(0)
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(jiff::Span::new().days(n)).unwrap_or(d)
}

fn utc_date(t: Timestamp) -> Date {
    t.to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// Judges the input against the parameters.
pub fn standards(
    input: &StandardsInput,
    params: &StandardsParams,
) -> Result<StandardsReport, StandardsError> {
    let std_m2 = params.space.min_m2_per_person;
    if !(std_m2.is_finite() && std_m2 > 0.0) {
        return Err(StandardsError::BadStandard(std_m2));
    }
    if input.period_from > input.as_of {
        return Err(StandardsError::BadPeriod {
            from: input.period_from.to_string(),
            to: input.as_of.to_string(),
        });
    }
    let space = space_section(input, &params.space)?;
    let exercise = exercise_section(input, params)?;
    let contact = contact_section(input, params);
    let solitary = solitary_section(input, params)?;
    let notification = notification_section(input, params);

    let mut findings = Vec::new();
    findings.push(Finding {
        id: "space".into(),
        citation: params.space.source.clone(),
        out_of_standard: space.persons_below_standard > 0,
        persons_affected: space.persons_below_standard,
        statement: format!(
            "{} of {} persons live in {} cells with less than {} m² each (smallest: {}).",
            space.persons_below_standard,
            space.persons_housed,
            space.cells_below_standard,
            std_m2,
            fmt_opt(space.min_m2_per_person, " m²"),
        ),
    });
    findings.push(Finding {
        id: "capacity".into(),
        citation: "design capacity of the facility".into(),
        out_of_standard: space.cells_over_capacity > 0 || space.persons_in_cells_out_of_use > 0,
        persons_affected: space.persons_over_capacity + space.persons_in_cells_out_of_use,
        statement: format!(
            "{} persons in {} places of design capacity ({}); {} cells over capacity ({} persons beyond it); {} persons in cells recorded out of use.",
            space.persons_housed,
            space.design_capacity,
            space.occupancy_rate.map_or("n/a".into(), |r| format!("{:.0}%", r * 100.0)),
            space.cells_over_capacity,
            space.persons_over_capacity,
            space.persons_in_cells_out_of_use,
        ),
    });
    findings.push(Finding {
        id: "mandela-23".into(),
        citation: "Mandela Rules, rule 23(1)".into(),
        out_of_standard: exercise.persons_with_days_below > 0,
        persons_affected: exercise.persons_with_days_below as u64,
        statement: format!(
            "{} persons had at least one day with less than {} h of open-air exercise ({} of {} person-days).",
            exercise.persons_with_days_below,
            params.exercise_min_hours_per_day,
            exercise.person_days_below,
            exercise.person_days,
        ),
    });
    findings.push(Finding {
        id: "mandela-58".into(),
        citation: "Mandela Rules, rule 58(1)".into(),
        out_of_standard: !contact.persons_without_contact.is_empty(),
        persons_affected: contact.persons_without_contact.len() as u64,
        statement: format!(
            "{} persons had no visit or family contact in the last {} days ({} held for less than that, not judged).",
            contact.persons_without_contact.len(),
            params.contact_window_days,
            contact.persons_too_recent,
        ),
    });
    let prolonged_persons: HashSet<&str> = solitary
        .prolonged
        .iter()
        .map(|p| p.person_id.as_str())
        .collect();
    findings.push(Finding {
        id: "mandela-44-45".into(),
        citation: "Mandela Rules, rules 43(1)(b), 44 and 45".into(),
        out_of_standard: !prolonged_persons.is_empty(),
        persons_affected: prolonged_persons.len() as u64,
        statement: format!(
            "{} persons were held in solitary confinement for more than {} consecutive days.",
            prolonged_persons.len(),
            params.solitary_max_days,
        ),
    });
    findings.push(Finding {
        id: "mandela-68".into(),
        citation: "Mandela Rules, rule 68".into(),
        out_of_standard: !notification.persons_affected.is_empty(),
        persons_affected: notification.persons_affected.len() as u64,
        statement: format!(
            "of {} admissions and transfers, family notification is missing for {} and took over {} h for {} (median {}, longest {}).",
            notification.occasions,
            notification.missing,
            params.notification_max_hours,
            notification.late,
            fmt_opt(notification.median_hours, " h"),
            fmt_opt(notification.max_hours, " h"),
        ),
    });
    Ok(StandardsReport {
        facility_id: input.facility_id.clone(),
        period_from: input.period_from,
        as_of: input.as_of,
        persons_present: input.persons.len(),
        findings,
        space,
        exercise,
        contact,
        solitary,
        notification,
    })
}

fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    v.map_or("n/a".into(), |x| format!("{x:.2}{unit}"))
}

fn space_section(
    input: &StandardsInput,
    standard: &SpaceStandard,
) -> Result<SpaceSection, StandardsError> {
    let mut seen = HashSet::new();
    let mut cells = Vec::with_capacity(input.cells.len());
    let mut s = SpaceSection {
        standard: standard.clone(),
        persons_housed: 0,
        design_capacity: 0,
        occupancy_rate: None,
        min_m2_per_person: None,
        mean_m2_per_person: None,
        cells_below_standard: 0,
        persons_below_standard: 0,
        cells_over_capacity: 0,
        persons_over_capacity: 0,
        persons_in_cells_out_of_use: 0,
        cells: Vec::new(),
    };
    let mut occupied_area = 0.0;
    for c in &input.cells {
        if !seen.insert(c.cell_id.as_str()) {
            return Err(StandardsError::DuplicateCell(c.cell_id.clone()));
        }
        if !(c.area_m2.is_finite() && c.area_m2 > 0.0) {
            return Err(StandardsError::BadArea {
                cell: c.cell_id.clone(),
                area: c.area_m2,
            });
        }
        let n = c.occupants;
        let m2 = (n > 0).then(|| c.area_m2 / f64::from(n));
        let below = m2.is_some_and(|m| m < standard.min_m2_per_person);
        let over = n > c.capacity;
        if c.in_use {
            s.design_capacity += u64::from(c.capacity);
        } else {
            s.persons_in_cells_out_of_use += u64::from(n);
        }
        s.persons_housed += u64::from(n);
        if let Some(m) = m2 {
            occupied_area += c.area_m2;
            s.min_m2_per_person = Some(s.min_m2_per_person.map_or(m, |x: f64| x.min(m)));
        }
        if below {
            s.cells_below_standard += 1;
            s.persons_below_standard += u64::from(n);
        }
        if over {
            s.cells_over_capacity += 1;
            s.persons_over_capacity += u64::from(n - c.capacity);
        }
        cells.push(CellStanding {
            cell_id: c.cell_id.clone(),
            pavilion: c.pavilion.clone(),
            occupants: n,
            capacity: c.capacity,
            m2_per_person: m2,
            below_standard: below,
            over_capacity: over,
            in_use: c.in_use,
        });
    }
    if s.design_capacity > 0 {
        s.occupancy_rate = Some(s.persons_housed as f64 / s.design_capacity as f64);
    }
    if s.persons_housed > 0 {
        s.mean_m2_per_person = Some(occupied_area / s.persons_housed as f64);
    }
    s.cells = cells;
    Ok(s)
}

/// Rule 23(1): every whole day a person was held in the period should carry at least the
/// minimum of open-air exercise; a day with no record counts as none.
fn exercise_section(
    input: &StandardsInput,
    params: &StandardsParams,
) -> Result<ExerciseSection, StandardsError> {
    // Records grouped per present person, then summed per day along the period.
    let index: HashMap<&str, usize> = input
        .persons
        .iter()
        .enumerate()
        .map(|(i, p)| (p.person_id.as_str(), i))
        .collect();
    let mut per_person: Vec<Vec<(Date, f64)>> = vec![Vec::new(); input.persons.len()];
    for e in &input.exercise {
        if !(e.hours.is_finite() && (0.0..=24.0).contains(&e.hours)) {
            return Err(StandardsError::BadHours {
                person: e.person_id.clone(),
                date: e.date.to_string(),
                hours: e.hours,
            });
        }
        if let Some(&i) = index.get(e.person_id.as_str()) {
            per_person[i].push((e.date, e.hours));
        }
    }
    let mut out = ExerciseSection {
        person_days: 0,
        person_days_below: 0,
        persons_with_days_below: 0,
        mean_hours_per_person_day: None,
    };
    let mut total = 0.0;
    for (p, recs) in input.persons.iter().zip(&mut per_person) {
        let start = p.admitted_on.max(input.period_from);
        if start > input.as_of {
            continue;
        }
        recs.retain(|(d, _)| *d >= start && *d <= input.as_of);
        recs.sort_by_key(|(d, _)| *d);
        let n = days_between(start, input.as_of) + 1;
        // Days with records at or above the minimum; every other day is below it.
        let mut met = 0i64;
        let mut i = 0;
        while i < recs.len() {
            let d = recs[i].0;
            let mut h = 0.0;
            while i < recs.len() && recs[i].0 == d {
                h += recs[i].1;
                i += 1;
            }
            total += h;
            if h >= params.exercise_min_hours_per_day {
                met += 1;
            }
        }
        let below = (n - met) as u64;
        out.person_days += n as u64;
        out.person_days_below += below;
        if below > 0 {
            out.persons_with_days_below += 1;
        }
    }
    if out.person_days > 0 {
        out.mean_hours_per_person_day = Some(total / out.person_days as f64);
    }
    Ok(out)
}

/// Rule 58(1): flags persons held for the whole window with no visit or contact in it.
fn contact_section(input: &StandardsInput, params: &StandardsParams) -> ContactSection {
    let window_start = add_days(input.as_of, -(params.contact_window_days - 1));
    let contacted: HashSet<&str> = input
        .contacts
        .iter()
        .filter(|c| c.date >= window_start && c.date <= input.as_of)
        .map(|c| c.person_id.as_str())
        .collect();
    let mut out = ContactSection {
        persons_without_contact: Vec::new(),
        persons_too_recent: 0,
    };
    for p in &input.persons {
        if p.admitted_on > window_start {
            out.persons_too_recent += 1;
        } else if !contacted.contains(p.person_id.as_str()) {
            out.persons_without_contact.push(p.person_id.clone());
        }
    }
    out.persons_without_contact.sort();
    out
}

/// Rules 44–45: consecutive days in solitary, adjoining spells merged.
fn solitary_section(
    input: &StandardsInput,
    params: &StandardsParams,
) -> Result<SolitarySection, StandardsError> {
    let mut by_person: BTreeMap<&str, Vec<(Date, Option<Date>)>> = BTreeMap::new();
    for s in &input.solitary {
        if let Some(t) = s.to
            && t < s.from
        {
            return Err(StandardsError::SpellReversed {
                person: s.person_id.clone(),
                from: s.from.to_string(),
                to: t.to_string(),
            });
        }
        if s.from > input.as_of || s.to.is_some_and(|t| t < input.period_from) {
            continue;
        }
        by_person
            .entry(s.person_id.as_str())
            .or_default()
            .push((s.from, s.to));
    }
    let mut out = SolitarySection {
        persons_in_solitary: by_person.len(),
        prolonged: Vec::new(),
    };
    for (person, mut spells) in by_person {
        spells.sort();
        let mut merged: Vec<(Date, Option<Date>)> = Vec::new();
        for (f, t) in spells {
            if let Some(m) = merged.last_mut() {
                match m.1 {
                    // An ongoing spell swallows everything after it.
                    None => continue,
                    // Adjoining or overlapping: one run of consecutive days.
                    Some(last) if f <= add_days(last, 1) => {
                        m.1 = t.map(|t| t.max(last));
                        continue;
                    }
                    Some(_) => {}
                }
            }
            merged.push((f, t));
        }
        for (f, t) in merged {
            let last = t.unwrap_or(input.as_of).min(input.as_of);
            let days = days_between(f, last) + 1;
            if days > params.solitary_max_days {
                out.prolonged.push(ProlongedSolitary {
                    person_id: person.to_string(),
                    from: f,
                    to: t,
                    consecutive_days: days,
                });
            }
        }
    }
    Ok(out)
}

/// Rule 68: time from admission or transfer to family notification.
fn notification_section(input: &StandardsInput, params: &StandardsParams) -> NotificationSection {
    let in_period = |t: Timestamp| {
        let d = utc_date(t);
        d >= input.period_from && d <= input.as_of
    };
    let mut hours = Vec::new();
    let mut missing = 0;
    let mut late = 0;
    let mut affected: HashSet<&str> = HashSet::new();
    let mut admitted_recorded: HashSet<&str> = HashSet::new();
    let mut occasions = 0;
    for n in &input.notifications {
        if n.occasion == NotificationOccasion::Admission {
            admitted_recorded.insert(n.person_id.as_str());
        }
        if !in_period(n.occurred_at) {
            continue;
        }
        occasions += 1;
        match n.notified_at {
            None => {
                missing += 1;
                affected.insert(n.person_id.as_str());
            }
            Some(at) => {
                let h = (at.as_second() - n.occurred_at.as_second()) as f64 / 3600.0;
                hours.push(h);
                if h > params.notification_max_hours {
                    late += 1;
                    affected.insert(n.person_id.as_str());
                }
            }
        }
    }
    // An admission in the period with no record at all is a missing notification too.
    for p in &input.persons {
        if p.admitted_on >= input.period_from
            && p.admitted_on <= input.as_of
            && !admitted_recorded.contains(p.person_id.as_str())
        {
            occasions += 1;
            missing += 1;
            affected.insert(p.person_id.as_str());
        }
    }
    hours.sort_by(f64::total_cmp);
    let median = (!hours.is_empty()).then(|| {
        let m = hours.len() / 2;
        if hours.len() % 2 == 1 {
            hours[m]
        } else {
            (hours[m - 1] + hours[m]) / 2.0
        }
    });
    let mut persons_affected: Vec<String> = affected.into_iter().map(str::to_string).collect();
    persons_affected.sort();
    NotificationSection {
        occasions,
        missing,
        late,
        median_hours: median,
        max_hours: hours.last().copied(),
        persons_affected,
    }
}

/// The report in plain English, findings first.
pub fn render_text(r: &StandardsReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Conditions report{} for {} to {}: {} persons present.",
        r.facility_id
            .as_ref()
            .map_or(String::new(), |f| format!(" for {f}")),
        r.period_from,
        r.as_of,
        r.persons_present
    );
    let out: Vec<&Finding> = r.findings.iter().filter(|f| f.out_of_standard).collect();
    if out.is_empty() {
        let _ = writeln!(s, "No standard below is breached on the evidence recorded.");
    } else {
        let _ = writeln!(
            s,
            "OUT OF STANDARD ({} of {} items):",
            out.len(),
            r.findings.len()
        );
    }
    for f in &r.findings {
        let mark = if f.out_of_standard { "OUT" } else { "ok " };
        let _ = writeln!(s, "  [{mark}] {} ({}): {}", f.id, f.citation, f.statement);
    }
    if !r.solitary.prolonged.is_empty() {
        let _ = writeln!(s, "Prolonged solitary confinement:");
        for p in &r.solitary.prolonged {
            let _ = writeln!(
                s,
                "  {}: {} days from {}{}",
                p.person_id,
                p.consecutive_days,
                p.from,
                p.to.map_or(" (ongoing)".into(), |t| format!(" to {t}"))
            );
        }
    }
    let mut by_pav: BTreeMap<&str, (u64, u64, usize)> = BTreeMap::new();
    for c in &r.space.cells {
        let e = by_pav.entry(c.pavilion.as_str()).or_default();
        e.0 += u64::from(c.occupants);
        if c.below_standard {
            e.1 += u64::from(c.occupants);
            e.2 += 1;
        }
    }
    if !by_pav.is_empty() {
        let _ = writeln!(
            s,
            "Space by pavilion (persons, of whom below {} m²):",
            r.space.standard.min_m2_per_person
        );
        for (p, (n, below, cells)) in by_pav {
            let _ = writeln!(
                s,
                "  {p}: {n} persons, {below} below standard in {cells} cells"
            );
        }
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn cell(id: &str, area: f64, cap: u32, n: u32, in_use: bool) -> CellCensus {
        CellCensus {
            cell_id: id.into(),
            pavilion: id[..2].into(),
            area_m2: area,
            capacity: cap,
            occupants: n,
            in_use,
        }
    }

    fn person(id: &str, admitted_on: Date) -> PresentPerson {
        PresentPerson {
            person_id: id.into(),
            admitted_on,
        }
    }

    fn input() -> StandardsInput {
        StandardsInput {
            facility_id: Some("CECOT".into()),
            period_from: date(2025, 4, 1),
            as_of: date(2025, 4, 30),
            cells: vec![
                // 100 m² for 80: 1.25 m² each, below 3.4.
                cell("P1-C01", 100.0, 80, 80, true),
                // 34 m² for 10: exactly 3.4, not below.
                cell("P1-C02", 34.0, 10, 10, true),
                // Over capacity by 2, and below standard (2.0).
                cell("P2-C01", 24.0, 10, 12, true),
                // Out of use yet holding 3.
                cell("P2-C02", 50.0, 10, 3, false),
                cell("P2-C03", 50.0, 10, 0, true),
            ],
            persons: vec![
                person("a", date(2025, 1, 10)),
                person("b", date(2025, 4, 20)),
                person("c", date(2025, 3, 1)),
            ],
            exercise: (1..=30)
                .map(|d| ExerciseRecord {
                    person_id: "a".into(),
                    date: date(2025, 4, d),
                    hours: 1.0,
                })
                .chain([ExerciseRecord {
                    person_id: "b".into(),
                    date: date(2025, 4, 20),
                    hours: 2.0,
                }])
                .collect(),
            contacts: vec![
                ContactRecord {
                    person_id: "a".into(),
                    date: date(2025, 4, 15),
                    kind: "visit".into(),
                },
                // Outside the 30-day window ending 30 April.
                ContactRecord {
                    person_id: "c".into(),
                    date: date(2025, 3, 31),
                    kind: "call".into(),
                },
            ],
            solitary: vec![
                // 10 + 6 adjoining days: 16 consecutive, prolonged.
                SolitarySpell {
                    person_id: "c".into(),
                    from: date(2025, 4, 1),
                    to: Some(date(2025, 4, 10)),
                },
                SolitarySpell {
                    person_id: "c".into(),
                    from: date(2025, 4, 11),
                    to: Some(date(2025, 4, 16)),
                },
                // Exactly 15 days: not prolonged.
                SolitarySpell {
                    person_id: "a".into(),
                    from: date(2025, 4, 1),
                    to: Some(date(2025, 4, 15)),
                },
                // Ongoing since 14 April: 17 days by 30 April.
                SolitarySpell {
                    person_id: "b".into(),
                    from: date(2025, 4, 14),
                    to: None,
                },
            ],
            notifications: vec![
                NotificationRecord {
                    person_id: "b".into(),
                    occasion: NotificationOccasion::Admission,
                    occurred_at: ts("2025-04-20T10:00:00Z"),
                    notified_at: Some(ts("2025-04-22T10:00:00Z")),
                },
                NotificationRecord {
                    person_id: "a".into(),
                    occasion: NotificationOccasion::Transfer,
                    occurred_at: ts("2025-04-05T10:00:00Z"),
                    notified_at: Some(ts("2025-04-05T16:00:00Z")),
                },
                NotificationRecord {
                    person_id: "c".into(),
                    occasion: NotificationOccasion::Transfer,
                    occurred_at: ts("2025-04-07T10:00:00Z"),
                    notified_at: None,
                },
            ],
        }
    }

    fn finding<'a>(r: &'a StandardsReport, id: &str) -> &'a Finding {
        r.findings.iter().find(|f| f.id == id).unwrap()
    }

    #[test]
    fn space_and_capacity() {
        let r = standards(&input(), &StandardsParams::default()).unwrap();
        assert_eq!(r.space.persons_housed, 105);
        assert_eq!(r.space.persons_below_standard, 92);
        assert_eq!(r.space.cells_below_standard, 2);
        assert_eq!(r.space.cells_over_capacity, 1);
        assert_eq!(r.space.persons_over_capacity, 2);
        assert_eq!(r.space.persons_in_cells_out_of_use, 3);
        assert_eq!(r.space.design_capacity, 110);
        assert_eq!(r.space.min_m2_per_person, Some(1.25));
        assert!(finding(&r, "space").out_of_standard);
        assert_eq!(finding(&r, "space").persons_affected, 92);
        assert_eq!(finding(&r, "capacity").persons_affected, 5);
    }

    #[test]
    fn mandela_items() {
        let r = standards(&input(), &StandardsParams::default()).unwrap();
        // a: 30 days, 1 h each: fine. b: 11 days, one with 2 h: 10 below. c: 30 days, none.
        assert_eq!(r.exercise.person_days, 30 + 11 + 30);
        assert_eq!(r.exercise.person_days_below, 10 + 30);
        assert_eq!(r.exercise.persons_with_days_below, 2);
        // a had a visit; b is too recent; c's call is a day outside the window.
        assert_eq!(r.contact.persons_without_contact, vec!["c".to_string()]);
        assert_eq!(r.contact.persons_too_recent, 1);
        let prolonged: Vec<(&str, i64)> = r
            .solitary
            .prolonged
            .iter()
            .map(|p| (p.person_id.as_str(), p.consecutive_days))
            .collect();
        assert_eq!(prolonged, vec![("b", 17), ("c", 16)]);
        assert_eq!(r.notification.occasions, 3);
        assert_eq!(r.notification.missing, 1);
        assert_eq!(r.notification.late, 1);
        assert_eq!(r.notification.max_hours, Some(48.0));
        assert_eq!(
            r.notification.persons_affected,
            vec!["b".to_string(), "c".to_string()]
        );
        let text = render_text(&r);
        assert!(text.contains("OUT OF STANDARD (6 of 6 items)"), "{text}");
        assert!(
            text.contains("b: 17 days from 2025-04-14 (ongoing)"),
            "{text}"
        );
    }

    #[test]
    fn admission_without_any_record_counts_as_missing() {
        let mut i = input();
        i.notifications.remove(0);
        let r = standards(&i, &StandardsParams::default()).unwrap();
        assert_eq!(r.notification.missing, 2);
        assert!(r.notification.persons_affected.contains(&"b".to_string()));
    }

    #[test]
    fn a_dated_standard_changes_the_verdict() {
        let mut p = StandardsParams::default();
        p.space.min_m2_per_person = 1.0;
        let r = standards(&input(), &p).unwrap();
        assert_eq!(r.space.persons_below_standard, 0);
        assert!(!finding(&r, "space").out_of_standard);
    }

    #[test]
    fn bad_input_is_named() {
        let mut i = input();
        i.cells[1].area_m2 = 0.0;
        let e = standards(&i, &StandardsParams::default()).unwrap_err();
        assert!(e.to_string().contains("`P1-C02`"), "{e}");
        let mut i = input();
        i.solitary[0].to = Some(date(2025, 3, 1));
        assert!(standards(&i, &StandardsParams::default()).is_err());
    }
}
