//! A seeded generator of realistic, noisy manifest/intake pairs, and the scoring of a
//! [`Reconciliation`] against the generator's truth.
//!
//! Every person is invented: given and family names are drawn independently from lists of
//! names common in El Salvador, Venezuela, Honduras, Guatemala and Mexico (weighted so that
//! García and Hernández are common and Xicará rare), so no combination describes a real
//! detainee except by chance. The same seed gives the same files on every machine.
//!
//! ```
//! use custodia_linkage::synth::{generate, SynthConfig};
//! let s = generate(7, &SynthConfig::flight(300));
//! assert_eq!(s.manifest.len(), 300);
//! assert!(s.intake.len() > 250);
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use jiff::civil::Date;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::reconcile::Reconciliation;
use crate::records::Record;

pub mod names;
pub mod noise;

use names::{
    FEMALE_BY_FREQUENCY, MALE_BY_FREQUENCY, REGION_NATIONALITIES, SURNAMES_BY_FREQUENCY, zipf_pick,
};
use noise::{split_merge, strip_accents, typo_somewhere};

/// The kinds of noise applied to an intake copy of a manifest person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Noise {
    /// Accents and tildes dropped (often with upper case).
    AccentsDropped,
    /// One typing error in a name.
    OneTypo,
    /// Two typing errors in names.
    TwoTypos,
    /// The second family name is missing.
    SecondFamilyMissing,
    /// The two family names are written in the other order.
    FamilyNamesMoved,
    /// Given and family names swapped between fields.
    GivenFamilySwapped,
    /// Day and month of the date of birth swapped.
    DayMonthSwapped,
    /// One digit of the date of birth wrong.
    DobDigitTypo,
    /// Date of birth missing.
    DobMissing,
    /// Document number missing.
    DocumentMissing,
    /// A middle given name dropped.
    MiddleNameDropped,
    /// A space moved, dropped or added inside a name ("RAMOSF LORES", "CRUZVASQUEZ").
    TokensSplitMerged,
    /// The first family name is missing (only the second written).
    FirstFamilyMissing,
    /// Everything in upper case.
    UpperCase,
}

impl Noise {
    /// Every kind, in table order.
    pub const ALL: [Noise; 14] = [
        Noise::AccentsDropped,
        Noise::OneTypo,
        Noise::TwoTypos,
        Noise::SecondFamilyMissing,
        Noise::FamilyNamesMoved,
        Noise::GivenFamilySwapped,
        Noise::DayMonthSwapped,
        Noise::DobDigitTypo,
        Noise::DobMissing,
        Noise::DocumentMissing,
        Noise::MiddleNameDropped,
        Noise::TokensSplitMerged,
        Noise::FirstFamilyMissing,
        Noise::UpperCase,
    ];

    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Noise::AccentsDropped => "accents dropped",
            Noise::OneTypo => "one typing error",
            Noise::TwoTypos => "two typing errors",
            Noise::SecondFamilyMissing => "second family name missing",
            Noise::FamilyNamesMoved => "family names moved (order swapped)",
            Noise::GivenFamilySwapped => "given/family swapped",
            Noise::DayMonthSwapped => "day/month swapped",
            Noise::DobDigitTypo => "one digit of dob wrong",
            Noise::DobMissing => "dob missing",
            Noise::DocumentMissing => "document missing",
            Noise::MiddleNameDropped => "middle name dropped",
            Noise::TokensSplitMerged => "words split or merged",
            Noise::FirstFamilyMissing => "first family name missing",
            Noise::UpperCase => "upper case",
        }
    }
}

