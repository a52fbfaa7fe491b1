//! The findings `kevgate track` reads: a kevgate JSON report (`docs/json-report.md`), parsed
//! into [`Finding`]s with their tracking key. The action builds the same report in memory and
//! parses it here, so the CLI and the action track through one path.
//!
//! The report is a file someone hands us: a wrong `schema_version` or a shape that is not the
//! report's is an error naming the problem (exit 2), never an empty list (which would close
//! every issue). Values are kept raw; they are escaped where they are written.

use super::state::{Class, key_byte};
use jiff::civil::Date;
use serde::Deserialize;

/// One finding of the report, as tracking needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The tracking key ([`key`]).
    pub key: String,
    /// The versionless purl.
    pub package: String,
    /// The component's display name.
    pub name: String,
    /// The vulnerability id.
    pub id: String,
    /// Its aliases.
    pub aliases: Vec<String>,
    /// The component version.
    pub version: Option<String>,
    /// The manifest (lockfile) trivy found it in.
    pub manifest: Option<String>,
    /// `critical`, `high`, …
    pub severity: String,
    /// Who rated the severity.
    pub severity_source: Option<String>,
    /// The KEV entry, when in KEV.
    pub kev: Option<Kev>,
    /// A known-malicious package version.
    pub malicious: bool,
    /// EPSS score (0-1).
    pub epss: Option<f64>,
    /// Fixed versions.
    pub fixed_versions: Vec<String>,
    /// The gate's decision.
    pub decision: Decision,
    /// Why it is ignored, for `ignored`.
    pub ignored_reason: Option<String>,
    /// Triage priority (`act`, `attend`, …).
    pub priority: String,
    /// The advisory summary.
    pub summary: Option<String>,
    /// The advisory's canonical URL.
    pub url: Option<String>,
    /// The remediation step for its component (`upgrade lodash 4.17.15 -> 4.17.21`).
    pub remediation: Option<String>,
    /// The version the remediation upgrades to, when one fixes it.
    pub upgrade_to: Option<String>,
}

/// A KEV entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Kev {
    /// CISA's due date.
    pub due_date: Option<Date>,
    /// CISA's required action.
    pub required_action: String,
    /// `Known` when used in ransomware campaigns.
    pub ransomware: bool,
}

/// The gate's decision on a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Fails the gate.
    Fail,
    /// Reported, does not fail.
    Warn,
    /// Ignored by the config or a VEX statement.
    Ignored,
}

impl Finding {
    /// The class that sets the due date and labels: malicious, KEV, then the severity.
    pub fn class(&self) -> Class {
        if self.malicious {
            Class::Malicious
        } else if self.kev.is_some() {
            Class::Kev
        } else {
            match self.severity.as_str() {
                "critical" => Class::Critical,
                "high" => Class::High,
                "medium" => Class::Medium,
                "low" => Class::Low,
                _ => Class::Unknown,
            }
        }
    }
}

/// What a report holds for tracking.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The findings with a purl, in report order.
    pub findings: Vec<Finding>,
    /// Findings without a usable purl: cannot be keyed, so not tracked (counted).
    pub unkeyed: usize,
}

#[derive(Deserialize)]
struct RawReport {
    schema_version: String,
    findings: Vec<RawFinding>,
    #[serde(default)]
    remediations: Vec<RawRemediation>,
}

