//! Dated parameters, OpenFisca style: each value is in force from a start date until the
//! next one. The defaults ship in `params/default.toml`; `--params FILE` replaces them.

use std::fmt::Write as _;
use std::sync::OnceLock;

use custodia_model::legal::CountryCode;
use jiff::civil::Date;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The parameter file shipped with the project.
pub const DEFAULT_PARAMS_TOML: &str = include_str!("../params/default.toml");

/// A parameter file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// The file is not TOML, misses a parameter, or has a key this format does not define.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// A value that parses but cannot be right (dates out of order, a bad country code).
    #[error("parameter `{key}`: {message}")]
    Invalid { key: String, message: String },
}

/// A parameter whose value changes over time.
#[derive(Debug, Clone, PartialEq)]
pub struct Dated<T> {
    /// `(from, value)`, with strictly increasing `from`.
    values: Vec<(Date, T)>,
}

impl<T: Copy> Dated<T> {
    /// The value in force on `on`: the one with the latest `from` ≤ `on`; `None` before the
    /// first.
    pub fn at(&self, on: Date) -> Option<T> {
        let n = self.values.partition_point(|(from, _)| *from <= on);
        n.checked_sub(1)
            .and_then(|i| self.values.get(i))
            .map(|(_, v)| *v)
    }

    /// Every `(from, value)` pair, oldest first.
    pub fn values(&self) -> &[(Date, T)] {
        &self.values
    }
}

/// An Alien Enemies Act designation of a nationality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Designation {
    pub nationality: CountryCode,
    pub from: Date,
    /// Last day in force, inclusive.
    pub to: Option<Date>,
    pub reference: Option<String>,
}

impl Designation {
    /// In force on `on`: `from` ≤ `on` ≤ `to`.
    pub fn in_force(&self, on: Date) -> bool {
        self.from <= on && self.to.is_none_or(|to| on <= to)
    }
}

/// Whom an agreement accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Nationals,
    ThirdCountryNationals,
    SentencedPrisoners,
    AsylumSeekers,
}

impl Category {
    /// The parameter-file name, e.g. `third_country_nationals`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nationals => "nationals",
            Self::ThirdCountryNationals => "third_country_nationals",
            Self::SentencedPrisoners => "sentenced_prisoners",
            Self::AsylumSeekers => "asylum_seekers",
        }
    }
}

/// A facility an agreement names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementFacility {
    pub id: String,
    /// The facility holds adults only (the `minor` rule applies whatever a request says).
    pub adult_only: bool,
}

/// A transfer agreement with a destination country (and facilities).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub id: String,
    pub destination: CountryCode,
    /// Empty: every facility in `destination`.
    pub facilities: Vec<AgreementFacility>,
    pub from: Date,
    /// Last day in force, inclusive.
    pub until: Option<Date>,
    pub accepts: Vec<Category>,
    pub reference: Option<String>,
}

impl Agreement {
    /// In force on `on`: `from` ≤ `on` and (no `until`, or `until` ≥ `on`).
    pub fn in_force(&self, on: Date) -> bool {
        self.from <= on && self.until.is_none_or(|until| on <= until)
    }

    /// Covers facility `f` (every facility when it names none).
    pub fn covers(&self, f: &str) -> bool {
        self.facilities.is_empty() || self.facilities.iter().any(|x| x.id == f)
    }
}

/// One party to a treaty on the transfer of sentenced persons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreatyParty {
    pub country: CountryCode,
    pub from: Date,
    /// Last day in force, inclusive.
    pub until: Option<Date>,
}

/// A treaty on the transfer of sentenced persons (18 U.S.C. § 4100(a)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Treaty {
    pub id: String,
    pub name: String,
    /// The day it entered into force for the US.
    pub us_from: Date,
    pub parties: Vec<TreatyParty>,
    pub reference: Option<String>,
}

impl Treaty {
    /// In force between the US and `country` on `on`: for the US, and for that party.
    pub fn in_force_with(&self, country: CountryCode, on: Date) -> bool {
        self.us_from <= on
            && self
                .parties
                .iter()
                .any(|p| p.country == country && p.from <= on && p.until.is_none_or(|u| on <= u))
    }
}

