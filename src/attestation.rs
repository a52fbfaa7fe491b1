//! The gate attestation: an in-toto Statement v1 saying what kevgate decided about what it
//! scanned (issue 13, item 3), for `actions/attest` to sign and `gh attestation verify
//! --predicate-type` to check before a deploy. Schema and choices: `docs/attestation.md`.
//!
//! Pure: it reads the [`Evaluation`] and facts the CLI measured (the SBOM file's and the
//! database file's sha256, kevgate's version); the CLI (`cli/scan.rs`, `cli/action.rs`) writes the result.
//!
//! - The **subject** is the image the SBOM names, when its `metadata.component` purl is
//!   `pkg:oci/NAME@sha256:HEX` (trivy writes the image's repository digest there: the manifest
//!   digest registries, `actions/attest` and `gh attestation verify oci://` use); else the SBOM
//!   file itself, by its sha256 and file name. trivy's `ImageID` (the config blob's digest) is
//!   not a subject: nothing that verifies an image matches on it.
//! - The **policy digest** is the sha256 of a canonical JSON of the effective policy (flags
//!   over the config, every ignore from the config, trivy ignore files, VEX documents and the
//!   SBOM's own VEX, the baseline): what decided the verdict, which the policy files' bytes
//!   alone are not (`--fail-on` is not in a file).
//! - The **findings digest** is the sha256 of a canonical JSON of the sorted
//!   `[id, purl, decision]` triples: any change of a finding, its package or its decision
//!   changes it.

use crate::evaluation::{Counts, Evaluation};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// `predicateType` of kevgate's gate predicate (`docs/attestation.md`).
pub const PREDICATE_TYPE: &str = "https://kevgate.dev/attestation/gate/v1";

/// An in-toto Statement v1.
#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    /// [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub ty: &'static str,
    /// What was scanned: one descriptor.
    pub subject: Vec<ResourceDescriptor>,
    /// [`PREDICATE_TYPE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: &'static str,
    /// What kevgate decided.
    pub predicate: Predicate,
}

/// An in-toto ResourceDescriptor (the fields kevgate fills).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceDescriptor {
    /// Image name (registry/repository, no tag) or file name.
    pub name: String,
    /// The purl the SBOM gave the image, if it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Algorithm -> lowercase hex.
    pub digest: BTreeMap<String, String>,
}

impl ResourceDescriptor {
    fn sha256(name: String, uri: Option<String>, hex: &str) -> ResourceDescriptor {
        ResourceDescriptor {
            name,
            uri,
            digest: BTreeMap::from([("sha256".to_owned(), hex.to_owned())]),
        }
    }
}

/// The predicate of [`PREDICATE_TYPE`]; keys in camelCase, as in-toto's own predicates.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Predicate {
    /// `pass` or `fail`: the gate's verdict.
    pub verdict: String,
    /// The date the gate was evaluated on (YYYY-MM-DD).
    pub evaluated_on: String,
    /// `{name: kevgate, version}`.
    pub scanner: Scanner,
    /// The SBOM file that was read (the subject, or how the image subject was described).
    pub sbom: Sbom,
    /// The effective policy and its digest.
    pub policy: PolicySummary,
    /// The database.
    pub database: Database,
    /// Finding counts, as the JSON report's `counts`.
    pub counts: Counts,
    /// The digest of the findings.
    pub findings: Findings,
}

/// kevgate itself.
#[derive(Debug, Clone, Serialize)]
pub struct Scanner {
    /// `kevgate`.
    pub name: &'static str,
    /// Its version.
    pub version: String,
}

/// The SBOM read.
#[derive(Debug, Clone, Serialize)]
pub struct Sbom {
    /// Its file name.
    pub name: String,
    /// Its sha256 (of the file as read, before any gunzip).
    pub digest: BTreeMap<String, String>,
    /// The producer (`trivy 0.76.0`), if named.
    pub tool: Option<String>,
    /// Components in it.
    pub components: usize,
}

