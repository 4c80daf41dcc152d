//! `custodia token create --role ROLE --name NAME [--facility F]` (CONTRACT §8): prints one
//! bearer token on one line; the store keeps only its SHA-256.

use custodia_app::Role;

use crate::ctx::open_store;
use crate::error::{CliError, CliResult};

#[derive(Debug, clap::Subcommand)]
pub enum TokenCmd {
    /// Create a bearer token and print it (shown only this once).
    Create(CreateArgs),
    /// Revoke a token (given on standard input, so it stays out of the shell history). Needs
    /// the acting token (`--token`, CONTRACT §9 "Who acts"): an `admin`'s, or the very token
    /// being revoked (a holder may always give up their own).
    Revoke(RevokeArgs),
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// sending_officer, sending_supervisor, receiving_officer, counsel, auditor or admin.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// Who holds it; the ledger records actions as `role:name`.
    #[arg(long)]
    pub name: String,
    /// Bind a receiving officer to one facility.
    #[arg(long)]
    pub facility: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub actor: crate::ctx::ActorArg,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

pub fn run(db: &str, cmd: &TokenCmd) -> CliResult {
    match cmd {
        TokenCmd::Create(a) => {
            let mut store = open_store(db)?;
            let t = custodia_server::auth::create_token(
                &mut store,
                a.role,
                &a.name,
                a.facility.as_deref(),
            )
            .map_err(|e| {
                if e.status.is_client_error() {
                    CliError::input(e.message)
                } else {
                    CliError::Internal(anyhow::anyhow!(e.message))
                }
            })?;
            println!("{t}");
            Ok(())
        }
        TokenCmd::Revoke(a) => {
            let mut t = String::new();
            std::io::stdin()
                .read_line(&mut t)
                .map_err(|e| CliError::input(format!("`-`: cannot read the token: {e}")))?;
            let mut store = open_store(db)?;
            // CONTRACT §9: only `demo`, `restore` and `token create` act without a token.
            let actor = a.actor.actor(&mut store)?;
            let own = crate::ctx::given_token() == Some(t.trim());
            if actor.role != Role::Admin && !own {
                return Err(CliError::input(format!(
                    "forbidden: `{}` may revoke only the token it acts with; revoking another's takes an `admin` token",
                    actor.id()
                )));
            }
            let hash = custodia_server::auth::sha256_hex(t.trim().as_bytes());
            let revoked = store.revoke_token(&hash).map_err(crate::ctx::store_err)?;
            if !revoked {
                return Err(CliError::input("no live token matches the one given"));
            }
            eprintln!("token revoked");
            Ok(())
        }
    }
}
