//! SARIF 2.1.0 for GitHub code scanning.
//!
//! One rule per vulnerability id, one result per (vulnerability, component), as
//! osv-scanner `internal/output/sarif.go` does. Decisions a reader may question:
//!
//! - `security-severity` (GitHub maps ≥ 9.0 to critical, ≥ 7.0 high, ≥ 4.0 medium, else
//!   low) is the finding's CVSS base score, except that a KEV finding gets at least `9.0`:
//!   KEV counts as critical, and code scanning should sort it with the criticals while the
//!   rule still shows the real score in its help. Without a score it is the lower bound of
//!   the severity band (`9.0`, `7.0`, `4.0`, `0.1`), and absent for `unknown`. A
//!   known-malicious package version is `10.0` (tagged `malicious`): not a weakness but
//!   hostile code in the build.
//! - `level` is the gate's decision: `error` for fail, `warning` for warn.
//! - The location is the component's file (trivy `FilePath`) when known, else the SBOM file,
//!   with a logical location naming the purl.
//! - `partialFingerprints["kevgate/v1"]` is the sha256 of the vulnerability id, the purl
//!   without version, qualifiers (other than `arch`) and subpath, and the file path. It stays
//!   the same across runs and across upgrades within the vulnerable range, so code scanning
//!   keeps one alert per vulnerability per package; osv-scanner's `createSARIFFingerprint`
//!   hashes the version too, which opens a new alert on every bump.

use super::{code, safe_url};
use crate::enrich::{FoundBy, Severity};
use crate::evaluation::Evaluation;
use crate::policy::{DecidedFinding, Decision};
use crate::text;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Where people learn about the tool (`tool.driver.informationUri`).
pub const INFORMATION_URI: &str = "https://github.com/kevgate/kevgate";

/// The key of kevgate's partial fingerprint.
pub const FINGERPRINT_KEY: &str = "kevgate/v1";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    properties: RunProperties,
}

#[derive(Serialize)]
struct RunProperties {
    verdict: String,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Text,
    full_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    help: Help,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
    tags: Vec<&'static str>,
    precision: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    /// Ignored findings: one external suppression carrying the reason (SARIF 2.1.0
    /// §3.27.23; GitHub code scanning shows them as dismissed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    justification: String,
}

