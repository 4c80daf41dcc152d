//! Reconciliation of a manifest against an intake (CONTRACT §2): Fellegi–Sunter record
//! linkage with blocking, comparison levels, EM-trained m probabilities, u probabilities
//! from random non-matching pairs, term-frequency adjustments and a one-to-one assignment
//! that sends only true ambiguity to review.
//!
//! The model in one paragraph. Each candidate pair gets a comparison vector: one level per
//! field (family names, given names, date of birth, document, sex, nationality; see the
//! `*_LEVELS` constants). Names are compared in both orientations (intake as written, and
//! intake with given and family swapped) and the better orientation is kept. Each level has
//! `m` = P(level | same person) and `u` = P(level | different persons); a pair's match
//! weight is `log2(λ/(1-λ)) + Σ log2(m/u)` plus term-frequency adjustments for agreeing
//! family and given names (`log2(u_level / f(value))`, bounded). That weight sets a pair
//! against the whole other file; the pair's score is instead its one-to-one posterior
//! (`one_to_one`): its odds against the other candidates of both its records and against
//! neither having a match, most of a flight arriving. `u` comes from random pairs drawn within
//! each file (two rows of one file are two different people, so the sample is clean of true
//! matches), smoothed toward priors. `m` starts from priors and is refined by EM over the
//! blocked candidate pairs, with the priors as pseudo-counts so a 20-person flight cannot
//! drive a probability to 0 or 1.
//!
//! Names are also compared with their words written together (split and merged words) and
//! as multisets (a name of one side found among the other's in any order); a missing date
//! of birth is a level with its own m and u; a pair that looks like two siblings, twins or
//! cousins is never matched automatically (`guarded`), and one that disagrees on a date of
//! birth both give and on the given name is not even a candidate (`unreviewable`); after
//! the one-to-one assignment the leftovers are linked again among themselves, their
//! matched rivals gone (see [`reconcile_with`]); a name written whole in one field is read
//! every way it splits; a leftover tied between two equal contenders goes to review
//! (`review_rivalled`); a leftover whose candidate nearly made a match (a posterior of at
//! least 0.4, or held back only by the sibling guard) goes to review too rather than being
//! reported missing with its own record unexpected (`review_near_misses`); and a record in
//! review whose every candidate is claimed more strongly by somebody else is missing
//! (`release_lost_claims`). Every step that decides a match is symmetric in the two
//! files.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::names::{self, TokenAgreement};
use crate::records::Record;

/// The output of CONTRACT §2.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reconciliation {
    /// One-to-one matches, in manifest order.
    pub matches: Vec<Match>,
    /// Manifest ids with no acceptable intake record, in manifest order.
    pub missing_from_intake: Vec<String>,
    /// Intake ids not in `matches`, in intake order.
    pub unexpected_in_intake: Vec<String>,
    /// Manifest ids with two or more close candidates, in manifest order.
    pub needs_review: Vec<Review>,
}

/// A manifest record matched to an intake record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub manifest_id: String,
    pub intake_id: String,
    /// Posterior match probability, in [0, 1].
    pub score: f64,
}

/// A manifest record a person must decide on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub manifest_id: String,
    /// Best first.
    pub candidates: Vec<Candidate>,
}

/// One possible intake record for a manifest record under review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub intake_id: String,
    /// Posterior match probability, in [0, 1].
    pub score: f64,
}

/// Tuning knobs. [`Config::default`] is what `custodia reconcile` uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// A pair is accepted as a match at or above this probability.
    pub match_threshold: f64,
    /// Candidates at or above this probability are listed in reviews and compete in the
    /// ambiguity test.
    pub candidate_threshold: f64,
    /// An assignment is ambiguous when the best exchange with a competitor loses less than
    /// this many bits of match weight.
    pub ambiguity_margin_bits: f64,
    /// EM iterations for `m`.
    pub em_iterations: usize,
    /// Random within-file pairs drawn to estimate `u`.
    pub u_sample_pairs: usize,
    /// Blocks larger than this (on the intake side) are skipped; other keys cover them.
    pub max_block: usize,
    /// Seed of the `u` sample (the result is a pure function of the input and the config).
    pub seed: u64,
    /// Keep every compared pair's score in [`Diagnostics::pair_scores`] (calibration).
    pub keep_pair_scores: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            match_threshold: 0.5,
            candidate_threshold: 0.05,
            ambiguity_margin_bits: 3.0,
            em_iterations: 4,
            u_sample_pairs: 300_000,
            max_block: 400,
            seed: 0x6375_7374_6f64_6961,
            keep_pair_scores: false,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Comparison levels.

/// Field indices in a comparison vector.
const FAM: usize = 0;
const GIV: usize = 1;
const DOB: usize = 2;
const DOC: usize = 3;
const SEX: usize = 4;
const NAT: usize = 5;
const FIELDS: usize = 6;
/// Either side unknown: the field contributes no evidence.
const NULL: u8 = u8::MAX;

/// Family-name levels, strongest first.
pub const FAMILY_LEVELS: [&str; 9] = [
    "exact",
    "both close (typing errors)",
    "first and second swapped",
    "one side has one family name, found in the other (as its first)",
    "one side has one family name, found in the other as its second",
    "first agrees, second differs",
    "one name shared in another position",
    "similar (jaro-winkler >= 0.88)",
    "different",
];
/// Given-name levels, strongest first.
pub const GIVEN_LEVELS: [&str; 8] = [
    "exact",
    "first exact, other names dropped or written short",
    "first exact, second names differ",
    "first close (typing error, phonetic, abbreviated or a nickname)",
    "first found among the other's given names",
    "first written as its initial (\"J. M.\" for \"José Mario\")",
    "first similar (jaro-winkler >= 0.88)",
    "different",
];
/// Both records give a second given name, and they are two names, not one spelt twice
/// ("José Jorge" / "José Edwin"): how twins and brothers named after one saint differ.
const GIV_SECOND_DIFFERS: u8 = 2;
/// The first given names only alike (Jaro-Winkler at least 0.88, or two edits).
const GIV_SIMILAR: u8 = 6;
/// Nothing of the given names agrees.
const GIV_DIFFERENT: u8 = 7;
/// The first given name of one side is a single letter, the initial of the other's, and
/// so are any further initials ("J. M." for "José Mario"): weaker than a name written
/// short, since a letter stands for many names; EM learns how much weaker.
const GIV_INITIAL: u8 = 5;
/// Date-of-birth levels. A date missing on either side is a level of its own, with `u`
/// from the two files' missing rates and `m` by EM, rather than a flat penalty: whether
/// a clerk wrote the date down says little about who the person is.
pub const DOB_LEVELS: [&str; 7] = [
    "exact",
    "day and month swapped",
    "one digit wrong",
    "same year",
    "same day and month, another year",
    "different",
    "missing on one side",
];
/// Same year, day or month differing beyond a typing error.
const DOB_SAME_YEAR: u8 = 3;
/// Day and month agree, the year does not (a decade slip, 1995 for 2005, or a year
/// guessed): siblings and namesakes share a birthday one time in 365, so this is not
/// the sign of another person that a wholly different date is.
const DOB_OTHER_YEAR: u8 = 4;
/// Nothing of the two dates agrees that a slip explains.
const DOB_DIFFERENT: u8 = 5;
/// The date-of-birth level of a date missing on either side.
const DOB_MISSING: u8 = 6;
/// Document-number levels.
pub const DOC_LEVELS: [&str; 3] = ["exact", "one edit", "different"];
/// Sex and nationality levels.
pub const EQ_LEVELS: [&str; 2] = ["agree", "disagree"];

const LEVELS: [usize; FIELDS] = [9, 8, 7, 3, 2, 2];

/// Prior m probabilities: what a clerk's copy of the same person looks like. They seed EM
/// and act as pseudo-counts (weight [`M_PRIOR_WEIGHT`]). Typing studies of hand-keyed names
/// put one or two errors in roughly 5-15% of names; transposed day and month in 1-3% of
/// dates; the rest follows the noise the issue lists.
const M_PRIOR: [&[f64]; FIELDS] = [
    &[0.70, 0.08, 0.04, 0.07, 0.03, 0.03, 0.02, 0.02, 0.01],
    &[0.775, 0.08, 0.005, 0.08, 0.02, 0.005, 0.025, 0.01],
    &[0.90, 0.03, 0.04, 0.01, 0.01, 0.01, 0.0],
    &[0.95, 0.03, 0.02],
    &[0.985, 0.015],
    &[0.96, 0.04],
];
/// Prior u probabilities (random pairs of different people in a Central American
/// population); the within-file sample refines them with weight [`U_PRIOR_WEIGHT`].
const U_PRIOR: [&[f64]; FIELDS] = [
    &[
        0.0004, 0.0002, 0.00004, 0.0004, 0.0004, 0.003, 0.02, 0.01, 0.96556,
    ],
    &[0.006, 0.003, 0.001, 0.004, 0.003, 0.002, 0.02, 0.961],
    &[0.00007, 0.00005, 0.0006, 0.022, 0.0027, 0.97458, 0.0],
    &[0.00001, 0.0001, 0.99989],
    &[0.6, 0.4],
    &[0.3, 0.7],
];
const M_PRIOR_WEIGHT: f64 = 20.0;
/// The share of the smaller file's records expected to have a match in the other: most of
/// a flight arrives. It sets the prior of a random pair and the odds of "no match at all"
/// in [`one_to_one`].
const ARRIVAL_SHARE: f64 = 0.95;
/// A pair good on its own but brought under the match threshold by rivals is reviewed when
/// its posterior is still at least this: one of two about equal contenders, where a coin
/// would decide. Of three equal claimants of one record two never arrived, so each is
/// reported missing rather than reviewed (see `review_rivalled`).
const RIVAL_SHARE: f64 = 0.4;
/// Rounds of belief propagation in [`one_to_one`] (1 is the plain product formula).
const BP_ROUNDS: usize = 4;
/// A name written whole in one field is read every way it splits up to this many words.
const MAX_SPLIT_WORDS: usize = 6;
/// Candidates gathered per leftover manifest record in the residual pass, at most (a few
/// blocks more may be cut short).
const RESIDUAL_CANDIDATES: usize = 300;
/// A claim on an intake record is stronger than another when its match weight is higher by
/// at least this much (twice the odds); see `release_lost_claims`.
const STRONGER_CLAIM_BITS: f64 = 1.0;
const U_PRIOR_WEIGHT: f64 = 200.0;
/// Bounds on one term-frequency adjustment, in bits, so one very rare or very common name
/// cannot decide a pair on its own (Splink bounds it similarly through `u` floors).
const TF_MIN_BITS: f64 = -3.0;
const TF_MAX_BITS: f64 = 5.0;

// ---------------------------------------------------------------------------------------
// Prepared records.

/// Maps keyed by the integers we produce ourselves use rustc's multiplicative hasher: the
/// default SipHash is built to resist hash flooding, which such keys do not need.
/// (`rustc-hash` 1.x: its hash of a `u32`/`u64` key is the one this module always used, so
/// every map iterates, and every float sum over one adds up, exactly as before.)
type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

#[derive(Debug, Clone)]
struct Prep {
    fam: Vec<u32>,
    giv: Vec<u32>,
    /// The family words written together (`ramosflores`), interned; `NONE` when empty.
    /// Split and merged words ("RAMOSF LORES", "CRUZVASQUEZ") agree here.
    fam_join: u32,
    /// The given words written together.
    giv_join: u32,
    dob: Option<(i16, i8, i8)>,
    /// The date of birth as the 8 digits of YYYYMMDD, for one-digit typos.
    dob_digits: Option<[u8; 8]>,
    sex: Option<u32>,
    nat: Option<u32>,
    doc: Option<String>,
    /// Every name written in one field and the other left empty ("Jose Mario Lara Mora",
    /// ""): the ways the words can be read as family and given names (family words first
    /// or given words first, split after each word). Empty for a record with both fields.
    splits: Vec<Split>,
}

/// One reading of a record whose names are all in one field.
#[derive(Debug, Clone)]
struct Split {
    fam: Vec<u32>,
    fam_join: u32,
    giv: Vec<u32>,
    giv_join: u32,
}

