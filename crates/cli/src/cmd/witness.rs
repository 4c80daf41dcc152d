//! `custodia witness init|serve` (CONTRACT §10): a C2SP tlog-witness for other logs.
//!
//! `init` creates a cosigner key file and prints its vkey (signature type `0x04`); `serve`
//! answers `POST /add-checkpoint` for the logs given with `--log`, keeping its state (the
//! latest cosigned size and root per origin) in the SQLite file `--state`.

use std::path::PathBuf;
use std::sync::Arc;

use custodia_witness::{CosignerKey, Witness, WitnessDb};

use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Subcommand)]
pub enum WitnessCmd {
    /// Create a cosigner key file and print its verifier key.
    Init(InitArgs),
    /// Serve `POST /add-checkpoint` (C2SP tlog-witness).
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The witness's name (a schema-less URL such as `witness.example.org/w1`).
    #[arg(long)]
    pub name: String,
    /// Where to write the key (created with mode 0600; never overwritten).
    #[arg(long)]
    pub key_file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:7380")]
    pub addr: String,
    /// The witness's name; must be the key file's.
    #[arg(long)]
    pub name: String,
    /// The cosigner key file (`custodia witness init`).
    #[arg(long)]
    pub key_file: PathBuf,
    /// The witness's state (SQLite; created when absent).
    #[arg(long)]
    pub state: PathBuf,
    /// The verifier key of a log to witness (its key name is the log's origin); repeatable.
    #[arg(long = "log", required = true)]
    pub logs: Vec<String>,
}

pub fn run(cmd: &WitnessCmd) -> CliResult {
    match cmd {
        WitnessCmd::Init(a) => {
            let key = CosignerKey::generate(&a.name).map_err(CliError::input)?;
            key.save(&a.key_file).map_err(CliError::input)?;
            println!("{}", key.vkey());
            Ok(())
        }
        WitnessCmd::Serve(a) => {
            let key = CosignerKey::load(&a.key_file).map_err(CliError::input)?;
            if key.name() != a.name {
                return Err(CliError::input(format!(
                    "`--name {}`: the key file `{}` is for `{}`",
                    a.name,
                    a.key_file.display(),
                    key.name()
                )));
            }
            let db = WitnessDb::open(&a.state)
                .map_err(|e| CliError::input(format!("`--state {}`: {e}", a.state.display())))?;
            let witness = Witness::new(key, &a.logs, db).map_err(CliError::input)?;
            let vkey = witness.vkey();
            custodia_witness::run_blocking(&a.addr, Arc::new(witness), |addr| {
                eprintln!("custodia witness: {vkey} on http://{addr}")
            })
            .map_err(|e| CliError::input(format!("`--addr {}`: {e}", a.addr)))
        }
    }
}
