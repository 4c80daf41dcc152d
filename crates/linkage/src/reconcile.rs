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
//! family and given names (`log2(u_level / f(value))`, bounded), and its score is the
//! posterior probability `1 / (1 + 2^-weight)`. `u` comes from random pairs drawn within
//! each file (two rows of one file are two different people, so the sample is clean of true
//! matches), smoothed toward priors. `m` starts from priors and is refined by EM over the
//! blocked candidate pairs, with the priors as pseudo-counts so a 20-person flight cannot
//! drive a probability to 0 or 1.

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
pub const FAMILY_LEVELS: [&str; 8] = [
    "exact",
    "both close (typing errors)",
    "first and second swapped",
    "one side has one family name, found in the other",
    "first agrees, second differs",
    "one name shared in another position",
    "similar (jaro-winkler >= 0.88)",
    "different",
];
/// Given-name levels, strongest first.
pub const GIVEN_LEVELS: [&str; 6] = [
    "exact",
    "first exact, other names dropped or differ",
    "first close (typing error or phonetic)",
    "first found among the other's given names",
    "first similar (jaro-winkler >= 0.88)",
    "different",
];
/// Date-of-birth levels.
pub const DOB_LEVELS: [&str; 5] = [
    "exact",
    "day and month swapped",
    "one digit wrong",
    "same year",
    "different",
];
/// Document-number levels.
pub const DOC_LEVELS: [&str; 3] = ["exact", "one edit", "different"];
/// Sex and nationality levels.
pub const EQ_LEVELS: [&str; 2] = ["agree", "disagree"];

const LEVELS: [usize; FIELDS] = [8, 6, 5, 3, 2, 2];

/// Prior m probabilities: what a clerk's copy of the same person looks like. They seed EM
/// and act as pseudo-counts (weight [`M_PRIOR_WEIGHT`]). Typing studies of hand-keyed names
/// put one or two errors in roughly 5-15% of names; transposed day and month in 1-3% of
/// dates; the rest follows the noise the issue lists.
const M_PRIOR: [&[f64]; FIELDS] = [
    &[0.70, 0.08, 0.04, 0.10, 0.03, 0.02, 0.02, 0.01],
    &[0.78, 0.08, 0.08, 0.02, 0.03, 0.01],
    &[0.90, 0.03, 0.045, 0.01, 0.015],
    &[0.95, 0.03, 0.02],
    &[0.985, 0.015],
    &[0.96, 0.04],
];
/// Prior u probabilities (random pairs of different people in a Central American
/// population); the within-file sample refines them with weight [`U_PRIOR_WEIGHT`].
const U_PRIOR: [&[f64]; FIELDS] = [
    &[0.0004, 0.0002, 0.00004, 0.0008, 0.003, 0.02, 0.01, 0.96556],
    &[0.006, 0.004, 0.004, 0.003, 0.02, 0.963],
    &[0.00007, 0.00005, 0.0006, 0.022, 0.97728],
    &[0.00001, 0.0001, 0.99989],
    &[0.6, 0.4],
    &[0.3, 0.7],
];
const M_PRIOR_WEIGHT: f64 = 20.0;
const U_PRIOR_WEIGHT: f64 = 200.0;
/// Bounds on one term-frequency adjustment, in bits, so one very rare or very common name
/// cannot decide a pair on its own (Splink bounds it similarly through `u` floors).
const TF_MIN_BITS: f64 = -3.0;
const TF_MAX_BITS: f64 = 5.0;

// ---------------------------------------------------------------------------------------
// Prepared records.

/// A small multiplicative hasher (the one rustc uses) for integer keys: the default SipHash
/// is built to resist hash flooding, which integer keys we produce ourselves do not need.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxBuild = std::hash::BuildHasherDefault<FxHasher>;
type FxMap<K, V> = HashMap<K, V, FxBuild>;

#[derive(Debug, Clone)]
struct Prep {
    fam: Vec<u32>,
    giv: Vec<u32>,
    dob: Option<(i16, i8, i8)>,
    /// The date of birth as the 8 digits of YYYYMMDD, for one-digit typos.
    dob_digits: Option<[u8; 8]>,
    sex: Option<u32>,
    nat: Option<u32>,
    doc: Option<String>,
}

