//! kevgate: a CI gate for software supply-chain vulnerabilities.
//!
//! The pipeline, one module per stage (types flow forward, each stage owns what it makes):
//!
//! ```text
//! sbom/           CycloneDX JSON/XML, SPDX -> Sbom { components }
//! vuln_id.rs      vulnerability ids        -> VulnId, IdKind (CVE, GHSA, MAL, distro advisory)
//! purl.rs, purl/  component identity       -> Purl, PackageId, PackageKey, Ecosystem
//! version.rs      per-ecosystem versions   -> Version, OSV range semantics
//! db.rs, db/      vulnerability data       -> VulnDb + Manifest (load: db.rs; build from feed
//!                                             files: db/build.rs, db/feeds/; the cache
//!                                             directory: db/cache.rs; downloads: db/update/)
//! note.rs         shared by the stages     -> Note, NoteCode (what is not a finding)
//! matching.rs     Sbom x VulnDb            -> Matches (+ notes for what could not be checked)
//! enrich.rs       Matches x VulnDb         -> Vec<Finding> (CVSS, KEV, EPSS by CVE/alias)
//! baseline.rs     Findings x base findings -> Comparison (introduced, unchanged, fixed)
//! policy.rs       Findings x Policy, today -> Decided { DecidedFinding.., notes, verdict }
//! remediation.rs  decided findings         -> Vec<Remediation> (upgrade plan per component)
//! evaluation.rs   the core's result        -> Evaluation, Subject, DbOrigin
//! config.rs       .kevgate.yaml            -> Config, and Config x Overrides -> Policy
//! report/         Evaluation               -> table | JSON | Markdown | SARIF
//! github/         Evaluation + rendered    -> check run, PR comment, step summary
//! cli/            reads files, env, clock; writes outputs (args, scan, db, policy, action)
//! main.rs         result -> exit code
//! ```
//!
//! The core ([`evaluate`]) is pure and synchronous: it takes the parsed SBOM, the loaded
//! database, the policy, today's date and what the CLI knows about them ([`Inputs`]), and
//! returns a finished [`Evaluation`] whose verdict every reporter and the exit code read:
//! nothing patches it afterwards, and the notes are sorted once, there. Nothing the core runs
//! touches the file system, the network, the environment or the clock: only `db update`'s
//! side of `db/` does (`db/cache.rs`, `db/update.rs`), called by the CLI. No core module
//! imports a renderer, the GitHub code or the CLI (tested in `src/import_graph.rs`).

pub mod atomic_file;
pub mod attestation;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod cvss;
pub mod db;
pub mod enrich;
pub mod evaluation;
pub mod github;
pub mod http;
#[cfg(test)]
mod import_graph;
pub mod matching;
pub mod names;
pub mod note;
pub mod notify;
pub mod output;
pub mod parallel;
pub mod policy;
pub mod policy_check;
pub mod priority;
pub mod purl;
pub mod remediation;
pub mod report;
pub mod sbom;
pub mod text;
pub mod tls;
pub mod track;
pub mod trivyignore;
pub mod version;
pub mod vex;
pub mod vuln_id;
pub mod weekly;
pub mod workspace;

#[cfg(test)]
mod tests;

pub use evaluation::{Evaluation, FindingOrder};
pub use policy::{Policy, Verdict};

/// What the core reads. Everything the [`Evaluation`] holds is decided from these.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    /// The parsed SBOM.
    pub sbom: &'a sbom::Sbom,
    /// The loaded database.
    pub db: &'a db::VulnDb,
    /// The gate's rules.
    pub policy: &'a Policy,
    /// The date the gate is evaluated on.
    pub today: jiff::civil::Date,
    /// Which database `db` is (`--db`, `KEVGATE_DB`, the cache, the bundled demo) and its
    /// file; its age is computed here from `today`. Default: `flag`, no path.
    pub db_origin: evaluation::DbOriginKind,
    /// The database file, unless bundled. Default: none.
    pub db_path: Option<String>,
    /// The SBOM file as given on the command line, for report headers. Default: empty.
    pub sbom_path: String,
    /// Notes made while loading the policy files: trivy ignore entries that cannot apply,
    /// VEX statements about another product, exceptions that could not be compared.
    /// Default: none.
    pub notes: Vec<note::Note>,
    /// The order of the findings. Default: [`FindingOrder::Severity`].
    pub order: FindingOrder,
}

impl<'a> Inputs<'a> {
    /// The inputs with the defaults for everything but the SBOM, database, policy and date.
    pub fn new(
        sbom: &'a sbom::Sbom,
        db: &'a db::VulnDb,
        policy: &'a Policy,
        today: jiff::civil::Date,
    ) -> Inputs<'a> {
        Inputs {
            sbom,
            db,
            policy,
            today,
            db_origin: evaluation::DbOriginKind::default(),
            db_path: None,
            sbom_path: String::new(),
            notes: Vec::new(),
            order: FindingOrder::default(),
        }
    }
}

/// Runs the whole core: match every component, enrich the matches, apply the policy, plan
/// the remediation, and sort the notes (by code then message) once, at the end.
///
/// Pure: the same inputs give the same [`Evaluation`], sorted for stable output. A database
/// record that cannot be decoded is the error, naming the record: the gate never decides on
/// a database it could not read.
pub fn evaluate(inputs: Inputs<'_>) -> Result<Evaluation, db::DbError> {
    let Inputs {
        sbom,
        db,
        policy,
        today,
        db_origin,
        db_path,
        sbom_path,
        notes: policy_file_notes,
        order,
    } = inputs;
    let matches = matching::find(sbom, db, policy.rhel_stream.as_ref())?;
    let findings = enrich::enrich(matches.matches, sbom, db, &policy.severity_source)?;
    let decided = policy::apply(findings, db, policy, today)?;
    let mut findings = decided.findings;
    if order == FindingOrder::Priority {
        // Stable: ties keep the policy's order.
        findings.sort_by_key(|e| e.priority);
    }
    let mut notes = matches.notes;
    notes.extend(decided.notes);
    notes.extend(policy_file_notes);
    if db_origin == evaluation::DbOriginKind::Bundled {
        let data_date = db
            .data_date()
            .map(|d| d.to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        notes.push(note::Note {
            code: note::NoteCode::BundledDb,
            message: format!(
                "the demo database bundled in kevgate was used (data from {data_date}): \
                 not fit to gate real builds; run `kevgate db update` or pass `--db`"
            ),
            component: None,
        });
    }
    notes.sort_by(|a, b| (a.code, &a.message).cmp(&(b.code, &b.message)));
    notes.dedup();
    let remediation = remediation::plan(&findings);
    Ok(Evaluation {
        findings,
        notes,
        verdict: decided.verdict,
        policy: policy.clone(),
        db: db.manifest().clone(),
        db_origin: evaluation::DbOrigin {
            kind: db_origin,
            path: db_path,
            age_days: db.age_days(today),
        },
        subject: evaluation::Subject {
            sbom_path,
            name: sbom.subject.as_ref().map(|c| c.name.to_string()),
            components: sbom.components.len(),
            tool: sbom.tools.first().cloned(),
        },
        today,
        fixed: decided.fixed,
        remediation,
    })
}
