//! `custodia person show ID --as role:name`: a person's whole record. Like every read of a
//! person's data, it is itself appended to the ledger (`person_read`) before it is shown.

use custodia_model::events::{EventData, NewEvent};

use crate::ctx::{ActorArg, open_store, print_json, store_err};
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Subcommand)]
pub enum PersonCmd {
    /// Print the person's record: identity, custody, legal records, screenings, cases, timeline.
    Show {
        #[command(flatten)]
        who: ActorArg,
        person: String,
    },
    /// Propose a change to an identity fact (names, date of birth, country of birth,
    /// nationalities, US status); it takes effect when a second person confirms it.
    Correct {
        #[command(flatten)]
        who: ActorArg,
        person: String,
        #[arg(long)]
        field: String,
        /// The new value (`;`-separated codes for nationalities; empty for unknown).
        #[arg(long, allow_hyphen_values = true)]
        value: String,
        #[arg(long)]
        reason: String,
    },
    /// Confirm a proposed correction (a second person).
    Confirm {
        #[command(flatten)]
        who: ActorArg,
        correction: String,
    },
}

pub fn run(db: &str, cmd: &PersonCmd) -> CliResult {
    match cmd {
        PersonCmd::Correct {
            who,
            person,
            field,
            value,
            reason,
        } => crate::cmd::law::correct(db, who, person, field, value, reason),
        PersonCmd::Confirm { who, correction } => crate::cmd::law::confirm(db, who, correction),
        PersonCmd::Show { who, person } => {
            let mut store = open_store(db)?;
            let actor = who.actor(&mut store)?;
            if actor.role == custodia_app::Role::Counsel {
                return Err(CliError::input(
                    "forbidden: counsel read their clients' records through the server, which checks the assignment",
                ));
            }
            let file = store
                .person_file(person)
                .map_err(store_err)?
                .ok_or_else(|| CliError::input(format!("no person `{person}`")))?;
            let now = store.clock().now();
            store
                .append(vec![NewEvent {
                    occurred_at: now,
                    actor: actor.id(),
                    data: EventData::PersonRead {
                        person_id: person.clone(),
                    },
                }])
                .map_err(store_err)?;
            print_json(&file)
        }
    }
}
