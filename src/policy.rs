//! Findings x Policy x today -> [`Decided`]: the one place the verdict is decided.
//!
//! [`crate::evaluate`] puts the decisions into the
//! [`Evaluation`](crate::evaluation::Evaluation); reporters and the exit code read its
//! verdict, nothing else decides pass or fail.

use crate::db::VulnDb;
use crate::enrich::{Finding, Severity};
use serde::Serialize;

use crate::note::{Note, NoteCode};

crate::names::keyword_enum! {
/// The lowest severity that fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Fail on critical (the default).
    Critical = "critical",
    /// Fail on high and above.
    High = "high",
    /// Fail on medium and above.
    Medium = "medium",
    /// Fail on low and above.
    Low = "low",
    /// Never fail on severity (KEV may still fail the gate).
    None = "none",
}
}

/// The gate's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Lowest failing severity. Default: critical.
    pub fail_on: FailOn,
    /// Fail on any finding in CISA KEV. Default: true.
    pub fail_on_kev: bool,
    /// Fail on any known-malicious package version ([`Finding::malicious`]). Default: true.
    pub fail_on_malicious: bool,
    /// Fail on KEV findings CISA knows to be used in ransomware campaigns, even with
    /// `fail_on_kev` off. Default: false.
    pub fail_on_ransomware: bool,
    /// Fail on KEV findings whose CISA due date has passed, even with `fail_on_kev` off.
    /// Default: false.
    pub fail_on_kev_past_due: bool,
    /// Fail on findings whose EPSS score (0-1) is at least this. Default: none.
    pub fail_on_epss: Option<f64>,
    /// Fail only on findings with a known fixed version; the others become warnings with
    /// the reason `no-fix`. Default: false.
    pub only_fixable: bool,
    /// The base scan's findings (`--baseline`): each finding gets a [`Change`]. Default:
    /// none.
    ///
    /// [`Change`]: crate::baseline::Change
    pub baseline: Option<crate::baseline::Baseline>,
    /// With a baseline, only `introduced` findings can fail the gate; `unchanged` ones
    /// become warnings with the reason `not-new`. Default: false.
    pub fail_on_new_only: bool,
    /// Findings the team has triaged: from `.kevgate.yaml`, `.trivyignore` and VEX
    /// documents. Default: none.
    pub ignores: Vec<Ignore>,
    /// Whose rating sets a finding's severity, first that rates it wins; sources not listed
    /// are not consulted. Default: [`SeveritySource::DEFAULT`].
    ///
    /// [`SeveritySource::DEFAULT`]: crate::enrich::SeveritySource::DEFAULT
    pub severity_source: Vec<crate::enrich::SeveritySource>,
    /// The Red Hat extended stream the scanned system is on (`eus-8.6`, `aus-8.4`, ...):
    /// its packages are checked against that stream's advisories instead of the main
    /// stream's. Default: none (the main stream).
    pub rhel_stream: Option<crate::purl::RhelStream>,
    /// On a pull request, the exceptions (ignores and VEX statements of the policy files)
    /// that the base commit's policy does not have ([`added_exceptions`]): a PR can add an
    /// ignore for its own finding, so reports list these under their own heading. Default:
    /// none (not compared).
    pub added_exceptions: Option<Vec<Ignore>>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            fail_on: FailOn::Critical,
            fail_on_kev: true,
            fail_on_malicious: true,
            fail_on_ransomware: false,
            fail_on_kev_past_due: false,
            fail_on_epss: None,
            only_fixable: false,
            baseline: None,
            fail_on_new_only: false,
            ignores: Vec::new(),
            severity_source: crate::enrich::SeveritySource::DEFAULT.to_vec(),
            rhel_stream: None,
            added_exceptions: None,
        }
    }
}

/// One triaged vulnerability: findings it matches are [`Decision::Ignored`] until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The vulnerability: matches the finding's id or any alias (ASCII case-insensitive).
    pub id: String,
    /// Why it is safe to ignore; shown as the finding's `ignored_reason`.
    pub reason: String,
    /// The last day the ignore applies; from the day after, findings are decided as if it
    /// were not there and an `expired-ignore` note says so. Default: never expires.
    pub expires: Option<jiff::civil::Date>,
    /// Only components whose purl matches one of these: without a version
    /// (`pkg:npm/jquery`) any version matches; with one (`pkg:npm/jquery@3.4.1`) only that
    /// version. Qualifiers and subpath are not compared. Default (empty): every component.
    pub purls: Vec<String>,
    /// Where it was declared.
    pub source: IgnoreSource,
    /// Where it was declared, for notes: "`.kevgate.yaml` line 7".
    pub origin: String,
}