#[derive(Deserialize)]
struct RawFinding {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    component: RawComponent,
    severity: String,
    severity_source: Option<String>,
    kev: Option<RawKev>,
    #[serde(default)]
    malicious: bool,
    epss: Option<RawEpss>,
    #[serde(default)]
    fixed_versions: Vec<String>,
    decision: String,
    ignored_reason: Option<String>,
    #[serde(default)]
    priority: String,
    summary: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawComponent {
    purl: Option<String>,
    name: String,
    version: Option<String>,
    file_path: Option<String>,
}

#[derive(Deserialize)]
struct RawKev {
    due_date: String,
    #[serde(default)]
    required_action: String,
    #[serde(default)]
    known_ransomware_campaign_use: String,
}

#[derive(Deserialize)]
struct RawEpss {
    score: f64,
}

#[derive(Deserialize)]
struct RawRemediation {
    summary: String,
    purl: Option<String>,
    upgrade_to: Option<String>,
    #[serde(default)]
    fixes: Vec<String>,
}

/// Parses a kevgate JSON report. The error is one line, lower case.
pub fn parse(bytes: &[u8]) -> Result<Report, String> {
    let raw: RawReport =
        serde_json::from_slice(bytes).map_err(|e| format!("not a kevgate JSON report: {e}"))?;
    if raw.schema_version != crate::report::json::SCHEMA_VERSION {
        return Err(format!(
            "the report's `schema_version` is `{}`, kevgate track reads `{}`",
            crate::text::terminal(&crate::text::one_line(&raw.schema_version, 20)),
            crate::report::json::SCHEMA_VERSION
        ));
    }
    let mut findings = Vec::new();
    let mut unkeyed = 0;
    for f in raw.findings {
        let decision = match f.decision.as_str() {
            "fail" => Decision::Fail,
            "warn" => Decision::Warn,
            "ignored" => Decision::Ignored,
            other => {
                return Err(format!(
                    "finding `{}` has an unknown `decision` `{}`",
                    crate::text::terminal(&crate::text::one_line(&f.id, 80)),
                    crate::text::terminal(&crate::text::one_line(other, 20))
                ));
            }
        };
        let Some(package) = f.component.purl.as_deref().and_then(versionless) else {
            unkeyed += 1;
            continue;
        };
        if f.id.is_empty() || f.id.len() > 200 {
            unkeyed += 1;
            continue;
        }
        let remediation = raw
            .remediations
            .iter()
            .find(|r| r.purl.as_deref() == f.component.purl.as_deref() && r.fixes.contains(&f.id));
        let kev = match f.kev {
            None => None,
            Some(k) => Some(Kev {
                due_date: k.due_date.parse().ok(),
                required_action: k.required_action,
                ransomware: k
                    .known_ransomware_campaign_use
                    .eq_ignore_ascii_case("known"),
            }),
        };
        findings.push(Finding {
            key: key(&package, &f.id),
            package,
            name: f.component.name,
            id: f.id,
            aliases: f.aliases,
            version: f.component.version,
            manifest: f.component.file_path,
            severity: f.severity,
            severity_source: f.severity_source,
            kev,
            malicious: f.malicious,
            epss: f.epss.map(|e| e.score),
            fixed_versions: f.fixed_versions,
            decision,
            ignored_reason: f.ignored_reason,
            priority: f.priority,
            summary: f.summary,
            url: f.url,
            remediation: remediation.map(|r| r.summary.clone()),
            upgrade_to: remediation.and_then(|r| r.upgrade_to.clone()),
        });
    }
    Ok(Report { findings, unkeyed })
}

/// The purl without version, qualifiers or subpath, names case-folded where the ecosystem
/// ignores case, every byte outside the key's safe set percent-encoded. `None` when `purl`
/// is not a purl.
pub fn versionless(purl: &str) -> Option<String> {
    let p = crate::purl::Purl::parse(purl).ok()?;
    let fold = matches!(
        p.ty.as_str(),
        "npm" | "pypi" | "golang" | "nuget" | "composer"
    );
    let case = |s: &str| if fold { s.to_lowercase() } else { s.to_owned() };
    let mut out = format!("pkg:{}/", encode(&p.ty));
    if let Some(ns) = &p.namespace {
        out.push_str(&encode(&case(ns)));
        out.push('/');
    }
    out.push_str(&encode(&case(&p.name)));
    Some(out)
}

/// The tracking key of `id` in the versionless purl `package`: `<package> <id>`. Stable:
/// documented in `docs/tracking.md`.
pub fn key(package: &str, id: &str) -> String {
    format!("{package} {}", encode(id))
}

/// Percent-encodes the bytes a key does not keep ([`key_byte`]); `%` itself is kept, so an
/// already-encoded purl segment stays as it is.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if key_byte(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys drop version, qualifiers and subpath, fold case where the ecosystem does, and
    /// encode anything that could end the marker.
    #[test]
    fn keys() {
        let k = |purl: &str, id: &str| versionless(purl).map(|p| key(&p, id));
        for (purl, id, want) in [
            (
                "pkg:npm/lodash@4.17.15",
                "CVE-2021-23337",
                Some("pkg:npm/lodash CVE-2021-23337"),
            ),
            (
                "pkg:npm/%40Babel/Core@7.0.0?x=y#sub",
                "GHSA-x",
                Some("pkg:npm/@babel/core GHSA-x"),
            ),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                "CVE-2021-44228",
                Some("pkg:maven/org.apache.logging.log4j/log4j-core CVE-2021-44228"),
            ),
            (
                "pkg:pypi/Django@1.0",
                "CVE-1 -->",
                Some("pkg:pypi/django CVE-1%20--%3E"),
            ),
            ("pkg:npm/a%20b%3C@1", "X", Some("pkg:npm/a%20b%3C X")),
            ("not a purl", "X", None),
        ] {
            let got = k(purl, id);
            assert_eq!(got.as_deref(), want, "{purl}");
            if let Some(g) = got {
                assert!(super::super::state::valid_key(&g), "{g}");
            }
        }
    }
}
