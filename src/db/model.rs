//! The database's record types, as kevgate uses them (not as the feeds spell them: the
//! feeds' own shapes are private DTOs in `db/build.rs`).

use crate::version::Range;
use serde::{Deserialize, Serialize};

/// An OSV advisory, trimmed to what matching and reports use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// `id` (`GHSA-...`, `CVE-...`, `DSA-5000-1`, `RHSA-2025:1301`, ...).
    pub id: String,
    /// `aliases`: the same vulnerability under other ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `related`: for distro advisories (DSA, DLA, RHSA, ALSA, RLSA, ...) the CVEs they fix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// `summary` (or the first line of `details` when there is no summary), trimmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `published`, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// `modified`, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// `withdrawn`, RFC 3339: a withdrawn advisory matches nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// `severity[]`: CVSS vectors the advisory carries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<OsvSeverity>,
    /// `database_specific.severity` (GHSA: `CRITICAL`, `HIGH`, `MODERATE`, `LOW`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_severity: Option<String>,
    /// `affected[]` entries (only the queried package's, when returned by a query).
    pub affected: Vec<Affected>,
    /// A link for humans: the advisory's `ADVISORY` or `WEB` reference, else the first one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether the advisory reports a malicious package (computed from the OSV record when
    /// the database is built, see [`Malware`]).
    #[serde(default, skip_serializing_if = "Malware::is_no")]
    pub malware: Malware,
}

/// Whether an advisory reports a known-malicious package version rather than a
/// vulnerability: such a version fails the gate like KEV (`fail-on-malicious`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Malware {
    /// A vulnerability report (or anything else).
    #[default]
    No,
    /// A malicious package: an OSV `MAL-` id or alias, OpenSSF malicious-packages origins
    /// (`database_specific.malicious-packages-origins`), or a GitHub malware advisory (CWE-506
    /// "Embedded Malicious Code", or a summary that says so).
    Malicious,
    /// A malicious-package report the record itself calls a false positive (OpenSSF moves
    /// them to `osv/withdrawn/` without always setting `withdrawn`, e.g. MAL-2024-2929 for
    /// `react` 35.0.0: "False positive caused by problematic ingestion"): withdrawn in
    /// substance, a note rather than a finding.
    FalsePositive,
}

impl Malware {
    /// Not a malware report (the serde default, left out of the JSON).
    pub fn is_no(&self) -> bool {
        *self == Malware::No
    }

    /// What a database of format 1 (which did not store the flag) can still tell: an
    /// advisory with a `MAL-` id or alias is malicious.
    pub fn of_ids(id: &str, aliases: &[String]) -> Malware {
        if std::iter::once(id)
            .chain(aliases.iter().map(String::as_str))
            .any(is_malware_id)
        {
            Malware::Malicious
        } else {
            Malware::No
        }
    }
}

/// Whether an id is an OpenSSF malicious-packages id (`MAL-2022-1`).
pub fn is_malware_id(id: &str) -> bool {
    crate::vuln_id::IdKind::of(id) == crate::vuln_id::IdKind::Malware
}

impl Advisory {
    /// The CVEs the advisory names: its id, `aliases` and `related` that are CVE ids, and
    /// the CVE inside a per-CVE distro id (`UBUNTU-CVE-2022-3219`, `DEBIAN-CVE-…`).
    pub fn cves(&self) -> impl Iterator<Item = String> + '_ {
        std::iter::once(&self.id)
            .chain(&self.aliases)
            .chain(&self.related)
            .filter_map(|id| crate::vuln_id::cve_of(id))
    }
}

/// One `severity[]` entry of an OSV record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsvSeverity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...
    pub kind: String,
    /// The vector (or the distro's word).
    pub score: String,
}

/// One `affected[]` entry of an OSV record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// `package.ecosystem`, with its release suffix (`Debian:12`).
    pub ecosystem: String,
    /// `package.name`, as the record spells it.
    pub name: String,
    /// `ranges[]`, GIT ranges dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// `versions[]`: explicitly affected versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

