//! The policy file (`.kevgate.yaml`, or `--config FILE`) -> [`Config`]: the rules and
//! ignores a team keeps in its repository. Documented in `docs/config.md`, whose example is
//! `tests/fixtures/config/kevgate.yaml`.
//!
//! Pure over bytes: the CLI reads the file (`cli/policy.rs`). The one conversion of a
//! [`Config`] into the gate's [`Policy`] is [`Config::to_policy`], with the [`Overrides`]
//! that `scan` flags or the action's inputs put over it (they win); `scan`, `action` and
//! `policy test` all build their policy with it.
//!
//! Parsing is two steps, as cargo-deny's `UnvalidatedConfig::validate`: serde reads a raw
//! struct (`deny_unknown_fields`, so a typo is an error, not a silently ignored rule), then
//! [`validate`] checks every value and reports every problem at once, each with its line
//! (serde-saphyr's `Spanned` carries the lines). A YAML syntax or type error stops serde
//! itself, so that one is reported alone, still with its line.

use crate::policy::{FailOn, Ignore, IgnoreSource, Policy};
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
    pub tests: Vec<crate::policy_check::Case>,
    /// `notify` and `jira`: which tracking-issue transitions reach Slack and Jira
    /// (`docs/notifications.md`).
    pub notify: crate::notify::Settings,
    /// `owners`, `sla`, `runbooks`: the tracking issues' settings (`docs/tracking.md`).
    pub tracking: crate::track::settings::Settings,
}

/// What the command line (`scan` flags) or the action's inputs set over the policy file.
/// `None` leaves the file's value in force, else kevgate's default; `Some` wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// `--fail-on`, input `fail-on`.
    pub fail_on: Option<FailOn>,
    /// `--fail-on-kev` / `--no-fail-on-kev`, input `fail-on-kev`.
    pub fail_on_kev: Option<bool>,
    /// `--fail-on-malicious` / `--no-fail-on-malicious`, input `fail-on-malicious`.
    pub fail_on_malicious: Option<bool>,
    /// `--fail-on-ransomware` (a flag can only turn it on).
    pub fail_on_ransomware: Option<bool>,
    /// `--fail-on-kev-past-due`.
    pub fail_on_kev_past_due: Option<bool>,
    /// `--fail-on-epss`.
    pub fail_on_epss: Option<f64>,
    /// `--only-fixable`.
    pub only_fixable: Option<bool>,
    /// `--severity-source`.
    pub severity_source: Option<Vec<crate::enrich::SeveritySource>>,
    /// `--rhel-stream`, input `rhel-stream`.
    pub rhel_stream: Option<crate::purl::RhelStream>,
}

impl Config {
    /// The gate's rules: each setting from `overrides`, else this file, else the default of
    /// [`Policy::default`]. The ignores are the file's own, then `more` (trivy ignore files,
    /// VEX statements, the SBOM's own VEX), in that order. What only a scan knows (the
    /// baseline, the exceptions a pull request adds) is left unset.
    pub fn to_policy(&self, overrides: &Overrides, more: Vec<Ignore>) -> Policy {
        let default = Policy::default();
        let flag = |over: Option<bool>, file: Option<bool>, default: bool| {
            over.or(file).unwrap_or(default)
        };
        Policy {
            fail_on: overrides
                .fail_on
                .or(self.fail_on)
                .unwrap_or(default.fail_on),
            fail_on_kev: flag(overrides.fail_on_kev, self.fail_on_kev, default.fail_on_kev),
            fail_on_malicious: flag(
                overrides.fail_on_malicious,
                self.fail_on_malicious,
                default.fail_on_malicious,
            ),
            fail_on_ransomware: flag(
                overrides.fail_on_ransomware,
                self.fail_on_ransomware,
                default.fail_on_ransomware,
            ),
            fail_on_kev_past_due: flag(
                overrides.fail_on_kev_past_due,
                self.fail_on_kev_past_due,
                default.fail_on_kev_past_due,
            ),
            fail_on_epss: overrides.fail_on_epss.or(self.fail_on_epss),
            only_fixable: flag(
                overrides.only_fixable,
                self.only_fixable,
                default.only_fixable,
            ),
            ignores: self.ignores.iter().cloned().chain(more).collect(),
            severity_source: overrides
                .severity_source
                .clone()
                .or_else(|| self.severity_source.clone())
                .unwrap_or(default.severity_source),
            rhel_stream: overrides
                .rhel_stream
                .clone()
                .or_else(|| self.rhel_stream.clone()),
            ..default
        }
    }
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
        let parsed = FailOn::from_name(&v.value);
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
            match crate::enrich::SeveritySource::from_name(name) {
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
                let parsed = crate::priority::Priority::from_name(p);
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
                        let parsed = crate::enrich::Severity::from_name(s);
                        if parsed.is_none() {
                            problem(line, format!("test `{name}` has severity `{s}`"));
                        }
                        parsed
                    }
                };
                let cvss = f.cvss.as_deref().map(str::trim).and_then(|v| {
                    let parsed = crate::policy_check::case_cvss(v);
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
                Some(crate::policy_check::CaseFinding {
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
            tests.push(crate::policy_check::Case {
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

#[cfg(test)]
mod tests;
