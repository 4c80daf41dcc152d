//! The interface's strings in English and Spanish. The language comes from `?lang=`, then
//! the `lang` cookie, then `Accept-Language`; English by default.

use axum::http::HeaderMap;

mod strings;

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }
    /// The other language.
    pub fn other(self) -> Self {
        match self {
            Self::En => Self::Es,
            Self::Es => Self::En,
        }
    }
    /// Parses `en` or `es`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Self::En),
            "es" => Some(Self::Es),
            _ => None,
        }
    }
    /// From the request: `?lang=` wins, then the cookie, then `Accept-Language` (first
    /// of en/es by weight), else English.
    pub fn detect(query_lang: Option<&str>, headers: &HeaderMap) -> Self {
        if let Some(l) = query_lang.and_then(Self::parse) {
            return l;
        }
        if let Some(l) = axum_extra::extract::CookieJar::from_headers(headers)
            .get("lang")
            .and_then(|c| Self::parse(c.value()))
        {
            return l;
        }
        let al = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut best: Option<(f32, Self)> = None;
        for part in al.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            // No weight is 1 (RFC 9110 §12.4.2); a weight that is not a number drops the
            // range rather than counting as 1.
            let q = match it.find_map(|p| p.trim().strip_prefix("q=")) {
                None => 1.0,
                Some(v) => match v.trim().parse::<f32>() {
                    Ok(q) => q,
                    Err(_) => continue,
                },
            };
            let l = match tag.split('-').next() {
                Some("en") => Self::En,
                Some("es") => Self::Es,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, l));
            }
        }
        best.map_or(Self::En, |(_, l)| l)
    }
}

pub use strings::STRINGS;

/// The word for a wire name (`prefix_value`) in `lang`; the wire name itself when the
/// catalogue has none (a value added elsewhere, shown as it is stored).
pub fn word(lang: Lang, prefix: &str, value: &(impl AsRef<str> + ?Sized)) -> String {
    let value = value.as_ref();
    let key = format!("{prefix}_{value}");
    if has(&key) {
        t(lang, &key).to_string()
    } else {
        value.to_string()
    }
}

/// Whether `key` is in the catalogue.
pub fn has(key: &str) -> bool {
    STRINGS.iter().any(|(k, _, _)| *k == key)
}

/// The string `key` in `lang` (the key itself when missing, which a test forbids).
pub fn t(lang: Lang, key: &str) -> &'static str {
    for (k, en, es) in STRINGS {
        if *k == key {
            return match lang {
                Lang::En => en,
                Lang::Es => es,
            };
        }
    }
    "??"
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_by_the_pages_exists_in_both_languages() {
        for (k, en, es) in STRINGS {
            assert!(!en.is_empty() && !es.is_empty(), "{k}");
        }
        let src = [
            include_str!("../ui/mod.rs"),
            include_str!("../ui/chrome.rs"),
            include_str!("../ui/charts.rs"),
            include_str!("../ui/session.rs"),
            include_str!("../ui/reports.rs"),
            include_str!("../ui/locator.rs"),
            include_str!("../ui/persons.rs"),
            include_str!("../ui/manifests.rs"),
            include_str!("../ui/auditor.rs"),
        ]
        .join("\n");
        let mut used = 0;
        for pat in ["c.t(\"", "t(c.0, \"", "t(lang, \"", "t(l, \""] {
            for part in src.split(pat).skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(
                    STRINGS.iter().any(|(k, _, _)| *k == key),
                    "missing string `{key}`"
                );
                used += 1;
            }
        }
        assert!(used > 50);
    }

    #[test]
    fn language_detection() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::detect(None, &h), Lang::En);
        h.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            "en;q=0.4, es-MX;q=0.8".parse().unwrap(),
        );
        assert_eq!(Lang::detect(None, &h), Lang::Es);
        assert_eq!(Lang::detect(Some("en"), &h), Lang::En);
        h.insert(axum::http::header::COOKIE, "lang=en".parse().unwrap());
        assert_eq!(Lang::detect(None, &h), Lang::En);
    }
}
