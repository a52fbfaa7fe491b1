//! The terminal table: one row per finding in the evaluation's order (KEV first, then
//! severity, then EPSS), an indented block under each row saying what to do, then the notes
//! and a summary line with the verdict.
//!
//! Colour is the caller's decision (`NO_COLOR`, is stdout a terminal): this module only
//! honours [`TableOptions::color`]. Widths are measured on the plain text and colour is added
//! after padding, so the columns line up either way. Untrusted text goes through
//! [`text::terminal`] after [`text::one_line`], so no cell can move the cursor, change the
//! colour, reverse the reading order or start a new line.

use super::{bundled_banner, epss_percent, safe_url};
use crate::enrich::Severity;
use crate::evaluation::Evaluation;
use crate::policy::{DecidedFinding, Decision, Verdict};
use crate::purl::FixChannel;
use crate::remediation::Fix;
use crate::text;
use std::io::{self, Write};

/// Options of the table reporter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// Emit ANSI colour. Default: false (the CLI sets it from `NO_COLOR` and the terminal).
    pub color: bool,
}

/// Longest id shown before it is cut.
const MAX_ID: usize = 32;
/// Longest `name@version` shown before it is cut.
const MAX_PACKAGE: usize = 48;
/// Longest "fixed in" cell.
const MAX_FIXED: usize = 24;
/// Longest line of advice (KEV action, summary).
const MAX_ADVICE: usize = 160;

/// ANSI SGR codes used.
mod sgr {
    pub const RESET: &str = "\x1b[0m";
    pub const BOLD_RED: &str = "\x1b[1;31m";
    pub const RED: &str = "\x1b[31m";
    pub const MAGENTA: &str = "\x1b[35m";
    pub const YELLOW: &str = "\x1b[33m";
    pub const BOLD_YELLOW: &str = "\x1b[1;33m";
    pub const BLUE: &str = "\x1b[34m";
    pub const GREEN: &str = "\x1b[1;32m";
    pub const DIM: &str = "\x1b[2m";
    pub const BOLD: &str = "\x1b[1m";
}

/// Paints `s` with `code` when colour is on.
fn paint(color: bool, code: &str, s: &str) -> String {
    if color && !s.is_empty() {
        format!("{code}{s}{}", sgr::RESET)
    } else {
        s.to_owned()
    }
}

/// One row's cells, plain.
struct Row {
    decision: &'static str,
    kev: &'static str,
    severity: &'static str,
    id: String,
    package: String,
    fixed: String,
    epss: String,
}

fn row(e: &DecidedFinding) -> Row {
    let f = &e.finding;
    let fixed = if f.fixed_versions.is_empty() {
        "-".to_owned()
    } else {
        f.fixed_versions.join(", ")
    };
    Row {
        decision: match e.decision {
            Decision::Fail => "FAIL",
            Decision::Warn => "warn",
            Decision::Ignored => "ignored",
        },
        kev: if f.malicious {
            "MAL"
        } else if f.kev.is_some() {
            "KEV"
        } else {
            ""
        },
        severity: e.gate_severity.as_str(),
        id: cell(&f.id, MAX_ID),
        package: cell(&f.component.label(), MAX_PACKAGE),
        fixed: cell(&fixed, MAX_FIXED),
        epss: f
            .epss
            .map(|e| epss_percent(e.score))
            .unwrap_or_else(|| "-".to_owned()),
    }
}

/// Untrusted text as one safe, bounded cell.
fn cell(s: &str, max: usize) -> String {
    text::terminal(&text::one_line(s, max)).into_owned()
}

