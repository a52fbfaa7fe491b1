//! `kevgate policy test`: the cases declared beside the rules (`tests:` in `.kevgate.yaml`)
//! run through the real [`crate::policy::apply`], so a team can prove a rule or an ignore
//! does what it means before merging it.
//!
//! Pure: a case describes a finding's attributes and the decision expected; this module
//! builds the [`Finding`], evaluates it with the policy on the case's date and compares.
//! The policy is the one a scan would apply, assembled by the CLI (`cli/policy.rs`); the
//! command's output is written there too.

use crate::enrich::{ComponentRef, Cvss, Epss, Finding, Kev, Severity};
use crate::policy::{Decision, Policy};
use crate::priority::Priority;
use std::fmt::Write as _;

/// One declared case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// What it checks (default: `case N`).
    pub name: String,
    /// Where it was declared: "`.kevgate.yaml` line 12".
    pub origin: String,
    /// The finding's attributes.
    pub finding: CaseFinding,
    /// The date to evaluate on. Default: today.
    pub today: Option<jiff::civil::Date>,
    /// The decision expected, if the case checks it.
    pub expect: Option<Decision>,
    /// The triage priority expected, if the case checks it (`expect-priority`).
    pub expect_priority: Option<Priority>,
}

/// A finding's attributes, as a case gives them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFinding {
    /// The id shown.
    pub id: String,
    /// Other ids.
    pub aliases: Vec<String>,
    /// The component's purl.
    pub purl: Option<String>,
    /// Severity before the KEV rule. Default: unknown.
    pub severity: Option<Severity>,
    /// In CISA KEV.
    pub kev: bool,
    /// KEV with known ransomware use.
    pub ransomware: bool,
    /// KEV due date (YYYY-MM-DD).
    pub kev_due_date: Option<String>,
    /// EPSS score, 0-1.
    pub epss: Option<f64>,
    /// Fixed versions.
    pub fixed: Vec<String>,
    /// The CVSS vector (v2, v3.x or v4.0): automatable and technical impact for the priority;
    /// without `severity`, its base score (v2, v3.x) sets the severity.
    pub cvss: Option<Cvss>,
    /// Exploit-tagged references (exploitation `poc` for the priority).
    pub exploit_refs: Vec<String>,
}

/// A case's `cvss`: a vector kevgate can score (v2, v3.x), or a v4.0 vector (its metrics are
/// read; kevgate does not compute v4.0 scores, so its score is 0). `None` if it is neither.
pub fn case_cvss(vector: &str) -> Option<Cvss> {
    let (score, version) = match crate::cvss::base_score(vector) {
        Some((score, version)) => (score, version),
        None if vector.starts_with("CVSS:4.0/") && vector.contains("/AV:") => (0.0, "4.0"),
        None => return None,
    };
    Some(Cvss {
        score,
        version: version.to_owned(),
        vector: vector.to_owned(),
        source: "policy-test".to_owned(),
    })
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The case's name.
    pub name: String,
    /// Where it was declared.
    pub origin: String,
    /// Expected decision, if checked.
    pub expect: Option<Decision>,
    /// Got.
    pub got: Decision,
    /// Expected priority, if checked.
    pub expect_priority: Option<Priority>,
    /// Got.
    pub got_priority: Priority,
    /// Why (reason codes, and the ignored reason).
    pub why: String,
}

impl Outcome {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.expect.is_none_or(|d| d == self.got)
            && self.expect_priority.is_none_or(|p| p == self.got_priority)
    }
}

impl CaseFinding {
    /// The [`Finding`] these attributes describe.
    pub fn to_finding(&self) -> Finding {
        let (name, version) = match self.purl.as_deref() {
            Some(p) => {
                let text = crate::purl::PurlText::split(p);
                (text.name().to_owned(), text.version.map(str::to_owned))
            }
            None => ("component".to_owned(), None),
        };
        Finding {
            id: self.id.as_str().into(),
            aliases: self.aliases.clone(),
            component: ComponentRef::new(0, self.purl.clone(), name, version, None),
            summary: None,
            severity: self.severity.unwrap_or_else(|| {
                self.cvss
                    .as_ref()
                    .map_or(Severity::Unknown, |c| Severity::from_score(c.score))
            }),
            severity_source: None,
            cvss: self.cvss.clone(),
            kev: (self.kev || self.ransomware || self.kev_due_date.is_some()).then(|| Kev {
                cve: self.id.clone(),
                date_added: String::new(),
                due_date: self.kev_due_date.clone().unwrap_or_default(),
                required_action: String::new(),
                ransomware: self.ransomware,
                name: String::new(),
            }),
            epss: self.epss.map(|score| Epss {
                score,
                percentile: 0.0,
            }),
            fixed_versions: self.fixed.clone(),
            found_by: Vec::new(),
            url: None,
            cwes: Vec::new(),
            exploit_refs: self.exploit_refs.clone(),
            jvn: Vec::new(),
            affected: Vec::new(),
            malicious: std::iter::once(&self.id)
                .chain(&self.aliases)
                .any(|i| crate::db::is_malware_id(i)),
            fix_channel: None,
        }
    }
}

/// Runs every case against `policy`; `today` is the default date.
pub fn run(
    cases: &[Case],
    policy: &Policy,
    db: &crate::db::VulnDb,
    today: jiff::civil::Date,
) -> Result<Vec<Outcome>, crate::db::DbError> {
    cases
        .iter()
        .map(|case| {
            let ev = crate::policy::apply(
                vec![case.finding.to_finding()],
                db,
                policy,
                case.today.unwrap_or(today),
            )?;
            let got_priority = ev.findings.first().map_or(Priority::Track, |e| e.priority);
            let (got, why) = match ev.findings.first() {
                Some(e) => {
                    let mut why = e
                        .reasons
                        .iter()
                        .map(|r| crate::report::code(*r))
                        .collect::<Vec<_>>()
                        .join(", ");
                    if let Some(r) = &e.ignored_reason {
                        let _ = write!(why, ": {r}");
                    }
                    (e.decision, why)
                }
                None => (Decision::Warn, "no finding".to_owned()),
            };
            Ok(Outcome {
                name: case.name.clone(),
                origin: case.origin.clone(),
                expect: case.expect,
                got,
                expect_priority: case.expect_priority,
                got_priority,
                why,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented example's cases all pass against its own rules.
    #[test]
    fn documented_cases_pass() {
        let bytes = include_bytes!("../tests/fixtures/config/kevgate.yaml");
        let config = crate::config::parse(bytes, "kevgate.yaml").expect("valid");
        assert!(!config.tests.is_empty());
        let policy = Policy {
            ignores: config.ignores.clone(),
            ..Policy::default()
        };
        let db = crate::db::VulnDb::from_static(crate::cli::BUNDLED_DB).expect("db");
        let outcomes =
            run(&config.tests, &policy, &db, jiff::civil::date(2025, 8, 26)).expect("decodes");
        for o in &outcomes {
            assert!(o.passed(), "{o:?}");
        }
    }
}
