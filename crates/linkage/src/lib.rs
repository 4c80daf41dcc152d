//! custodia-linkage
