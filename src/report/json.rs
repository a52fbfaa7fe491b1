//! The JSON report: a contract other tools read, documented field by field in
//! `docs/json-report.md`.
//!
//! The report has its own serialization structs rather than deriving from the domain types,
//! so a refactor of `enrich` or `policy` cannot change the contract by accident. Keys are
//! written in struct order, optional values as `null` (never omitted) so consumers can rely
//! on every key being present; `file_path` is the one exception (present only when known).
//! Findings keep the evaluation's order. A breaking change bumps [`SCHEMA_VERSION`].

use super::code;
use crate::evaluation::Evaluation;
use serde::Serialize;
use std::io::{self, Write};

/// The version of the JSON report's shape.
pub const SCHEMA_VERSION: &str = "1";

#[derive(Serialize)]
struct Report<'a> {
    schema_version: &'static str,
    verdict: String,
    evaluated_on: String,
    subject: Subject<'a>,
    policy: Policy,
    counts: JsonCounts,
    findings: Vec<Finding<'a>>,
    fixed_findings: Vec<FixedFinding<'a>>,
    remediations: Vec<Remediation>,
    notes: Vec<Note<'a>>,
    db: Db<'a>,
}

#[derive(Serialize)]
struct Subject<'a> {
    sbom_path: &'a str,
    name: Option<&'a str>,
    components: usize,
    tool: Option<&'a str>,
}

#[derive(Serialize)]
struct Policy {
    fail_on: String,
    fail_on_kev: bool,
    fail_on_malicious: bool,
    fail_on_ransomware: bool,
    fail_on_kev_past_due: bool,
    fail_on_epss: Option<f64>,
    only_fixable: bool,
    fail_on_new_only: bool,
    severity_source: Vec<&'static str>,
    added_exceptions: Option<Vec<AddedException>>,
}

/// An exception the pull request adds to the base commit's policy.
#[derive(Serialize)]
struct AddedException {
    id: String,
    source: String,
    origin: String,
    reason: String,
    expires: Option<String>,
    purls: Vec<String>,
}

#[derive(Serialize)]
struct JsonCounts {
    total: usize,
    fail: usize,
    ignored: usize,
    kev: usize,
    malicious: usize,
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    unknown: usize,
}

#[derive(Serialize)]
struct Finding<'a> {
    id: &'a str,
    aliases: &'a [String],
    component: Component<'a>,
    severity: &'static str,
    severity_source: Option<&'a str>,
    cvss: Option<Cvss<'a>>,
    kev: Option<Kev<'a>>,
    malicious: bool,
    epss: Option<Epss>,
    fixed_versions: &'a [String],
    /// `Ubuntu Pro (ESM)`, `Red Hat ELS`: where the fix comes from when not from the
    /// release's ordinary updates (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    fix_available_with: Option<&'static str>,
    found_by: Vec<String>,
    decision: String,
    reasons: Vec<String>,
    ignored_reason: Option<&'a str>,
    priority: &'static str,
    change: Option<String>,
    summary: Option<&'a str>,
    url: Option<&'a str>,
    cwes: &'a [String],
    exploit_refs: &'a [String],
    jvn: &'a [crate::enrich::JvnLink],
}

#[derive(Serialize)]
struct Remediation {
    summary: String,
    purl: Option<String>,
    name: String,
    version: Option<String>,
    upgrade_to: Option<String>,
    fixes: Vec<String>,
    fixes_kev: usize,
    unfixable: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branch_upgrade: Option<BranchUpgrade>,
    kev_actions: Vec<KevAction>,
    links: Vec<String>,
}

#[derive(Serialize)]
struct BranchUpgrade {
    line: String,
    upgrade_to: String,
    fixes: Vec<String>,
}

#[derive(Serialize)]
struct KevAction {
    id: String,
    due_date: String,
    required_action: String,
}

#[derive(Serialize)]
struct FixedFinding<'a> {
    id: &'a str,
    aliases: &'a [String],
    purl: Option<&'a str>,
    package: &'a str,
}

#[derive(Serialize)]
struct Component<'a> {
    purl: Option<&'a str>,
    name: &'a str,
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_path: Option<&'a str>,
}

#[derive(Serialize)]
struct Cvss<'a> {
    score: f32,
    version: &'a str,
    vector: &'a str,
    source: &'a str,
}

#[derive(Serialize)]
struct Kev<'a> {
    date_added: &'a str,
    due_date: &'a str,
    required_action: &'a str,
    known_ransomware_campaign_use: &'a str,
}

