//! The policy file (`.kevgate.yaml`, or `--config FILE`) -> [`Config`]: the rules and
//! ignores a team keeps in its repository. Documented in `docs/config.md`, whose example is
//! `tests/fixtures/config/kevgate.yaml`.
//!
//! Pure over bytes: `cli.rs` reads the file, merges the command-line flags over the
//! [`Config`] (flags win) and builds the [`Policy`](crate::policy::Policy).
//!
//! Parsing is two steps, as cargo-deny's `UnvalidatedConfig::validate`: serde reads a raw
//! struct (`deny_unknown_fields`, so a typo is an error, not a silently ignored rule), then
//! [`validate`] checks every value and reports every problem at once, each with its line
//! (serde-saphyr's `Spanned` carries the lines). A YAML syntax or type error stops serde
//! itself, so that one is reported alone, still with its line.

use crate::policy::{FailOn, Ignore, IgnoreSource};
use crate::vuln_id::is_vulnerability_id;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::fmt;

/// The policy file `kevgate scan` reads from the working directory when there is no
/// `--config`.
pub const DEFAULT_FILE: &str = ".kevgate.yaml";

/// The policy file, validated. `None` fields were not set: the command line or the built-in
/// default decides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// `fail-on`: lowest failing severity.
    pub fail_on: Option<FailOn>,
    /// `fail-on-kev`: fail on any finding in CISA KEV.
    pub fail_on_kev: Option<bool>,
    /// `fail-on-malicious`: fail on any known-malicious package version (default: true).
    pub fail_on_malicious: Option<bool>,
    /// `fail-on-ransomware`: fail on KEV findings with known ransomware use.
    pub fail_on_ransomware: Option<bool>,
    /// `fail-on-kev-past-due`: fail on KEV findings past their CISA due date.
    pub fail_on_kev_past_due: Option<bool>,
    /// `fail-on-epss`: fail on EPSS at or above this score (0-1).
    pub fail_on_epss: Option<f64>,
    /// `only-fixable`: fail only where a fixed version is known.
    pub only_fixable: Option<bool>,
    /// `severity-source`: whose rating sets the severity, in order.
    pub severity_source: Option<Vec<crate::enrich::SeveritySource>>,
    /// `rhel-stream`: the Red Hat extended stream the system is on (`eus-8.6`).
    pub rhel_stream: Option<crate::purl::RhelStream>,
    /// `ignore`: triaged vulnerabilities, in file order.
    pub ignores: Vec<Ignore>,
    /// `vex`: VEX documents (OpenVEX or CycloneDX), relative to the config file's directory.
    pub vex: Vec<String>,
    /// `tests`: cases `kevgate policy test` runs.
    pub tests: Vec<crate::policy_test::Case>,
    /// `notify` and `jira`: which tracking-issue transitions reach Slack and Jira
    /// (`docs/notifications.md`).
    pub notify: crate::notify::Settings,
    /// `owners`, `sla`, `runbooks`: the tracking issues' settings (`docs/tracking.md`).
    pub tracking: crate::track::settings::Settings,
}

/// A policy file that cannot be used: every problem, each with its line when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file, as given (for messages).
    pub file: String,
    /// Every problem found, in file order.
    pub problems: Vec<Problem>,
}

/// One problem in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// Lower case, values in backticks, then `hint: ..` when there is a fix.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "config `{}` is not valid ({n} problem{})",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        // One line (main prints errors on one line): numbered problems.
        for (i, p) in self.problems.iter().enumerate() {
            let sep = if i == 0 { ":" } else { ";" };
            match p.line {
                Some(line) => write!(
                    f,
                    "{sep} ({}) `{}` line {line}: {}",
                    i + 1,
                    self.file,
                    p.message
                )?,
                None => write!(f, "{sep} ({}) `{}`: {}", i + 1, self.file, p.message)?,
            }
        }
        Ok(())
    }
}

