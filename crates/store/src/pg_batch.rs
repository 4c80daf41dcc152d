//! Batched INSERTs on PostgreSQL (issue 18): while an append runs, the store's single-row
//! INSERTs are held back per statement and sent as one multi-row statement each, instead of
//! one loopback round trip per row.
//!
//! - A plain `INSERT INTO t (cols) VALUES (?, …)` whose values are all parameters goes as
//!   one binary `COPY t (cols) FROM STDIN`, which the server writes with its multi-row
//!   insert path (fewer WAL records than row-by-row INSERTs).
//! - Any other INSERT of one `VALUES` row of parameters and literals, plain or with
//!   `ON CONFLICT … DO NOTHING`, goes as `INSERT … SELECT … FROM unnest($1::type[], …)`,
//!   [`UNNEST_CHUNK`] rows a statement. Rows keep their order, so "first one wins" under
//!   `DO NOTHING` is unchanged.
//! - `ON CONFLICT … DO UPDATE` and every other statement are never held back.
//!
//! INVARIANT: held-back rows are written before any other statement of the transaction runs
//! (query, UPDATE, DELETE, an INSERT that is not held back) and before commit, so every read
//! and every later write sees exactly what it would have seen row by row. Tables written
//! this way have no foreign keys or triggers, so the order across tables inside one flush
//! cannot matter.

use bytes::{BufMut, BytesMut};
use postgres::types::{IsNull, ToSql, Type};

use crate::backend::Value;

/// Rows per `INSERT … SELECT FROM unnest(…)` statement.
pub const UNNEST_CHUNK: usize = 4096;
/// Rows held back in one transaction before they are written anyway (bounds memory).
pub const MAX_PENDING: usize = 16_384;

/// The parsed form of a single-row INSERT that can be batched.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub table: String,
    pub columns: Vec<String>,
    /// Per column: `None` for a `?` parameter, or the literal SQL written there.
    pub exprs: Vec<Option<String>>,
    /// `""` or ` ON CONFLICT … DO NOTHING` as written.
    pub conflict: String,
}

impl Shape {
    /// How many parameters the statement takes.
    pub fn params(&self) -> usize {
        self.exprs.iter().filter(|e| e.is_none()).count()
    }

    /// Whether the rows can go as a binary COPY: no conflict clause, every value a parameter.
    pub fn copyable(&self) -> bool {
        self.conflict.is_empty() && self.exprs.iter().all(Option::is_none)
    }

    /// `COPY t (cols) FROM STDIN (FORMAT binary)`.
    pub fn copy_sql(&self) -> String {
        format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            self.table,
            self.columns.join(", ")
        )
    }

    /// `INSERT INTO t (cols) SELECT … FROM unnest($1::ty[], …) AS u(p1, …)` plus the conflict
    /// clause; `types` are the parameters' types, in order.
    pub fn unnest_sql(&self, types: &[Type]) -> String {
        let mut k = 0;
        let select: Vec<String> = self
            .exprs
            .iter()
            .map(|e| match e {
                Some(lit) => lit.clone(),
                None => {
                    k += 1;
                    format!("u.p{k}")
                }
            })
            .collect();
        let args: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(i, t)| format!("${}::{}[]", i + 1, t.name()))
            .collect();
        let names: Vec<String> = (1..=types.len()).map(|i| format!("p{i}")).collect();
        format!(
            "INSERT INTO {} ({}) SELECT {} FROM unnest({}) AS u({}){}",
            self.table,
            self.columns.join(", "),
            select.join(", "),
            args.join(", "),
            names.join(", "),
            self.conflict
        )
    }
}

/// Whether a parameter of this type can travel in an array (and in COPY) as [`Value`]s.
pub fn batchable_type(t: &Type) -> bool {
    matches!(
        *t,
        Type::TEXT
            | Type::VARCHAR
            | Type::BPCHAR
            | Type::INT8
            | Type::INT4
            | Type::INT2
            | Type::FLOAT8
            | Type::FLOAT4
            | Type::BOOL
            | Type::BYTEA
    )
}

/// Splits `s` at top-level commas, outside quotes and parentheses.
fn split_top(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut depth = 0i32;
    for ch in s.chars() {
        match quote {
            Some(q) => {
                if ch == q {
                    quote = None;
                }
                cur.push(ch);
            }
            None => match ch {
                '\'' | '"' => {
                    quote = Some(ch);
                    cur.push(ch);
                }
                '(' => {
                    depth += 1;
                    cur.push(ch);
                }
                ')' => {
                    depth -= 1;
                    cur.push(ch);
                }
                ',' if depth == 0 => out.push(std::mem::take(&mut cur).trim().to_string()),
                _ => cur.push(ch),
            },
        }
    }
    if quote.is_some() || depth != 0 {
        return None;
    }
    out.push(cur.trim().to_string());
    Some(out)
}

