//! custodia-billing
