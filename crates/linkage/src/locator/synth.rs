//! Generated populations and noisy locator queries (invented persons only), for the
//! locator's tests and benchmarks.
//!
//! The population reuses [`crate::synth::generate`] (names drawn from lists common in
//! El Salvador, Venezuela, Honduras, Guatemala and Mexico, with siblings and twins), taking
//! nationality as country of birth. A query is what a relative would type for one of those
//! persons, with one kind of [`QueryNoise`].
//!
//! ```
//! use custodia_linkage::locator::synth::{population, queries, QueryNoise};
//! let people = population(1, 200, jiff::civil::date(2025, 6, 1));
//! let qs = queries(2, &people, 3, jiff::civil::date(2025, 6, 1));
//! assert_eq!(qs.len(), 3 * QueryNoise::ALL.len());
//! ```

use jiff::civil::Date;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use custodia_model::events::CustodyStatus;

use super::{LocatorEntry, LocatorQuery};
use crate::names::is_particle;
use crate::synth::noise::{respell, split_merge, strip_accents, typo_somewhere};
use crate::synth::{SynthConfig, generate};

/// What a relative gets wrong (or leaves out) when typing a name into the locator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QueryNoise {
    /// Typed exactly as registered.
    Clean,
    /// Accents and tildes dropped, case changed.
    AccentsDropped,
    /// One typing error in one name.
    OneTypo,
    /// Two typing errors.
    TwoTypos,
    /// A Spanish respelling (`v`/`b`, `s`/`z`/`c`, `y`/`ll`, silent `h`, `j`/`g`).
    PhoneticSpelling,
    /// Only the first family name (as relatives most often type it).
    FirstFamilyOnly,
    /// Only the second family name.
    SecondFamilyOnly,
    /// The two family names in the other order.
    FamilyNamesMoved,
    /// Only the first given name (middle name dropped).
    MiddleNameDropped,
    /// Given and family names swapped between the fields.
    GivenFamilySwapped,
    /// Day and month of the date of birth swapped.
    DayMonthSwapped,
    /// One part of the date of birth wrong (year off by one, a day digit).
    DobOnePartWrong,
    /// No date of birth given.
    DobMissing,
    /// The common real case: first family name only, accents dropped, one typing error.
    FirstFamilyTypoNoAccents,
    /// A space moved, dropped or added inside the family names ("RAMOSF LORES").
    SplitMerged,
    /// No date of birth and one typing error.
    DobMissingTypo,
    /// No date of birth, family names in the other order, accents dropped, upper case.
    MovedNoAccentsNoDob,
}

impl QueryNoise {
    /// Every kind, in table order.
    pub const ALL: [QueryNoise; 17] = [
        QueryNoise::Clean,
        QueryNoise::AccentsDropped,
        QueryNoise::OneTypo,
        QueryNoise::TwoTypos,
        QueryNoise::PhoneticSpelling,
        QueryNoise::FirstFamilyOnly,
        QueryNoise::SecondFamilyOnly,
        QueryNoise::FamilyNamesMoved,
        QueryNoise::MiddleNameDropped,
        QueryNoise::GivenFamilySwapped,
        QueryNoise::DayMonthSwapped,
        QueryNoise::DobOnePartWrong,
        QueryNoise::DobMissing,
        QueryNoise::FirstFamilyTypoNoAccents,
        QueryNoise::SplitMerged,
        QueryNoise::DobMissingTypo,
        QueryNoise::MovedNoAccentsNoDob,
    ];

    /// Whether queries of this kind carry no date of birth.
    pub fn without_dob(self) -> bool {
        matches!(
            self,
            QueryNoise::DobMissing | QueryNoise::DobMissingTypo | QueryNoise::MovedNoAccentsNoDob
        )
    }

    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            QueryNoise::Clean => "clean",
            QueryNoise::AccentsDropped => "accents dropped",
            QueryNoise::OneTypo => "one typing error",
            QueryNoise::TwoTypos => "two typing errors",
            QueryNoise::PhoneticSpelling => "phonetic respelling",
            QueryNoise::FirstFamilyOnly => "first family name only",
            QueryNoise::SecondFamilyOnly => "second family name only",
            QueryNoise::FamilyNamesMoved => "family names moved",
            QueryNoise::MiddleNameDropped => "middle name dropped",
            QueryNoise::GivenFamilySwapped => "given/family swapped",
            QueryNoise::DayMonthSwapped => "dob day/month swapped",
            QueryNoise::DobOnePartWrong => "dob one part wrong",
            QueryNoise::DobMissing => "dob missing",
            QueryNoise::FirstFamilyTypoNoAccents => "first family only + typo + no accents",
            QueryNoise::SplitMerged => "words split or merged",
            QueryNoise::DobMissingTypo => "dob missing + typo",
            QueryNoise::MovedNoAccentsNoDob => "dob missing + family moved + no accents",
        }
    }
}

