//! The public locator behind one seam, [`Locator`], so that the index can be swapped
//! without touching the routes. [`ScanLocator`] is a simple in-memory scorer over the
//! `persons` projection built on `custodia_linkage::names`; [`LinkageLocator`] wraps the
//! real index, `custodia_linkage::locator::LocatorIndex` (the one `custodia locate` uses),
//! and is what the server serves.

use custodia_linkage::names::{fold, jaro_winkler, tokens};
use custodia_store::queries::LocatorEntry;
use serde::Serialize;

/// A locator query (CONTRACT §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocateQuery {
    pub family: String,
    pub given: Option<String>,
    pub country: String,
    pub dob: Option<jiff::civil::Date>,
    pub limit: usize,
}

/// One hit, exactly as `custodia locate --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LocateHit {
    pub person_id: String,
    pub family_names: String,
    pub given_names: String,
    pub country_of_birth: Option<String>,
    pub year_of_birth: Option<i16>,
    pub facility_id: Option<String>,
    pub status: Option<String>,
    pub score: f64,
}

/// A searchable index of persons.
pub trait Locator: Send + Sync {
    /// Hits, best first, at most `q.limit`.
    fn search(&self, q: &LocateQuery) -> Vec<LocateHit>;

    /// Applies persons changed since the index was built or last updated, and moves its
    /// `today` on. Returns false when this index can only be rebuilt.
    fn update(
        &self,
        _rows: Vec<custodia_store::locator::LocatorRow>,
        _today: jiff::civil::Date,
    ) -> bool {
        false
    }
}

struct Entry {
    e: LocatorEntry,
    family: Vec<String>,
    given: Vec<String>,
    dob: Option<jiff::civil::Date>,
}

/// Scores every person born in the queried country.
pub struct ScanLocator {
    entries: Vec<Entry>,
}

/// How much of `q` (tokens) is found in `t` (tokens), order-free: the mean best
/// Jaro-Winkler of each query token. A missing second family name costs nothing; a moved
/// one neither.
fn cover(q: &[String], t: &[String]) -> f64 {
    if q.is_empty() || t.is_empty() {
        return 0.0;
    }
    let sum: f64 = q
        .iter()
        .map(|a| t.iter().map(|b| jaro_winkler(a, b)).fold(0.0, f64::max))
        .sum();
    sum / q.len() as f64
}

impl ScanLocator {
    /// Builds the index.
    pub fn new(entries: Vec<LocatorEntry>) -> Self {
        let entries = entries
            .into_iter()
            .map(|e| Entry {
                family: tokens(&fold(&e.family_names)),
                given: tokens(&fold(&e.given_names)),
                dob: e.date_of_birth.as_deref().and_then(|d| d.parse().ok()),
                e,
            })
            .collect();
        Self { entries }
    }
}

impl Locator for ScanLocator {
    fn search(&self, q: &LocateQuery) -> Vec<LocateHit> {
        let qf = tokens(&fold(&q.family));
        let qg = q
            .given
            .as_deref()
            .map(|g| tokens(&fold(g)))
            .unwrap_or_default();
        let country = q.country.to_ascii_uppercase();
        let mut hits: Vec<(f64, &Entry)> = self
            .entries
            .iter()
            .filter(|x| x.e.country_of_birth.as_deref() == Some(country.as_str()))
            .filter_map(|x| {
                let straight = {
                    let f = cover(&qf, &x.family);
                    if qg.is_empty() {
                        f
                    } else {
                        0.7 * f + 0.3 * cover(&qg, &x.given)
                    }
                };
                // Given and family names swapped.
                let swapped = {
                    let f = cover(&qf, &x.given);
                    if qg.is_empty() {
                        f * 0.9
                    } else {
                        0.7 * f + 0.3 * cover(&qg, &x.family)
                    }
                } * 0.95;
                let mut score = straight.max(swapped);
                match (q.dob, x.dob) {
                    (Some(a), Some(b)) if a == b => score = (score + 0.1).min(1.0),
                    (Some(a), Some(b)) if a.year() != b.year() => score *= 0.8,
                    _ => {}
                }
                (score >= 0.8).then_some((score, x))
            })
            .collect();
        hits.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| a.1.e.person_id.cmp(&b.1.e.person_id))
        });
        hits.into_iter()
            .take(q.limit)
            .map(|(score, x)| LocateHit {
                person_id: x.e.person_id.clone(),
                family_names: x.e.family_names.clone(),
                given_names: x.e.given_names.clone(),
                country_of_birth: x.e.country_of_birth.clone(),
                year_of_birth: x.dob.map(|d| d.year()),
                facility_id: x.e.facility_id.clone(),
                status: x.e.status.clone(),
                score: (score * 1000.0).round() / 1000.0,
            })
            .collect()
    }
}

/// The locator index of `custodia_linkage` (the same results as `custodia locate --json`),
/// kept current as events arrive: changed persons are upserted, not the index rebuilt.
pub struct LinkageLocator {
    index: std::sync::RwLock<custodia_linkage::locator::LocatorIndex>,
    today: std::sync::RwLock<jiff::civil::Date>,
}

impl LinkageLocator {
    /// Builds the index; `today` decides who is publicly visible (recent releases only).
    pub fn new(entries: Vec<LocatorEntry>, today: jiff::civil::Date) -> Self {
        let index = custodia_linkage::locator::LocatorIndex::build(entries.into_iter().map(|e| {
            custodia_linkage::locator::LocatorEntry {
                date_of_birth: e.date_of_birth.as_deref().and_then(|d| d.parse().ok()),
                status_since: e.status_since.as_deref().and_then(|d| d.parse().ok()),
                person_id: e.person_id,
                family_names: e.family_names,
                given_names: e.given_names,
                country_of_birth: e.country_of_birth,
                facility_id: e.facility_id,
                status: e.status,
            }
        }));
        Self {
            index: std::sync::RwLock::new(index),
            today: std::sync::RwLock::new(today),
        }
    }
}

impl Locator for LinkageLocator {
    fn update(
        &self,
        rows: Vec<custodia_store::locator::LocatorRow>,
        today: jiff::civil::Date,
    ) -> bool {
        let mut index = self
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for r in rows {
            index.upsert(custodia_linkage::locator::LocatorEntry {
                person_id: r.person_id,
                family_names: r.family_names,
                given_names: r.given_names,
                date_of_birth: r.date_of_birth,
                country_of_birth: r.country_of_birth,
                facility_id: r.facility_id,
                status: r.status,
                status_since: r.status_since,
            });
        }
        *self
            .today
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = today;
        true
    }

    fn search(&self, q: &LocateQuery) -> Vec<LocateHit> {
        let lq = custodia_linkage::locator::LocatorQuery {
            family: q.family.clone(),
            given: q.given.clone(),
            country: q.country.clone(),
            dob: q.dob,
            limit: q.limit,
        };
        let today = *self
            .today
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .search(&lq, today)
            .into_iter()
            .map(|h| LocateHit {
                person_id: h.person_id,
                family_names: h.family_names,
                given_names: h.given_names,
                country_of_birth: h.country_of_birth,
                year_of_birth: h.year_of_birth,
                facility_id: h.facility_id,
                status: h.status,
                score: h.score,
            })
            .collect()
    }
}
