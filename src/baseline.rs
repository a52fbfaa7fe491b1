//! New versus base: the findings of an earlier scan (the base branch's SBOM, evaluated with
//! the same database, or an earlier kevgate JSON report), so a pull request is judged on
//! what it introduces.
//!
//! Pure: `cli.rs` reads the file and, for an SBOM, evaluates it. A finding is `unchanged`
//! when the base has the same vulnerability (any id or alias in common) in the same package
//! (purl without version, qualifiers and subpath, case-insensitive; the name when there is no
//! purl), whatever the version: bumping a package to another vulnerable version is not a new
//! problem. Otherwise it is `introduced`. Base findings no current finding matches are
//! `fixed`. The verdict stays in `policy.rs`, which reads [`Baseline`] through the
//! [`Policy`](crate::policy::Policy).

use crate::policy::Evaluation;
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

/// The package identity of a purl: type/namespace/name, lower case.
pub fn package_identity(purl: Option<&str>, name: &str) -> String {
    match purl {
        Some(p) => {
            let end = p.find(['?', '#']).unwrap_or(p.len());
            let p = &p[..end];
            let name_start = p.rfind('/').map_or(0, |i| i + 1);
            let base = match p[name_start..].rfind('@') {
                Some(at) => &p[..name_start + at],
                None => p,
            };
            base.to_ascii_lowercase()
        }
        None => format!("name:{}", name.to_ascii_lowercase()),
    }
}

/// Whether a base finding is a current one (by id or alias, and package).
pub fn matches(entry: &Entry, ids: &[&str], package: &str) -> bool {
    entry.package == package
        && entry
            .ids
            .iter()
            .any(|a| ids.iter().any(|b| a.eq_ignore_ascii_case(b)))
}

impl Baseline {
    /// The findings of an evaluated base SBOM (ignored ones included: they exist).
    pub fn from_evaluation(ev: &Evaluation, source: &str) -> Baseline {
        let entries = ev
            .findings
            .iter()
            .map(|e| {
                let f = &e.finding;
                Entry {
                    ids: std::iter::once(f.id.clone())
                        .chain(f.aliases.iter().cloned())
                        .collect(),
                    package: package_identity(f.component.purl.as_deref(), &f.component.name),
                    purl: f.component.purl.clone(),
                    label: crate::report::package_label(&f.component),
                }
            })
            .collect();
        Baseline {
            source: source.to_owned(),
            entries,
        }
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
                    ids: std::iter::once(f.id).chain(f.aliases).collect(),
                    package: package_identity(f.component.purl.as_deref(), &name),
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
            assert_eq!(package_identity(purl, name), want);
        }
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