/// What NVD says about a CVE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NvdRecord {
    /// `CVE-YYYY-NNNN`.
    pub id: String,
    /// Every CVSS metric NVD lists, best first: v4.0, v3.1, v3.0, v2; primary before
    /// secondary within a version.
    #[serde(default)]
    pub cvss: Vec<CvssMetric>,
    /// CWE ids (`CWE-79`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
    /// Reference URLs tagged `Exploit`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exploit_refs: Vec<String>,
    /// `vulnStatus` (`Analyzed`, `Awaiting Analysis`, `Rejected`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `published`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// English description, first sentence-ish, trimmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One CVSS metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssMetric {
    /// `4.0`, `3.1`, `3.0`, `2.0`.
    pub version: String,
    /// Base score, 0.0-10.0.
    pub score: f32,
    /// The vector string.
    pub vector: String,
    /// Who scored it (`nvd@nist.gov`, a CNA's address, `134c704f-...` for CISA-ADP).
    pub source: String,
    /// NVD's `Primary` (scored by NVD) vs `Secondary` (by the CNA or ADP).
    pub primary: bool,
}

/// One entry of the CISA KEV catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    /// `cveID`.
    pub cve_id: String,
    /// `vendorProject`.
    pub vendor_project: String,
    /// `product`.
    pub product: String,
    /// `vulnerabilityName`.
    pub vulnerability_name: String,
    /// `dateAdded` (YYYY-MM-DD).
    pub date_added: String,
    /// `requiredAction`.
    pub required_action: String,
    /// `dueDate` (YYYY-MM-DD).
    pub due_date: String,
    /// `knownRansomwareCampaignUse` (`Known` or `Unknown`).
    pub known_ransomware_campaign_use: String,
}

/// FIRST EPSS score of a CVE.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    /// Probability of exploitation in the next 30 days, 0-1.
    pub score: f64,
    /// Percentile among all scored CVEs, 0-1.
    pub percentile: f64,
}

/// Where the database's data came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version of the database file.
    pub format_version: u32,
    /// When the database was built (RFC 3339, UTC).
    pub built_at: String,
    /// One entry per source kind that was given.
    pub sources: Vec<SourceInfo>,
    /// Which NVD, EPSS and JVN records the build kept. Absent (older databases, and every `all`
    /// build, so their bytes do not change) means [`CveScope::All`].
    #[serde(default, skip_serializing_if = "CveScope::is_all")]
    pub cve_scope: CveScope,
}

crate::names::keyword_enum! {
/// Which CVEs a database keeps NVD, EPSS and JVN records for (`db build|update --cve-scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CveScope {
    /// Every CVE the feeds hold.
    All = "all",
    /// Only CVEs that an OSV advisory of the database (id, `aliases`, `related`) or a KEV
    /// entry names: the only ones an OSV-matched finding can be enriched with. Smaller; a
    /// CVE the SBOM itself carries (`found_by: sbom`) that no advisory names gets no NVD or
    /// EPSS data.
    Referenced = "referenced",
}
}

// Written out: `keyword_enum!` variants take doc comments only, not `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for CveScope {
    fn default() -> Self {
        CveScope::All
    }
}

impl CveScope {
    /// `all` (the serde default, left out of the manifest).
    pub fn is_all(&self) -> bool {
        *self == CveScope::All
    }
}

/// Read from the manifest as written: the exact spelling, as serde's derive would.
impl<'de> Deserialize<'de> for CveScope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        CveScope::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == name)
            .ok_or_else(|| serde::de::Error::unknown_variant(&name, CveScope::NAMES))
    }
}

/// One source of a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// `kev`, `nvd`, `osv`, `epss` or `jvn`.
    pub name: String,
    /// The newest data date in the source (KEV `dateReleased`, EPSS `score_date`, newest
    /// NVD `lastModified` / OSV `modified` / JVN `dcterms:modified`), YYYY-MM-DD.
    pub data_date: Option<String>,
    /// Records kept from this source.
    pub records: u64,
    /// sha256 over the input files, in the order read (hex).
    pub sha256: String,
    /// The input files (as given on the command line, made relative where possible).
    pub files: Vec<String>,
}

/// A JVN iPedia (IPA) entry naming a CVE: stored per CVE (a CVE can be in several entries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JvnEntry {
    /// `JVNDB-YYYY-NNNNNN`.
    pub id: String,
    /// The entry's page on jvndb.jvn.jp.
    pub url: String,
    /// The entry's title (often Japanese), trimmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// JVN's own CVSS ratings (v3.0 and/or v2.0 in the real feeds), in feed order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<JvnCvss>,
    /// Last update (`dcterms:modified`, VULDEF `DateLastUpdated`), as written (+09:00).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

/// One CVSS rating of a JVN entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JvnCvss {
    /// `3.0`, `2.0` (`3.1`, `4.0` accepted).
    pub version: String,
    /// Base score, 0.0-10.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// JVN's severity word: `Critical`, `High`, `Medium`, `Low`, `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// The vector (v3 with its `CVSS:3.0/` prefix, v2 without).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
}