/// The file as written. Every field is optional here so [`validate`] can name each missing
/// one with its line, rather than serde stopping at the first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    fail_on: Option<Spanned<String>>,
    fail_on_kev: Option<bool>,
    fail_on_malicious: Option<bool>,
    fail_on_ransomware: Option<bool>,
    fail_on_kev_past_due: Option<bool>,
    fail_on_epss: Option<Spanned<f64>>,
    only_fixable: Option<bool>,
    severity_source: Option<Spanned<Vec<String>>>,
    rhel_stream: Option<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<RawIgnore>>,
    #[serde(default)]
    vex: Vec<Spanned<String>>,
    #[serde(default)]
    tests: Vec<Spanned<RawCase>>,
    notify: Option<Spanned<crate::notify::config::RawNotify>>,
    jira: Option<Spanned<crate::notify::config::RawJira>>,
    #[serde(default)]
    owners: Vec<Spanned<crate::track::settings::RawOwner>>,
    sla: Option<Spanned<std::collections::BTreeMap<String, String>>>,
    runbooks: Option<Spanned<std::collections::BTreeMap<String, String>>>,
}

/// One `tests` case as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCase {
    name: Option<String>,
    finding: Option<RawCaseFinding>,
    today: Option<String>,
    expect: Option<String>,
    expect_priority: Option<String>,
}

/// A case's finding as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCaseFinding {
    id: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    purl: Option<String>,
    severity: Option<String>,
    #[serde(default)]
    kev: bool,
    #[serde(default)]
    ransomware: bool,
    kev_due_date: Option<String>,
    epss: Option<f64>,
    #[serde(default)]
    fixed: Vec<String>,
    cvss: Option<String>,
    #[serde(default)]
    exploit_refs: Vec<String>,
}

/// One `ignore` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawIgnore {
    id: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
    expires: Option<Spanned<String>>,
    purl: Option<Spanned<String>>,
}

/// Parses and validates a policy file. `file` names it in messages and ignore origins.
pub fn parse(bytes: &[u8], file: &str) -> Result<Config, ConfigError> {
    let error = |problems| ConfigError {
        file: file.to_owned(),
        problems,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        error(vec![Problem {
            line: None,
            message: format!("not UTF-8: {e}"),
        }])
    })?;
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    let raw: RawConfig = serde_saphyr::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line()).filter(|&l| l > 0);
        error(vec![Problem {
            line,
            message: crate::text::parser_message(&one_line(&e.without_snippet().to_string())),
        }])
    })?;
    validate(raw, file).map_err(error)
}

/// The first line of a parser message, without the location it repeats.
fn one_line(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default().trim();
    match first.find(" at line ") {
        Some(i) => first[..i].to_owned(),
        None => first.to_owned(),
    }
}

