//! Schema migrations: versioned, append-only, each recorded with the SHA-256 of its text.
//!
//! Both backends keep `schema_migrations (version, checksum)` and run the same plan: every
//! built-in migration not yet applied is applied, in version order, and every applied one
//! must still have the text it had when it was applied. A migration edited after it shipped,
//! or a store written by a newer custodia (a version this binary does not know), stops the
//! open before anything is written. Stores made before checksums were recorded get them on
//! their next writing open (trust on first use); from then on they are checked.
//!
//! Versions are numbered per branch, so a lower one (0011) may land after a higher one
//! (0013): a missing lower version is applied, not refused. This is why the runner is ours
//! and not `refinery`, whose runner refuses (or, told not to, skips) such a version.

use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};

/// The SHA-256 of a migration's text, in hex: what `schema_migrations.checksum` records.
pub(crate) fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// What to do to bring a store's schema to this binary's.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan<'a> {
    /// Migrations to apply, in version order: version, text, checksum.
    pub to_apply: Vec<(i64, &'a str, String)>,
    /// Applied migrations recorded without a checksum (a store from before checksums):
    /// version and the checksum to record.
    pub backfill: Vec<(i64, String)>,
}

/// Checks the `applied` migrations (version, recorded checksum) against the `built_in`
/// ones and says what is left to do. An applied version this binary does not know is
/// [`StoreError::Invalid`]; an applied migration whose text has changed is
/// [`StoreError::Corrupt`]; both name the version.
pub(crate) fn plan<'a>(
    built_in: &'a [(i64, &'a str)],
    applied: &[(i64, Option<String>)],
) -> Result<Plan<'a>> {
    let mut out = Plan::default();
    for (version, recorded) in applied {
        let Some((_, sql)) = built_in.iter().find(|(v, _)| v == version) else {
            return Err(StoreError::Invalid(format!(
                "the store has schema migration {version:04}, which this custodia does not know: \
                 it was written by a newer custodia; use that one"
            )));
        };
        let sum = checksum(sql);
        match recorded {
            Some(r) if *r != sum => {
                return Err(StoreError::Corrupt(format!(
                    "schema migration {version:04} was applied with checksum {r}, but this \
                     custodia's text of it has checksum {sum}: a shipped migration was edited"
                )));
            }
            Some(_) => {}
            None => out.backfill.push((*version, sum)),
        }
    }
    let mut missing: Vec<&(i64, &str)> = built_in
        .iter()
        .filter(|(v, _)| !applied.iter().any(|(a, _)| a == v))
        .collect();
    missing.sort_by_key(|(v, _)| *v);
    out.to_apply = missing
        .into_iter()
        .map(|(v, sql)| (*v, *sql, checksum(sql)))
        .collect();
    Ok(out)
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

    const BUILT_IN: &[(i64, &str)] = &[
        (1, "CREATE TABLE a (x)"),
        (3, "CREATE TABLE c (x)"),
        (2, "CREATE TABLE b (x)"),
    ];

    fn applied(v: &[(i64, Option<&str>)]) -> Vec<(i64, Option<String>)> {
        v.iter().map(|(v, s)| (*v, s.map(str::to_string))).collect()
    }

    #[test]
    fn a_new_store_applies_everything_in_version_order() {
        let p = plan(BUILT_IN, &[]).unwrap();
        let versions: Vec<i64> = p.to_apply.iter().map(|(v, ..)| *v).collect();
        assert_eq!(versions, [1, 2, 3]);
        assert_eq!(p.to_apply[0].2, checksum("CREATE TABLE a (x)"));
        assert!(p.backfill.is_empty());
    }

    #[test]
    fn a_lower_version_landing_late_is_applied() {
        let a = applied(&[
            (1, Some(&checksum(BUILT_IN[0].1))),
            (3, Some(&checksum(BUILT_IN[1].1))),
        ]);
        let p = plan(BUILT_IN, &a).unwrap();
        assert_eq!(p.to_apply.len(), 1);
        assert_eq!(p.to_apply[0].0, 2);
    }

    #[test]
    fn an_edited_migration_is_corrupt_and_named() {
        let a = applied(&[(1, Some(&checksum("CREATE TABLE a (y)")))]);
        let e = plan(BUILT_IN, &a).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt(_)), "{e:?}");
        assert!(e.to_string().contains("migration 0001"), "{e}");
    }

    #[test]
    fn a_version_from_a_newer_custodia_is_refused() {
        let e = plan(BUILT_IN, &applied(&[(9, None)])).unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
        assert!(e.to_string().contains("0009"), "{e}");
    }

    #[test]
    fn a_store_from_before_checksums_gets_them() {
        let p = plan(BUILT_IN, &applied(&[(1, None), (2, None), (3, None)])).unwrap();
        assert!(p.to_apply.is_empty());
        assert_eq!(
            p.backfill,
            [
                (1, checksum(BUILT_IN[0].1)),
                (2, checksum(BUILT_IN[2].1)),
                (3, checksum(BUILT_IN[1].1))
            ]
        );
    }
}