/// The index of the `)` closing the `(` at `open`, outside quotes.
fn closing(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, ch) in s.char_indices().skip_while(|(i, _)| *i < open) {
        match quote {
            Some(q) => {
                if ch == q {
                    quote = None;
                }
            }
            None => match ch {
                '\'' | '"' => quote = Some(ch),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// A literal that may stand in a SELECT list unchanged: a quoted string, a number, NULL,
/// TRUE or FALSE.
fn literal(e: &str) -> bool {
    let q = e.len() >= 2
        && e.starts_with('\'')
        && e.ends_with('\'')
        && !e[1..e.len() - 1].replace("''", "").contains('\'');
    q || e.eq_ignore_ascii_case("NULL")
        || e.eq_ignore_ascii_case("TRUE")
        || e.eq_ignore_ascii_case("FALSE")
        || (!e.is_empty()
            && e.bytes()
                .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.'))
}

fn ident(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Parses `INSERT INTO t (c, …) VALUES (e, …)[ ON CONFLICT [(…)] DO NOTHING]`, each `e` a
/// `?` or a literal; `None` for anything else (which is then never held back).
pub fn shape(sql: &str) -> Option<Shape> {
    let s = sql.trim();
    let rest = s.strip_prefix("INSERT INTO ")?;
    let open = rest.find('(')?;
    let table = rest[..open].trim();
    if !ident(table) {
        return None;
    }
    let close = closing(rest, open)?;
    let columns = split_top(&rest[open + 1..close])?;
    if !columns.iter().all(|c| ident(c)) {
        return None;
    }
    let after = rest[close + 1..].trim_start();
    let after = after.strip_prefix("VALUES")?.trim_start();
    if !after.starts_with('(') {
        return None;
    }
    let vclose = closing(after, 0)?;
    let exprs = split_top(&after[1..vclose])?;
    if exprs.len() != columns.len() {
        return None;
    }
    let exprs: Vec<Option<String>> = exprs
        .into_iter()
        .map(|e| {
            if e == "?" {
                Some(None)
            } else if literal(&e) {
                Some(Some(e))
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    let tail = after[vclose + 1..].trim();
    let conflict = if tail.is_empty() {
        String::new()
    } else {
        let upper = tail.to_ascii_uppercase();
        if !upper.starts_with("ON CONFLICT") || !upper.ends_with("DO NOTHING") || tail.contains('?')
        {
            return None;
        }
        format!(" {tail}")
    };
    let shape = Shape {
        table: table.to_string(),
        columns: columns.into_iter().map(|c| c.to_string()).collect(),
        exprs,
        conflict,
    };
    (shape.params() > 0).then_some(shape)
}

/// One column of held-back rows as a one-dimensional PostgreSQL array in binary form, each
/// element encoded the way a single bound parameter of type `elem` would be.
pub struct Column<'a> {
    pub elem: Type,
    pub values: Vec<&'a Value>,
}

impl std::fmt::Debug for Column<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} × {}", self.values.len(), self.elem)
    }
}

type BoxErr = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Column<'_> {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxErr> {
        out.put_i32(1); // dimensions
        let nulls_at = out.len();
        out.put_i32(0); // has nulls, set below
        out.put_u32(self.elem.oid());
        out.put_i32(i32::try_from(self.values.len())?);
        out.put_i32(1); // lower bound
        let mut nulls = false;
        for v in &self.values {
            let at = out.len();
            out.put_i32(0);
            let len = match super::postgres::encode(v, &self.elem, out)? {
                IsNull::Yes => {
                    nulls = true;
                    -1
                }
                IsNull::No => i32::try_from(out.len() - at - 4)?,
            };
            out.get_mut(at..at + 4)
                .ok_or("an array element's length slot is missing")?
                .copy_from_slice(&len.to_be_bytes());
        }
        if nulls {
            out.get_mut(nulls_at..nulls_at + 4)
                .ok_or("an array's null flag is missing")?
                .copy_from_slice(&1i32.to_be_bytes());
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let s =
            shape("INSERT INTO access_log (seq, actor, person_id, at, via) VALUES (?, ?, ?, ?, ?)")
                .unwrap();
        assert_eq!(s.table, "access_log");
        assert_eq!(s.columns.len(), 5);
        assert!(s.copyable());
        assert_eq!(
            s.copy_sql(),
            "COPY access_log (seq, actor, person_id, at, via) FROM STDIN (FORMAT binary)"
        );
        let s = shape(
            "INSERT INTO manifests (id, state, note, n) VALUES (?, 'dr,a''ft', NULL, ?) ON CONFLICT DO NOTHING",
        )
        .unwrap();
        assert!(!s.copyable());
        assert_eq!(
            s.unnest_sql(&[Type::TEXT, Type::INT8]),
            "INSERT INTO manifests (id, state, note, n) SELECT u.p1, 'dr,a''ft', NULL, u.p2 \
             FROM unnest($1::text[], $2::int8[]) AS u(p1, p2) ON CONFLICT DO NOTHING"
        );
        // Never held back: upserts, several rows, expressions, no parameters, other verbs.
        for sql in [
            "INSERT INTO s (a, b) VALUES (?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b",
            "INSERT INTO meta (key, value) VALUES ('a', ?), ('b', ?)",
            "INSERT INTO t (a, b) VALUES (?, lower(?))",
            "INSERT INTO t (a) VALUES ('x')",
            "INSERT INTO t (a, b) VALUES (?)",
            "UPDATE t SET a = ?",
            "INSERT INTO t (a) SELECT ?",
        ] {
            assert_eq!(shape(sql), None, "{sql}");
        }
    }
}
