//! The public locator (CONTRACT §5, §8): find a person the way a relative spells the name,
//! at a million records, without becoming a search engine for people.
//!
//! [`LocatorIndex`] keeps every person in memory with their name tokens interned in one
//! vocabulary. A query runs in three steps:
//!
//! 1. **Query tokens to vocabulary words.** Each folded query token (see [`crate::names`]) is
//!    expanded to the vocabulary words it could be a spelling of: the same word, the same
//!    Spanish phonetic key ([`names::phonetic`]), or a word within a small edit distance,
//!    found through a deletion neighbourhood (every word minus one letter is a key), then
//!    graded by [`names::token_agreement`]: the very logic the reconciliation uses.
//! 2. **Candidates.** The posting lists `(country of birth, word) -> persons` of those words,
//!    for the family-name field (and the given-name field, for a query whose given and family
//!    names were swapped). Country of birth is required, so a query touches the persons of
//!    one country who share a family name with it, never the whole index.
//! 3. **Scoring.** A Fellegi–Sunter log-likelihood ratio per candidate (each agreeing word
//!    weighs `ln(m/u)` with `u` that word's frequency in that country, so `Menjívar` counts
//!    for more than `Hernández`; the date of birth adds a strong term: exact, day and month
//!    swapped, one part off, year only), turned into a posterior probability that the hit
//!    is the person meant, normalised over every candidate plus the rest of the country's
//!    population ([`SCORE_PRIOR`], calibrated on generated data). Hits under [`MIN_SCORE`]
//!    are never shown.
//!
//! Privacy guards live here, not in the callers, so that no route can forget them: persons
//! under 18 on `today` never appear; released, removed or deceased persons appear with that
//! status for [`RECENT_DAYS`] days after their status changed, then no longer; at most
//! [`MAX_LIMIT`] hits are returned whatever the query; and there is no function that lists
//! the index.
//!
//! ```
//! use custodia_linkage::locator::{LocatorEntry, LocatorIndex, LocatorQuery};
//! let today = jiff::civil::date(2025, 6, 1);
//! let idx = LocatorIndex::build(vec![LocatorEntry {
//!     person_id: "P-1".into(),
//!     family_names: "Menjívar Ruiz".into(),
//!     given_names: "José Luis".into(),
//!     date_of_birth: Some(jiff::civil::date(1990, 4, 12)),
//!     country_of_birth: Some("SV".into()),
//!     facility_id: Some("CECOT".into()),
//!     status: Some(custodia_model::events::CustodyStatus::InCustody),
//!     status_since: None,
//! }]);
//! let q = LocatorQuery { family: "menjibar".into(), given: Some("jose".into()),
//!                        country: "sv".into(), dob: None, limit: 5 };
//! let hits = idx.search(&q, today);
//! assert_eq!(hits[0].person_id, "P-1");
//! assert_eq!(hits[0].year_of_birth, Some(1990));
//! ```

pub mod synth;

use std::collections::HashMap;

use custodia_model::events::CustodyStatus;
pub use custodia_model::locator::LocatorEntry;
use jiff::civil::Date;
use serde::Serialize;

use crate::names::{self, TokenAgreement};

/// Results shown when the query asks for none.
pub const DEFAULT_LIMIT: usize = 5;
/// Results shown at most, whatever the query asks (CONTRACT §5).
pub const MAX_LIMIT: usize = 10;
/// Days a released, removed or deceased person stays findable after the change.
pub const RECENT_DAYS: i64 = 60;
/// Age under which nobody appears in public results (as in the US locator).
pub const ADULT_AGE: i16 = 18;
/// Hits with a lower posterior probability are not shown.
pub const MIN_SCORE: f64 = 0.02;
/// `ln` of the weight of "someone else in the country, or nobody in the index" per person of
/// the country, in the posterior's denominator; calibrated on generated data
/// (`examples/locator_bench.rs --calibrate`).
pub const SCORE_PRIOR: f64 = -3.0;

/// At most this many query words per field are used (a longer field is someone pasting).
const MAX_QUERY_TOKENS: usize = 4;

// Log-likelihood weights. `m` is the chance a field agrees for the person meant; `u` (the
// word's frequency among the country's persons) the chance it agrees by coincidence.
const M_FAMILY: f64 = 0.95;
const M_GIVEN: f64 = 0.9;
const U_FLOOR: f64 = 1e-5;
const CLOSE_COST: f64 = 1.2;
const SIMILAR_COST: f64 = 2.8;
const FAMILY_MISSING: f64 = -3.0;
const GIVEN_MISSING: f64 = -2.5;
const OTHER_GIVEN_MISSING: f64 = -0.8;
const SWAP_COST: f64 = 1.5;
const EXTRA_WORD: f64 = 0.3;
/// The first two words of a field in the order the query typed them, or the other way
/// round (`ln` of the likelihood ratio): relatives mostly type the names in the order they
/// are registered, so a namesake whose names are the other way round is the less likely
/// person, though a moved name is still found.
const ORDER_KEPT: f64 = 0.1;
const ORDER_MOVED: f64 = -0.1;
/// Family-name candidate sets up to this size are scored whole, even when the query's given
/// name matches none of them (a given name mistyped beyond recognition).
const SMALL_SET: usize = 4000;
/// The same bound for the second chance of a query without a date of birth.
const SECOND_CHANCE_SET: usize = 12_000;
const DOB_EXACT: f64 = 9.0;
const DOB_DAY_MONTH_SWAPPED: f64 = 6.0;
const DOB_ONE_PART_OFF: f64 = 4.0;
const DOB_YEAR_ONLY: f64 = 0.3;
const DOB_DIFFERENT: f64 = -4.5;

/// A locator query (CONTRACT §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatorQuery {
    /// One or both family names, in any order, as typed.
    pub family: String,
    /// Given names, as typed.
    pub given: Option<String>,
    /// Country of birth (ISO alpha-2, any case); required.
    pub country: String,
    pub dob: Option<Date>,
    /// Hits wanted; 0 means [`DEFAULT_LIMIT`]; more than [`MAX_LIMIT`] is clamped.
    pub limit: usize,
}