/// Checks every value of `raw`; returns every problem at once.
fn validate(raw: RawConfig, file: &str) -> Result<Config, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem = |line: u64, message: String| {
        problems.push(Problem {
            line: Some(line).filter(|&l| l > 0),
            message,
        })
    };
    let fail_on = raw.fail_on.and_then(|v| {
        let parsed = fail_on_from_str(&v.value);
        if parsed.is_none() {
            problem(
                v.referenced.line(),
                format!(
                    "`fail-on` is `{}`; hint: one of `critical`, `high`, `medium`, `low`, `none`",
                    v.value
                ),
            );
        }
        parsed
    });
    let fail_on_epss = raw.fail_on_epss.and_then(|v| {
        if (0.0..=1.0).contains(&v.value) {
            Some(v.value)
        } else {
            problem(
                v.referenced.line(),
                format!(
                    "`fail-on-epss` is `{}`; hint: an EPSS score between 0 and 1, e.g. `0.5`",
                    v.value
                ),
            );
            None
        }
    });
    let severity_source = raw.severity_source.and_then(|v| {
        let line = v.referenced.line();
        let mut order = Vec::new();
        for name in &v.value {
            match crate::enrich::SeveritySource::DEFAULT
                .into_iter()
                .find(|s| s.as_str().eq_ignore_ascii_case(name.trim()))
            {
                Some(s) if order.contains(&s) => {
                    problem(line, format!("`severity-source` lists `{name}` twice"))
                }
                Some(s) => order.push(s),
                None => problem(
                    line,
                    format!(
                        "`severity-source` has `{name}`; hint: a list of `nvd`, `jvn`, \
                         `osv`, `ghsa`, `sbom`, e.g. `[nvd, jvn, ghsa, osv, sbom]`"
                    ),
                ),
            }
        }
        if v.value.is_empty() {
            problem(
                line,
                "`severity-source` is empty; hint: a list of `nvd`, `jvn`, `osv`, `ghsa`, `sbom`"
                    .to_owned(),
            );
        }
        (order.len() == v.value.len() && !order.is_empty()).then_some(order)
    });
    let rhel_stream = raw.rhel_stream.and_then(|v| {
        v.value
            .parse::<crate::purl::RhelStream>()
            .map_err(|e| problem(v.referenced.line(), format!("`rhel-stream`: {e}")))
            .ok()
    });
    let mut ignores = Vec::new();
    for entry in raw.ignore {
        let line = entry.referenced.line();
        let e = entry.value;
        let id =
            e.id.as_ref()
                .map(|s| s.value.trim().to_owned())
                .filter(|s| !s.is_empty());
        // An id that is not shaped like one is never quoted (see `is_vulnerability_id`).
        let id = match id {
            Some(id) if !is_vulnerability_id(&id) => {
                problem(
                    e.id.as_ref().map_or(line, |s| s.referenced.line()),
                    "the `id` of an `ignore` entry is not a vulnerability id; hint: the CVE, \
                     GHSA or other advisory id to ignore, e.g. `CVE-2021-44228`"
                        .to_owned(),
                );
                None
            }
            None => {
                problem(
                    line,
                    "an `ignore` entry has no `id`; hint: the CVE, GHSA or other id to ignore"
                        .to_owned(),
                );
                None
            }
            id => id,
        };
        let shown = id.as_deref().unwrap_or("?");
        let reason = e
            .reason
            .as_ref()
            .map(|s| s.value.trim().to_owned())
            .filter(|s| !s.is_empty());
        if reason.is_none() {
            problem(
                e.reason.as_ref().map_or(line, |r| r.referenced.line()),
                format!(
                    "the ignore of `{shown}` has no `reason`; hint: say why it is safe to \
                     ignore, e.g. `reason: not reachable, see #123`"
                ),
            );
        }
        let mut expires = None;
        if let Some(v) = &e.expires {
            match v.value.trim().parse::<jiff::civil::Date>() {
                Ok(d) => expires = Some(d),
                Err(_) => problem(
                    v.referenced.line(),
                    format!(
                        "the ignore of `{shown}` expires on `{}`, which is not a date; hint: \
                         YYYY-MM-DD, e.g. `2027-01-31`",
                        v.value
                    ),
                ),
            }
        }
        let mut purls = Vec::new();
        if let Some(v) = &e.purl {
            let scope = v.value.trim();
            if scope.starts_with("pkg:") && scope.len() > 4 && scope[4..].contains('/') {
                purls.push(scope.to_owned());
            } else {
                problem(
                    v.referenced.line(),
                    format!(
                        "the ignore of `{shown}` has `purl: {}`, which is not a package URL; \
                         hint: e.g. `pkg:maven/org.apache.logging.log4j/log4j-core`",
                        v.value
                    ),
                );
            }
        }
        if let (Some(id), Some(reason)) = (id, reason) {
            ignores.push(Ignore {
                id,
                reason,
                expires,
                purls,
                source: IgnoreSource::Config,
                origin: format!("`{file}` line {line}"),
            });
        }
    }
    let tracking = crate::track::settings::validate(
        crate::track::settings::Raw {
            owners: raw.owners,
            sla: raw.sla,
            runbooks: raw.runbooks,
        },
        &mut problem,
    );
    let mut vex = Vec::new();
    for v in raw.vex {
        if v.value.trim().is_empty() {
            problem(v.referenced.line(), "an empty `vex` path".to_owned());
        } else {
            vex.push(v.value.trim().to_owned());
        }
    }
    let mut tests = Vec::new();
    for (i, case) in raw.tests.into_iter().enumerate() {
        let line = case.referenced.line();
        let c = case.value;
        let name = c.name.unwrap_or_else(|| format!("case {}", i + 1));
        let expect = match c.expect.as_deref().map(str::trim) {
            Some("fail") => Some(crate::policy::Decision::Fail),
            Some("warn") => Some(crate::policy::Decision::Warn),
            Some("ignored") => Some(crate::policy::Decision::Ignored),
            None if c.expect_priority.is_some() => None,
            other => {
                problem(
                    line,
                    format!(
                        "test `{name}` expects `{}`; hint: `fail`, `warn` or `ignored`",
                        other.unwrap_or("nothing")
                    ),
                );
                None
            }
        };
        let expect_priority = match c.expect_priority.as_deref().map(str::trim) {
            None => None,
            Some(p) => {
                let parsed = [
                    crate::priority::Priority::Act,
                    crate::priority::Priority::Attend,
                    crate::priority::Priority::TrackStar,
                    crate::priority::Priority::Track,
                ]
                .into_iter()
                .find(|v| v.as_str().eq_ignore_ascii_case(p));
                if parsed.is_none() {
                    problem(
                        line,
                        format!(
                            "test `{name}` has `expect-priority: {p}`; hint: `act`, `attend`, \
                             `track*` or `track`"
                        ),
                    );
                }
                parsed
            }
        };
        let today = match c.today.as_deref().map(str::trim) {
            None => None,
            Some(d) => match d.parse::<jiff::civil::Date>() {
                Ok(d) => Some(d),
                Err(_) => {
                    problem(
                        line,
                        format!("test `{name}` has `today: {d}`, not YYYY-MM-DD"),
                    );
                    None
                }
            },
        };
        let finding = match c.finding {
            Some(f) if f.id.as_deref().is_some_and(|id| !id.trim().is_empty()) => {
                let severity = match f.severity.as_deref() {
                    None => None,
                    Some(s) => {
                        let parsed = [
                            crate::enrich::Severity::Critical,
                            crate::enrich::Severity::High,
                            crate::enrich::Severity::Medium,
                            crate::enrich::Severity::Low,
                            crate::enrich::Severity::Unknown,
                        ]
                        .into_iter()
                        .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()));
                        if parsed.is_none() {
                            problem(line, format!("test `{name}` has severity `{s}`"));
                        }
                        parsed
                    }
                };
                let cvss = f.cvss.as_deref().map(str::trim).and_then(|v| {
                    let parsed = crate::policy_test::case_cvss(v);
                    if parsed.is_none() {
                        problem(
                            line,
                            format!(
                                "test `{name}` has `cvss: {v}`, not a CVSS vector; hint: e.g. \
                                 `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`"
                            ),
                        );
                    }
                    parsed
                });
                Some(crate::policy_test::CaseFinding {
                    id: f.id.unwrap_or_default().trim().to_owned(),
                    aliases: f.aliases,
                    purl: f.purl,
                    severity,
                    kev: f.kev,
                    ransomware: f.ransomware,
                    kev_due_date: f.kev_due_date,
                    epss: f.epss,
                    fixed: f.fixed,
                    cvss,
                    exploit_refs: f.exploit_refs,
                })
            }
            _ => {
                problem(line, format!("test `{name}` has no `finding` with an `id`"));
                None
            }
        };
        if let Some(finding) = finding
            && (expect.is_some() || expect_priority.is_some())
        {
            tests.push(crate::policy_test::Case {
                name,
                origin: format!("`{file}` line {line}"),
                finding,
                today,
                expect,
                expect_priority,
            });
        }
    }
    let notify = crate::notify::config::validate(raw.notify, raw.jira, &mut problem);
    if problems.is_empty() {
        Ok(Config {
            fail_on,
            fail_on_kev: raw.fail_on_kev,
            fail_on_malicious: raw.fail_on_malicious,
            fail_on_ransomware: raw.fail_on_ransomware,
            fail_on_kev_past_due: raw.fail_on_kev_past_due,
            fail_on_epss,
            only_fixable: raw.only_fixable,
            severity_source,
            rhel_stream,
            ignores,
            vex,
            tests,
            notify,
            tracking,
        })
    } else {
        Err(problems)
    }
}

