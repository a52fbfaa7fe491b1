//! Matches x VulnDb -> [`Finding`]s: joins NVD CVSS, CISA KEV and EPSS by CVE through every
//! alias and related id, and picks the id, severity and link to show.
//!
//! The severity follows one precedence of sources ([`SeveritySource`], the policy's
//! `severity-source`), so the same CVE always gets the same severity; the default is NVD's
//! own (primary) score, v3.1 before v3.0 before v4.0 before v2, else a secondary score NVD
//! lists (the CNA's); then the advisory's own vector (computed, v3/v2 only); then the
//! producer's rating in the SBOM (score, else word); then the advisory database's severity
//! word (GHSA `database_specific.severity`). The first listed source that rates
//! the finding sets the severity; a word is named in `severity_source`. KEV is applied by
//! the policy, not here.

use crate::cvss;
use crate::db::{CvssMetric, VulnDb};
use crate::matching::{self, Match, Matches};
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
    /// Where the severity came from when a severity word set it (`ghsa`, `sbom:nvd`, ...).
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
    /// The advisories' affected ranges for this component's package: remediation checks
    /// that an upgrade leaves every range. Empty when only the SBOM reported it.
    pub affected: Vec<crate::db::Affected>,
    /// When only a paid stream's records matched (Ubuntu Pro (ESM), Red Hat ELS): the fix is
    /// "available with" it. `None`: the release's ordinary updates.
    pub fix_channel: Option<crate::purl::FixChannel>,
}

/// Who rates a finding's severity, for the `severity-source` precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SeveritySource {
    /// NVD's CVSS score: NVD's own (primary), else a secondary (the CNA's).
    Nvd,
    /// The advisories' own CVSS vectors (GHSA, PYSEC, GO, ...; v2 and v3.x are scored).
    Osv,
    /// The advisory database's severity word: GHSA `database_specific.severity`.
    Ghsa,
    /// The SBOM producer's ratings: a score, else a severity word (NVD's first).
    Sbom,
}

impl SeveritySource {
    /// The built-in precedence: every CVSS score (the SBOM's too) before GitHub's word.
    pub const DEFAULT: [SeveritySource; 4] = [
        SeveritySource::Nvd,
        SeveritySource::Osv,
        SeveritySource::Sbom,
        SeveritySource::Ghsa,
    ];

    /// Lower-case name, as in the configuration and the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            SeveritySource::Nvd => "nvd",
            SeveritySource::Osv => "osv",
            SeveritySource::Ghsa => "ghsa",
            SeveritySource::Sbom => "sbom",
        }
    }
}

/// Turns matches into findings, one per match. `severity_sources` is the precedence of the
/// severity's sources ([`SeveritySource::DEFAULT`] unless the policy says otherwise).
pub fn enrich(
    matches: &Matches,
    sbom: &Sbom,
    db: &VulnDb,
    severity_sources: &[SeveritySource],
) -> Vec<Finding> {
    matches
        .matches
        .iter()
        .filter_map(|m| finding(m, sbom, db, severity_sources))
        .collect()
}

