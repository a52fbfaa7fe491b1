//! Matches x VulnDb -> [`Finding`]s: joins NVD CVSS, CISA KEV, EPSS and JVN iPedia by CVE
//! through every alias and related id, and picks the id, severity and link to show.
//!
//! The severity follows one precedence of sources ([`SeveritySource`], the policy's
//! `severity-source`), so the same CVE always gets the same severity; the default is NVD's
//! own (primary) score, v3.1 before v3.0 before v4.0 before v2, else a secondary score NVD
//! lists (the CNA's); then JVN iPedia's score (IPA's, v3 before v2, else its severity word;
//! a CVE NVD has not scored yet still gets a severity); then the advisory's own vector
//! (computed: v4.0, v3.x, v2); then the producer's rating in the SBOM (score, else word);
//! then the advisory database's severity word (GHSA `database_specific.severity`). The first listed source that rates
//! the finding sets the severity; a word is named in `severity_source`. A 0.0 score rates
//! nothing (a `C:N/I:N/A:N` vector beside a real v4.0 one, CVE-2024-52301): the source's
//! next score counts, else the next source ([`cvss::preference`]). KEV is applied by the
//! policy, not here.
//!
//! The link is the canonical page of the finding's own id (GHSA: GitHub's advisory page,
//! CVE: NVD, an OSV id: osv.dev), never an advisory's first reference, which may be another
//! advisory. Fixed versions are spelled like the installed version (`v0.17.0` for Go's
//! `v0.8.0`).

use crate::cvss;
use crate::db::{CvssMetric, DbError, JvnEntry, VulnDb};
use crate::matching::{self, Match};
use crate::sbom::Sbom;
use crate::vuln_id::{IdKind, VulnId};
use serde::Serialize;

crate::names::keyword_enum! {
/// Severity, worst first in `Ord` (so sorting ascending puts critical first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// CVSS >= 9.0, or in KEV.
    Critical = "critical",
    /// CVSS 7.0-8.9.
    High = "high",
    /// CVSS 4.0-6.9.
    Medium = "medium",
    /// CVSS 0.1-3.9.
    Low = "low",
    /// No score from any source.
    Unknown = "unknown",
}
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
    /// The package across versions, from `purl` (else `name`), computed once here: the
    /// baseline, SARIF fingerprints and purl scopes read it.
    #[serde(skip)]
    pub package: crate::purl::PackageKey,
}

impl ComponentRef {
    /// The component `index` of the SBOM, with its package key computed from `purl` and
    /// `name`.
    pub fn new(
        index: usize,
        purl: Option<String>,
        name: String,
        version: Option<String>,
        file_path: Option<String>,
    ) -> ComponentRef {
        let package = crate::purl::PackageKey::of(purl.as_deref(), &name);
        ComponentRef {
            index,
            purl,
            name,
            version,
            file_path,
            package,
        }
    }

    /// Replaces the purl and name, and the package key with them.
    pub fn set_purl(&mut self, purl: Option<String>, name: String) {
        self.package = crate::purl::PackageKey::of(purl.as_deref(), &name);
        self.purl = purl;
        self.name = name;
    }

    /// `name@version`, or the name alone: how reports and messages name the component.
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{}@{}", self.name, v),
            None => self.name.clone(),
        }
    }
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
    /// `nvd` (NVD primary), `nvd-secondary` (a CNA via NVD), `jvn` (JVN iPedia), `osv` (the
    /// advisory's vector), `sbom` (the producer's rating).
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
    /// `knownRansomwareCampaignUse` is `Known` (any ASCII case), decided once here; every
    /// report and the policy read this flag (issue 12, item 4: the string was compared in
    /// five places). Serialized as CISA spells it, `Known` or `Unknown`.
    #[serde(
        rename = "known_ransomware_campaign_use",
        serialize_with = "serialize_ransomware"
    )]
    pub ransomware: bool,
    /// `vulnerabilityName`.
    #[serde(skip)]
    pub name: String,
}

fn serialize_ransomware<S: serde::Serializer>(known: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(Kev::ransomware_word(*known))
}

impl Kev {
    /// CISA's word for the ransomware flag: `Known` or `Unknown`.
    pub fn ransomware_word(known: bool) -> &'static str {
        if known { "Known" } else { "Unknown" }
    }
}

