//! The release watch report (`kevgate watch`): per watched release (or local SBOM), its
//! evaluation against today's database and, above all, the findings whose CVE CISA added to
//! KEV on or after the day the release was published, the case a gate at release time could
//! not have caught. Terminal text, one JSON document, and a Markdown job summary with one
//! table per release.
//!
//! Pure over the [`Watched`] list the CLI assembles; each [`Evaluation`] inside is the one
//! `scan` makes (same core, same verdict), so nothing here decides a verdict: the watch's
//! outcome is read from the evaluations ([`Watch::outcome`]).
//!
//! "After the release" compares KEV `dateAdded` (a day) with the release's publication day in
//! UTC: a CVE added the same day counts, because the database a release gate used that day
//! was built before it (the daily refresh) — documented in `docs/watch.md`.

use crate::evaluation::Evaluation;
use crate::policy::{DecidedFinding, Decision, Verdict};
use crate::text;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Failing findings listed per release in the terminal text (the JSON has them all).
const TEXT_MAX_FAILING: usize = 20;

/// The version of the watch JSON document's shape.
pub const SCHEMA_VERSION: &str = "1";

/// One watched SBOM: a release asset or a local file.
#[derive(Debug, Clone)]
pub struct Watched {
    /// The release tag, or the local file's `--as` name (else its file name).
    pub release: String,
    /// When it was published: the release's `published_at`, or `--published`. `None`: not
    /// known, so nothing can be said about what became KEV after it.
    pub published: Option<jiff::Timestamp>,
    /// The release's page, if any.
    pub url: Option<String>,
    /// The SBOM asset's (or file's) name; `None` when the release has none.
    pub sbom: Option<String>,
    /// What checking it gave.
    pub checked: Checked,
}

/// What checking one SBOM gave.
#[derive(Debug, Clone)]
pub enum Checked {
    /// Evaluated, as `scan` would.
    Evaluated(Box<Evaluation>),
    /// The release has no SBOM asset: nothing was checked (never a pass).
    NoSbom,
    /// It could not be checked (download, size cap, parse error): one line.
    Error(String),
}

/// The status of one watched SBOM, as the reports spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The gate passes today.
    Pass,
    /// The gate fails today.
    Fail,
    /// No SBOM asset: not checked.
    NoSbom,
    /// Could not be checked.
    Error,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NoSbom => "no SBOM",
            Status::Error => "error",
        }
    }
}

impl Watched {
    /// Its status.
    pub fn status(&self) -> Status {
        match &self.checked {
            Checked::Evaluated(ev) => match ev.verdict {
                Verdict::Pass => Status::Pass,
                Verdict::Fail => Status::Fail,
            },
            Checked::NoSbom => Status::NoSbom,
            Checked::Error(_) => Status::Error,
        }
    }

    /// The findings whose KEV `dateAdded` is on or after the publication day (UTC), in the
    /// evaluation's order. Empty when not evaluated or the publication date is unknown.
    pub fn kev_after(&self) -> Vec<&DecidedFinding> {
        let (Checked::Evaluated(ev), Some(published)) = (&self.checked, self.published) else {
            return Vec::new();
        };
        let day = published.to_zoned(jiff::tz::TimeZone::UTC).date();
        ev.findings
            .iter()
            .filter(|e| {
                e.finding
                    .kev
                    .as_ref()
                    .and_then(|k| k.date_added.parse::<jiff::civil::Date>().ok())
                    .is_some_and(|added| added >= day)
            })
            .collect()
    }
}

/// The whole watch: every watched SBOM, in the order watched (newest release first).
#[derive(Debug, Clone)]
pub struct Watch {
    /// The date the database was applied on.
    pub today: jiff::civil::Date,
    /// What was watched.
    pub watched: Vec<Watched>,
}

/// How the watch ends, from the evaluations: an error anywhere is an error (exit 2), else any
/// failing release fails (exit 1). Releases without an SBOM are notes; a watch in which
/// nothing at all was evaluated is an error, never a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every checked SBOM passes.
    Pass,
    /// At least one fails.
    Fail,
    /// At least one could not be checked, or nothing was.
    Error,
}

impl Watch {
    /// The places tracking issues (issue 13) know a release by, `release:<tag>`, with the
    /// evaluation of each of its SBOMs (a release with two SBOM assets appears twice: its
    /// findings are the union). Releases not evaluated are left out: a place is only ever
    /// updated from a release that was checked.
    pub fn places(&self) -> Vec<(String, &Evaluation)> {
        self.watched
            .iter()
            .filter_map(|w| match &w.checked {
                Checked::Evaluated(ev) => Some((format!("release:{}", w.release), &**ev)),
                _ => None,
            })
            .collect()
    }