fn finding(
    m: &Match,
    sbom: &Sbom,
    db: &VulnDb,
    severity_sources: &[SeveritySource],
) -> Option<Finding> {
    let component = sbom.components.get(m.component)?;
    let id = m.ids.first()?.clone();
    let aliases: Vec<String> = {
        let mut a: Vec<String> = m.ids.iter().skip(1).cloned().collect();
        a.sort();
        a
    };
    let cves: Vec<&str> = m
        .ids
        .iter()
        .map(String::as_str)
        .filter(|i| matching::is_cve(i))
        .collect();

    let nvd: Vec<_> = cves.iter().filter_map(|c| db.nvd(c)).collect();
    let kev = cves.iter().find_map(|c| {
        db.kev(c).map(|k| Kev {
            cve: k.cve_id,
            date_added: k.date_added,
            due_date: k.due_date,
            required_action: k.required_action,
            known_ransomware_campaign_use: k.known_ransomware_campaign_use,
            name: k.vulnerability_name,
        })
    });
    let epss = cves
        .iter()
        .filter_map(|c| db.epss(c))
        .max_by(|a, b| a.score.total_cmp(&b.score))
        .map(|e| Epss {
            score: e.score,
            percentile: e.percentile,
        });

    let sbom_vulns: Vec<_> = m
        .sbom_vulnerabilities
        .iter()
        .filter_map(|&i| sbom.vulnerabilities.get(i))
        .collect();

    // Each source's rating: its CVSS score, else its severity word.
    let nvd_metrics: Vec<&CvssMetric> = nvd.iter().flat_map(|r| r.cvss.iter()).collect();
    let nvd_score = || {
        best_metric(nvd_metrics.iter().copied().filter(|c| c.primary))
            .map(|c| to_cvss(c, "nvd"))
            .or_else(|| {
                best_metric(nvd_metrics.iter().copied().filter(|c| !c.primary))
                    .map(|c| to_cvss(c, "nvd-secondary"))
            })
    };
    let osv_score = || {
        m.advisories
            .iter()
            .flat_map(|a| a.severity.iter())
            .filter_map(|s| {
                cvss::base_score(&s.score).map(|(score, version)| Cvss {
                    score,
                    version: version.to_string(),
                    vector: s.score.clone(),
                    source: "osv".to_string(),
                })
            })
            .max_by(|a, b| version_rank(&b.version).cmp(&version_rank(&a.version)))
    };
    let sbom_score = || {
        sbom_vulns
            .iter()
            .flat_map(|v| v.ratings.iter())
            .filter_map(|r| {
                let score = r.score? as f32;
                let vector = r.vector.clone().unwrap_or_default();
                let version = match r.method.as_deref() {
                    Some("CVSSv4") => "4.0",
                    Some("CVSSv31") => "3.1",
                    Some("CVSSv3") => "3.0",
                    Some("CVSSv2") => "2.0",
                    _ => return None,
                };
                Some(Cvss {
                    score,
                    version: version.to_string(),
                    vector,
                    source: format!("sbom:{}", r.source.as_deref().unwrap_or("unknown")),
                })
            })
            // Prefer the NVD rating among the producer's, then the newest CVSS version.
            .min_by_key(|c| (c.source != "sbom:nvd", version_rank(&c.version)))
    };
    let rating = |source: SeveritySource| -> Option<(Severity, Option<Cvss>, Option<String>)> {
        let scored = |c: Cvss| (Severity::from_score(c.score), Some(c), None);
        match source {
            SeveritySource::Nvd => nvd_score().map(scored),
            SeveritySource::Osv => osv_score().map(scored),
            SeveritySource::Ghsa => advisory_word(m).map(|(sev, source)| (sev, None, Some(source))),
            SeveritySource::Sbom => sbom_score()
                .map(scored)
                .or_else(|| sbom_word(&sbom_vulns).map(|(sev, src)| (sev, None, Some(src)))),
        }
    };
    // The severity: the first listed source that rates the finding. The score shown: the
    // first listed source with a CVSS score (its vector feeds the priority), even when a
    // severity word came first.
    let chosen = severity_sources.iter().find_map(|&s| rating(s));
    let cvss = match &chosen {
        Some((_, Some(c), _)) => Some(c.clone()),
        _ => severity_sources
            .iter()
            .find_map(|&s| rating(s).and_then(|(_, c, _)| c)),
    };
    let (severity, severity_source) = match chosen {
        Some((sev, _, word_source)) => (sev, word_source),
        None => (Severity::Unknown, None),
    };

    let summary = m
        .advisories
        .iter()
        .find_map(|a| a.summary.clone())
        .or_else(|| nvd.iter().find_map(|r| r.description.clone()))
        .or_else(|| sbom_vulns.iter().find_map(|v| v.description.clone()));

    let url = link(&id, m);

    let mut cwes: Vec<String> = nvd.iter().flat_map(|r| r.cwes.iter().cloned()).collect();
    cwes.extend(
        sbom_vulns
            .iter()
            .flat_map(|v| v.cwes.iter().map(|c| format!("CWE-{c}"))),
    );
    cwes.sort();
    cwes.dedup();
    let mut exploit_refs: Vec<String> = nvd
        .iter()
        .flat_map(|r| r.exploit_refs.iter().cloned())
        .collect();
    exploit_refs.sort();
    exploit_refs.dedup();

    let mut found_by = Vec::new();
    if !m.advisories.is_empty() {
        found_by.push(FoundBy::Db);
    }
    if !m.sbom_vulnerabilities.is_empty() {
        found_by.push(FoundBy::Sbom);
    }

    Some(Finding {
        id,
        aliases,
        component: ComponentRef {
            index: m.component,
            purl: component.purl.clone(),
            name: component.name.clone(),
            version: component.version.clone(),
            file_path: (component.trivy.file_path.as_ref())
                .or(component.found_in.as_ref())
                .cloned(),
        },
        summary,
        severity,
        severity_source,
        cvss,
        kev,
        epss,
        fixed_versions: m.fixed_versions.clone(),
        found_by,
        url,
        cwes,
        exploit_refs,
        affected: m.affected.clone(),
        fix_channel: m.fix_channel,
    })
}