/// EPSS facts shown on a finding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Epss {
    /// Probability, 0-1.
    pub score: f64,
    /// Percentile, 0-1.
    pub percentile: f64,
}

/// A JVN iPedia entry naming one of the finding's CVEs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JvnLink {
    /// `JVNDB-YYYY-NNNNNN` (also among the finding's aliases).
    pub id: String,
    /// The entry's page on jvndb.jvn.jp.
    pub url: String,
}

/// One vulnerability in one component, with everything a person needs to act on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The id shown: the CVE when there is one, else the advisory's id.
    pub id: VulnId,
    /// Every other id of the vulnerability (GHSA, PYSEC, DSA, ...), sorted.
    pub aliases: Vec<String>,
    /// The affected component.
    pub component: ComponentRef,
    /// One line on what it is.
    pub summary: Option<String>,
    /// Severity from the score, before the KEV rule: the policy applies KEV and keeps the
    /// result apart, in [`crate::policy::DecidedFinding::gate_severity`].
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
    /// JVN iPedia entries naming its CVEs, sorted by id.
    pub jvn: Vec<JvnLink>,
    /// The advisories' affected ranges for this component's package: remediation checks
    /// that an upgrade leaves every range. Empty when only the SBOM reported it.
    pub affected: Vec<crate::db::Affected>,
    /// A known-malicious package version, not a vulnerability: an advisory of the finding
    /// reports malware ([`crate::db::Malware::Malicious`]), or one of its ids is an OpenSSF
    /// `MAL-` id (the SBOM's own reports included). The policy fails it like KEV.
    pub malicious: bool,
    /// When only a paid stream's records matched (Ubuntu Pro (ESM), Red Hat ELS): the fix is
    /// "available with" it. `None`: the release's ordinary updates.
    pub fix_channel: Option<crate::purl::FixChannel>,
}

crate::names::keyword_enum! {
/// Who rates a finding's severity, for the `severity-source` precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeveritySource {
    /// NVD's CVSS score: NVD's own (primary), else a secondary (the CNA's).
    Nvd = "nvd",
    /// JVN iPedia's (IPA) CVSS score, v3 before v2, else its severity word.
    Jvn = "jvn",
    /// The advisories' own CVSS vectors (GHSA, PYSEC, GO, ...; v2 and v3.x are scored).
    Osv = "osv",
    /// The advisory database's severity word: GHSA `database_specific.severity`.
    Ghsa = "ghsa",
    /// The SBOM producer's ratings: a score, else a severity word (NVD's first).
    Sbom = "sbom",
}
}

impl SeveritySource {
    /// The built-in precedence: every CVSS score (the SBOM's too) before GitHub's word; JVN
    /// right after NVD (JVN rates many CVEs NVD has not scored yet).
    pub const DEFAULT: [SeveritySource; 5] = [
        SeveritySource::Nvd,
        SeveritySource::Jvn,
        SeveritySource::Osv,
        SeveritySource::Sbom,
        SeveritySource::Ghsa,
    ];
}

/// Turns matches into findings, one per match. `severity_sources` is the precedence of the
/// severity's sources ([`SeveritySource::DEFAULT`] unless the policy says otherwise). A NVD,
/// KEV or EPSS record that cannot be decoded is an error: read as absent, a KEV hit would
/// become a warning.
pub fn enrich(
    matches: Vec<Match>,
    sbom: &Sbom,
    db: &VulnDb,
    severity_sources: &[SeveritySource],
) -> Result<Vec<Finding>, DbError> {
    db.prefetch_cves(
        matches
            .iter()
            .flat_map(|m| m.ids.iter().map(String::as_str))
            .filter(|i| matching::is_cve(i)),
    );
    // Findings are independent: on worker threads, in match order; each match becomes its
    // finding (its affected ranges move, not copied). The first error in match order wins.
    let mut findings = Vec::with_capacity(matches.len());
    for finding in
        crate::parallel::map_owned(matches, 64, |m| finding(m, sbom, db, severity_sources))
    {
        findings.extend(finding?);
    }
    Ok(findings)
}

