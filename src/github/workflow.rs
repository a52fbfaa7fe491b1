//! Workflow commands and files: `$GITHUB_OUTPUT` lines, `::warning::`, `::add-mask::`, and
//! the step summary.
//!
//! Workflow commands act on any stdout line that starts with `::`, so everything kevgate
//! prints in one is escaped as the runner unescapes it (`%` `\r` `\n` in data; also `:` and
//! `,` in properties), per `toolkit/packages/core/src/command.ts` (`escapeData`,
//! `escapeProperty`). Outputs use `name=value`, or the heredoc form with a delimiter checked
//! not to occur in the value when the value has a newline (`toolkit/.../file-command.ts`,
//! `prepareKeyValueMessage`), so a value cannot set a second output.
//!
//! The token is never printed. [`add_mask`] exists for a caller that must echo it anyway.

use crate::evaluation::Evaluation;
use crate::policy::Verdict;
use crate::report::markdown::{self, MarkdownOptions, STEP_SUMMARY_MAX_BYTES};

/// The values of kevgate's outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outputs {
    /// `pass` or `fail`.
    pub verdict: &'static str,
    /// Number of findings.
    pub findings: usize,
    /// Findings in CISA KEV.
    pub kev_count: usize,
    /// Findings whose severity after the KEV rule is critical.
    pub critical_count: usize,
    /// Where the JSON report was written, if it was.
    pub json_file: Option<String>,
    /// Where the SARIF log was written, if it was.
    pub sarif_file: Option<String>,
}

impl Outputs {
    /// The outputs of `ev`, with the report paths.
    pub fn of(ev: &Evaluation, json_file: Option<String>, sarif_file: Option<String>) -> Outputs {
        let counts = ev.counts();
        Outputs {
            verdict: match ev.verdict {
                Verdict::Pass => "pass",
                Verdict::Fail => "fail",
            },
            findings: counts.total,
            kev_count: counts.kev,
            critical_count: counts.critical,
            json_file,
            sarif_file,
        }
    }

    /// The text to append to `$GITHUB_OUTPUT`. `seed` varies the heredoc delimiter (pass
    /// something unpredictable, e.g. the time in nanoseconds and the process id).
    pub fn to_file_commands(&self, seed: u64) -> String {
        let mut out = String::new();
        let pairs: [(&str, String); 6] = [
            ("verdict", self.verdict.to_owned()),
            ("findings", self.findings.to_string()),
            ("kev-count", self.kev_count.to_string()),
            ("critical-count", self.critical_count.to_string()),
            ("json-file", self.json_file.clone().unwrap_or_default()),
            ("sarif-file", self.sarif_file.clone().unwrap_or_default()),
        ];
        for (name, value) in pairs {
            out.push_str(&output_line(name, &value, seed));
        }
        out
    }
}

/// One `$GITHUB_OUTPUT` entry, ending in a newline: `name=value`, or the heredoc form
/// `name<<DELIM\nvalue\nDELIM\n` when the value has a line break.
pub fn output_line(name: &str, value: &str, seed: u64) -> String {
    if !value.contains(['\n', '\r']) {
        return format!("{name}={value}\n");
    }
    let mut state = seed;
    loop {
        let delimiter = format!("ghadelimiter_{:016x}", splitmix64(&mut state));
        if !value.contains(&delimiter) && !name.contains(&delimiter) {
            return format!("{name}<<{delimiter}\n{value}\n{delimiter}\n");
        }
    }
}

/// SplitMix64: a tiny, well-mixed generator; enough to make a delimiter unguessable from
/// the SBOM's side, and the value is checked anyway.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Escapes workflow-command data (the message after `::`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value (`title=...`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A `::warning::` line (with a newline), optionally titled.
pub fn warning(title: Option<&str>, message: &str) -> String {
    match title {
        Some(t) => format!(
            "::warning title={}::{}\n",
            escape_property(t),
            escape_data(message)
        ),
        None => format!("::warning::{}\n", escape_data(message)),
    }
}

/// An `::add-mask::` line, so the runner hides `secret` in later log output.
pub fn add_mask(secret: &str) -> String {
    format!("::add-mask::{}\n", escape_data(secret))
}

/// The step summary (Markdown, at most [`STEP_SUMMARY_MAX_BYTES`]), linking the run when
/// findings had to be left out.
pub fn step_summary(ev: &Evaluation, run_url: Option<&str>) -> String {
    markdown::render(
        ev,
        MarkdownOptions {
            max_bytes: STEP_SUMMARY_MAX_BYTES,
            marker: None,
            report_link: run_url,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    /// Escaping as the runner's toolkit does, table-driven.
    #[test]
    fn escapes() {
        let cases = [
            ("plain", "plain", "plain"),
            ("100%", "100%25", "100%25"),
            ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
            ("k:v,w", "k:v,w", "k%3Av%2Cw"),
            ("%0A", "%250A", "%250A"),
        ];
        for (input, data, property) in cases {
            assert_eq!(escape_data(input), data, "{input:?}");
            assert_eq!(escape_property(input), property, "{input:?}");
        }
        assert_eq!(
            warning(Some("kev: x,y"), "line1\n::error::pwned"),
            "::warning title=kev%3A x%2Cy::line1%0A::error::pwned\n"
        );
        assert_eq!(add_mask("s3cr%t"), "::add-mask::s3cr%25t\n");
    }

    /// Outputs of the fixture, one line each; a path with a newline takes the heredoc form
    /// and cannot set another output.
    #[test]
    fn outputs() {
        let ev = fixture::evaluation();
        let o = Outputs::of(&ev, Some("kevgate.json".into()), None);
        let text = o.to_file_commands(42);
        insta::assert_snapshot!(text, @r"
        verdict=fail
        findings=8
        kev-count=3
        critical-count=4
        json-file=kevgate.json
        sarif-file=
        ");

        let evil = "x\nverdict=pass\nghadelimiter_";
        let line = output_line("json-file", evil, 7);
        let mut lines = line.lines();
        let first = lines.next().expect("header");
        let delimiter = first.strip_prefix("json-file<<").expect("heredoc form");
        assert!(delimiter.starts_with("ghadelimiter_") && delimiter.len() > 20);
        assert_eq!(lines.clone().last(), Some(delimiter));
        assert_eq!(lines.filter(|l| *l == delimiter).count(), 1);
        // The delimiter never occurs in the value, even when the value contains the one a
        // seed would give first.
        let first_choice = output_line("n", "a\nb", 9);
        let d = first_choice
            .lines()
            .next()
            .expect("header")
            .trim_start_matches("n<<");
        let value = format!("a\n{d}\nb");
        let line = output_line("n", &value, 9);
        let d2 = line
            .lines()
            .next()
            .expect("header")
            .trim_start_matches("n<<");
        assert_ne!(d, d2);
        assert!(!value.contains(d2));
    }

    /// The step summary stays within GitHub's 1 MiB.
    #[test]
    fn step_summary_size() {
        let mut ev = fixture::evaluation();
        let one = ev.findings[0].clone();
        for i in 0..20_000 {
            let mut e = one.clone();
            e.finding.id = format!("CVE-2099-{i:05}").into();
            ev.findings.push(e);
        }
        ev.remediation = crate::remediation::plan(&ev.findings);
        let md = step_summary(&ev, Some("https://github.com/o/r/actions/runs/1"));
        assert!(md.len() <= STEP_SUMMARY_MAX_BYTES, "{}", md.len());
        assert!(md.contains("https://github.com/o/r/actions/runs/1"));
    }
}
