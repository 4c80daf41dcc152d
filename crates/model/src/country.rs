//! Country names in English and Spanish for the countries custody transfers concern, so
//! that a relative may type `El Salvador`, `el salvador`, `Mexico`, `México` or `MX` and
//! mean one [`CountryCode`]. One table, [`COUNTRIES`]; [`parse`] reads a code or a name in
//! either language, with or without accents; [`name`] gives the name in a language.
//!
//! ```
//! use custodia_model::country::{parse, name, Language};
//! assert_eq!(parse("el salvador").map(|c| c.to_string()).as_deref(), Some("SV"));
//! assert_eq!(parse("Mexico").map(|c| c.to_string()).as_deref(), Some("MX"));
//! assert_eq!(parse("Perú").map(|c| c.to_string()).as_deref(), Some("PE"));
//! assert_eq!(parse("sv").map(|c| c.to_string()).as_deref(), Some("SV"));
//! let sv = parse("SV").unwrap();
//! assert_eq!(name(sv, Language::Es), Some("El Salvador"));
//! assert_eq!(name(parse("US").unwrap(), Language::Es), Some("Estados Unidos"));
//! ```

use crate::legal::CountryCode;

/// A language of country names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    En,
    Es,
}

/// (ISO 3166-1 alpha-2, English name, Spanish name, other accepted spellings).
pub const COUNTRIES: &[(&str, &str, &str, &[&str])] = &[
    ("SV", "El Salvador", "El Salvador", &["salvador"]),
    ("GT", "Guatemala", "Guatemala", &[]),
    ("HN", "Honduras", "Honduras", &[]),
    ("NI", "Nicaragua", "Nicaragua", &[]),
    ("CR", "Costa Rica", "Costa Rica", &[]),
    ("PA", "Panama", "Panamá", &[]),
    ("BZ", "Belize", "Belice", &[]),
    ("MX", "Mexico", "México", &["mejico"]),
    ("CU", "Cuba", "Cuba", &[]),
    (
        "DO",
        "Dominican Republic",
        "República Dominicana",
        &["dominicana"],
    ),
    ("HT", "Haiti", "Haití", &[]),
    ("JM", "Jamaica", "Jamaica", &[]),
    ("PR", "Puerto Rico", "Puerto Rico", &[]),
    ("CO", "Colombia", "Colombia", &[]),
    ("VE", "Venezuela", "Venezuela", &[]),
    ("EC", "Ecuador", "Ecuador", &[]),
    ("PE", "Peru", "Perú", &[]),
    ("BO", "Bolivia", "Bolivia", &[]),
    ("CL", "Chile", "Chile", &[]),
    ("AR", "Argentina", "Argentina", &[]),
    ("UY", "Uruguay", "Uruguay", &[]),
    ("PY", "Paraguay", "Paraguay", &[]),
    ("BR", "Brazil", "Brasil", &[]),
    (
        "US",
        "United States",
        "Estados Unidos",
        &[
            "usa",
            "united states of america",
            "eeuu",
            "ee uu",
            "estados unidos de america",
        ],
    ),
    ("CA", "Canada", "Canadá", &[]),
    ("ES", "Spain", "España", &[]),
    ("CN", "China", "China", &[]),
    ("IN", "India", "India", &[]),
    ("RU", "Russia", "Rusia", &[]),
    ("UA", "Ukraine", "Ucrania", &[]),
    ("AF", "Afghanistan", "Afganistán", &[]),
    ("SY", "Syria", "Siria", &[]),
    ("IR", "Iran", "Irán", &[]),
    ("TR", "Turkey", "Turquía", &["turkiye"]),
    ("SN", "Senegal", "Senegal", &[]),
    ("MR", "Mauritania", "Mauritania", &[]),
    ("ER", "Eritrea", "Eritrea", &[]),
    ("CM", "Cameroon", "Camerún", &[]),
    ("NG", "Nigeria", "Nigeria", &[]),
    ("GH", "Ghana", "Ghana", &[]),
    ("SS", "South Sudan", "Sudán del Sur", &[]),
    ("VN", "Vietnam", "Vietnam", &["viet nam"]),
    ("PH", "Philippines", "Filipinas", &[]),
];