/// Token interner with phonetic keys and per-role frequencies.
#[derive(Default)]
struct Vocab {
    ids: HashMap<String, u32>,
    words: Vec<String>,
    phon: Vec<String>,
    fam_count: Vec<u32>,
    giv_count: Vec<u32>,
    fam_total: u64,
    giv_total: u64,
    /// Token pairs already compared: names repeat, so most comparisons are lookups.
    cache: std::cell::RefCell<FxMap<u64, TokenAgreement>>,
}

impl Vocab {
    fn intern(&mut self, w: &str) -> u32 {
        if let Some(&id) = self.ids.get(w) {
            return id;
        }
        let id = u32::try_from(self.words.len()).unwrap_or(u32::MAX);
        self.ids.insert(w.to_string(), id);
        self.words.push(w.to_string());
        self.phon.push(names::phonetic(w));
        self.fam_count.push(0);
        self.giv_count.push(0);
        id
    }

    fn agree(&self, a: u32, b: u32) -> TokenAgreement {
        if a == b {
            return TokenAgreement::Exact;
        }
        let key = if a < b {
            (u64::from(a) << 32) | u64::from(b)
        } else {
            (u64::from(b) << 32) | u64::from(a)
        };
        if let Some(&g) = self.cache.borrow().get(&key) {
            return g;
        }
        let g = self.agree_uncached(a, b);
        self.cache.borrow_mut().insert(key, g);
        g
    }

    fn agree_uncached(&self, a: u32, b: u32) -> TokenAgreement {
        let (wa, wb) = (&self.words[a as usize], &self.words[b as usize]);
        let jw = strsim::jaro_winkler(wa, wb);
        if jw >= 0.94
            || self.phon[a as usize] == self.phon[b as usize]
            || (wa.len() > 3 && wb.len() > 3 && strsim::damerau_levenshtein(wa, wb) <= 1)
        {
            return TokenAgreement::Close;
        }
        if jw >= 0.88 {
            return TokenAgreement::Similar;
        }
        TokenAgreement::Different
    }