fn finding(
    m: Match,
    sbom: &Sbom,
    db: &VulnDb,
    severity_sources: &[SeveritySource],
) -> Result<Option<Finding>, DbError> {
    let (Some(component), Some(id)) = (sbom.components.get(m.component), m.ids.first()) else {
        return Ok(None);
    };
    let id = id.clone();
    let cves: Vec<&str> = m
        .ids
        .iter()
        .map(String::as_str)
        .filter(|i| matching::is_cve(i))
        .collect();
    // JVN entries of every CVE, one per JVNDB id.
    let mut jvn: Vec<JvnEntry> = Vec::new();
    for c in &cves {
        jvn.extend(db.jvn(c)?);
    }
    jvn.sort_by(|a, b| a.id.cmp(&b.id));
    jvn.dedup_by(|a, b| a.id == b.id);
    let aliases: Vec<String> = {
        let mut a: Vec<String> = m.ids.iter().skip(1).cloned().collect();
        a.extend(jvn.iter().map(|e| e.id.clone()));
        a.sort();
        a.dedup();
        a
    };

    // Every CVE's records are read (not only up to the first KEV hit), so a record that
    // cannot be decoded is found wherever it is.
    let mut nvd = Vec::new();
    let mut kev = None;
    let mut epss: Option<Epss> = None;
    for c in &cves {
        nvd.extend(db.nvd(c)?);
        if let Some(k) = db.kev(c)? {
            kev.get_or_insert(Kev {
                cve: k.cve_id,
                date_added: k.date_added,
                due_date: k.due_date,
                required_action: k.required_action,
                ransomware: k
                    .known_ransomware_campaign_use
                    .eq_ignore_ascii_case("known"),
                name: k.vulnerability_name,
            });
        }
        if let Some(e) = db.epss(c)?
            && epss.is_none_or(|best| e.score > best.score)
        {
            epss = Some(Epss {
                score: e.score,
                percentile: e.percentile,
            });
        }
    }

    let sbom_vulns: Vec<_> = m
        .sbom_vulnerabilities
        .iter()
        .filter_map(|&i| sbom.vulnerabilities.get(i))
        .collect();

    // Each source's rating: its CVSS score, else its severity word.
    let nvd_metrics: Vec<&CvssMetric> = nvd.iter().flat_map(|r| r.cvss.iter()).collect();
    let nvd_score = || nvd_cvss(&nvd_metrics);
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
            .max_by(|a, b| preference(b).cmp(&preference(a)))
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
            // Prefer a score that rates something, then the NVD rating among the producer's,
            // then the CVSS version.
            .min_by_key(|c| {
                let (zero, rank) = preference(c);
                (zero, c.source != "sbom:nvd", rank)
            })
    };
    let rating = |source: SeveritySource| -> Option<(Severity, Option<Cvss>, Option<String>)> {
        let scored = |c: Cvss| (Severity::from_score(c.score), Some(c), None);
        // A 0.0 score (no impact) rates nothing: the next source may.
        let rates = |c: &Cvss| c.score > 0.0;
        match source {
            SeveritySource::Nvd => nvd_score().filter(rates).map(scored),
            SeveritySource::Jvn => jvn_score(&jvn)
                .map(scored)
                .or_else(|| jvn_word(&jvn).map(|sev| (sev, None, Some("jvn".to_string())))),
            SeveritySource::Osv => osv_score().filter(rates).map(scored),
            SeveritySource::Ghsa => {
                advisory_word(&m).map(|(sev, source)| (sev, None, Some(source)))
            }
            SeveritySource::Sbom => sbom_score()
                .filter(rates)
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

    let url = link(&id, &m, &sbom_vulns);

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

    let malicious = m
        .advisories
        .iter()
        .any(|a| a.malware == crate::db::Malware::Malicious)
        || m.ids.iter().any(|i| crate::db::is_malware_id(i));

    let mut found_by = Vec::new();
    if !m.advisories.is_empty() {
        found_by.push(FoundBy::Db);
    }
    if !m.sbom_vulnerabilities.is_empty() {
        found_by.push(FoundBy::Sbom);
    }

    Ok(Some(Finding {
        id: id.into(),
        aliases,
        component: ComponentRef::new(
            m.component,
            component.purl.as_deref().map(str::to_owned),
            component.name.to_string(),
            component.version.as_deref().map(str::to_owned),
            (component.trivy.file_path.as_deref())
                .or(component.found_in.as_deref())
                .map(str::to_owned),
        ),
        summary,
        severity,
        severity_source,
        cvss,
        kev,
        epss,
        fixed_versions: m
            .fixed_versions
            .iter()
            .map(|v| spelled_like(v, component.version.as_deref()))
            .collect(),
        found_by,
        url,
        cwes,
        exploit_refs,
        jvn: jvn
            .into_iter()
            .map(|e| JvnLink {
                id: e.id,
                url: e.url,
            })
            .collect(),
        affected: m.affected,
        fix_channel: m.fix_channel,
        malicious,
    }))
}

/// JVN's best CVSS score over the entries: by [`cvss::preference`] (v3 before v2), then the
/// highest score; a 0.0 score rates nothing.
fn jvn_score(entries: &[JvnEntry]) -> Option<Cvss> {
    entries
        .iter()
        .flat_map(|e| e.cvss.iter())
        .filter_map(|c| Some((c, c.score?)))
        .filter(|(_, score)| *score > 0.0)
        .min_by(|(a, sa), (b, sb)| {
            cvss::preference(*sa, &a.version)
                .cmp(&cvss::preference(*sb, &b.version))
                .then(sb.total_cmp(sa))
        })
        .map(|(c, score)| Cvss {
            score,
            version: c.version.clone(),
            vector: c.vector.clone().unwrap_or_default(),
            source: "jvn".to_string(),
        })
}

/// JVN's severity word, when no entry has a score (the worst over the entries).
fn jvn_word(entries: &[JvnEntry]) -> Option<Severity> {
    entries
        .iter()
        .flat_map(|e| e.cvss.iter())
        .filter_map(|c| parse_word(c.severity.as_deref()?))
        .min()
}

/// Which score of one source to show, lower first ([`cvss::preference`]).
fn preference(c: &Cvss) -> (bool, u8) {
    cvss::preference(c.score, &c.version)
}

/// The NVD score shown: NVD's own (primary) before a secondary one (the CNA's), unless NVD's
/// own rates nothing (0.0); within each, [`cvss::preference`].
fn nvd_cvss(metrics: &[&CvssMetric]) -> Option<Cvss> {
    metrics
        .iter()
        .min_by_key(|c| {
            let (zero, rank) = cvss::preference(c.score, &c.version);
            (zero, !c.primary, rank)
        })
        .map(|c| to_cvss(c, if c.primary { "nvd" } else { "nvd-secondary" }))
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
        let source = if IdKind::of(&a.id) == IdKind::Ghsa {
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

/// `fixed` spelled like the installed version: Go module versions carry a `v`
/// (`golang.org/x/net v0.8.0`) that OSV's Go ranges leave out (`0.17.0`), and the fix is
/// copied into `go get` as shown.
fn spelled_like(fixed: &str, installed: Option<&str>) -> String {
    let has_v = |v: &str| {
        v.strip_prefix('v')
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    };
    match installed {
        Some(i) if has_v(i) && fixed.starts_with(|c: char| c.is_ascii_digit()) => {
            format!("v{fixed}")
        }
        _ => fixed.to_owned(),
    }
}

/// A link for humans: the canonical page of the finding's own id (GHSA -> GitHub's advisory
/// database, CVE -> NVD, an id of an OSV advisory -> osv.dev), else the advisories' own
/// links (the SBOM producer's, then a reference). An advisory's first reference may be a
/// different advisory (GHSA-x7p5-p2c9-phvg's is GHSA-3p32-j457-pg5x), so it comes last.
fn link(id: &str, m: &Match, sbom_vulns: &[&crate::sbom::SbomVulnerability]) -> Option<String> {
    // Ids are untrusted: only plain ones become part of a URL.
    let plain = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if plain {
        match IdKind::of(id) {
            IdKind::Ghsa => return Some(format!("https://github.com/advisories/{id}")),
            IdKind::Cve => return Some(format!("https://nvd.nist.gov/vuln/detail/{id}")),
            _ => {}
        }
        if m.advisories.iter().any(|a| a.id == id) {
            return Some(format!("https://osv.dev/vulnerability/{id}"));
        }
    }
    sbom_vulns
        .iter()
        .filter(|v| v.id == id)
        .find_map(|v| v.url.clone())
        .or_else(|| m.advisories.iter().find_map(|a| a.url.clone()))
        .or_else(|| plain.then(|| format!("https://osv.dev/vulnerability/{id}")))
}

#[cfg(test)]
mod tests;
