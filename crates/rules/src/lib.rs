//! custodia-rules