/// The indented lines under a row: what to do about the finding.
fn advice(e: &DecidedFinding) -> Vec<(String, Option<&'static str>)> {
    let f = &e.finding;
    let mut lines = Vec::new();
    lines.push((format!("priority: {}", e.priority.as_str()), None));
    if f.malicious {
        lines.push((
            format!("malicious: {}", crate::report::MALICIOUS_ADVICE),
            Some(sgr::RED),
        ));
    }
    if let Some(kev) = &f.kev {
        let ransomware = kev.ransomware;
        // KEV's actions end in a period ("Apply updates per vendor instructions."): drop it
        // when the ransomware flag follows.
        let action = match ransomware {
            true => kev.required_action.trim_end().trim_end_matches('.'),
            false => kev.required_action.as_str(),
        };
        let mut line = format!(
            "kev: due {}: {}",
            cell(&kev.due_date, 10),
            cell(action, MAX_ADVICE)
        );
        if ransomware {
            line.push_str("; ransomware: Known");
        }
        lines.push((line, Some(sgr::RED)));
    }
    let mut fix = match crate::remediation::fix(f) {
        Fix::Upgrade(v) => format!(
            "fix: upgrade {} to {}",
            cell(&f.component.name, MAX_PACKAGE),
            cell(&v.join(" or "), MAX_ADVICE)
        ),
        Fix::AffectedUpTo(v) => format!(
            "fix: affected up to {}; no fixed version known",
            cell(&v, MAX_ADVICE)
        ),
        Fix::Unknown => "fix: no fixed version known".to_owned(),
    };
    fix.push_str(&FixChannel::advice_suffix(
        f.fix_channel,
        !f.fixed_versions.is_empty(),
    ));
    lines.push((fix, None));
    if let Some(summary) = &f.summary {
        lines.push((
            format!("about: {}", cell(summary, MAX_ADVICE)),
            Some(sgr::DIM),
        ));
    }
    if let Some(url) = f.url.as_deref().and_then(safe_url) {
        lines.push((format!("see: {url}"), Some(sgr::DIM)));
    }
    for j in &f.jvn {
        let url = safe_url(&j.url)
            .map(|u| format!(" {u}"))
            .unwrap_or_default();
        lines.push((format!("jvn: {}{url}", cell(&j.id, MAX_ID)), Some(sgr::DIM)));
    }
    lines
}

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => sgr::BOLD_RED,
        Severity::High => sgr::MAGENTA,
        Severity::Medium => sgr::YELLOW,
        Severity::Low => sgr::BLUE,
        Severity::Unknown => sgr::DIM,
    }
}

/// Writes the table.
pub fn write(ev: &Evaluation, out: &mut dyn Write, opts: &TableOptions) -> io::Result<()> {
    let color = opts.color;
    let banner = bundled_banner(ev).map(|b| paint(color, sgr::BOLD_YELLOW, &format!("!! {b}")));
    if let Some(b) = &banner {
        writeln!(out, "{b}")?;
        writeln!(out)?;
    }

    // Ignored findings are listed apart, after the ones that count.
    let (ignored, shown): (Vec<&DecidedFinding>, Vec<&DecidedFinding>) = ev
        .findings
        .iter()
        .partition(|e| e.decision == Decision::Ignored);
    if shown.is_empty() {
        writeln!(out, "no vulnerabilities found")?;
    } else {
        let rows: Vec<Row> = shown.iter().copied().map(row).collect();
        let header = Row {
            decision: "DECISION",
            kev: "KEV",
            severity: "SEVERITY",
            id: "ID".to_owned(),
            package: "PACKAGE".to_owned(),
            fixed: "FIXED IN".to_owned(),
            epss: "EPSS".to_owned(),
        };
        let width = |f: &dyn Fn(&Row) -> usize| {
            rows.iter()
                .map(f)
                .chain(std::iter::once(f(&header)))
                .max()
                .unwrap_or(0)
        };
        let w_dec = width(&|r| r.decision.len());
        let w_kev = width(&|r| r.kev.len());
        let w_sev = width(&|r| r.severity.len());
        let w_id = width(&|r| r.id.chars().count());
        let w_pkg = width(&|r| r.package.chars().count());
        let w_fix = width(&|r| r.fixed.chars().count());
        let pad =
            |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));

        let head = format!(
            "{}  {}  {}  {}  {}  {}  {}",
            pad(header.decision, w_dec),
            pad(header.kev, w_kev),
            pad(header.severity, w_sev),
            pad(&header.id, w_id),
            pad(&header.package, w_pkg),
            pad(&header.fixed, w_fix),
            header.epss
        );
        writeln!(out, "{}", paint(color, sgr::BOLD, head.trim_end()))?;

        let indent = " ".repeat(w_dec + 2);
        for (e, r) in shown.iter().zip(&rows) {
            let decision_color = match e.decision {
                Decision::Fail => sgr::BOLD_RED,
                Decision::Warn => sgr::YELLOW,
                Decision::Ignored => sgr::DIM,
            };
            let line = format!(
                "{}  {}  {}  {}  {}  {}  {}",
                paint(color, decision_color, &pad(r.decision, w_dec)),
                paint(color, sgr::BOLD_RED, &pad(r.kev, w_kev)),
                paint(
                    color,
                    severity_color(e.gate_severity),
                    &pad(r.severity, w_sev)
                ),
                paint(color, sgr::BOLD, &pad(&r.id, w_id)),
                pad(&r.package, w_pkg),
                paint(color, sgr::GREEN, &pad(&r.fixed, w_fix)),
                r.epss
            );
            writeln!(out, "{}", line.trim_end())?;
            for (text, code) in advice(e) {
                let text = match code {
                    Some(code) => paint(color, code, &text),
                    None => text,
                };
                writeln!(out, "{indent}{text}")?;
            }
        }
    }

    let plan = &ev.remediation;
    if !plan.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint(color, sgr::BOLD, "remediation:"))?;
        for r in plan {
            writeln!(out, "  {}", cell(&r.summary(), MAX_ADVICE))?;
        }
    }

    if !ignored.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            paint(
                color,
                sgr::BOLD,
                &format!("ignored ({}): not counted by the gate", ignored.len())
            )
        )?;
        for e in &ignored {
            let f = &e.finding;
            writeln!(
                out,
                "  {}  {}  {}{}",
                paint(color, sgr::BOLD, &cell(&f.id, MAX_ID)),
                cell(&f.component.label(), MAX_PACKAGE),
                e.gate_severity.as_str(),
                if f.kev.is_some() { "  KEV" } else { "" }
            )?;
            writeln!(
                out,
                "    {}",
                paint(
                    color,
                    sgr::DIM,
                    &format!(
                        "reason: {}",
                        cell(e.ignored_reason.as_deref().unwrap_or("-"), MAX_ADVICE)
                    )
                )
            )?;
        }
    }

    let notes = super::listed_notes(ev);
    if !notes.is_empty() {
        writeln!(out)?;
        for note in notes {
            let code = super::code(note.code);
            writeln!(
                out,
                "{}: {}",
                paint(color, sgr::DIM, &format!("note[{code}]")),
                text::terminal(&text::one_line(&note.message, 240))
            )?;
        }
    }

    writeln!(out)?;
    writeln!(out, "{}", summary(ev, color))?;
    Ok(())
}

