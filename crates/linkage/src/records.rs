//! The CSV records of CONTRACT §2 and their typed input errors.

use std::collections::HashMap;

use jiff::civil::Date;

/// The columns of CONTRACT §2, in the order written by [`write_csv`].
pub const COLUMNS: [&str; 7] = [
    "record_id",
    "family_names",
    "given_names",
    "date_of_birth",
    "sex",
    "nationality",
    "document_number",
];

/// Columns without which a file cannot be reconciled; the others may be absent (all unknown).
pub const REQUIRED_COLUMNS: [&str; 3] = ["record_id", "family_names", "given_names"];

/// One row of a manifest or intake file. Empty cells are `None` (unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Unique within its file.
    pub record_id: String,
    /// As written (may be empty).
    pub family_names: String,
    /// As written (may be empty).
    pub given_names: String,
    /// Date of birth, when known.
    pub date_of_birth: Option<Date>,
    /// Sex as written, trimmed and upper-cased (`M`, `F`, `X`...).
    pub sex: Option<String>,
    /// ISO 3166-1 alpha-2, upper-cased.
    pub nationality: Option<String>,
    /// Document number, trimmed.
    pub document_number: Option<String>,
    /// The 1-based line of the file the row came from (the header is line 1).
    pub line: u64,
}

impl Record {
    /// A record with the given names and everything else unknown (handy in tests).
    pub fn new(record_id: &str, family_names: &str, given_names: &str) -> Self {
        Self {
            record_id: record_id.to_string(),
            family_names: family_names.to_string(),
            given_names: given_names.to_string(),
            date_of_birth: None,
            sex: None,
            nationality: None,
            document_number: None,
            line: 0,
        }
    }
}

/// Why a manifest or intake file was refused. Each names the file, and when it applies the
/// line and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The header lacks a required column.
    #[error(
        "`{file}` line 1: missing column `{column}` (expected a header naming record_id, family_names, given_names and optionally date_of_birth, sex, nationality, document_number)"
    )]
    MissingColumn { file: String, column: String },
    /// The header names a column twice: which one holds the value?
    #[error(
        "`{file}` line 1: column `{column}` appears twice in the header (expected each column once)"
    )]
    DuplicateColumn { file: String, column: String },
    /// Two rows share one `record_id`.
    #[error(
        "`{file}` line {line}, field `record_id`: duplicate `{record_id}` (already on line {first_line}); record ids must be unique within a file"
    )]
    DuplicateId {
        file: String,
        line: u64,
        record_id: String,
        first_line: u64,
    },
    /// A row has an empty `record_id`.
    #[error("`{file}` line {line}, field `record_id`: empty (every row needs an id)")]
    EmptyId { file: String, line: u64 },
    /// A date of birth that is not a real `YYYY-MM-DD` date.
    #[error(
        "`{file}` line {line}, field `date_of_birth`: `{value}` is not a date (expected YYYY-MM-DD, or an empty cell when unknown)"
    )]
    BadDate {
        file: String,
        line: u64,
        value: String,
    },
    /// The CSV itself is malformed (unbalanced quotes, wrong number of fields, not UTF-8).
    #[error(
        "`{file}` line {line}: malformed CSV ({message}); expected one row per line with the header's columns"
    )]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
}

/// One row as the file has it, read by header name (`csv`'s serde support); cells are trimmed
/// and an empty optional cell is `None`.
#[derive(Debug, serde::Deserialize)]
struct Row {
    record_id: String,
    family_names: String,
    given_names: String,
    #[serde(default)]
    date_of_birth: Option<String>,
    #[serde(default)]
    sex: Option<String>,
    #[serde(default)]
    nationality: Option<String>,
    #[serde(default)]
    document_number: Option<String>,
}

/// Parses a manifest or intake CSV (CONTRACT §2). `file` names the input in error messages.
///
/// Columns are found by header name in any order, unknown columns are ignored, an empty cell
/// means unknown; a column of [`COLUMNS`] named twice is refused.
pub fn parse_csv(file: &str, text: &str) -> Result<Vec<Record>, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Lines named in errors are an editor's (`custodia_model::lines`): line breaks
    // unified, records placed by byte offset, not by the csv reader's line count.
    let text = custodia_model::lines::unify_line_breaks(text);
    let text: &str = &text;
    let mut lines = custodia_model::lines::LineCounter::new(text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| InputError::Csv {
        file: file.to_string(),
        line: e
            .position()
            .map_or(1, |p| custodia_model::lines::line_at(text, p.byte())),
        message: e.to_string(),
    };
    let headers = rdr.headers().map_err(csv_err)?.clone();
    for c in COLUMNS {
        if headers.iter().filter(|h| *h == c).count() > 1 {
            return Err(InputError::DuplicateColumn {
                file: file.to_string(),
                column: c.to_string(),
            });
        }
    }
    for c in REQUIRED_COLUMNS {
        if !headers.iter().any(|h| h == c) {
            return Err(InputError::MissingColumn {
                file: file.to_string(),
                column: c.to_string(),
            });
        }
    }
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| lines.line_at(p.byte()));
        let row: Row = rec
            .deserialize(Some(&headers))
            .map_err(|e| InputError::Csv {
                file: file.to_string(),
                line,
                message: e.to_string(),
            })?;
        let record_id = row.record_id;
        if record_id.is_empty() {
            return Err(InputError::EmptyId {
                file: file.to_string(),
                line,
            });
        }
        if let Some(&first_line) = seen.get(&record_id) {
            return Err(InputError::DuplicateId {
                file: file.to_string(),
                line,
                record_id,
                first_line,
            });
        }
        seen.insert(record_id.clone(), line);
        let date_of_birth = match row.date_of_birth {
            None => None,
            Some(v) => Some(parse_date(&v).ok_or(InputError::BadDate {
                file: file.to_string(),
                line,
                value: v,
            })?),
        };
        out.push(Record {
            record_id,
            family_names: row.family_names,
            given_names: row.given_names,
            date_of_birth,
            sex: row.sex.map(|s| s.to_uppercase()),
            nationality: row.nationality.map(|s| s.to_uppercase()),
            document_number: row.document_number,
            line,
        });
    }
    Ok(out)
}