/// The effective policy.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySummary {
    /// sha256 of the canonical JSON ([`canonical_policy`]).
    pub digest: BTreeMap<String, String>,
    /// `fail-on`.
    pub fail_on: String,
    /// Whether KEV findings fail.
    pub fail_on_kev: bool,
    /// Whether known-malicious versions fail.
    pub fail_on_malicious: bool,
    /// Exceptions in force (ignores and VEX statements).
    pub exceptions: usize,
}

/// The database.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Database {
    /// `flag`, `env`, `cache` or `bundled` (the demo snapshot: not fit to gate).
    pub origin: String,
    /// sha256 of the database file as loaded.
    pub digest: BTreeMap<String, String>,
    /// When it was built.
    pub built_at: String,
    /// One per feed.
    pub sources: Vec<Source>,
}

/// One feed of the database.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// `kev`, `nvd`, `osv`, `epss`, `jvn`.
    pub name: String,
    /// Newest data date.
    pub data_date: Option<String>,
    /// Records kept.
    pub records: u64,
    /// sha256 over the feed's input files.
    pub sha256: String,
}

/// The findings, by digest.
#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    /// sha256 of the canonical JSON ([`canonical_findings`]).
    pub digest: BTreeMap<String, String>,
}

/// What the CLI measured for the statement.
#[derive(Debug, Clone)]
pub struct Facts {
    /// kevgate's version.
    pub version: String,
    /// The SBOM's file name (no directories).
    pub sbom_name: String,
    /// sha256 (hex) of the SBOM file.
    pub sbom_sha256: String,
    /// sha256 (hex) of the database file.
    pub db_sha256: String,
}

/// The statement for `ev`; `image` is the SBOM's `metadata.component` purl, if any.
pub fn statement(ev: &Evaluation, image: Option<&str>, facts: &Facts) -> Statement {
    let sha = |hex: String| BTreeMap::from([("sha256".to_owned(), hex)]);
    Statement {
        ty: STATEMENT_TYPE,
        subject: vec![subject(image, &facts.sbom_name, &facts.sbom_sha256)],
        predicate_type: PREDICATE_TYPE,
        predicate: Predicate {
            verdict: crate::report::code(ev.verdict),
            evaluated_on: ev.today.to_string(),
            scanner: Scanner {
                name: "kevgate",
                version: facts.version.clone(),
            },
            sbom: Sbom {
                name: facts.sbom_name.clone(),
                digest: sha(facts.sbom_sha256.clone()),
                tool: ev.subject.tool.clone(),
                components: ev.subject.components,
            },
            policy: PolicySummary {
                digest: sha(sha256_hex(canonical_policy(&ev.policy).as_bytes())),
                fail_on: crate::report::code(ev.policy.fail_on),
                fail_on_kev: ev.policy.fail_on_kev,
                fail_on_malicious: ev.policy.fail_on_malicious,
                exceptions: ev.policy.ignores.len(),
            },
            database: Database {
                origin: crate::report::code(ev.db_origin.kind),
                digest: sha(facts.db_sha256.clone()),
                built_at: ev.db.built_at.clone(),
                sources: ev
                    .db
                    .sources
                    .iter()
                    .map(|s| Source {
                        name: s.name.clone(),
                        data_date: s.data_date.clone(),
                        records: s.records,
                        sha256: s.sha256.clone(),
                    })
                    .collect(),
            },
            counts: ev.counts(),
            findings: Findings {
                digest: sha(sha256_hex(canonical_findings(ev).as_bytes())),
            },
        },
    }
}

/// What was scanned: the image `image` names when it is a `pkg:oci` purl whose version is a
/// sha256 digest, else the SBOM file.
pub fn subject(image: Option<&str>, sbom_name: &str, sbom_sha256: &str) -> ResourceDescriptor {
    if let Some((name, hex)) = image.and_then(oci_digest) {
        return ResourceDescriptor::sha256(name, image.map(str::to_owned), &hex);
    }
    ResourceDescriptor::sha256(sbom_name.to_owned(), None, sbom_sha256)
}