/// Lower is preferred: v3.1, v3.0, v4.0, v2.
fn version_rank(version: &str) -> u8 {
    match version {
        "3.1" => 0,
        "3.0" => 1,
        "4.0" => 2,
        "2.0" => 3,
        _ => 4,
    }
}

fn best_metric<'a>(metrics: impl Iterator<Item = &'a CvssMetric>) -> Option<&'a CvssMetric> {
    metrics.min_by_key(|c| version_rank(&c.version))
}

fn to_cvss(metric: &CvssMetric, source: &str) -> Cvss {
    Cvss {
        score: metric.score,
        version: metric.version.clone(),
        vector: metric.vector.clone(),
        source: source.to_string(),
    }
}

/// The parser of severity words (GHSA `MODERATE`, Red Hat `important`).
fn parse_word(w: &str) -> Option<Severity> {
    match w.to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "high" | "important" => Some(Severity::High),
        "moderate" | "medium" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        _ => None,
    }
}

/// The advisory database's severity word (GHSA `database_specific.severity`), and `ghsa` or
/// `osv` for the advisory that gave it.
fn advisory_word(m: &Match) -> Option<(Severity, String)> {
    m.advisories.iter().find_map(|a| {
        let sev = a.database_severity.as_deref().and_then(parse_word)?;
        let source = if a.id.starts_with("GHSA-") {
            "ghsa"
        } else {
            "osv"
        };
        Some((sev, source.to_string()))
    })
}

/// The SBOM producer's severity words (NVD's first), and `sbom:<source>`.
fn sbom_word(sbom_vulns: &[&crate::sbom::SbomVulnerability]) -> Option<(Severity, String)> {
    let mut ratings: Vec<_> = sbom_vulns
        .iter()
        .flat_map(|v| v.ratings.iter())
        .filter_map(|r| {
            let sev = parse_word(r.severity.as_deref()?)?;
            Some((r.source.as_deref() != Some("nvd"), sev, r.source.clone()))
        })
        .collect();
    ratings.sort();
    ratings.into_iter().next().map(|(_, sev, source)| {
        (
            sev,
            format!("sbom:{}", source.as_deref().unwrap_or("unknown")),
        )
    })
}

/// A link for humans: the advisory's own page, else NVD for a CVE, else osv.dev.
fn link(id: &str, m: &Match) -> Option<String> {
    if let Some(url) = m
        .advisories
        .iter()
        .find(|a| a.id == id)
        .and_then(|a| a.url.clone())
    {
        return Some(url);
    }
    if matching::is_cve(id) {
        return Some(format!("https://nvd.nist.gov/vuln/detail/{id}"));
    }
    if id.starts_with("GHSA-") {
        return Some(format!("https://github.com/advisories/{id}"));
    }
    m.advisories
        .iter()
        .find_map(|a| a.url.clone())
        .or_else(|| Some(format!("https://osv.dev/vulnerability/{id}")))
}