/// Strict `YYYY-MM-DD` (CONTRACT conventions), a real calendar date.
fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i32> {
        let part = &s[r];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// Writes records as a CSV in the column order of [`COLUMNS`] (used by the generator and
/// the benchmark; the reconciliation itself never writes files).
pub fn write_csv(records: &[Record]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(COLUMNS);
    for r in records {
        let dob = r.date_of_birth.map(|d| d.to_string()).unwrap_or_default();
        let _ = w.write_record([
            r.record_id.as_str(),
            r.family_names.as_str(),
            r.given_names.as_str(),
            dob.as_str(),
            r.sex.as_deref().unwrap_or(""),
            r.nationality.as_deref().unwrap_or(""),
            r.document_number.as_deref().unwrap_or(""),
        ]);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_any_order_unknown_ignored_empty_is_unknown() {
        let text = "extra,given_names,record_id,family_names,date_of_birth\nx,Ana,M-1,López,\ny,Luis,M-2,Paz,1990-02-03\n";
        let r = parse_csv("m.csv", text).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].date_of_birth, None);
        assert_eq!(r[0].sex, None);
        assert_eq!(r[1].date_of_birth, Some(jiff::civil::date(1990, 2, 3)));
        assert_eq!(r[1].line, 3);
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = parse_csv(
            "m.csv",
            "record_id,family_names,given_names\nA,x,y\nA,z,w\n",
        )
        .unwrap_err();
        assert_eq!(
            e,
            InputError::DuplicateId {
                file: "m.csv".into(),
                line: 3,
                record_id: "A".into(),
                first_line: 2
            }
        );
        assert!(e.to_string().contains("`m.csv` line 3, field `record_id`"));
        // Blank lines before a row: the row's own line.
        let e = parse_csv(
            "m.csv",
            "record_id,family_names,given_names\nA,x,y\n\n\nA,z,w\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("`m.csv` line 5, field `record_id`"),
            "{e}"
        );
        // Windows line endings name the same line.
        let e = parse_csv(
            "m.csv",
            "record_id,family_names,given_names\r\nA,x,y\r\nA,z,w\r\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("`m.csv` line 3, field `record_id`"),
            "{e}"
        );
        let e = parse_csv(
            "i.csv",
            "record_id,family_names,given_names,date_of_birth\nA,x,y,1990-02-30\n",
        )
        .unwrap_err();
        assert!(matches!(e, InputError::BadDate { line: 2, .. }), "{e}");
        assert!(e.to_string().contains("`1990-02-30`"));
        let e = parse_csv("i.csv", "record_id,given_names\nA,y\n").unwrap_err();
        assert!(
            matches!(e, InputError::MissingColumn { ref column, .. } if column == "family_names")
        );
        let e = parse_csv(
            "i.csv",
            "record_id,family_names,given_names,date_of_birth\nA,x,y,12/03/1990\n",
        )
        .unwrap_err();
        assert!(matches!(e, InputError::BadDate { .. }));
        let e = parse_csv(
            "i.csv",
            "record_id,family_names,given_names,family_names\nA,x,y,z\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`i.csv` line 1: column `family_names` appears twice in the header (expected each column once)"
        );
        let e = parse_csv("i.csv", "record_id,family_names,given_names\nA,x,y\nB,x\n").unwrap_err();
        assert!(matches!(e, InputError::Csv { line: 3, .. }), "{e:?}");
        assert!(
            e.to_string().starts_with("`i.csv` line 3: malformed CSV"),
            "{e}"
        );
    }

    #[test]
    fn cells_are_trimmed_and_a_byte_order_mark_is_ignored() {
        let r = parse_csv(
            "m.csv",
            "\u{feff}record_id , family_names,given_names,sex,nationality,document_number\n M-1 ,  López ,Ana, f , sv ,   \n",
        )
        .unwrap();
        assert_eq!(r[0].record_id, "M-1");
        assert_eq!(r[0].family_names, "López");
        assert_eq!(r[0].sex.as_deref(), Some("F"));
        assert_eq!(r[0].nationality.as_deref(), Some("SV"));
        assert_eq!(r[0].document_number, None);
        let e = parse_csv("m.csv", "record_id,family_names,given_names\n  ,x,y\n").unwrap_err();
        assert_eq!(
            e,
            InputError::EmptyId {
                file: "m.csv".into(),
                line: 2
            }
        );
    }

    #[test]
    fn write_then_parse_round_trips() {
        let mut r = Record::new("M-1", "Pérez, \"Jr\"", "Ana");
        r.date_of_birth = Some(jiff::civil::date(1980, 1, 2));
        r.line = 2;
        let back = parse_csv("x", &write_csv(std::slice::from_ref(&r))).unwrap();
        assert_eq!(back, vec![r]);
    }
}
