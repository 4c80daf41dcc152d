//! Input and output helpers shared by the commands: `-` means standard input.

use std::io::{Read, Write};
use std::path::Path;

use crate::error::CliError;

/// Reads a whole input file (or standard input for `-`) as UTF-8; bytes that are not UTF-8
/// are an input error naming their line.
pub fn read_input(path: &Path) -> Result<String, CliError> {
    let mut b = Vec::new();
    let name = if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| CliError::input(format!("`-`: cannot read standard input: {e}")))?;
        "-".to_string()
    } else {
        let mut f = std::fs::File::open(path)
            .map_err(|e| CliError::input(format!("`{}`: cannot open: {e}", path.display())))?;
        f.read_to_end(&mut b)
            .map_err(|e| CliError::input(format!("`{}`: cannot read: {e}", path.display())))?;
        path.display().to_string()
    };
    String::from_utf8(b).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = custodia_model::lines::line_of_byte(e.as_bytes(), at);
        CliError::input(format!(
            "`{name}`: line {line}: not readable UTF-8 text (byte {at} of the file); expected UTF-8"
        ))
    })
}

/// Opens a buffered reader on a file, or standard input for `-`.
pub fn open_input(path: &Path) -> Result<Box<dyn std::io::BufRead>, CliError> {
    if path.as_os_str() == "-" {
        Ok(Box::new(std::io::BufReader::new(std::io::stdin())))
    } else {
        let f = std::fs::File::open(path)
            .map_err(|e| CliError::input(format!("`{}`: cannot open: {e}", path.display())))?;
        Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, f)))
    }
}

/// Writes `bytes` to `out` (a file path) or to standard output.
pub fn write_output(out: Option<&Path>, bytes: &[u8]) -> Result<(), CliError> {
    match out {
        // An output path that cannot be written is a usage error (exit 2), like a missing
        // input file.
        Some(p) => std::fs::write(p, bytes)
            .map_err(|e| CliError::input(format!("`{}`: cannot write: {e}", p.display()))),
        None => {
            let mut so = std::io::stdout().lock();
            so.write_all(bytes)?;
            so.flush()?;
            Ok(())
        }
    }
}

/// Parses `text`, which starts on line `first_line` of `file`, as JSON into `T`; an error
/// names the file, the line and column, and the field by its path (`serde_path_to_error`),
/// then what was expected.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    file: &str,
    first_line: usize,
    text: &str,
) -> Result<T, CliError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let line = first_line + inner.line().saturating_sub(1);
        let column = inner.column();
        let field = if path == "." || path.is_empty() {
            String::new()
        } else {
            format!(", field `{path}`")
        };
        // serde's own "at line 1 column N" counts within `text`; the file's line is above.
        let msg = inner.to_string();
        let own = format!(" at line {} column {}", inner.line(), inner.column());
        let msg = msg.strip_suffix(&own).unwrap_or(&msg);
        CliError::input(format!(
            "`{file}`: line {line}, column {column}{field}: {msg}"
        ))
    })
}
