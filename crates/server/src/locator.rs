//! The public locator behind one seam, [`Locator`], so that the index can be swapped
//! without touching the routes. [`LinkageLocator`] wraps the real index,
//! `custodia_linkage::locator::LocatorIndex` (the one `custodia locate` uses), keeps it
//! current as events arrive, never holds a person withheld from the public locator, and
//! remembers where each person is now (the latest transfer) so that a hit can say it.
//!
//! The public rules live here and in `api::run_locate`: a query names a family name, a
//! given name, and a country of birth or a date of birth; at most [`PUBLIC_LIMIT`] hits,
//! none under [`PUBLIC_MIN_SCORE`]; each hit says in words whether the names matched
//! exactly (after folding accents and case) or closely.

use std::collections::{BTreeSet, HashMap};
use std::sync::RwLock;

use custodia_linkage::names::{fold, tokens};
use custodia_model::events::CustodyStatus;
use custodia_store::locator::{LocatorRow, PublicFacility, Transfer};
use serde::Serialize;

/// Public results at most, whatever the query asks (CONTRACT §5).
pub const PUBLIC_LIMIT: usize = 3;

/// The lowest posterior probability a public hit may have: a hit the index itself rates at
/// least one in five to be the person meant (`custodia_linkage::locator::MIN_SCORE`, 0.02,
/// is the index's own floor for staff-style lists). `tests/locator.rs` checks that exact,
/// accent-less and misspelled queries for a known person clear it and that a harvest of
/// the demo world lists at most 2% of visible persons; a calibration against noisy queries
/// (as `custodia_linkage`'s `locator_bench --calibrate` does for its floor) is still owed.
pub const PUBLIC_MIN_SCORE: f64 = 0.2;

/// A locator query (CONTRACT §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocateQuery {
    pub family: String,
    pub given: Option<String>,
    /// ISO 3166-1 alpha-2; with no country, the date of birth is required and every
    /// country is searched.
    pub country: Option<String>,
    pub dob: Option<jiff::civil::Date>,
    pub limit: usize,
}

/// How the names of a hit agree with the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// Every word of the query is a word of the person's names, after folding accents and
    /// case (and the date of birth, when given, is theirs).
    Exact,
    /// A spelling, a missing name or swapped names away.
    Close,
}

/// A facility's public contact information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FacilityContact {
    pub visiting: Option<String>,
    pub consular: Option<String>,
    pub counsel_access: Option<String>,
}

/// One hit: the fields of `custodia locate --json`, then where the person is now.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LocateHit {
    pub person_id: String,
    pub family_names: String,
    pub given_names: String,
    pub country_of_birth: Option<String>,
    pub year_of_birth: Option<i16>,
    /// Where the person is now (the receiving facility once handed over).
    pub facility_id: Option<String>,
    #[schema(value_type = Option<String>)]
    pub status: Option<CustodyStatus>,
    /// Estimated probability that this is the person meant, in [0, 1].
    pub score: f64,
    /// `exact` or `close`.
    #[serde(rename = "match")]
    pub match_kind: MatchKind,
    /// The date of the person's last custody change (YYYY-MM-DD).
    pub since: Option<String>,
    /// The facility's name.
    pub facility_name: Option<String>,
    /// ISO 3166-1 alpha-2 of the country where the person is now.
    pub country: Option<String>,
    /// The government holding the person (ISO 3166-1 alpha-2 of its country).
    pub custodian: Option<String>,
    /// The day of the transfer that took the person there (YYYY-MM-DD), if any.
    pub transferred_on: Option<String>,
    /// After a transfer: whether the receiving facility's intake listed the person. False
    /// means "transferred; arrival not yet confirmed".
    pub arrival_confirmed: Option<bool>,
    /// The facility's public contact information, when published.
    pub contact: Option<FacilityContact>,
}

/// A searchable index of persons.
pub trait Locator: Send + Sync {
    /// Hits, best first, at most `q.limit`, none under [`PUBLIC_MIN_SCORE`], where each
    /// person is now filled in from `facilities`.
    fn search(
        &self,
        q: &LocateQuery,
        facilities: &HashMap<String, PublicFacility>,
    ) -> Vec<LocateHit>;

    /// Applies persons changed since the index was built or last updated, and moves its
    /// `today` on. Returns false when this index can only be rebuilt.
    fn update(&self, _rows: Vec<LocatorRow>, _today: jiff::civil::Date) -> bool {
        false
    }
}