/// Sizes and rates of a generated transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    /// Persons on the manifest.
    pub persons: usize,
    /// Share of manifest persons who never arrive.
    pub missing_rate: f64,
    /// Arrivals not on the manifest, as a share of the manifest.
    pub unexpected_rate: f64,
    /// Share of unexpected arrivals who are a sibling of someone missing (the wrong brother
    /// put on the plane: the hardest negative).
    pub wrong_sibling_rate: f64,
    /// Share of persons generated as a sibling (same family names, near date of birth,
    /// different given name) of an earlier person.
    pub sibling_rate: f64,
    /// Share of persons generated as a twin (same family names and date of birth).
    pub twin_rate: f64,
    /// Share of intake copies with no noise at all.
    pub clean_rate: f64,
    /// Share of noisy copies with two kinds of noise (the others have one).
    pub double_noise_rate: f64,
    /// Share of noisy copies with three kinds of noise (taken before `double_noise_rate`).
    pub triple_noise_rate: f64,
    /// Share of persons generated as a cousin of an earlier person: the same first family
    /// name and given names, another second family name, another date of birth.
    pub cousin_rate: f64,
    /// Share of arrivals entered twice in the intake, the second time with another
    /// document number and its own noise.
    pub duplicate_rate: f64,
}

impl SynthConfig {
    /// A flight of `persons`.
    pub fn flight(persons: usize) -> Self {
        Self {
            persons,
            missing_rate: 0.03,
            unexpected_rate: 0.02,
            wrong_sibling_rate: 0.2,
            sibling_rate: 0.06,
            twin_rate: 0.02,
            clean_rate: 0.3,
            double_noise_rate: 0.25,
            triple_noise_rate: 0.0,
            cousin_rate: 0.0,
            duplicate_rate: 0.0,
        }
    }

    /// Combined noise and the adversarial set: fewer clean copies, most noisy copies with
    /// two or three kinds of noise at once, more twins and siblings, cousins of one name,
    /// and people entered twice in the intake.
    pub fn combined(persons: usize) -> Self {
        Self {
            persons,
            missing_rate: 0.03,
            unexpected_rate: 0.02,
            wrong_sibling_rate: 0.3,
            sibling_rate: 0.06,
            twin_rate: 0.02,
            clean_rate: 0.2,
            double_noise_rate: 0.45,
            triple_noise_rate: 0.15,
            cousin_rate: 0.02,
            duplicate_rate: 0.005,
        }
    }
}

/// Ground truth about one manifest person.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// The manifest record id.
    pub manifest_id: String,
    /// The intake record of the same person, if they arrived.
    pub intake_id: Option<String>,
    /// The noise applied to the intake copy.
    pub noise: Vec<Noise>,
    /// True when a sibling or twin of this person is also in the data.
    pub has_sibling: bool,
    /// True when a cousin of the same names is also in the data.
    pub has_cousin: bool,
    /// Other intake records of the same person (entered twice); matching one of them is
    /// as right as matching `intake_id`.
    pub duplicate_intake_ids: Vec<String>,
}

/// A generated manifest, intake and truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Synth {
    pub manifest: Vec<Record>,
    pub intake: Vec<Record>,
    /// One per manifest record, in manifest order.
    pub truth: Vec<Truth>,
}

#[derive(Debug, Clone)]
struct Person {
    fam1: String,
    fam2: String,
    given: Vec<String>,
    dob: Date,
    sex: &'static str,
    nat: &'static str,
    doc: String,
}

fn random_given<R: Rng>(rng: &mut R, female: bool, avoid: Option<&str>) -> Vec<String> {
    let list = if female {
        FEMALE_BY_FREQUENCY
    } else {
        MALE_BY_FREQUENCY
    };
    loop {
        let first = zipf_pick(rng, list, 0.7).to_string();
        if Some(first.as_str()) == avoid {
            continue;
        }
        let mut g = vec![first];
        if rng.gen_bool(0.45) {
            let second = zipf_pick(rng, list, 0.6).to_string();
            if second != g[0] {
                g.push(second);
            }
        }
        return g;
    }
}

fn random_date<R: Rng>(rng: &mut R, from_year: i16, to_year: i16) -> Date {
    let y = rng.gen_range(from_year..=to_year);
    let m: i8 = rng.gen_range(1..=12);
    let d: i8 = rng.gen_range(1..=28);
    Date::new(y, m, d).unwrap_or(Date::MIN)
}