/// (image name, sha256 hex) of a `pkg:oci/NAME@sha256:HEX` purl. The name is the
/// `repository_url` qualifier (`index.docker.io/library/alpine`, as `actions/attest` wants
/// `subject-name`), else the purl's name.
fn oci_digest(purl: &str) -> Option<(String, String)> {
    let purl = crate::purl::Purl::parse(purl).ok()?;
    if purl.ty != "oci" {
        return None;
    }
    let hex = purl.version.as_deref()?.strip_prefix("sha256:")?;
    let valid = hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !valid {
        return None;
    }
    let name = purl
        .qualifier("repository_url")
        .filter(|r| !r.is_empty())
        .map_or_else(|| purl.name.clone(), str::to_owned);
    Some((name, hex.to_owned()))
}

/// sha256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The canonical JSON of the findings: a compact array of `[id, purl or null, decision]`,
/// sorted (byte order of id, then purl, then decision), keys none, no whitespace.
pub fn canonical_findings(ev: &Evaluation) -> String {
    let mut rows: Vec<(&str, Option<&str>, String)> = ev
        .findings
        .iter()
        .map(|e| {
            (
                e.finding.id.as_str(),
                e.finding.component.purl.as_deref(),
                crate::report::code(e.decision),
            )
        })
        .collect();
    rows.sort();
    serde_json::to_string(&rows).expect("strings and null serialise")
}