#[derive(Serialize)]
struct ResultProperties {
    severity: &'static str,
    decision: String,
    reasons: Vec<String>,
    kev: bool,
    priority: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

/// The stable fingerprint of a result.
pub(crate) fn fingerprint(e: &DecidedFinding) -> String {
    let mut h = Sha256::new();
    h.update(e.finding.id.as_bytes());
    h.update(b"\n");
    h.update(e.finding.component.package.with_arch().as_bytes());
    h.update(b"\n");
    h.update(
        e.finding
            .component
            .file_path
            .as_deref()
            .unwrap_or("")
            .as_bytes(),
    );
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `security-severity`: see the module docs.
fn security_severity(e: &DecidedFinding) -> Option<String> {
    let band_floor = match e.gate_severity {
        Severity::Critical => Some(9.0),
        Severity::High => Some(7.0),
        Severity::Medium => Some(4.0),
        Severity::Low => Some(0.1),
        Severity::Unknown => None,
    };
    let score = e
        .finding
        .cvss
        .as_ref()
        .map(|c| c.score)
        .or(band_floor)
        .or(e.finding.malicious.then_some(10.0))?;
    let score = if e.finding.malicious {
        10.0
    } else if e.finding.kev.is_some() {
        score.max(9.0)
    } else {
        score
    };
    Some(format!("{score:.1}"))
}

/// A path as a URI reference: percent-encodes what a URI cannot hold.
fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Untrusted text for a plain-text SARIF field: one line, controls visible.
fn plain(s: &str, max: usize) -> String {
    text::terminal(&text::one_line(s, max)).into_owned()
}

fn rule(e: &DecidedFinding) -> Rule {
    let f = &e.finding;
    let id = plain(&f.id, 128);
    let summary = f.summary.as_deref().map(|s| plain(s, 400));
    let short = match &summary {
        Some(s) => plain(&format!("{id}: {s}"), 200),
        None => format!("{id}: vulnerability in {}", plain(&f.component.name, 100)),
    };
    let mut tags = vec!["security", "vulnerability"];
    if f.kev.is_some() {
        tags.push("kev");
    }
    if f.malicious {
        tags.push("malicious");
    }
    let mut md = format!("**{}**", text::markdown(&id));
    if let Some(s) = &summary {
        md.push_str(&format!(": {}", text::markdown(s)));
    }
    md.push_str("\n\n");
    let mut txt = short.clone();
    if !f.aliases.is_empty() {
        let aliases = plain(&f.aliases.join(", "), 300);
        md.push_str(&format!("- Aliases: {}\n", text::markdown(&aliases)));
        txt.push_str(&format!("\nAliases: {aliases}"));
    }
    match &f.cvss {
        Some(c) => {
            let line = format!(
                "CVSS {} {:.1} ({}, {})",
                plain(&c.version, 8),
                c.score,
                plain(&c.vector, 200),
                plain(&c.source, 40)
            );
            md.push_str(&format!("- {}\n", text::markdown(&line)));
            txt.push_str(&format!("\n{line}"));
        }
        None => {
            md.push_str(&format!("- Severity: {}\n", e.gate_severity.as_str()));
            txt.push_str(&format!("\nSeverity: {}", e.gate_severity.as_str()));
        }
    }
    if let Some(kev) = &f.kev {
        let line = format!(
            "In CISA KEV since {}, due {}: {}{}",
            plain(&kev.date_added, 10),
            plain(&kev.due_date, 10),
            plain(&kev.required_action, 300),
            if kev.ransomware {
                " Known ransomware campaign use."
            } else {
                ""
            }
        );
        md.push_str(&format!("- **{}**\n", text::markdown(&line)));
        txt.push_str(&format!("\n{line}"));
    }
    if !f.cwes.is_empty() {
        let cwes = plain(&f.cwes.join(", "), 200);
        md.push_str(&format!("- Weaknesses: {}\n", text::markdown(&cwes)));
        txt.push_str(&format!("\nWeaknesses: {cwes}"));
    }
    let help_uri = f.url.as_deref().and_then(safe_url).map(str::to_owned);
    if let Some(url) = &help_uri {
        md.push_str(&format!("\n<{}>\n", url.replace(['<', '>'], "")));
        txt.push_str(&format!("\n{url}"));
    }
    Rule {
        id: f.id.to_string(),
        short_description: Text { text: short },
        full_description: Text {
            text: summary.unwrap_or_else(|| id.clone()),
        },
        help_uri,
        help: Help {
            text: txt,
            markdown: md,
        },
        properties: RuleProperties {
            security_severity: security_severity(e),
            tags,
            precision: if f.found_by.contains(&FoundBy::Db) {
                "very-high"
            } else {
                "high"
            },
        },
    }
}

fn log(ev: &Evaluation) -> Log {
    let mut rules: Vec<Rule> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut results = Vec::new();
    for e in &ev.findings {
        let id = e.finding.id.as_str();
        let rule_index = *index.entry(id).or_insert_with(|| {
            rules.push(rule(e));
            rules.len() - 1
        });
        let c = &e.finding.component;
        let file = c.file_path.as_deref().unwrap_or(&ev.subject.sbom_path);
        results.push(SarifResult {
            rule_id: e.finding.id.to_string(),
            rule_index,
            level: match e.decision {
                Decision::Fail => "error",
                Decision::Warn => "warning",
                Decision::Ignored => "note",
            },
            message: Text {
                text: crate::report::finding_message(e),
            },
            locations: vec![Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: uri_reference(file),
                    },
                },
                logical_locations: vec![LogicalLocation {
                    name: c.name.clone(),
                    fully_qualified_name: c.purl.clone().unwrap_or_else(|| c.label()),
                    kind: "package",
                }],
            }],
            partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint(e))]),
            suppressions: e
                .ignored_reason
                .iter()
                .map(|reason| Suppression {
                    kind: "external",
                    justification: plain(reason, 1000),
                })
                .collect(),
            properties: ResultProperties {
                severity: e.gate_severity.as_str(),
                decision: code(e.decision),
                reasons: e.reasons.iter().map(|r| code(*r)).collect(),
                kev: e.finding.kev.is_some(),
                priority: e.priority.as_str(),
            },
        });
    }
    Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "kevgate",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules,
                },
            },
            results,
            properties: RunProperties {
                verdict: code(ev.verdict),
            },
        }],
    }
}

