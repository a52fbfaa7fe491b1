//! New versus base: the findings of an earlier scan (the base branch's SBOM, evaluated with
//! the same database, or an earlier kevgate JSON report), so a pull request is judged on
//! what it introduces.
//!
//! Pure, and blind to the policy: the CLI (`cli/scan.rs`) reads the file and, for an SBOM,
//! evaluates it; [`Baseline::compare`] sorts current findings into `introduced` and
//! `unchanged`. A finding is `unchanged` when the base has the same vulnerability (any id or
//! alias in common) in the same package (purl without version, qualifiers and subpath,
//! case-insensitive; the name when there is no purl), whatever the version: bumping a package to another vulnerable version is not a new
//! problem. Otherwise it is `introduced`. Base findings no current finding matches are
//! `fixed`. The verdict stays in `policy.rs`, which holds the [`Baseline`] in its policy
//! and decides what `fail-on-new-only` makes of a change.

use crate::enrich::Finding;
use serde::{Deserialize, Serialize};

/// Largest baseline read (an SBOM or a JSON report): 1 GiB, as the SBOM.
pub const MAX_BYTES: u64 = 1 << 30;

/// Findings of the base scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Where it came from, for messages.
    pub source: String,
    /// One entry per base finding.
    pub entries: Vec<Entry>,
}

/// One base finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The id shown, then its aliases.
    pub ids: Vec<String>,
    /// The package identity (see the module docs).
    pub package: String,
    /// The purl as written, if any.
    pub purl: Option<String>,
    /// `name@version`.
    pub label: String,
}

/// Whether a finding is new against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Not in the base.
    Introduced,
    /// Already in the base.
    Unchanged,
}

/// A baseline file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("baseline `{file}` is not a kevgate JSON report: {reason}")]
pub struct BaselineError {
    /// The file.
    pub file: String,
    /// What is wrong.
    pub reason: String,
}

/// Whether a base finding is a current one (by id or alias, and package).
pub fn matches(entry: &Entry, ids: &[&str], package: &str) -> bool {
    entry.package == package
        && entry
            .ids
            .iter()
            .any(|a| ids.iter().any(|b| a.eq_ignore_ascii_case(b)))
}

/// The current findings against the base: what [`Baseline::compare`] finds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// One change per current finding, in the order given.
    pub changes: Vec<Change>,
    /// Base entries no current finding matches: fixed since.
    pub fixed: Vec<Entry>,
}

impl Baseline {
    /// The findings of an evaluated base SBOM (ignored ones included: they exist).
    pub fn from_findings<'a>(
        findings: impl IntoIterator<Item = &'a Finding>,
        source: &str,
    ) -> Baseline {
        let entries = findings
            .into_iter()
            .map(|f| Entry {
                ids: std::iter::once(f.id.to_string())
                    .chain(f.aliases.iter().cloned())
                    .collect(),
                package: f.component.package.key(),
                purl: f.component.purl.clone(),
                label: f.component.label(),
            })
            .collect();
        Baseline {
            source: source.to_owned(),
            entries,
        }
    }

    /// Compares `findings` with the base: a finding is `unchanged` when a base entry has one
    /// of its ids in the same package, else `introduced`; the base entries left are `fixed`.
    pub fn compare(&self, findings: &[Finding]) -> Comparison {
        let mut used = vec![false; self.entries.len()];
        let changes = findings
            .iter()
            .map(|f| {
                let ids: Vec<&str> = std::iter::once(f.id.as_str())
                    .chain(f.aliases.iter().map(String::as_str))
                    .collect();
                let package = f.component.package.key();
                let mut found = false;
                for (entry, used) in self.entries.iter().zip(used.iter_mut()) {
                    if matches(entry, &ids, &package) {
                        *used = true;
                        found = true;
                    }
                }
                if found {
                    Change::Unchanged
                } else {
                    Change::Introduced
                }
            })
            .collect();
        let fixed = self
            .entries
            .iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
            .map(|(e, _)| e.clone())
            .collect();
        Comparison { changes, fixed }
    }

    /// The findings of an earlier kevgate JSON report (`docs/json-report.md`).
    pub fn from_report(bytes: &[u8], source: &str) -> Result<Baseline, BaselineError> {
        let report: ReportDto = serde_json::from_slice(bytes).map_err(|e| BaselineError {
            file: source.to_owned(),
            reason: crate::text::parser_message(&e.to_string()),
        })?;
        let entries = report
            .findings
            .into_iter()
            .map(|f| {
                let name = f.component.name.unwrap_or_default();
                let label = match &f.component.version {
                    Some(v) => format!("{name}@{v}"),
                    None => name.clone(),
                };
                Entry {
                    ids: std::iter::once(f.id.to_string()).chain(f.aliases).collect(),
                    package: crate::purl::PackageKey::of(f.component.purl.as_deref(), &name).key(),
                    purl: f.component.purl,
                    label,
                }
            })
            .collect();
        Ok(Baseline {
            source: source.to_owned(),
            entries,
        })
    }

    /// Whether `bytes` look like a kevgate JSON report rather than an SBOM.
    pub fn is_report(bytes: &[u8]) -> bool {
        serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| {
            v.get("schema_version").is_some() && v.get("findings").is_some_and(|f| f.is_array())
        })
    }
}

