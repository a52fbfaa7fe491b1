//! Evaluation -> terminal table, JSON, Markdown, SARIF. Pure over [`Evaluation`]; each
//! reporter writes to `&mut dyn Write` and owns its serialization structs.
//!
//! Reporters decide nothing: the findings come sorted (KEV first, then severity, then EPSS)
//! and the verdict comes from [`Evaluation::verdict`]; a reporter only chooses how to show
//! them. Text from the SBOM and the feeds is untrusted and goes through [`crate::text`].
//!
//! One [`Format`] enum and a `match` pick the reporter (osv-scanner
//! `internal/reporter/format.go`), rather than trait objects.

pub mod json;
pub mod markdown;
pub mod sarif;
pub mod summary;
pub mod table;
pub mod watch;

use crate::evaluation::{DbOriginKind, Evaluation};
use std::io::{self, Write};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people, on a terminal or in a CI log.
    Table,
    /// The JSON report: a contract other tools read (`docs/json-report.md`).
    Json,
    /// GitHub-flavoured Markdown (step summary, PR comment, check run summary).
    Markdown,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// Options of every reporter; each reads its own part.
#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    /// Terminal table options.
    pub table: table::TableOptions,
    /// Markdown options.
    pub markdown: markdown::MarkdownOptions<'a>,
}

/// Writes `ev` as `format` to `out`.
pub fn write(
    format: Format,
    ev: &Evaluation,
    out: &mut dyn Write,
    opts: &Options<'_>,
) -> io::Result<()> {
    match format {
        Format::Table => table::write(ev, out, &opts.table),
        Format::Json => json::write(ev, out),
        Format::Markdown => markdown::write(ev, out, &opts.markdown),
        Format::Sarif => sarif::write(ev, out),
    }
}

/// The newest data date over the database's sources (YYYY-MM-DD sorts as text).
pub(crate) fn data_date(ev: &Evaluation) -> Option<&str> {
    ev.db
        .sources
        .iter()
        .filter_map(|s| s.data_date.as_deref())
        .max()
}

/// The warning every report shows when the database is the demo snapshot bundled in the
/// binary, `None` otherwise.
pub(crate) fn bundled_banner(ev: &Evaluation) -> Option<String> {
    if ev.db_origin.kind != DbOriginKind::Bundled {
        return None;
    }
    let date = data_date(ev).unwrap_or("an unknown date");
    let age = match ev.db_origin.age_days {
        Some(1) => ", 1 day old".to_owned(),
        Some(days) => format!(", {days} days old"),
        None => String::new(),
    };
    Some(format!(
        "using the demo database bundled in kevgate (data from {date}{age}): \
         not for gating real builds; run `kevgate db update`"
    ))
}

/// What to do about a known-malicious package version, one sentence shared by every format.
pub(crate) const MALICIOUS_ADVICE: &str = "known-malicious package version: remove it, and \
     treat every machine that installed it (CI runners included) as compromised";

/// The one-paragraph message of a finding, shared by the SARIF result and the check-run
/// annotation (issue 12, item 5: two copies had drifted: different cut limits, and only SARIF
/// said ransomware): "X is affected by Y (severity, flags). [Malicious: ..] Fix: ..
/// [KEV required action (due ..): .. [Known ransomware campaign use.]]". One plain line per
/// value, control and bidi characters removed ([`crate::text::terminal`]), each value cut to
/// one limit: component label 200 characters, id 128, version 64, due date 10, required
/// action 300. The severity is the gate's (after the KEV rule).
pub fn finding_message(e: &crate::policy::DecidedFinding) -> String {
    let plain =
        |s: &str, max: usize| crate::text::terminal(&crate::text::one_line(s, max)).into_owned();
    let f = &e.finding;
    let mut m = format!(
        "{} is affected by {} ({}{}).",
        plain(&f.component.label(), 200),
        plain(&f.id, 128),
        e.gate_severity.as_str(),
        message_flags(f)
    );
    if f.malicious {
        m.push_str(&format!(" Malicious: {MALICIOUS_ADVICE}."));
    }
    m.push(' ');
    m.push_str(&fix_sentence(f, &|v| plain(v, 64)));
    if let Some(kev) = &f.kev {
        m.push_str(&format!(
            " KEV required action (due {}): {}",
            plain(&kev.due_date, 10),
            plain(&kev.required_action, 300)
        ));
        if kev.ransomware {
            m.push_str(" Known ransomware campaign use.");
        }
    }
    m
}

/// What a one-paragraph message (SARIF result, annotation) says after the severity:
/// `, known-malicious package` and/or `, known exploited: in CISA KEV`.
fn message_flags(f: &crate::enrich::Finding) -> String {
    let mut out = String::new();
    if f.malicious {
        out.push_str(", known-malicious package");
    }
    if f.kev.is_some() {
        out.push_str(", known exploited: in CISA KEV");
    }
    out
}

