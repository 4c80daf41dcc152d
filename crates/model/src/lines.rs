//! Line numbers for input errors that are the lines an editor shows (CONTRACT: an error
//! names the file and the line). The csv reader counts a CRLF file's lines one short and
//! reports a record at the first of the blank lines it skipped before it; these count from
//! byte offsets instead.

use std::borrow::Cow;

/// `text` with every line break a single `\n` (`\r\n` and a lone `\r` alike), so that byte
/// offsets into it count lines the way an editor does.
pub fn unify_line_breaks(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The 1-based line of the first character at or after `byte` that is not a line break.
pub fn line_at(text: &str, byte: u64) -> u64 {
    LineCounter::new(text).line_at(byte)
}

/// [`line_at`] for offsets that mostly grow (a reader's records, in order): each call
/// counts only from the previous offset.
#[derive(Debug, Clone)]
pub struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// Counts over `text` (line breaks unified, [`unify_line_breaks`]).
    pub fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line of the first non-line-break character at or after `byte`.
    pub fn line_at(&mut self, byte: u64) -> u64 {
        let t = self.text;
        let mut b = usize::try_from(byte).unwrap_or(usize::MAX).min(t.len());
        while b < t.len() && matches!(t[b], b'\n' | b'\r') {
            b += 1;
        }
        if b < self.byte {
            self.byte = 0;
            self.line = 1;
        }
        self.line += t[self.byte..b].iter().filter(|&&c| c == b'\n').count() as u64;
        self.byte = b;
        self.line
    }
}

/// Where a byte sequence stops being UTF-8, as a line number (for "not readable UTF-8 text"
/// errors): the line holding byte `valid_up_to` of `bytes`.
pub fn line_of_byte(bytes: &[u8], valid_up_to: usize) -> u64 {
    1 + bytes[..valid_up_to.min(bytes.len())]
        .iter()
        .filter(|&&c| c == b'\n')
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_an_editors() {
        let t = unify_line_breaks("h\r\na\r\n\r\n\r\nb\rc\n");
        assert_eq!(t, "h\na\n\n\nb\nc\n");
        let mut c = LineCounter::new(&t);
        assert_eq!(c.line_at(0), 1);
        assert_eq!(c.line_at(2), 2);
        // A record read from the first blank line is on the line where its text starts.
        assert_eq!(c.line_at(4), 5);
        assert_eq!(c.line_at(8), 6);
        // Going back recounts.
        assert_eq!(c.line_at(2), 2);
        assert_eq!(line_at(&t, 4), 5);
        assert_eq!(line_of_byte(b"a\nb\n\xff", 4), 3);
    }
}
