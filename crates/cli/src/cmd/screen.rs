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
    #[arg(long)]
    pub input: PathBuf,
    /// A parameter file (TOML) replacing the built-in dated parameters.
    #[arg(long)]
    pub params: Option<PathBuf>,
}

pub fn run(args: &Args) -> CliResult {
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
    let name = args.input.display().to_string();
    let bad = |e: RequestError| CliError::input(format!("`{name}`: {e}"));

    let mut reader = open_input(&args.input)?;
    let mut out: Vec<u8> = Vec::with_capacity(1 << 20);
    if starts_with_bracket(&mut reader)
        .map_err(|e| CliError::input(format!("`{name}`: cannot read: {e}")))?
    {
        let mut text = String::new();
        reader
            .read_to_string(&mut text)
            .map_err(|e| CliError::input(format!("`{name}`: not readable UTF-8 text: {e}")))?;
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
