//! custodia-store
