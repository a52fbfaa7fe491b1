//! The result of the gate, as every reporter, the GitHub code and the exit code read it.
//!
//! Made once, by [`crate::evaluate`], which decides everything it holds (findings, notes,
//! subject, database origin, the remediation plan) and sorts the notes once at the end;
//! callers and renderers only read it.

use crate::enrich::Severity;
use crate::note::Note;
use crate::policy::{DecidedFinding, Decision, Policy, Verdict};
use serde::Serialize;

/// The result of the gate.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Findings, sorted: malicious and KEV first, then severity, then EPSS (highest first),
    /// then id.
    pub findings: Vec<DecidedFinding>,
    /// Notes, sorted by code then message, without repeats.
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
    /// Base findings (`--baseline`) that no current finding matches: fixed since.
    pub fixed: Vec<crate::baseline::Entry>,
    /// What to do about each component with a finding that is not ignored, most urgent
    /// first ([`crate::remediation::plan`]).
    pub remediation: Vec<crate::remediation::Remediation>,
}

impl Evaluation {
    /// The counts of the findings, failing ones included: the one place they are computed
    /// ([`Counts::of`]); every report, the outputs and the CLI's summary line read them.
    pub fn counts(&self) -> Counts {
        Counts::of(self)
    }
}

/// The order of [`Evaluation::findings`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FindingOrder {
    /// Malicious and KEV first, then severity, then EPSS (highest first), then id (the
    /// default).
    #[default]
    Severity,
    /// By triage priority ([`crate::priority`]), most urgent first; ties keep the
    /// [`FindingOrder::Severity`] order. The verdict does not depend on order.
    Priority,
}

/// Counts of findings, as every report's summary shows them (serialised as is in the
/// attestation predicate).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Findings.
    pub total: usize,
    /// Findings that fail the gate.
    pub fail: usize,
    /// Findings an ignore or VEX statement suppressed.
    pub ignored: usize,
    /// Findings in CISA KEV.
    pub kev: usize,
    /// Known-malicious package versions.
    pub malicious: usize,
    /// Critical after the KEV rule (KEV counts as critical).
    pub critical: usize,
    /// High after the KEV rule.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// Unknown severity.
    pub unknown: usize,
}

impl Counts {
    /// Counts the findings of `ev`.
    pub fn of(ev: &Evaluation) -> Counts {
        let mut c = Counts::default();
        for f in &ev.findings {
            c.total += 1;
            match f.decision {
                Decision::Fail => c.fail += 1,
                Decision::Ignored => c.ignored += 1,
                Decision::Warn => {}
            }
            if f.finding.kev.is_some() {
                c.kev += 1;
            }
            if f.finding.malicious {
                c.malicious += 1;
            }
            match f.gate_severity {
                Severity::Critical => c.critical += 1,
                Severity::High => c.high += 1,
                Severity::Medium => c.medium += 1,
                Severity::Low => c.low += 1,
                Severity::Unknown => c.unknown += 1,
            }
        }
        c
    }
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
