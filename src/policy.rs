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
    /// A vulnerability the SBOM reports that the database does not know.
    SbomOnly,
    /// The database is the demo snapshot bundled in the binary.
    BundledDb,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbOrigin {
    /// `flag`, `env`, `cache` or `bundled`.
    pub kind: DbOriginKind,
    /// The file, unless bundled.
    pub path: Option<String>,
    /// Age of the newest data in days, on `today`.
    pub age_days: Option<i64>,
}

/// See [`DbOrigin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DbOriginKind {
    /// `--db PATH`.
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

/// Applies `policy` to `findings`.
pub fn evaluate(
    findings: Vec<Finding>,
    notes: Vec<Note>,
    db: &VulnDb,
    policy: &Policy,
    today: jiff::civil::Date,
) -> Evaluation {
    let _ = (findings, notes, db, policy, today);
    unimplemented!("lead")
}
