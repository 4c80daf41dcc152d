//! custodia-housing