/// The readings of a name written whole in one field (at most [`MAX_SPLIT_WORDS`] words).
fn splits_of(vocab: &mut Vocab, fam: &[u32], giv: &[u32]) -> Vec<Split> {
    let words = match (fam.is_empty(), giv.is_empty()) {
        (false, true) => fam,
        (true, false) => giv,
        _ => return Vec::new(),
    };
    if words.len() < 2 || words.len() > MAX_SPLIT_WORDS {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(2 * (words.len() - 1));
    for k in 1..words.len() {
        let (head, tail) = words.split_at(k);
        for (f, g) in [(head, tail), (tail, head)] {
            out.push(Split {
                fam: f.to_vec(),
                fam_join: join_of(vocab, f),
                giv: g.to_vec(),
                giv_join: join_of(vocab, g),
            });
        }
    }
    out
}

/// Token interner with phonetic keys and per-role frequencies.
#[derive(Default, Clone)]
struct Vocab {
    ids: HashMap<String, u32>,
    words: Vec<String>,
    phon: Vec<String>,
    /// `phon` interned: equal keys, equal ids (compared for millions of pairs).
    phon_id: Vec<u32>,
    phon_ids: HashMap<String, u32>,
    fam_count: Vec<u32>,
    giv_count: Vec<u32>,
    fam_total: u64,
    giv_total: u64,
    /// Per word, for the bounds that answer most token comparisons without the caches
    /// ([`Vocab::surely_different`]): its letters counted by `byte & 31` (so the
    /// letters two words share, summed per bin, bound from above what they share), and
    /// whether it is ASCII (then bytes are characters, as Jaro–Winkler counts them).
    bag: Vec<[u8; 32]>,
    ascii: Vec<bool>,
    /// Whether the word is in the nickname table (a nickname pair needs both).
    nick: Vec<bool>,
    caches: Caches,
}

/// Token pairs already compared: names repeat, so most comparisons that the bounds of
/// [`Vocab::surely_different`] do not settle are lookups. A clone starts empty: it is a
/// worker thread's own ([`compare_all`]), and what it holds follows from the words alone.
#[derive(Default)]
struct Caches {
    /// [`Vocab::agree`].
    agree: std::cell::RefCell<FxMap<u64, TokenAgreement>>,
    /// [`Vocab::within_two_edits`].
    two: std::cell::RefCell<FxMap<u64, bool>>,
    /// [`Vocab::given_variant`].
    variant: std::cell::RefCell<FxMap<u64, bool>>,
}

impl Clone for Caches {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl Vocab {
    fn intern(&mut self, w: &str) -> u32 {
        if let Some(&id) = self.ids.get(w) {
            return id;
        }
        let id = u32::try_from(self.words.len()).unwrap_or(u32::MAX);
        self.ids.insert(w.to_string(), id);
        self.words.push(w.to_string());
        let key = names::phonetic(w);
        let next = u32::try_from(self.phon_ids.len()).unwrap_or(u32::MAX);
        let pid = *self.phon_ids.entry(key.clone()).or_insert(next);
        self.phon_id.push(pid);
        self.phon.push(key);
        let mut bag = [0u8; 32];
        for &c in w.as_bytes() {
            let slot = &mut bag[usize::from(c & 31)];
            *slot = slot.saturating_add(1);
        }
        self.bag.push(bag);
        self.ascii.push(w.is_ascii());
        self.nick.push(names::in_nicknames(w));
        self.fam_count.push(0);
        self.giv_count.push(0);
        id
    }

    fn agree(&self, a: u32, b: u32) -> TokenAgreement {
        if a == b {
            return TokenAgreement::Exact;
        }
        if self.surely_different(a, b) {
            return TokenAgreement::Different;
        }
        let key = pair_key(a, b);
        if let Some(&g) = self.caches.agree.borrow().get(&key) {
            return g;
        }
        let g = self.agree_uncached(a, b);
        self.caches.agree.borrow_mut().insert(key, g);
        g
    }

    /// Two typing errors in one word ("Nekosn" for "Nelson", "Judsn" for "Juan"), or one in
    /// a word of three letters ("Npé" for "Noé"): same first letter, Damerau–Levenshtein
    /// distance at most 2 (1 under four letters).
    fn within_two_edits(&self, a: u32, b: u32) -> bool {
        let (wa, wb) = (&self.words[a as usize], &self.words[b as usize]);
        // What `within_two_edits_uncached` needs before it counts edits: the same first
        // letter, lengths at most two apart, and (each edit costs at most one shared
        // letter) all but two letters of the longer word shared.
        if wa.as_bytes().first() != wb.as_bytes().first()
            || wa.len().abs_diff(wb.len()) > 2
            || self.shared_letters(a, b) + 2 < wa.len().max(wb.len())
        {
            return false;
        }
        let key = pair_key(a, b);
        if let Some(&g) = self.caches.two.borrow().get(&key) {
            return g;
        }
        let g = self.within_two_edits_uncached(a, b);
        self.caches.two.borrow_mut().insert(key, g);
        g
    }

    fn within_two_edits_uncached(&self, a: u32, b: u32) -> bool {
        let (wa, wb) = (&self.words[a as usize], &self.words[b as usize]);
        if wa.len().min(wb.len()) == 3 {
            return wa.as_bytes().first() == wb.as_bytes().first() && within_edits(wa, wb, 1);
        }
        wa.len() >= 4
            && wb.len() >= 4
            && wa.as_bytes().first() == wb.as_bytes().first()
            && wa.len().abs_diff(wb.len()) <= 2
            && within_edits(wa, wb, 2)
    }

    /// Letters two words share, counted per `byte & 31` bin: at least the size of their
    /// multiset intersection (bins only merge letters).
    fn shared_letters(&self, a: u32, b: u32) -> usize {
        let (x, y) = (&self.bag[a as usize], &self.bag[b as usize]);
        x.iter().zip(y).map(|(&p, &q)| usize::from(p.min(q))).sum()
    }

    /// Whether [`Vocab::agree_uncached`] is sure to say `Different`, decided from bounds
    /// alone, without the caches (most pairs of words compared are two unrelated names,
    /// and a lookup in a cache of millions of pairs is a cache miss). Exact: it answers
    /// true only where the full comparison would give `Different`.
    /// - no glued particle: the lengths differ by other than 2 to 5 bytes (`de`, `del`,
    ///   `dela`, `delos`);
    /// - different phonetic keys;
    /// - no single edit: the lengths differ by more than one, or fewer than all but one
    ///   letter of the longer word are shared;
    /// - Jaro–Winkler under 0.88: Jaro is at most (m/|a| + m/|b| + 1) / 3 with m the
    ///   shared letters, and Winkler's bonus at most 0.1 per letter of the common prefix
    ///   (up to 4) of what is left; both increase with Jaro.
    fn surely_different(&self, a: u32, b: u32) -> bool {
        let (au, bu) = (a as usize, b as usize);
        if !(self.ascii[au] && self.ascii[bu]) || self.phon_id[au] == self.phon_id[bu] {
            return false;
        }
        let (wa, wb) = (self.words[au].as_bytes(), self.words[bu].as_bytes());
        let (la, lb) = (wa.len(), wb.len());
        if la == 0 || lb == 0 || (2..=5).contains(&la.abs_diff(lb)) {
            return false;
        }
        let shared = self.shared_letters(a, b);
        if la.abs_diff(lb) <= 1 && shared + 1 >= la.max(lb) {
            return false;
        }
        if shared == 0 {
            return true;
        }
        let m = shared.min(la.min(lb)) as f64;
        let jaro = (m / la as f64 + m / lb as f64 + 1.0) / 3.0;
        let prefix = wa
            .iter()
            .zip(wb)
            .take(4)
            .take_while(|(x, y)| x == y)
            .count();
        let jw = jaro + 0.1 * prefix as f64 * (1.0 - jaro);
        jw < 0.88 - 1e-9
    }

    fn agree_uncached(&self, a: u32, b: u32) -> TokenAgreement {
        let (wa, wb) = (&self.words[a as usize], &self.words[b as usize]);
        // A particle glued to the name ("DELEON" for "de León").
        let (long, short) = if wa.len() >= wb.len() {
            (wa, wb)
        } else {
            (wb, wa)
        };
        if short.len() >= 3
            && long
                .strip_suffix(short.as_str())
                .is_some_and(|p| p == "de" || p == "del" || p == "dela" || p == "delos")
        {
            return TokenAgreement::Close;
        }
        let jw = strsim::jaro_winkler(wa, wb);
        if jw >= 0.94
            || self.phon_id[a as usize] == self.phon_id[b as usize]
            || (wa.len() > 3 && wb.len() > 3 && within_edits(wa, wb, 1))
        {
            return TokenAgreement::Close;
        }
        if jw >= 0.88 {
            return TokenAgreement::Similar;
        }
        TokenAgreement::Different
    }

    /// One given name written short ([`names::given_variant`]: "Fco", "Paco", "Ma").
    fn given_variant(&self, a: u32, b: u32) -> bool {
        let (wa, wb) = (&self.words[a as usize], &self.words[b as usize]);
        // Neither a nickname pair (both words in the table) nor an abbreviation (2 to 4
        // letters against at least two more, the same first letter): no need to ask.
        let (short, long) = if wa.len() < wb.len() {
            (wa, wb)
        } else {
            (wb, wa)
        };
        let abbreviation = (2..=4).contains(&short.len())
            && long.len() >= short.len() + 2
            && short.as_bytes().first() == long.as_bytes().first();
        let nickname = self.nick[a as usize] && self.nick[b as usize];
        if !(abbreviation || nickname) {
            return false;
        }
        let key = pair_key(a, b);
        if let Some(&g) = self.caches.variant.borrow().get(&key) {
            return g;
        }
        let g = names::given_variant(&self.words[a as usize], &self.words[b as usize]);
        self.caches.variant.borrow_mut().insert(key, g);
        g
    }

    fn freq(&self, id: u32, family: bool) -> f64 {
        let (c, t) = if family {
            (self.fam_count[id as usize], self.fam_total)
        } else {
            (self.giv_count[id as usize], self.giv_total)
        };
        (f64::from(c.max(1))) / (t.max(1) as f64)
    }

    /// The frequency of a token that agrees in a pair read with given and family names
    /// swapped: it is a family name in one record and a given name in the other, so its
    /// rarity in either role alone says nothing. The more common reading is taken ("Luis"
    /// is rare as a family name, common as a given name): otherwise a record with the
    /// fields swapped lends a common name the bonus of a rare one, and a swapped pair can
    /// outscore the same names in place.
    fn freq_either_role(&self, id: u32) -> f64 {
        self.freq(id, true).max(self.freq(id, false))
    }
}

/// Sex as one letter, whatever the clerk's convention: `M`, `Male`, `Masculino`, `H`
/// (hombre), `V` (varón) are `M`; `F`, `Female`, `Femenino`, `Mujer` are `F`; anything else
/// is kept as written.
fn sex_code(s: &str) -> &str {
    let u = s.trim().to_ascii_uppercase();
    if u.starts_with("MUJ") || u.starts_with('F') {
        "F"
    } else if u.starts_with('M') || u.starts_with('H') || u.starts_with('V') {
        "M"
    } else {
        s
    }
}

/// Whether the optimal-string-alignment distance (Damerau–Levenshtein with adjacent
/// transpositions, each substring edited once) between `a` and `b` is at most `k`.
/// Byte-wise, allocation-free for names and documents up to 47 bytes, with an early exit
/// once a whole row exceeds `k`: this runs for millions of pairs.
fn within_edits(a: &str, b: &str, k: usize) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > k {
        return false;
    }
    if a == b {
        return true;
    }
    const W: usize = 48;
    if a.len() >= W || b.len() >= W {
        return strsim::damerau_levenshtein(
            &String::from_utf8_lossy(a),
            &String::from_utf8_lossy(b),
        ) <= k;
    }
    let m = b.len();
    let mut prev2 = [0usize; W];
    let mut prev = [0usize; W];
    let mut cur = [0usize; W];
    for (j, x) in prev.iter_mut().enumerate().take(m + 1) {
        *x = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > k {
            return false;
        }
        prev2 = prev;
        prev = cur;
    }
    prev[m] <= k
}

/// The interned concatenation of `toks` (the token itself for one word, `NONE` for none).
fn join_of(vocab: &mut Vocab, toks: &[u32]) -> u32 {
    match toks {
        [] => NONE,
        [t] => *t,
        _ => {
            let w: String = toks
                .iter()
                .map(|&t| vocab.words[t as usize].as_str())
                .collect();
            vocab.intern(&w)
        }
    }
}

/// Whether two joined name fields are one spelling apart: identical, the same phonetic key,
/// one edit, or one of them a particle glued to the other (`DELCID` / `del Cid`). Stricter
/// than [`TokenAgreement::Close`] because long strings make Jaro–Winkler lenient.
fn join_close(v: &Vocab, a: u32, b: u32) -> bool {
    if a == NONE || b == NONE {
        return false;
    }
    if a == b {
        return true;
    }
    // Not cached: joined fields are nearly unique per person, so a cache would only grow.
    join_close_uncached(v, a, b)
}

fn pair_key(a: u32, b: u32) -> u64 {
    if a < b {
        (u64::from(a) << 32) | u64::from(b)
    } else {
        (u64::from(b) << 32) | u64::from(a)
    }
}

fn join_close_uncached(v: &Vocab, a: u32, b: u32) -> bool {
    let (wa, wb) = (&v.words[a as usize], &v.words[b as usize]);
    let (long, short) = if wa.len() >= wb.len() {
        (wa, wb)
    } else {
        (wb, wa)
    };
    if long.len() > short.len() + 1
        && short.len() >= 3
        && long.strip_suffix(short.as_str()).is_some_and(|p| {
            names::PARTICLES.iter().any(|q| q.len() >= 2 && p == *q) || p == "dela"
        })
    {
        return true;
    }
    if wa.len() < 6 || wb.len() < 6 || wa.len().abs_diff(wb.len()) > 2 {
        return false;
    }
    if v.phon_id[a as usize] == v.phon_id[b as usize] {
        return true;
    }
    if wa.as_bytes().first() != wb.as_bytes().first() {
        return false;
    }
    let edits = if wa.len().min(wb.len()) >= 10 { 2 } else { 1 };
    within_edits(wa, wb, edits)
}

/// Whether every word of `short` agrees (at least closely) with a distinct word of `long`.
fn contained(v: &Vocab, short: &[u32], long: &[u32]) -> bool {
    let mut used = [false; 8];
    short.iter().all(|&s| {
        let hit = long
            .iter()
            .enumerate()
            .take(8)
            .find(|&(k, &l)| !used[k] && v.agree(s, l) >= TokenAgreement::Close);
        if let Some((k, _)) = hit {
            used[k] = true;
            true
        } else {
            false
        }
    })
}

fn prepare(records: &[Record], vocab: &mut Vocab, small: &mut HashMap<String, u32>) -> Vec<Prep> {
    let mut small_id = |s: &str| -> u32 {
        let n = u32::try_from(small.len()).unwrap_or(u32::MAX);
        *small.entry(s.to_string()).or_insert(n)
    };
    records
        .iter()
        .map(|r| {
            let fam: Vec<u32> = names::tokens(&r.family_names)
                .iter()
                .map(|t| vocab.intern(t))
                .collect();
            let giv: Vec<u32> = names::tokens(&r.given_names)
                .iter()
                .map(|t| vocab.intern(t))
                .collect();
            let fam_join = join_of(vocab, &fam);
            let giv_join = join_of(vocab, &giv);
            let splits = splits_of(vocab, &fam, &giv);
            for &t in &fam {
                vocab.fam_count[t as usize] += 1;
                vocab.fam_total += 1;
            }
            for &t in &giv {
                vocab.giv_count[t as usize] += 1;
                vocab.giv_total += 1;
            }
            let doc = r
                .document_number
                .as_deref()
                .map(|d| {
                    d.chars()
                        .filter(|c| c.is_ascii_alphanumeric())
                        .collect::<String>()
                        .to_ascii_uppercase()
                })
                .filter(|d| !d.is_empty());
            Prep {
                fam,
                giv,
                fam_join,
                giv_join,
                dob: r.date_of_birth.map(|d| (d.year(), d.month(), d.day())),
                dob_digits: r.date_of_birth.map(|d| {
                    let mut out = [0u8; 8];
                    let v = [
                        d.year().unsigned_abs() as u32,
                        d.month().unsigned_abs() as u32,
                        d.day().unsigned_abs() as u32,
                    ];
                    let mut k = 0;
                    for (x, width) in v.into_iter().zip([4u32, 2, 2]) {
                        for p in (0..width).rev() {
                            out[k] = ((x / 10u32.pow(p)) % 10) as u8;
                            k += 1;
                        }
                    }
                    out
                }),
                sex: r.sex.as_deref().map(sex_code).map(&mut small_id),
                nat: r.nationality.as_deref().map(&mut small_id),
                doc,
                splits,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Comparison.

/// A comparison vector plus the tokens that agreed exactly (for term-frequency adjustment).
#[derive(Debug, Clone, Default)]
struct Cmp {
    lv: [u8; FIELDS],
    /// Up to two exactly agreeing family-name tokens (`NONE` when absent).
    tf_fam: [u32; 2],
    tf_giv: Option<u32>,
    /// The names were read with given and family swapped on one side: each agreeing token
    /// holds one role in one record and the other role in the other.
    swapped: bool,
}

fn at_least(a: TokenAgreement, b: TokenAgreement) -> bool {
    a >= b
}

const NONE: u32 = u32::MAX;

fn tf_of(pairs: &[(u32, u32)]) -> [u32; 2] {
    let mut out = [NONE; 2];
    let mut k = 0;
    for &(x, y) in pairs {
        if x == y && k < 2 {
            out[k] = x;
            k += 1;
        }
    }
    out
}

/// Family-name level of token lists `a` and `b` (joined: `aj`, `bj`), with the exactly
/// agreeing tokens.
fn family_level(v: &Vocab, a: &[u32], aj: u32, b: &[u32], bj: u32) -> (u8, [u32; 2]) {
    use TokenAgreement::{Close, Exact, Similar};
    if a.is_empty() || b.is_empty() {
        return (NULL, [NONE; 2]);
    }
    // Equal lists have equal joins; the ids are compared first, the lists only then.
    if aj == bj && a == b {
        return (0, [a[0], a.get(1).copied().unwrap_or(NONE)]);
    }
    if a.len() >= 2 && b.len() >= 2 {
        let f = v.agree(a[0], b[0]);
        let s = v.agree(a[1], b[1]);
        // Both in place, one of them allowed two typing errors ("Nvaartro Castillo").
        if (at_least(f, Close) && at_least(s, Similar))
            || (at_least(f, Similar) && at_least(s, Close))
        {
            return (1, tf_of(&[(a[0], b[0]), (a[1], b[1])]));
        }
        // Split or merged words: "RAMOSF LORES" is "Ramos Flores" with the space moved.
        if join_close(v, aj, bj) {
            return (1, [NONE; 2]);
        }
        // One family name written with a space inside it and the other dropped ("Herná
        // ndez" for "Hernández Flores"): one side's words together are one of the other's.
        if let Some(level) = one_name_split(v, a, aj, b).or_else(|| one_name_split(v, b, bj, a)) {
            return (level, [NONE; 2]);
        }
        let x1 = v.agree(a[0], b[1]);
        let x2 = v.agree(a[1], b[0]);
        if (at_least(x1, Close) && at_least(x2, Similar))
            || (at_least(x1, Similar) && at_least(x2, Close))
        {
            return (2, tf_of(&[(a[0], b[1]), (a[1], b[0])]));
        }
        // Every name of the shorter side found in the longer, in any order (a third name
        // dropped, a compound name written in part).
        if a.len() != b.len() {
            let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
            if contained(v, short, long) {
                return (3, [NONE; 2]);
            }
        }
        if at_least(f, Close) {
            return (5, tf_of(&[(a[0], b[0])]));
        }
        if at_least(x1, Close) || at_least(x2, Close) || at_least(s, Close) {
            let pair = if at_least(x1, Close) {
                (a[0], b[1])
            } else if at_least(x2, Close) {
                (a[1], b[0])
            } else {
                (a[1], b[1])
            };
            return (6, tf_of(&[pair]));
        }
        if at_least(f, Similar) && at_least(s, Similar) {
            return (7, [NONE; 2]);
        }
        return (8, [NONE; 2]);
    }
    // One side has a single family name: dropped second (or first) family name, or both
    // written as one word.
    if join_close(v, aj, bj) {
        return (1, [NONE; 2]);
    }
    let (one, many) = if a.len() == 1 { (a[0], b) } else { (b[0], a) };
    let mut best = TokenAgreement::Different;
    let mut best_tok = one;
    let mut best_at = 0;
    for (i, &t) in many.iter().enumerate() {
        let g = v.agree(one, t);
        if g > best {
            best = g;
            best_tok = t;
            best_at = i;
        }
    }
    if many.len() == 1 {
        // Both single: exact handled above.
        return match best {
            Exact | Close => (1, [NONE; 2]),
            Similar => (7, [NONE; 2]),
            TokenAgreement::Different => (8, [NONE; 2]),
        };
    }
    // Which name was kept is evidence of its own, learnt by EM: clerks drop the second
    // family name far more often than the first in most records, so "Cruz" is more likely
    // "Cruz Vásquez" than "Linares Cruz".
    let kept = if best_at == 0 { 3 } else { 4 };
    match best {
        Exact => (kept, [best_tok, NONE]),
        Close => (kept, [NONE; 2]),
        Similar => (7, [NONE; 2]),
        TokenAgreement::Different => (8, [NONE; 2]),
    }
}

/// Whether `parts` written together (`joined`) is one of the names of `other`, exactly or
/// one spelling apart ([`join_close`]): the level of a record that kept that one name
/// (3 the first, 4 another), as for a one-word family field.
fn one_name_split(v: &Vocab, parts: &[u32], joined: u32, other: &[u32]) -> Option<u8> {
    if parts.len() < 2 {
        return None;
    }
    let at = other
        .iter()
        .position(|&t| t == joined || join_close(v, joined, t))?;
    Some(if at == 0 { 3 } else { 4 })
}

/// Given-name level of token lists `a` and `b`, with the exactly agreeing first name.
fn given_level(v: &Vocab, a: &[u32], aj: u32, b: &[u32], bj: u32) -> (u8, Option<u32>) {
    use TokenAgreement::{Close, Exact, Similar};
    if a.is_empty() || b.is_empty() {
        return (NULL, None);
    }
    // Equal lists have equal joins; the ids are compared first, the lists only then.
    if aj == bj && a == b {
        return (0, Some(a[0]));
    }
    let f = v.agree(a[0], b[0]);
    if f == Exact {
        // Every other given name in place with at most a typing error ("José Fernando" /
        // "Jose Fegnando") is as good as exact: two names agree, not one.
        let all_in_place = a.len() == b.len()
            && a[1..]
                .iter()
                .zip(&b[1..])
                .all(|(&x, &y)| at_least(v.agree(x, y), Close));
        let level = if all_in_place {
            0
        } else if second_names_differ(v, &a[1..], &b[1..]) {
            GIV_SECOND_DIFFERS
        } else {
            1
        };
        return (level, Some(a[0]));
    }
    if (a.len() > 1 || b.len() > 1) && join_close(v, aj, bj) {
        return (1, None);
    }
    if f == Close || v.given_variant(a[0], b[0]) {
        return (3, None);
    }
    // A given name shared in another position: a clerk used the middle name, or mistyped
    // the first beyond recognition and kept the second.
    let cross = a.iter().enumerate().take(4).any(|(x, &t)| {
        b.iter()
            .enumerate()
            .take(4)
            .any(|(y, &w)| (x, y) != (0, 0) && at_least(v.agree(t, w), Close))
    });
    if cross {
        return (4, None);
    }
    if initials_of(v, a, b) || initials_of(v, b, a) {
        return (GIV_INITIAL, None);
    }
    if f == Similar || v.within_two_edits(a[0], b[0]) {
        return (GIV_SIMILAR, None);
    }
    (GIV_DIFFERENT, None)
}

/// `short`'s first given name is one letter, the first letter of `long`'s first, and
/// each further one-letter name of `short` is the initial of `long`'s name in its place.
fn initials_of(v: &Vocab, short: &[u32], long: &[u32]) -> bool {
    let word = |t: u32| v.words[t as usize].as_bytes();
    let initial = |x: u32, y: u32| word(x).len() == 1 && word(y).first() == word(x).first();
    match (short.first(), long.first()) {
        (Some(&x), Some(&y)) if initial(x, y) && word(y).len() > 1 => short[1..]
            .iter()
            .zip(&long[1..])
            .all(|(&x, &y)| word(x).len() > 1 || initial(x, y)),
        _ => false,
    }
}

/// Whether the given names after the first are two different names on the two sides:
/// both sides have some, and none of one side's agrees with any of the other's, even as
/// an initial ("J" for "Jorge"), cut short, with a typing error or as a short form. A side
/// without them (dropped) differs from nothing. Not a guard (a clerk's nickname for the
/// second name looks the same): a level of its own, whose weight EM learns.
fn second_names_differ(v: &Vocab, a: &[u32], b: &[u32]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    // An initial ("J" for "Jorge") or a name cut short at the field's end ("Jonath").
    let initial = |x: u32, y: u32| {
        let (wx, wy) = (
            v.words[x as usize].as_bytes(),
            v.words[y as usize].as_bytes(),
        );
        let (short, long) = if wx.len() <= wy.len() {
            (wx, wy)
        } else {
            (wy, wx)
        };
        !short.is_empty() && long.starts_with(short)
    };
    !a.iter().any(|&x| {
        b.iter().any(|&y| {
            at_least(v.agree(x, y), TokenAgreement::Similar)
                || initial(x, y)
                || v.given_variant(x, y)
        })
    })
}

fn dob_level(a: &Prep, b: &Prep) -> u8 {
    let (Some(x), Some(y), Some(da), Some(db)) = (a.dob, b.dob, a.dob_digits, b.dob_digits) else {
        return DOB_MISSING;
    };
    if x == y {
        return 0;
    }
    if x.0 == y.0 && x.1 == y.2 && x.2 == y.1 {
        return 1;
    }
    // A year off by one with the day and month right (1999 for 2000: a slip, not a digit).
    if x.1 == y.1 && x.2 == y.2 && (x.0 - y.0).abs() == 1 {
        return 2;
    }
    let mut diff = [0usize; 8];
    let mut n = 0;
    for i in 0..8 {
        if da[i] != db[i] {
            diff[n] = i;
            n += 1;
        }
    }
    let transposed = n == 2
        && diff[1] == diff[0] + 1
        && da[diff[0]] == db[diff[1]]
        && da[diff[1]] == db[diff[0]];
    if n == 1 || transposed {
        return 2;
    }
    if x.0 == y.0 {
        return DOB_SAME_YEAR;
    }
    if x.1 == y.1 && x.2 == y.2 {
        return DOB_OTHER_YEAR;
    }
    DOB_DIFFERENT
}

fn doc_level(a: Option<&str>, b: Option<&str>) -> u8 {
    let (Some(a), Some(b)) = (a, b) else {
        return NULL;
    };
    if a == b {
        0
    } else if within_edits(a, b, 1) {
        1
    } else {
        2
    }
}

fn eq_level(a: Option<u32>, b: Option<u32>) -> u8 {
    match (a, b) {
        (Some(a), Some(b)) => u8::from(a != b),
        _ => NULL,
    }
}

/// Rough prior weight of a name orientation, used only to choose the orientation.
fn orientation_score(fam: u8, giv: u8) -> f64 {
    let w = |f: usize, l: u8| {
        if l == NULL {
            0.0
        } else {
            (M_PRIOR[f][l as usize] / U_PRIOR[f][l as usize]).log2()
        }
    };
    w(FAM, fam) + w(GIV, giv)
}

fn compare(v: &Vocab, a: &Prep, b: &Prep) -> Cmp {
    let (f1, t1) = family_level(v, &a.fam, a.fam_join, &b.fam, b.fam_join);
    let (g1, tg1) = given_level(v, &a.giv, a.giv_join, &b.giv, b.giv_join);
    // The swapped orientation cannot beat a normal one where both fields already agree, or
    // where the first family names agree in place (the family fields hold family names).
    let strong = (f1 <= 2 && g1 <= 3) || (f1 != NULL && f1 <= 5);
    let (mut fam, mut tf_fam, mut giv, mut tf_giv) = (f1, t1, g1, tg1);
    let mut swapped = false;
    if !strong {
        // Given and family names swapped on one side. Either side may be the swapped one,
        // and the two readings differ in which comparator sees which pair of fields: the
        // family comparator on this side's family field and the other's given field, or the
        // reverse. Both are computed, and the weaker one is kept: it is the same pair
        // whichever file is called the manifest (so the comparison is symmetric), and it
        // does not let a family name that agrees only in part pass as a given name with a
        // dropped middle name.
        let read = |fa: &[u32], faj, fb: &[u32], fbj, ga: &[u32], gaj, gb: &[u32], gbj| {
            let (f2, t2) = family_level(v, fa, faj, fb, fbj);
            let (g2, tg2) = given_level(v, ga, gaj, gb, gbj);
            (orientation_score(f2, g2), f2, t2, g2, tg2)
        };
        let x = read(
            &a.fam, a.fam_join, &b.giv, b.giv_join, &a.giv, a.giv_join, &b.fam, b.fam_join,
        );
        let y = read(
            &a.giv, a.giv_join, &b.fam, b.fam_join, &a.fam, a.fam_join, &b.giv, b.giv_join,
        );
        let weaker = if x.0 < y.0 || (x.0 == y.0 && (x.1, x.3) >= (y.1, y.3)) {
            x
        } else {
            y
        };
        if weaker.0 > orientation_score(f1, g1) + 1.0 {
            (_, fam, tf_fam, giv, tf_giv) = weaker;
            swapped = true;
        }
    }
    // All names in one field on one side: the best reading of it, when it beats the
    // fields as written (where the other side has both fields; two one-field records are
    // compared as written).
    if a.splits.is_empty() != b.splits.is_empty() {
        let mut best = orientation_score(fam, giv);
        let one_field = if a.splits.is_empty() { b } else { a };
        for sp in &one_field.splits {
            let (f, tf, g, tg) = if a.splits.is_empty() {
                let (f, tf) = family_level(v, &a.fam, a.fam_join, &sp.fam, sp.fam_join);
                let (g, tg) = given_level(v, &a.giv, a.giv_join, &sp.giv, sp.giv_join);
                (f, tf, g, tg)
            } else {
                let (f, tf) = family_level(v, &sp.fam, sp.fam_join, &b.fam, b.fam_join);
                let (g, tg) = given_level(v, &sp.giv, sp.giv_join, &b.giv, b.giv_join);
                (f, tf, g, tg)
            };
            let score = orientation_score(f, g);
            if score > best {
                best = score;
                (fam, tf_fam, giv, tf_giv) = (f, tf, g, tg);
                swapped = false;
            }
        }
    }
    let mut lv = [NULL; FIELDS];
    lv[FAM] = fam;
    lv[GIV] = giv;
    lv[DOB] = dob_level(a, b);
    lv[DOC] = doc_level(a.doc.as_deref(), b.doc.as_deref());
    lv[SEX] = eq_level(a.sex, b.sex);
    lv[NAT] = eq_level(a.nat, b.nat);
    Cmp {
        lv,
        tf_fam,
        tf_giv,
        swapped,
    }
}

/// A pair that disagrees on a date of birth both records give (beyond a typing error) and
/// on the given name (at most "similar") is no candidate at all: not matched, not listed
/// for review, and no competitor in the ambiguity test. Two such records are two people
/// (a sibling, a cousin, a namesake) unless the document says otherwise; listing them
/// would send a missing person to review because a relative arrived. An exactly agreeing
/// document overrides, as in [`guarded`].
fn unreviewable(c: &Cmp) -> bool {
    c.lv[DOC] != 0
        && matches!(c.lv[DOB], DOB_SAME_YEAR | DOB_DIFFERENT)
        && matches!(c.lv[GIV], GIV_SIMILAR | GIV_DIFFERENT)
}

/// The sibling guard: a pair that looks like two members of one family (or two cousins of
/// one name) is never matched automatically, whatever the prior. Siblings and twins share
/// family names and nationality; what tells them apart is the given name, and for
/// siblings and cousins the date of birth. So: given names that do not agree at all; given
/// names only loosely alike with dates of birth that differ beyond a typing error; or
/// dates of birth wholly different (no typing error, swap or shared year explains them),
/// whatever the names: with the one-to-one posterior a lone namesake born fifteen years
/// apart would otherwise pass for the person. An exactly agreeing document overrides (the
/// same document is the same person).
fn guarded(c: &Cmp) -> bool {
    if c.lv[DOC] == 0 {
        return false;
    }
    let (giv, dob) = (c.lv[GIV], c.lv[DOB]);
    let dob_differs = dob == DOB_SAME_YEAR || dob == DOB_DIFFERENT;
    giv == GIV_DIFFERENT || (giv == GIV_SIMILAR && dob_differs) || dob == DOB_DIFFERENT
}

// ---------------------------------------------------------------------------------------
// The model.

/// Trained m and u probabilities, per field and level.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// `m[field][level]`.
    pub m: Vec<Vec<f64>>,
    /// `u[field][level]`.
    pub u: Vec<Vec<f64>>,
    /// Prior probability that a random manifest × intake pair is a match.
    pub lambda: f64,
    /// Mean u of an exact family-name token and given-name token agreement (for TF).
    tf_base_fam: f64,
    tf_base_giv: f64,
}

impl Model {
    /// `log2(m / u)` of every field and level, computed once for all pairs.
    fn bits(&self) -> Vec<Vec<f64>> {
        self.m
            .iter()
            .zip(&self.u)
            .map(|(m, u)| m.iter().zip(u).map(|(m, u)| (m / u).log2()).collect())
            .collect()
    }

    /// The pair's log2 odds of a match; `bits` is [`Model::bits`].
    fn weight(&self, bits: &[Vec<f64>], v: &Vocab, c: &Cmp) -> f64 {
        let mut factor = 0.0;
        for (field, &l) in bits.iter().zip(&c.lv) {
            if l != NULL {
                factor += field[l as usize];
            }
        }
        let mut w = (self.lambda / (1.0 - self.lambda)).log2() + factor;
        let freq = |t: u32, family: bool| {
            if c.swapped {
                v.freq_either_role(t)
            } else {
                v.freq(t, family)
            }
        };
        for &t in c.tf_fam.iter().filter(|&&t| t != NONE) {
            w += (self.tf_base_fam / freq(t, true))
                .log2()
                .clamp(TF_MIN_BITS, TF_MAX_BITS);
        }
        if let Some(t) = c.tf_giv {
            w += (self.tf_base_giv / freq(t, false))
                .log2()
                .clamp(TF_MIN_BITS, TF_MAX_BITS);
        }
        w
    }
}

fn prob(w: f64) -> f64 {
    1.0 / (1.0 + (-w).exp2())
}

fn round4(p: f64) -> f64 {
    ((p * 10_000.0).round() / 10_000.0).clamp(0.0, 1.0)
}

/// u from random pairs within each file: two rows of one file are two people.
///
/// Each file is sampled with its own generator seeded from `cfg.seed`, so the estimate does
/// not depend on which file is called the manifest. The date-of-birth "missing" level is
/// not sampled: within-file pairs would see each file's own missing rate twice, whereas a
/// manifest × intake pair misses a date when either file does, so its `u` is
/// `1 - (1 - p_manifest)(1 - p_intake)` and the other date levels share the rest.
fn estimate_u(v: &Vocab, man: &[Prep], int: &[Prep], cfg: &Config) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = LEVELS.iter().map(|&n| vec![0.0; n]).collect();
    for side in [man, int] {
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let n = side.len();
        if n < 2 {
            continue;
        }
        let all_pairs = n * (n - 1) / 2;
        let mut drawn: Vec<(u32, u32)> = Vec::new();
        let id = |k: usize| u32::try_from(k).unwrap_or(u32::MAX);
        if all_pairs <= cfg.u_sample_pairs / 2 {
            for i in 0..n {
                for j in (i + 1)..n {
                    drawn.push((id(i), id(j)));
                }
            }
        } else {
            for _ in 0..cfg.u_sample_pairs / 2 {
                let i = rng.gen_range(0..n);
                let mut j = rng.gen_range(0..n - 1);
                if j >= i {
                    j += 1;
                }
                drawn.push((id(i), id(j)));
            }
        }
        // Counts of whole pairs: the sums are exact whatever order they are added in.
        for c in compare_all(v, side, side, &drawn) {
            add_counts(&mut counts, &c);
        }
    }
    let mut u: Vec<Vec<f64>> = counts
        .iter()
        .enumerate()
        .map(|(f, c)| {
            let total: f64 = c.iter().sum();
            c.iter()
                .enumerate()
                .map(|(l, &k)| (k + U_PRIOR_WEIGHT * U_PRIOR[f][l]) / (total + U_PRIOR_WEIGHT))
                .collect()
        })
        .collect();
    let missing = dob_missing_share(man, int);
    let known: f64 = u[DOB]
        .iter()
        .enumerate()
        .filter(|&(l, _)| l != usize::from(DOB_MISSING))
        .map(|(_, x)| x)
        .sum();
    for (l, x) in u[DOB].iter_mut().enumerate() {
        *x = if l == usize::from(DOB_MISSING) {
            missing.max(1e-6)
        } else {
            (*x / known.max(1e-12) * (1.0 - missing)).max(1e-9)
        };
    }
    u
}

/// Share of manifest × intake pairs with a date of birth missing on either side.
fn dob_missing_share(man: &[Prep], int: &[Prep]) -> f64 {
    let rate = |s: &[Prep]| {
        if s.is_empty() {
            0.0
        } else {
            s.iter().filter(|p| p.dob.is_none()).count() as f64 / s.len() as f64
        }
    };
    (1.0 - (1.0 - rate(man)) * (1.0 - rate(int))).clamp(0.0, 0.999)
}

/// The prior m: [`M_PRIOR`], with the date-of-birth "missing" level set to its `u` (a
/// missing date is no evidence either way until EM on the files says otherwise).
fn m_prior(u: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut m: Vec<Vec<f64>> = M_PRIOR.iter().map(|p| p.to_vec()).collect();
    let missing = u[DOB][usize::from(DOB_MISSING)];
    for (l, x) in m[DOB].iter_mut().enumerate() {
        *x = if l == usize::from(DOB_MISSING) {
            missing
        } else {
            *x * (1.0 - missing)
        };
    }
    m
}

fn add_counts(counts: &mut [Vec<f64>], c: &Cmp) {
    for f in 0..FIELDS {
        if c.lv[f] != NULL && !(f == DOB && c.lv[f] == DOB_MISSING) {
            counts[f][c.lv[f] as usize] += 1.0;
        }
    }
}

/// m by EM with a leave-one-field-out, one-to-one E-step (u fixed, priors as
/// pseudo-counts).
///
/// Plain EM over blocked pairs drifts: blocking selects pairs that already agree on names,
/// so name-alike non-matches (namesakes, siblings) pull `m` toward disagreement on the other
/// fields. Here the m of field `f` is learnt only from pairs whose posterior *without* `f`
/// is confident; under the Fellegi–Sunter assumption (fields independent given the match
/// status) the levels of `f` among those pairs are an unbiased sample of its m, the same
/// reason Splink trains each comparison in a session blocked on the others.
///
/// That posterior also respects the one-to-one link: a record is one person, so a pair is
/// confident only when it stands out among the other candidates of both its records. The
/// odds `o` of a pair (without `f`) are set against the alternatives of a cross-shaped
/// neighbourhood, `P = o / (o + (1 + R)(1 + C))`, where `R` and `C` are the summed odds of
/// the other candidates of its manifest and of its intake record (every alternative
/// assignment of the two records, treating their competitors as otherwise free). Without
/// it a twin, or a namesake born the same day, looks confident on the fields left in,
/// counts as a true pair that disagrees on the field left out, and the next round trusts
/// such disagreement more: on combined noise (40,000 persons) the m of "different" grew to
/// 0.17 for the given name (0.0007 among the true pairs), 0.18 for the family names
/// (0.009), 0.11 for the date of birth (0.001), 0.14 for the document (0.005). The
/// selection is still made without `f` (every odds in it leaves `f` out), so it stays
/// unbiased for `f`.
fn estimate_m(
    pairs: &[(u32, u32)],
    n_man: usize,
    n_int: usize,
    cmps: &[Cmp],
    u: &[Vec<f64>],
    expected_matches: f64,
    cfg: &Config,
) -> Vec<Vec<f64>> {
    /// Odds are capped at 2^40 so that subtracting a pair's own odds from its record's sum
    /// keeps its precision; the decision (P >= 0.99) is made far below the cap.
    const MAX_BITS: f64 = 40.0;
    let prior_m = m_prior(u);
    let mut m = prior_m.clone();
    let n = cmps.len().max(1) as f64;
    let prior = {
        let lam = (expected_matches / n).clamp(1e-9, 0.5);
        (lam / (1.0 - lam)).log2()
    };
    // Leave-one-field-out weights of a pair: the total and the per-field bits.
    let without = |bits: &[Vec<f64>], c: &Cmp| {
        let mut per = [0.0f64; FIELDS];
        let mut total = prior;
        for f in 0..FIELDS {
            let l = c.lv[f];
            if l != NULL {
                per[f] = bits[f][l as usize];
                total += per[f];
            }
        }
        let mut odds = [0.0f64; FIELDS];
        for f in 0..FIELDS {
            odds[f] = (total - per[f]).min(MAX_BITS).exp2();
        }
        odds
    };
    // Pairs share a few thousand level vectors: each vector's odds are computed once per
    // round (the same numbers as per pair, in a fraction of the time).
    let mut pattern_of: FxMap<[u8; FIELDS], u32> = FxMap::default();
    let mut patterns: Vec<Cmp> = Vec::new();
    let pattern: Vec<u32> = cmps
        .iter()
        .map(|c| {
            *pattern_of.entry(c.lv).or_insert_with(|| {
                patterns.push(Cmp {
                    lv: c.lv,
                    ..Cmp::default()
                });
                u32::try_from(patterns.len() - 1).unwrap_or(u32::MAX)
            })
        })
        .collect();
    let mut row = vec![[0.0f64; FIELDS]; n_man];
    let mut col = vec![[0.0f64; FIELDS]; n_int];
    for _ in 0..cfg.em_iterations {
        let bits: Vec<Vec<f64>> = (0..FIELDS)
            .map(|f| (0..LEVELS[f]).map(|l| (m[f][l] / u[f][l]).log2()).collect())
            .collect();
        let pattern_odds: Vec<[f64; FIELDS]> = patterns.iter().map(|c| without(&bits, c)).collect();
        for r in row.iter_mut().chain(col.iter_mut()) {
            *r = [0.0; FIELDS];
        }
        for (&(i, j), &k) in pairs.iter().zip(&pattern) {
            let odds = pattern_odds[k as usize];
            let (Some(r), Some(k)) = (row.get_mut(i as usize), col.get_mut(j as usize)) else {
                continue;
            };
            for f in 0..FIELDS {
                r[f] += odds[f];
                k[f] += odds[f];
            }
        }
        let mut acc: Vec<Vec<f64>> = LEVELS.iter().map(|&k| vec![0.0; k]).collect();
        for ((&(i, j), c), &k) in pairs.iter().zip(cmps).zip(&pattern) {
            let odds = pattern_odds[k as usize];
            let (Some(r), Some(k)) = (row.get(i as usize), col.get(j as usize)) else {
                continue;
            };
            for f in 0..FIELDS {
                let l = c.lv[f];
                if l != NULL {
                    let o = odds[f];
                    let others = (1.0 + (r[f] - o).max(0.0)) * (1.0 + (k[f] - o).max(0.0));
                    let p = o / (o + others);
                    if p >= 0.99 {
                        acc[f][l as usize] += p;
                    }
                }
            }
        }
        for f in 0..FIELDS {
            let tot: f64 = acc[f].iter().sum();
            for l in 0..LEVELS[f] {
                m[f][l] = ((acc[f][l] + M_PRIOR_WEIGHT * prior_m[f][l]) / (tot + M_PRIOR_WEIGHT))
                    .max(1e-6);
            }
        }
    }
    m
}

// ---------------------------------------------------------------------------------------
// Blocking.

fn hash_key(parts: &[&[u8]]) -> u64 {
    // FNV-1a: stable across runs and platforms, so blocking (and the output) is deterministic.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// How large a block of each kind of key may be before it is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// Specific keys (document, date, refined name pairs): up to `max_block`.
    Wide,
    /// A pair of name words alone: up to `max_block / 8`.
    Pair,
    /// One name word and a birth year: up to `max_block / 16`.
    Narrow,
}

/// Blocking keys of one record. A true pair survives if any one key survives its noise:
/// - the document number;
/// - the date of birth with day and month sorted (exact and swapped dates share it);
/// - every unordered pair of phonetic keys of name words, whatever field they sit in
///   (survives dropped, moved or swapped family names and swapped given/family names);
/// - every phonetic key of a name word with the birth year (survives a typo in all but
///   one word, and a missing document);
/// - every pair refined by birth year, and by day and month, so that common pairs
///   (García, José) stay usable when their plain block is too large.
fn block_keys(phon: &[String], p: &Prep) -> Vec<(u64, Key)> {
    let mut keys = Vec::with_capacity(16);
    if let Some(d) = &p.doc {
        keys.push((hash_key(&[b"doc", d.as_bytes()]), Key::Wide));
    }
    if let Some((y, m, d)) = p.dob {
        let (lo, hi) = if m <= d { (m, d) } else { (d, m) };
        keys.push((
            hash_key(&[b"dob", &y.to_le_bytes(), &[lo as u8, hi as u8]]),
            Key::Wide,
        ));
    }
    // The joined fields count as words too, so split and merged words ("RAMOSF LORES")
    // still share a key with the record as first written.
    let joins = [p.fam_join, p.giv_join];
    let joined = joins
        .iter()
        .zip([p.fam.len(), p.giv.len()])
        .filter_map(|(&j, n)| (n > 1).then_some(j));
    let mut ph: Vec<&str> = p
        .fam
        .iter()
        .chain(p.giv.iter())
        .copied()
        .chain(joined)
        .map(|t| phon[t as usize].as_str())
        .filter(|s| !s.is_empty())
        .collect();
    ph.sort_unstable();
    ph.dedup();
    let md = p.dob.map(|(_, m, d)| {
        if m <= d {
            [m as u8, d as u8]
        } else {
            [d as u8, m as u8]
        }
    });
    for i in 0..ph.len() {
        if let Some((y, _, _)) = p.dob {
            keys.push((
                hash_key(&[b"py", ph[i].as_bytes(), &y.to_le_bytes()]),
                Key::Narrow,
            ));
        }
        for j in (i + 1)..ph.len() {
            let (a, b) = (ph[i].as_bytes(), ph[j].as_bytes());
            keys.push((hash_key(&[b"pp", a, b]), Key::Pair));
            if let (Some((y, _, _)), Some(md)) = (p.dob, md) {
                // Common name pairs (García, José) refined by the year, or by day and month
                // (a wrong digit in the year).
                keys.push((hash_key(&[b"ppy", a, b, &y.to_le_bytes()]), Key::Wide));
                keys.push((hash_key(&[b"ppd", a, b, &md]), Key::Wide));
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Candidate pairs `(manifest index, intake index)`, sorted, without duplicates.
///
/// A block is used when the geometric mean of its sizes in the two files is within the cap
/// of its kind: symmetric, so swapping the files' roles gives the same pairs.
fn candidate_pairs(v: &Vocab, man: &[Prep], int: &[Prep], cfg: &Config) -> Vec<(u32, u32)> {
    let phon = v.phon.as_slice();
    let keys_of = |side: &[Prep]| -> Vec<Vec<(u64, Key)>> {
        in_runs(
            side.len(),
            || (),
            |_, run| side[run].iter().map(|p| block_keys(phon, p)).collect(),
        )
    };
    let mut index: FxMap<u64, Vec<u32>> = FxMap::default();
    for (j, keys) in keys_of(int).iter().enumerate() {
        for (k, _) in keys {
            index
                .entry(*k)
                .or_default()
                .push(u32::try_from(j).unwrap_or(u32::MAX));
        }
    }
    let man_keys = keys_of(man);
    let mut man_count: FxMap<u64, u32> = FxMap::default();
    for keys in &man_keys {
        for (k, _) in keys {
            *man_count.entry(*k).or_default() += 1;
        }
    }
    in_runs(
        man_keys.len(),
        || (),
        |_, run| {
            let mut pairs = Vec::new();
            let mut cand: Vec<u32> = Vec::new();
            for i in run {
                cand.clear();
                for &(k, kind) in &man_keys[i] {
                    if let Some(b) = index.get(&k) {
                        // Broad keys are fallbacks for heavy noise; when they are common
                        // (García José, García 1990) the refined keys already hold the
                        // true pair.
                        let cap = match kind {
                            Key::Wide => cfg.max_block,
                            Key::Pair => cfg.max_block / 8,
                            Key::Narrow => cfg.max_block / 16,
                        };
                        let nm = man_count.get(&k).copied().unwrap_or(1) as usize;
                        if b.len().saturating_mul(nm) <= cap.saturating_mul(cap) {
                            cand.extend_from_slice(b);
                        }
                    }
                }
                cand.sort_unstable();
                cand.dedup();
                let i = u32::try_from(i).unwrap_or(u32::MAX);
                pairs.extend(cand.iter().map(|&j| (i, j)));
            }
            pairs
        },
    )
}

/// Looser keys for the residual pass, where both sides are small: any one name word (or
/// joined field) by its phonetic key, the date of birth, the document.
fn residual_keys(v: &Vocab, p: &Prep) -> Vec<u64> {
    let mut keys: Vec<u64> = block_keys(&v.phon, p)
        .into_iter()
        .filter(|(_, k)| *k == Key::Wide)
        .map(|(k, _)| k)
        .collect();
    for &t in p
        .fam
        .iter()
        .chain(p.giv.iter())
        .chain([p.fam_join, p.giv_join].iter())
    {
        if t != NONE && !v.phon[t as usize].is_empty() {
            keys.push(hash_key(&[b"p1", v.phon[t as usize].as_bytes()]));
        }
        // The first three letters: survives typing errors that change the phonetic key.
        if t != NONE {
            let w = v.words[t as usize].as_bytes();
            if w.len() >= 4 {
                keys.push(hash_key(&[b"l3", &w[..3]]));
            }
        }
    }
    // Two name words together, by phonetic key and by first three letters: among the
    // leftovers a common word alone ("López", "José") can still make a block over the
    // cap, while "López" with "Josué" is a handful ("LÓPEZ ÁLVAREZ, JOSUÉ" and "Lopez
    // Aldarez, Josue, —", whose one first-pass key, López + José/Josué, was a block of
    // hundreds, were never compared).
    let words: Vec<u32> = p.fam.iter().chain(p.giv.iter()).copied().collect();
    let mut by_sound: Vec<&[u8]> = words
        .iter()
        .map(|&t| v.phon[t as usize].as_bytes())
        .filter(|k| !k.is_empty())
        .collect();
    let mut by_letters: Vec<&[u8]> = words
        .iter()
        .map(|&t| v.words[t as usize].as_bytes())
        .filter(|w| w.len() >= 4)
        .map(|w| &w[..3])
        .collect();
    for (tag, list) in [(b"rp", &mut by_sound), (b"rl", &mut by_letters)] {
        list.sort_unstable();
        list.dedup();
        for (i, a) in list.iter().enumerate() {
            for b in &list[i + 1..] {
                keys.push(hash_key(&[tag, a, b]));
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

// ---------------------------------------------------------------------------------------
// Entry points.

/// Diagnostics of one run (for benchmarks and the curious; not part of CONTRACT §2).
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostics {
    /// Candidate pairs compared after blocking.
    pub candidate_pairs: usize,
    /// The trained model.
    pub model: Model,
    /// Manifest and intake records left over after the first assignment.
    pub residual_records: (usize, usize),
    /// Pairs of leftovers compared in the residual pass.
    pub residual_pairs: usize,
    /// Every compared pair's score, when [`Config::keep_pair_scores`] is set (for
    /// calibration plots): manifest index, intake index, score, from the residual pass.
    pub pair_scores: Vec<PairScore>,
}

/// The score of one compared pair (see [`Diagnostics::pair_scores`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScore {
    /// Index into the manifest.
    pub manifest: usize,
    /// Index into the intake.
    pub intake: usize,
    /// Posterior match probability under the pass's prior.
    pub score: f64,
    /// Scored in the residual pass (leftovers against leftovers).
    pub residual: bool,
}

/// Reconciles `manifest` against `intake` with the default [`Config`] (CONTRACT §2).
///
/// ```
/// use custodia_linkage::{Record, reconcile::reconcile};
/// let m = vec![Record::new("M-1", "Menjívar Ruiz", "José Manuel")];
/// let i = vec![Record::new("I-1", "MENJIVAR", "JOSE MANUEL"), Record::new("I-2", "Pérez", "Ana")];
/// let r = reconcile(&m, &i);
/// assert_eq!(r.matches[0].intake_id, "I-1");
/// assert_eq!(r.unexpected_in_intake, vec!["I-2"]);
/// ```
pub fn reconcile(manifest: &[Record], intake: &[Record]) -> Reconciliation {
    reconcile_with(manifest, intake, &Config::default()).0
}

fn logit2(p: f64) -> f64 {
    (p / (1.0 - p)).log2()
}

/// Reconciles with an explicit configuration, returning diagnostics too.
///
/// Two passes, each scored by the one-to-one posterior (`one_to_one`): a pair's odds
/// are set against the other candidates of both its records and against "no match", not
/// against the whole other file. The first links everyone. The second takes the leftovers
/// (manifest records matched to nobody, intake records matched to nobody and not held for
/// review), gathers their candidates again with looser blocking, and links them among
/// themselves: the records matched in the first pass no longer compete, so a leftover's
/// odds rise by what its rivals held (a leftover "Cruz, William" with no date of birth is
/// then the leftover "Cruz Vásquez, William"), and the `u` of sex and nationality is
/// recomputed within the leftovers. A leftover still tied between two equal contenders
/// goes to review (`review_rivalled`), and so does one whose candidate nearly made a match
/// (`review_near_misses`). The sibling guard (`guarded`) holds in both passes, so a
/// sibling who arrived in a missing person's place is never matched to them.
pub fn reconcile_with(
    manifest: &[Record],
    intake: &[Record],
    cfg: &Config,
) -> (Reconciliation, Diagnostics) {
    let mut vocab = Vocab::default();
    let mut small = HashMap::new();
    let man = prepare(manifest, &mut vocab, &mut small);
    let int = prepare(intake, &mut vocab, &mut small);

    let u = estimate_u(&vocab, &man, &int, cfg);
    let pairs = candidate_pairs(&vocab, &man, &int, cfg);
    let cmps = compare_all(&vocab, &man, &int, &pairs);
    let expected = (man.len().min(int.len()) as f64) * ARRIVAL_SHARE;
    let m = estimate_m(
        &pairs,
        man.len(),
        int.len(),
        &cmps,
        &u,
        expected.max(1.0),
        cfg,
    );
    // Each manifest person is in the intake at most once: the prior that a random pair
    // matches is (expected arrivals) / (all pairs).
    let total_pairs = (man.len().max(1) as f64) * (int.len().max(1) as f64);
    let lambda = (expected.max(1.0) / total_pairs).clamp(1e-12, 0.5);
    let tf_base = |fam: bool| {
        // Mean probability that a random token agrees with a given one: Σ f².
        let (counts, total) = if fam {
            (&vocab.fam_count, vocab.fam_total)
        } else {
            (&vocab.giv_count, vocab.giv_total)
        };
        let t = total.max(1) as f64;
        counts
            .iter()
            .map(|&c| (f64::from(c) / t).powi(2))
            .sum::<f64>()
            .max(1e-9)
    };
    let model = Model {
        m,
        u,
        lambda,
        tf_base_fam: tf_base(true),
        tf_base_giv: tf_base(false),
    };
    let cap = logit2(cfg.match_threshold) - 1.0;
    let no_candidate = logit2(cfg.candidate_threshold) - 1.0;
    let guard = |w: f64, c: &Cmp| {
        if unreviewable(c) {
            w.min(no_candidate)
        } else if guarded(c) {
            w.min(cap)
        } else {
            w
        }
    };

    // A pass's weights: the one-to-one posterior of the guarded Fellegi-Sunter weights,
    // guarded again (a capped pair stays capped however lonely), and the pairs' own odds.
    let score = |model: &Model, pairs: &[(u32, u32)], cmps: &[Cmp]| {
        let bits = model.bits();
        let fs: Vec<f64> = cmps
            .iter()
            .map(|c| guard(model.weight(&bits, &vocab, c), c))
            .collect();
        let (post, own) = one_to_one(pairs, &fs, man.len(), int.len());
        let guarded_all = |v: Vec<f64>| -> Vec<f64> {
            v.into_iter().zip(cmps).map(|(w, c)| guard(w, c)).collect()
        };
        (guarded_all(post), guarded_all(own))
    };
    let (weights, own) = score(&model, &pairs, &cmps);
    let mut first = assign(manifest, intake, &pairs, &weights, cfg);
    // A record left free only because its candidate, good on its own, is as likely
    // another's (an exact tie of twins; the record held by a review) is a review too,
    // not a leftover whose candidates the residual pass no longer sees.
    review_rivalled(&mut first, &pairs, &weights, &own, cfg);
    let mut pair_scores: Vec<PairScore> = Vec::new();
    if cfg.keep_pair_scores {
        pair_scores.extend(pairs.iter().zip(&weights).map(|(&(i, j), &w)| PairScore {
            manifest: i as usize,
            intake: j as usize,
            score: prob(w),
            residual: false,
        }));
    }

    // The residual pass.
    let left_m: Vec<u32> = (0..man.len())
        .filter(|&i| first.man_state[i] == State::Free)
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    let left_i: Vec<u32> = (0..int.len())
        .filter(|&j| first.int_state[j] == State::Free && !first.int_held[j])
        .filter_map(|j| u32::try_from(j).ok())
        .collect();
    let mut residual_pairs = 0;
    if !left_m.is_empty() && !left_i.is_empty() {
        let mut index: FxMap<u64, Vec<u32>> = FxMap::default();
        for &j in &left_i {
            for k in residual_keys(&vocab, &int[j as usize]) {
                index.entry(k).or_default().push(j);
            }
        }
        let man_keys: Vec<Vec<u64>> = left_m
            .iter()
            .map(|&i| residual_keys(&vocab, &man[i as usize]))
            .collect();
        let mut man_count: FxMap<u64, u32> = FxMap::default();
        for keys in &man_keys {
            for k in keys {
                *man_count.entry(*k).or_default() += 1;
            }
        }
        let mut rpairs: Vec<(u32, u32)> = Vec::new();
        let mut cand: Vec<u32> = Vec::new();
        let rcap = cfg.max_block / 4;
        let mut blocks: Vec<&Vec<u32>> = Vec::new();
        for (&i, keys) in left_m.iter().zip(&man_keys) {
            cand.clear();
            blocks.clear();
            for k in keys {
                if let Some(b) = index.get(k) {
                    let nm = man_count.get(k).copied().unwrap_or(1) as usize;
                    if b.len().saturating_mul(nm) <= rcap.saturating_mul(rcap) {
                        blocks.push(b);
                    }
                }
            }
            // Smallest blocks first, and at most RESIDUAL_CANDIDATES per record, so that two
            // files with nothing in common (everyone left over) stay linear.
            blocks.sort_by_key(|b| b.len());
            for b in &blocks {
                if cand.len() >= RESIDUAL_CANDIDATES {
                    break;
                }
                cand.extend_from_slice(b);
            }
            cand.sort_unstable();
            cand.dedup();
            rpairs.extend(cand.iter().map(|&j| (i, j)));
        }
        let rcmps = compare_all(&vocab, &man, &int, &rpairs);
        let mut rmodel = model.clone();
        for (f, get) in [
            (SEX, (|p: &Prep| p.sex) as fn(&Prep) -> Option<u32>),
            (NAT, |p: &Prep| p.nat),
        ] {
            let agree = agreement_share(
                left_m.iter().filter_map(|&i| get(&man[i as usize])),
                left_i.iter().filter_map(|&j| get(&int[j as usize])),
            );
            if let Some(a) = agree {
                rmodel.u[f] = vec![a.clamp(0.01, 0.99), (1.0 - a).clamp(0.01, 0.99)];
            }
        }
        let (rweights, rown) = score(&rmodel, &rpairs, &rcmps);
        if cfg.keep_pair_scores {
            pair_scores.extend(rpairs.iter().zip(&rweights).map(|(&(i, j), &w)| PairScore {
                manifest: i as usize,
                intake: j as usize,
                score: prob(w),
                residual: true,
            }));
        }
        let mut second = assign(manifest, intake, &rpairs, &rweights, cfg);
        review_rivalled(&mut second, &rpairs, &rweights, &rown, cfg);
        let rbits = rmodel.bits();
        let raw_own: Vec<f64> = rcmps
            .iter()
            .map(|c| rmodel.weight(&rbits, &vocab, c) + arrival_boost())
            .collect();
        review_near_misses(
            &mut second,
            (&vocab, &man, &int),
            (&rpairs, &rcmps),
            (&rweights, &raw_own),
            cfg,
        );
        for &i in &left_m {
            let iu = i as usize;
            match second.man_state[iu] {
                State::Matched => {
                    if let Some((j, w)) = second.matched[iu] {
                        first.man_state[iu] = State::Matched;
                        first.matched[iu] = Some((j, w));
                        first.int_state[j as usize] = State::Matched;
                    }
                }
                State::Review => {
                    first.man_state[iu] = State::Review;
                    first.rivalled[iu] = second.rivalled[iu];
                    first.by_man[iu] = second.by_man[iu].clone();
                }
                State::Free => {}
            }
        }
        residual_pairs = rpairs.len();
    }
    release_lost_claims(&mut first, cfg);
    let result = output(manifest, intake, &first);
    (
        result,
        Diagnostics {
            candidate_pairs: pairs.len(),
            model,
            residual_records: (left_m.len(), left_i.len()),
            residual_pairs,
            pair_scores,
        },
    )
}

/// Items at or above which [`in_runs`] spreads the work over the machine's cores.
const PARALLEL_MIN_ITEMS: usize = 20_000;

/// `f` over `0..n`, cut into one run per core (at most 8) when `n` is large, each run on a
/// thread of its own with a `state` of its own (made here, on the calling thread), the
/// results put together in order. `f` must be a pure function of its run, so that the
/// result is the same however the work is cut.
fn in_runs<S: Send, R: Send>(
    n: usize,
    mut state: impl FnMut() -> S,
    f: impl Fn(&S, std::ops::Range<usize>) -> Vec<R> + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(8));
    if threads < 2 || n < PARALLEL_MIN_ITEMS {
        return f(&state(), 0..n);
    }
    let run = n.div_ceil(threads);
    std::thread::scope(|s| {
        let f = &f;
        let workers: Vec<_> = (run..n)
            .step_by(run)
            .map(|lo| {
                let st = state();
                s.spawn(move || f(&st, lo..(lo + run).min(n)))
            })
            .collect();
        let mut out = f(&state(), 0..run);
        for w in workers {
            match w.join() {
                Ok(part) => out.extend(part),
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        out
    })
}

/// [`compare`] for every pair, in order, over the machine's cores ([`in_runs`]); each run
/// has its own clone of the vocabulary, whose caches start empty ([`Caches`]).
fn compare_all(v: &Vocab, a: &[Prep], b: &[Prep], pairs: &[(u32, u32)]) -> Vec<Cmp> {
    in_runs(
        pairs.len(),
        || v.clone(),
        |local, run| {
            pairs[run]
                .iter()
                .map(|&(i, j)| compare(local, &a[i as usize], &b[j as usize]))
                .collect()
        },
    )
}

/// The one-to-one posterior of every pair, as log2 odds, from the Fellegi-Sunter weights
/// (`weights`: log2 odds under the prior of a random pair).
///
/// The prior of a random pair says "this pair, or any other": it makes every record
/// compete with the whole other file, so a record with a common name, no date and no
/// document stays under the threshold even where nobody else in either file resembles it.
/// But each person is in each file at most once, and most of the manifest arrives. So the
/// hypotheses of manifest record i are "i is intake record j" (one per candidate j) and "i
/// never arrived" (probability 1 - [`ARRIVAL_SHARE`]), and those of j likewise; a pair's
/// odds are set against the other candidates of both its records and against neither
/// having a match: `P = o / (o + (1 + R)(1 + C))`, where `o` is the pair's odds against
/// "no match" (the random-pair odds over 1 - [`ARRIVAL_SHARE`]) and R, C the summed odds
/// of the other candidates of its manifest and its intake record. This is the E-step of
/// `estimate_m`, used for the decision too. A record with strong rivals loses what a
/// lone record gains.
///
/// Returns the posterior and the pair's own log2 odds against "no match" (the posterior
/// before its rivals are counted), which tells a pair that lost to rivals from one that
/// is weak on its own (see [`review_rivalled`]).
/// What a pair's own odds gain from most of a flight arriving: against "no match" the
/// prior is the share that arrives over the share that does not.
fn arrival_boost() -> f64 {
    -(1.0 - ARRIVAL_SHARE).log2()
}

fn one_to_one(
    pairs: &[(u32, u32)],
    weights: &[f64],
    n_man: usize,
    n_int: usize,
) -> (Vec<f64>, Vec<f64>) {
    let boost = arrival_boost();
    let own: Vec<f64> = weights
        .iter()
        .map(|&w| (w + boost).clamp(-200.0, 200.0))
        .collect();
    let odds: Vec<f64> = own.iter().map(|&b| b.exp2()).collect();
    // Sum-product belief propagation over the one-to-one constraint. `alpha[e]` is what
    // the other candidates of the pair's manifest record leave for it (1 / (1 + their
    // odds, each discounted by what its own intake record owes to others)), `beta[e]` the
    // same from the intake side. Started at 1, one round is the plain product formula;
    // later rounds discount a rival that is explained by a record of its own (twins each
    // with their own intake record). Both sides are updated from the previous round at
    // once, so the result is the same whichever file is called the manifest.
    let mut alpha = vec![1.0f64; pairs.len()];
    let mut beta = vec![1.0f64; pairs.len()];
    let mut sum_m = vec![0.0f64; n_man];
    let mut sum_i = vec![0.0f64; n_int];
    for round in 0..BP_ROUNDS {
        sum_m.iter_mut().for_each(|x| *x = 0.0);
        sum_i.iter_mut().for_each(|x| *x = 0.0);
        for (e, &(i, j)) in pairs.iter().enumerate() {
            sum_m[i as usize] += odds[e] * beta[e];
            sum_i[j as usize] += odds[e] * alpha[e];
        }
        for (e, &(i, j)) in pairs.iter().enumerate() {
            let a = 1.0 / (1.0 + (sum_m[i as usize] - odds[e] * beta[e]).max(0.0));
            let b = 1.0 / (1.0 + (sum_i[j as usize] - odds[e] * alpha[e]).max(0.0));
            if round == 0 {
                (alpha[e], beta[e]) = (a, b);
            } else {
                // Halfway in log odds: the geometric mean of the old and the new.
                alpha[e] = (alpha[e] * a).sqrt();
                beta[e] = (beta[e] * b).sqrt();
            }
        }
    }
    let mut post: Vec<f64> = own
        .iter()
        .zip(alpha.iter().zip(&beta))
        .map(|(&o, (&a, &b))| o + a.log2() + b.log2())
        .collect();
    exact_on_small_components(pairs, &own, n_man, n_int, &mut post);
    (post, own)
}

/// Pairs whose own log2 odds (against "no match") are below this (odds under 1/8) are
/// left out of the exact posteriors and keep belief propagation's: with them in, the
/// common names join most of a file into one component (at -10 bits, 82,000 of 98,000
/// pairs on a 40,000-person flight).
const EXACT_MIN_BITS: f64 = -3.0;
/// Components with at most this many pairs (above [`EXACT_MIN_BITS`]) get exact
/// posteriors; larger ones keep belief propagation's.
const EXACT_MAX_PAIRS: usize = 16;
/// ... and at most this many one-to-one assignments to sum over.
const EXACT_MAX_ASSIGNMENTS: usize = 20_000;

/// The exact one-to-one posterior of every pair of a small component of the candidate
/// graph, by summing over every assignment of its records (each record matched at most
/// once, or not at all). Belief propagation is exact on a tree, not on a loop: twins
/// "Díaz López, Santos" and "Santos Giovanni", both arrived, one record "Díaz López, Santos"
/// and another "López, Santos" (a family name and a given name dropped) make a loop of
/// four pairs in which both assignments need two changes, an exact tie; four rounds left
/// the pair of identical records at 0.28 and the other at 0.55, and the man whose record
/// is identical to his manifest entry was reported missing. The sums are in log2 and
/// scaled by the largest term; a pair's log2 odds are those of the assignments with it
/// against those without it (always at least the empty one).
fn exact_on_small_components(
    pairs: &[(u32, u32)],
    own: &[f64],
    n_man: usize,
    n_int: usize,
    post: &mut [f64],
) {
    // Union-find over manifest records 0..n_man and intake records n_man..n_man+n_int.
    let mut parent: Vec<u32> = (0..u32::try_from(n_man + n_int).unwrap_or(u32::MAX)).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    let offset = u32::try_from(n_man).unwrap_or(u32::MAX);
    let strong: Vec<usize> = (0..pairs.len())
        .filter(|&e| own[e] >= EXACT_MIN_BITS)
        .collect();
    for &e in &strong {
        let (i, j) = pairs[e];
        let (a, b) = (find(&mut parent, i), find(&mut parent, j + offset));
        if a != b {
            parent[a.max(b) as usize] = a.min(b);
        }
    }
    let mut components: FxMap<u32, Vec<usize>> = FxMap::default();
    let mut order: Vec<u32> = Vec::new();
    for &e in &strong {
        let root = find(&mut parent, pairs[e].0);
        let c = components.entry(root).or_insert_with(|| {
            order.push(root);
            Vec::new()
        });
        c.push(e);
    }
    for root in order {
        let edges = &components[&root];
        if edges.len() < 2 || edges.len() > EXACT_MAX_PAIRS {
            // A lone pair: belief propagation is already exact on it.
            continue;
        }
        if let Some(exact) = exact_posteriors(pairs, own, edges) {
            for (&e, w) in edges.iter().zip(exact) {
                post[e] = w;
            }
        }
    }
}

/// The log2 odds of each of `edges` over the one-to-one assignments of their records, or
/// `None` when there are more than [`EXACT_MAX_ASSIGNMENTS`] of them.
fn exact_posteriors(pairs: &[(u32, u32)], own: &[f64], edges: &[usize]) -> Option<Vec<f64>> {
    // Every assignment: its total log2 odds and which of `edges` it takes (a bit each).
    let mut found: Vec<(f64, u32)> = Vec::new();
    fn walk(
        k: usize,
        edges: &[usize],
        pairs: &[(u32, u32)],
        own: &[f64],
        taken: u32,
        weight: f64,
        found: &mut Vec<(f64, u32)>,
    ) -> bool {
        if found.len() > EXACT_MAX_ASSIGNMENTS {
            return false;
        }
        if k == edges.len() {
            found.push((weight, taken));
            return true;
        }
        // Without edge k.
        if !walk(k + 1, edges, pairs, own, taken, weight, found) {
            return false;
        }
        // With edge k, if neither of its records is taken yet.
        let (i, j) = pairs[edges[k]];
        let free = (0..k)
            .filter(|&x| taken & (1 << x) != 0)
            .all(|x| pairs[edges[x]].0 != i && pairs[edges[x]].1 != j);
        if free {
            return walk(
                k + 1,
                edges,
                pairs,
                own,
                taken | (1 << k),
                weight + own[edges[k]],
                found,
            );
        }
        true
    }
    if !walk(0, edges, pairs, own, 0, 0.0, &mut found) {
        return None;
    }
    let top = found.iter().map(|f| f.0).fold(f64::NEG_INFINITY, f64::max);
    Some(
        (0..edges.len())
            .map(|x| {
                let (mut with, mut without) = (0.0f64, 0.0f64);
                for &(w, taken) in &found {
                    let t = (w - top).exp2();
                    if taken & (1 << x) != 0 {
                        with += t;
                    } else {
                        without += t;
                    }
                }
                (with.log2() - without.log2()).clamp(-200.0, 200.0)
            })
            .collect(),
    )
}

/// A manifest record the assignment left unmatched that has a candidate good enough on its
/// own (against "no match") and brought under the threshold only by rivals, but still one
/// of a few equal contenders (posterior at least [`RIVAL_SHARE`]), whose intake record
/// nobody took, goes to review with its candidates: two records equally good for
/// one person (or two persons equally good for one record) are a question for a person,
/// not a missing person. The contested intake records are held back from later matches.
fn review_rivalled(
    a: &mut Assigned,
    pairs: &[(u32, u32)],
    post: &[f64],
    own: &[f64],
    cfg: &Config,
) {
    let w_match = logit2(cfg.match_threshold);
    let w_rival = logit2(RIVAL_SHARE);
    let mut rivalled: Vec<(usize, u32)> = Vec::new();
    for ((&(i, j), &o), &p) in pairs.iter().zip(own).zip(post) {
        let (iu, ju) = (i as usize, j as usize);
        if o >= w_match
            && p >= w_rival
            && a.man_state[iu] == State::Free
            && a.int_state[ju] != State::Matched
            && a.by_man[iu].iter().any(|&(_, k)| k == j)
        {
            rivalled.push((iu, j));
        }
    }
    for (iu, j) in rivalled {
        a.man_state[iu] = State::Review;
        a.rivalled[iu] = true;
        a.int_held[j as usize] = true;
    }
}

/// A leftover with a candidate that nearly made a match is a review, not a missing person
/// whose own record is reported unexpected (a false alarm about a person who arrived):
/// Fellegi and Sunter's "possible match" zone between match and non-match, which goes to
/// a human. Two kinds of near miss:
///
/// - a candidate whose one-to-one posterior is at least [`RIVAL_SHARE`] (odds of 2 to 3,
///   where a coin would decide): nine in ten of these are the person on every generator's
///   files ("Hernández Cáceres, Magvim", no date, for "Hernández Cáceres, Marvin");
/// - a candidate that would be matched but for the sibling guard ([`guarded`]: given names
///   that do not agree, or dates of birth wholly apart). The guard says a human decides,
///   not that the record is somebody else: a garbled given name or a wrong date is the
///   person far more often than a relative. Except when the two first given names are
///   both names in their own right, each written by other records too, and do not agree at
///   all ([`another_known_given_name`]): "Juan" for "Wilmer Jeremías" born the same day is
///   his twin, and the missing person stays missing, whereas "Moqsé" for "José Manuel" is a
///   garbled copy.
///
/// Only records still free after the residual assignment are touched, only through an
/// intake record nobody holds, and never through a pair that is no candidate at all
/// ([`unreviewable`]). A review made here is no "rival" review, so
/// [`release_lost_claims`] leaves it alone.
fn review_near_misses(
    a: &mut Assigned,
    (v, man, int): (&Vocab, &[Prep], &[Prep]),
    (pairs, cmps): (&[(u32, u32)], &[Cmp]),
    (post, raw_own): (&[f64], &[f64]),
    cfg: &Config,
) {
    let w_match = logit2(cfg.match_threshold);
    let w_near = logit2(RIVAL_SHARE);
    let mut blocked: Vec<(usize, u32)> = Vec::new();
    for (((&(i, j), c), &p), &o) in pairs.iter().zip(cmps).zip(post).zip(raw_own) {
        let (iu, ju) = (i as usize, j as usize);
        let near = p >= w_near
            || (o >= w_match && guarded(c) && !another_known_given_name(v, c, &man[iu], &int[ju]));
        if near
            && !unreviewable(c)
            && a.man_state[iu] == State::Free
            && a.int_state[ju] == State::Free
            && !a.int_held[ju]
            && a.by_man[iu].iter().any(|&(_, k)| k == j)
        {
            blocked.push((iu, j));
        }
    }
    for (iu, j) in blocked {
        a.man_state[iu] = State::Review;
        a.int_held[j as usize] = true;
    }
}

/// A given name written by at least this many records of the two files is a name, not a
/// clerk's garble of one.
const KNOWN_GIVEN_NAME_RECORDS: u32 = 3;

/// The pair's first given names are two different names, each a known name (see
/// [`KNOWN_GIVEN_NAME_RECORDS`]): the records name two people. Not for a pair read with
/// the fields swapped, nor for a record with no given name.
fn another_known_given_name(v: &Vocab, c: &Cmp, a: &Prep, b: &Prep) -> bool {
    if c.swapped || c.lv[GIV] != GIV_DIFFERENT {
        return false;
    }
    let known = |t: u32| {
        v.words[t as usize].len() > 1 && v.giv_count[t as usize] >= KNOWN_GIVEN_NAME_RECORDS
    };
    match (a.giv.first(), b.giv.first()) {
        (Some(&x), Some(&y)) => x != y && known(x) && known(y),
        _ => false,
    }
}

/// P(two values agree) for a random pair, one value from each list (None if either is
/// empty).
fn agreement_share(a: impl Iterator<Item = u32>, b: impl Iterator<Item = u32>) -> Option<f64> {
    let mut ca: FxMap<u32, f64> = FxMap::default();
    let mut cb: FxMap<u32, f64> = FxMap::default();
    let (mut na, mut nb) = (0.0, 0.0);
    for x in a {
        *ca.entry(x).or_default() += 1.0;
        na += 1.0;
    }
    for x in b {
        *cb.entry(x).or_default() += 1.0;
        nb += 1.0;
    }
    if na == 0.0 || nb == 0.0 {
        return None;
    }
    Some(
        ca.iter()
            .map(|(k, &x)| x / na * cb.get(k).copied().unwrap_or(0.0) / nb)
            .sum(),
    )
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Free,
    Matched,
    Review,
}

/// The state of every record after one assignment.
struct Assigned {
    man_state: Vec<State>,
    int_state: Vec<State>,
    /// Intake records contested by a record sent to review: not free for later matches.
    int_held: Vec<bool>,
    matched: Vec<Option<(u32, f64)>>,
    /// Candidates of each manifest record at or above the candidate threshold, best first.
    by_man: Vec<Vec<(f64, u32)>>,
    /// Manifest records in review whose candidates are good on their own but all brought
    /// under the threshold by rivals (`review_rivalled`).
    rivalled: Vec<bool>,
}

/// One-to-one assignment: edges in descending weight; an edge is taken unless exchanging it
/// with a competitor's (the runner-up of either endpoint) costs less than the margin, in
/// which case the manifest record goes to review and its contested intake records are held
/// back from later matches. Equal weights are ordered by the pair's two record ids (the
/// smaller first), whichever file they come from, so that swapping the files' roles
/// gives the same order.
fn assign(
    manifest: &[Record],
    intake: &[Record],
    pairs: &[(u32, u32)],
    weights: &[f64],
    cfg: &Config,
) -> Assigned {
    let w_match = logit2(cfg.match_threshold);
    let w_cand = logit2(cfg.candidate_threshold);
    let mut by_man: Vec<Vec<(f64, u32)>> = vec![Vec::new(); manifest.len()];
    let mut by_int: Vec<Vec<(f64, u32)>> = vec![Vec::new(); intake.len()];
    let mut edges: Vec<(f64, u32, u32)> = Vec::new();
    for (&(i, j), &w) in pairs.iter().zip(weights) {
        if w >= w_cand {
            by_man[i as usize].push((w, j));
            by_int[j as usize].push((w, i));
            edges.push((w, i, j));
        }
    }
    let desc = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    for l in by_man.iter_mut().chain(by_int.iter_mut()) {
        l.sort_by(desc);
    }
    let ids = |i: u32, j: u32| {
        let (a, b) = (
            manifest[i as usize].record_id.as_str(),
            intake[j as usize].record_id.as_str(),
        );
        if a <= b { (a, b) } else { (b, a) }
    };
    edges.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| ids(a.1, a.2).cmp(&ids(b.1, b.2)))
            .then(a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });

    let mut man_state = vec![State::Free; manifest.len()];
    let mut int_state = vec![State::Free; intake.len()];
    let mut int_held = vec![false; intake.len()];
    let mut matched: Vec<Option<(u32, f64)>> = vec![None; manifest.len()];
    let gain = |w: f64| (w - w_match).max(0.0);

    for &(w, i, j) in &edges {
        if w < w_match {
            break;
        }
        let (iu, ju) = (i as usize, j as usize);
        if man_state[iu] != State::Free || int_state[ju] != State::Free {
            continue;
        }
        if int_held[ju] {
            man_state[iu] = State::Review;
            continue;
        }
        // Best free alternative of a manifest record, excluding one intake record.
        let best_int = |m: usize, except: u32, st: &[State]| {
            by_man[m]
                .iter()
                .find(|&&(_, k)| k != except && st[k as usize] == State::Free)
                .map_or(0.0, |&(x, _)| gain(x))
        };
        let best_man = |k: usize, except: u32, st: &[State]| {
            by_int[k]
                .iter()
                .find(|&&(_, mm)| mm != except && st[mm as usize] == State::Free)
                .map_or(0.0, |&(x, _)| gain(x))
        };
        let mut contested: Vec<u32> = Vec::new();
        // Competitor on the intake side: another manifest record k wanting j.
        for &(wk, k) in &by_int[ju] {
            if k == i || man_state[k as usize] != State::Free {
                continue;
            }
            let current = gain(w) + best_int(k as usize, j, &int_state);
            let alt = gain(wk) + best_int(iu, j, &int_state);
            if current - alt < cfg.ambiguity_margin_bits {
                contested.push(j);
            }
            break;
        }
        // Competitor on the manifest side: another intake record l for i.
        for &(wl, l) in &by_man[iu] {
            if l == j || int_state[l as usize] != State::Free {
                continue;
            }
            let current = gain(w) + best_man(l as usize, i, &man_state);
            let alt = gain(wl) + best_man(ju, i, &man_state);
            if current - alt < cfg.ambiguity_margin_bits {
                contested.push(j);
                contested.push(l);
            }
            break;
        }
        if contested.is_empty() {
            man_state[iu] = State::Matched;
            int_state[ju] = State::Matched;
            matched[iu] = Some((j, w));
        } else {
            man_state[iu] = State::Review;
            for c in contested {
                int_held[c as usize] = true;
            }
        }
    }
    let rivalled = vec![false; manifest.len()];
    Assigned {
        man_state,
        int_state,
        int_held,
        matched,
        by_man,
        rivalled,
    }
}

/// A manifest record in review whose every acceptable candidate (at or above the match
/// threshold) is claimed more strongly by another manifest record (matched to it, or in
/// review with a higher weight for it) has no intake record of its own: it is missing,
/// not in review. This is the missing person whose nearest intake record is a sibling,
/// twin, cousin or namesake who belongs to somebody else on the manifest: the review
/// would only ask whether the relative is them, which the stronger claim already answers.
/// "More strongly" means by at least [`STRONGER_CLAIM_BITS`] of match weight (at least
/// twice the odds): claims closer than that are as good as equal, which is real ambiguity,
/// and they stay in review; so does a record with a candidate nobody else claims more
/// strongly (a person entered twice in the intake). Only reviews turn into missing persons
/// here; the matches do not change.
fn release_lost_claims(a: &mut Assigned, cfg: &Config) {
    let w_match = logit2(cfg.match_threshold);
    // The two strongest claims on each intake record: (weight, manifest index).
    let mut claims: FxMap<u32, [(f64, u32); 2]> = FxMap::default();
    let mut claim = |j: u32, w: f64, k: u32| {
        let e = claims
            .entry(j)
            .or_insert([(f64::NEG_INFINITY, u32::MAX); 2]);
        if w > e[0].0 {
            e[1] = e[0];
            e[0] = (w, k);
        } else if w > e[1].0 {
            e[1] = (w, k);
        }
    };
    for (k, st) in a.man_state.iter().enumerate() {
        let Ok(k32) = u32::try_from(k) else { continue };
        match st {
            State::Matched => {
                if let Some((j, w)) = a.matched[k] {
                    claim(j, w, k32);
                }
            }
            State::Review => {
                let rivalled = a.rivalled[k];
                for &(w, j) in a.by_man[k].iter().filter(|c| rivalled || c.0 >= w_match) {
                    claim(j, w, k32);
                }
            }
            State::Free => {}
        }
    }
    let stronger_elsewhere = |j: u32, w: f64, i: u32| {
        claims.get(&j).is_some_and(|e| {
            let other = if e[0].1 == i { e[1] } else { e[0] };
            other.0 >= w + STRONGER_CLAIM_BITS
        })
    };
    let lost: Vec<usize> = (0..a.man_state.len())
        .filter(|&i| a.man_state[i] == State::Review)
        .filter(|&i| {
            let Ok(i32_) = u32::try_from(i) else {
                return false;
            };
            // The candidates of a review sent there by rivals are all acceptable: each
            // is good on its own, and only the rivals brought it under the threshold.
            let rivalled = a.rivalled[i];
            let mut acceptable = a.by_man[i]
                .iter()
                .filter(|c| rivalled || c.0 >= w_match)
                .peekable();
            acceptable.peek().is_some() && acceptable.all(|&(w, j)| stronger_elsewhere(j, w, i32_))
        })
        .collect();
    for i in lost {
        a.man_state[i] = State::Free;
        a.by_man[i].clear();
    }
}

/// The CONTRACT §2 output of an assignment.
fn output(manifest: &[Record], intake: &[Record], a: &Assigned) -> Reconciliation {
    let mut out = Reconciliation {
        matches: Vec::new(),
        missing_from_intake: Vec::new(),
        unexpected_in_intake: Vec::new(),
        needs_review: Vec::new(),
    };
    for (iu, r) in manifest.iter().enumerate() {
        match a.man_state[iu] {
            State::Matched => {
                if let Some((j, w)) = a.matched[iu] {
                    out.matches.push(Match {
                        manifest_id: r.record_id.clone(),
                        intake_id: intake[j as usize].record_id.clone(),
                        score: round4(prob(w)),
                    });
                } else {
                    out.missing_from_intake.push(r.record_id.clone());
                }
            }
            State::Review => {
                let candidates: Vec<Candidate> = a.by_man[iu]
                    .iter()
                    .take(5)
                    .map(|&(w, j)| Candidate {
                        intake_id: intake[j as usize].record_id.clone(),
                        score: round4(prob(w)),
                    })
                    .collect();
                // INVARIANT: a review lists at least one candidate; one without any (it
                // cannot happen: review needs a contested edge) would be a missing person.
                if candidates.is_empty() {
                    out.missing_from_intake.push(r.record_id.clone());
                } else {
                    out.needs_review.push(Review {
                        manifest_id: r.record_id.clone(),
                        candidates,
                    });
                }
            }
            State::Free => out.missing_from_intake.push(r.record_id.clone()),
        }
    }
    for (ju, r) in intake.iter().enumerate() {
        if a.int_state[ju] != State::Matched {
            out.unexpected_in_intake.push(r.record_id.clone());
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn rec(id: &str, fam: &str, giv: &str, dob: &str) -> Record {
        let mut r = Record::new(id, fam, giv);
        r.date_of_birth = if dob.is_empty() {
            None
        } else {
            Some(dob.parse().unwrap())
        };
        r
    }

    /// Words that differ the ways names do: typing errors, letters dropped or doubled,
    /// glued particles, other names; and a few with letters outside ASCII.
    fn word() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let base = prop::sample::select(vec![
            "hernandez",
            "fernandez",
            "garcia",
            "gracia",
            "luis",
            "luz",
            "lius",
            "jose",
            "josue",
            "francisco",
            "fco",
            "paco",
            "ma",
            "maria",
            "mario",
            "leon",
            "deleon",
            "delacruz",
            "cruz",
            "ana",
            "ann",
            "noe",
            "npe",
            "walter",
            "gualter",
            "xochitl",
            "ñandu",
            "çelik",
            "ramos",
            "ramosflores",
            "flores",
            "lores",
            "quintanilla",
        ]);
        (
            base,
            0usize..12,
            prop::sample::select(vec!['a', 'e', 'r', 'z', 'h', 's', 'ü']),
        )
            .prop_map(|(w, at, c)| {
                let mut cs: Vec<char> = w.chars().collect();
                match at % 4 {
                    0 => {}
                    1 if !cs.is_empty() => {
                        let k = at % cs.len();
                        cs[k] = c;
                    }
                    2 => cs.insert(at.min(cs.len()), c),
                    _ if cs.len() > 1 => {
                        cs.remove(at % cs.len());
                    }
                    _ => {}
                }
                cs.into_iter().collect()
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 2_000,
            rng_seed: proptest::test_runner::RngSeed::Fixed(2025),
            ..proptest::test_runner::Config::default()
        })]
        /// The bounds that skip the caches never change an answer: where they say
        /// "different" or "no", the full comparison says so too.
        #[test]
        fn the_bounds_before_the_caches_never_change_an_answer(a in word(), b in word()) {
            let mut v = Vocab::default();
            let (x, y) = (v.intern(&a), v.intern(&b));
            if v.surely_different(x, y) {
                proptest::prop_assert_eq!(v.agree_uncached(x, y), TokenAgreement::Different);
            }
            if x != y {
                proptest::prop_assert_eq!(v.agree(x, y), v.agree_uncached(x, y));
            }
            proptest::prop_assert_eq!(
                v.within_two_edits(x, y),
                v.within_two_edits_uncached(x, y)
            );
            proptest::prop_assert_eq!(v.given_variant(x, y), names::given_variant(&a, &b));
        }
    }

    /// Leftovers that share two name words share a residual key of their own: where López
    /// alone and José alone are blocks over the cap among the leftovers, "LÓPEZ ÁLVAREZ,
    /// JOSUÉ" and "Lopez Aldarez, Josue" still meet.
    #[test]
    fn leftovers_sharing_two_name_words_share_a_key_of_their_own() {
        let mut v = Vocab::default();
        let mut small = HashMap::new();
        let p = prepare(
            &[
                rec("m", "LÓPEZ ÁLVAREZ", "JOSUÉ", "1991-03-27"),
                rec("i", "Lopez Aldarez", "Josue", ""),
                rec("x", "López Pérez", "Mario", "1980-01-02"),
                rec("y", "Ramos", "Josué", "1975-05-06"),
            ],
            &mut v,
            &mut small,
        );
        let keys: Vec<Vec<u64>> = p.iter().map(|r| residual_keys(&v, r)).collect();
        let shared = |a: &[u64], b: &[u64]| -> Vec<u64> {
            a.iter().filter(|k| b.contains(k)).copied().collect()
        };
        let own: Vec<u64> = shared(&keys[0], &keys[1])
            .into_iter()
            .filter(|k| !keys[2].contains(k) && !keys[3].contains(k))
            .collect();
        assert!(!own.is_empty());
    }

    #[test]
    fn one_family_name_written_with_a_space_inside_is_that_name_kept() {
        let full = rec("m", "Hernández Flores", "César", "");
        let first = levels(&full, &rec("i", "Herná ndez", "César", ""));
        assert_eq!(first[FAM], 3, "{first:?}");
        let other = levels(
            &rec("m", "Flores Hernández", "César", ""),
            &rec("i", "Her nandez", "César", ""),
        );
        assert_eq!(other[FAM], 4, "{other:?}");
        // Both names, only the space moved, stay "both in place".
        let moved = levels(&full, &rec("i", "HernándezF lores", "César", ""));
        assert_eq!(moved[FAM], 1, "{moved:?}");
    }

    #[test]
    fn two_given_names_in_place_with_a_typing_error_are_as_good_as_exact() {
        let a = rec("m", "Hernández Velásquez", "José Fernando", "");
        let typo = levels(&a, &rec("i", "Hernandez Velaasquez", "Jose Fegnando", ""));
        assert_eq!(typo[GIV], 0, "{typo:?}");
        // A second name dropped or another second name is not.
        let dropped = levels(&a, &rec("i", "Hernández Velásquez", "José", ""));
        assert_eq!(dropped[GIV], 1, "{dropped:?}");
        let other = levels(&a, &rec("i", "Hernández Velásquez", "José Roberto", ""));
        assert_eq!(other[GIV], GIV_SECOND_DIFFERS, "{other:?}");
    }

    #[test]
    fn given_names_written_as_initials_are_a_level_of_their_own() {
        let a = rec("m", "García Claros", "José Alexander", "");
        let both = levels(&a, &rec("i", "GARCIA CLAROS", "J. A.", ""));
        assert_eq!(both[GIV], GIV_INITIAL, "{both:?}");
        let first = levels(&rec("i", "Garcia Claros", "J.", ""), &a);
        assert_eq!(first[GIV], GIV_INITIAL, "{first:?}");
        // Another second initial, or another first letter, is not.
        let other = levels(&a, &rec("i", "García Claros", "J. M.", ""));
        assert_eq!(other[GIV], GIV_DIFFERENT, "{other:?}");
        let letter = levels(&a, &rec("i", "García Claros", "M.", ""));
        assert_eq!(letter[GIV], GIV_DIFFERENT, "{letter:?}");
    }

    #[test]
    fn exact_posteriors_sum_over_every_assignment() {
        let p = |w: f64| 1.0 / (1.0 + (-w).exp2());
        // One manifest record, two intake records: P(e) = o_e / (1 + o_1 + o_2).
        let pairs = [(0, 0), (0, 1)];
        let own = [3.0, 1.0];
        let got = exact_posteriors(&pairs, &own, &[0, 1]).unwrap();
        let (o1, o2) = (8.0, 2.0);
        assert!((p(got[0]) - o1 / (1.0 + o1 + o2)).abs() < 1e-12);
        assert!((p(got[1]) - o2 / (1.0 + o1 + o2)).abs() < 1e-12);
        // Two and two, every pair strong, both assignments equally likely: one half each.
        let pairs = [(0, 0), (0, 1), (1, 1), (1, 0)];
        let own = [30.0, 22.0, 20.0, 28.0];
        let got = exact_posteriors(&pairs, &own, &[0, 1, 2, 3]).unwrap();
        for w in got {
            assert!((p(w) - 0.5).abs() < 1e-6, "{w}");
        }
        // Through the whole pass: the loop is solved exactly, not by belief propagation.
        let (post, _) = one_to_one(&pairs, &[25.0, 17.0, 15.0, 23.0], 2, 2);
        for w in post {
            assert!((p(w) - 0.5).abs() < 1e-3, "{w}");
        }
    }

    #[test]
    fn comparing_in_runs_on_several_threads_gives_the_serial_answer() {
        let s = crate::synth::generate(11, &crate::synth::SynthConfig::combined(160));
        let mut v = Vocab::default();
        let mut small = HashMap::new();
        let man = prepare(&s.manifest, &mut v, &mut small);
        let int = prepare(&s.intake, &mut v, &mut small);
        let pairs: Vec<(u32, u32)> = (0..man.len())
            .flat_map(|i| (0..int.len()).map(move |j| (i as u32, j as u32)))
            .collect();
        assert!(pairs.len() >= PARALLEL_MIN_ITEMS);
        let serial: Vec<Cmp> = pairs
            .iter()
            .map(|&(i, j)| compare(&v, &man[i as usize], &int[j as usize]))
            .collect();
        let cut = compare_all(&v, &man, &int, &pairs);
        assert_eq!(serial.len(), cut.len());
        for (a, b) in serial.iter().zip(&cut) {
            assert_eq!(
                (a.lv, a.tf_fam, a.tf_giv, a.swapped),
                (b.lv, b.tf_fam, b.tf_giv, b.swapped)
            );
        }
    }

    #[test]
    fn edit_distance_bound_agrees_with_strsim() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "ana",
            "ans",
            "nelson",
            "nekosn",
            "menjivar",
            "mejnivar",
            "hernandez",
            "hrnanedz",
            "123456789",
            "123456798",
            "ramosflores",
            "ramosflroes",
        ];
        for a in words {
            for b in words {
                let d = strsim::osa_distance(a, b);
                for k in 0..4 {
                    assert_eq!(within_edits(a, b, k), d <= k, "{a} {b} {k}");
                }
            }
        }
    }

    #[test]
    fn dob_levels() {
        let d = |x: &str| {
            let mut v = Vocab::default();
            prepare(&[rec("X", "A", "B", x)], &mut v, &mut HashMap::new()).remove(0)
        };
        assert_eq!(dob_level(&d("1990-03-04"), &d("1990-03-04")), 0);
        assert_eq!(dob_level(&d("1990-03-04"), &d("1990-04-03")), 1);
        assert_eq!(dob_level(&d("1990-03-04"), &d("1991-03-04")), 2);
        assert_eq!(
            dob_level(
                &d("1990-03-14"),
                &d("1990-03-41".replace("41", "11").as_str())
            ),
            2
        );
        assert_eq!(
            dob_level(
                &d("1990-12-04"),
                &d("1990-12-40".replace("40", "05").as_str())
            ),
            2
        );
        assert_eq!(dob_level(&d("1990-03-04"), &d("1990-07-24")), DOB_SAME_YEAR);
        assert_eq!(
            dob_level(&d("1995-07-31"), &d("2005-07-31")),
            DOB_OTHER_YEAR
        );
        assert_eq!(dob_level(&d("1990-03-04"), &d("1975-07-24")), DOB_DIFFERENT);
        assert_eq!(dob_level(&d(""), &d("1975-07-24")), DOB_MISSING);
    }

    fn levels(a: &Record, b: &Record) -> [u8; FIELDS] {
        let mut v = Vocab::default();
        let mut small = HashMap::new();
        let p = prepare(&[a.clone(), b.clone()], &mut v, &mut small);
        compare(&v, &p[0], &p[1]).lv
    }

    #[test]
    fn split_and_merged_words_agree_as_family_names() {
        for (x, y) in [
            ("Ramos Flores", "RAMOSF LORES"),
            ("Cruz Vásquez", "CRUZVASQUEZ"),
            ("Cruz Vásquez", "CRUZVASQUES"),
            ("del Cid", "DELCID"),
            ("Menjívar Ruiz", "MEN JIVAR RUIZ"),
        ] {
            let l = levels(&rec("A", x, "Ana", ""), &rec("B", y, "Ana", ""));
            assert!(l[FAM] <= 4, "{x} vs {y}: {l:?}");
        }
        let l = levels(
            &rec("A", "González Aguilar", "Carlos", "1983-11-02"),
            &rec("B", "Aguilar Gonzalez", "Carlos", ""),
        );
        assert_eq!((l[FAM], l[DOB]), (2, DOB_MISSING));
        let l = levels(
            &rec("A", "García de León Pérez", "Ana", ""),
            &rec("B", "Pérez García", "Ana", ""),
        );
        assert_eq!(l[FAM], 3);
    }

    #[test]
    fn comparison_is_symmetric() {
        let rows = [
            rec("A", "Alfaro Zelaya", "Jefferson", "1981-12-27"),
            rec("B", "Jefferson", "Alfaro", "1981-12-27"),
            rec("C", "Zelaya", "Jefferson Alexis", ""),
            rec(
                "D",
                "ALFARO",
                "JEFERSON",
                "1981-12-72".replace("72", "27").as_str(),
            ),
        ];
        for a in &rows {
            for b in &rows {
                assert_eq!(levels(a, b), levels(b, a), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn swapped_given_and_family_names_still_match() {
        let m = vec![
            rec("M-1", "Alfaro Zelaya", "Jefferson", "1981-12-27"),
            rec("M-2", "Paz Rivas", "Henry", "1974-07-31"),
        ];
        let i = vec![
            rec("I-1", "Jefferson", "Alfaro", "1981-12-27"),
            rec("I-2", "PAZ", "HENRY", "1974-07-31"),
        ];
        let r = reconcile(&m, &i);
        assert_eq!(r.matches.len(), 2, "{r:?}");
        assert_eq!(r.matches[0].intake_id, "I-1");
    }

    #[test]
    fn twins_are_not_confused_and_the_missing_twin_is_flagged() {
        let m = vec![
            rec("M-1", "Chicas Batres", "Fabián", "2002-01-25"),
            rec("M-2", "Chicas Batres", "Josué", "2002-01-25"),
        ];
        let i = vec![rec("I-1", "CHICAS BATRES", "FABIAN", "2002-01-25")];
        let r = reconcile(&m, &i);
        assert_eq!(r.matches.len(), 1, "{r:?}");
        assert_eq!(r.matches[0].manifest_id, "M-1");
        assert_eq!(r.missing_from_intake, vec!["M-2"]);
    }

    #[test]
    fn a_lone_candidate_held_back_by_the_sibling_guard_is_a_review_unless_it_names_another() {
        // Persons matched plainly, so that Juan, Wilmer and José are names the files know.
        let mut m = vec![
            rec("M-1", "Coto Ramos", "José Manuel", "1987-11-04"),
            rec("M-2", "Martínez Cardona", "Wilmer Jeremías", "1990-02-14"),
        ];
        let mut i = vec![
            // A garbled copy of M-1: the guard holds it back (the given names do not
            // agree), nobody else wants it. A human decides; M-1 is not reported missing.
            rec("I-1", "COTO RAMOS", "MOQSÉ", "1987-11-04"),
            // M-2's twin, born the same day, who was not on the manifest: Juan is a name
            // in its own right, so M-2 is missing and I-2 unexpected.
            rec("I-2", "Martínez Cardona", "Juan", "1990-02-14"),
        ];
        let others = [
            ("Pérez López", "Juan", "1980-01-03"),
            ("Rivas Mena", "Juan Pablo", "1981-02-04"),
            ("Sosa Lara", "Wilmer", "1982-03-05"),
            ("Mejía Cruz", "Wilmer Antonio", "1983-04-06"),
            ("Ayala Paz", "José", "1984-05-07"),
            ("Duarte Gil", "José Luis", "1985-06-08"),
        ];
        for (k, (f, g, d)) in others.iter().enumerate() {
            m.push(rec(&format!("M-{}", k + 3), f, g, d));
            i.push(rec(&format!("I-{}", k + 3), f, g, d));
        }
        let r = reconcile(&m, &i);
        assert_eq!(r.matches.len(), others.len(), "{r:?}");
        assert_eq!(r.needs_review.len(), 1, "{r:?}");
        assert_eq!(r.needs_review[0].manifest_id, "M-1");
        assert_eq!(r.needs_review[0].candidates[0].intake_id, "I-1");
        assert_eq!(r.missing_from_intake, vec!["M-2"], "{r:?}");
        assert_eq!(r.unexpected_in_intake, vec!["I-1", "I-2"]);
    }

    #[test]
    fn a_leftover_candidate_in_the_possible_match_zone_is_a_review() {
        let m = rec("M-1", "Hernández Cáceres", "Marvin", "1995-07-18");
        let i = rec("I-1", "Hernández Cáceres", "Magvim", "");
        let mut v = Vocab::default();
        let p = prepare(&[m, i], &mut v, &mut HashMap::new());
        let c = compare(&v, &p[0], &p[1]);
        assert!(!guarded(&c) && !unreviewable(&c), "{:?}", c.lv);
        let cfg = Config::default();
        let near = |posterior: f64| {
            let w = logit2(posterior);
            let mut a = Assigned {
                man_state: vec![State::Free],
                int_state: vec![State::Free],
                int_held: vec![false],
                matched: vec![None],
                by_man: vec![vec![(w, 0)]],
                rivalled: vec![false],
            };
            review_near_misses(
                &mut a,
                (&v, &p[..1], &p[1..]),
                (&[(0, 0)], std::slice::from_ref(&c)),
                (&[w], &[w]),
                &cfg,
            );
            (a.man_state[0], a.int_held[0])
        };
        assert_eq!(near(0.45), (State::Review, true));
        assert_eq!(near(0.35), (State::Free, false));
    }

    #[test]
    fn true_ambiguity_goes_to_review_with_candidates() {
        // Two intake rows that are equally good for one manifest row.
        let m = vec![rec("M-1", "Rivas", "Ana", "")];
        let i = vec![
            rec("I-1", "Rivas", "Ana", ""),
            rec("I-2", "Rivas", "Ana", ""),
        ];
        let r = reconcile(&m, &i);
        assert!(r.matches.is_empty(), "{r:?}");
        assert_eq!(r.needs_review.len(), 1);
        assert_eq!(r.needs_review[0].candidates.len(), 2);
        assert_eq!(r.unexpected_in_intake, vec!["I-1", "I-2"]);
    }

    #[test]
    fn a_different_given_name_and_date_is_no_candidate_unless_the_document_agrees() {
        let mut a = rec("A", "Chicas Batres", "Fabián", "1990-03-12");
        let mut b = rec("B", "Chicas Batres", "Walter", "1993-08-02");
        let mut v = Vocab::default();
        let p = prepare(&[a.clone(), b.clone()], &mut v, &mut HashMap::new());
        assert!(unreviewable(&compare(&v, &p[0], &p[1])));
        // The same date (a twin) is guarded but stays a candidate; no date either.
        let twin = rec("T", "Chicas Batres", "Walter", "1990-03-12");
        let undated = rec("U", "Chicas Batres", "Walter", "");
        // A given name found among the other's (a middle name used) is not a disagreement.
        let middle = rec("D", "Chicas Batres", "José Fabián", "1993-08-02");
        let mut v = Vocab::default();
        let p = prepare(
            &[a.clone(), twin, undated, middle],
            &mut v,
            &mut HashMap::new(),
        );
        for k in 1..4 {
            assert!(!unreviewable(&compare(&v, &p[0], &p[k])), "case {k}");
        }
        // One document: one person, whatever the names say.
        a.document_number = Some("A123".into());
        b.document_number = Some("A123".into());
        let mut v = Vocab::default();
        let p = prepare(&[a, b], &mut v, &mut HashMap::new());
        assert!(!unreviewable(&compare(&v, &p[0], &p[1])));
    }

    fn assigned(
        states: &[State],
        matched: &[Option<(u32, f64)>],
        by_man: &[&[(f64, u32)]],
    ) -> Assigned {
        Assigned {
            man_state: states.to_vec(),
            int_state: vec![State::Free; 8],
            int_held: vec![false; 8],
            matched: matched.to_vec(),
            by_man: by_man.iter().map(|l| l.to_vec()).collect(),
            rivalled: vec![false; states.len()],
        }
    }

    #[test]
    fn a_review_lost_to_stronger_claims_is_a_missing_person() {
        use State::{Matched, Review};
        let cfg = Config::default();
        let mut a = assigned(
            &[
                Matched, Review, Review, Review, Review, Review, Review, Review,
            ],
            &[Some((0, 12.0)), None, None, None, None, None, None, None],
            &[
                &[(12.0, 0)],
                // 1: its only acceptable candidate is matched to 0 more strongly; a weak
                // one under the match threshold does not keep it in review.
                &[(4.0, 0), (-3.0, 5)],
                // 2 and 3: claims on intake 1 less than a bit apart, real ambiguity.
                &[(5.0, 1)],
                &[(5.5, 1)],
                // 4: two candidates nobody else wants (a person entered twice).
                &[(6.0, 2), (5.5, 3)],
                // 5 and 6: both want intake 4, 5 more strongly; 6 also wants intake 6,
                // which 7 wants more strongly still.
                &[(8.0, 4)],
                &[(3.0, 4), (2.0, 6)],
                &[(9.0, 6), (1.0, 7)],
            ],
        );
        release_lost_claims(&mut a, &cfg);
        assert_eq!(
            a.man_state,
            vec![
                Matched,
                State::Free,
                Review,
                Review,
                Review,
                Review,
                State::Free,
                Review
            ]
        );
        // A stronger claim on only one of two acceptable candidates keeps the review;
        // stronger claims on both release it.
        let mut b = assigned(
            &[Review, Review],
            &[None, None],
            &[&[(8.0, 0)], &[(3.0, 0), (2.0, 1)]],
        );
        release_lost_claims(&mut b, &cfg);
        assert_eq!(b.man_state, vec![Review, Review]);
        let mut c = assigned(
            &[Review, Review],
            &[None, None],
            &[&[(8.0, 0), (3.5, 1)], &[(3.0, 0), (2.0, 1)]],
        );
        release_lost_claims(&mut c, &cfg);
        assert_eq!(c.man_state, vec![Review, State::Free]);
    }

    #[test]
    fn empty_inputs() {
        let r = reconcile(&[], &[]);
        assert!(r.matches.is_empty() && r.missing_from_intake.is_empty());
        let r = reconcile(&[rec("M-1", "A", "B", "")], &[]);
        assert_eq!(r.missing_from_intake, vec!["M-1"]);
    }
}
