//! stdout and stderr as a CI runner reads them: every line kevgate prints is neutralised, so
//! text from an SBOM, a feed or an error can never become a workflow command.
//!
//! The GitHub Actions runner reads a step's stdout *and* stderr line by line (a line ends at
//! `\n`, `\r` or `\r\n`: .NET `StreamReader.ReadLine`) and hands each line to
//! `ActionCommandManager.TryProcessCommand` (actions/runner `src/Runner.Worker`), which tries
//! two parsers (`src/Runner.Common/ActionCommand.cs`):
//!
//! - `TryParseV2`: the line, **leading whitespace trimmed**, starts with `::`
//!   (`::add-mask::x`, `  ::error::x`, `::stop-commands::t`);
//! - `TryParse` (the legacy form): `##[` **anywhere** in the line (`id ##[error]x`).
//!
//! A table row that starts with a package name, a remediation line naming the package, an
//! `about:` line quoting an advisory summary, an error quoting a purl: each would be a command
//! if its untrusted text came out as is. So nothing reaches the real stdout or stderr except
//! through a [`Console`], which rewrites every line:
//!
//! - a line whose first characters, after any whitespace, control or invisible format
//!   characters (a superset of what .NET's `TrimStart` removes), are `::` gets a `\` before
//!   the `::` (`\::add-mask::FAIL`);
//! - every `##[` becomes `#\#[`.
//!
//! Neither rewrite can create the other or itself again, so the result parses as no command
//! (the property test below and `tests/it/runner.rs` run a port of the runner's parsers over
//! random input and over kevgate's real output). The rewrite is visible, so a reader of the
//! log sees that the text was hostile.
//!
//! Escaping was chosen over the runner's `::stop-commands::<token>` … `::<token>::`: escaping
//! holds for output written before the first stop command and after a crash, needs no secret
//! to stay unguessable, and costs nothing on a terminal, where `scan` output is read too.
//!
//! kevgate's own workflow commands (`::add-mask::` for the token, `::warning::` when reporting
//! to GitHub fails) go through [`Console::command`], the one path that writes a line as is; its
//! callers build the line with [`crate::github::workflow`], which escapes the data.
//!
//! `clippy.toml` disallows `std::io::stdout` and `std::io::stderr` outside `main.rs`, and the
//! crate lints `print_stdout`/`print_stderr`, so output cannot bypass this module by accident.

use std::borrow::Cow;
use std::io::{self, Write};

/// Whether the runner's comparisons may skip `c`: control characters and the invisible format
/// characters (soft hyphen, zero-width and bidi marks, word joiner, BOM, variation selectors,
/// tags). The runner finds `::` and `##[` with .NET's `StartsWith`/`IndexOf(string)`, which
/// are culture-sensitive; with ICU they ignore such characters, so `:\u{ad}:add-mask::x` may
/// match. They are skipped here whatever the runner's globalization mode.
pub fn ignorable(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r'))
        || crate::text::invisible(c)
        || matches!(
            c,
            // The bidi marks, embeddings, overrides and isolates.
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// The characters of `line` the runner compares, with their byte offsets.
fn compared(line: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    line.char_indices().filter(|(_, c)| !ignorable(*c))
}

/// `line` (one line, without its line break) rewritten so the runner parses no command in it.
/// `at_line_start` is false for the rest of a line whose beginning was already written.
///
/// A `\` goes before the `::` that starts the line after whitespace (and ignorable
/// characters), and between the two `#` of every `##[`. Borrows when there is nothing to do.
pub fn neutralise(line: &str, at_line_start: bool) -> Cow<'_, str> {
    let chars: Vec<(usize, char)> = compared(line).collect();
    let mut inserts = Vec::new();
    if at_line_start
        && let Some(k) = chars.iter().position(|(_, c)| !c.is_whitespace())
        && chars[k].1 == ':'
        && chars.get(k + 1).is_some_and(|(_, c)| *c == ':')
    {
        inserts.push(chars[k].0);
    }
    for w in chars.windows(3) {
        if w[0].1 == '#' && w[1].1 == '#' && w[2].1 == '[' {
            inserts.push(w[1].0);
        }
    }
    if inserts.is_empty() {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + inserts.len());
    let mut from = 0;
    for at in inserts {
        out.push_str(&line[from..at]);
        out.push('\\');
        from = at;
    }
    out.push_str(&line[from..]);
    Cow::Owned(out)
}

/// `text` (any number of lines) with every line neutralised; line breaks are kept.
pub fn neutralise_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['\n', '\r']) {
        out.push_str(&neutralise(&rest[..i], true));
        out.push_str(&rest[i..=i]);
        rest = &rest[i + 1..];
    }
    out.push_str(&neutralise(rest, true));
    out
}

