//! Stays: who was held at which facility, from which day to which day (CONTRACT §6).

use jiff::civil::Date;
use thiserror::Error;

use crate::calendar::{day_number, parse_date};

/// One stay of one person at one facility.
///
/// `released_on` is the release day, which is not billed (midnight census); `None` means
/// still held. A stay released on its admission day still counts that one day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stay {
    pub person_id: String,
    pub facility_id: String,
    pub admitted_on: Date,
    pub released_on: Option<Date>,
}

impl Stay {
    /// The census days as day numbers `[first, end)`; `end` is `i32::MAX` while held.
    pub(crate) fn census_range(&self) -> (i32, i32) {
        let first = day_number(self.admitted_on);
        let end = match self.released_on {
            // CONTRACT §6: a stay released on its admission day bills that one day.
            Some(r) if r == self.admitted_on => first + 1,
            Some(r) => day_number(r),
            None => i32::MAX,
        };
        (first, end)
    }

    /// Whether the person was present at the midnight census of `day`.
    pub fn present_on(&self, day: Date) -> bool {
        let d = day_number(day);
        let (first, end) = self.census_range();
        first <= d && d < end
    }
}

/// A parsed stays file: the stays and, for each, the 1-based line it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaysTable {
    pub stays: Vec<Stay>,
    pub lines: Vec<u64>,
}

impl StaysTable {
    /// The line of stay `index`, for error messages.
    pub fn line_of(&self, index: usize) -> u64 {
        self.lines.get(index).copied().unwrap_or(0)
    }

    /// Restates a [`StayConflict`] (which names indices) with this file's line numbers.
    pub fn locate(&self, conflict: &StayConflict) -> StaysError {
        match conflict {
            StayConflict::Overlap {
                person_id,
                first,
                second,
            } => StaysError::Overlap {
                person_id: person_id.clone(),
                first_line: self.line_of(*first),
                second_line: self.line_of(*second),
            },
            StayConflict::ReleaseBeforeAdmission {
                index,
                admitted_on,
                released_on,
            } => StaysError::ReleaseBeforeAdmission {
                line: self.line_of(*index),
                admitted_on: *admitted_on,
                released_on: *released_on,
            },
        }
    }
}

/// Why a stays file was refused. Lines are 1-based; the header is line 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StaysError {
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error(
        "line 1: no `{column}` column (expected the header person_id,facility_id,admitted_on,released_on, in any order)"
    )]
    MissingColumn { column: &'static str },
    #[error("line 1: column `{column}` appears twice in the header (expected each column once)")]
    DuplicateColumn { column: &'static str },
    #[error("line {line}, field `{field}`: is empty (expected a value)")]
    Empty { line: u64, field: &'static str },
    #[error("line {line}, field `{field}`: `{value}` is not a date (expected YYYY-MM-DD)")]
    Date {
        line: u64,
        field: &'static str,
        value: String,
    },
    #[error(
        "line {line}, field `released_on`: `{released_on}` is before `admitted_on` `{admitted_on}` (expected a release on or after the admission)"
    )]
    ReleaseBeforeAdmission {
        line: u64,
        admitted_on: Date,
        released_on: Date,
    },
    #[error(
        "lines {first_line} and {second_line}: two stays of person `{person_id}` at the facility overlap (expected one stay at a time)"
    )]
    Overlap {
        person_id: String,
        first_line: u64,
        second_line: u64,
    },
}

/// A conflict between stays passed to [`crate::invoice`], naming them by index in the slice.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StayConflict {
    #[error(
        "stays {first} and {second}: two stays of person `{person_id}` at the facility overlap"
    )]
    Overlap {
        person_id: String,
        first: usize,
        second: usize,
    },
    #[error("stay {index}: released on `{released_on}`, before its admission on `{admitted_on}`")]
    ReleaseBeforeAdmission {
        index: usize,
        admitted_on: Date,
        released_on: Date,
    },
}

/// One row of a stays file as written, read by header name (`csv`'s serde support), cells
/// trimmed.
#[derive(Debug, serde::Deserialize)]
struct StayRow {
    person_id: String,
    facility_id: String,
    admitted_on: String,
    released_on: String,
}

/// The columns of a stays file, all required.
const STAY_COLUMNS: [&str; 4] = ["person_id", "facility_id", "admitted_on", "released_on"];