    fn freq(&self, id: u32, family: bool) -> f64 {
        let (c, t) = if family {
            (self.fam_count[id as usize], self.fam_total)
        } else {
            (self.giv_count[id as usize], self.giv_total)
        };
        (f64::from(c.max(1))) / (t.max(1) as f64)
    }
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
                sex: r.sex.as_deref().map(&mut small_id),
                nat: r.nationality.as_deref().map(&mut small_id),
                doc,
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

/// Family-name level of token lists `a` and `b`, with the exactly agreeing tokens.
fn family_level(v: &Vocab, a: &[u32], b: &[u32]) -> (u8, [u32; 2]) {
    use TokenAgreement::{Close, Exact, Similar};
    if a.is_empty() || b.is_empty() {
        return (NULL, [NONE; 2]);
    }
    if a == b {
        return (0, [a[0], a.get(1).copied().unwrap_or(NONE)]);
    }
    if a.len() >= 2 && b.len() >= 2 {
        let f = v.agree(a[0], b[0]);
        let s = v.agree(a[1], b[1]);
        if at_least(f, Close) && at_least(s, Close) {
            return (1, tf_of(&[(a[0], b[0]), (a[1], b[1])]));
        }
        let x1 = v.agree(a[0], b[1]);
        let x2 = v.agree(a[1], b[0]);
        if at_least(x1, Close) && at_least(x2, Close) {
            return (2, tf_of(&[(a[0], b[1]), (a[1], b[0])]));
        }
        if at_least(f, Close) {
            return (4, tf_of(&[(a[0], b[0])]));
        }
        if at_least(x1, Close) || at_least(x2, Close) || at_least(s, Close) {
            let pair = if at_least(x1, Close) {
                (a[0], b[1])
            } else if at_least(x2, Close) {
                (a[1], b[0])
            } else {
                (a[1], b[1])
            };
            return (5, tf_of(&[pair]));
        }
        if at_least(f, Similar) && at_least(s, Similar) {
            return (6, [NONE; 2]);
        }
        return (7, [NONE; 2]);
    }
    // One side has a single family name: dropped second (or first) family name.
    let (one, many) = if a.len() == 1 { (a[0], b) } else { (b[0], a) };
    let mut best = TokenAgreement::Different;
    let mut best_tok = one;
    for &t in many {
        let g = v.agree(one, t);
        if g > best {
            best = g;
            best_tok = t;
        }
    }
    if many.len() == 1 {
        // Both single: exact handled above.
        return match best {
            Exact | Close => (1, [NONE; 2]),
            Similar => (6, [NONE; 2]),
            TokenAgreement::Different => (7, [NONE; 2]),
        };
    }
    match best {
        Exact => (3, [best_tok, NONE]),
        Close => (3, [NONE; 2]),
        Similar => (6, [NONE; 2]),
        TokenAgreement::Different => (7, [NONE; 2]),
    }
}

/// Given-name level of token lists `a` and `b`, with the exactly agreeing first name.
fn given_level(v: &Vocab, a: &[u32], b: &[u32]) -> (u8, Option<u32>) {
    use TokenAgreement::{Close, Exact, Similar};
    if a.is_empty() || b.is_empty() {
        return (NULL, None);
    }
    if a == b {
        return (0, Some(a[0]));
    }
    let f = v.agree(a[0], b[0]);
    if f == Exact {
        return (1, Some(a[0]));
    }
    if f == Close {
        return (2, None);
    }
    // A first name found among the other's other names (a clerk used the middle name).
    let cross = a.iter().skip(1).any(|&t| at_least(v.agree(t, b[0]), Close))
        || b.iter().skip(1).any(|&t| at_least(v.agree(a[0], t), Close));
    if cross {
        return (3, None);
    }
    if f == Similar {
        return (4, None);
    }
    (5, None)
}

fn dob_level(a: &Prep, b: &Prep) -> u8 {
    let (Some(x), Some(y), Some(da), Some(db)) = (a.dob, b.dob, a.dob_digits, b.dob_digits) else {
        return NULL;
    };
    if x == y {
        return 0;
    }
    if x.0 == y.0 && x.1 == y.2 && x.2 == y.1 {
        return 1;
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
        return 3;
    }
    4
}

fn doc_level(a: Option<&str>, b: Option<&str>) -> u8 {
    let (Some(a), Some(b)) = (a, b) else {
        return NULL;
    };
    if a == b {
        0
    } else if strsim::damerau_levenshtein(a, b) <= 1 {
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
    let (f1, t1) = family_level(v, &a.fam, &b.fam);
    let (g1, tg1) = given_level(v, &a.giv, &b.giv);
    // The swapped orientation cannot beat a normal one where both fields already agree.
    let strong = f1 <= 2 && g1 <= 2;
    let (fam, tf_fam, giv, tf_giv) = if strong {
        (f1, t1, g1, tg1)
    } else {
        let (f2, t2) = family_level(v, &a.fam, &b.giv);
        let (g2, tg2) = given_level(v, &a.giv, &b.fam);
        if orientation_score(f2, g2) > orientation_score(f1, g1) + 1.0 {
            (f2, t2, g2, tg2)
        } else {
            (f1, t1, g1, tg1)
        }
    };
    let mut lv = [NULL; FIELDS];
    lv[FAM] = fam;
    lv[GIV] = giv;
    lv[DOB] = dob_level(a, b);
    lv[DOC] = doc_level(a.doc.as_deref(), b.doc.as_deref());
    lv[SEX] = eq_level(a.sex, b.sex);
    lv[NAT] = eq_level(a.nat, b.nat);
    Cmp { lv, tf_fam, tf_giv }
}

// ---------------------------------------------------------------------------------------
// The model.

/// Trained m and u probabilities, per field and level.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// m[field][level].
    pub m: Vec<Vec<f64>>,
    /// u[field][level].
    pub u: Vec<Vec<f64>>,
    /// Prior probability that a random manifest × intake pair is a match.
    pub lambda: f64,
    /// Mean u of an exact family-name token and given-name token agreement (for TF).
    tf_base_fam: f64,
    tf_base_giv: f64,
}

impl Model {
    fn bayes_factor_bits(&self, c: &Cmp) -> f64 {
        let mut w = 0.0;
        for f in 0..FIELDS {
            let l = c.lv[f];
            if l != NULL {
                w += (self.m[f][l as usize] / self.u[f][l as usize]).log2();
            }
        }
        w
    }

