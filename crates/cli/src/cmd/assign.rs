//! `custodia assign --input FILE`: CONTRACT §7. Pure: reads JSON, writes JSON to stdout.

use std::path::PathBuf;

use crate::error::{CliError, CliResult};
use crate::io::{read_input, write_output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The assignment input (JSON, CONTRACT §7); `-` reads standard input.
    #[arg(long)]
    pub input: PathBuf,
}

pub fn run(args: &Args) -> CliResult {
    let text = read_input(&args.input)?;
    let out = custodia_housing::assign_json(&text)
        .map_err(|e| CliError::input(format!("`{}`: {e}", args.input.display())))?;
    let mut bytes = serde_json::to_vec(&out).map_err(|e| CliError::Internal(e.into()))?;
    bytes.push(b'\n');
    write_output(None, &bytes)
}