fn random_person<R: Rng>(rng: &mut R) -> Person {
    let female = rng.gen_bool(0.15);
    let fam1 = zipf_pick(rng, SURNAMES_BY_FREQUENCY, 0.9).to_string();
    let mut fam2 = zipf_pick(rng, SURNAMES_BY_FREQUENCY, 0.9).to_string();
    if rng.gen_bool(0.5) && fam2 == fam1 {
        fam2 = zipf_pick(rng, SURNAMES_BY_FREQUENCY, 0.9).to_string();
    }
    let x: f64 = rng.gen_range(0.0..1.0);
    let mut acc = 0.0;
    let mut nat = "SV";
    for (c, w) in REGION_NATIONALITIES {
        acc += w;
        if x < acc {
            nat = c;
            break;
        }
    }
    Person {
        fam1,
        fam2,
        given: random_given(rng, female, None),
        dob: random_date(rng, 1960, 2006),
        sex: if female { "F" } else { "M" },
        nat,
        doc: format!("{:09}", rng.gen_range(0..1_000_000_000u64)),
    }
}

fn sibling_of<R: Rng>(rng: &mut R, p: &Person, twin: bool) -> Person {
    let female = rng.gen_bool(0.3);
    let dob = if twin {
        p.dob
    } else {
        let days = rng.gen_range(300..2500) * if rng.gen_bool(0.5) { 1 } else { -1 };
        p.dob
            .checked_add(jiff::Span::new().days(days))
            .unwrap_or(p.dob)
    };
    Person {
        fam1: p.fam1.clone(),
        fam2: p.fam2.clone(),
        given: random_given(rng, female, Some(&p.given[0])),
        dob,
        sex: if female { "F" } else { "M" },
        nat: p.nat,
        doc: format!("{:09}", rng.gen_range(0..1_000_000_000u64)),
    }
}

fn cousin_of<R: Rng>(rng: &mut R, p: &Person) -> Person {
    let mut fam2 = zipf_pick(rng, SURNAMES_BY_FREQUENCY, 0.9).to_string();
    while fam2 == p.fam2 {
        fam2 = zipf_pick(rng, SURNAMES_BY_FREQUENCY, 0.5).to_string();
    }
    let days = rng.gen_range(200..3000) * if rng.gen_bool(0.5) { 1 } else { -1 };
    Person {
        fam1: p.fam1.clone(),
        fam2,
        given: p.given.clone(),
        dob: p
            .dob
            .checked_add(jiff::Span::new().days(days))
            .unwrap_or(p.dob),
        sex: p.sex,
        nat: p.nat,
        doc: format!("{:09}", rng.gen_range(0..1_000_000_000u64)),
    }
}

fn to_record(id: String, p: &Person) -> Record {
    Record {
        record_id: id,
        family_names: format!("{} {}", p.fam1, p.fam2),
        given_names: p.given.join(" "),
        date_of_birth: Some(p.dob),
        sex: Some(p.sex.to_string()),
        nationality: Some(p.nat.to_string()),
        document_number: Some(p.doc.clone()),
        line: 0,
    }
}

fn pick_noise<R: Rng>(rng: &mut R, p: &Person) -> Noise {
    loop {
        let n = Noise::ALL[rng.gen_range(0..Noise::ALL.len())];
        let ok = match n {
            Noise::DayMonthSwapped => p.dob.day() <= 12 && p.dob.day() != p.dob.month(),
            Noise::MiddleNameDropped => p.given.len() > 1,
            _ => true,
        };
        if ok {
            return n;
        }
    }
}

