//! `custodia bill`: not yet written.

use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> CliResult {
    Err(CliError::Internal(anyhow::anyhow!("`bill` is not implemented yet")))
}