    fn weight(&self, v: &Vocab, c: &Cmp) -> f64 {
        let mut w = (self.lambda / (1.0 - self.lambda)).log2() + self.bayes_factor_bits(c);
        for &t in c.tf_fam.iter().filter(|&&t| t != NONE) {
            w += (self.tf_base_fam / v.freq(t, true))
                .log2()
                .clamp(TF_MIN_BITS, TF_MAX_BITS);
        }
        if let Some(t) = c.tf_giv {
            w += (self.tf_base_giv / v.freq(t, false))
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
fn estimate_u(v: &Vocab, man: &[Prep], int: &[Prep], cfg: &Config) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = LEVELS.iter().map(|&n| vec![0.0; n]).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    for side in [man, int] {
        let n = side.len();
        if n < 2 {
            continue;
        }
        let all_pairs = n * (n - 1) / 2;
        if all_pairs <= cfg.u_sample_pairs / 2 {
            for i in 0..n {
                for j in (i + 1)..n {
                    add_counts(&mut counts, &compare(v, &side[i], &side[j]));
                }
            }
        } else {
            for _ in 0..cfg.u_sample_pairs / 2 {
                let i = rng.gen_range(0..n);
                let mut j = rng.gen_range(0..n - 1);
                if j >= i {
                    j += 1;
                }
                add_counts(&mut counts, &compare(v, &side[i], &side[j]));
            }
        }
    }
    counts
        .iter()
        .enumerate()
        .map(|(f, c)| {
            let total: f64 = c.iter().sum();
            c.iter()
                .enumerate()
                .map(|(l, &k)| (k + U_PRIOR_WEIGHT * U_PRIOR[f][l]) / (total + U_PRIOR_WEIGHT))
                .collect()
        })
        .collect()
}

fn add_counts(counts: &mut [Vec<f64>], c: &Cmp) {
    for f in 0..FIELDS {
        if c.lv[f] != NULL {
            counts[f][c.lv[f] as usize] += 1.0;
        }
    }
}

/// m by EM with a leave-one-field-out E-step (u fixed, priors as pseudo-counts).
///
/// Plain EM over blocked pairs drifts: blocking selects pairs that already agree on names,
/// so name-alike non-matches (namesakes, siblings) pull `m` toward disagreement on the other
/// fields. Here the m of field `f` is learnt only from pairs whose posterior *without* `f`
/// is confident; under the Fellegi–Sunter assumption (fields independent given the match
/// status) the levels of `f` among those pairs are an unbiased sample of its m, the same
/// reason Splink trains each comparison in a session blocked on the others.
fn estimate_m(cmps: &[Cmp], u: &[Vec<f64>], expected_matches: f64, cfg: &Config) -> Vec<Vec<f64>> {
    let mut m: Vec<Vec<f64>> = M_PRIOR.iter().map(|p| p.to_vec()).collect();
    let n = cmps.len().max(1) as f64;
    let prior = {
        let lam = (expected_matches / n).clamp(1e-9, 0.5);
        (lam / (1.0 - lam)).log2()
    };
    for _ in 0..cfg.em_iterations {
        let bits: Vec<Vec<f64>> = (0..FIELDS)
            .map(|f| (0..LEVELS[f]).map(|l| (m[f][l] / u[f][l]).log2()).collect())
            .collect();
        let mut acc: Vec<Vec<f64>> = LEVELS.iter().map(|&k| vec![0.0; k]).collect();
        for c in cmps {
            let mut per = [0.0f64; FIELDS];
            let mut total = prior;
            for f in 0..FIELDS {
                let l = c.lv[f];
                if l != NULL {
                    per[f] = bits[f][l as usize];
                    total += per[f];
                }
            }
            for f in 0..FIELDS {
                let l = c.lv[f];
                if l != NULL {
                    let p = prob(total - per[f]);
                    if p >= 0.99 {
                        acc[f][l as usize] += p;
                    }
                }
            }
        }
        for f in 0..FIELDS {
            let tot: f64 = acc[f].iter().sum();
            for l in 0..LEVELS[f] {
                m[f][l] = ((acc[f][l] + M_PRIOR_WEIGHT * M_PRIOR[f][l]) / (tot + M_PRIOR_WEIGHT))
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
fn block_keys(v: &Vocab, p: &Prep) -> Vec<(u64, Key)> {
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
    let mut ph: Vec<&str> = p
        .fam
        .iter()
        .chain(p.giv.iter())
        .map(|&t| v.phon[t as usize].as_str())
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
fn candidate_pairs(v: &Vocab, man: &[Prep], int: &[Prep], cfg: &Config) -> Vec<(u32, u32)> {
    let mut index: FxMap<u64, Vec<u32>> = FxMap::default();
    for (j, p) in int.iter().enumerate() {
        for (k, _) in block_keys(v, p) {
            index
                .entry(k)
                .or_default()
                .push(u32::try_from(j).unwrap_or(u32::MAX));
        }
    }
    let mut pairs = Vec::new();
    let mut cand: Vec<u32> = Vec::new();
    for (i, p) in man.iter().enumerate() {
        cand.clear();
        for (k, kind) in block_keys(v, p) {
            if let Some(b) = index.get(&k) {
                // Broad keys are fallbacks for heavy noise; when they are common (García
                // José, García 1990) the refined keys already hold the true pair.
                let cap = match kind {
                    Key::Wide => cfg.max_block,
                    Key::Pair => cfg.max_block / 8,
                    Key::Narrow => cfg.max_block / 16,
                };
                if b.len() <= cap {
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

/// Reconciles with an explicit configuration, returning diagnostics too.
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
    let cmps: Vec<Cmp> = pairs
        .iter()
        .map(|&(i, j)| compare(&vocab, &man[i as usize], &int[j as usize]))
        .collect();
    let expected = (man.len().min(int.len()) as f64) * 0.95;
    let m = estimate_m(&cmps, &u, expected.max(1.0), cfg);
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

    let weights: Vec<f64> = cmps.iter().map(|c| model.weight(&vocab, c)).collect();
    let result = assign(manifest, intake, &pairs, &weights, cfg);
    (
        result,
        Diagnostics {
            candidate_pairs: pairs.len(),
            model,
        },
    )
}

/// One-to-one assignment: edges in descending weight; an edge is taken unless exchanging it
/// with a competitor's (the runner-up of either endpoint) costs less than the margin, in
/// which case the manifest record goes to review and its contested intake records are held
/// back from later matches.
fn assign(
    manifest: &[Record],
    intake: &[Record],
    pairs: &[(u32, u32)],
    weights: &[f64],
    cfg: &Config,
) -> Reconciliation {
    let logit = |p: f64| (p / (1.0 - p)).log2();
    let w_match = logit(cfg.match_threshold);
    let w_cand = logit(cfg.candidate_threshold);
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
    edges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));

    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Free,
        Matched,
        Review,
    }
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

    let mut out = Reconciliation {
        matches: Vec::new(),
        missing_from_intake: Vec::new(),
        unexpected_in_intake: Vec::new(),
        needs_review: Vec::new(),
    };
    for (iu, r) in manifest.iter().enumerate() {
        match man_state[iu] {
            State::Matched => {
                if let Some((j, w)) = matched[iu] {
                    out.matches.push(Match {
                        manifest_id: r.record_id.clone(),
                        intake_id: intake[j as usize].record_id.clone(),
                        score: round4(prob(w)),
                    });
                }
            }
            State::Review => {
                let candidates = by_man[iu]
                    .iter()
                    .take(5)
                    .map(|&(w, j)| Candidate {
                        intake_id: intake[j as usize].record_id.clone(),
                        score: round4(prob(w)),
                    })
                    .collect();
                out.needs_review.push(Review {
                    manifest_id: r.record_id.clone(),
                    candidates,
                });
            }
            State::Free => out.missing_from_intake.push(r.record_id.clone()),
        }
    }
    for (ju, r) in intake.iter().enumerate() {
        if int_state[ju] != State::Matched {
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
        assert_eq!(dob_level(&d("1990-03-04"), &d("1990-07-24")), 3);
        assert_eq!(dob_level(&d("1990-03-04"), &d("1975-07-24")), 4);
        assert_eq!(dob_level(&d(""), &d("1975-07-24")), NULL);
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
    fn empty_inputs() {
        let r = reconcile(&[], &[]);
        assert!(r.matches.is_empty() && r.missing_from_intake.is_empty());
        let r = reconcile(&[rec("M-1", "A", "B", "")], &[]);
        assert_eq!(r.missing_from_intake, vec!["M-1"]);
    }
}