/// The intake clerk's copy of a person, with `noise` applied.
fn noisy_copy<R: Rng>(rng: &mut R, id: String, p: &Person, noise: &[Noise]) -> Record {
    let mut fam: Vec<String> = vec![p.fam1.clone(), p.fam2.clone()];
    let mut given = p.given.clone();
    let mut dob = Some(p.dob);
    // The receiving side often does not see the document at all, and leaves sex or
    // nationality blank now and then; that is baseline, not noise.
    let mut doc = if rng.gen_bool(0.6) {
        Some(p.doc.clone())
    } else {
        None
    };
    let mut swapped = false;
    let mut split = false;
    let mut upper = rng.gen_bool(0.3);
    for n in noise {
        match n {
            Noise::AccentsDropped => {
                fam = fam.iter().map(|f| strip_accents(f)).collect();
                given = given.iter().map(|g| strip_accents(g)).collect();
                upper |= rng.gen_bool(0.5);
            }
            Noise::OneTypo | Noise::TwoTypos => {
                let k = if *n == Noise::OneTypo { 1 } else { 2 };
                for _ in 0..k {
                    typo_somewhere(rng, &mut fam, &mut given);
                }
            }
            Noise::SecondFamilyMissing => fam.truncate(1),
            Noise::FamilyNamesMoved => fam.reverse(),
            Noise::GivenFamilySwapped => swapped = true,
            Noise::DayMonthSwapped => {
                dob = dob.and_then(|d| Date::new(d.year(), d.day(), d.month()).ok().or(Some(d)));
            }
            Noise::DobDigitTypo => {
                dob = dob.map(|d| {
                    for _ in 0..20 {
                        let cand = match rng.gen_range(0..3) {
                            0 => Date::new(
                                d.year() + if rng.gen_bool(0.5) { 1 } else { -1 },
                                d.month(),
                                d.day(),
                            ),
                            1 => Date::new(d.year(), d.month(), (d.day() + 1).min(28)),
                            _ => Date::new(
                                d.year(),
                                d.month(),
                                if d.day() >= 10 {
                                    d.day() - 10
                                } else {
                                    d.day() + 10
                                },
                            ),
                        };
                        if let Ok(c) = cand
                            && c != d
                        {
                            return c;
                        }
                    }
                    d
                });
            }
            Noise::DobMissing => dob = None,
            Noise::DocumentMissing => doc = None,
            Noise::MiddleNameDropped => given.truncate(1),
            Noise::TokensSplitMerged => split = true,
            Noise::FirstFamilyMissing => {
                if fam.len() >= 2 {
                    fam.remove(0);
                }
            }
            Noise::UpperCase => upper = true,
        }
    }
    let mut family_names = fam.join(" ");
    let mut given_names = given.join(" ");
    if split {
        if family_names.contains(' ') || !given_names.contains(' ') {
            family_names = split_merge(rng, &family_names);
        } else {
            given_names = split_merge(rng, &given_names);
        }
    }
    if upper {
        family_names = family_names.to_uppercase();
        given_names = given_names.to_uppercase();
    }
    if swapped {
        std::mem::swap(&mut family_names, &mut given_names);
    }
    Record {
        record_id: id,
        family_names,
        given_names,
        date_of_birth: dob,
        sex: if rng.gen_bool(0.05) {
            None
        } else {
            Some(p.sex.to_string())
        },
        nationality: if rng.gen_bool(0.1) {
            None
        } else {
            Some(p.nat.to_string())
        },
        document_number: doc,
        line: 0,
    }
}

/// No noise, or one, two or three distinct kinds, sorted.
fn noise_set<R: Rng>(rng: &mut R, p: &Person, cfg: &SynthConfig) -> Vec<Noise> {
    if rng.gen_bool(cfg.clean_rate.clamp(0.0, 1.0)) {
        return Vec::new();
    }
    let x: f64 = rng.gen_range(0.0..1.0);
    let k = if x < cfg.triple_noise_rate {
        3
    } else if x < cfg.triple_noise_rate + cfg.double_noise_rate {
        2
    } else {
        1
    };
    let mut v: Vec<Noise> = Vec::with_capacity(k);
    for _ in 0..4 * k {
        if v.len() == k {
            break;
        }
        let n = pick_noise(rng, p);
        if !v.contains(&n) {
            v.push(n);
        }
    }
    v.sort();
    v
}