/// One public result, serialised exactly as CONTRACT §5 (year of birth only, never the
/// date).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub person_id: String,
    pub family_names: String,
    pub given_names: String,
    pub country_of_birth: Option<String>,
    pub year_of_birth: Option<i16>,
    pub facility_id: Option<String>,
    pub status: Option<CustodyStatus>,
    /// Estimated probability that this is the person meant, in [0, 1], 3 decimals.
    pub score: f64,
}

/// An interner of short strings (countries, facilities, statuses).
#[derive(Debug, Default, Clone)]
struct Interner {
    names: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }
    fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
    fn name(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(|b| &**b)
    }
    fn bytes(&self) -> usize {
        self.names.iter().map(|n| 2 * (n.len() + 16) + 24).sum()
    }
}

const NONE: u32 = u32::MAX;

/// The words of every indexed name, with the keys that find a misspelling of them.
#[derive(Debug, Default, Clone)]
struct Vocab {
    words: Interner,
    /// Spanish phonetic key -> words.
    by_phonetic: HashMap<Box<str>, Vec<u32>>,
    /// Each word with one letter deleted -> words (a deletion neighbourhood, as SymSpell).
    by_deletion: HashMap<Box<str>, Vec<u32>>,
    bytes: usize,
}

fn deletions(w: &str) -> Vec<String> {
    let chars: Vec<char> = w.chars().collect();
    if chars.len() < 2 {
        return Vec::new();
    }
    let mut out: Vec<String> = (0..chars.len())
        .map(|i| {
            chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| *c)
                .collect()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl Vocab {
    fn word(&mut self, w: &str) -> u32 {
        if let Some(id) = self.words.get(w) {
            return id;
        }
        let id = self.words.intern(w);
        let key = names::phonetic(w);
        self.bytes += key.len() + 40;
        self.by_phonetic.entry(key.into()).or_default().push(id);
        for d in deletions(w) {
            self.bytes += d.len() + 44;
            self.by_deletion.entry(d.into()).or_default().push(id);
        }
        id
    }

    /// The vocabulary words `q` (folded) could be a spelling of, with how close.
    fn similar(&self, q: &str) -> Vec<(u32, TokenAgreement)> {
        let mut ids: Vec<u32> = Vec::new();
        if let Some(id) = self.words.get(q) {
            ids.push(id);
        }
        if let Some(v) = self.by_phonetic.get(names::phonetic(q).as_str()) {
            ids.extend(v);
        }
        // Distance 1 on each side: deletion, insertion, substitution, transposition, and
        // most pairs of errors. Two deletions on the query side reach two typing errors in
        // a long word.
        let d1 = deletions(q);
        let mut keys: Vec<&str> = vec![q];
        keys.extend(d1.iter().map(String::as_str));
        let d2: Vec<String> = if q.chars().count() >= 6 {
            d1.iter().flat_map(|d| deletions(d)).collect()
        } else {
            Vec::new()
        };
        keys.extend(d2.iter().map(String::as_str));
        for k in keys {
            if let Some(id) = self.words.get(k) {
                ids.push(id);
            }
            if let Some(v) = self.by_deletion.get(k) {
                ids.extend(v);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .filter_map(|id| {
                let w = self.words.name(id)?;
                match names::token_agreement(q, w) {
                    // A three-letter name with one typing error ("Aba" for "Ana", "Cdi"
                    // for "Cid") is only similar: too short for `token_agreement`, yet
                    // the only trace of the name a relative typed.
                    TokenAgreement::Different
                        if q.len() == 3
                            && w.len() == 3
                            && strsim::damerau_levenshtein(q, w) == 1 =>
                    {
                        Some((id, TokenAgreement::Similar))
                    }
                    TokenAgreement::Different => None,
                    a => Some((id, a)),
                }
            })
            .collect()
    }
}

/// A person in the index (compact: names as token ids, labels interned).
#[derive(Debug, Clone)]
struct Person {
    id: Box<str>,
    family: Box<str>,
    given: Box<str>,
    fam: Box<[u32]>,
    giv: Box<[u32]>,
    country: u32,
    dob: Option<Date>,
    facility: u32,
    status: Option<CustodyStatus>,
    status_since: Option<Date>,
    /// Released, removed or deceased (the 60-day window applies).
    left_custody: bool,
    live: bool,
}

/// The in-memory locator index. See the module documentation.
#[derive(Debug, Default, Clone)]
pub struct LocatorIndex {
    persons: Vec<Person>,
    free: Vec<u32>,
    by_id: HashMap<Box<str>, u32>,
    vocab: Vocab,
    countries: Interner,
    labels: Interner,
    /// (country, word) -> persons with that word among their family names.
    family_postings: HashMap<(u32, u32), Vec<u32>>,
    /// (country, word) -> persons with that word among their given names.
    given_postings: HashMap<(u32, u32), Vec<u32>>,
    /// (country, date of birth as [`day_key`]) -> persons born that day: a query with a
    /// date scores everyone of its country born on it (or with day and month swapped), a
    /// few dozen at a million persons, so names mistyped beyond recognition still find
    /// their person when the date is right.
    dob_postings: HashMap<(u32, u32), Vec<u32>>,
    /// Live persons per country.
    country_size: Vec<u32>,
    /// Raw name field -> its tokens (build-time cache: names repeat a lot).
    token_cache: HashMap<Box<str>, Box<[u32]>>,
}

/// A date as a key of [`LocatorIndex::dob_postings`].
fn day_key(d: Date) -> u32 {
    // Years are 1..=9999 in jiff; the cast cannot lose a positive year.
    (u32::from(d.year().unsigned_abs()) << 9)
        | (u32::from(d.month().unsigned_abs()) << 5)
        | u32::from(d.day().unsigned_abs())
}

/// The keys of the dates a query's date of birth stands for: itself and, when it can be
/// read so, the date with day and month swapped.
fn query_day_keys(d: Date) -> Vec<u32> {
    let mut keys = vec![day_key(d)];
    if d.day() <= 12
        && d.day() != d.month()
        && let Ok(s) = Date::new(d.year(), d.day(), d.month())
    {
        keys.push(day_key(s));
    }
    keys
}

fn is_adult(dob: Date, today: Date) -> bool {
    // Born on or before the same day 18 years ago. A 29 February birthday comes of age on
    // 1 March, never early.
    (today.year() - ADULT_AGE, today.month(), today.day()) >= (dob.year(), dob.month(), dob.day())
}

/// The privacy guards, in one place: whether a person may appear in public results on
/// `today`.
fn visible_on(dob: Option<Date>, left: bool, since: Option<Date>, today: Date) -> bool {
    // Minors never appear. A person whose date of birth is unknown is shown: they are held
    // as adults (adult facilities; the US locator cannot know either), and hiding everyone
    // without a recorded date would hide the least documented detainees, the ones most at
    // risk of disappearing.
    if let Some(dob) = dob
        && !is_adult(dob, today)
    {
        return false;
    }
    if left {
        // Released, removed or deceased: findable, with that status, for 60 days after the
        // change; with no date on record the window cannot be shown to be open.
        let Some(since) = since else {
            return false;
        };
        let until = since
            .checked_add(jiff::Span::new().days(RECENT_DAYS))
            .unwrap_or(Date::MAX);
        return today <= until;
    }
    true
}

/// Whether `e` may appear in public results on `today`: an adult (or of unknown age), and,
/// when released, removed or deceased, within [`RECENT_DAYS`] days of that change.
pub fn publicly_visible(e: &LocatorEntry, today: Date) -> bool {
    visible_on(
        e.date_of_birth,
        e.status.is_some_and(left_custody),
        e.status_since,
        today,
    )
}

fn left_custody(status: CustodyStatus) -> bool {
    matches!(
        status,
        CustodyStatus::Released | CustodyStatus::Removed | CustodyStatus::Deceased
    )
}

/// How one query word relates to one vocabulary word, for the words of this query.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// Per query word (family words first, then given words): 0 none, 1 similar, 2 close,
    /// 3 exact.
    levels: [u8; 2 * MAX_QUERY_TOKENS],
    /// `ln(m/u)` of agreeing on this word in the family field and the given field.
    family_weight: f64,
    given_weight: f64,
    /// Whether any person of the country has this word in the family / given field.
    in_family: bool,
    in_given: bool,
    /// Per query word, the weight of agreeing at this word's level when the word is in the
    /// family field / in the given field; `NEG_INFINITY` where the word is like no query
    /// word. Filled by [`Slot::finish`] once the levels are known, so that scoring a
    /// candidate is a max per query word and nothing else.
    family_vals: [f64; 2 * MAX_QUERY_TOKENS],
    given_vals: [f64; 2 * MAX_QUERY_TOKENS],
    /// Whether the word is like some query family word / some query given word.
    like_family: bool,
    like_given: bool,
}

impl Slot {
    /// `own`: per query word, the weight of the query word itself in the family and the
    /// given field. A word only like the query word counts at most as much as the query
    /// word would: a rare "Luz" found for a common "Luis" is no better evidence than
    /// "Luis" itself, less the cost of the difference.
    fn finish(&mut self, n_family: usize, n_given: usize, own: &[(f64, f64)]) {
        for (k, &l) in self.levels.iter().enumerate() {
            let (f, g) = if l == 0 {
                (f64::NEG_INFINITY, f64::NEG_INFINITY)
            } else if l == 3 {
                (self.family_weight, self.given_weight)
            } else {
                let (of, og) = own
                    .get(k)
                    .copied()
                    .unwrap_or((f64::INFINITY, f64::INFINITY));
                (
                    self.family_weight.min(of) - level_cost(l),
                    self.given_weight.min(og) - level_cost(l),
                )
            };
            if let (Some(fv), Some(gv)) = (self.family_vals.get_mut(k), self.given_vals.get_mut(k))
            {
                *fv = f;
                *gv = g;
            }
        }
        let any = |r: std::ops::Range<usize>| {
            self.levels
                .get(r)
                .is_some_and(|ls| ls.iter().any(|&l| l != 0))
        };
        self.like_family = any(0..n_family);
        self.like_given = any(MAX_QUERY_TOKENS..MAX_QUERY_TOKENS + n_given);
    }
}

/// `ln(m/u)` of agreeing on a word that `n` of the country's `n_country` persons have.
fn word_weight(m: f64, n: f64, n_country: f64) -> f64 {
    (m / (n / n_country).max(U_FLOOR)).ln().max(0.0)
}

fn level_cost(l: u8) -> f64 {
    match l {
        3 => 0.0,
        2 => CLOSE_COST,
        _ => SIMILAR_COST,
    }
}

fn agreement_level(a: TokenAgreement) -> u8 {
    match a {
        TokenAgreement::Exact => 3,
        TokenAgreement::Close => 2,
        TokenAgreement::Similar => 1,
        TokenAgreement::Different => 0,
    }
}

/// The score of a date of birth given against one on record.
fn dob_weight(q: Date, e: Date) -> f64 {
    if q == e {
        return DOB_EXACT;
    }
    if q.year() == e.year() && q.month() == e.day() && q.day() == e.month() {
        return DOB_DAY_MONTH_SWAPPED;
    }
    let same = [
        q.year() == e.year(),
        q.month() == e.month(),
        q.day() == e.day(),
    ];
    let agree = same.iter().filter(|s| **s).count();
    if agree == 2 {
        // One part wrong: a digit typed wrong, a year off by one.
        return DOB_ONE_PART_OFF;
    }
    if same[0] {
        return DOB_YEAR_ONLY;
    }
    DOB_DIFFERENT
}

/// One field of a person read against the query.
struct Field {
    /// Best weight per query word among the field's words (`NEG_INFINITY`: none is like it).
    best: [f64; 2 * MAX_QUERY_TOKENS],
    /// How many of the field's words are like each query word.
    hits: [u8; 2 * MAX_QUERY_TOKENS],
    /// The field's words like no query family word, and like no query given word.
    extra_vs_family: u8,
    extra_vs_given: u8,
}

/// A set of person slots.
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Self {
        Self(vec![0; n.div_ceil(64)])
    }
    fn has(&self, i: u32) -> bool {
        self.0
            .get(i as usize / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    /// Sets bit `i`; true when it was not set.
    fn set(&mut self, i: u32) -> bool {
        match self.0.get_mut(i as usize / 64) {
            Some(w) if *w & (1 << (i % 64)) == 0 => {
                *w |= 1 << (i % 64);
                true
            }
            _ => false,
        }
    }
}

/// A prepared query: its words resolved against the vocabulary.
struct Prepared {
    country: u32,
    /// The [`day_key`]s the query's date of birth stands for (none without one).
    days: Vec<u32>,
    /// Per query word: the same word was typed earlier in the same field.
    repeats: [bool; 2 * MAX_QUERY_TOKENS],
    n_family: usize,
    n_given: usize,
    /// Vocabulary word -> index into `slots`; 0 when the word is like no query word.
    slot_of: Vec<u16>,
    /// `slots[0]` is the empty slot.
    slots: Vec<Slot>,
    /// The vocabulary words like some query word, with their slots, in vocabulary order:
    /// the non-zero cells of `slot_of`, so that finding the posting lists does not scan
    /// the whole vocabulary.
    like_words: Vec<(u32, u16)>,
}

impl Prepared {
    /// Best weight of each query word among the words of one field of a person (`given`:
    /// the field is the given-name field, so its frequencies apply); `None` when no word of
    /// the field is like that query word.
    fn field(&self, words: &[u32], given: bool) -> Field {
        let mut best = [f64::NEG_INFINITY; 2 * MAX_QUERY_TOKENS];
        let mut hits = [0u8; 2 * MAX_QUERY_TOKENS];
        let (mut extra_vs_family, mut extra_vs_given) = (0u8, 0u8);
        for &w in words {
            let i = self.slot_of.get(w as usize).copied().unwrap_or(0);
            let Some(s) = self.slots.get(usize::from(i)).filter(|_| i != 0) else {
                extra_vs_family += 1;
                extra_vs_given += 1;
                continue;
            };
            extra_vs_family += u8::from(!s.like_family);
            extra_vs_given += u8::from(!s.like_given);
            let vals = if given { &s.given_vals } else { &s.family_vals };
            for ((b, h), &v) in best.iter_mut().zip(hits.iter_mut()).zip(vals) {
                *b = b.max(v);
                *h = h.saturating_add(u8::from(v != f64::NEG_INFINITY));
            }
        }
        Field {
            best,
            hits,
            extra_vs_family,
            extra_vs_given,
        }
    }

    /// The highest log-likelihood any person could reach on this query.
    fn upper_bound(&self, dob: bool) -> f64 {
        let best = |k: usize, missing: f64| {
            self.slots
                .iter()
                .skip(1)
                .filter(|s| s.levels[k] != 0)
                .flat_map(|s| {
                    [
                        s.in_family.then_some(s.family_vals[k]),
                        s.in_given.then_some(s.given_vals[k]),
                    ]
                    .into_iter()
                    .flatten()
                })
                .fold(missing, f64::max)
        };
        let family: f64 = (0..self.n_family).map(|k| best(k, FAMILY_MISSING)).sum();
        let given: f64 = (0..self.n_given)
            .map(|j| {
                best(
                    MAX_QUERY_TOKENS + j,
                    if j == 0 {
                        GIVEN_MISSING
                    } else {
                        OTHER_GIVEN_MISSING
                    },
                )
            })
            .sum();
        let order = |n: usize| if n >= 2 { ORDER_KEPT } else { 0.0 };
        family
            + given
            + order(self.n_family)
            + order(self.n_given)
            + if dob { DOB_EXACT } else { 0.0 }
    }

    /// Whether vocabulary word `w` is like query word `k`.
    fn like(&self, w: u32, k: usize) -> bool {
        let i = self.slot_of.get(w as usize).copied().unwrap_or(0);
        i != 0
            && self
                .slots
                .get(usize::from(i))
                .and_then(|s| s.levels.get(k))
                .is_some_and(|&l| l != 0)
    }

    /// The weight of the order of a field's first two words against the query words
    /// `k0` and `k0 + 1` (`n` query words in that field): [`ORDER_KEPT`] when they are in
    /// the query's order, [`ORDER_MOVED`] when the other way round, 0 otherwise.
    fn order_weight(&self, words: &[u32], k0: usize, n: usize) -> f64 {
        let (Some(&a), Some(&b)) = (words.first(), words.get(1)) else {
            return 0.0;
        };
        if n < 2 {
            return 0.0;
        }
        if self.like(a, k0) && self.like(b, k0 + 1) {
            ORDER_KEPT
        } else if self.like(a, k0 + 1) && self.like(b, k0) {
            ORDER_MOVED
        } else {
            0.0
        }
    }

    /// Log-likelihood of the names when the query's family words are read against `fam`
    /// and its given words against `giv` (each the best per query word of one field).
    fn names_weight(&self, fam: &Field, giv: &Field) -> f64 {
        let mut total = 0.0;
        for (k, &b) in fam.best.iter().enumerate().take(self.n_family) {
            // A family name typed twice ("Hernández Hernández") is found only in a person
            // who has it twice: one "Hernández" does not answer for both.
            let repeated = self.repeats.get(k).copied().unwrap_or(false);
            let found = fam.hits.get(k).copied().unwrap_or(0) > u8::from(repeated);
            total += if b == f64::NEG_INFINITY || !found {
                FAMILY_MISSING
            } else {
                b
            };
        }
        // Words on record the query did not type: nothing wrong (a second family name, a
        // middle name are often left out), but a person whose name is exactly what was
        // typed ranks first.
        total -= EXTRA_WORD * f64::from(fam.extra_vs_family.min(2));
        if self.n_given > 0 {
            total -= EXTRA_WORD * f64::from(giv.extra_vs_given.min(2));
        }
        for (j, b) in giv
            .best
            .iter()
            .skip(MAX_QUERY_TOKENS)
            .take(self.n_given)
            .enumerate()
        {
            // The same for a word typed twice in the given field, which is where a family
            // name typed twice is when the fields are swapped ("Pedro" / "Martínez
            // Martínez").
            let k = MAX_QUERY_TOKENS + j;
            let repeated = self.repeats.get(k).copied().unwrap_or(false);
            let found = giv.hits.get(k).copied().unwrap_or(0) > u8::from(repeated);
            total += match *b {
                v if v != f64::NEG_INFINITY && found => v,
                // Given names are not doubled: a word typed twice is a family name.
                _ if repeated => FAMILY_MISSING,
                _ if j == 0 => GIVEN_MISSING,
                _ => OTHER_GIVEN_MISSING,
            };
        }
        total
    }
}

impl LocatorIndex {
    /// Builds the index from every person (a million in a few seconds: names repeat, so
    /// each distinct name field is folded and tokenised once).
    pub fn build(entries: impl IntoIterator<Item = LocatorEntry>) -> Self {
        let mut idx = Self::default();
        for e in entries {
            idx.upsert(e);
        }
        // The cache only speeds up the build; updates are few and can pay for folding.
        idx.token_cache = HashMap::new();
        idx.shrink();
        idx
    }

    fn shrink(&mut self) {
        for v in self.family_postings.values_mut() {
            v.shrink_to_fit();
        }
        for v in self.given_postings.values_mut() {
            v.shrink_to_fit();
        }
        for v in self.dob_postings.values_mut() {
            v.shrink_to_fit();
        }
        self.persons.shrink_to_fit();
    }

    /// Live persons in the index.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when nobody is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    fn tokens_of(&mut self, field: &str) -> Box<[u32]> {
        if let Some(t) = self.token_cache.get(field) {
            return t.clone();
        }
        let toks: Box<[u32]> = names::tokens(field)
            .iter()
            .map(|w| self.vocab.word(w))
            .collect();
        if self.token_cache.len() < 2_000_000 {
            self.token_cache.insert(field.into(), toks.clone());
        }
        toks
    }

    /// Adds a person, or replaces the one with the same id (an event arrived).
    pub fn upsert(&mut self, e: LocatorEntry) {
        self.remove(&e.person_id);
        let fam = self.tokens_of(&e.family_names);
        let giv = self.tokens_of(&e.given_names);
        let country = match e.country_of_birth.as_deref().map(str::trim) {
            Some(c) if !c.is_empty() => self.countries.intern(&c.to_ascii_uppercase()),
            _ => NONE,
        };
        let facility = e
            .facility_id
            .as_deref()
            .map_or(NONE, |f| self.labels.intern(f));
        let p = Person {
            id: e.person_id.as_str().into(),
            family: e.family_names.into(),
            given: e.given_names.into(),
            fam,
            giv,
            country,
            dob: e.date_of_birth,
            facility,
            status: e.status,
            status_since: e.status_since,
            left_custody: e.status.is_some_and(left_custody),
            live: true,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                if let Some(cell) = self.persons.get_mut(s as usize) {
                    *cell = p;
                }
                s
            }
            None => {
                self.persons.push(p);
                u32::try_from(self.persons.len() - 1).unwrap_or(NONE)
            }
        };
        self.by_id.insert(e.person_id.into(), slot);
        if country != NONE {
            self.post(slot, true);
        }
    }

    /// Adds (or takes out) a person's posting-list entries and country count.
    fn post(&mut self, slot: u32, add: bool) {
        let Some(p) = self.persons.get(slot as usize) else {
            return;
        };
        let c = p.country;
        let mut fam: Vec<u32> = p.fam.to_vec();
        fam.sort_unstable();
        fam.dedup();
        let mut giv: Vec<u32> = p.giv.to_vec();
        giv.sort_unstable();
        giv.dedup();
        for (words, postings) in [
            (fam, &mut self.family_postings),
            (giv, &mut self.given_postings),
        ] {
            for w in words {
                let list = postings.entry((c, w)).or_default();
                if add {
                    list.push(slot);
                } else if let Some(i) = list.iter().position(|&s| s == slot) {
                    list.swap_remove(i);
                }
            }
        }
        if let Some(d) = p.dob {
            let list = self.dob_postings.entry((c, day_key(d))).or_default();
            if add {
                list.push(slot);
            } else if let Some(i) = list.iter().position(|&s| s == slot) {
                list.swap_remove(i);
            }
        }
        let ci = c as usize;
        if self.country_size.len() <= ci {
            self.country_size.resize(ci + 1, 0);
        }
        if let Some(n) = self.country_size.get_mut(ci) {
            *n = if add { *n + 1 } else { n.saturating_sub(1) };
        }
    }

    /// Takes a person out of the index; true when they were in it.
    pub fn remove(&mut self, person_id: &str) -> bool {
        let Some(slot) = self.by_id.remove(person_id) else {
            return false;
        };
        let has_country = self
            .persons
            .get(slot as usize)
            .is_some_and(|p| p.country != NONE);
        if has_country {
            self.post(slot, false);
        }
        if let Some(p) = self.persons.get_mut(slot as usize) {
            p.live = false;
            p.family = "".into();
            p.given = "".into();
            p.id = "".into();
            p.fam = Box::new([]);
            p.giv = Box::new([]);
        }
        self.free.push(slot);
        true
    }

    /// An estimate of the heap the index holds, in bytes.
    pub fn memory_bytes(&self) -> usize {
        let person = std::mem::size_of::<Person>();
        let persons: usize = self.persons.capacity() * person
            + self
                .persons
                .iter()
                .map(|p| {
                    p.id.len() + p.family.len() + p.given.len() + 4 * (p.fam.len() + p.giv.len())
                })
                .sum::<usize>();
        let by_id: usize = self
            .by_id
            .keys()
            .map(|k| k.len() + 16 + 4 + 8)
            .sum::<usize>()
            + self.by_id.capacity() * 8;
        let postings: usize = self
            .family_postings
            .values()
            .chain(self.given_postings.values())
            .chain(self.dob_postings.values())
            .map(|v| v.capacity() * 4 + 24 + 8 + 8)
            .sum();
        let deletions: usize = self
            .vocab
            .by_deletion
            .values()
            .map(|v| v.capacity() * 4)
            .sum();
        persons
            + by_id
            + postings
            + self.vocab.bytes
            + deletions
            + self.vocab.words.bytes()
            + self.countries.bytes()
            + self.labels.bytes()
            + self.free.capacity() * 4
    }

    /// Whether `p` may appear in public results on `today`.
    fn visible(&self, p: &Person, today: Date) -> bool {
        p.live && visible_on(p.dob, p.left_custody, p.status_since, today)
    }

    fn hit(&self, p: &Person, score: f64) -> Hit {
        Hit {
            person_id: p.id.to_string(),
            family_names: p.family.to_string(),
            given_names: p.given.to_string(),
            country_of_birth: self.countries.name(p.country).map(str::to_string),
            year_of_birth: p.dob.map(|d| d.year()),
            facility_id: self.labels.name(p.facility).map(str::to_string),
            status: p.status,
            score: (score * 1000.0).round() / 1000.0,
        }
    }

    /// One person by id (`custodia locate --id`), under the same privacy guards; score 1.
    pub fn get(&self, person_id: &str, today: Date) -> Option<Hit> {
        let slot = *self.by_id.get(person_id)?;
        let p = self.persons.get(slot as usize)?;
        self.visible(p, today).then(|| self.hit(p, 1.0))
    }

    fn country_count(&self, c: u32) -> f64 {
        f64::from(self.country_size.get(c as usize).copied().unwrap_or(0))
    }

    /// Split and merged words ("RAMOSF LORES", "CRUZVASQUEZ"): when some word of a query
    /// field is not in the vocabulary, but the field's letters written together are one
    /// word of it, or split into two words of it, those words are used instead (the most
    /// even split first, so `ramosflores` is `ramos flores`, not `ra mosflores`).
    fn resegment(&self, toks: Vec<String>) -> Vec<String> {
        if toks.is_empty() || toks.iter().all(|t| self.vocab.words.get(t).is_some()) {
            return toks;
        }
        let joined: String = toks.concat();
        if self.vocab.words.get(&joined).is_some() {
            return vec![joined];
        }
        let chars: Vec<char> = joined.chars().collect();
        let mut best: Option<(usize, Vec<String>)> = None;
        for p in 3..chars.len().saturating_sub(2) {
            let l: String = chars[..p].iter().collect();
            let r: String = chars[p..].iter().collect();
            let even = p.min(chars.len() - p);
            if self.vocab.words.get(&l).is_some()
                && self.vocab.words.get(&r).is_some()
                && best.as_ref().is_none_or(|(e, _)| even > *e)
            {
                best = Some((even, vec![l, r]));
            }
        }
        best.map_or(toks, |(_, v)| v)
    }

    fn prepare(&self, q: &LocatorQuery) -> Option<Prepared> {
        let country = self.countries.get(&q.country.trim().to_ascii_uppercase())?;
        let n_country = self.country_count(country).max(1.0);
        let family: Vec<String> = self
            .resegment(names::tokens(&q.family))
            .into_iter()
            .take(MAX_QUERY_TOKENS)
            .collect();
        if family.is_empty() {
            return None;
        }
        let given: Vec<String> = self
            .resegment(q.given.as_deref().map(names::tokens).unwrap_or_default())
            .into_iter()
            .take(MAX_QUERY_TOKENS)
            .collect();
        let mut slot_of: Vec<u16> = vec![0; self.vocab.words.names.len()];
        let mut slots: Vec<Slot> = vec![Slot::default()];
        let mut like_words: Vec<(u32, u16)> = Vec::new();
        let words = family.iter().enumerate().chain(
            given
                .iter()
                .enumerate()
                .map(|(j, g)| (MAX_QUERY_TOKENS + j, g)),
        );
        for (k, w) in words {
            for (id, a) in self.vocab.similar(w) {
                let Some(cell) = slot_of.get_mut(id as usize) else {
                    continue;
                };
                if *cell == 0 {
                    let count = |postings: &HashMap<(u32, u32), Vec<u32>>| {
                        postings.get(&(country, id)).map_or(0, Vec::len) as f64
                    };
                    let (nf, ng) = (count(&self.family_postings), count(&self.given_postings));
                    slots.push(Slot {
                        levels: [0; 2 * MAX_QUERY_TOKENS],
                        family_weight: word_weight(M_FAMILY, nf, n_country),
                        given_weight: word_weight(M_GIVEN, ng, n_country),
                        in_family: nf > 0.0,
                        in_given: ng > 0.0,
                        family_vals: [f64::NEG_INFINITY; 2 * MAX_QUERY_TOKENS],
                        given_vals: [f64::NEG_INFINITY; 2 * MAX_QUERY_TOKENS],
                        like_family: false,
                        like_given: false,
                    });
                    *cell = u16::try_from(slots.len() - 1).unwrap_or(0);
                    like_words.push((id, *cell));
                }
                if let Some(s) = slots.get_mut(usize::from(*cell)) {
                    s.levels[k] = s.levels[k].max(agreement_level(a));
                }
            }
        }
        // The weight of each query word itself, where it is in the vocabulary (a word
        // nobody has caps nothing).
        let mut own = [(f64::INFINITY, f64::INFINITY); 2 * MAX_QUERY_TOKENS];
        let typed = family.iter().enumerate().chain(
            given
                .iter()
                .enumerate()
                .map(|(j, g)| (MAX_QUERY_TOKENS + j, g)),
        );
        for (k, w) in typed {
            let Some(id) = self.vocab.words.get(w) else {
                continue;
            };
            let count = |postings: &HashMap<(u32, u32), Vec<u32>>| {
                postings.get(&(country, id)).map_or(0, Vec::len) as f64
            };
            let (nf, ng) = (count(&self.family_postings), count(&self.given_postings));
            if let Some(o) = own.get_mut(k) {
                *o = (
                    word_weight(M_FAMILY, nf, n_country),
                    word_weight(M_GIVEN, ng, n_country),
                );
            }
        }
        for s in &mut slots {
            s.finish(family.len(), given.len(), &own);
        }
        // In vocabulary order, as a scan of `slot_of` would give them.
        like_words.sort_unstable();
        let mut repeats = [false; 2 * MAX_QUERY_TOKENS];
        for (offset, words) in [(0, &family), (MAX_QUERY_TOKENS, &given)] {
            for (k, w) in words.iter().enumerate() {
                if let Some(r) = repeats.get_mut(offset + k) {
                    *r = words.iter().take(k).any(|x| x == w);
                }
            }
        }
        Some(Prepared {
            country,
            days: q.dob.map(query_day_keys).unwrap_or_default(),
            repeats,
            n_family: family.len(),
            n_given: given.len(),
            slot_of,
            slots,
            like_words,
        })
    }

    /// The posting lists of the vocabulary words like some query word of `range` (family
    /// words `..n_family`, given words `MAX_QUERY_TOKENS..`), in `postings`.
    fn lists<'a>(
        &'a self,
        prep: &'a Prepared,
        given_words: bool,
        postings: &'a HashMap<(u32, u32), Vec<u32>>,
    ) -> impl Iterator<Item = &'a [u32]> + 'a {
        let range = if given_words {
            MAX_QUERY_TOKENS..MAX_QUERY_TOKENS + prep.n_given
        } else {
            0..prep.n_family
        };
        prep.like_words
            .iter()
            .filter(move |(_, i)| {
                prep.slots
                    .get(usize::from(*i))
                    .is_some_and(|s| s.levels[range.clone()].iter().any(|&l| l != 0))
            })
            .filter_map(move |&(w, _)| postings.get(&(prep.country, w)).map(Vec::as_slice))
    }

    /// Candidates: persons born on the query's date of birth (read as typed or with day and
    /// month swapped), and persons with a word like a query family word (typed in the
    /// family field, or, swapped, in the given field) and, when a given name was typed, a
    /// word like it in the other field. Bitsets intersect the posting lists in a few sequential passes.
    ///
    /// `sets`: the bounds between which a family-name candidate set is scored whole; the
    /// second chance asks for the sets only (`second_chance`), those the first pass skipped.
    fn candidates(&self, prep: &Prepared, sets: (usize, usize), second_chance: bool) -> Vec<u32> {
        let n = self.persons.len();
        let mut straight = Bits::new(n);
        let mut swapped = Bits::new(n);
        let mut taken = Bits::new(n);
        let mut out = Vec::new();
        if !second_chance {
            for day in &prep.days {
                if let Some(list) = self.dob_postings.get(&(prep.country, *day)) {
                    out.extend(list.iter().copied().filter(|&s| taken.set(s)));
                }
            }
        }
        let fill = |bits: &mut Bits, postings| {
            let mut size = 0;
            for list in self.lists(prep, false, postings) {
                size += list.len();
                for &s in list {
                    bits.set(s);
                }
            }
            size
        };
        let sizes = [
            fill(&mut straight, &self.family_postings),
            fill(&mut swapped, &self.given_postings),
        ];
        if prep.n_given == 0 && !second_chance {
            for postings in [&self.family_postings, &self.given_postings] {
                for list in self.lists(prep, false, postings) {
                    out.extend(list.iter().copied().filter(|&s| taken.set(s)));
                }
            }
            return out;
        }
        // Given words in the given field meet family words in the family field; given
        // words in the family field meet family words in the given field (swapped).
        for (bits, postings) in [
            (&straight, &self.given_postings),
            (&swapped, &self.family_postings),
        ] {
            if second_chance {
                break;
            }
            for list in self.lists(prep, true, postings) {
                out.extend(
                    list.iter()
                        .copied()
                        .filter(|&s| bits.has(s) && taken.set(s)),
                );
            }
        }
        for (size, postings) in [
            (sizes[0], &self.family_postings),
            (sizes[1], &self.given_postings),
        ] {
            if (sets.0..=sets.1).contains(&size) {
                for list in self.lists(prep, false, postings) {
                    out.extend(list.iter().copied().filter(|&s| taken.set(s)));
                }
            }
        }
        out
    }

    /// The persons best matching `q`, best first, at most `q.limit` (clamped to
    /// [`MAX_LIMIT`]), none under [`MIN_SCORE`], none hidden by the privacy guards on
    /// `today`.
    pub fn search(&self, q: &LocatorQuery, today: Date) -> Vec<Hit> {
        self.search_with_prior(q, today, SCORE_PRIOR, MIN_SCORE)
    }

    /// [`LocatorIndex::search`] with another prior and floor: for calibrating
    /// [`SCORE_PRIOR`] and [`MIN_SCORE`] on generated data, not for serving.
    #[doc(hidden)]
    pub fn search_with_prior(
        &self,
        q: &LocatorQuery,
        today: Date,
        score_prior: f64,
        min_score: f64,
    ) -> Vec<Hit> {
        let limit = match q.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let Some(prep) = self.prepare(q) else {
            return Vec::new();
        };
        let prior = self.country_count(prep.country).max(1.0).ln() + score_prior;
        // A query that cannot reach the floor even for a perfect candidate (a common family
        // name alone) is answered without scanning.
        if prep.upper_bound(q.dob.is_some()) - prior < (min_score / (1.0 - min_score)).ln() {
            return Vec::new();
        }
        let first = self.ranked(q, &prep, today, prior, min_score, false);
        // A second chance for a query without a date of birth that found nobody: its
        // given name may be mistyped beyond recognition under a common family name, so
        // every person with a family word like the query's is scored, not only those
        // whose given name also resembles it (the date would have narrowed them down).
        let best = if first.is_empty() && q.dob.is_none() && prep.n_given > 0 {
            self.ranked(q, &prep, today, prior, min_score, true)
        } else {
            first
        };
        best.into_iter()
            .take(limit)
            .filter_map(|(score, s)| self.persons.get(s as usize).map(|p| self.hit(p, score)))
            .collect()
    }

    /// Scores the candidates of a prepared query, best first, none under `min_score`.
    fn ranked(
        &self,
        q: &LocatorQuery,
        prep: &Prepared,
        today: Date,
        prior: f64,
        min_score: f64,
        second_chance: bool,
    ) -> Vec<(f64, u32)> {
        let sets = if second_chance {
            (SMALL_SET + 1, SECOND_CHANCE_SET)
        } else {
            (0, SMALL_SET)
        };
        let cands = self.candidates(prep, sets, second_chance);
        let mut scored: Vec<(f64, u32)> = Vec::with_capacity(cands.len());
        for slot in cands {
            let Some(p) = self.persons.get(slot as usize) else {
                continue;
            };
            if !self.visible(p, today) {
                continue;
            }
            let fam = prep.field(&p.fam, false);
            let giv = prep.field(&p.giv, true);
            let (nf, ng) = (prep.n_family, prep.n_given);
            // Privacy: a person is shown only for names like theirs. A date of birth finds
            // a name mistyped beyond recognition, but alone it would list everyone born on
            // a day ("Zzzz, Qqqq, 1985-08-03"). Some family word typed and, when one was
            // typed, some given word must be like a word of the person's names (either
            // field, for swapped names); with the very date of birth (or its day and month
            // swapped), one of the two is enough.
            let like = |k: usize| {
                fam.best.get(k).is_some_and(|v| v.is_finite())
                    || giv.best.get(k).is_some_and(|v| v.is_finite())
            };
            let family_like = (0..nf).any(like);
            let given_like = ng == 0 || (0..ng).any(|j| like(MAX_QUERY_TOKENS + j));
            let same_day = match (q.dob, p.dob) {
                (Some(qd), Some(pd)) => {
                    qd == pd
                        || (qd.year() == pd.year()
                            && qd.month() == pd.day()
                            && qd.day() == pd.month())
                }
                _ => false,
            };
            if !(family_like && given_like || same_day && (family_like || given_like)) {
                continue;
            }
            let straight = prep.names_weight(&fam, &giv)
                + prep.order_weight(&p.fam, 0, nf)
                + prep.order_weight(&p.giv, MAX_QUERY_TOKENS, ng);
            let swapped = prep.names_weight(&giv, &fam) - SWAP_COST
                + prep.order_weight(&p.giv, 0, nf)
                + prep.order_weight(&p.fam, MAX_QUERY_TOKENS, ng);
            let mut l = straight.max(swapped);
            if let (Some(qd), Some(pd)) = (q.dob, p.dob) {
                l += dob_weight(qd, pd);
            }
            scored.push((l, slot));
        }
        // Posterior over the candidates and everyone else of that country (log-sum-exp).
        let top = scored.iter().map(|s| s.0).fold(prior, f64::max);
        let denom: f64 =
            scored.iter().map(|s| (s.0 - top).exp()).sum::<f64>() + (prior - top).exp();
        let log_denom = top + denom.ln();
        let mut best: Vec<(f64, u32)> = scored
            .into_iter()
            .map(|(l, s)| ((l - log_denom).exp(), s))
            .filter(|(p, _)| *p >= min_score)
            .collect();
        best.sort_by(|a, b| {
            b.0.total_cmp(&a.0).then_with(|| {
                let id = |s: u32| self.persons.get(s as usize).map(|p| &*p.id);
                id(a.1).cmp(&id(b.1))
            })
        });
        best
    }
}

/// Exact matching after accent folding, as the US locator does it: the whole family-name
/// field and the whole given-name field equal after [`names::fold`], same country, and the
/// same date of birth when one is given. For side-by-side benchmarks only.
pub fn exact_folded_match(e: &LocatorEntry, q: &LocatorQuery) -> bool {
    e.country_of_birth
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case(q.country.trim()))
        && names::fold(&e.family_names) == names::fold(&q.family)
        && q.given
            .as_deref()
            .is_none_or(|g| names::fold(g) == names::fold(&e.given_names))
        && q.dob.is_none_or(|d| e.date_of_birth == Some(d))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn adulthood_on_the_birthday_and_29_february() {
        let d = jiff::civil::date;
        assert!(is_adult(d(2007, 6, 1), d(2025, 6, 1)));
        assert!(!is_adult(d(2007, 6, 2), d(2025, 6, 1)));
        assert!(!is_adult(d(2008, 2, 29), d(2026, 2, 28)));
        assert!(is_adult(d(2008, 2, 29), d(2026, 3, 1)));
    }

    #[test]
    fn dob_levels() {
        let d = jiff::civil::date;
        assert_eq!(dob_weight(d(1990, 4, 12), d(1990, 4, 12)), DOB_EXACT);
        assert_eq!(
            dob_weight(d(1990, 12, 4), d(1990, 4, 12)),
            DOB_DAY_MONTH_SWAPPED
        );
        assert_eq!(dob_weight(d(1991, 4, 12), d(1990, 4, 12)), DOB_ONE_PART_OFF);
        assert_eq!(dob_weight(d(1990, 7, 3), d(1990, 4, 12)), DOB_YEAR_ONLY);
        assert_eq!(dob_weight(d(1970, 7, 3), d(1990, 4, 12)), DOB_DIFFERENT);
    }

    #[test]
    fn deletion_neighbourhood_finds_typos() {
        let mut v = Vocab::default();
        for w in ["menjivar", "hernandez", "fernandez", "garcia"] {
            v.word(w);
        }
        let ids = |q: &str| -> Vec<&str> {
            v.similar(q)
                .into_iter()
                .filter_map(|(id, _)| v.words.name(id))
                .collect()
        };
        assert!(ids("menjvar").contains(&"menjivar"));
        assert!(ids("mejnivar").contains(&"menjivar"));
        assert!(ids("hernandes").contains(&"hernandez"));
        assert!(ids("garsia").contains(&"garcia"));
        assert!(!ids("garcia").contains(&"menjivar"));
    }
}