/// Parses stays CSV: header names in any order, unknown columns ignored, an empty
/// `released_on` meaning still held. Every row is checked, whatever its facility.
pub fn parse_stays(text: &str) -> Result<StaysTable, StaysError> {
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
    let csv_err = |e: csv::Error| StaysError::Csv {
        line: e
            .position()
            .map_or(1, |p| custodia_model::lines::line_at(text, p.byte())),
        message: e.to_string(),
    };
    let headers = rdr.headers().map_err(csv_err)?.clone();
    for column in STAY_COLUMNS {
        match headers.iter().filter(|h| *h == column).count() {
            0 => return Err(StaysError::MissingColumn { column }),
            1 => {}
            _ => return Err(StaysError::DuplicateColumn { column }),
        }
    }
    let mut table = StaysTable::default();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| lines.line_at(p.byte()));
        let row: StayRow = rec
            .deserialize(Some(&headers))
            .map_err(|e| StaysError::Csv {
                line,
                message: e.to_string(),
            })?;
        let required = |v: String, field: &'static str| {
            if v.is_empty() {
                Err(StaysError::Empty { line, field })
            } else {
                Ok(v)
            }
        };
        let date = |v: &str, field: &'static str| {
            parse_date(v).ok_or_else(|| StaysError::Date {
                line,
                field,
                value: v.to_string(),
            })
        };
        let person_id = required(row.person_id, "person_id")?;
        let facility_id = required(row.facility_id, "facility_id")?;
        let admitted_on = date(&required(row.admitted_on, "admitted_on")?, "admitted_on")?;
        let released_on = match row.released_on.as_str() {
            "" => None,
            v => Some(date(v, "released_on")?),
        };
        if let Some(r) = released_on
            && r < admitted_on
        {
            return Err(StaysError::ReleaseBeforeAdmission {
                line,
                admitted_on,
                released_on: r,
            });
        }
        table.stays.push(Stay {
            person_id,
            facility_id,
            admitted_on,
            released_on,
        });
        table.lines.push(line);
    }
    Ok(table)
}

