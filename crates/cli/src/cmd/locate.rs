//! `custodia locate` (CONTRACT §5): the public locator over the store, with the privacy
//! guards of `custodia_linkage::locator` (no minors, 60 days after a release, at most 10
//! hits, year of birth only).

use custodia_linkage::locator::{DEFAULT_LIMIT, LocatorIndex, LocatorQuery, MAX_LIMIT};

use crate::ctx::{open_store, parse_date, print_json, store_err};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// One or both family names, in any order, as typed.
    #[arg(long, required_unless_present = "id", value_name = "F")]
    pub family: Option<String>,
    /// Given names.
    #[arg(long, value_name = "G")]
    pub given: Option<String>,
    /// Country of birth: an ISO 3166-1 alpha-2 code or a country name in English or
    /// Spanish (with or without accents); or give `--dob` instead.
    #[arg(long, value_name = "C")]
    pub country: Option<String>,
    /// Date of birth, YYYY-MM-DD (a strong signal; never shown back).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub dob: Option<String>,
    /// Hits at most (default 5; more than 10 is clamped to 10).
    #[arg(long, default_value_t = DEFAULT_LIMIT, value_name = "N")]
    pub limit: usize,
    /// One person by id instead of a name search.
    #[arg(long, value_name = "PERSON_ID", conflicts_with_all = ["family", "given", "country", "dob"])]
    pub id: Option<String>,
    /// JSON output (the only output there is; accepted for CONTRACT §5).
    #[arg(long)]
    pub json: bool,
}

pub fn run(db: &str, args: &Args) -> CliResult {
    let mut store = open_store(db)?;
    let today = store.clock().now().to_zoned(jiff::tz::TimeZone::UTC).date();
    if let Some(id) = &args.id {
        let (hits, since) = match store.locator_row(id).map_err(store_err)? {
            Some(row) => {
                let since: std::collections::HashMap<String, Option<jiff::civil::Date>> =
                    [(row.entry.person_id.clone(), row.entry.status_since)].into();
                let hits: Vec<_> = LocatorIndex::build([row.entry])
                    .get(id, today)
                    .into_iter()
                    .collect();
                (hits, since)
            }
            None => (Vec::new(), Default::default()),
        };
        return print_json(&with_whereabouts(&mut store, hits, &since)?);
    }
    let has = |o: &Option<String>| o.as_deref().is_some_and(|x| !x.trim().is_empty());
    let mut missing = Vec::new();
    if !has(&args.family) {
        missing.push("`--family`");
    }
    if !has(&args.given) {
        missing.push("`--given`");
    }
    if !has(&args.country) && args.dob.is_none() {
        missing.push("`--country` or `--dob`");
    }
    if !missing.is_empty() {
        return Err(CliError::input(format!(
            "too vague: a search needs the family name, the given name, and the country or the date of birth; add {}",
            missing.join(", ")
        )));
    }
    let family = args.family.clone().unwrap_or_default();
    let country = match args.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            custodia_model::country::parse(c)
                .ok_or_else(|| {
                    CliError::input(format!(
                        "`--country {c}`: expected an ISO 3166-1 alpha-2 code such as `SV` or a country name such as `El Salvador`"
                    ))
                })?
                .as_str()
                .to_string(),
        ),
    };
    if args.limit == 0 {
        return Err(CliError::input(format!(
            "`--limit 0`: expected 1 to {MAX_LIMIT} (more is clamped to {MAX_LIMIT})"
        )));
    }
    let dob = args
        .dob
        .as_deref()
        .map(|d| parse_date("--dob", d))
        .transpose()?;
    // Only the queried country's persons are read: the index is per country anyway.
    let (rows, _) = store.locator_rows(country.as_deref()).map_err(store_err)?;
    let countries: std::collections::BTreeSet<String> = match &country {
        Some(c) => [c.clone()].into(),
        None => rows
            .iter()
            .filter_map(|r| r.entry.country_of_birth.clone())
            .collect(),
    };
    let since: std::collections::HashMap<String, Option<jiff::civil::Date>> = rows
        .iter()
        .map(|r| (r.entry.person_id.clone(), r.entry.status_since))
        .collect();
    let index = LocatorIndex::build(rows.into_iter().filter(|r| !r.withheld).map(|r| r.entry));
    let mut hits = Vec::new();
    for country in countries {
        hits.extend(index.search(
            &LocatorQuery {
                family: family.clone(),
                given: args.given.clone(),
                country,
                dob,
                limit: args.limit,
            },
            today,
        ));
    }
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.person_id.cmp(&b.person_id))
    });
    hits.truncate(args.limit.min(MAX_LIMIT));
    print_json(&with_whereabouts(&mut store, hits, &since)?)
}

/// The hits as CONTRACT §5 prints them: the listed fields, then `since` (the date of the
/// person's last custody change) and `country`, where the facility holding the person is
/// (the receiving government's, once handed over).
fn with_whereabouts(
    store: &mut custodia_store::Store,
    hits: Vec<custodia_linkage::locator::Hit>,
    since: &std::collections::HashMap<String, Option<jiff::civil::Date>>,
) -> Result<Vec<serde_json::Value>, crate::error::CliError> {
    let countries: std::collections::HashMap<String, String> = store
        .public_facilities()
        .map_err(store_err)?
        .into_iter()
        .map(|f| (f.id, f.country))
        .collect();
    hits.into_iter()
        .map(|h| {
            let mut v =
                serde_json::to_value(&h).map_err(|e| crate::error::CliError::Internal(e.into()))?;
            if let Some(o) = v.as_object_mut() {
                let day = since.get(&h.person_id).copied().flatten();
                o.insert("since".into(), day.map(|d| d.to_string()).into());
                let country = h
                    .facility_id
                    .as_ref()
                    .and_then(|f| countries.get(f))
                    .cloned();
                o.insert("country".into(), country.into());
            }
            Ok(v)
        })
        .collect()
}
