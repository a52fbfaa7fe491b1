//! GitHub-flavoured Markdown: one renderer for the step summary, the PR comment and the check
//! run summary.
//!
//! Layout: an optional hidden marker line (so the PR comment is found and edited in place),
//! a header with the verdict, the bundled-database warning when it applies, a counts table,
//! the failing findings as a table (KEV first: the evaluation's order), the warn-level
//! findings in a collapsed `<details>`, then the notes.
//!
//! GitHub caps what it accepts (check run summary 65,535 characters, step summary 1 MiB, a
//! comment 65,536 characters), so [`render`] keeps under [`MarkdownOptions::max_bytes`]: it
//! drops findings from the end (least urgent first) and says how many it left out. Bytes are
//! counted, which is never less than characters.
//!
//! Everything from the SBOM or the feeds goes through [`text::markdown`], so a package name
//! cannot inject a link, an image, an HTML tag, a table break or an `@mention`; links are
//! only made from `http(s)` URLs, percent-encoding anything that could end the link.

use super::{bundled_banner, code, epss_percent, safe_url};
use crate::enrich::Severity;
use crate::evaluation::Evaluation;
use crate::policy::{DecidedFinding, Decision, Verdict};
use crate::remediation::Fix;
use crate::text;
use std::fmt::Write as _;
use std::io::{self, Write};

/// The default hidden marker that identifies kevgate's PR comment.
pub const DEFAULT_MARKER: &str = "<!-- kevgate:comment -->";

/// The largest body GitHub accepts for a check run summary (characters; we count bytes).
pub const CHECK_RUN_MAX_BYTES: usize = 65_535;
/// The largest step summary GitHub accepts: 1 MiB.
pub const STEP_SUMMARY_MAX_BYTES: usize = 1024 * 1024;

/// Longest note list shown per note code.
const MAX_NOTES_PER_CODE: usize = 10;
/// Longest summary shown in a table cell.
const MAX_SUMMARY: usize = 120;

/// Options of the Markdown renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkdownOptions<'a> {
    /// Upper bound of the output in bytes. Default: [`CHECK_RUN_MAX_BYTES`], the smallest
    /// GitHub limit.
    pub max_bytes: usize,
    /// A hidden marker written as the first line (the whole line, e.g. [`DEFAULT_MARKER`]),
    /// so a comment can be found and edited in place. Default: none.
    pub marker: Option<&'a str>,
    /// Where the full report is (a workflow run or artifact URL), linked when findings are
    /// left out. Default: none.
    pub report_link: Option<&'a str>,
}

impl Default for MarkdownOptions<'_> {
    fn default() -> Self {
        MarkdownOptions {
            max_bytes: CHECK_RUN_MAX_BYTES,
            marker: None,
            report_link: None,
        }
    }
}

/// Most remediation lines shown (KEV fixes come first).
const MAX_REMEDIATIONS: usize = 10;