    /// How the watch ends ([`Outcome`]).
    pub fn outcome(&self) -> Outcome {
        let statuses: Vec<Status> = self.watched.iter().map(Watched::status).collect();
        if statuses.contains(&Status::Error)
            || !statuses
                .iter()
                .any(|s| matches!(s, Status::Pass | Status::Fail))
        {
            Outcome::Error
        } else if statuses.contains(&Status::Fail) {
            Outcome::Fail
        } else {
            Outcome::Pass
        }
    }
}

fn day(t: jiff::Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

fn kev_of(e: &DecidedFinding) -> (&str, &str) {
    e.finding
        .kev
        .as_ref()
        .map(|k| (k.date_added.as_str(), k.due_date.as_str()))
        .unwrap_or_default()
}

/// The terminal text: one block per watched SBOM, every value escaped for the terminal and
/// the Actions runner.
pub fn write_text(w: &Watch, out: &mut dyn Write) -> io::Result<()> {
    let t = |s: &str| text::terminal(&text::one_line(s, 200)).into_owned();
    for watched in &w.watched {
        let published = watched
            .published
            .map(day)
            .unwrap_or_else(|| "unknown".into());
        writeln!(
            out,
            "{} ({}), published {published}: {}",
            t(&watched.release),
            watched.sbom.as_deref().map(t).unwrap_or_else(|| "-".into()),
            watched.status().as_str()
        )?;
        match &watched.checked {
            Checked::NoSbom => writeln!(
                out,
                "  note: no SBOM asset ({}): not checked",
                crate::sbom::FILE_SUFFIXES.join(", ")
            )?,
            Checked::Error(e) => writeln!(out, "  error: {}", t(e))?,
            Checked::Evaluated(ev) => {
                let fails = ev
                    .findings
                    .iter()
                    .filter(|e| e.decision == Decision::Fail)
                    .count();
                writeln!(
                    out,
                    "  {} finding{}, {fails} failing the gate",
                    ev.findings.len(),
                    if ev.findings.len() == 1 { "" } else { "s" }
                )?;
                if watched.published.is_none() {
                    writeln!(
                        out,
                        "  note: publication date unknown: cannot tell what became KEV after it; \
                         hint: pass `--published DATE`"
                    )?;
                }
                let late = watched.kev_after();
                // The other failing findings, most urgent first, at most [`TEXT_MAX_FAILING`].
                let failing: Vec<&DecidedFinding> = ev
                    .findings
                    .iter()
                    .filter(|e| {
                        e.decision == Decision::Fail && !late.iter().any(|l| std::ptr::eq(*l, *e))
                    })
                    .collect();
                for e in failing.iter().take(TEXT_MAX_FAILING) {
                    writeln!(
                        out,
                        "    fails: {} in {} {} ({})",
                        t(&e.finding.id),
                        t(&e.finding.component.name),
                        t(e.finding.component.version.as_deref().unwrap_or("?")),
                        crate::report::code(e.gate_severity)
                    )?;
                }
                if failing.len() > TEXT_MAX_FAILING {
                    writeln!(
                        out,
                        "    … {} more failing (see `--format json`)",
                        failing.len() - TEXT_MAX_FAILING
                    )?;
                }
                if !late.is_empty() {
                    writeln!(out, "  became KEV after the release:")?;
                }
                for e in late {
                    let (added, due) = kev_of(e);
                    writeln!(
                        out,
                        "    {} in {} {} (KEV since {}, due {}, {})",
                        t(&e.finding.id),
                        t(&e.finding.component.name),
                        t(e.finding.component.version.as_deref().unwrap_or("?")),
                        t(added),
                        t(due),
                        crate::report::code(e.decision)
                    )?;
                }
            }
        }
    }
    let outcome = match w.outcome() {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Error => "error",
    };
    writeln!(
        out,
        "kevgate watch: {} SBOM{} on {}: {outcome}",
        w.watched.len(),
        if w.watched.len() == 1 { "" } else { "s" },
        w.today
    )
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: &'static str,
    kind: &'static str,
    evaluated_on: String,
    outcome: &'static str,
    releases: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    release: &'a str,
    published_at: Option<String>,
    url: Option<&'a str>,
    sbom: Option<&'a str>,
    status: Status,
    error: Option<&'a str>,
    became_kev_after_release: Vec<LateKev<'a>>,
    /// The kevgate JSON report of this SBOM (`docs/json-report.md`), `null` when not checked.
    report: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct LateKev<'a> {
    id: &'a str,
    /// The CVE KEV lists (the finding's id or one of its aliases).
    cve: &'a str,
    package: &'a str,
    version: Option<&'a str>,
    purl: Option<&'a str>,
    kev_date_added: &'a str,
    kev_due_date: &'a str,
    decision: String,
}

/// The JSON document: `releases` holds one entry per watched SBOM, each with the full kevgate
/// JSON report of its evaluation (`docs/watch.md`).
pub fn write_json(w: &Watch, out: &mut dyn Write) -> io::Result<()> {
    let mut releases = Vec::new();
    for watched in &w.watched {
        let report = match &watched.checked {
            Checked::Evaluated(ev) => {
                let mut buf = Vec::new();
                crate::report::json::write(ev, &mut buf)?;
                Some(serde_json::from_slice(&buf).map_err(io::Error::from)?)
            }
            _ => None,
        };
        releases.push(Entry {
            release: &watched.release,
            published_at: watched.published.map(|t| t.to_string()),
            url: watched.url.as_deref(),
            sbom: watched.sbom.as_deref(),
            status: watched.status(),
            error: match &watched.checked {
                Checked::Error(e) => Some(e),
                _ => None,
            },
            became_kev_after_release: watched
                .kev_after()
                .into_iter()
                .map(|e| {
                    let (added, due) = kev_of(e);
                    LateKev {
                        id: &e.finding.id,
                        cve: e.finding.kev.as_ref().map_or("", |k| k.cve.as_str()),
                        package: &e.finding.component.name,
                        version: e.finding.component.version.as_deref(),
                        purl: e.finding.component.purl.as_deref(),
                        kev_date_added: added,
                        kev_due_date: due,
                        decision: crate::report::code(e.decision),
                    }
                })
                .collect(),
            report,
        });
    }
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        kind: "kevgate-watch",
        evaluated_on: w.today.to_string(),
        outcome: match w.outcome() {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
        },
        releases,
    };
    crate::output::write_json(out, &doc)
}

