//! The one mapping from library errors to the exit codes of CONTRACT.md.

use std::fmt;

/// Every command returns this; `main` turns it into an exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad input or usage (exit 2). The message names the file, line and field.
    Input(String),
    /// A check ran and failed (exit 1): tampering found, proof invalid.
    Check(String),
    /// Anything else (exit 3).
    Internal(anyhow::Error),
}

impl CliError {
    pub fn input(msg: impl fmt::Display) -> Self {
        Self::Input(msg.to_string())
    }
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Input(_) => 2,
            Self::Check(_) => 1,
            Self::Internal(_) => 3,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(m) => write!(f, "error: {m}"),
            Self::Check(m) => write!(f, "check failed: {m}"),
            Self::Internal(e) => write!(f, "internal error: {e:#}"),
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        Self::Internal(e.into())
    }
}

pub type CliResult = Result<(), CliError>;