/// Where an [`Ignore`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IgnoreSource {
    /// `.kevgate.yaml` (or `--config`).
    Config,
    /// `.trivyignore` or `.trivyignore.yaml`.
    Trivyignore,
    /// A VEX statement (`not_affected` or `fixed`).
    Vex,
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
    /// Matched by an [`Ignore`] (config, `.trivyignore`, VEX): shown apart, never fails.
    Ignored,
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
    /// Matched by an ignore in `.kevgate.yaml` or `.trivyignore`.
    Ignored,
    /// A VEX statement says `not_affected` or `fixed`.
    Vex,
    /// In KEV with known ransomware campaign use, and `fail-on-ransomware` is on.
    KevRansomware,
    /// In KEV past its CISA due date, and `fail-on-kev-past-due` is on.
    KevPastDue,
    /// EPSS at or above `fail-on-epss`.
    Epss,
    /// Would fail, but no fixed version is known and `only-fixable` is on.
    NoFix,
    /// Would fail, but is already in the baseline and `fail-on-new-only` is on.
    NotNew,
    /// A known-malicious package version, and `fail-on-malicious` is on.
    Malicious,
}

/// A finding with the gate's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct DecidedFinding {
    /// The finding.
    pub finding: Finding,
    /// The severity the gate uses: [`Finding::severity`] after the KEV rule (KEV counts as
    /// critical). Reports show this one.
    pub gate_severity: Severity,
    /// The decision.
    pub decision: Decision,
    /// Why.
    pub reasons: Vec<Reason>,
    /// For [`Decision::Ignored`]: the ignore's reason or the VEX justification.
    pub ignored_reason: Option<String>,
    /// SSVC-style triage priority ([`crate::priority`]); does not affect the verdict.
    pub priority: crate::priority::Priority,
    /// Against the baseline, when there is one.
    pub change: Option<crate::baseline::Change>,
}

/// What [`apply`] decides: the part of the [`Evaluation`](crate::evaluation::Evaluation) the
/// policy owns. [`crate::evaluate`] adds the rest and sorts the notes.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    /// Findings with their decisions, sorted: malicious and KEV first, then severity, then
    /// EPSS (highest first), then id.
    pub findings: Vec<DecidedFinding>,
    /// Notes about the ignores (expired, unused, unknown) and the baseline comparison, in no
    /// particular order.
    pub notes: Vec<Note>,
    /// The verdict.
    pub verdict: Verdict,
    /// Base findings (`--baseline`) that no current finding matches: fixed since.
    pub fixed: Vec<crate::baseline::Entry>,
}

