//! `custodia backup --out FILE` and `custodia restore FILE`: not written yet (issue 9).

use std::path::PathBuf;

use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Where to write the backup.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup file.
    pub file: PathBuf,
}

pub fn backup(_db: &str, _args: &BackupArgs) -> CliResult {
    Err(CliError::Internal(anyhow::anyhow!(
        "`backup` is not implemented yet"
    )))
}

pub fn restore(_db: &str, _args: &RestoreArgs) -> CliResult {
    Err(CliError::Internal(anyhow::anyhow!(
        "`restore` is not implemented yet"
    )))
}
