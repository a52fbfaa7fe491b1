//! Findings x Policy x today -> [`Evaluation`]: the one place the verdict is decided.
//!
//! OWNER: lead. Reporters and the exit code read [`Evaluation::verdict`]; nothing else
//! decides pass or fail.

use crate::db::VulnDb;
use crate::enrich::{Finding, Severity};
use serde::Serialize;

/// The lowest severity that fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Fail on critical (the default).
    Critical,
    /// Fail on high and above.
    High,
    /// Fail on medium and above.
    Medium,
    /// Fail on low and above.
    Low,
    /// Never fail on severity (KEV may still fail the gate).
    None,
}

/// The gate's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Lowest failing severity. Default: critical.
    pub fail_on: FailOn,
    /// Fail on any finding in CISA KEV. Default: true.
    pub fail_on_kev: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            fail_on: FailOn::Critical,
            fail_on_kev: true,
        }
    }
}

/// Pass or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No finding fails the gate.
    Pass,
    /// At least one finding fails the gate.
    Fail,
}

/// What the gate does with one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Fails the gate.
    Fail,
    /// Reported, does not fail the gate.
    Warn,
}

/// Why a finding got its decision: a stable kebab-case code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// In CISA KEV and `fail-on-kev` is on.
    Kev,
    /// Severity at or above `fail-on`.
    Severity,
    /// Below every failing rule.
    BelowThreshold,
}

/// A finding with the gate's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    /// The finding.
    pub finding: Finding,
    /// Severity after the KEV rule (KEV counts as critical).
    pub severity: Severity,
    /// The decision.
    pub decision: Decision,
    /// Why.
    pub reasons: Vec<Reason>,
}

/// Stable codes for notes: things the user should know that are not findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteCode {
    /// A component without a purl, or with one that does not parse.
    UnidentifiedComponent,
    /// A purl of an ecosystem or distribution the database does not cover.
    UnsupportedEcosystem,
    /// A version that could not be compared: affected-or-not is unknown.
    UnverifiedVersion,
    /// The database is the demo snapshot bundled in the binary.
    BundledDb,
    /// Something in the SBOM was odd but readable (duplicate `bom-ref`s, `affects` refs that
    /// name no component, a newer spec version).
    SbomWarning,
}

/// Something the user should know that is not a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Stable code.
    pub code: NoteCode,
    /// One line, lower case, values in backticks.
    pub message: String,
    /// The component it is about, as an index into the SBOM's components.
    #[serde(skip)]
    pub component: Option<usize>,
}

/// The result of the gate.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Findings, sorted: KEV first, then severity, then EPSS (highest first), then id.
    pub findings: Vec<Evaluated>,
    /// Notes, sorted by code then message.
    pub notes: Vec<Note>,
    /// The verdict.
    pub verdict: Verdict,
    /// The policy that was applied.
    pub policy: Policy,
    /// The database's manifest.
    pub db: crate::db::Manifest,
    /// Which database was used and how old its data is.
    pub db_origin: DbOrigin,
    /// What was scanned.
    pub subject: Subject,
    /// The date the gate was evaluated on.
    pub today: jiff::civil::Date,
}

/// Where the database came from (lookup order: `--db`, `KEVGATE_DB`, the cache, the
/// bundled snapshot).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DbOrigin {
    /// `flag`, `env`, `cache` or `bundled`.
    pub kind: DbOriginKind,
    /// The file, unless bundled.
    pub path: Option<String>,
    /// Age of the newest data in days, on `today`.
    pub age_days: Option<i64>,
}

/// See [`DbOrigin`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DbOriginKind {
    /// `--db PATH`.
    #[default]
    Flag,
    /// `KEVGATE_DB`.
    Env,
    /// The cache `kevgate db update` fills.
    Cache,
    /// The demo snapshot bundled in the binary: reports say so loudly.
    Bundled,
}

/// What was scanned, for report headers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// The SBOM file as given on the command line.
    pub sbom_path: String,
    /// `metadata.component.name` (image, directory, application).
    pub name: Option<String>,
    /// Components in the SBOM.
    pub components: usize,
    /// The producer (`trivy 0.76.0`).
    pub tool: Option<String>,
}

/// Applies `policy` to `findings`: KEV counts as critical; a finding fails the gate when it
/// is in KEV and `fail_on_kev` is set, or when its severity is at or above `fail_on`.
pub fn evaluate(
    findings: Vec<Finding>,
    notes: Vec<Note>,
    db: &VulnDb,
    policy: &Policy,
    today: jiff::civil::Date,
) -> Evaluation {
    let mut evaluated: Vec<Evaluated> = findings
        .into_iter()
        .map(|finding| decide(finding, policy))
        .collect();
    evaluated.sort_by(|a, b| {
        let key = |e: &Evaluated| {
            (
                e.finding.kev.is_none(),
                e.severity,
                std::cmp::Reverse(OrdF64(e.finding.epss.map(|x| x.score).unwrap_or(-1.0))),
                e.finding.id.clone(),
                e.finding.component.purl.clone(),
                e.finding.component.index,
            )
        };
        key(a).cmp(&key(b))
    });
    let mut notes = notes;
    notes.sort_by(|a, b| (a.code, &a.message).cmp(&(b.code, &b.message)));
    notes.dedup();
    let verdict = if evaluated.iter().any(|e| e.decision == Decision::Fail) {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    Evaluation {
        findings: evaluated,
        notes,
        verdict,
        policy: policy.clone(),
        db: db.manifest().clone(),
        db_origin: DbOrigin::default(),
        subject: Subject::default(),
        today,
    }
}

/// The decision for one finding.
fn decide(finding: Finding, policy: &Policy) -> Evaluated {
    let in_kev = finding.kev.is_some();
    let severity = if in_kev {
        Severity::Critical
    } else {
        finding.severity
    };
    let mut reasons = Vec::new();
    if in_kev && policy.fail_on_kev {
        reasons.push(Reason::Kev);
    }
    if policy.fail_on.threshold().is_some_and(|t| severity <= t) {
        reasons.push(Reason::Severity);
    }
    let decision = if reasons.is_empty() {
        reasons.push(Reason::BelowThreshold);
        Decision::Warn
    } else {
        Decision::Fail
    };
    Evaluated {
        finding,
        severity,
        decision,
        reasons,
    }
}

impl FailOn {
    /// The lowest failing severity; `None` for `none`. `unknown` never fails on severity.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::None => None,
        }
    }

    /// Lower-case name, as in the configuration and the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Critical => "critical",
            FailOn::High => "high",
            FailOn::Medium => "medium",
            FailOn::Low => "low",
            FailOn::None => "none",
        }
    }
}

/// Total order on EPSS scores for sorting (scores are finite, 0-1).
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrdF64(f64);
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
