//! Reading screening requests (CONTRACT §1) with errors that name the request and field.
//!
//! The fast path is a plain `serde_json` parse; only a request that fails is parsed again,
//! with its path tracked, to say which field is wrong.

use std::fmt;

use custodia_model::legal::ScreeningRequest;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A request that cannot be screened: which one, which field, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RequestError {
    /// The request's number, counted from 1 in input order (set by the caller for a lone
    /// request).
    pub index: Option<usize>,
    /// The line of the input the request starts on, when known.
    pub line: Option<usize>,
    /// The request's `id`, when it could be read.
    pub id: Option<String>,
    /// The field's path, e.g. `person.us_status` or `records[2].date`; `None` when the
    /// request is not JSON at all.
    pub field: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl RequestError {
    /// The same error, placed at request `index` (from 1) on `line`.
    pub fn at(mut self, index: usize, line: Option<usize>) -> Self {
        self.index = Some(index);
        self.line = line;
        self
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "request {i}")?,
            None => f.write_str("request")?,
        }
        let mut extra = Vec::new();
        if let Some(l) = self.line {
            extra.push(format!("line {l}"));
        }
        if let Some(id) = &self.id {
            extra.push(format!("id `{id}`"));
        }
        if !extra.is_empty() {
            write!(f, " ({})", extra.join(", "))?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Parses one request (one JSON object).
pub fn parse_request(text: &str) -> Result<ScreeningRequest, RequestError> {
    match serde_json::from_str::<ScreeningRequest>(text) {
        Ok(r) => check_bounds(r),
        Err(e) => Err(diagnose(text, &e)),
    }
}

/// The longest id a request or its person may have (issue 18: a 10 MB id was accepted).
pub const MAX_ID_CHARS: usize = 64;

/// Ids are short and plain: at most [`MAX_ID_CHARS`] characters, no control characters.
fn check_bounds(r: ScreeningRequest) -> Result<ScreeningRequest, RequestError> {
    for (field, v) in [("id", &r.id), ("person.id", &r.person.id)] {
        if v.chars().count() > MAX_ID_CHARS || v.chars().any(char::is_control) {
            let short: String = r.id.chars().take(MAX_ID_CHARS).collect();
            return Err(RequestError {
                index: None,
                line: None,
                id: Some(short),
                field: Some(field.to_owned()),
                message: format!(
                    "expected at most {MAX_ID_CHARS} characters and no control characters"
                ),
            });
        }
    }
    Ok(r)
}

/// Parses a whole input: a JSON array of requests, or JSON Lines (one request per line,
/// blank lines skipped), told apart by the first non-blank character being `[`.
pub fn parse_requests(text: &str) -> Result<Vec<ScreeningRequest>, RequestError> {
    if is_json_array(text) {
        let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| RequestError {
            index: None,
            line: Some(e.line()),
            id: None,
            field: None,
            message: format!(
                "not a JSON array of requests: {}",
                strip_position(&e.to_string())
            ),
        })?;
        items
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                parse_request(raw.get()).map_err(|e| {
                    // `raw` borrows from `text`, so its offset gives the line it starts on.
                    let offset =
                        (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
                    let line = text.get(..offset).map(|b| b.matches('\n').count() + 1);
                    e.at(i + 1, line)
                })
            })
            .collect()
    } else {
        let mut out = Vec::new();
        let mut index = 0;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            index += 1;
            out.push(parse_request(line).map_err(|e| e.at(index, Some(n + 1)))?);
        }
        Ok(out)
    }
}

/// Whether `text` holds a JSON array (its first non-blank character is `[`) rather than
/// JSON Lines.
pub fn is_json_array(text: &str) -> bool {
    text.trim_start().starts_with('[')
}

