//! custodia-ledger