/// Renders `ev` as Markdown of at most `opts.max_bytes` bytes.
pub fn render(ev: &Evaluation, opts: MarkdownOptions<'_>) -> String {
    let total = ev.findings.len();
    let full = render_with(ev, &opts, total, true);
    if full.len() <= opts.max_bytes {
        return full;
    }
    // The length grows with the number of findings shown: find the most that fit.
    let (mut lo, mut hi) = (0usize, total); // render_with(lo) may fit; render_with(hi) does not
    if render_with(ev, &opts, 0, true).len() > opts.max_bytes {
        hi = 0;
    }
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if render_with(ev, &opts, mid, true).len() <= opts.max_bytes {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    if hi > 0 {
        return render_with(ev, &opts, lo, true);
    }
    // Not even the header, counts and notes fit: drop the notes, then cut.
    let bare = render_with(ev, &opts, 0, false);
    if bare.len() <= opts.max_bytes {
        return bare;
    }
    cut(&bare, opts.max_bytes)
}

/// Writes [`render`]'s output.
pub fn write(ev: &Evaluation, out: &mut dyn Write, opts: &MarkdownOptions<'_>) -> io::Result<()> {
    out.write_all(render(ev, *opts).as_bytes())
}

/// The first `max` bytes of `s`, at a character boundary.
fn cut(s: &str, max: usize) -> String {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// Renders with the first `shown` findings and, when `notes`, the notes.
fn render_with(ev: &Evaluation, opts: &MarkdownOptions<'_>, shown: usize, notes: bool) -> String {
    let mut md = String::new();
    if let Some(marker) = opts.marker {
        md.push_str(marker);
        md.push('\n');
    }
    let c = ev.counts();
    let (icon, word) = match ev.verdict {
        Verdict::Pass => (":white_check_mark:", "passed"),
        Verdict::Fail => (":x:", "failed"),
    };
    let _ = writeln!(md, "## {icon} kevgate: gate {word}\n");
    if c.malicious > 0 {
        let _ = writeln!(
            md,
            "> [!CAUTION]\n> **{} known-malicious package version{}** in this SBOM: {}.\n",
            c.malicious,
            if c.malicious == 1 { "" } else { "s" },
            crate::report::MALICIOUS_ADVICE
        );
    }
    if let Some(banner) = bundled_banner(ev) {
        // The banner is our text; the data date comes from the manifest, escape it anyway.
        let _ = writeln!(md, "> [!WARNING]\n> {}\n", inline(&banner));
    }

    let what = ev
        .subject
        .name
        .as_deref()
        .map(|n| format!("**{}** (", text::markdown(&text::one_line(n, 200))))
        .unwrap_or_default();
    let close = if what.is_empty() { "" } else { ")" };
    let _ = writeln!(
        md,
        "Scanned {what}`{}`, {} components{close} on {}; policy: fail on {}{}.\n",
        code_span(&ev.subject.sbom_path),
        ev.subject.components,
        ev.today,
        code(ev.policy.fail_on),
        if ev.policy.fail_on_kev {
            " and on any KEV"
        } else {
            ""
        },
    );

    if c.total == 0 {
        md.push_str("No vulnerabilities found.\n");
    } else {
        md.push_str(
            "| Findings | Fail | KEV | Critical | High | Medium | Low | Unknown |\n\
             |---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            c.total, c.fail, c.kev, c.critical, c.high, c.medium, c.low, c.unknown
        );
    }

    added_exceptions(&mut md, ev);

    let visible = &ev.findings[..shown.min(ev.findings.len())];
    let fails: Vec<&DecidedFinding> = visible
        .iter()
        .filter(|e| e.decision == Decision::Fail)
        .collect();
    let warns: Vec<&DecidedFinding> = visible
        .iter()
        .filter(|e| e.decision == Decision::Warn)
        .collect();
    let ignored: Vec<&DecidedFinding> = visible
        .iter()
        .filter(|e| e.decision == Decision::Ignored)
        .collect();
    if !fails.is_empty() {
        let _ = writeln!(md, "### Failing findings ({})\n", fails.len());
        findings_table(&mut md, &fails);
        md.push('\n');
    }
    if !warns.is_empty() {
        let _ = writeln!(
            md,
            "<details>\n<summary>{} warning-level finding{}</summary>\n",
            warns.len(),
            if warns.len() == 1 { "" } else { "s" }
        );
        findings_table(&mut md, &warns);
        md.push_str("\n</details>\n\n");
    }
    if !ignored.is_empty() {
        let _ = writeln!(
            md,
            "<details>\n<summary>{} ignored finding{} (not counted by the gate)</summary>\n",
            ignored.len(),
            if ignored.len() == 1 { "" } else { "s" }
        );
        findings_table(&mut md, &ignored);
        md.push_str("\n</details>\n\n");
    }
    let hidden = ev.findings.len() - visible.len();
    if hidden > 0 {
        let more = if hidden == 1 { "finding" } else { "findings" };
        let link = match opts.report_link.and_then(safe_url) {
            Some(url) => format!("[the full report]({})", link_target(url)),
            None => "the full report".to_owned(),
        };
        let _ = writeln!(md, "… {hidden} more {more} not shown; see {link}.\n");
    }

    // Remediation only when every finding fits: findings come first in a tight budget.
    let plan: &[crate::remediation::Remediation] = if notes && shown >= ev.findings.len() {
        &ev.remediation
    } else {
        &[]
    };
    if !plan.is_empty() {
        md.push_str("### Remediation\n\n");
        for r in plan.iter().take(MAX_REMEDIATIONS) {
            let _ = writeln!(
                md,
                "- {}",
                text::markdown(&text::one_line(&r.summary(), 200))
            );
        }
        if plan.len() > MAX_REMEDIATIONS {
            let _ = writeln!(md, "- … and {} more", plan.len() - MAX_REMEDIATIONS);
        }
        md.push('\n');
    }

    let listed = super::listed_notes(ev);
    if notes && !listed.is_empty() {
        md.push_str("### Notes\n\n");
        // Notes never take more than a quarter of the budget: findings come first.
        let budget = opts.max_bytes / 4;
        let mut used = 0;
        let mut i = 0;
        while i < listed.len() {
            let code_of = listed[i].code;
            let group: Vec<_> = listed[i..]
                .iter()
                .take_while(|n| n.code == code_of)
                .collect();
            let mut written = 0;
            for note in group.iter().take(MAX_NOTES_PER_CODE) {
                let line = format!("- `{}`: {}\n", code(note.code), message(&note.message));
                if used + line.len() > budget {
                    break;
                }
                used += line.len();
                md.push_str(&line);
                written += 1;
            }
            if group.len() > written {
                let _ = writeln!(
                    md,
                    "- `{}`: … and {} more",
                    code(code_of),
                    group.len() - written
                );
            }
            i += group.len();
        }
        md.push('\n');
    }
    let _ = writeln!(md, "<sub>kevgate {}</sub>", env!("CARGO_PKG_VERSION"));
    md
}

/// Most exceptions listed under "Exceptions this pull request adds".
const MAX_ADDED_EXCEPTIONS: usize = 25;

/// "Exceptions this pull request adds": the ignores and VEX statements of the policy files
/// that the base commit's policy does not have (issue 10, item 13). A pull request may add an
/// exception for its own finding and pass its own gate; reviewers see it here, before the
/// findings. Every value comes from the pull request's files and is escaped.
fn added_exceptions(md: &mut String, ev: &Evaluation) {
    let Some(added) = ev
        .policy
        .added_exceptions
        .as_deref()
        .filter(|a| !a.is_empty())
    else {
        return;
    };
    let _ = writeln!(
        md,
        "### Exceptions this pull request adds ({})

Not in the base branch's policy: \
         review them like code.
",
        added.len()
    );
    md.push_str(
        "| Id | Kind | Declared in | Scope | Expires | Reason |\n|---|---|---|---|---|---|\n",
    );
    for i in added.iter().take(MAX_ADDED_EXCEPTIONS) {
        let scope = if i.purls.is_empty() {
            "every component".to_owned()
        } else {
            i.purls
                .iter()
                .map(|p| format!("`{}`", code_span(p)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} | {} |",
            code_span(&i.id),
            match i.source {
                crate::policy::IgnoreSource::Config => "ignore",
                crate::policy::IgnoreSource::Trivyignore => "trivy ignore",
                crate::policy::IgnoreSource::Vex => "VEX statement",
            },
            message(&i.origin),
            scope,
            i.expires
                .map(|d| d.to_string())
                .unwrap_or_else(|| "never".to_owned()),
            text::markdown(&text::one_line(&i.reason, 200)),
        );
    }
    if added.len() > MAX_ADDED_EXCEPTIONS {
        let _ = writeln!(md, "\n… and {} more", added.len() - MAX_ADDED_EXCEPTIONS);
    }
    md.push('\n');
}

/// The findings table.
fn findings_table(md: &mut String, rows: &[&DecidedFinding]) {
    md.push_str(
        "| | Severity | ID | Package | Fixed in | EPSS | What to do |\n\
         |---|---|---|---|---|---:|---|\n",
    );
    for e in rows {
        let f = &e.finding;
        let marker = match (e.decision, f.malicious, f.kev.is_some()) {
            (Decision::Ignored, true, _) => ":mute: MALICIOUS",
            (Decision::Ignored, false, true) => ":mute: KEV",
            (Decision::Ignored, false, false) => ":mute:",
            (_, true, _) => ":skull: **MALICIOUS**",
            (_, false, true) => ":red_circle: **KEV**",
            (Decision::Fail, false, false) => ":red_circle:",
            (Decision::Warn, false, false) => ":warning:",
        };
        let id = text::markdown(&text::one_line(&f.id, 64));
        let mut id = match f.url.as_deref().and_then(safe_url) {
            Some(url) => format!("[{id}]({})", link_target(url)),
            None => id,
        };
        for j in &f.jvn {
            let jid = text::markdown(&text::one_line(&j.id, 64));
            match safe_url(&j.url) {
                Some(url) => {
                    let _ = write!(id, "<br>[{jid}]({})", link_target(url));
                }
                None => {
                    let _ = write!(id, "<br>{jid}");
                }
            }
        }
        let fixed = if f.fixed_versions.is_empty() {
            "–".to_owned()
        } else {
            text::markdown(&text::one_line(&f.fixed_versions.join(", "), 64))
        };
        let epss = f
            .epss
            .map(|e| epss_percent(e.score))
            .unwrap_or_else(|| "–".to_owned());
        let mut todo = format!(
            "Priority: **{}**. ",
            e.priority.as_str().replace('*', "\\*")
        );
        if let Some(reason) = &e.ignored_reason {
            let _ = write!(
                todo,
                "Ignored: {}<br>",
                text::markdown(&text::one_line(reason, MAX_SUMMARY))
            );
        }
        if f.malicious {
            let advice = crate::report::MALICIOUS_ADVICE;
            let _ = write!(todo, "**Malicious**: {advice}. ");
        }
        if let Some(kev) = &f.kev {
            let action = text::markdown(&text::one_line(&kev.required_action, 200));
            let _ = write!(
                todo,
                "**KEV**, due {}: {action}{} ",
                text::markdown(&text::one_line(&kev.due_date, 10)),
                if action.ends_with('.') { "" } else { "." }
            );
            if kev.ransomware {
                todo.push_str("Ransomware: **Known**. ");
            }
        }
        let version = |v: &str| text::markdown(&text::one_line(v, 64));
        let channel =
            crate::purl::FixChannel::advice_suffix(f.fix_channel, !f.fixed_versions.is_empty());
        match crate::remediation::fix(f) {
            Fix::Upgrade(v) => {
                let _ = write!(todo, "Upgrade to {}{channel}.", version(&v[0]));
            }
            Fix::AffectedUpTo(v) => {
                let _ = write!(
                    todo,
                    "Affected up to {}; no fixed version known{channel}.",
                    version(&v)
                );
            }
            Fix::Unknown => {
                let _ = write!(todo, "No fixed version known{channel}.");
            }
        }
        if let Some(s) = &f.summary {
            let _ = write!(
                todo,
                "<br>{}",
                text::markdown(&text::one_line(s, MAX_SUMMARY))
            );
        }
        let _ = writeln!(
            md,
            "| {marker} | {} | {id} | {} | {fixed} | {epss} | {} |",
            severity_label(e.gate_severity),
            text::markdown(&text::one_line(&f.component.label(), 96)),
            todo,
        );
    }
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "**critical**",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Unknown => "unknown",
    }
}

/// Our own one-line text with backtick spans: the spans become `<code>` with escaped content,
/// the rest is escaped, so values from the SBOM inside backticks stay inert.
fn message(s: &str) -> String {
    let line = text::one_line(s, 400);
    let mut out = String::new();
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", text::markdown(part));
        } else {
            out.push_str(&text::markdown(part));
        }
    }
    out
}

