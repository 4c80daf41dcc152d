//! A C2SP `signed-note` parser and the `tlog-checkpoint` body it carries, exposed so that
//! other crates (witnesses, policies) can look at every signature line, including the ones
//! made by keys that [`crate::verify_checkpoint`] does not know.

use base64::Engine as _;
use tlog_tiles::tlog::Hash;

/// Errors parsing a signed note or a checkpoint body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The text is not a signed note (`signed-note`, "Format").
    #[error("not a signed note: {0}")]
    Note(String),
    /// The note text is not a checkpoint body (`tlog-checkpoint`, "Note text").
    #[error("not a checkpoint: {0}")]
    Checkpoint(String),
}

/// One signature line of a note: `— <name> base64(key id ‖ signature)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The 32-bit key id (the first four bytes of the decoded signature, big-endian).
    pub key_id: u32,
    /// The signature bytes after the key id.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The signature line, ending in a newline.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!(
            "\u{2014} {} {}\n",
            self.name,
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    /// Parses one signature line, without its newline.
    pub fn from_line(line: &str) -> Result<Self, NoteError> {
        let rest = line.strip_prefix("\u{2014} ").ok_or_else(|| {
            NoteError::Note(format!("signature line `{line}` does not start with `— `"))
        })?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| NoteError::Note(format!("signature line `{line}` has no signature")))?;
        if !is_key_name_valid(name) {
            return Err(NoteError::Note(format!("key name `{name}` is not valid")));
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| NoteError::Note(format!("signature of `{name}` is not base64")))?;
        match raw.split_first_chunk::<4>() {
            Some((id, sig)) if !sig.is_empty() => Ok(Self {
                name: name.to_string(),
                key_id: u32::from_be_bytes(*id),
                signature: sig.to_vec(),
            }),
            _ => Err(NoteError::Note(format!(
                "signature of `{name}` is shorter than 5 bytes"
            ))),
        }
    }
}

/// Whether `name` is a valid key name: non-empty, no Unicode space, no `+`.
pub fn is_key_name_valid(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// A parsed signed note: its text (with the final newline) and its signature lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The note text, including its final newline but not the blank separator line.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

/// The most signature lines a note may carry here (signed-note asks for at least 16).
pub const MAX_NOTE_SIGNATURES: usize = 100;

impl SignedNote {
    /// Parses a signed note. The text is separated from the signatures by the last blank line;
    /// no ASCII control character other than newline is allowed; at least one signature.
    pub fn parse(note: &str) -> Result<Self, NoteError> {
        if note.chars().any(|c| c < '\u{20}' && c != '\n') {
            return Err(NoteError::Note("contains a control character".into()));
        }
        let (text, sigs) = note
            .rsplit_once("\n\n")
            .ok_or_else(|| NoteError::Note("no blank line before the signatures".into()))?;
        let sigs = sigs
            .strip_suffix('\n')
            .ok_or_else(|| NoteError::Note("does not end in a newline".into()))?;
        let signatures = sigs
            .split('\n')
            .map(NoteSignature::from_line)
            .collect::<Result<Vec<_>, _>>()?;
        if signatures.len() > MAX_NOTE_SIGNATURES {
            return Err(NoteError::Note(format!(
                "more than {MAX_NOTE_SIGNATURES} signatures"
            )));
        }
        Ok(Self {
            text: format!("{text}\n"),
            signatures,
        })
    }

    /// The note as text: the text, a blank line, the signature lines.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.to_line());
        }
        out
    }
}

/// The body of a checkpoint (`tlog-checkpoint`): origin, size, root, extension lines.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointBody {
    /// The origin line.
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The root hash.
    pub root: Hash,
    /// Extension lines, without their newlines.
    pub extensions: Vec<String>,
}

impl CheckpointBody {
    /// Parses a note text as a checkpoint body (the text must end in a newline).
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| NoteError::Checkpoint("does not end in a newline".into()))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(NoteError::Checkpoint("empty origin line".into()));
        }
        let size_line = lines
            .next()
            .ok_or_else(|| NoteError::Checkpoint("no tree size line".into()))?;
        let size = parse_decimal(size_line).ok_or_else(|| {
            NoteError::Checkpoint(format!(
                "tree size `{size_line}` is not a decimal without leading zeroes"
            ))
        })?;
        let root_line = lines
            .next()
            .ok_or_else(|| NoteError::Checkpoint("no root hash line".into()))?;
        let root = base64::engine::general_purpose::STANDARD
            .decode(root_line)
            .ok()
            .and_then(|r| <[u8; 32]>::try_from(r).ok())
            .map(Hash)
            .ok_or_else(|| {
                NoteError::Checkpoint(format!("root hash `{root_line}` is not 32 bytes of base64"))
            })?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(NoteError::Checkpoint("empty extension line".into()));
        }
        Ok(Self {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }
}

/// Parses an ASCII decimal with no leading zeroes (`0` itself allowed), as C2SP sizes are.
pub fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_spec_example() {
        let note = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
        let n = SignedNote::parse(note).unwrap();
        assert_eq!(n.signatures.len(), 1);
        assert_eq!(n.signatures[0].signature.len(), 64);
        assert_eq!(n.to_text(), note);
        let b = CheckpointBody::parse(&n.text).unwrap();
        assert_eq!(
            (b.origin.as_str(), b.size),
            ("example.com/behind-the-sofa", 20852163)
        );
    }

    #[test]
    fn rejects_leading_zeroes_and_bad_notes() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("01"), None);
        assert_eq!(parse_decimal("+1"), None);
        assert!(SignedNote::parse("a\n\n").is_err());
        assert!(SignedNote::parse("a\n").is_err());
        assert!(SignedNote::parse("a\n\n\u{2014} k AAAA\n").is_err());
    }
}
