//! `custodia bill`: one month's invoice under an agreement (pure; CONTRACT §6).

use std::path::PathBuf;

use custodia_billing::{Month, invoice, parse_agreement, parse_stays};

use crate::error::{CliError, CliResult};
use crate::io::{read_input, write_output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agreement, as TOML (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub agreement: PathBuf,
    /// The stays, as CSV with person_id,facility_id,admitted_on,released_on (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub stays: PathBuf,
    /// The month to invoice, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
}

pub fn run(args: &Args) -> CliResult {
    if args.agreement.as_os_str() == "-" && args.stays.as_os_str() == "-" {
        return Err(CliError::input(
            "`--agreement` and `--stays` are both `-` (expected at most one of them on standard input)",
        ));
    }
    let month: Month = args
        .month
        .parse()
        .map_err(|e| CliError::input(format!("`--month`: {e}")))?;
    let a_path = args.agreement.display();
    let s_path = args.stays.display();
    let agreement = parse_agreement(&read_input(&args.agreement)?)
        .map_err(|e| CliError::input(format!("`{a_path}`: {e}")))?;
    let stays = parse_stays(&read_input(&args.stays)?)
        .map_err(|e| CliError::input(format!("`{s_path}`: {e}")))?;
    let inv = invoice(&agreement, &stays.stays, month)
        .map_err(|c| CliError::input(format!("`{s_path}`: {}", stays.locate(&c))))?;
    let mut json = serde_json::to_vec_pretty(&inv).map_err(|e| CliError::Internal(e.into()))?;
    json.push(b'\n');
    write_output(None, &json)
}