/// `critical`, `high`, `medium`, `low`, `none` (ASCII case-insensitive).
fn fail_on_from_str(s: &str) -> Option<FailOn> {
    [
        FailOn::Critical,
        FailOn::High,
        FailOn::Medium,
        FailOn::Low,
        FailOn::None,
    ]
    .into_iter()
    .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vulnerability ids of every database kevgate reads have the shape; secrets, keys,
    /// environment lines and trivy's non-vulnerability rule ids do not.
    #[test]
    fn vulnerability_id_shape() {
        for id in [
            "CVE-2021-44228",
            "cve-2021-44228",
            "GHSA-jpcq-cgw6-v4j6",
            "PYSEC-2021-1",
            "RUSTSEC-2022-0042",
            "MAL-2022-1",
            "GO-2022-0001",
            "RHSA-2021:1234",
            "DSA-5000-1",
            "openSUSE-SU-2024:12345-1",
            "JVNDB-2021-000001",
            "CVE-1",
            "ALSA-2024:1234",
            "SUSE-SU-2024:0001-1",
            "TEMP-0000000-ABCDEF",
            "UBUNTU-CVE-2021-44228",
            "BIT-wordpress-2019-16217",
            "CGA-2xj4-5fq2-9p6v",
        ] {
            assert!(is_vulnerability_id(id), "{id}");
        }
        for not in [
            "",
            "CVE",
            "CVE-",
            "CVE--1",
            "GITHUB_TOKEN=ghs_abc-123",
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0-abc",
            "aws-access-key-id",
            "-----BEGIN",
            "CVE-2021-44228;rm",
            "CVE 2021",
            "A-1",
            "<b>X-1",
            // A Slack token, an old OpenAI key, an id with a secret after `:`.
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            "sk-T3BlbkFJ0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9",
            "CVE-2099-6:ghs_SECRETf",
        ] {
            assert!(!is_vulnerability_id(not), "{not}");
        }
        assert!(!is_vulnerability_id(&format!("CVE-{}", "1".repeat(70))));
        // An `ignore` id of another shape is an error naming its line, not its text.
        let err = parse(
            b"ignore:\n  - id: GITHUB_TOKEN=ghs_secret0123\n    reason: r\n",
            ".kevgate.yaml",
        )
        .expect_err("not an id");
        assert_eq!(err.problems.len(), 1);
        assert_eq!(err.problems[0].line, Some(2));
        assert!(!err.to_string().contains("ghs_secret"), "{err}");
    }

    fn problems(yaml: &str) -> Vec<(Option<u64>, String)> {
        match parse(yaml.as_bytes(), ".kevgate.yaml") {
            Ok(c) => panic!("expected an error, got {c:?}"),
            Err(e) => e
                .problems
                .into_iter()
                .map(|p| (p.line, p.message))
                .collect(),
        }
    }

    /// The documented example (`docs/config.md` includes this very file) parses.
    #[test]
    fn documented_example_parses() {
        let bytes = include_bytes!("../tests/fixtures/config/kevgate.yaml");
        let docs = include_str!("../docs/config.md");
        let example = std::str::from_utf8(bytes).expect("UTF-8");
        assert!(
            docs.contains(example.trim()),
            "docs/config.md must show tests/fixtures/config/kevgate.yaml verbatim"
        );
        let config = parse(bytes, "kevgate.yaml").expect("the documented example is valid");
        assert_eq!(config.fail_on, Some(FailOn::Critical));
        assert_eq!(config.fail_on_kev, Some(true));
        assert_eq!(config.ignores.len(), 2);
        let log4j = &config.ignores[0];
        assert_eq!(log4j.id, "CVE-2021-44228");
        assert_eq!(log4j.expires, Some(jiff::civil::date(2027, 1, 31)));
        assert_eq!(
            log4j.purls,
            ["pkg:maven/org.apache.logging.log4j/log4j-core"]
        );
        assert!(
            log4j.origin.starts_with("`kevgate.yaml` line "),
            "{}",
            log4j.origin
        );
        assert_eq!(config.vex, ["security/openvex.json"]);
    }

    /// An empty file is the defaults.
    #[test]
    fn empty_is_default() {
        assert_eq!(parse(b"", "c").expect("valid"), Config::default());
        assert_eq!(
            parse(b"# nothing\n", "c").expect("valid"),
            Config::default()
        );
    }

    /// Every problem is reported at once, each with its line.
    #[test]
    fn every_problem_with_its_line() {
        let yaml = "\
fail-on: severe
ignore:
  - id: CVE-2021-44228
  - id: CVE-2020-11023
    reason: not reachable
    expires: next year
  - reason: no id
    purl: jquery
";
        assert_eq!(
            problems(yaml),
            [
                (
                    Some(1),
                    "`fail-on` is `severe`; hint: one of `critical`, `high`, `medium`, `low`, `none`"
                        .to_owned()
                ),
                (
                    Some(3),
                    "the ignore of `CVE-2021-44228` has no `reason`; hint: say why it is safe \
                     to ignore, e.g. `reason: not reachable, see #123`"
                        .to_owned()
                ),
                (
                    Some(6),
                    "the ignore of `CVE-2020-11023` expires on `next year`, which is not a date; \
                     hint: YYYY-MM-DD, e.g. `2027-01-31`"
                        .to_owned()
                ),
                (
                    Some(7),
                    "an `ignore` entry has no `id`; hint: the CVE, GHSA or other id to ignore"
                        .to_owned()
                ),
                (
                    Some(8),
                    "the ignore of `?` has `purl: jquery`, which is not a package URL; hint: \
                     e.g. `pkg:maven/org.apache.logging.log4j/log4j-core`"
                        .to_owned()
                ),
            ]
        );
    }

    /// Unknown keys are errors with their line, at the top level and in an ignore.
    #[test]
    fn unknown_keys_rejected() {
        let cases = [
            ("fail-on: high\nfail_on_kev: true\n", 2, "fail_on_kev"),
            (
                "ignore:\n  - id: CVE-1\n    reason: r\n    expiry: 2027-01-01\n",
                4,
                "expiry",
            ),
        ];
        for (yaml, line, key) in cases {
            let p = problems(yaml);
            assert_eq!(p.len(), 1, "{p:?}");
            assert_eq!(p[0].0, Some(line), "{p:?}");
            assert!(p[0].1.contains(key), "{p:?}");
        }
    }

    /// Syntax and type errors stop parsing and carry their line; no input panics.
    #[test]
    fn malformed_inputs_are_errors() {
        let cases: [&[u8]; 6] = [
            b"fail-on: [critical\n",
            b"fail-on-kev: maybe\n",
            b"ignore: CVE-2021-44228\n",
            b"- just\n- a list\n",
            b"\xff\xfe",
            b"ignore:\n  - id: [a, b]\n    reason: r\n",
        ];
        for yaml in cases {
            let err = parse(yaml, "c.yaml").expect_err("invalid");
            assert_eq!(err.problems.len(), 1, "{err}");
            assert!(err.to_string().starts_with("config `c.yaml` is not valid"));
        }
    }

    /// The extra gate rules parse; `fail-on-epss` must be a score.
    #[test]
    fn gate_rules() {
        let c = parse(
            b"fail-on-ransomware: true\nfail-on-kev-past-due: true\nfail-on-epss: 0.5\nonly-fixable: true\n",
            "c",
        )
        .expect("valid");
        assert_eq!(c.fail_on_ransomware, Some(true));
        assert_eq!(c.fail_on_kev_past_due, Some(true));
        assert_eq!(c.fail_on_epss, Some(0.5));
        assert_eq!(c.only_fixable, Some(true));
        assert_eq!(
            problems("fail-on-epss: 50\n"),
            [(
                Some(1),
                "`fail-on-epss` is `50`; hint: an EPSS score between 0 and 1, e.g. `0.5`"
                    .to_owned()
            )]
        );
    }

    /// `fail-on` takes every documented value.
    #[test]
    fn fail_on_values() {
        for (text, want) in [
            ("critical", FailOn::Critical),
            ("HIGH", FailOn::High),
            ("medium", FailOn::Medium),
            ("low", FailOn::Low),
            ("none", FailOn::None),
        ] {
            let c = parse(format!("fail-on: {text}\n").as_bytes(), "c").expect("valid");
            assert_eq!(c.fail_on, Some(want));
        }
    }
}
