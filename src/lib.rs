//! kevgate: a CI gate for software supply-chain vulnerabilities.
//!
//! The pipeline, one module per stage (types flow forward, each stage owns what it makes):
//!
//! ```text
//! sbom/        CycloneDX JSON/XML, SPDX -> Sbom { components }
//! purl.rs      component identity       -> Purl, PackageId, Ecosystem
//! version.rs   per-ecosystem versions   -> Version, OSV range semantics
//! db.rs, db/   vulnerability data       -> VulnDb + Manifest (db/build.rs reads the feeds)
//! matching.rs  Sbom x VulnDb            -> Matches (+ notes for what could not be checked)
//! enrich.rs    Matches x VulnDb         -> Vec<Finding> (CVSS, KEV, EPSS by CVE/alias)
//! policy.rs    Findings x Policy, today -> Evaluation { findings, notes, verdict }
//! config.rs    .kevgate.yaml            -> Config (merged with flags into a Policy)
//! report/      Evaluation               -> table | JSON | Markdown | SARIF
//! cli.rs       reads files, env, clock; writes outputs. main.rs: result -> exit code
//! ```
//!
//! The core ([`evaluate`]) is pure and synchronous: it takes the parsed SBOM, the loaded
//! database, the policy and today's date, and returns an [`Evaluation`] whose verdict every
//! reporter and the exit code read. Nothing below `cli.rs` touches the file system, the
//! environment or the clock.

pub mod attestation;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod cvss;
pub mod db;
pub mod enrich;
pub mod github;
pub mod http;
pub mod matching;
pub mod output;
pub mod policy;
pub mod policy_test;
pub mod priority;
pub mod purl;
pub mod remediation;
pub mod report;
pub mod sbom;
pub mod text;
pub mod tls;
pub mod trivyignore;
pub mod version;
pub mod vex;
pub mod workspace;

pub use policy::{Evaluation, Policy, Verdict};

/// Runs the whole core: match every component, enrich the matches, apply the policy.
///
/// Pure: the same inputs give the same [`Evaluation`], sorted for stable output. A database
/// record that cannot be decoded is the error, naming the record: the gate never decides on
/// a database it could not read.
pub fn evaluate(
    sbom: &sbom::Sbom,
    db: &db::VulnDb,
    policy: &Policy,
    today: jiff::civil::Date,
) -> Result<Evaluation, db::DbError> {
    let matches = matching::find(sbom, db, policy.rhel_stream.as_ref())?;
    let findings = enrich::enrich(&matches, sbom, db, &policy.severity_source)?;
    let mut evaluation = policy::evaluate(findings, matches.notes, db, policy, today)?;
    evaluation.subject = policy::Subject {
        sbom_path: String::new(),
        name: sbom.subject.as_ref().map(|c| c.name.clone()),
        components: sbom.components.len(),
        tool: sbom.tools.first().cloned(),
    };
    Ok(evaluation)
}