/// Generates a manifest, its intake and the truth, from `seed` alone.
pub fn generate(seed: u64, cfg: &SynthConfig) -> Synth {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut persons: Vec<Person> = Vec::with_capacity(cfg.persons);
    let mut family_of: Vec<Option<usize>> = Vec::with_capacity(cfg.persons);
    let mut cousin_of_k: Vec<usize> = Vec::new();
    while persons.len() < cfg.persons {
        let x: f64 = rng.gen_range(0.0..1.0);
        if !persons.is_empty()
            && cfg.cousin_rate > 0.0
            && x >= cfg.sibling_rate + cfg.twin_rate
            && x < cfg.sibling_rate + cfg.twin_rate + cfg.cousin_rate
        {
            let k = rng.gen_range(0..persons.len());
            let p = cousin_of(&mut rng, &persons[k]);
            cousin_of_k.push(k);
            cousin_of_k.push(persons.len());
            persons.push(p);
            family_of.push(None);
        } else if !persons.is_empty() && x < cfg.sibling_rate + cfg.twin_rate {
            let k = rng.gen_range(0..persons.len());
            let twin = x < cfg.twin_rate;
            let p = sibling_of(&mut rng, &persons[k], twin);
            persons.push(p);
            family_of.push(Some(k));
            if family_of[k].is_none() {
                family_of[k] = Some(k);
            }
        } else {
            persons.push(random_person(&mut rng));
            family_of.push(None);
        }
    }
    let manifest: Vec<Record> = persons
        .iter()
        .enumerate()
        .map(|(i, p)| to_record(format!("M-{i:06}"), p))
        .collect();

    // Who arrives, who does not, and who arrives unannounced.
    let mut arrivals: Vec<(Option<usize>, Person, Vec<Noise>)> = Vec::new();
    let mut missing: Vec<usize> = Vec::new();
    for (i, p) in persons.iter().enumerate() {
        if rng.gen_bool(cfg.missing_rate.clamp(0.0, 1.0)) {
            missing.push(i);
            continue;
        }
        let noise = noise_set(&mut rng, p, cfg);
        arrivals.push((Some(i), p.clone(), noise));
        if cfg.duplicate_rate > 0.0 && rng.gen_bool(cfg.duplicate_rate.clamp(0.0, 1.0)) {
            // Entered twice, the second time under another document.
            let mut again = p.clone();
            again.doc = format!("{:09}", rng.gen_range(0..1_000_000_000u64));
            let noise = noise_set(&mut rng, p, cfg);
            arrivals.push((Some(i), again, noise));
        }
    }
    let unexpected = (cfg.persons as f64 * cfg.unexpected_rate).round() as usize;
    let mut wrong_sibling_of: Vec<usize> = Vec::new();
    for _ in 0..unexpected {
        let p = if !missing.is_empty() && rng.gen_bool(cfg.wrong_sibling_rate.clamp(0.0, 1.0)) {
            let k = missing[rng.gen_range(0..missing.len())];
            wrong_sibling_of.push(k);
            sibling_of(&mut rng, &persons[k], false)
        } else {
            random_person(&mut rng)
        };
        let noise = if rng.gen_bool(0.5) {
            Vec::new()
        } else {
            vec![pick_noise(&mut rng, &p)]
        };
        arrivals.push((None, p, noise));
    }
    arrivals.shuffle(&mut rng);
    let mut intake = Vec::with_capacity(arrivals.len());
    let mut truth: Vec<Truth> = manifest
        .iter()
        .enumerate()
        .map(|(i, r)| Truth {
            manifest_id: r.record_id.clone(),
            intake_id: None,
            noise: Vec::new(),
            has_sibling: family_of[i].is_some() || wrong_sibling_of.contains(&i),
            has_cousin: cousin_of_k.contains(&i),
            duplicate_intake_ids: Vec::new(),
        })
        .collect();
    for (j, (who, p, noise)) in arrivals.iter().enumerate() {
        let id = format!("I-{j:06}");
        intake.push(noisy_copy(&mut rng, id.clone(), p, noise));
        if let Some(i) = who {
            if truth[*i].intake_id.is_some() {
                truth[*i].duplicate_intake_ids.push(id);
            } else {
                truth[*i].intake_id = Some(id);
                truth[*i].noise = noise.clone();
            }
        }
    }
    Synth {
        manifest,
        intake,
        truth,
    }
}

/// Precision, recall and F1 of one slice of the data.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prf {
    /// True pairs in the slice.
    pub truth: usize,
    /// Predicted matches in the slice.
    pub predicted: usize,
    /// Predicted matches that are true.
    pub correct: usize,
}

