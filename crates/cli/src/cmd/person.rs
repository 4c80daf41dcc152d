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
}

pub fn run(db: &str, cmd: &PersonCmd) -> CliResult {
    match cmd {
        PersonCmd::Show { who, person } => {
            let actor = who.actor()?;
            if actor.role == custodia_app::Role::Counsel {
                return Err(CliError::input(
                    "forbidden: counsel read their clients' records through the server, which checks the assignment",
                ));
            }
            let mut store = open_store(db)?;
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