/// Applies `policy` to `findings`: KEV counts as critical; a finding fails the gate when it
/// is a known-malicious package version and `fail_on_malicious` is set, when it is in KEV and
/// `fail_on_kev` is set, or when its severity is at or above `fail_on`.
pub fn apply(
    findings: Vec<Finding>,
    db: &VulnDb,
    policy: &Policy,
    today: jiff::civil::Date,
) -> Result<Decided, crate::db::DbError> {
    let mut hits = vec![0usize; policy.ignores.len()];
    let comparison = policy.baseline.as_ref().map(|b| b.compare(&findings));
    let changes = comparison
        .as_ref()
        .map(|c| c.changes.iter().copied().map(Some).collect())
        .unwrap_or_else(|| vec![None; findings.len()]);
    let evaluated: Vec<DecidedFinding> = findings
        .into_iter()
        .zip(changes)
        .map(|(finding, change)| {
            let mut e = decide(finding, policy, today, &mut hits);
            e.change = change;
            if policy.fail_on_new_only
                && change == Some(crate::baseline::Change::Unchanged)
                && e.decision == Decision::Fail
            {
                e.decision = Decision::Warn;
                e.reasons.push(Reason::NotNew);
            }
            e
        })
        .collect();
    let fixed = comparison.map(|c| c.fixed).unwrap_or_default();
    // Borrowed keys (owned strings cost two copies per comparison), and the order found on
    // references: a decided finding is large, so each is moved once.
    fn key(
        e: &DecidedFinding,
    ) -> (
        bool,
        Severity,
        std::cmp::Reverse<OrdF64>,
        &crate::vuln_id::VulnId,
        Option<&str>,
        usize,
    ) {
        (
            !e.finding.malicious && e.finding.kev.is_none(),
            e.gate_severity,
            std::cmp::Reverse(OrdF64(e.finding.epss.map(|x| x.score).unwrap_or(-1.0))),
            &e.finding.id,
            e.finding.component.purl.as_deref(),
            e.finding.component.index,
        )
    }
    let mut order: Vec<usize> = (0..evaluated.len()).collect();
    order.sort_by(|&a, &b| key(&evaluated[a]).cmp(&key(&evaluated[b])));
    let mut slots: Vec<Option<DecidedFinding>> = evaluated.into_iter().map(Some).collect();
    let evaluated: Vec<DecidedFinding> =
        order.into_iter().filter_map(|i| slots[i].take()).collect();
    let mut notes = ignore_notes(policy, &hits, db, today)?;
    if let Some(base) = &policy.baseline {
        let count = |c| evaluated.iter().filter(|e| e.change == Some(c)).count();
        notes.push(Note {
            code: NoteCode::Baseline,
            message: format!(
                "compared with the baseline `{}`: {} introduced, {} unchanged, {} fixed{}",
                base.source,
                count(crate::baseline::Change::Introduced),
                count(crate::baseline::Change::Unchanged),
                fixed.len(),
                if policy.fail_on_new_only {
                    "; only introduced findings can fail the gate"
                } else {
                    ""
                }
            ),
            component: None,
        });
    }
    let verdict = if evaluated.iter().any(|e| e.decision == Decision::Fail) {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    Ok(Decided {
        findings: evaluated,
        notes,
        verdict,
        fixed,
    })
}

/// The decision for one finding. `hits[i]` counts the findings `policy.ignores[i]` matched
/// (expired ones included, so their note can say what they still cover).
fn decide(
    finding: Finding,
    policy: &Policy,
    today: jiff::civil::Date,
    hits: &mut [usize],
) -> DecidedFinding {
    let in_kev = finding.kev.is_some();
    let priority = crate::priority::of(&finding);
    let severity = if in_kev {
        Severity::Critical
    } else {
        finding.severity
    };
    let mut applied = None;
    for (i, ignore) in policy.ignores.iter().enumerate() {
        if ignore.matches(&finding) {
            hits[i] += 1;
            if applied.is_none() && !ignore.is_expired(today) {
                applied = Some(ignore);
            }
        }
    }
    if let Some(ignore) = applied {
        return DecidedFinding {
            finding,
            gate_severity: severity,
            decision: Decision::Ignored,
            reasons: vec![match ignore.source {
                IgnoreSource::Vex => Reason::Vex,
                IgnoreSource::Config | IgnoreSource::Trivyignore => Reason::Ignored,
            }],
            ignored_reason: Some(ignore.reason.clone()),
            priority,
            change: None,
        };
    }
    let mut reasons = Vec::new();
    if finding.malicious && policy.fail_on_malicious {
        reasons.push(Reason::Malicious);
    }
    if in_kev && policy.fail_on_kev {
        reasons.push(Reason::Kev);
    }
    if policy.fail_on.threshold().is_some_and(|t| severity <= t) {
        reasons.push(Reason::Severity);
    }
    if let Some(kev) = &finding.kev {
        if policy.fail_on_ransomware && kev.ransomware {
            reasons.push(Reason::KevRansomware);
        }
        let past_due = kev
            .due_date
            .parse::<jiff::civil::Date>()
            .is_ok_and(|due| today > due);
        if policy.fail_on_kev_past_due && past_due {
            reasons.push(Reason::KevPastDue);
        }
    }
    if let (Some(threshold), Some(epss)) = (policy.fail_on_epss, finding.epss)
        && epss.score >= threshold
    {
        reasons.push(Reason::Epss);
    }
    if policy.only_fixable && !reasons.is_empty() && finding.fixed_versions.is_empty() {
        reasons.push(Reason::NoFix);
        return DecidedFinding {
            finding,
            gate_severity: severity,
            decision: Decision::Warn,
            reasons,
            ignored_reason: None,
            priority,
            change: None,
        };
    }
    let decision = if reasons.is_empty() {
        reasons.push(Reason::BelowThreshold);
        Decision::Warn
    } else {
        Decision::Fail
    };
    DecidedFinding {
        finding,
        gate_severity: severity,
        decision,
        reasons,
        ignored_reason: None,
        priority,
        change: None,
    }
}

/// `expired-ignore` for every expired ignore; for every live config or `.trivyignore` ignore
/// that matched nothing, `unknown-ignore` when the database does not know its id at all
/// ([`is_known`]), else `unused-ignore`. VEX statements that match nothing are normal (a VEX
/// document covers a whole product) and get no note.
fn ignore_notes(
    policy: &Policy,
    hits: &[usize],
    db: &VulnDb,
    today: jiff::civil::Date,
) -> Result<Vec<Note>, crate::db::DbError> {
    let mut notes = Vec::new();
    for (ignore, &n) in policy.ignores.iter().zip(hits) {
        let plural = if n == 1 { "" } else { "s" };
        match ignore.expires {
            Some(expires) if ignore.is_expired(today) => notes.push(Note {
                code: NoteCode::ExpiredIgnore,
                message: format!(
                    "the ignore of `{}` ({}) expired on {expires} and no longer applies \
                     ({n} matching finding{plural}); hint: fix them, or extend `expires` \
                     with a new reason",
                    ignore.id, ignore.origin
                ),
                component: None,
            }),
            _ if n == 0 && ignore.source != IgnoreSource::Vex => {
                notes.push(if is_known(db, ignore)? == Some(false) {
                    Note {
                        code: NoteCode::UnknownIgnore,
                        message: format!(
                            "the ignore of `{}` ({}) names an id the database does not know; \
                             hint: check the id for a typo, or ignore the id the finding shows",
                            ignore.id, ignore.origin
                        ),
                        component: None,
                    }
                } else {
                    Note {
                        code: NoteCode::UnusedIgnore,
                        message: format!(
                            "the ignore of `{}` ({}) matched no finding; hint: remove it if \
                             the vulnerability is gone, or check the id and purl",
                            ignore.id, ignore.origin
                        ),
                        component: None,
                    }
                })
            }
            _ => {}
        }
    }
    Ok(notes)
}

/// Whether the database knows the ignore's id: `Some(true)` when it does, `Some(false)` when
/// it can tell it does not, `None` when it cannot tell. A CVE (when the database has NVD
/// data) is known when NVD, KEV or EPSS has it, or an advisory of the ignore's `purl` packages names it; any other id (GHSA,
/// PYSEC, GO-, ...) only when the ignore has a `purl` scope, by the advisories of those
/// packages (the database is indexed by package, not by advisory id), else `None`. A
/// database built with `--cve-scope referenced` left out the NVD records of CVEs no
/// advisory names, so there a CVE it does not find is `None`, never unknown.
fn is_known(db: &VulnDb, ignore: &Ignore) -> Result<Option<bool>, crate::db::DbError> {
    let id = ignore.id.as_str();
    // Without NVD data, a CVE's absence says nothing.
    let has_nvd = db
        .manifest()
        .sources
        .iter()
        .any(|s| s.name.eq_ignore_ascii_case("nvd") && s.records > 0);
    let names_cve = crate::vuln_id::IdKind::of(id) == crate::vuln_id::IdKind::Cve;
    let is_cve = has_nvd && names_cve;
    if is_cve {
        let upper = id.to_ascii_uppercase();
        if db.nvd(&upper)?.is_some() || db.kev(&upper)?.is_some() || db.epss(&upper)?.is_some() {
            return Ok(Some(true));
        }
    }
    let mut checked = false;
    for scope in &ignore.purls {
        let Ok(mut purl) = crate::purl::Purl::parse(scope) else {
            continue;
        };
        // `identify` wants a version; the package's identity does not depend on it.
        purl.version.get_or_insert_with(|| "0".to_owned());
        let Ok(package) = crate::purl::identify(&purl, None) else {
            continue;
        };
        let name = package.ecosystem.normalize_name(&package.name);
        let advisories = db.advisories(package.ecosystem, &name)?;
        checked = true;
        let names = |a: &crate::db::Advisory| {
            std::iter::once(&a.id)
                .chain(&a.aliases)
                .chain(&a.related)
                .any(|x| x.eq_ignore_ascii_case(id))
        };
        if advisories.iter().any(names) {
            return Ok(Some(true));
        }
    }
    if names_cve && db.manifest().cve_scope != crate::db::CveScope::All {
        return Ok(None);
    }
    Ok((is_cve || checked).then_some(false))
}

/// The exceptions of `head` that `base` does not have: the same source, id (ASCII
/// case-insensitive), purl scope and expiry. A changed expiry counts as added (it revives or
/// extends an exception); a changed reason alone does not. In `head`'s order, without
/// repeats.
pub fn added_exceptions(head: &[Ignore], base: &[Ignore]) -> Vec<Ignore> {
    let key = |i: &Ignore| {
        let mut purls: Vec<String> = i.purls.iter().map(|p| p.to_ascii_lowercase()).collect();
        purls.sort();
        (i.source, i.id.to_ascii_uppercase(), purls, i.expires)
    };
    let known: std::collections::HashSet<_> = base.iter().map(key).collect();
    let mut seen = std::collections::HashSet::new();
    head.iter()
        .filter(|i| {
            let k = key(i);
            !known.contains(&k) && seen.insert(k)
        })
        .cloned()
        .collect()
}

impl Ignore {
    /// Whether `finding` is the vulnerability this ignore names, in a component it covers.
    /// Expiry is not considered (see [`Ignore::is_expired`]).
    pub fn matches(&self, finding: &Finding) -> bool {
        let id_matches = finding.id.eq_ignore_ascii_case(&self.id)
            || finding
                .aliases
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&self.id));
        id_matches
            && (self.purls.is_empty()
                || finding.component.purl.as_deref().is_some_and(|p| {
                    self.purls
                        .iter()
                        .any(|scope| crate::purl::in_scope(p, scope))
                }))
    }

    /// Whether `today` is after the last day the ignore applies.
    pub fn is_expired(&self, today: jiff::civil::Date) -> bool {
        self.expires.is_some_and(|e| today > e)
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

#[cfg(test)]
mod tests;