/// A generated query and the person it is meant to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoisyQuery {
    pub noise: QueryNoise,
    pub query: LocatorQuery,
    pub person_id: String,
}

const FACILITIES: &[&str] = &[
    "CECOT",
    "IZALCO",
    "LA-ESPERANZA",
    "APANTEOS",
    "QUEZALTEPEQUE",
];

/// `n` invented adults (born 1960–2006), mostly in custody; about 3% released or removed
/// within the last 50 days before `today`, 2% transferred.
pub fn population(seed: u64, n: usize, today: Date) -> Vec<LocatorEntry> {
    let cfg = SynthConfig {
        persons: n,
        missing_rate: 0.0,
        unexpected_rate: 0.0,
        wrong_sibling_rate: 0.0,
        sibling_rate: 0.06,
        twin_rate: 0.02,
        clean_rate: 1.0,
        double_noise_rate: 0.0,
        triple_noise_rate: 0.0,
        cousin_rate: 0.0,
        duplicate_rate: 0.0,
    };
    let s = generate(seed, &cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x010c_a7e5);
    s.manifest
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let x: f64 = rng.gen_range(0.0..1.0);
            let (status, since_days) = if x < 0.02 {
                (CustodyStatus::Released, rng.gen_range(0..50))
            } else if x < 0.03 {
                (CustodyStatus::Removed, rng.gen_range(0..50))
            } else if x < 0.05 {
                (CustodyStatus::Transferred, rng.gen_range(0..400))
            } else {
                (CustodyStatus::InCustody, rng.gen_range(0..900))
            };
            let facility = FACILITIES[rng.gen_range(0..FACILITIES.len())];
            LocatorEntry {
                person_id: format!("P-{i:07}"),
                family_names: r.family_names,
                given_names: r.given_names,
                date_of_birth: r.date_of_birth,
                country_of_birth: r.nationality,
                facility_id: Some(facility.to_string()),
                status: Some(status),
                status_since: today.checked_sub(jiff::Span::new().days(since_days)).ok(),
            }
        })
        .collect()
}