/// Lower case, accents removed, runs of anything not a letter as one space (for the
/// letters of Spanish, French and Portuguese names; other letters are kept as they are).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c => c,
        };
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

/// The country a code or a name means: an ISO alpha-2 code in any case (one that names a
/// country or territory: `ZZ` means none), or a name in
/// English or Spanish with or without accents (a leading `the`/`la`/`republica de` too).
pub fn parse(s: &str) -> Option<CountryCode> {
    let t = s.trim();
    if t.len() == 2 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
        let up = t.to_ascii_uppercase();
        return COUNTRIES
            .iter()
            .find(|c| c.0 == up)
            .and_then(|c| CountryCode::new(c.0).ok())
            .or_else(|| {
                CountryCode::new(&up)
                    .ok()
                    .filter(|c| is_iso_alpha2(c.as_str()))
            });
    }
    let f = fold(t);
    let f = f
        .strip_prefix("the ")
        .or_else(|| f.strip_prefix("republica de "))
        .or_else(|| f.strip_prefix("republic of "))
        .unwrap_or(&f);
    COUNTRIES
        .iter()
        .find(|(_, en, es, more)| fold(en) == f || fold(es) == f || more.contains(&f))
        .and_then(|c| CountryCode::new(c.0).ok())
}

/// The name of `code` in `lang`, when the table has it.
pub fn name(code: CountryCode, lang: Language) -> Option<&'static str> {
    COUNTRIES
        .iter()
        .find(|c| c.0 == code.as_str())
        .map(|c| match lang {
            Language::En => c.1,
            Language::Es => c.2,
        })
}

/// Every country of the table as (code, name in `lang`), the first given (`El Salvador`
/// for a Spanish page) leading, the rest in alphabetical order of their folded names.
pub fn list(lang: Language, first: Option<&str>) -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&'static str, &'static str)> = COUNTRIES
        .iter()
        .map(|c| {
            (
                c.0,
                match lang {
                    Language::En => c.1,
                    Language::Es => c.2,
                },
            )
        })
        .collect();
    v.sort_by(|a, b| {
        let fa = Some(a.0) == first;
        let fb = Some(b.0) == first;
        fb.cmp(&fa).then_with(|| fold(a.1).cmp(&fold(b.1)))
    });
    v
}

/// Whether `code` is an ISO 3166-1 alpha-2 code that names a country or territory (the whole
/// standard, not only the names this table spells out): `XX` is not.
pub fn is_iso_alpha2(code: &str) -> bool {
    isocountry::CountryCode::for_alpha2(code).is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_and_accents() {
        for (code, en, es, _) in COUNTRIES {
            assert_eq!(parse(code).unwrap().as_str(), *code);
            assert_eq!(parse(en).unwrap().as_str(), *code, "{en}");
            assert_eq!(parse(es).unwrap().as_str(), *code, "{es}");
            assert_eq!(parse(&fold(es)).unwrap().as_str(), *code, "{es}");
            assert_eq!(parse(&es.to_uppercase()).unwrap().as_str(), *code, "{es}");
        }
        assert_eq!(parse("Republica Dominicana").unwrap().as_str(), "DO");
        assert_eq!(parse("  el  salvador ").unwrap().as_str(), "SV");
        assert!(parse("Atlantis").is_none());
        // Two letters that name no country are no country.
        assert!(parse("ZZ").is_none() && parse("xx").is_none());
        assert_eq!(parse("fr").unwrap().as_str(), "FR");
        assert!(parse("").is_none());
    }

    #[test]
    fn spanish_list_starts_with_el_salvador() {
        let l = list(Language::Es, Some("SV"));
        assert_eq!(l[0], ("SV", "El Salvador"));
        assert_eq!(l.len(), COUNTRIES.len());
    }
}
