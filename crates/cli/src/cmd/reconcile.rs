//! `custodia reconcile`: pure reconciliation of a manifest against an intake (CONTRACT §2).

use std::path::{Path, PathBuf};

use custodia_linkage::{Record, parse_csv, reconcile::reconcile};

use crate::error::{CliError, CliResult};
use crate::io::{read_input, write_output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sending side's manifest (CSV; `-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// The receiving facility's intake records (CSV; `-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub intake: PathBuf,
    /// Write the JSON result here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn load(path: &Path) -> Result<Vec<Record>, CliError> {
    let text = read_input(path)?;
    parse_csv(&path.display().to_string(), &text).map_err(CliError::input)
}

pub fn run(args: &Args) -> CliResult {
    if args.manifest.as_os_str() == "-" && args.intake.as_os_str() == "-" {
        return Err(CliError::input(
            "`--manifest` and `--intake` cannot both be `-` (standard input can be read once)",
        ));
    }
    let manifest = load(&args.manifest)?;
    let intake = load(&args.intake)?;
    let result = reconcile(&manifest, &intake);
    let mut json = serde_json::to_vec(&result).map_err(|e| CliError::Internal(e.into()))?;
    json.push(b'\n');
    write_output(args.out.as_deref(), &json)
}