/// The effective policy as canonical JSON: one compact object, keys in a fixed order (the
/// order below), lists sorted.
pub fn canonical_policy(policy: &crate::Policy) -> String {
    #[derive(Serialize)]
    struct Ignore<'a> {
        id: &'a str,
        purls: Vec<&'a str>,
        expires: Option<String>,
        source: String,
        reason: &'a str,
    }
    /// A base finding: ids, purl, package identity.
    type BaseEntry<'a> = (Vec<&'a str>, Option<&'a str>, &'a str);
    #[derive(Serialize)]
    struct Canonical<'a> {
        fail_on: String,
        fail_on_kev: bool,
        fail_on_malicious: bool,
        fail_on_ransomware: bool,
        fail_on_kev_past_due: bool,
        fail_on_epss: Option<f64>,
        only_fixable: bool,
        fail_on_new_only: bool,
        severity_source: Vec<&'static str>,
        rhel_stream: Option<String>,
        ignores: Vec<Ignore<'a>>,
        baseline: Option<Vec<BaseEntry<'a>>>,
    }
    let mut ignores: Vec<Ignore<'_>> = policy
        .ignores
        .iter()
        .map(|i| {
            let mut purls: Vec<&str> = i.purls.iter().map(String::as_str).collect();
            purls.sort_unstable();
            Ignore {
                id: &i.id,
                purls,
                expires: i.expires.map(|d| d.to_string()),
                source: crate::report::code(i.source),
                reason: &i.reason,
            }
        })
        .collect();
    ignores.sort_by(|a, b| {
        (a.id, &a.purls, &a.expires, &a.source, a.reason)
            .cmp(&(b.id, &b.purls, &b.expires, &b.source, b.reason))
    });
    let baseline = policy.baseline.as_ref().map(|b| {
        let mut entries: Vec<_> = b
            .entries
            .iter()
            .map(|e| {
                (
                    e.ids.iter().map(String::as_str).collect::<Vec<_>>(),
                    e.purl.as_deref(),
                    e.package.as_str(),
                )
            })
            .collect();
        entries.sort();
        entries
    });
    let canonical = Canonical {
        fail_on: crate::report::code(policy.fail_on),
        fail_on_kev: policy.fail_on_kev,
        fail_on_malicious: policy.fail_on_malicious,
        fail_on_ransomware: policy.fail_on_ransomware,
        fail_on_kev_past_due: policy.fail_on_kev_past_due,
        fail_on_epss: policy.fail_on_epss,
        only_fixable: policy.only_fixable,
        fail_on_new_only: policy.fail_on_new_only,
        severity_source: policy.severity_source.iter().map(|s| s.as_str()).collect(),
        rhel_stream: policy.rhel_stream.as_ref().map(ToString::to_string),
        ignores,
        baseline,
    };
    serde_json::to_string(&canonical).expect("plain data serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            version: "0.1.0".into(),
            sbom_name: "sbom.cdx.json".into(),
            sbom_sha256: sha256_hex(b"sbom"),
            db_sha256: sha256_hex(b"db"),
        }
    }

    /// A `pkg:oci` purl with a sha256 version names the image; anything else names the file.
    #[test]
    fn subject_is_the_image_digest_else_the_file() {
        let hex = "bbbe815b64509393a26931d87925ab32c2e1c99f04693140f6fadd3f9f6e6163";
        let purl = format!(
            "pkg:oci/backend@sha256:{hex}?arch=amd64&repository_url=index.docker.io%2Fcloud-native-devops-platform%2Fbackend"
        );
        let s = subject(Some(&purl), "sbom.json", "ff");
        assert_eq!(
            s.name,
            "index.docker.io/cloud-native-devops-platform/backend"
        );
        assert_eq!(s.digest["sha256"], hex);
        assert_eq!(s.uri.as_deref(), Some(purl.as_str()));
        for other in [
            None,
            Some("pkg:npm/left-pad@1.3.0"),
            Some("pkg:oci/backend@sha256:ABC"),
            Some("pkg:oci/backend@latest"),
            Some("not a purl"),
        ] {
            let s = subject(other, "sbom.json", "ff");
            assert_eq!(
                (s.name.as_str(), s.digest["sha256"].as_str()),
                ("sbom.json", "ff")
            );
            assert_eq!(s.uri, None);
        }
    }

    /// The findings digest follows the (id, purl, decision) set, not the order.
    #[test]
    fn findings_digest_tracks_findings() {
        let ev = crate::report::fixture::evaluation();
        let base = canonical_findings(&ev);
        let mut reordered = ev.clone();
        reordered.findings.reverse();
        assert_eq!(canonical_findings(&reordered), base);
        let mut changed = ev.clone();
        changed.findings[0].decision = crate::policy::Decision::Ignored;
        assert_ne!(canonical_findings(&changed), base);
        let mut upgraded = ev.clone();
        upgraded.findings[0].finding.component.purl = Some("pkg:npm/jquery@3.5.0".into());
        assert_ne!(canonical_findings(&upgraded), base);
    }

    /// The policy digest changes with a threshold or an ignore, not with the ignores' order.
    #[test]
    fn policy_digest_tracks_the_effective_policy() {
        let ev = crate::report::fixture::evaluation();
        let base = statement(&ev, None, &facts()).predicate.policy.digest;
        let mut stricter = ev.clone();
        stricter.policy.fail_on = crate::policy::FailOn::High;
        assert_ne!(
            statement(&stricter, None, &facts()).predicate.policy.digest,
            base
        );
        let mut ignoring = ev.clone();
        ignoring.policy.ignores.push(crate::policy::Ignore {
            id: "CVE-2024-2236".into(),
            reason: "not reachable".into(),
            expires: None,
            purls: vec![],
            source: crate::policy::IgnoreSource::Config,
            origin: ".kevgate.yaml".into(),
        });
        let one = statement(&ignoring, None, &facts()).predicate.policy.digest;
        assert_ne!(one, base);
        let mut two = ignoring.clone();
        two.policy.ignores.push(crate::policy::Ignore {
            id: "CVE-2020-11023".into(),
            ..two.policy.ignores[0].clone()
        });
        let mut swapped = two.clone();
        swapped.policy.ignores.reverse();
        assert_eq!(
            statement(&two, None, &facts()).predicate.policy.digest,
            statement(&swapped, None, &facts()).predicate.policy.digest
        );
    }
}