/// The Markdown job summary: a heading per watched SBOM and one table of its findings (those
/// that became KEV after the release first), at most `max_bytes` (later releases are cut to a
/// line when the budget runs out). Every value from a release, an asset or the SBOM is
/// escaped with [`text::markdown`].
pub fn markdown(w: &Watch, max_bytes: usize) -> String {
    let m = |s: &str| text::markdown(&text::one_line(s, 200));
    let mut out = String::new();
    let outcome = match w.outcome() {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Error => "error",
    };
    let _ = writeln!(
        out,
        "## kevgate watch: {outcome}\n\n{} SBOM{} re-checked against the database of {}.\n",
        w.watched.len(),
        if w.watched.len() == 1 { "" } else { "s" },
        w.today
    );
    for (i, watched) in w.watched.iter().enumerate() {
        let mut section = String::new();
        let published = watched
            .published
            .map(day)
            .unwrap_or_else(|| "unknown".into());
        let _ = writeln!(
            section,
            "### {} — {}\n\nPublished {published}; SBOM {}.\n",
            m(&watched.release),
            watched.status().as_str(),
            watched
                .sbom
                .as_deref()
                .map(m)
                .unwrap_or_else(|| "none".into())
        );
        match &watched.checked {
            Checked::NoSbom => {
                let _ = writeln!(
                    section,
                    "> [!NOTE]\n> This release has no SBOM asset (`*.cdx.json`, `*.spdx.json`, \
                     `*.cdx.xml`, `*.spdx.jsonld`, gzip'd too): it was not checked.\n"
                );
            }
            Checked::Error(e) => {
                let _ = writeln!(section, "> [!CAUTION]\n> Not checked: {}\n", m(e));
            }
            Checked::Evaluated(ev) => {
                let late = watched.kev_after();
                if watched.published.is_none() {
                    let _ = writeln!(
                        section,
                        "Publication date unknown: what became KEV after it cannot be told.\n"
                    );
                } else if late.is_empty() {
                    let _ = writeln!(section, "Nothing became KEV after this release.\n");
                } else {
                    let _ = writeln!(
                        section,
                        "**{} finding{} became KEV after this release.**\n",
                        late.len(),
                        if late.len() == 1 { "" } else { "s" }
                    );
                }
                let rest: Vec<&DecidedFinding> = ev
                    .findings
                    .iter()
                    .filter(|e| !late.iter().any(|l| std::ptr::eq(*l, *e)))
                    .collect();
                if late.is_empty() && rest.is_empty() {
                    let _ = writeln!(section, "No findings.\n");
                } else {
                    let _ = writeln!(
                        section,
                        "| Vulnerability | Package | Version | Severity | KEV added | Decision |\n\
                         |---|---|---|---|---|---|"
                    );
                    for (e, after) in late
                        .iter()
                        .map(|e| (*e, true))
                        .chain(rest.iter().map(|e| (*e, false)))
                    {
                        let (added, _) = kev_of(e);
                        let _ = writeln!(
                            section,
                            "| {}{} | {} | {} | {} | {} | {} |",
                            m(&e.finding.id),
                            if after { " (KEV after release)" } else { "" },
                            m(&e.finding.component.name),
                            m(e.finding.component.version.as_deref().unwrap_or("")),
                            crate::report::code(e.gate_severity),
                            m(added),
                            crate::report::code(e.decision)
                        );
                    }
                    section.push('\n');
                }
            }
        }
        if out.len() + section.len() > max_bytes.saturating_sub(200) {
            let _ = writeln!(
                out,
                "{} more SBOM{} left out of this summary (size limit); see the JSON report.",
                w.watched.len() - i,
                if w.watched.len() - i == 1 { "" } else { "s" }
            );
            break;
        }
        out.push_str(&section);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn at(s: &str) -> Option<jiff::Timestamp> {
        Some(s.parse().expect("timestamp"))
    }

    fn one(published: Option<jiff::Timestamp>, checked: Checked) -> Watched {
        Watched {
            release: "v1".into(),
            published,
            url: None,
            sbom: Some("a.cdx.json".into()),
            checked,
        }
    }

    /// The fixture's KEV findings were added on 2023-11-21 and 2025-01-23: a release the day
    /// before sees both, one on 2025-01-23 itself (late in the day) still sees the later one,
    /// one the day after sees none; an unknown date sees none.
    #[test]
    fn kev_after_by_day() {
        let ev = || Checked::Evaluated(Box::new(fixture::evaluation()));
        let added = |w: &Watched| -> Vec<String> {
            w.kev_after()
                .iter()
                .map(|e| e.finding.kev.as_ref().expect("kev").date_added.clone())
                .collect()
        };
        let all = added(&one(at("2023-11-20T23:59:59Z"), ev()));
        assert!(all.contains(&"2023-11-21".to_owned()) && all.contains(&"2025-01-23".to_owned()));
        let same_day = added(&one(at("2025-01-23T23:00:00Z"), ev()));
        assert!(!same_day.is_empty() && same_day.iter().all(|d| d == "2025-01-23"));
        assert!(added(&one(at("2025-01-24T00:00:00Z"), ev())).is_empty());
        assert!(added(&one(None, ev())).is_empty());
    }

    /// Any error is an error; a release without SBOM alone never passes; else any failure
    /// fails.
    #[test]
    fn outcomes() {
        let watch = |checked: Vec<Checked>| Watch {
            today: "2025-08-26".parse().expect("date"),
            watched: checked.into_iter().map(|c| one(None, c)).collect(),
        };
        let mut pass = fixture::evaluation();
        pass.verdict = Verdict::Pass;
        let fail = fixture::evaluation();
        assert_eq!(fail.verdict, Verdict::Fail);
        let p = || Checked::Evaluated(Box::new(pass.clone()));
        let f = || Checked::Evaluated(Box::new(fail.clone()));
        assert_eq!(watch(vec![p(), Checked::NoSbom]).outcome(), Outcome::Pass);
        assert_eq!(watch(vec![p(), f()]).outcome(), Outcome::Fail);
        assert_eq!(
            watch(vec![f(), Checked::Error("x".into())]).outcome(),
            Outcome::Error
        );
        assert_eq!(watch(vec![Checked::NoSbom]).outcome(), Outcome::Error);
        assert_eq!(watch(vec![]).outcome(), Outcome::Error);
        assert_eq!(watch(vec![p(), f()]).places().len(), 2);
        assert_eq!(watch(vec![p(), f()]).places()[0].0, "release:v1");
    }
}