/// Writes `value` as pretty-printed JSON and a newline, with every `#` that another `#`
/// follows (ignorable characters skipped) written as the escape `\u0023`.
///
/// A JSON document on stdout goes through a [`Console`] too, and the console's `#\#[` would
/// be an invalid escape inside a JSON string: a vulnerability id `##[error]x` made
/// `scan --format json | jq` fail. `#` occurs in serialised JSON only inside strings, where
/// `\u0023` is the same character to every parser, so the document means what it meant, holds
/// no `##[` for the console (or a later `cat` of the file) to rewrite, and no line of it can
/// start with `::` (pretty JSON lines start with a structural character or `"`). A lone `#`
/// (Markdown's `&#91;`) is kept as is.
pub fn write_json<T: serde::Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    let json = serde_json::to_string_pretty(value).map_err(io::Error::from)?;
    // Written a run at a time between the `#`s to escape (a report is megabytes of JSON).
    let mut copied = 0;
    for (at, _) in json.match_indices('#') {
        if json[at + 1..]
            .chars()
            .find(|n| !ignorable(*n))
            .is_some_and(|n| n == '#')
        {
            out.write_all(&json.as_bytes()[copied..at])?;
            out.write_all(b"\\u0023")?;
            copied = at + 1;
        }
    }
    out.write_all(&json.as_bytes()[copied..])?;
    writeln!(out)
}

/// A writer that neutralises every line before it reaches `inner` (see the module docs).
///
/// Complete lines are written as they arrive. A partial line is kept until its line break,
/// except that [`Write::flush`] writes as much of it as is safe (a progress bar redraws a
/// line without ending it): everything, once the line's start is decided, but a trailing `#`
/// or `##` that the next write could turn into `##[`. Call [`Console::finish`] (or drop it) to
/// write what is left.
pub struct Console<W: Write = Box<dyn Write>> {
    inner: W,
    /// Bytes not yet written: the tail of the current line.
    pending: Vec<u8>,
    /// Whether the current line's beginning was already written.
    mid_line: bool,
}

impl<W: Write> Console<W> {
    /// A console writing to `inner`.
    pub fn new(inner: W) -> Console<W> {
        Console {
            inner,
            pending: Vec::new(),
            mid_line: false,
        }
    }

    /// Writes one of kevgate's own workflow commands, as is, on a line of its own. `line`
    /// must be one line built by [`crate::github::workflow`] (its data escaped); a line break
    /// is added when missing.
    pub fn command(&mut self, line: &str) -> io::Result<()> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        debug_assert!(
            !line.contains(['\n', '\r']),
            "a workflow command is one line"
        );
        if self.mid_line || !self.pending.is_empty() {
            self.end_line()?;
        }
        self.inner.write_all(line.as_bytes())?;
        self.inner.write_all(b"\n")?;
        self.inner.flush()
    }

    /// Writes the partial line, if any, neutralised, and flushes.
    pub fn finish(&mut self) -> io::Result<()> {
        self.write_partial(true)?;
        self.inner.flush()
    }

    /// The inner writer (for tests), after [`Console::finish`].
    pub fn into_inner(mut self) -> io::Result<W>
    where
        W: Default,
    {
        self.finish()?;
        Ok(std::mem::take(&mut self.inner))
    }

    /// Ends the current line: writes what is pending and a line break.
    fn end_line(&mut self) -> io::Result<()> {
        self.write_partial(true)?;
        self.inner.write_all(b"\n")?;
        self.mid_line = false;
        Ok(())
    }

    /// Writes the complete lines in `pending`, keeping the partial one: one pass over the
    /// bytes, one drain, however many lines a write brings.
    fn write_lines(&mut self) -> io::Result<()> {
        let mut from = 0;
        while let Some(n) = self.pending[from..]
            .iter()
            .position(|b| matches!(b, b'\n' | b'\r'))
        {
            let end = from + n;
            let text = String::from_utf8_lossy(&self.pending[from..end]);
            let safe = neutralise(&text, !self.mid_line);
            self.inner.write_all(safe.as_bytes())?;
            self.inner.write_all(&self.pending[end..=end])?;
            self.mid_line = false;
            from = end + 1;
        }
        self.pending.drain(..from);
        Ok(())
    }

    /// Writes what can be written of the partial line; everything when `all`.
    fn write_partial(&mut self, all: bool) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut end = self.pending.len();
        if !all {
            // A UTF-8 sequence cut by the write waits for its end.
            if let Err(e) = std::str::from_utf8(&self.pending)
                && e.error_len().is_none()
            {
                end = e.valid_up_to();
            }
            let text = String::from_utf8_lossy(&self.pending[..end]);
            // Undecided: nothing but whitespace and ignorable characters (and perhaps one
            // `:`) so far.
            let mut seen = compared(&text)
                .map(|(_, c)| c)
                .filter(|c| !c.is_whitespace());
            let first = seen.next();
            if !self.mid_line && (first.is_none() || (first == Some(':') && seen.next().is_none()))
            {
                return Ok(());
            }
            // A trailing `#`, `##` (with ignorable characters between) waits for what follows.
            let tail = text
                .char_indices()
                .rev()
                .take_while(|(_, c)| *c == '#' || ignorable(*c))
                .last()
                .map_or(text.len(), |(i, _)| i);
            end -= text.len() - tail;
        }
        let head: Vec<u8> = self.pending.drain(..end).collect();
        let text = String::from_utf8_lossy(&head);
        let safe = neutralise(&text, !self.mid_line);
        self.inner.write_all(safe.as_bytes())?;
        if !head.is_empty() {
            self.mid_line = true;
        }
        Ok(())
    }
}