#[derive(Serialize)]
struct Epss {
    score: f64,
    percentile: f64,
}

#[derive(Serialize)]
struct Note<'a> {
    code: String,
    message: &'a str,
}

#[derive(Serialize)]
struct Db<'a> {
    origin: String,
    path: Option<&'a str>,
    age_days: Option<i64>,
    built_at: &'a str,
    /// Left out for `all` (every CVE), as the manifest does.
    #[serde(skip_serializing_if = "Option::is_none")]
    cve_scope: Option<&'static str>,
    sources: Vec<Source<'a>>,
}

#[derive(Serialize)]
struct Source<'a> {
    name: &'a str,
    data_date: Option<&'a str>,
    records: u64,
    sha256: &'a str,
}

fn report(ev: &Evaluation) -> Report<'_> {
    let c = ev.counts();
    Report {
        schema_version: SCHEMA_VERSION,
        verdict: code(ev.verdict),
        evaluated_on: ev.today.to_string(),
        subject: Subject {
            sbom_path: &ev.subject.sbom_path,
            name: ev.subject.name.as_deref(),
            components: ev.subject.components,
            tool: ev.subject.tool.as_deref(),
        },
        policy: Policy {
            fail_on: code(ev.policy.fail_on),
            fail_on_kev: ev.policy.fail_on_kev,
            fail_on_malicious: ev.policy.fail_on_malicious,
            fail_on_ransomware: ev.policy.fail_on_ransomware,
            fail_on_kev_past_due: ev.policy.fail_on_kev_past_due,
            fail_on_epss: ev.policy.fail_on_epss,
            only_fixable: ev.policy.only_fixable,
            fail_on_new_only: ev.policy.fail_on_new_only,
            severity_source: ev
                .policy
                .severity_source
                .iter()
                .map(|s| s.as_str())
                .collect(),
            added_exceptions: ev.policy.added_exceptions.as_ref().map(|added| {
                added
                    .iter()
                    .map(|i| AddedException {
                        id: i.id.clone(),
                        source: code(i.source),
                        origin: i.origin.clone(),
                        reason: i.reason.clone(),
                        expires: i.expires.map(|d| d.to_string()),
                        purls: i.purls.clone(),
                    })
                    .collect()
            }),
        },
        counts: JsonCounts {
            total: c.total,
            fail: c.fail,
            ignored: c.ignored,
            kev: c.kev,
            malicious: c.malicious,
            critical: c.critical,
            high: c.high,
            medium: c.medium,
            low: c.low,
            unknown: c.unknown,
        },
        findings: ev
            .findings
            .iter()
            .map(|e| {
                let f = &e.finding;
                Finding {
                    id: &f.id,
                    aliases: &f.aliases,
                    component: Component {
                        purl: f.component.purl.as_deref(),
                        name: &f.component.name,
                        version: f.component.version.as_deref(),
                        file_path: f.component.file_path.as_deref(),
                    },
                    severity: e.gate_severity.as_str(),
                    severity_source: severity_source(e),
                    cvss: f.cvss.as_ref().map(|c| Cvss {
                        score: c.score,
                        version: &c.version,
                        vector: &c.vector,
                        source: &c.source,
                    }),
                    kev: f.kev.as_ref().map(|k| Kev {
                        date_added: &k.date_added,
                        due_date: &k.due_date,
                        required_action: &k.required_action,
                        known_ransomware_campaign_use: crate::enrich::Kev::ransomware_word(
                            k.ransomware,
                        ),
                    }),
                    malicious: f.malicious,
                    epss: f.epss.map(|e| Epss {
                        score: e.score,
                        percentile: e.percentile,
                    }),
                    fixed_versions: &f.fixed_versions,
                    fix_available_with: f.fix_channel.map(crate::purl::FixChannel::label),
                    found_by: f.found_by.iter().map(|b| code(*b)).collect(),
                    decision: code(e.decision),
                    reasons: e.reasons.iter().map(|r| code(*r)).collect(),
                    ignored_reason: e.ignored_reason.as_deref(),
                    priority: e.priority.as_str(),
                    change: e.change.map(code),
                    summary: f.summary.as_deref(),
                    url: f.url.as_deref(),
                    cwes: &f.cwes,
                    exploit_refs: &f.exploit_refs,
                    jvn: &f.jvn,
                }
            })
            .collect(),
        fixed_findings: ev
            .fixed
            .iter()
            .map(|e| FixedFinding {
                id: e.ids.first().map_or("", String::as_str),
                aliases: e.ids.get(1..).unwrap_or_default(),
                purl: e.purl.as_deref(),
                package: &e.label,
            })
            .collect(),
        remediations: ev
            .remediation
            .iter()
            .cloned()
            .map(|r| Remediation {
                summary: r.summary(),
                purl: r.component.purl,
                name: r.component.name,
                version: r.component.version,
                upgrade_to: r.upgrade_to,
                fixes: r.fixes,
                fixes_kev: r.fixes_kev,
                unfixable: r.unfixable,
                branch_upgrade: r.branch.map(|b| BranchUpgrade {
                    line: b.line,
                    upgrade_to: b.upgrade_to,
                    fixes: b.fixes,
                }),
                kev_actions: r
                    .kev_actions
                    .into_iter()
                    .map(|(id, due_date, required_action)| KevAction {
                        id,
                        due_date,
                        required_action,
                    })
                    .collect(),
                links: r.links,
            })
            .collect(),
        notes: ev
            .notes
            .iter()
            .map(|n| Note {
                code: code(n.code),
                message: &n.message,
            })
            .collect(),
        db: Db {
            origin: code(ev.db_origin.kind),
            path: ev.db_origin.path.as_deref(),
            age_days: ev.db_origin.age_days,
            built_at: &ev.db.built_at,
            cve_scope: (!ev.db.cve_scope.is_all()).then(|| ev.db.cve_scope.as_str()),
            sources: ev
                .db
                .sources
                .iter()
                .map(|s| Source {
                    name: &s.name,
                    data_date: s.data_date.as_deref(),
                    records: s.records,
                    sha256: &s.sha256,
                })
                .collect(),
        },
    }
}

