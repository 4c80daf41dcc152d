//! `custodia screen --input FILE [--params FILE]` (CONTRACT §1): one decision per request,
//! as JSON Lines, in input order.
//!
//! Nothing is written until every request has been read and validated: decisions are
//! serialized into a buffer, and the buffer goes to standard output only at the end, so a
//! bad request leaves standard output empty. JSON Lines input is streamed line by line
//! through one reused buffer; a JSON array is read whole.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use custodia_rules::{Params, RequestError, parse_request, parse_requests, screen};

use crate::error::{CliError, CliResult};
use crate::io::{open_input, read_input};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Screening requests: a JSON array or JSON Lines (`-` for standard input).
    #[arg(long, required_unless_present = "person", conflicts_with = "person")]
    pub input: Option<PathBuf>,
    /// A parameter file (TOML) replacing the built-in dated parameters.
    #[arg(long)]
    pub params: Option<PathBuf>,
    #[command(flatten)]
    pub stored: StoredArgs,
}

/// Screening a person held in the store, with their recorded legal records; the decision
/// is appended to the ledger.
#[derive(Debug, clap::Args)]
pub struct StoredArgs {
    /// Screen this stored person instead of reading requests.
    #[arg(long)]
    pub person: Option<String>,
    /// Destination country.
    #[arg(long, requires = "person")]
    pub to: Option<String>,
    /// The receiving facility, when one is named.
    #[arg(long, requires = "person")]
    pub facility: Option<String>,
    /// `removal`, `alien_enemies_act` or `prisoner_transfer`.
    #[arg(long, requires = "person", default_value = "removal")]
    pub basis: String,
    /// The transfer date (default: today by the clock).
    #[arg(long, requires = "person")]
    pub on: Option<String>,
}

fn run_stored(db: &str, person: &str, a: &StoredArgs, params: &Params) -> CliResult {
    use crate::ctx::{ActorArg, app_err, open_store, parse_date};
    let to =
        a.to.as_deref()
            .ok_or_else(|| CliError::input("`--to COUNTRY` is required with `--person`"))?;
    let dest = custodia_model::legal::CountryCode::new(to)
        .map_err(|e| CliError::input(format!("`--to`: {e}")))?;
    let basis: custodia_model::legal::Basis =
        serde_json::from_value(serde_json::Value::String(a.basis.clone())).map_err(|_| {
            CliError::input(format!(
                "`--basis {}`: expected `removal`, `alien_enemies_act` or `prisoner_transfer`",
                a.basis
            ))
        })?;
    let mut store = open_store(db)?;
    let actor = ActorArg::default().actor(&mut store)?;
    let on = match &a.on {
        Some(d) => parse_date("--on", d)?,
        None => store.clock().now().to_zoned(jiff::tz::TimeZone::UTC).date(),
    };
    let proposal = custodia_app::screening::Proposal {
        person_id: person.to_string(),
        basis,
        destination_country: dest,
        facility_id: a.facility.clone(),
        on,
        manifest_id: None,
    };
    let d = custodia_app::screening::screen_person(&mut store, &actor, &proposal, params)
        .map_err(app_err)?;
    // CONTRACT §9: the decision, plus the first date the transfer becomes lawful.
    let lawful =
        custodia_app::screening::lawful_from(&mut store, &proposal, params).map_err(app_err)?;
    let mut v = serde_json::to_value(&d).map_err(|e| CliError::Internal(e.into()))?;
    if let serde_json::Value::Object(m) = &mut v {
        m.insert(
            "earliest_date".into(),
            lawful
                .earliest_date
                .map_or(serde_json::Value::Null, |d| d.to_string().into()),
        );
    }
    let line = serde_json::to_string(&v).map_err(|e| CliError::Internal(e.into()))?;
    println!("{line}");
    Ok(())
}

pub fn run(db: &str, args: &Args) -> CliResult {
    let owned;
    let params = match &args.params {
        Some(path) => {
            let text = read_input(path)?;
            owned = Params::from_toml_str(&text)
                .map_err(|e| CliError::input(format!("`{}`: {e}", path.display())))?;
            &owned
        }
        None => Params::builtin(),
    };
    if let Some(person) = &args.stored.person {
        return run_stored(db, person, &args.stored, params);
    }
    let input = args
        .input
        .as_ref()
        .ok_or_else(|| CliError::input("`--input FILE` is required"))?;
    let name = input.display().to_string();
    let bad = |e: RequestError| CliError::input(format!("`{name}`: {e}"));

    let mut reader = open_input(input)?;
    let mut out: Vec<u8> = Vec::with_capacity(1 << 20);
    if starts_with_bracket(&mut reader)
        .map_err(|e| CliError::input(format!("`{name}`: cannot read: {e}")))?
    {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::input(format!("`{name}`: cannot read: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let line = custodia_model::lines::line_of_byte(e.as_bytes(), at);
            CliError::input(format!(
                "`{name}`: line {line}: not readable UTF-8 text; expected UTF-8"
            ))
        })?;
        for req in parse_requests(&text).map_err(bad)? {
            write_decision(&mut out, &req, params)?;
        }
    } else {
        let mut line = String::new();
        let (mut line_no, mut index) = (0usize, 0usize);
        loop {
            line.clear();
            let n = reader.read_line(&mut line).map_err(|e| {
                CliError::input(format!(
                    "`{name}`: line {}: not readable UTF-8 text: {e}",
                    line_no + 1
                ))
            })?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            index += 1;
            let req = parse_request(text).map_err(|e| bad(e.at(index, Some(line_no))))?;
            write_decision(&mut out, &req, params)?;
        }
    }
    // Every request was valid: only now does anything reach standard output.
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(())
}

fn write_decision(
    out: &mut Vec<u8>,
    req: &custodia_rules::ScreeningRequest,
    params: &Params,
) -> CliResult {
    serde_json::to_writer(&mut *out, &screen(req, params))
        .map_err(|e| CliError::Internal(e.into()))?;
    out.push(b'\n');
    Ok(())
}

/// Skips leading blanks and tells whether the input is a JSON array (CONTRACT §1: an array
/// or JSON Lines) without consuming its first character.
fn starts_with_bracket(reader: &mut Box<dyn BufRead>) -> std::io::Result<bool> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        let blanks = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if blanks < buf.len() {
            let first = buf[blanks];
            reader.consume(blanks);
            return Ok(first == b'[');
        }
        let n = buf.len();
        reader.consume(n);
    }
}