/// What the index does not hold about a person.
#[derive(Debug, Clone)]
struct Extra {
    since: Option<jiff::civil::Date>,
    transfer: Option<Transfer>,
}

/// Whether every word of `q` is a word of `t`, after folding.
fn words_in(q: &str, t: &str) -> bool {
    let t = tokens(&fold(t));
    let q = tokens(&fold(q));
    !q.is_empty() && q.iter().all(|w| t.contains(w))
}

struct Inner {
    index: custodia_linkage::locator::LocatorIndex,
    extra: HashMap<String, Extra>,
    dob: HashMap<String, jiff::civil::Date>,
    countries: BTreeSet<String>,
    today: jiff::civil::Date,
}

/// The locator index of `custodia_linkage` (the same results as `custodia locate --json`),
/// kept current as events arrive: changed persons are upserted, withheld persons removed.
pub struct LinkageLocator {
    inner: RwLock<Inner>,
}

impl LinkageLocator {
    /// Builds the index; `today` decides who is publicly visible (recent releases only).
    pub fn new(rows: Vec<LocatorRow>, today: jiff::civil::Date) -> Self {
        let rows: Vec<LocatorRow> = rows.into_iter().filter(|r| !r.withheld).collect();
        let index =
            custodia_linkage::locator::LocatorIndex::build(rows.iter().map(|r| r.entry.clone()));
        let mut extra = HashMap::with_capacity(rows.len());
        let mut dob = HashMap::with_capacity(rows.len());
        let mut countries = BTreeSet::new();
        for r in rows {
            if let Some(c) = &r.entry.country_of_birth {
                countries.insert(c.clone());
            }
            if let Some(d) = r.entry.date_of_birth {
                dob.insert(r.entry.person_id.clone(), d);
            }
            extra.insert(
                r.entry.person_id,
                Extra {
                    since: r.entry.status_since,
                    transfer: r.transfer,
                },
            );
        }
        Self {
            inner: RwLock::new(Inner {
                index,
                extra,
                dob,
                countries,
                today,
            }),
        }
    }
}

impl Locator for LinkageLocator {
    fn update(&self, rows: Vec<LocatorRow>, today: jiff::civil::Date) -> bool {
        let mut g = self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for r in rows {
            if r.withheld {
                // INVARIANT: a withheld person is in neither the index nor its side maps.
                let _ = g.index.remove(&r.entry.person_id);
                g.extra.remove(&r.entry.person_id);
                g.dob.remove(&r.entry.person_id);
                continue;
            }
            g.index.upsert(r.entry.clone());
            if let Some(c) = &r.entry.country_of_birth {
                g.countries.insert(c.clone());
            }
            match r.entry.date_of_birth {
                Some(d) => g.dob.insert(r.entry.person_id.clone(), d),
                None => g.dob.remove(&r.entry.person_id),
            };
            g.extra.insert(
                r.entry.person_id,
                Extra {
                    since: r.entry.status_since,
                    transfer: r.transfer,
                },
            );
        }
        g.today = today;
        true
    }