/// Writes the SARIF log (pretty-printed, one trailing newline).
pub fn write(ev: &Evaluation, out: &mut dyn Write) -> io::Result<()> {
    crate::output::write_json(out, &log(ev))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn render(ev: &Evaluation) -> String {
        let mut out = Vec::new();
        write(ev, &mut out).expect("writes to a Vec");
        String::from_utf8(out).expect("SARIF is UTF-8")
    }

    /// The SARIF log of the fixture.
    #[test]
    fn sarif_log() {
        insta::assert_snapshot!("sarif_log", render(&fixture::evaluation()));
    }

    /// The fixture's SARIF validates against the OASIS SARIF 2.1.0 schema (draft-04), copied
    /// into `tests/fixtures/report/`.
    #[test]
    fn sarif_validates_against_schema() {
        let schema: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/report/sarif-schema-2.1.0.json"
        ))
        .expect("the schema is JSON");
        let validator = jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles as draft-04");
        let log: serde_json::Value =
            serde_json::from_str(&render(&fixture::evaluation())).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        // The validator really checks: a log with a wrong version is rejected.
        let mut bad = log.clone();
        bad["version"] = serde_json::json!("2.0.0");
        assert!(!validator.is_valid(&bad));
        // ... and so is one deep inside a result (the `$ref`s are followed).
        let mut bad = log.clone();
        bad["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
        assert!(!validator.is_valid(&bad));
        let mut bad = log;
        bad["runs"][0]["results"][0]["partialFingerprints"]["kevgate/v1"] = serde_json::json!(5);
        assert!(!validator.is_valid(&bad));
    }

    /// Fingerprints are stable across renders and across version bumps, and differ between
    /// components and between vulnerabilities.
    #[test]
    fn fingerprints_are_stable() {
        let ev = fixture::evaluation();
        let a: Vec<String> = ev.findings.iter().map(fingerprint).collect();
        let b: Vec<String> = fixture::evaluation()
            .findings
            .iter()
            .map(fingerprint)
            .collect();
        assert_eq!(a, b);
        // CVE-2020-11023 in jquery 3.4.1 and in jquery 3.3.9 (different files).
        assert_eq!(ev.findings[1].finding.id, ev.findings[2].finding.id);
        assert_ne!(a[1], a[2]);
        let mut distinct = a.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), a.len());
        // A version bump within the vulnerable range keeps the alert.
        let mut bumped = ev.findings[0].clone();
        let name = bumped.finding.component.name.clone();
        bumped.finding.component.set_purl(
            Some(
                "pkg:deb/debian/libc6@2.31-13+deb11u5?arch=amd64&upstream=glibc&distro=debian-11"
                    .to_owned(),
            ),
            name,
        );
        bumped.finding.component.version = Some("2.31-13+deb11u5".to_owned());
        assert_eq!(fingerprint(&bumped), a[0]);
    }

    /// The package identity drops the version, keeps scoped npm names and `arch`.
    #[test]
    fn package_identities() {
        let cases = [
            ("pkg:npm/jquery@3.4.1", "pkg:npm/jquery"),
            ("pkg:npm/%40org/team@1.0.0", "pkg:npm/%40org/team"),
            ("pkg:npm/@org/team@1.0.0", "pkg:npm/@org/team"),
            ("pkg:npm/@org/team", "pkg:npm/@org/team"),
            (
                "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11",
                "pkg:deb/debian/libc6?arch=amd64",
            ),
            ("pkg:maven/org.x/y@1.0?type=jar#sub", "pkg:maven/org.x/y"),
        ];
        let mut e = fixture::evaluation().findings[0].clone();
        for (purl, want) in cases {
            let name = e.finding.component.name.clone();
            e.finding.component.set_purl(Some(purl.to_owned()), name);
            assert_eq!(e.finding.component.package.with_arch(), want, "{purl}");
        }
    }

    /// One rule per id, KEV rules tagged and at least 9.0, levels follow decisions.
    #[test]
    fn rules_and_levels() {
        let v: serde_json::Value =
            serde_json::from_str(&render(&fixture::evaluation())).expect("SARIF is JSON");
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        let results = run["results"].as_array().expect("results");
        assert_eq!(rules.len(), 7);
        assert_eq!(results.len(), 8);
        let jquery = &rules[1];
        assert_eq!(jquery["id"], "CVE-2020-11023");
        assert_eq!(jquery["properties"]["security-severity"], "9.0");
        assert_eq!(
            jquery["properties"]["tags"],
            serde_json::json!(["security", "vulnerability", "kev"])
        );
        assert_eq!(rules[2]["properties"]["security-severity"], "10.0");
        assert_eq!(results[1]["level"], "error");
        assert_eq!(results[4]["level"], "warning");
        assert_eq!(results[2]["ruleIndex"], 1);
        assert_eq!(
            results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "sbom.cdx.json"
        );
        // The hostile javascript: URL is not a helpUri.
        assert!(rules[5].get("helpUri").is_none());
    }
}