/// Every parameter of the rules, with its dated values.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub rules_version: String,
    pub third_country_notice_days: Dated<u32>,
    pub aea_notice_days: Dated<u32>,
    pub fear_review_days: Dated<u32>,
    pub aea_min_age: Dated<u32>,
    pub adult_age: Dated<u32>,
    pub min_m2_per_person: Dated<f64>,
    pub aea_designations: Vec<Designation>,
    pub agreements: Vec<Agreement>,
    pub transfer_treaties: Vec<Treaty>,
}

impl Default for Params {
    fn default() -> Self {
        Self::builtin().clone()
    }
}

impl Params {
    /// The parameters shipped with the project (`params/default.toml`), parsed once.
    pub fn builtin() -> &'static Params {
        static BUILTIN: OnceLock<Params> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            #[expect(
                clippy::expect_used,
                reason = "the embedded file is fixed at compile time and checked by the test `builtin_params_parse`"
            )]
            Params::from_toml_str(DEFAULT_PARAMS_TOML).expect("built-in parameters are valid")
        })
    }

    /// Parses a parameter file. Every parameter is required and an unknown key is an error
    /// naming it; `rules_version` is the file's `version`, `+`, and the first 12 hex digits
    /// of the SHA-256 of `text`.
    pub fn from_toml_str(text: &str) -> Result<Self, ParamsError> {
        let raw: RawParams = toml::from_str(text).map_err(|e| syntax_error(text, &e))?;
        let digest = Sha256::digest(text.as_bytes());
        let mut rules_version = raw.version.clone();
        rules_version.push('+');
        for b in digest.iter().take(6) {
            let _ = write!(rules_version, "{b:02x}");
        }
        Ok(Params {
            rules_version,
            third_country_notice_days: raw
                .third_country_notice_days
                .dated("third_country_notice_days")?,
            aea_notice_days: raw.aea_notice_days.dated("aea_notice_days")?,
            fear_review_days: raw.fear_review_days.dated("fear_review_days")?,
            aea_min_age: raw.aea_min_age.dated("aea_min_age")?,
            adult_age: raw.adult_age.dated("adult_age")?,
            min_m2_per_person: {
                let d = raw.min_m2_per_person.dated("min_m2_per_person")?;
                if let Some((_, v)) = d.values.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
                    return Err(invalid(
                        "min_m2_per_person",
                        format!("value `{v}`, expected a positive number"),
                    ));
                }
                d
            },
            aea_designations: raw
                .aea_designations
                .into_iter()
                .enumerate()
                .map(|(i, d)| d.check(i))
                .collect::<Result<_, _>>()?,
            agreements: raw
                .agreements
                .into_iter()
                .enumerate()
                .map(|(i, a)| a.check(i))
                .collect::<Result<_, _>>()?,
            transfer_treaties: raw
                .transfer_treaties
                .into_iter()
                .enumerate()
                .map(|(i, t)| t.check(i))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether any agreement marks facility `f` adult only (whatever its dates or
    /// destination: legal-rules `minor`).
    pub fn adult_only_facility(&self, f: &str) -> bool {
        self.agreements
            .iter()
            .any(|a| a.facilities.iter().any(|x| x.adult_only && x.id == f))
    }

    /// A treaty in force with `country` on `on`, if any.
    pub fn treaty_with(&self, country: CountryCode, on: Date) -> Option<&Treaty> {
        self.transfer_treaties
            .iter()
            .find(|t| t.in_force_with(country, on))
    }

    /// The Alien Enemies Act designation in force on `on` for `nationality`, if any.
    pub fn designation(&self, nationality: CountryCode, on: Date) -> Option<&Designation> {
        self.aea_designations
            .iter()
            .find(|d| d.nationality == nationality && d.in_force(on))
    }
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ParamsError {
    ParamsError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

fn syntax_error(text: &str, e: &toml::de::Error) -> ParamsError {
    let start = e.span().map_or(0, |s| s.start).min(text.len());
    let before = text.get(..start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    ParamsError::Syntax {
        line,
        column,
        message: e.message().trim().to_owned(),
    }
}

fn toml_date(key: &str, d: &toml::value::Datetime) -> Result<Date, ParamsError> {
    match (d.date, d.time, d.offset) {
        (Some(date), None, None) => {
            let month = i8::try_from(date.month).unwrap_or(0);
            let day = i8::try_from(date.day).unwrap_or(0);
            let year = i16::try_from(date.year).unwrap_or(0);
            Date::new(year, month, day)
                .map_err(|_| invalid(key, format!("`{d}` is not a calendar date")))
        }
        _ => Err(invalid(
            key,
            format!("`{d}`, expected a date without a time (YYYY-MM-DD)"),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    version: String,
    third_country_notice_days: RawScalar<u32>,
    aea_notice_days: RawScalar<u32>,
    fear_review_days: RawScalar<u32>,
    aea_min_age: RawScalar<u32>,
    adult_age: RawScalar<u32>,
    min_m2_per_person: RawScalar<f64>,
    #[serde(default)]
    aea_designations: Vec<RawDesignation>,
    #[serde(default)]
    agreements: Vec<RawAgreement>,
    #[serde(default)]
    transfer_treaties: Vec<RawTreaty>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScalar<T> {
    #[serde(default)]
    #[allow(dead_code, reason = "documentation for readers of the file")]
    description: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "documentation for readers of the file")]
    reference: Option<String>,
    values: Vec<RawValue<T>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValue<T> {
    from: toml::value::Datetime,
    value: T,
}

impl<T: Copy> RawScalar<T> {
    fn dated(self, key: &str) -> Result<Dated<T>, ParamsError> {
        if self.values.is_empty() {
            return Err(invalid(
                key,
                "no values, expected at least one `{ from = YYYY-MM-DD, value = … }`",
            ));
        }
        let mut values = Vec::with_capacity(self.values.len());
        for v in &self.values {
            let from = toml_date(key, &v.from)?;
            if let Some((prev, _)) = values.last()
                && *prev >= from
            {
                return Err(invalid(
                    key,
                    format!(
                        "value from {from} is not after the value from {prev}, expected dates in increasing order"
                    ),
                ));
            }
            values.push((from, v.value));
        }
        Ok(Dated { values })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDesignation {
    nationality: String,
    from: toml::value::Datetime,
    to: Option<toml::value::Datetime>,
    reference: Option<String>,
}

impl RawDesignation {
    fn check(self, i: usize) -> Result<Designation, ParamsError> {
        let key = format!("aea_designations[{i}]");
        let nationality = CountryCode::new(&self.nationality)
            .map_err(|e| invalid(format!("{key}.nationality"), e.to_string()))?;
        let from = toml_date(&format!("{key}.from"), &self.from)?;
        let to = self
            .to
            .as_ref()
            .map(|t| toml_date(&format!("{key}.to"), t))
            .transpose()?;
        if let Some(to) = to
            && to < from
        {
            return Err(invalid(
                format!("{key}.to"),
                format!("{to} is before `from` {from}"),
            ));
        }
        Ok(Designation {
            nationality,
            from,
            to,
            reference: self.reference,
        })
    }
}

fn dates(
    key: &str,
    from: &toml::value::Datetime,
    until: Option<&toml::value::Datetime>,
) -> Result<(Date, Option<Date>), ParamsError> {
    let from = toml_date(&format!("{key}.from"), from)?;
    let until = until
        .map(|t| toml_date(&format!("{key}.until"), t))
        .transpose()?;
    if let Some(until) = until
        && until < from
    {
        return Err(invalid(
            format!("{key}.until"),
            format!("{until} is before `from` {from}"),
        ));
    }
    Ok((from, until))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgreement {
    id: String,
    destination: String,
    /// One facility (version 1 files), not adult only unless `facilities` says so.
    facility: Option<String>,
    #[serde(default)]
    facilities: Vec<RawFacility>,
    from: toml::value::Datetime,
    /// `to` is the version 1 name.
    #[serde(alias = "to")]
    until: Option<toml::value::Datetime>,
    accepts: Vec<Category>,
    reference: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFacility {
    id: String,
    #[serde(default)]
    adult_only: bool,
}

impl RawAgreement {
    fn check(self, i: usize) -> Result<Agreement, ParamsError> {
        let key = format!("agreements[{i}]");
        let destination = CountryCode::new(&self.destination)
            .map_err(|e| invalid(format!("{key}.destination"), e.to_string()))?;
        let (from, until) = dates(&key, &self.from, self.until.as_ref())?;
        let mut facilities: Vec<AgreementFacility> = self
            .facilities
            .into_iter()
            .map(|f| AgreementFacility {
                id: f.id,
                adult_only: f.adult_only,
            })
            .collect();
        if let Some(id) = self.facility {
            if !facilities.is_empty() {
                return Err(invalid(
                    format!("{key}.facility"),
                    "give either `facility` or `facilities`, not both",
                ));
            }
            facilities.push(AgreementFacility {
                id,
                adult_only: false,
            });
        }
        Ok(Agreement {
            id: self.id,
            destination,
            facilities,
            from,
            until,
            accepts: self.accepts,
            reference: self.reference,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTreaty {
    id: String,
    name: String,
    us_from: toml::value::Datetime,
    parties: Vec<RawParty>,
    reference: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParty {
    country: String,
    from: toml::value::Datetime,
    until: Option<toml::value::Datetime>,
}

impl RawTreaty {
    fn check(self, i: usize) -> Result<Treaty, ParamsError> {
        let key = format!("transfer_treaties[{i}]");
        let us_from = toml_date(&format!("{key}.us_from"), &self.us_from)?;
        let parties = self
            .parties
            .into_iter()
            .enumerate()
            .map(|(j, p)| {
                let pkey = format!("{key}.parties[{j}]");
                let country = CountryCode::new(&p.country)
                    .map_err(|e| invalid(format!("{pkey}.country"), e.to_string()))?;
                let (from, until) = dates(&pkey, &p.from, p.until.as_ref())?;
                Ok(TreatyParty {
                    country,
                    from,
                    until,
                })
            })
            .collect::<Result<_, ParamsError>>()?;
        Ok(Treaty {
            id: self.id,
            name: self.name,
            us_from,
            parties,
            reference: self.reference,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn builtin_params_parse() {
        let p = Params::from_toml_str(DEFAULT_PARAMS_TOML).unwrap();
        assert!(
            p.rules_version.starts_with("2025.2+"),
            "{}",
            p.rules_version
        );
        assert_eq!(p.rules_version.len(), "2025.2+".len() + 12);
        assert_eq!(p.fear_review_days.at(date(2025, 3, 15)), Some(7));
        let gt = CountryCode::new("GT").unwrap();
        let aca = &p.agreements[1];
        assert_eq!(
            (aca.id.as_str(), aca.destination, aca.facilities.len()),
            ("US-GT-ACA-2019", gt, 0)
        );
        assert!(!aca.in_force(date(2019, 11, 18)) && aca.in_force(date(2019, 11, 19)));
        assert!(aca.in_force(date(2021, 2, 6)) && !aca.in_force(date(2021, 2, 7)));
        assert_eq!(aca.accepts, vec![Category::AsylumSeekers]);
        assert!(p.adult_only_facility("CECOT") && !p.adult_only_facility("IZALCO"));
        let sv = CountryCode::new("SV").unwrap();
        assert!(p.treaty_with(sv, date(2007, 12, 17)).is_none());
        assert!(p.treaty_with(sv, date(2007, 12, 18)).is_some());
        let cr = CountryCode::new("CR").unwrap();
        // Costa Rica deposited first; the treaty binds the US only from 2001-06-24.
        assert!(p.treaty_with(cr, date(2001, 6, 23)).is_none());
        assert!(p.treaty_with(cr, date(2001, 6, 24)).is_some());
        assert!(
            p.treaty_with(CountryCode::new("HN").unwrap(), date(2025, 1, 1))
                .is_none()
        );
        assert_eq!(p.third_country_notice_days.at(date(2025, 3, 15)), Some(10));
        assert_eq!(p.aea_notice_days.at(date(2025, 3, 15)), Some(21));
        assert_eq!(p.aea_min_age.at(date(2025, 3, 15)), Some(14));
        assert_eq!(p.adult_age.at(date(2025, 3, 15)), Some(18));
        assert_eq!(p.min_m2_per_person.at(date(2025, 3, 15)), Some(3.4));
        let ve = CountryCode::new("VE").unwrap();
        assert!(p.designation(ve, date(2025, 3, 13)).is_none());
        assert!(p.designation(ve, date(2025, 3, 14)).is_some());
        assert_eq!(p.agreements[0].id, "US-SV-2025");
        assert!(!p.agreements[0].in_force(date(2025, 3, 14)));
        assert!(p.agreements[0].in_force(date(2025, 3, 15)));
        assert_eq!(Params::builtin(), &p);
    }

    #[test]
    fn dated_values_switch_on_their_start_date() {
        let text = DEFAULT_PARAMS_TOML.replace(
            "values = [{ from = 1900-01-01, value = 10 }]",
            "values = [{ from = 2020-01-01, value = 10 }, { from = 2025-07-01, value = 14 }]",
        );
        let p = Params::from_toml_str(&text).unwrap();
        assert_eq!(p.third_country_notice_days.at(date(2019, 12, 31)), None);
        assert_eq!(p.third_country_notice_days.at(date(2020, 1, 1)), Some(10));
        assert_eq!(p.third_country_notice_days.at(date(2025, 6, 30)), Some(10));
        assert_eq!(p.third_country_notice_days.at(date(2025, 7, 1)), Some(14));
        assert_ne!(p.rules_version, Params::builtin().rules_version);
    }

    #[test]
    fn unknown_keys_are_named() {
        let top = format!("{DEFAULT_PARAMS_TOML}\nthird_country_notice_dayz = 3\n");
        let e = Params::from_toml_str(&top).unwrap_err().to_string();
        assert!(e.contains("`third_country_notice_dayz`"), "{e}");
        let nested = DEFAULT_PARAMS_TOML.replace("[adult_age]\n", "[adult_age]\nminimum = 16\n");
        let e = Params::from_toml_str(&nested).unwrap_err().to_string();
        assert!(e.contains("`minimum`"), "{e}");
        assert!(
            e.starts_with("line 35, column 1: unknown field `minimum`"),
            "{e}"
        );
        let in_agreement =
            DEFAULT_PARAMS_TOML.replace("id = \"US-SV-2025\"", "id = \"US-SV-2025\"\nbeds = 3");
        let e = Params::from_toml_str(&in_agreement)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`beds`"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let missing = DEFAULT_PARAMS_TOML.replace("[adult_age]", "[adult_agе_removed]");
        assert!(Params::from_toml_str(&missing).is_err());
        let order = DEFAULT_PARAMS_TOML.replace(
            "values = [{ from = 1900-01-01, value = 21 }]",
            "values = [{ from = 2000-01-01, value = 21 }, { from = 1999-01-01, value = 7 }]",
        );
        let e = Params::from_toml_str(&order).unwrap_err().to_string();
        assert!(e.starts_with("parameter `aea_notice_days`"), "{e}");
        let country = DEFAULT_PARAMS_TOML.replace("nationality = \"VE\"", "nationality = \"ve\"");
        let e = Params::from_toml_str(&country).unwrap_err().to_string();
        assert!(
            e.contains("aea_designations[0].nationality") && e.contains("`ve`"),
            "{e}"
        );
        let category = DEFAULT_PARAMS_TOML.replace("\"sentenced_prisoners\"]", "\"prisoners\"]");
        let e = Params::from_toml_str(&category).unwrap_err().to_string();
        assert!(e.contains("`prisoners`"), "{e}");
    }
}
