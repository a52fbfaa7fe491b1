//! Matches x VulnDb -> [`Finding`]s: joins NVD CVSS, CISA KEV and EPSS by CVE through every
//! alias and related id, and picks the id, severity and link to show.
//!
//! OWNER: lead. Skeleton.

use crate::db::VulnDb;
use crate::matching::Matches;
use crate::sbom::Sbom;
use serde::Serialize;

/// Severity, worst first in `Ord` (so sorting ascending puts critical first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// CVSS >= 9.0, or in KEV.
    Critical,
    /// CVSS 7.0-8.9.
    High,
    /// CVSS 4.0-6.9.
    Medium,
    /// CVSS 0.1-3.9.
    Low,
    /// No score from any source.
    Unknown,
}

impl Severity {
    /// The band of a CVSS base score.
    pub fn from_score(score: f32) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Unknown
        }
    }

    /// Lower-case name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Unknown => "unknown",
        }
    }
}

/// Which source found a vulnerability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FoundBy {
    /// kevgate's database (OSV ranges).
    Db,
    /// The SBOM's embedded `vulnerabilities[]`.
    Sbom,
}

/// The component a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentRef {
    /// Index into [`Sbom::components`].
    #[serde(skip)]
    pub index: usize,
    /// purl, as the SBOM wrote it.
    pub purl: Option<String>,
    /// name.
    pub name: String,
    /// version.
    pub version: Option<String>,
    /// The file the package was found in (trivy `FilePath`), for annotations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
}

/// The CVSS score shown for a finding, and who gave it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cvss {
    /// Base score.
    pub score: f32,
    /// `4.0`, `3.1`, `3.0`, `2.0`.
    pub version: String,
    /// Vector string.
    pub vector: String,
    /// `nvd` (NVD primary), `nvd-secondary` (a CNA via NVD), `osv` (the advisory's vector),
    /// `sbom` (the producer's rating).
    pub source: String,
}

/// KEV facts shown on a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kev {
    /// The CVE listed in KEV (may be an alias of the finding's id).
    #[serde(skip)]
    pub cve: String,
    /// `dateAdded`.
    pub date_added: String,
    /// `dueDate`.
    pub due_date: String,
    /// `requiredAction`.
    pub required_action: String,
    /// `knownRansomwareCampaignUse`: `Known` or `Unknown`.
    pub known_ransomware_campaign_use: String,
    /// `vulnerabilityName`.
    #[serde(skip)]
    pub name: String,
}

/// EPSS facts shown on a finding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Epss {
    /// Probability, 0-1.
    pub score: f64,
    /// Percentile, 0-1.
    pub percentile: f64,
}

/// One vulnerability in one component, with everything a person needs to act on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The id shown: the CVE when there is one, else the advisory's id.
    pub id: String,
    /// Every other id of the vulnerability (GHSA, PYSEC, DSA, ...), sorted.
    pub aliases: Vec<String>,
    /// The affected component.
    pub component: ComponentRef,
    /// One line on what it is.
    pub summary: Option<String>,
    /// Severity from the score (KEV is applied by the policy, not here).
    pub severity: Severity,
    /// Where the severity came from when there is no CVSS score (`ghsa`, `sbom:nvd`, ...).
    pub severity_source: Option<String>,
    /// The score shown.
    pub cvss: Option<Cvss>,
    /// KEV entry, when any id of the vulnerability is in the catalog.
    pub kev: Option<Kev>,
    /// EPSS score (the highest over its CVEs).
    pub epss: Option<Epss>,
    /// Versions that fix it, sorted by the ecosystem's order.
    pub fixed_versions: Vec<String>,
    /// Who found it.
    pub found_by: Vec<FoundBy>,
    /// A link for humans.
    pub url: Option<String>,
    /// CWE ids.
    pub cwes: Vec<String>,
    /// Reference URLs tagged Exploit in NVD.
    pub exploit_refs: Vec<String>,
}

/// Turns matches into findings.
pub fn enrich(matches: &Matches, sbom: &Sbom, db: &VulnDb) -> Vec<Finding> {
    let _ = (matches, sbom, db);
    Vec::new()
}