impl Prf {
    /// correct / predicted (1 when nothing was predicted).
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 {
            1.0
        } else {
            self.correct as f64 / self.predicted as f64
        }
    }
    /// correct / truth (1 when there is nothing to find).
    pub fn recall(&self) -> f64 {
        if self.truth == 0 {
            1.0
        } else {
            self.correct as f64 / self.truth as f64
        }
    }
    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// How a reconciliation did against the truth.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    /// All pairs.
    pub overall: Prf,
    /// Slices by row label (noise kind, `clean`, `sibling or twin in data`).
    pub by_kind: BTreeMap<String, Prf>,
    /// Slices by the whole combination of noise kinds of a pair ("dob missing + one typing
    /// error"), `clean` for none.
    pub by_combination: BTreeMap<String, Prf>,
    /// Manifest persons absent from the intake.
    pub missing_total: usize,
    /// Of those, how many are in `missing_from_intake`.
    pub missing_flagged: usize,
    /// Of those, how many are in `needs_review` (flagged for a person, not silently matched).
    pub missing_in_review: usize,
    /// Manifest records sent to review.
    pub needs_review: usize,
    /// Manifest size.
    pub manifest: usize,
}

impl Evaluation {
    /// Share of the manifest sent to review.
    pub fn review_share(&self) -> f64 {
        if self.manifest == 0 {
            0.0
        } else {
            self.needs_review as f64 / self.manifest as f64
        }
    }

    /// A Markdown table: one row per combination of noise kinds with at least `min_truth`
    /// true pairs, the smaller ones pooled by how many kinds they combine.
    pub fn combination_table(&self, min_truth: usize) -> String {
        let mut s = String::from(
            "| noise combination | true pairs | predicted | correct | precision | recall | F1 |\n|---|---:|---:|---:|---:|---:|---:|\n",
        );
        let mut pooled: BTreeMap<usize, Prf> = BTreeMap::new();
        let row = |s: &mut String, name: &str, p: &Prf| {
            let _ = writeln!(
                s,
                "| {name} | {} | {} | {} | {:.4} | {:.4} | {:.4} |",
                p.truth,
                p.predicted,
                p.correct,
                p.precision(),
                p.recall(),
                p.f1()
            );
        };
        for (k, p) in &self.by_combination {
            if p.truth >= min_truth {
                row(&mut s, k, p);
            } else {
                let kinds = if k == "clean" {
                    0
                } else {
                    k.matches(" + ").count() + 1
                };
                let e = pooled.entry(kinds).or_default();
                e.truth += p.truth;
                e.predicted += p.predicted;
                e.correct += p.correct;
            }
        }
        for (kinds, p) in &pooled {
            row(&mut s, &format!("(other combinations of {kinds} kinds)"), p);
        }
        s
    }

    /// A Markdown table: one row per slice.
    pub fn table(&self) -> String {
        let mut s = String::from(
            "| slice | true pairs | predicted | correct | precision | recall | F1 |\n|---|---:|---:|---:|---:|---:|---:|\n",
        );
        let mut row = |name: &str, p: &Prf| {
            let _ = writeln!(
                s,
                "| {name} | {} | {} | {} | {:.4} | {:.4} | {:.4} |",
                p.truth,
                p.predicted,
                p.correct,
                p.precision(),
                p.recall(),
                p.f1()
            );
        };
        for (k, p) in &self.by_kind {
            row(k, p);
        }
        row("**all**", &self.overall);
        let _ = writeln!(
            s,
            "\nmissing persons: {} of {} flagged missing, {} in review; needs_review: {} of {} ({:.2}%)",
            self.missing_flagged,
            self.missing_total,
            self.missing_in_review,
            self.needs_review,
            self.manifest,
            100.0 * self.review_share()
        );
        s
    }
}

