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
//! reader sees that something odd was in the input; that includes the invisible characters
//! ([`invisible`]: zero-width space and joiners, word joiner, BOM, soft hyphen, variation
//! selectors, tags), which can hide text or make two names look alike.
//!
//! Workflow commands are not this module's concern: the runner finds `::cmd::` after leading
//! whitespace and `##[cmd]` anywhere in a line, on stdout and stderr alike, and the table does
//! start lines with untrusted text (a remediation line with the package, an ignored row with
//! the id). Every line kevgate prints goes through [`crate::output::Console`], which
//! neutralises both forms whatever produced the line.

use std::borrow::Cow;

/// Whether `c` is an invisible format character: zero-width space, non-joiner and joiner
/// (U+200B-U+200D), word joiner and the invisible operators (U+2060-U+2064), the BOM / zero-width
/// no-break space (U+FEFF), soft hyphen (U+00AD), combining grapheme joiner, Hangul fillers,
/// Mongolian and other variation selectors, interlinear annotation marks, shorthand format
/// controls, musical format controls and the tag characters (U+E0000-U+E0FFF, which also
/// holds the supplementary variation selectors). They render as nothing and can hide text or
/// make two names look the same; the bidi controls are in [`is_dangerous`] too.
pub fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2065}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Whether `c` must not reach a terminal or a rendered document as is: C0 controls (incl.
/// newline, tab and ESC), DEL, C1 controls, the Unicode bidi controls and the invisible
/// format characters ([`invisible`]).
pub fn is_dangerous(c: char) -> bool {
    c.is_control() // C0, DEL, C1
        || invisible(c)
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

/// `s` for a terminal: control characters (C0 incl. newline and ESC, DEL, C1), bidi controls
/// and invisible characters become visible `\u{..}` escapes; everything else is kept.
/// Borrows when there is nothing to escape. (Workflow commands are neutralised later, for
/// every line, by [`crate::output::Console`].)
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
/// - Newlines (and `\r`, tabs) become spaces; other control, bidi and invisible characters
///   become visible `\u{..}` escapes.
/// - `& < > | \` `` ` `` `[ ] * _ \ ~ #` `!` become HTML character references (they render as
///   themselves, but cannot open a tag, a link, an image, a code span, emphasis or a table cell).
/// - An `@` that starts a word is followed by `&#8203;` (a zero-width space, as a reference:
///   GitHub finds mentions in the rendered HTML's text, where `&#64;` would be a plain `@`
///   again), so `@org/team` mentions nobody (the approach Renovate takes for release notes),
///   while `name@version` stays as it is.
/// - Text GitHub's autolinker (GFM's autolink extension, cmark-gfm `autolink.c`) would turn
///   into a link gets `&#8288;` (a word joiner, as a reference) where the match needs two
///   characters side by side: before the `:` of `scheme://`, inside `www.`, and around the
///   `@` of an email-like `local@domain.tld` (a zero-width space after it, as for mentions: a
///   word joiner is no word character, so `a&#8288;@b` alone could mention `@b`). The scheme must end right before `://`, `www.`
///   must be those four characters, an email's local part must end right before `@`, in the
///   parsed text node and in the HTML alike; a word joiner in between matches none, and
///   renders as nothing, so the text reads as it was.
pub fn markdown(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev = i.checked_sub(1).map(|j| chars[j]);
        i += 1;
        let after_word = prev.is_some_and(|p| p.is_alphanumeric());
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
            // `scheme://`: the scheme cannot reach the `:`.
            ':' if chars.get(i..i + 2) == Some(&['/', '/']) => out.push_str("&#8288;:"),
            // `www.`: not four characters in a row.
            'w' | 'W' if is_www(&chars[i - 1..]) => {
                out.extend(&chars[i - 1..i + 2]);
                out.push_str("&#8288;");
                i += 2;
            }
            // An email address: the local part cannot reach the `@`.
            '@' if prev.is_some_and(email_local) && email_domain(&chars[i..]) => {
                out.push_str("&#8288;@&#8203;");
            }
            // A mention needs `@` at a word start: `jquery@3.4.1` mentions nobody.
            '@' if after_word => out.push('@'),
            '@' => out.push_str("@&#8203;"),
            c if is_dangerous(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Text for Slack's mrkdwn (Block Kit `mrkdwn` objects, link labels): untrusted text shows as
/// itself and can neither link, nor mention, nor break out of a `<url|label>`.
///
/// - `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;`, the three escapes Slack documents ("Escaping
///   text", docs.slack.dev/messaging/formatting-message-text): with no raw `<` there is no
///   `<!channel>`, `<!here>`, `<@U123>`, `<#C123>` or `<http://x|label>`.
/// - An `@` at a word start gets a zero-width space after it, so a bare `@channel`, `@here`
///   or `@everyone` (which Slack may still resolve in some clients) names nobody, while
///   `lodash@4.17.21` stays as it is.
/// - A `|` stays (Slack has no numeric references): without a raw `<` it opens nothing, and
///   inside a link label only the first `|` separates.
/// - `*`, `_`, `~`, `` ` `` get a zero-width space after them (Slack has no escape for them),
///   so a package name cannot bold or strike the message around it.
/// - Newlines become spaces, control and bidi characters `\u{..}` as for the terminal.
pub fn mrkdwn(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev: Option<char> = None;
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '@' if !prev.is_some_and(char::is_alphanumeric) => out.push_str("@\u{200b}"),
            '*' | '_' | '~' | '`' => {
                out.push(c);
                out.push('\u{200b}');
            }
            c if is_dangerous(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// Whether `rest` starts with `www.` (any case): the start of a GFM extended www autolink,
/// and of what other linkifiers take for a host.
fn is_www(rest: &[char]) -> bool {
    rest.len() >= 4 && rest[..3].iter().all(|c| c.eq_ignore_ascii_case(&'w')) && rest[3] == '.'
}

/// A character of an email address's local part, as GFM's extended email autolink has it.
fn email_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+')
}

/// Whether `rest` (after an `@`) may be a domain GFM's email autolink would take. It takes
/// alphanumerics, `.`, `-`, `_`, ending in a letter; as the escaping turns `_` into a reference
/// and may add a word joiner, either of which can end the text the autolinker sees early, any
/// letter in that run counts. `3.4.1` (a version) has none, so `jquery@3.4.1` stays as it is.
fn email_domain(rest: &[char]) -> bool {
    rest.iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .any(char::is_ascii_alphabetic)
}

/// A parser's message (serde_json, serde-saphyr) about a file the repository controls, with
/// the file's own text it quotes left out.
///
/// Parsers quote what they read: `invalid type: string "ghs_…", expected …`, `unknown field
/// `…``, `unknown variant `…``. A policy file may be a symlink to another file of the
/// workspace (`.git/config` with the checkout's token, a credentials file an earlier step
/// wrote), so a quote could publish it. Every `"…"` and `` `…` `` piece becomes `…` unless it
/// is shaped like a key of kevgate's formats (at most 32 ASCII lowercase letters, digits, `-`,
/// `_`, `.`, `@`) or like a vulnerability id: enough to name the key or the variant a typo
/// missed, never an opaque token or a sentence.
pub fn parser_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest.as_bytes()[open] as char;
        let Some(len) = rest[open + 1..].find(quote) else {
            break;
        };
        let inner = &rest[open + 1..open + 1 + len];
        let safe = (inner.len() <= 32
            && inner.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'-' | b'_' | b'.' | b'@')
            }))
            || crate::vuln_id::is_vulnerability_id(inner);
        out.push_str(&rest[..=open]);
        out.push_str(if safe { inner } else { "…" });
        out.push(quote);
        rest = &rest[open + len + 2..];
    }
    if rest.contains(['"', '`']) {
        // An unpaired quote: what follows it may be the file's text.
        out.push_str(&rest[..rest.find(['"', '`']).unwrap_or(rest.len())]);
        out.push('…');
    } else {
        out.push_str(rest);
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
            "&#33;&#91;i&#93;(https&#8288;://evil/x.png)",
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
        // Bare URLs and addresses GitHub would autolink.
        (
            "see https://evil.example/login",
            "see https://evil.example/login",
            "see https&#8288;://evil.example/login",
        ),
        ("(http://x.y)", "(http://x.y)", "(http&#8288;://x.y)"),
        (
            "www.evil.example",
            "www.evil.example",
            "www&#8288;.evil.example",
        ),
        (
            "go WWW.Evil.example",
            "go WWW.Evil.example",
            "go WWW&#8288;.Evil.example",
        ),
        (
            "mail a@evil.example",
            "mail a@evil.example",
            "mail a&#8288;@&#8203;evil.example",
        ),
        (
            "mailto:x.y+z@evil.io.",
            "mailto:x.y+z@evil.io.",
            "mailto:x.y+z&#8288;@&#8203;evil.io.",
        ),
        (
            "pkg@1.0.0-beta",
            "pkg@1.0.0-beta",
            "pkg&#8288;@&#8203;1.0.0-beta",
        ),
        ("lodash@4.17.21", "lodash@4.17.21", "lodash@4.17.21"),
        // Invisible characters.
        (
            "a\u{200b}b\u{200c}c\u{200d}d\u{2060}e\u{feff}f\u{ad}g",
            "a\\u{200b}b\\u{200c}c\\u{200d}d\\u{2060}e\\u{feff}f\\u{ad}g",
            "a\\u{200b}b\\u{200c}c\\u{200d}d\\u{2060}e\\u{feff}f\\u{ad}g",
        ),
        (
            "x\u{e0041}\u{fe0f}\u{180e}",
            "x\\u{e0041}\\u{fe0f}\\u{180e}",
            "x\\u{e0041}\\u{fe0f}\\u{180e}",
        ),
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

    /// Property over random text built from autolink and mention pieces: the Markdown has no
    /// raw invisible or control character, no scheme right before `://`, no `www.`, no email
    /// local part right before an `@` with a domain, and no `@` right before a name.
    #[test]
    fn markdown_never_autolinks() {
        const PIECES: &[&str] = &[
            "http", "https", "ftp", ":", "//", "/", "www", "WwW", ".", "@", "a", "Z", "9", "+",
            "-", "_", " ", "(", "\u{200b}", "\u{2060}", "\u{feff}", "\u{ad}", "\u{200d}", "com",
            "&",
        ];
        let mut state = 0x5eed_u64;
        let mut next = |n: usize| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) % n as u64) as usize
        };
        for _ in 0..20_000 {
            let len = next(16);
            let input: String = (0..len).map(|_| PIECES[next(PIECES.len())]).collect();
            let out = markdown(&input);
            assert!(!out.chars().any(is_dangerous), "{input:?} -> {out:?}");
            let lower = out.to_ascii_lowercase();
            assert!(!lower.contains("www."), "{input:?} -> {out:?}");
            let b = out.as_bytes();
            for (i, w) in b.windows(3).enumerate() {
                if w == b"://" {
                    assert!(
                        i == 0 || !b[i - 1].is_ascii_alphabetic(),
                        "{input:?} -> {out:?}"
                    );
                }
            }
            for (i, &c) in b.iter().enumerate() {
                if c == b'@' && i > 0 {
                    let prev = b[i - 1];
                    let local = prev.is_ascii_alphanumeric() || b".-_+".contains(&prev);
                    let domain = email_domain(&input_chars(&out[i + 1..]));
                    assert!(!(local && domain), "email: {input:?} -> {out:?}");
                }
                if c == b'@' {
                    let next = b.get(i + 1).copied().unwrap_or(b' ');
                    let word = i > 0 && b[i - 1].is_ascii_alphanumeric();
                    assert!(
                        word || !next.is_ascii_alphanumeric(),
                        "mention: {input:?} -> {out:?}"
                    );
                }
            }
        }
    }

    /// Slack mrkdwn: the escapes Slack documents, mentions and formatting neutralised.
    #[test]
    fn mrkdwn_escapes_hostile_strings() {
        let cases: &[(&str, &str)] = &[
            ("lodash@4.17.21", "lodash@4.17.21"),
            ("<!channel> hi", "&lt;!channel&gt; hi"),
            ("<@U024BE7LH>", "&lt;@\u{200b}U024BE7LH&gt;"),
            ("@here @channel", "@\u{200b}here @\u{200b}channel"),
            ("<https://evil|click>", "&lt;https://evil|click&gt;"),
            ("a&amp;b", "a&amp;amp;b"),
            ("*bold* ~x~", "*\u{200b}bold*\u{200b} ~\u{200b}x~\u{200b}"),
            ("two\nlines", "two lines"),
            ("evil\u{202E}txt", "evil\\u{202e}txt"),
        ];
        for (input, want) in cases {
            assert_eq!(mrkdwn(input), *want, "mrkdwn({input:?})");
        }
    }

    /// Property over random text from Slack's syntax pieces: no raw `<` or `>`, no `@` right
    /// before a name, no control or bidi character, every `&` the start of one of the three
    /// escapes.
    #[test]
    fn mrkdwn_never_links_or_mentions() {
        const PIECES: &[&str] = &[
            "<", ">", "&", "!", "channel", "here", "@", "U0", "#", "|", "http", "://", "a", " ",
            "\n", "\u{202e}", "*", "_", "amp;", "lt;",
        ];
        let mut state = 0x51ac_u64;
        let mut next = |n: usize| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) % n as u64) as usize
        };
        for _ in 0..20_000 {
            let input: String = (0..next(16)).map(|_| PIECES[next(PIECES.len())]).collect();
            let out = mrkdwn(&input);
            assert!(!out.contains(['<', '>', '\n']), "{input:?} -> {out:?}");
            assert!(
                !out.chars().any(|c| is_dangerous(c) && c != '\u{200b}'),
                "{input:?} -> {out:?}"
            );
            for (i, _) in out.match_indices('&') {
                let rest = &out[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;"]
                        .iter()
                        .any(|e| rest.starts_with(e)),
                    "{input:?} -> {out:?}"
                );
            }
            for (i, _) in out.match_indices('@') {
                let word = out[..i].chars().last().is_some_and(char::is_alphanumeric);
                let next = out[i + 1..].chars().next();
                assert!(
                    word || !next.is_some_and(char::is_alphanumeric),
                    "{input:?} -> {out:?}"
                );
            }
        }
    }

    fn input_chars(s: &str) -> Vec<char> {
        s.chars().collect()
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