/// Checks the stays at `facility_id`: no release before admission, no two stays of one
/// person overlapping (their census days intersecting, so no person-day is billed twice).
pub fn check_stays(facility_id: &str, stays: &[Stay]) -> Result<(), StayConflict> {
    let mut at: Vec<(usize, i32, i32)> = Vec::new();
    for (i, s) in stays.iter().enumerate() {
        if s.facility_id != facility_id {
            continue;
        }
        if let Some(r) = s.released_on
            && r < s.admitted_on
        {
            return Err(StayConflict::ReleaseBeforeAdmission {
                index: i,
                admitted_on: s.admitted_on,
                released_on: r,
            });
        }
        let (first, end) = s.census_range();
        at.push((i, first, end));
    }
    at.sort_unstable_by(|a, b| {
        stays[a.0]
            .person_id
            .cmp(&stays[b.0].person_id)
            .then(a.1.cmp(&b.1))
            .then(a.0.cmp(&b.0))
    });
    // Sorted by admission within a person, the stays are disjoint exactly when each one
    // ends before the next begins; so the first consecutive pair that fails is an overlap.
    for w in at.windows(2) {
        let (a, b) = (w[0], w[1]);
        if stays[a.0].person_id == stays[b.0].person_id && a.2 > b.1 {
            let (first, second) = (a.0.min(b.0), a.0.max(b.0));
            return Err(StayConflict::Overlap {
                person_id: stays[a.0].person_id.clone(),
                first,
                second,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_any_order_unknown_ignored_empty_release_is_held() {
        let t = "note,released_on,admitted_on,facility_id,person_id\nx,,2025-03-10,CECOT,P1\ny,2025-03-20,2025-03-15,CECOT,P2\n";
        let s = parse_stays(t).unwrap();
        assert_eq!(s.stays.len(), 2);
        assert_eq!(s.stays[0].released_on, None);
        assert_eq!(s.stays[1].released_on, Some(jiff::civil::date(2025, 3, 20)));
        assert_eq!(s.lines, vec![2, 3]);
    }

    #[test]
    fn errors_name_line_and_field() {
        let h = "person_id,facility_id,admitted_on,released_on\n";
        // Blank lines before a row: the row's own line.
        let blank =
            parse_stays(&format!("{h}P1,CECOT,2025-03-10,\n\nP2,CECOT,2025-3-10,\n")).unwrap_err();
        assert!(blank.to_string().starts_with("line 4,"), "{blank}");
        // Windows line endings name the same line.
        let crlf = parse_stays(&format!(
            "{}P1,CECOT,2025-03-10,\r\nP2,CECOT,2025-3-10,\r\n",
            h.replace('\n', "\r\n")
        ))
        .unwrap_err();
        assert!(crlf.to_string().starts_with("line 3,"), "{crlf}");
        let e =
            parse_stays(&format!("{h}P1,CECOT,2025-03-10,\nP2,CECOT,2025-3-10,\n")).unwrap_err();
        assert_eq!(
            e,
            StaysError::Date {
                line: 3,
                field: "admitted_on",
                value: "2025-3-10".into()
            }
        );
        assert!(
            e.to_string()
                .starts_with("line 3, field `admitted_on`: `2025-3-10`"),
            "{e}"
        );
        let e = parse_stays(&format!("{h}P1,CECOT,2025-03-10,2025-03-09\n")).unwrap_err();
        assert!(matches!(
            e,
            StaysError::ReleaseBeforeAdmission { line: 2, .. }
        ));
        let e = parse_stays(&format!("{h},CECOT,2025-03-10,\n")).unwrap_err();
        assert_eq!(
            e,
            StaysError::Empty {
                line: 2,
                field: "person_id"
            }
        );
        let e = parse_stays("person_id,facility_id,admitted_on\nP1,C,2025-01-01\n").unwrap_err();
        assert_eq!(
            e,
            StaysError::MissingColumn {
                column: "released_on"
            }
        );
        let e = parse_stays(&format!("{h}P1,CECOT,2025-03-10\n")).unwrap_err();
        assert!(matches!(e, StaysError::Csv { line: 2, .. }), "{e:?}");
        let e =
            parse_stays("person_id,facility_id,admitted_on,released_on,admitted_on\n").unwrap_err();
        assert_eq!(
            e,
            StaysError::DuplicateColumn {
                column: "admitted_on"
            }
        );
        assert!(e.to_string().contains("`admitted_on` appears twice"), "{e}");
        let s = parse_stays(&format!("\u{feff}{h} P1 , CECOT ,2025-03-10, \n")).unwrap();
        assert_eq!(s.stays[0].person_id, "P1");
        assert_eq!(s.stays[0].facility_id, "CECOT");
        assert_eq!(s.stays[0].released_on, None);
    }

    fn stay(p: &str, f: &str, a: (i16, i8, i8), r: Option<(i16, i8, i8)>) -> Stay {
        Stay {
            person_id: p.into(),
            facility_id: f.into(),
            admitted_on: jiff::civil::date(a.0, a.1, a.2),
            released_on: r.map(|r| jiff::civil::date(r.0, r.1, r.2)),
        }
    }

    #[test]
    fn overlaps_are_found_and_back_to_back_stays_are_not() {
        let ok = vec![
            stay("P1", "C", (2025, 3, 1), Some((2025, 3, 5))),
            stay("P1", "C", (2025, 3, 5), Some((2025, 3, 5))),
            stay("P1", "C", (2025, 3, 6), None),
            stay("P1", "OTHER", (2025, 3, 1), None),
        ];
        assert_eq!(check_stays("C", &ok), Ok(()));
        let bad = vec![
            stay("P2", "C", (2025, 3, 1), None),
            stay("P1", "C", (2025, 3, 1), Some((2025, 3, 10))),
            stay("P2", "C", (2025, 2, 1), Some((2025, 3, 2))),
        ];
        assert_eq!(
            check_stays("C", &bad),
            Err(StayConflict::Overlap {
                person_id: "P2".into(),
                first: 0,
                second: 2
            })
        );
        // Same-day stay on a day another stay already covers.
        let bad = vec![
            stay("P1", "C", (2025, 3, 1), Some((2025, 3, 10))),
            stay("P1", "C", (2025, 3, 9), Some((2025, 3, 9))),
        ];
        assert!(check_stays("C", &bad).is_err());
        // Overlaps at another facility are not this agreement's business.
        assert_eq!(check_stays("X", &bad), Ok(()));
    }
}