    fn search(
        &self,
        q: &LocateQuery,
        facilities: &HashMap<String, PublicFacility>,
    ) -> Vec<LocateHit> {
        let g = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let limit = q.limit.clamp(1, PUBLIC_LIMIT);
        let countries: Vec<String> = match &q.country {
            Some(c) => vec![c.clone()],
            // INVARIANT: without a country the date of birth is required (checked by the
            // caller), so each country's search is narrowed by it.
            None if q.dob.is_some() => g.countries.iter().cloned().collect(),
            None => Vec::new(),
        };
        let mut hits: Vec<custodia_linkage::locator::Hit> = Vec::new();
        for country in countries {
            let lq = custodia_linkage::locator::LocatorQuery {
                family: q.family.clone(),
                given: q.given.clone(),
                country,
                dob: q.dob,
                limit,
            };
            hits.extend(
                g.index
                    .search(&lq, g.today)
                    .into_iter()
                    .filter(|h| h.score >= PUBLIC_MIN_SCORE),
            );
        }
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.person_id.cmp(&b.person_id))
        });
        hits.truncate(limit);
        hits.into_iter()
            .map(|h| {
                let x = g.extra.get(&h.person_id);
                let transfer = x.and_then(|x| x.transfer.clone());
                // Once handed over and not yet admitted, the person is where the flight
                // went, not where it left from.
                let facility_id = match (&transfer, h.status) {
                    (Some(t), Some(CustodyStatus::Transferred)) => Some(t.to_facility.clone()),
                    _ => h.facility_id.clone(),
                };
                let fac = facility_id.as_deref().and_then(|f| facilities.get(f));
                let arrival_confirmed = transfer.as_ref().map(|t| {
                    !t.missing_from_intake && h.status != Some(CustodyStatus::Transferred)
                });
                let exact = words_in(&q.family, &h.family_names)
                    && q.given
                        .as_deref()
                        .is_none_or(|gv| words_in(gv, &h.given_names))
                    && q.dob
                        .is_none_or(|d| g.dob.get(&h.person_id).is_some_and(|x| *x == d));
                let contact = fac.and_then(|f| {
                    (f.visiting.is_some() || f.consular.is_some() || f.counsel_access.is_some())
                        .then(|| FacilityContact {
                            visiting: f.visiting.clone(),
                            consular: f.consular.clone(),
                            counsel_access: f.counsel_access.clone(),
                        })
                });
                LocateHit {
                    person_id: h.person_id,
                    family_names: h.family_names,
                    given_names: h.given_names,
                    country_of_birth: h.country_of_birth,
                    year_of_birth: h.year_of_birth,
                    facility_id,
                    status: h.status,
                    score: h.score,
                    match_kind: if exact {
                        MatchKind::Exact
                    } else {
                        MatchKind::Close
                    },
                    since: x.and_then(|x| x.since).map(|d| d.to_string()),
                    facility_name: fac.map(|f| f.name.clone()),
                    country: fac.map(|f| f.country.clone()),
                    custodian: fac.map(|f| f.country.clone()),
                    transferred_on: transfer
                        .as_ref()
                        .and_then(|t| t.departed_on)
                        .map(|d| d.to_string()),
                    arrival_confirmed,
                    contact,
                }
            })
            .collect()
    }
}

/// One person as staff search them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffEntry {
    pub person_id: String,
    pub family_names: String,
    pub given_names: String,
    pub country_of_birth: Option<String>,
    pub facility_id: Option<String>,
    pub status: Option<CustodyStatus>,
    /// Folded name words, family first.
    words: Vec<String>,
    /// Folded family names, for ordering.
    key: String,
}

/// Every person (withheld or not: staff see everyone their role allows), searched with the
/// locator's name folding: each word of the query must begin a word of the person's names
/// after folding accents and case, or the query must be the person's id.
#[derive(Default)]
pub struct StaffNames {
    by_id: RwLock<HashMap<String, StaffEntry>>,
}

impl StaffNames {
    /// Adds or replaces persons.
    pub fn upsert(&self, rows: &[LocatorRow]) {
        let mut m = self
            .by_id
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for r in rows {
            let mut words = tokens(&fold(&r.entry.family_names));
            words.extend(tokens(&fold(&r.entry.given_names)));
            m.insert(
                r.entry.person_id.clone(),
                StaffEntry {
                    person_id: r.entry.person_id.clone(),
                    family_names: r.entry.family_names.clone(),
                    given_names: r.entry.given_names.clone(),
                    country_of_birth: r.entry.country_of_birth.clone(),
                    facility_id: r.entry.facility_id.clone(),
                    status: r.entry.status,
                    words,
                    key: fold(&r.entry.family_names),
                },
            );
        }
    }

    /// Page `page` (from 0) of `per_page` matches of `q` (only persons at `facility` when
    /// given), ordered by folded family names then id, and whether there is a next page.
    pub fn search(
        &self,
        q: &str,
        facility: Option<&str>,
        page: usize,
        per_page: usize,
    ) -> (Vec<StaffEntry>, bool) {
        let m = self
            .by_id
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let qw = tokens(&fold(q));
        let id = q.trim();
        let mut hits: Vec<&StaffEntry> = m
            .values()
            .filter(|e| facility.is_none_or(|f| e.facility_id.as_deref() == Some(f)))
            .filter(|e| {
                e.person_id == id
                    || qw
                        .iter()
                        .all(|w| e.words.iter().any(|x| x.starts_with(w.as_str())))
            })
            .collect();
        hits.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then_with(|| a.person_id.cmp(&b.person_id))
        });
        let start = page.saturating_mul(per_page);
        let more = hits.len() > start.saturating_add(per_page);
        (
            hits.into_iter()
                .skip(start)
                .take(per_page)
                .cloned()
                .collect(),
            more,
        )
    }
}
