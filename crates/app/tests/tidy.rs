//! Tidy checks that keep the code's shape (as rust-analyzer's `tidy.rs` does): they read the
//! workspace's sources and fail naming the file and line that breaks a rule.
//!
//! - Only `crates/store` writes SQL against the custody store; a use case asks
//!   `store::reads` for typed rows. (`crates/witness` keeps its own state file: a witness is
//!   an independent program that must not share the log's store.)
//! - A parse in `app`, `store` or `server` never falls back to a default
//!   (`.parse().unwrap_or(…)` turns a damaged value into a plausible one).
//! - The store's raw SQL (`test-sql` feature) is enabled only as a dev-dependency.
//! - `store` and `app` deny `clippy::indexing_slicing`: an index out of range is a panic in
//!   the middle of a transaction; they use `.get()` and iterators.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Every `.rs` file under `dir`, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The lines of the library sources of `crates/<name>/src` (tests and examples excluded),
/// with their file and line number, skipping comments.
fn code_lines(krate: &str) -> Vec<(String, usize, String)> {
    let root = workspace();
    let mut out = Vec::new();
    for p in sources(&root.join("crates").join(krate).join("src")) {
        let rel = p.strip_prefix(&root).unwrap().display().to_string();
        let text = std::fs::read_to_string(&p).unwrap();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("//") {
                continue;
            }
            out.push((rel.clone(), i + 1, line.to_string()));
        }
    }
    out
}

fn crates() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(workspace().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A string literal that starts a SQL statement.
fn is_sql(line: &str) -> bool {
    const STARTS: [&str; 6] = [
        "\"SELECT ",
        "\"INSERT INTO ",
        "\"UPDATE ",
        "\"DELETE FROM ",
        "\"CREATE TABLE ",
        "\"WITH ",
    ];
    STARTS.iter().any(|s| line.contains(s))
}

#[test]
fn the_lint_finds_sql() {
    assert!(is_sql(
        r#"let r = c.query("SELECT id FROM persons", &[])?;"#
    ));
    assert!(is_sql(r#"    "DELETE FROM sessions WHERE id = ?","#));
    assert!(!is_sql(r#"let s = "select a flight";"#));
}

#[test]
fn only_the_store_writes_sql() {
    let mut found = Vec::new();
    for k in crates()
        .iter()
        .filter(|k| !["store", "witness"].contains(&k.as_str()))
    {
        for (file, n, line) in code_lines(k) {
            if is_sql(&line) {
                found.push(format!("{file}:{n}: {}", line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL outside crates/store (add a typed read to store::reads instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn no_parse_falls_back_to_a_default() {
    let mut found = Vec::new();
    for k in ["app", "store", "server"] {
        for (file, n, line) in code_lines(k) {
            let parses = line.contains(".parse") || line.contains("from_str(");
            let defaults = line.contains(".unwrap_or(") || line.contains(".unwrap_or_default()");
            if parses && defaults {
                found.push(format!("{file}:{n}: {}", line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "a parse that falls back to a default hides damaged data; return an error naming the value instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn store_and_app_deny_indexing_slicing() {
    let root = workspace();
    let mut missing = Vec::new();
    for k in ["store", "app"] {
        let lib = root.join("crates").join(k).join("src/lib.rs");
        let text = std::fs::read_to_string(&lib).unwrap();
        let denied = text
            .lines()
            .any(|l| l.trim() == "#![deny(clippy::indexing_slicing)]");
        if !denied {
            missing.push(format!("crates/{k}/src/lib.rs"));
        }
    }
    assert!(
        missing.is_empty(),
        "add `#![deny(clippy::indexing_slicing)]` to: {}",
        missing.join(", ")
    );
}

/// The `test-sql` feature of `custodia-store` makes raw SQL public for tests that tamper with
/// tables; a program's own dependencies never enable it.
#[test]
fn raw_sql_is_for_tests_only() {
    let mut found = Vec::new();
    for k in crates() {
        let path = workspace().join("crates").join(&k).join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut section = String::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.starts_with('[') {
                section = t.to_string();
            } else if t.contains("\"test-sql\"")
                && section != "[dev-dependencies]"
                && !(k == "store" && section == "[features]")
            {
                found.push(format!(
                    "crates/{k}/Cargo.toml:{}: {t} (in {section})",
                    i + 1
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "`test-sql` outside [dev-dependencies]:\n{}",
        found.join("\n")
    );
}
