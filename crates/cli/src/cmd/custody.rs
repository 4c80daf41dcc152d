//! `custodia custody admit|release|remove|death PERSON`: custody changes, which may be
//! reported late with `--at` (when it happened); the store records when it learnt of it.

use custodia_app::custody::{self, Change};

use crate::ctx::{ActorArg, app_err, open_store};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Args)]
pub struct Common {
    #[command(flatten)]
    who: ActorArg,
    person: String,
    /// When it happened (RFC 3339), if not now.
    #[arg(long)]
    at: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum CustodyCmd {
    /// Admit to a facility (ends any open stay elsewhere).
    Admit {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        facility: String,
    },
    /// Release from custody.
    Release {
        #[command(flatten)]
        c: Common,
    },
    /// Hand over to a country outside the system's facilities.
    Remove {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        country: String,
    },
    /// Record a death in custody.
    Death {
        #[command(flatten)]
        c: Common,
    },
}

pub fn run(db: &str, cmd: &CustodyCmd) -> CliResult {
    let (c, change) = match cmd {
        CustodyCmd::Admit { c, facility } => (
            c,
            Change::Admit {
                facility_id: facility.clone(),
            },
        ),
        CustodyCmd::Release { c } => (c, Change::Release),
        CustodyCmd::Remove { c, country } => (
            c,
            Change::Remove {
                country: custodia_model::legal::CountryCode::new(country)
                    .map_err(|e| CliError::input(format!("`--country`: {e}")))?,
            },
        ),
        CustodyCmd::Death { c } => (c, Change::Death),
    };
    let at = match &c.at {
        None => None,
        Some(t) => Some(t.parse::<jiff::Timestamp>().map_err(|e| {
            CliError::input(format!("`--at {t}`: expected an RFC 3339 instant: {e}"))
        })?),
    };
    let mut store = open_store(db)?;
    let actor = c.who.actor(&mut store)?;
    custody::record(&mut store, &actor, &c.person, change, at).map_err(app_err)
}
