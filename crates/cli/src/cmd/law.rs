//! CONTRACT §9 commands: counsel (assign, unassign, notices), identity corrections
//! (`person correct`, `person confirm`), class tags, and the oversight report. Each parses,
//! resolves the token's actor, calls one `custodia_app` use case and prints.

use custodia_app::{corrections, counsel, oversight, records};

use crate::ctx::{ActorArg, app_err, open_store, print_json};
use crate::error::CliResult;

#[derive(Debug, clap::Subcommand)]
pub enum CounselCmd {
    /// Assign counsel NAME (a token holder's name) to a person (supervisor or admin).
    Assign {
        #[command(flatten)]
        who: ActorArg,
        person: String,
        #[arg(long)]
        counsel: String,
    },
    /// End counsel NAME's assignment to a person (supervisor or admin).
    Unassign {
        #[command(flatten)]
        who: ActorArg,
        person: String,
        #[arg(long)]
        counsel: String,
    },
    /// Every screening, manifest change, departure and custody change of the token holder's
    /// clients, oldest first, as JSON Lines.
    Notices {
        #[command(flatten)]
        who: ActorArg,
        /// Only notices after this log position.
        #[arg(long)]
        after: Option<u64>,
        #[arg(long, default_value_t = 1000)]
        limit: u64,
    },
}

pub fn run_counsel(db: &str, cmd: &CounselCmd) -> CliResult {
    let mut store = open_store(db)?;
    match cmd {
        CounselCmd::Assign {
            who,
            person,
            counsel: name,
        }
        | CounselCmd::Unassign {
            who,
            person,
            counsel: name,
        } => {
            let assign = matches!(cmd, CounselCmd::Assign { .. });
            let actor = who.actor(&mut store)?;
            let changed =
                counsel::set(&mut store, &actor, person, name, assign).map_err(app_err)?;
            let what = if assign {
                "assigned to"
            } else {
                "unassigned from"
            };
            if changed {
                eprintln!("counsel `{name}` {what} `{person}`");
            } else {
                eprintln!("counsel `{name}` was already {what} `{person}`; nothing recorded");
            }
        }
        CounselCmd::Notices { who, after, limit } => {
            let actor = who.actor(&mut store)?;
            for n in counsel::notices(&mut store, &actor, *after, *limit).map_err(app_err)? {
                let line = serde_json::to_string(&n)
                    .map_err(|e| crate::error::CliError::Internal(e.into()))?;
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// `person correct` and `person confirm`.
pub fn correct(
    db: &str,
    who: &ActorArg,
    person: &str,
    field: &str,
    value: &str,
    reason: &str,
) -> CliResult {
    let mut store = open_store(db)?;
    let actor = who.actor(&mut store)?;
    let id =
        corrections::propose(&mut store, &actor, person, field, value, reason).map_err(app_err)?;
    eprintln!(
        "correction `{id}` proposed; it takes effect when a second person confirms it (`custodia person confirm {id}`)"
    );
    println!("{id}");
    Ok(())
}

pub fn confirm(db: &str, who: &ActorArg, id: &str) -> CliResult {
    let mut store = open_store(db)?;
    let actor = who.actor(&mut store)?;
    let reopened = corrections::confirm(&mut store, &actor, id).map_err(app_err)?;
    eprintln!("correction `{id}` confirmed");
    for m in reopened {
        eprintln!("manifest `{m}` is back to `screened` and must be approved again");
    }
    Ok(())
}

#[derive(Debug, clap::Subcommand)]
pub enum ClassCmd {
    /// Tag a person as a member of a class named in class-wide court orders.
    Tag {
        #[command(flatten)]
        who: ActorArg,
        person: String,
        #[arg(long = "class")]
        class_id: String,
    },
}

pub fn run_class(db: &str, cmd: &ClassCmd) -> CliResult {
    let mut store = open_store(db)?;
    match cmd {
        ClassCmd::Tag {
            who,
            person,
            class_id,
        } => {
            let actor = who.actor(&mut store)?;
            if records::tag_class(&mut store, &actor, person, class_id).map_err(app_err)? {
                eprintln!("`{person}` tagged with class `{class_id}`");
            } else {
                eprintln!(
                    "`{person}` was already tagged with class `{class_id}`; nothing recorded"
                );
            }
        }
    }
    Ok(())
}

/// `report overrides [--month YYYY-MM]`.
pub fn overrides(db: &str, who: &ActorArg, month: Option<&str>) -> CliResult {
    let mut store = open_store(db)?;
    let actor = who.actor(&mut store)?;
    let r = oversight::overrides(&mut store, &actor, month).map_err(app_err)?;
    print_json(&r)
}
