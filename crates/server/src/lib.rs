//! custodia-server