/// Explains why `text` failed to parse as a request: parses it again tracking the path.
fn diagnose(text: &str, first: &serde_json::Error) -> RequestError {
    #[derive(Deserialize)]
    struct IdOnly {
        id: Option<serde_json::Value>,
    }
    let id = serde_json::from_str::<IdOnly>(text)
        .ok()
        .and_then(|r| r.id)
        .and_then(|v| v.as_str().map(str::to_owned));
    let mut err = RequestError {
        index: None,
        line: None,
        id,
        field: None,
        message: String::new(),
    };
    if first.is_syntax() || first.is_eof() {
        err.message = format!("not valid JSON: {first}");
        return err;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let (path, inner) = match serde_path_to_error::deserialize::<_, ScreeningRequest>(&mut de) {
        Err(e) => (e.path().to_string(), e.into_inner().to_string()),
        // The tracked parse cannot disagree on data; keep the first error if it does.
        Ok(_) => (".".to_owned(), first.to_string()),
    };
    let message = strip_position(&inner);
    let (field, message) = refine(&path, &message);
    err.field = Some(field);
    err.message = message;
    err
}

/// Turns serde's wording into the contract's: a missing or unknown key joins the path, and
/// an unknown enumeration value is called a value.
fn refine(path: &str, message: &str) -> (String, String) {
    let join = |key: &str| {
        if path == "." || path.is_empty() {
            key.to_owned()
        } else if path == key || path.ends_with(&format!(".{key}")) {
            // serde_path_to_error already put an unknown key on the path.
            path.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    for (prefix, replacement) in [
        ("missing field `", "missing, it is required"),
        ("unknown field `", "unknown field"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((key, tail)) = rest.split_once('`')
        {
            return (join(key), format!("{replacement}{tail}"));
        }
    }
    // A record's type-dependent value: "field `outcome`: unknown value …".
    if let Some(rest) = message.strip_prefix("field `")
        && let Some((key, tail)) = rest.split_once("`: ")
    {
        return (join(key), tail.to_owned());
    }
    let message = match message.strip_prefix("unknown variant ") {
        Some(rest) => format!("unknown value {rest}"),
        None => message.to_owned(),
    };
    let path = if path == "." {
        String::new()
    } else {
        path.to_owned()
    };
    (path, message)
}

/// Drops serde_json's " at line L column C" suffix, which only repeats what the request
/// index already says.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => message[..i].to_owned(),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id":"case-9","on":"2025-03-15","person":{"id":"P-1","nationalities":["SV"],"us_status":"undocumented"},"transfer":{"basis":"removal","destination_country":"SV"}}"#;

    fn err(text: &str) -> RequestError {
        parse_request(text).unwrap_err()
    }

    #[test]
    fn good_request_parses_with_defaults() {
        let r = parse_request(GOOD).unwrap();
        assert!(
            r.records.is_empty() && r.person.languages.is_empty() && !r.person.identity_verified
        );
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (GOOD.replace("undocumented", "alien"), "person.us_status", "unknown value `alien`, expected one of"),
            (GOOD.replace(r#","us_status":"undocumented""#, ""), "person.us_status", "missing, it is required"),
            (GOOD.replace("2025-03-15", "2025-02-30"), "on", "invalid date `2025-02-30`"),
            (GOOD.replace(r#"["SV"]"#, r#"["sv"]"#), "person.nationalities[0]", "invalid country code `sv`"),
            (GOOD.replace(r#""basis":"removal","#, ""), "transfer.basis", "missing"),
            (GOOD.replace(r#""id":"P-1","#, r#""id":"P-1","nickname":"x","#), "person.nickname", "unknown field"),
            (
                GOOD.replace(r#""transfer""#, r#""records":[{"type":"stay","issued":"2025-01-01","scope":"all_removals"},{"type":"removal_order","date":"2025-01-01"}],"transfer""#),
                "records[1].final",
                "missing, it is required in a `removal_order` record",
            ),
            (
                GOOD.replace(r#""transfer""#, r#""records":[{"type":"conviction","date":"2025-01-01","offense":"x","severity":"felony","violent":"yes"}],"transfer""#),
                "records[0].violent",
                "invalid type",
            ),
            (
                GOOD.replace(r#""transfer""#, r#""records":[{"type":"fear_review","country":"SV","date":"2025-01-01","outcome":"positive"}],"transfer""#),
                "records[0].outcome",
                "unknown value `positive` in a `fear_review` record, expected `affirmed` or `vacated`",
            ),
            (
                GOOD.replace(r#""transfer""#, r#""records":[{"type":"transfer_consent","country":"SV","date":"2025-01-01","verified":"soon"}],"transfer""#),
                "records[0].verified",
                "invalid date `soon`",
            ),
            (
                GOOD.replace(r#""transfer""#, r#""records":[{"type":"habeas_petition","filed":"2025-01-01","status":"lost","id":"H1"}],"transfer""#),
                "records[0].status",
                "unknown value `lost`",
            ),
            (
                GOOD.replace(r#""transfer""#, r#""records":[{"type":"stay","issued":"2025-01-01","scope":"class"}],"transfer""#),
                "records[0].class",
                "missing, it is required in a `stay` record with scope `class`",
            ),
            (
                GOOD.replace(r#""transfer""#, r#""records":[{"type":"acceptance","country":"SV","date":"2025-01-01","as_of":"2025-01-32"}],"transfer""#),
                "records[0].as_of",
                "invalid date `2025-01-32`",
            ),
            (
                GOOD.replace(r#""basis":"removal""#, r#""basis":"asylum""#),
                "transfer.basis",
                "unknown value `asylum`",
            ),
        ];
        for (text, field, message) in cases {
            let e = err(&text);
            assert_eq!(e.field.as_deref(), Some(field), "{e}");
            assert!(e.message.starts_with(message), "{e}");
            assert_eq!(e.id.as_deref(), Some("case-9"), "{e}");
        }
    }

    #[test]
    fn missing_id_and_bad_json() {
        let e = err(&GOOD.replace(r#""id":"case-9","#, ""));
        assert_eq!((e.field.as_deref(), e.id.as_deref()), (Some("id"), None));
        let e = err(r#"{"id":"case-9", "on": }"#);
        assert_eq!(e.field, None);
        assert!(e.message.starts_with("not valid JSON"), "{e}");
    }

    #[test]
    fn arrays_and_lines_give_index_and_line() {
        let bad = GOOD
            .replace("case-9", "case-2")
            .replace("undocumented", "alien");
        let lines = format!("{GOOD}\n\n{bad}\n");
        let e = parse_requests(&lines).unwrap_err();
        assert_eq!((e.index, e.line), (Some(2), Some(3)));
        assert_eq!(
            e.to_string(),
            "request 2 (line 3, id `case-2`): field `person.us_status`: unknown value `alien`, expected one of `citizen_by_birth`, `citizen_naturalized`, `non_citizen_national`, `lawful_permanent_resident`, `refugee`, `asylee`, `visa_holder`, `parolee`, `tps`, `undocumented`"
        );
        let array = format!("[\n{GOOD},\n{bad}\n]");
        let e = parse_requests(&array).unwrap_err();
        assert_eq!(
            (e.index, e.line, e.id.as_deref()),
            (Some(2), Some(3), Some("case-2"))
        );
        assert_eq!(
            parse_requests(&format!("  [{GOOD},{GOOD}]")).unwrap().len(),
            2
        );
        assert_eq!(parse_requests(&format!("{GOOD}\n{GOOD}")).unwrap().len(), 2);
        assert!(parse_requests("[1, ").is_err());
    }
}
