//! The ids the application gives the things it creates, as pure functions: the use cases in
//! `custodia-app` and the synthetic demo world name manifests and cases alike.
//!
//! ```
//! use custodia_model::ids::{case_id, manifest_id};
//! assert_eq!(manifest_id(1), "MAN-0001");
//! assert_eq!(case_id(&manifest_id(12), 3), "CASE-MAN-0012-003");
//! ```

/// The id of the `ordinal`-th manifest of a store (1-based: one more than the manifests
/// already there).
pub fn manifest_id(ordinal: u64) -> String {
    format!("MAN-{ordinal:04}")
}

/// The id of the `ordinal`-th case opened on `manifest_id` (1-based: one more than the cases
/// the manifest already has).
pub fn case_id(manifest_id: &str, ordinal: u64) -> String {
    format!("CASE-{manifest_id}-{ordinal:03}")
}