/// The notes a human-readable report lists: all but `bundled-db` when [`bundled_banner`]
/// already says the demo database was used, so the warning shows once.
pub(crate) fn listed_notes(ev: &Evaluation) -> Vec<&crate::note::Note> {
    let banner = bundled_banner(ev).is_some();
    ev.notes
        .iter()
        .filter(|n| !(banner && n.code == crate::note::NoteCode::BundledDb))
        .collect()
}

/// What fixes a finding, as one sentence for SARIF and annotations; `esc` makes a version
/// safe for the destination. `Fix: upgrade to 3.5.0.`, `Affected up to 5.5.40; no fixed
/// version is known.` (ranges ending in `last_affected`), `No fixed version is known.`
pub(crate) fn fix_sentence(f: &crate::enrich::Finding, esc: &dyn Fn(&str) -> String) -> String {
    use crate::remediation::Fix;
    // ` (available with Ubuntu Pro (ESM))` when only a paid stream's records matched.
    let channel =
        crate::purl::FixChannel::advice_suffix(f.fix_channel, !f.fixed_versions.is_empty());
    match crate::remediation::fix(f) {
        Fix::Upgrade(v) => format!("Fix: upgrade to {}{channel}.", esc(&v[0])),
        Fix::AffectedUpTo(v) => {
            format!(
                "Affected up to {}; no fixed version is known{channel}.",
                esc(&v)
            )
        }
        Fix::Unknown => format!("No fixed version is known{channel}."),
    }
}

/// EPSS as a percentage with one decimal (`22.0%`).
pub(crate) fn epss_percent(score: f64) -> String {
    format!("{:.1}%", score * 100.0)
}

/// A URL that is safe to turn into a link: `https://` or `http://`, no whitespace or
/// control characters, and short enough to be real.
pub(crate) fn safe_url(url: &str) -> Option<&str> {
    let lower = url
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    let chars_ok = url
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '`' | '\\'));
    (scheme_ok && chars_ok && url.len() <= 2048).then_some(url)
}

/// The stable kebab-case code of a note code, reason or other unit enum, as serde spells it.
pub(crate) fn code<T: serde::Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
pub(crate) mod fixture;

#[cfg(test)]
mod tests {
    use super::*;

    /// The banner shows the newest data date and the age, and only for the bundled db.
    #[test]
    fn banner_only_for_bundled() {
        let mut ev = fixture::evaluation();
        assert_eq!(
            bundled_banner(&ev).as_deref(),
            Some(
                "using the demo database bundled in kevgate (data from 2025-08-25, 7 days old): \
                 not for gating real builds; run `kevgate db update`"
            )
        );
        ev.db_origin.kind = DbOriginKind::Cache;
        assert_eq!(bundled_banner(&ev), None);
    }

    /// Counts follow the severity after the KEV rule, not the finding's own.
    #[test]
    fn counts_use_evaluated_severity() {
        use crate::evaluation::Counts;
        let c = Counts::of(&fixture::evaluation());
        assert_eq!(
            c,
            Counts {
                total: 8,
                fail: 4,
                ignored: 0,
                kev: 3,
                malicious: 0,
                critical: 4,
                high: 0,
                medium: 2,
                low: 1,
                unknown: 1
            }
        );
    }

    /// Only plain http(s) URLs become links.
    #[test]
    fn safe_urls() {
        let cases = [
            ("https://nvd.nist.gov/vuln/detail/CVE-2020-11023", true),
            ("http://example.com/a?b=c", true),
            ("HTTPS://EXAMPLE.COM", true),
            ("javascript:alert(1)", false),
            ("https://x.test/a b", false),
            ("https://x.test/<script>", false),
            ("data:text/html,hi", false),
            ("", false),
        ];
        for (url, ok) in cases {
            assert_eq!(safe_url(url).is_some(), ok, "{url}");
        }
    }

    /// A KEV entry with known ransomware use says so in every human-facing format.
    #[test]
    fn ransomware_known_is_said() {
        let mut ev = fixture::evaluation();
        if let Some(kev) = ev.findings[0].finding.kev.as_mut() {
            kev.ransomware = true;
        }
        let render = |format| {
            let mut out = Vec::new();
            write(format, &ev, &mut out, &Options::default()).expect("writes to a Vec");
            String::from_utf8(out).expect("UTF-8")
        };
        assert!(render(Format::Table).contains("; ransomware: Known"));
        assert!(render(Format::Markdown).contains("Ransomware: **Known**."));
        assert!(render(Format::Sarif).contains("Known ransomware campaign use."));
    }

    /// The dispatcher writes every format without error.
    #[test]
    fn every_format_writes() {
        let ev = fixture::evaluation();
        for format in [Format::Table, Format::Json, Format::Markdown, Format::Sarif] {
            let mut out = Vec::new();
            write(format, &ev, &mut out, &Options::default()).expect("writes to a Vec");
            assert!(!out.is_empty(), "{format:?}");
        }
    }
}