/// Our own text with backtick spans, as [`message`].
fn inline(s: &str) -> String {
    message(s)
}

/// A value for inside a code span: escaping does not work in code spans, so backticks and
/// line breaks are replaced and the value is cut.
fn code_span(s: &str) -> String {
    text::terminal(&text::one_line(s, 200)).replace('`', "'")
}

/// A URL as a link destination: everything that could end the destination, break the table
/// or open HTML is percent-encoded.
pub(crate) fn link_target(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for b in url.bytes() {
        match b {
            b'(' | b')' | b'|' | b'[' | b']' | b'<' | b'>' | b'"' | b'\'' | b'`' | b' ' | b'\\'
            | b'*' | b'_' => {
                let _ = write!(out, "%{b:02X}");
            }
            _ => out.push(char::from(b)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    /// The full Markdown of the fixture, as a PR comment with the default marker.
    #[test]
    fn markdown_full() {
        let md = render(
            &fixture::evaluation(),
            MarkdownOptions {
                marker: Some(DEFAULT_MARKER),
                ..MarkdownOptions::default()
            },
        );
        insta::assert_snapshot!("markdown_full", md);
    }

    /// Truncated to a small budget: findings dropped from the end, the remainder announced
    /// with the report link.
    #[test]
    fn markdown_truncated() {
        let opts = MarkdownOptions {
            max_bytes: 3000,
            marker: Some(DEFAULT_MARKER),
            report_link: Some("https://github.com/acme/shop/actions/runs/42"),
        };
        let md = render(&fixture::evaluation(), opts);
        assert!(md.len() <= 3000, "{} bytes", md.len());
        assert!(md.contains("more findings not shown; see [the full report](https://github.com/acme/shop/actions/runs/42)"));
        assert!(md.starts_with(DEFAULT_MARKER));
        insta::assert_snapshot!("markdown_truncated", md);
    }

    /// Every budget gives at most that many bytes, and some finding count is announced
    /// whenever findings are missing.
    #[test]
    fn budget_always_holds() {
        let ev = fixture::evaluation();
        for max_bytes in [
            0, 1, 10, 100, 500, 1000, 1500, 2000, 2500, 4000, 8000, 100_000,
        ] {
            let md = render(
                &ev,
                MarkdownOptions {
                    max_bytes,
                    marker: Some(DEFAULT_MARKER),
                    report_link: None,
                },
            );
            assert!(md.len() <= max_bytes, "{max_bytes}: {} bytes", md.len());
            let full = md.contains("<sub>kevgate");
            let all_shown = md.matches("\n| :").count() == ev.findings.len();
            if full && !all_shown {
                assert!(md.contains("not shown; see the full report"), "{max_bytes}");
            }
        }
    }

    /// Hostile SBOM text renders inert: no tag, link, image, mention or table break.
    #[test]
    fn hostile_text_is_inert() {
        let md = render(&fixture::evaluation(), MarkdownOptions::default());
        for bad in [
            "<img",
            "</details><img",
            "<script",
            "](javascript",
            "@org/team",
            "\u{1b}",
            "\u{202E}",
            "\n::error::",
        ] {
            assert!(!md.contains(bad), "output contains {bad:?}");
        }
        // Exactly the `<details>` we opened, and closed.
        assert_eq!(md.matches("<details>").count(), 1);
        assert_eq!(md.matches("</details>").count(), 1);
        // Every table row has the header's number of cells.
        for line in md.lines().filter(|l| l.starts_with("| :")) {
            assert_eq!(line.matches(" | ").count(), 6, "{line}");
        }
    }

    /// Thousands of notes (an SBOM of components without purls) do not crowd out findings.
    #[test]
    fn notes_stay_within_a_quarter() {
        let mut ev = fixture::evaluation();
        let note = ev.notes[0].clone();
        ev.notes = vec![note; 5000];
        let opts = MarkdownOptions {
            max_bytes: 20_000,
            ..MarkdownOptions::default()
        };
        let md = render(&ev, opts);
        assert!(md.len() <= 20_000);
        assert!(
            md.contains("[CVE-2025-22869]"),
            "all findings fit beside the notes"
        );
        assert!(md.contains("- `unidentified-component`: … and "));
    }

    /// Link targets cannot end early or break the table.
    #[test]
    fn link_targets_are_encoded() {
        assert_eq!(
            link_target("https://x.test/a_(b)|c"),
            "https://x.test/a%5F%28b%29%7Cc"
        );
    }
}