/// `verdict: FAIL - 8 findings (4 fail, 4 warn; 3 in KEV; critical 4, ...)`.
fn summary(ev: &Evaluation, color: bool) -> String {
    let c = ev.counts();
    let verdict = match ev.verdict {
        Verdict::Pass => paint(color, sgr::GREEN, "PASS"),
        Verdict::Fail => paint(color, sgr::BOLD_RED, "FAIL"),
    };
    let findings = if c.total == 1 { "finding" } else { "findings" };
    let ignored = if c.ignored > 0 {
        format!(", {} ignored", c.ignored)
    } else {
        String::new()
    };
    let malicious = if c.malicious > 0 {
        format!("; {} malicious", c.malicious)
    } else {
        String::new()
    };
    format!(
        "verdict: {verdict} - {} {findings} ({} fail, {} warn{ignored}; {} in KEV{malicious}; \
         critical {}, high {}, medium {}, low {}, unknown {}) in `{}`",
        c.total,
        c.fail,
        c.total - c.fail - c.ignored,
        c.kev,
        c.critical,
        c.high,
        c.medium,
        c.low,
        c.unknown,
        text::terminal(&text::one_line(&ev.subject.sbom_path, 200)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn render(ev: &Evaluation, color: bool) -> String {
        let mut out = Vec::new();
        write(ev, &mut out, &TableOptions { color }).expect("writes to a Vec");
        String::from_utf8(out).expect("the table is UTF-8")
    }

    /// The plain table of the fixture: banner, rows in the evaluation's order, advice,
    /// notes, summary.
    #[test]
    fn table_plain() {
        insta::assert_snapshot!("table_plain", render(&fixture::evaluation(), false));
    }

    /// The coloured table (ESC shown as `␛`).
    #[test]
    fn table_color() {
        let out = render(&fixture::evaluation(), true);
        insta::assert_snapshot!("table_color", out.replace('\x1b', "␛"));
    }

    /// No ANSI escape when colour is off, and no raw control character from the input ever.
    #[test]
    fn no_escape_without_color() {
        let out = render(&fixture::evaluation(), false);
        assert!(!out.contains('\x1b'));
        assert!(!out.contains('\u{202E}'));
        // The hostile version's newline did not start a line with a workflow command.
        assert!(out.lines().all(|l| !l.trim_start().starts_with("::")));
        let colored = render(&fixture::evaluation(), true);
        // The only escapes are ours: the hostile `ESC[31m` is shown escaped.
        assert!(colored.contains("\\u{1b}[31m"));
    }

    /// An empty evaluation says so, and the banner is gone for a cached db.
    #[test]
    fn empty_and_cached() {
        let mut ev = fixture::evaluation();
        ev.findings.clear();
        ev.remediation.clear();
        ev.notes.clear();
        ev.verdict = Verdict::Pass;
        ev.db_origin.kind = crate::evaluation::DbOriginKind::Cache;
        insta::assert_snapshot!(render(&ev, false), @r"
        no vulnerabilities found

        verdict: PASS - 0 findings (0 fail, 0 warn; 0 in KEV; critical 0, high 0, medium 0, low 0, unknown 0) in `sbom.cdx.json`
        ");
    }
}