/// Family-name words as a person would type them one at a time: particles stay with the
/// word they introduce (`de la Cruz`).
pub fn family_parts(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for w in s.split_whitespace() {
        if !pending.is_empty() {
            pending.push(' ');
        }
        pending.push_str(w);
        if !is_particle(&crate::names::fold(w)) {
            out.push(std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        out.push(pending);
    }
    out
}

/// The query a relative would type for `e` with `noise`, or `None` when that noise does not
/// apply to this person (no middle name, a day after the 12th for a day/month swap...).
pub fn noisy_query<R: Rng>(
    rng: &mut R,
    e: &LocatorEntry,
    noise: QueryNoise,
) -> Option<LocatorQuery> {
    let mut fam = family_parts(&e.family_names);
    let mut given: Vec<String> = e
        .given_names
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let mut dob = e.date_of_birth;
    let mut swapped = false;
    if fam.is_empty() || given.is_empty() {
        return None;
    }
    match noise {
        QueryNoise::Clean => {}
        QueryNoise::AccentsDropped => {
            fam = fam
                .iter()
                .map(|f| strip_accents(f).to_uppercase())
                .collect();
            given = given
                .iter()
                .map(|g| strip_accents(g).to_lowercase())
                .collect();
        }
        QueryNoise::OneTypo => typo_somewhere(rng, &mut fam, &mut given),
        QueryNoise::TwoTypos => {
            typo_somewhere(rng, &mut fam, &mut given);
            typo_somewhere(rng, &mut fam, &mut given);
        }
        QueryNoise::PhoneticSpelling => {
            let mut order: Vec<usize> = (0..fam.len() + given.len()).collect();
            order.shuffle(rng);
            let mut done = false;
            for k in order {
                let w = if k < fam.len() {
                    &mut fam[k]
                } else {
                    &mut given[k - fam.len()]
                };
                if let Some(r) = respell(w) {
                    *w = r;
                    done = true;
                    break;
                }
            }
            if !done {
                return None;
            }
        }
        QueryNoise::FirstFamilyOnly => fam.truncate(1),
        QueryNoise::SecondFamilyOnly => {
            if fam.len() < 2 {
                return None;
            }
            fam.remove(0);
            fam.truncate(1);
        }
        QueryNoise::FamilyNamesMoved => {
            if fam.len() < 2 {
                return None;
            }
            fam.reverse();
        }
        QueryNoise::MiddleNameDropped => {
            if given.len() < 2 {
                return None;
            }
            given.truncate(1);
        }
        QueryNoise::GivenFamilySwapped => swapped = true,
        QueryNoise::DayMonthSwapped => {
            let d = dob?;
            if d.day() > 12 || d.day() == d.month() {
                return None;
            }
            dob = Date::new(d.year(), d.day(), d.month()).ok();
        }
        QueryNoise::DobOnePartWrong => {
            let d = dob?;
            let wrong = if rng.gen_bool(0.5) {
                Date::new(
                    d.year() + if rng.gen_bool(0.5) { 1 } else { -1 },
                    d.month(),
                    d.day(),
                )
            } else {
                Date::new(
                    d.year(),
                    d.month(),
                    if d.day() > 10 {
                        d.day() - 10
                    } else {
                        d.day() + 10
                    },
                )
            };
            dob = wrong.ok();
        }
        QueryNoise::DobMissing => dob = None,
        QueryNoise::FirstFamilyTypoNoAccents => {
            fam.truncate(1);
            fam = fam
                .iter()
                .map(|f| strip_accents(f).to_lowercase())
                .collect();
            given = given
                .iter()
                .map(|g| strip_accents(g).to_lowercase())
                .collect();
            typo_somewhere(rng, &mut fam, &mut given);
        }
        QueryNoise::SplitMerged => {
            let joined = fam.join(" ");
            if !joined.contains(' ') {
                return None;
            }
            fam = vec![split_merge(rng, &joined)];
        }
        QueryNoise::DobMissingTypo => {
            dob = None;
            typo_somewhere(rng, &mut fam, &mut given);
        }
        QueryNoise::MovedNoAccentsNoDob => {
            if fam.len() < 2 {
                return None;
            }
            fam.reverse();
            fam = fam
                .iter()
                .map(|f| strip_accents(f).to_uppercase())
                .collect();
            given = given
                .iter()
                .map(|g| strip_accents(g).to_uppercase())
                .collect();
            dob = None;
        }
    }
    let (mut family, mut given) = (fam.join(" "), given.join(" "));
    if swapped {
        std::mem::swap(&mut family, &mut given);
    }
    Some(LocatorQuery {
        family,
        given: Some(given),
        country: e.country_of_birth.clone()?,
        dob,
        limit: 5,
    })
}

/// `per_noise` queries of every [`QueryNoise`] kind for random persons of `population` who
/// may appear in public results on `today` (adults; released or removed within 60 days).
pub fn queries(
    seed: u64,
    population: &[LocatorEntry],
    per_noise: usize,
    today: Date,
) -> Vec<NoisyQuery> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(per_noise * QueryNoise::ALL.len());
    if population.is_empty() {
        return out;
    }
    for noise in QueryNoise::ALL {
        let mut made = 0;
        let mut tries = 0;
        while made < per_noise && tries < per_noise * 50 {
            tries += 1;
            let e = &population[rng.gen_range(0..population.len())];
            if !super::publicly_visible(e, today) {
                continue;
            }
            if let Some(query) = noisy_query(&mut rng, e, noise) {
                out.push(NoisyQuery {
                    noise,
                    query,
                    person_id: e.person_id.clone(),
                });
                made += 1;
            }
        }
    }
    out
}
