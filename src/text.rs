//! Untrusted text from SBOMs and feeds, made safe for terminals and Markdown.
//!
//! Every string a report shows that kevgate did not write itself (package names, versions,
//! advisory summaries, ids from an SBOM's `vulnerabilities[]`, URLs) may be hostile: an ANSI
//! escape that rewrites the terminal, a bidi override that reverses what a reviewer reads, a
//! `</details>` or `<img onerror>` that breaks out of a PR comment, a `[x](javascript:..)`
//! link, a `|` that splits a table row, an `@org/team` that pings people. The reporters pass
//! such text through [`terminal`] or [`markdown`] before writing it.
//!
//! The escapes are visible rather than silent (`\u{1b}` instead of dropping the byte), so a
//! reader sees that something odd was in the input. Workflow commands (`::error::`) only act
//! at the start of a line; the table never starts a line with untrusted text and newlines are
//! escaped, so they need no escaping of their own.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or a rendered document as is: C0 controls (incl.
/// newline, tab and ESC), DEL, C1 controls, and the Unicode bidi controls.
fn is_dangerous(c: char) -> bool {
    c.is_control() // C0, DEL, C1
        || matches!(
            c,
            // Bidi embeddings, overrides and isolates, and the directional marks:
            // <https://www.unicode.org/reports/tr9/#Directional_Formatting_Characters>,
            // the "Trojan Source" characters (CVE-2021-42574).
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
        // Line and paragraph separators end a line in some renderers.
        || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `s` for a terminal: control characters (C0 incl. newline and ESC, DEL, C1) and bidi
/// controls become visible `\u{..}` escapes; everything else is kept. Borrows when there is
/// nothing to escape.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_dangerous(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` as inert Markdown text, safe inside a paragraph, a table cell or an HTML block.
///
/// Newlines (and `\r`, tabs) become spaces; other control and bidi characters become visible
/// `\u{..}` escapes; `& < > | \` `` ` `` `[ ] * _ \ ~ #` `!` become HTML character
/// references (they render as themselves, but cannot open a tag, a link, an image, a code
/// span, emphasis or a table cell); an `@` that starts a word is followed by a zero-width
/// space so `@org/team` mentions nobody (the approach Renovate takes for release notes),
/// while `name@version` stays as it is.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut prev: Option<char> = None;
    for c in s.chars() {
        let after_word = prev.is_some_and(|p| p.is_alphanumeric());
        prev = Some(c);
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '*' => out.push_str("&#42;"),
            '_' => out.push_str("&#95;"),
            '\\' => out.push_str("&#92;"),
            '~' => out.push_str("&#126;"),
            '#' => out.push_str("&#35;"),
            '!' => out.push_str("&#33;"),
            // A mention needs `@` at a word start: `jquery@3.4.1` mentions nobody.
            '@' if after_word => out.push('@'),
            '@' => out.push_str("@&#8203;"),
            c if is_dangerous(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// An error and its causes on one line, each cause once (reqwest's and octocrab's own text
/// is only the outermost layer), whitespace collapsed.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts
        .join(": ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `s` on one line of at most `max_chars` characters: runs of whitespace (incl. newlines)
/// become one space, leading and trailing whitespace goes, and a longer result is cut with
/// `…` (counted in `max_chars`). Does not escape: combine with [`terminal`] or [`markdown`].
/// Borrows when nothing changes.
pub fn one_line(s: &str, max_chars: usize) -> Cow<'_, str> {
    let trimmed = s.trim();
    let clean = !trimmed.chars().any(|c| c.is_whitespace() && c != ' ') && !trimmed.contains("  ");
    let text: Cow<'_, str> = if clean {
        Cow::Borrowed(trimmed)
    } else {
        Cow::Owned(trimmed.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    if text.chars().count() <= max_chars {
        return text;
    }
    if max_chars == 0 {
        return Cow::Borrowed("");
    }
    let mut cut: String = text.chars().take(max_chars - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    Cow::Owned(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile strings a package name, version or advisory summary could carry, and what each
    /// escaper makes of them.
    const HOSTILE: &[(&str, &str, &str)] = &[
        // (input, terminal, markdown)
        ("lodash", "lodash", "lodash"),
        (
            "\u{1b}[31mred\u{1b}[0m",
            "\\u{1b}[31mred\\u{1b}[0m",
            "\\u{1b}&#91;31mred\\u{1b}&#91;0m",
        ),
        (
            "\n::error::pwned",
            "\\u{a}::error::pwned",
            " ::error::pwned",
        ),
        (
            "</details><details open>",
            "</details><details open>",
            "&lt;/details&gt;&lt;details open&gt;",
        ),
        (
            "<img src=x onerror=alert(1)>",
            "<img src=x onerror=alert(1)>",
            "&lt;img src=x onerror=alert(1)&gt;",
        ),
        (
            "[x](javascript:alert(1))",
            "[x](javascript:alert(1))",
            "&#91;x&#93;(javascript:alert(1))",
        ),
        (
            "![i](https://evil/x.png)",
            "![i](https://evil/x.png)",
            "&#33;&#91;i&#93;(https://evil/x.png)",
        ),
        ("@org/team", "@org/team", "@&#8203;org/team"),
        ("cc @octocat", "cc @octocat", "cc @&#8203;octocat"),
        ("(@octocat)", "(@octocat)", "(@&#8203;octocat)"),
        ("jquery@3.4.1", "jquery@3.4.1", "jquery@3.4.1"),
        ("a|b", "a|b", "a&#124;b"),
        ("`code`", "`code`", "&#96;code&#96;"),
        ("*b* _i_", "*b* _i_", "&#42;b&#42; &#95;i&#95;"),
        ("a&amp;b", "a&amp;b", "a&amp;amp;b"),
        ("x\\|y", "x\\|y", "x&#92;&#124;y"),
        // Trojan Source: U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE.
        (
            "evil\u{202E}txt.exe",
            "evil\\u{202e}txt.exe",
            "evil\\u{202e}txt.exe",
        ),
        (
            "a\u{2066}b\u{2069}",
            "a\\u{2066}b\\u{2069}",
            "a\\u{2066}b\\u{2069}",
        ),
        (
            "del\u{7f}c1\u{9b}",
            "del\\u{7f}c1\\u{9b}",
            "del\\u{7f}c1\\u{9b}",
        ),
        ("tab\there", "tab\\u{9}here", "tab here"),
        ("\r\n", "\\u{d}\\u{a}", "  "),
        ("über 日本", "über 日本", "über 日本"),
    ];

    /// Every control and bidi character is escaped for terminals; Markdown and HTML syntax
    /// and mentions are neutralised for Markdown.
    #[test]
    fn escapes_hostile_strings() {
        for (input, term, md) in HOSTILE {
            assert_eq!(terminal(input), *term, "terminal({input:?})");
            assert_eq!(markdown(input), *md, "markdown({input:?})");
        }
    }

    /// Clean text is borrowed, not copied.
    #[test]
    fn terminal_borrows_clean_text() {
        assert!(matches!(terminal("jquery@3.4.1"), Cow::Borrowed(_)));
    }

    /// Nothing the Markdown escaper returns can start a tag, a link or a code span.
    #[test]
    fn markdown_output_has_no_syntax() {
        for (input, _, _) in HOSTILE {
            let out = markdown(input);
            for bad in ['<', '>', '[', ']', '`', '|', '\n', '\r', '\u{1b}', '*', '_'] {
                assert!(!out.contains(bad), "{out:?} contains {bad:?}");
            }
        }
    }

    /// Whitespace is collapsed and long text cut with an ellipsis, counting characters.
    #[test]
    fn one_line_collapses_and_cuts() {
        let cases: &[(&str, usize, &str)] = &[
            ("short", 10, "short"),
            ("  padded  ", 10, "padded"),
            ("two\nlines", 20, "two lines"),
            ("a \t\r\n b", 20, "a b"),
            ("abcdefghij", 10, "abcdefghij"),
            ("abcdefghijk", 10, "abcdefghi…"),
            ("word word word", 6, "word…"),
            ("日本語テキスト", 4, "日本語…"),
            ("x", 0, ""),
            ("", 3, ""),
        ];
        for (input, max, want) in cases {
            assert_eq!(one_line(input, *max), *want, "one_line({input:?}, {max})");
            assert!(one_line(input, *max).chars().count() <= *max);
        }
        assert!(matches!(one_line("clean text", 20), Cow::Borrowed(_)));
    }
}