/// Writes the JSON report (pretty-printed, one trailing newline).
pub fn write(ev: &Evaluation, out: &mut dyn Write) -> io::Result<()> {
    crate::output::write_json(out, &report(ev))
}

/// Where the severity came from: `kev` when KEV raised it, the word's source (`ghsa`,
/// `sbom:nvd`) when a severity word set it, else the CVSS source.
fn severity_source(e: &crate::policy::DecidedFinding) -> Option<&str> {
    let f = &e.finding;
    if f.kev.is_some() && e.gate_severity != f.severity {
        Some("kev")
    } else if let Some(word) = &f.severity_source {
        Some(word.as_str())
    } else {
        f.cvss.as_ref().map(|c| c.source.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn render(ev: &Evaluation) -> String {
        let mut out = Vec::new();
        write(ev, &mut out).expect("writes to a Vec");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// The whole JSON report of the fixture.
    #[test]
    fn json_report() {
        insta::assert_snapshot!("json_report", render(&fixture::evaluation()));
    }

    /// The properties consumers rely on: schema version, verdict, order, KEV severity,
    /// nulls present, hostile text kept verbatim (JSON escaping is enough).
    #[test]
    fn json_contract() {
        let ev = fixture::evaluation();
        let v: serde_json::Value = serde_json::from_str(&render(&ev)).expect("valid JSON");
        assert_eq!(v["schema_version"], "1");
        assert_eq!(v["verdict"], "fail");
        let findings = v["findings"].as_array().expect("findings is an array");
        let ids: Vec<&str> = findings
            .iter()
            .map(|f| f["id"].as_str().unwrap_or(""))
            .collect();
        let want: Vec<&str> = ev.findings.iter().map(|e| e.finding.id.as_str()).collect();
        assert_eq!(ids, want);
        // KEV applied: CVE-2020-11023 scores 6.9 but is critical.
        assert_eq!(findings[1]["severity"], "critical");
        assert_eq!(
            findings[1]["cvss"]["score"]
                .as_f64()
                .map(|s| (s * 10.0).round()),
            Some(69.0)
        );
        assert_eq!(findings[1]["kev"]["due_date"], "2025-02-13");
        assert!(findings[7]["cvss"].is_null() && findings[7]["kev"].is_null());
        assert!(findings[7].get("epss").is_some());
        assert!(findings[2]["component"].get("file_path").is_some());
        assert!(findings[0]["component"].get("file_path").is_none());
        assert_eq!(findings[6]["component"]["name"], fixture::HOSTILE_NAME);
        assert_eq!(v["counts"]["kev"], 3);
        assert_eq!(v["db"]["origin"], "bundled");
        assert_eq!(v["policy"]["fail_on"], "critical");
    }
}
