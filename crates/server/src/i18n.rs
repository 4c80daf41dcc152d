//! UI strings.