/// Scores `out` against `synth`'s truth, per noise kind.
pub fn evaluate(synth: &Synth, out: &Reconciliation) -> Evaluation {
    let predicted: HashMap<&str, &str> = out
        .matches
        .iter()
        .map(|m| (m.manifest_id.as_str(), m.intake_id.as_str()))
        .collect();
    let flagged: std::collections::HashSet<&str> =
        out.missing_from_intake.iter().map(String::as_str).collect();
    let review: std::collections::HashSet<&str> = out
        .needs_review
        .iter()
        .map(|r| r.manifest_id.as_str())
        .collect();
    // Noise of each intake record that belongs to someone (to slice predictions by the
    // intake record they chose).
    let intake_noise: HashMap<&str, &Truth> = synth
        .truth
        .iter()
        .filter_map(|t| t.intake_id.as_deref().map(|i| (i, t)))
        .collect();
    let mut ev = Evaluation {
        manifest: synth.manifest.len(),
        needs_review: out.needs_review.len(),
        ..Default::default()
    };
    let labels = |t: &Truth| -> Vec<String> {
        let mut v: Vec<String> = if t.noise.is_empty() {
            vec!["clean".to_string()]
        } else {
            t.noise.iter().map(|n| n.label().to_string()).collect()
        };
        if t.has_sibling {
            v.push("sibling or twin in data".to_string());
        }
        if t.has_cousin {
            v.push("cousin of the same names in data".to_string());
        }
        if !t.duplicate_intake_ids.is_empty() {
            v.push("entered twice in intake".to_string());
        }
        v
    };
    let combination = |t: &Truth| -> String {
        if t.noise.is_empty() {
            "clean".to_string()
        } else {
            t.noise
                .iter()
                .map(|n| n.label())
                .collect::<Vec<_>>()
                .join(" + ")
        }
    };
    for t in &synth.truth {
        let got = predicted.get(t.manifest_id.as_str()).copied();
        let truth_labels = labels(t);
        if t.intake_id.is_some() {
            ev.overall.truth += 1;
            for l in &truth_labels {
                ev.by_kind.entry(l.clone()).or_default().truth += 1;
            }
            ev.by_combination.entry(combination(t)).or_default().truth += 1;
        } else {
            ev.missing_total += 1;
            if flagged.contains(t.manifest_id.as_str()) {
                ev.missing_flagged += 1;
            }
            if review.contains(t.manifest_id.as_str()) {
                ev.missing_in_review += 1;
            }
        }
        if let Some(g) = got {
            ev.overall.predicted += 1;
            let correct =
                t.intake_id.as_deref() == Some(g) || t.duplicate_intake_ids.iter().any(|d| d == g);
            if correct {
                ev.overall.correct += 1;
            }
            // A prediction is sliced by the noise of the intake record it chose (or by the
            // manifest person's labels when it chose an unexpected arrival).
            let chosen = intake_noise.get(g).copied();
            let combo = chosen.map_or_else(|| combination(t), combination);
            let e = ev.by_combination.entry(combo).or_default();
            e.predicted += 1;
            if correct {
                e.correct += 1;
            }
            let mut pl = chosen.map(labels).unwrap_or_else(|| truth_labels.clone());
            if t.has_sibling && !pl.iter().any(|l| l.starts_with("sibling")) {
                pl.push("sibling or twin in data".to_string());
            }
            for l in pl {
                let e = ev.by_kind.entry(l).or_default();
                e.predicted += 1;
                if correct {
                    e.correct += 1;
                }
            }
        }
    }
    ev
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_files() {
        let a = generate(42, &SynthConfig::flight(200));
        let b = generate(42, &SynthConfig::flight(200));
        assert_eq!(a, b);
        let c = generate(43, &SynthConfig::flight(200));
        assert_ne!(a.intake, c.intake);
    }

    #[test]
    fn ids_are_unique_and_truth_is_consistent() {
        let s = generate(1, &SynthConfig::flight(500));
        let mut ids: Vec<&str> = s.intake.iter().map(|r| r.record_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), s.intake.len());
        let arrived = s.truth.iter().filter(|t| t.intake_id.is_some()).count();
        assert!(arrived < s.manifest.len() && arrived > s.manifest.len() * 9 / 10);
        assert!(s.intake.len() > arrived, "there are unexpected arrivals");
        assert!(s.truth.iter().any(|t| t.has_sibling));
        for n in Noise::ALL {
            assert!(
                s.truth.iter().any(|t| t.noise.contains(&n)),
                "{n:?} never generated"
            );
        }
    }
}