#[derive(Deserialize)]
struct ReportDto {
    findings: Vec<FindingDto>,
}

#[derive(Deserialize)]
struct FindingDto {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    component: ComponentDto,
}

#[derive(Deserialize)]
struct ComponentDto {
    purl: Option<String>,
    name: Option<String>,
    version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Package identity drops version, qualifiers and subpath; names stand in for purls.
    #[test]
    fn identities() {
        let cases = [
            (Some("pkg:npm/jquery@3.4.1"), "jquery", "pkg:npm/jquery"),
            (
                Some("pkg:maven/org.Apache/x@1?type=jar#sub"),
                "x",
                "pkg:maven/org.apache/x",
            ),
            (
                Some("pkg:npm/%40babel/core@7"),
                "core",
                "pkg:npm/%40babel/core",
            ),
            (
                Some("pkg:golang/golang.org/x/net"),
                "net",
                "pkg:golang/golang.org/x/net",
            ),
            (None, "Foo", "name:foo"),
        ];
        for (purl, name, want) in cases {
            assert_eq!(crate::purl::PackageKey::of(purl, name).key(), want);
        }
    }

    /// A finding with `id`, `aliases` in the component `purl` (none: the name `foo`).
    fn finding(id: &str, aliases: &[&str], purl: Option<&str>) -> Finding {
        let mut f = crate::report::fixture::evaluation().findings[0]
            .finding
            .clone();
        f.id = id.into();
        f.aliases = aliases.iter().map(|a| (*a).to_owned()).collect();
        f.component
            .set_purl(purl.map(str::to_owned), "foo".to_owned());
        f
    }

    /// A current finding is `unchanged` when a base finding shares an id or alias (any case)
    /// in the same package (any version, qualifiers, or the name without a purl); base
    /// findings nothing matches are `fixed`.
    #[test]
    fn compare_findings() {
        use Change::{Introduced, Unchanged};
        let base = Baseline::from_findings(
            &[
                finding(
                    "CVE-2020-11023",
                    &["GHSA-jpcq-cgw6-v4j6"],
                    Some("pkg:npm/jquery@3.4.1"),
                ),
                finding("GHSA-aaaa", &[], Some("pkg:npm/lodash@4.17.20")),
                finding("CVE-2021-1", &[], None),
                finding("CVE-2099-9", &[], Some("pkg:npm/gone@1.0.0")),
            ],
            "base.json",
        );
        let cases = [
            (
                finding("CVE-2020-11023", &[], Some("pkg:npm/jquery@3.4.1")),
                Unchanged,
            ),
            (
                finding("ghsa-jpcq-cgw6-v4j6", &[], Some("pkg:npm/jquery@3.5.0?x=1")),
                Unchanged,
            ),
            (
                finding("CVE-9", &["GHSA-AAAA"], Some("pkg:npm/lodash@4.17.21")),
                Unchanged,
            ),
            (finding("CVE-2021-1", &[], None), Unchanged),
            (
                finding("CVE-2020-11023", &[], Some("pkg:npm/jquery-ui@1.0")),
                Introduced,
            ),
            (
                finding("CVE-2020-11024", &[], Some("pkg:npm/jquery@3.4.1")),
                Introduced,
            ),
            (
                finding("CVE-2021-1", &[], Some("pkg:npm/foo@1")),
                Introduced,
            ),
        ];
        let current: Vec<Finding> = cases.iter().map(|(f, _)| f.clone()).collect();
        let comparison = base.compare(&current);
        let want: Vec<Change> = cases.iter().map(|(_, c)| *c).collect();
        assert_eq!(comparison.changes, want);
        let fixed: Vec<Option<&str>> = comparison.fixed.iter().map(|e| e.purl.as_deref()).collect();
        assert_eq!(fixed, [Some("pkg:npm/gone@1.0.0")]);
    }

    /// A report parses leniently; anything else is an error, never a panic.
    #[test]
    fn reports() {
        let ok = br#"{"schema_version":"1","findings":[{"id":"CVE-1","aliases":["GHSA-x"],
            "component":{"purl":"pkg:npm/a@1","name":"a","version":"1"},"extra":1}]}"#;
        assert!(Baseline::is_report(ok));
        let b = Baseline::from_report(ok, "r.json").expect("valid");
        assert_eq!(b.entries[0].ids, ["CVE-1", "GHSA-x"]);
        assert!(matches(&b.entries[0], &["ghsa-X"], "pkg:npm/a"));
        assert!(!matches(&b.entries[0], &["CVE-2"], "pkg:npm/a"));
        for bad in [&b""[..], b"{}", b"[]", b"{\"findings\": 1}"] {
            assert!(!Baseline::is_report(bad));
            assert!(Baseline::from_report(bad, "r").is_err());
        }
    }
}
