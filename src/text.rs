//! Untrusted text from SBOMs and feeds, made safe for terminals and Markdown.
//!
//! OWNER: report helper. (Lead's temporary stub until the report branch lands.)

use std::borrow::Cow;

/// One line of at most `max_chars` characters.
pub fn one_line(s: &str, max_chars: usize) -> Cow<'_, str> {
    let _ = max_chars;
    Cow::Borrowed(s)
}