impl<W: Write> Write for Console<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        // Only a line break ends a line: small writes inside a long line (a serializer's
        // tokens) are not rescanned.
        if buf.iter().any(|b| matches!(b, b'\n' | b'\r')) {
            self.write_lines()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_partial(false)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Console<W> {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Table-driven: each hostile line and what the runner gets instead.
    #[test]
    fn neutralises_both_forms() {
        let cases: &[(&str, &str)] = &[
            ("plain text", "plain text"),
            ("::add-mask::FAIL", "\\::add-mask::FAIL"),
            ("   ::stop-commands::x", "   \\::stop-commands::x"),
            ("\t\u{a0}\u{3000}::error::x", "\t\u{a0}\u{3000}\\::error::x"),
            (
                "\u{feff}\u{200b}::warning::x",
                "\u{feff}\u{200b}\\::warning::x",
            ),
            ("::", "\\::"),
            (":: not a command", "\\:: not a command"),
            ("a ::error::x", "a ::error::x"),
            ("##[notice]gate passed", "#\\#[notice]gate passed"),
            (
                "CVE-1 ##[error]x ##[warning]y",
                "CVE-1 #\\#[error]x #\\#[warning]y",
            ),
            ("###[x]", "##\\#[x]"),
            ("##[##[", "#\\#[#\\#["),
            ("::x::##[error]", "\\::x::#\\#[error]"),
            ("std::io", "std::io"),
            // Characters ICU's comparison skips do not hide a command.
            (":\u{ad}:add-mask::x", "\\:\u{ad}:add-mask::x"),
            ("\u{200b}::x::", "\u{200b}\\::x::"),
            ("#\u{200b}#\u{feff}[error]", "#\u{200b}\\#\u{feff}[error]"),
        ];
        for (input, want) in cases {
            assert_eq!(neutralise(input, true), *want, "{input:?}");
        }
        assert_eq!(
            neutralise("::x::", false),
            "::x::",
            "mid-line `::` is inert"
        );
        assert!(matches!(neutralise("clean", true), Cow::Borrowed(_)));
        assert_eq!(
            neutralise_text("a\n::x::y\r##[error]z\r\n"),
            "a\n\\::x::y\r#\\#[error]z\r\n"
        );
    }

    /// The console neutralises whatever way the text is cut into writes, flushes included,
    /// and writes its own commands as they are.
    #[test]
    fn console_cuts_and_commands() {
        let text = "ok\n  ::add-mask::FAIL\nid #";
        let mut c = Console::new(Vec::new());
        for b in text.bytes() {
            c.write_all(&[b]).expect("write");
            c.flush().expect("flush");
        }
        c.write_all(b"#[notice]x\n\r\xe6").expect("write");
        c.flush().expect("flush");
        c.write_all(b"\x97\xa5::y::\n").expect("write");
        c.command("::add-mask::secret\n").expect("command");
        c.write_all(b"tail").expect("write");
        c.command("::warning::w").expect("command");
        let out = String::from_utf8(c.into_inner().expect("finish")).expect("utf-8");
        assert_eq!(
            out,
            "ok\n  \\::add-mask::FAIL\nid #\\#[notice]x\n\r日::y::\n::add-mask::secret\ntail\n::warning::w\n"
        );
    }

    /// A progress bar (`\r`, text, flush) shows at once.
    #[test]
    fn flush_writes_a_decided_partial_line() {
        let mut c = Console::new(Vec::new());
        c.write_all(b"\rkev 10%").expect("write");
        c.flush().expect("flush");
        assert_eq!(c.inner, b"\rkev 10%");
        c.write_all(b"  :").expect("write");
        c.flush().expect("flush");
        assert_eq!(c.inner, b"\rkev 10%  :", "mid-line text is written");
        c.write_all(b"\n  :").expect("write");
        c.flush().expect("flush");
        assert_eq!(c.inner, b"\rkev 10%  :\n", "an undecided line start waits");
    }
}
