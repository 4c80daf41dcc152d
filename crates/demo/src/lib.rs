//! custodia-demo
