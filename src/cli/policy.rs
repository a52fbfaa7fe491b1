//! The policy files and `kevgate policy test`.
//!
//! [`read_policy_files`] reads `.kevgate.yaml` (or `--config`), `.trivyignore`,
//! `.trivyignore.yaml` and the config's `vex` documents from the workspace, confined and
//! size-capped, and parses what does not depend on the SBOM, so their errors come before any
//! scanning. [`assemble`] turns them, the [`Overrides`] of flags or action inputs and the
//! scanned SBOM into the gate's [`Policy`] through the one conversion
//! ([`crate::config::Config::to_policy`]). `scan`, `action` and `policy test` all use both,
//! so `policy test` judges its cases by the policy a scan would apply (VEX, trivy ignores,
//! `severity-source` included).

use super::args::PolicyTestArgs;
use super::{Io, Outcome, today};
use crate::config::Overrides;
use crate::note::{Note, NoteCode};
use crate::policy::{Ignore, Policy};
use crate::workspace::{NamedBy, POLICY_FILE_MAX_BYTES, Workspace};
use anyhow::Context as _;
use std::io::Write;
use std::path::Path;

/// The policy files as read, before parsing what depends on the SBOM: from the workspace
/// ([`read_policy_files`]) or, for `action` on a pull request, from the base commit.
#[derive(Debug, Clone, Default)]
pub(super) struct PolicyFiles {
    /// The config, parsed and checked.
    pub config: crate::config::Config,
    /// `.trivyignore` and `.trivyignore.yaml` when present: name and bytes.
    pub trivyignore: Vec<(&'static str, Vec<u8>)>,
    /// The config's `vex` documents: name (as shown) and bytes.
    pub vex: Vec<(String, Vec<u8>)>,
}

/// The parser of a trivy ignore file by its name.
pub(super) fn trivyignore_parser(
    name: &str,
) -> fn(&[u8], &str) -> Result<crate::trivyignore::Parsed, crate::config::ConfigError> {
    if name == crate::trivyignore::YAML_FILE {
        crate::trivyignore::parse_yaml
    } else {
        crate::trivyignore::parse
    }
}

/// Reads the policy files from the workspace: `--config FILE` (named by `by`) or
/// `.kevgate.yaml`, `.trivyignore`, `.trivyignore.yaml` (workspace root) and the config's
/// `vex` documents (relative to the config's directory), each a regular file confined to the
/// workspace ([`crate::workspace`]) and size-capped. A name that exists but is not such a file
/// (a symlink out, a FIFO, a directory) is an error, never skipped. The config and the trivy
/// files are parsed here, so their errors come before any scanning.
pub(super) fn read_policy_files(
    ws: &Workspace,
    flag: Option<&Path>,
    by: NamedBy,
) -> anyhow::Result<PolicyFiles> {
    let read = |path: &Path, by: NamedBy| ws.read(path, by, POLICY_FILE_MAX_BYTES);
    let default_file = ws.file(crate::config::DEFAULT_FILE);
    let (config_file, config_by) = match flag {
        Some(path) => (Some(path.to_path_buf()), by),
        None => (
            ws.exists(&default_file).then_some(default_file),
            NamedBy::Repository,
        ),
    };
    let config = match &config_file {
        Some(path) => crate::config::parse(&read(path, config_by)?, &path.display().to_string())?,
        None => crate::config::Config::default(),
    };
    let mut trivyignore = Vec::new();
    for name in [crate::trivyignore::FILE, crate::trivyignore::YAML_FILE] {
        let path = ws.file(name);
        if ws.exists(&path) {
            let bytes = read(&path, NamedBy::Repository)?;
            trivyignore_parser(name)(&bytes, name)?;
            trivyignore.push((name, bytes));
        }
    }
    // The config's `vex` entries are the repository's words, unless the user named a config
    // outside the workspace: then they are the user's too.
    let vex_by = match &config_file {
        Some(path) if config_by == NamedBy::User && ws.repository_path(path).is_none() => {
            NamedBy::User
        }
        _ => NamedBy::Repository,
    };
    let base = config_file
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new(""));
    let mut vex = Vec::new();
    for rel in &config.vex {
        let path = base.join(rel);
        vex.push((path.display().to_string(), read(&path, vex_by)?));
    }
    Ok(PolicyFiles {
        config,
        trivyignore,
        vex,
    })
}

/// The SBOM a policy is assembled for, as far as the policy needs it.
pub(super) struct ScannedSbom<'a> {
    /// The parsed SBOM.
    pub parsed: &'a crate::sbom::Sbom,
    /// Its name in messages and ignore origins.
    pub name: &'a str,
}

/// The policy of a scan: the config with `overrides` over it ([`Config::to_policy`]); its
/// ignores, then `.trivyignore`, `.trivyignore.yaml`, the config's `vex` documents and the
/// SBOM's own VEX `analysis`. Also returns notes about entries that could not be applied.
///
/// [`Config::to_policy`]: crate::config::Config::to_policy
pub(super) fn assemble(
    files: &PolicyFiles,
    overrides: &Overrides,
    sbom: &ScannedSbom<'_>,
) -> anyhow::Result<(Policy, Vec<Note>)> {
    // Only VEX documents are matched against what was scanned: without any, the index of
    // the SBOM's bom-refs and purls is not built.
    let scanned = if files.vex.is_empty() {
        crate::vex::Scanned::default()
    } else {
        crate::vex::Scanned::of(sbom.parsed)
    };
    let (mut more, mut notes) = file_exceptions(files, &scanned)?;
    // The SBOM's own VEX `analysis`, as the SBOM reader parsed it.
    let own = crate::vex::from_sbom(sbom.parsed, sbom.name);
    more.extend(own.ignores);
    notes.extend(general_notes(
        NoteCode::VexUnknownStatus,
        own.unknown_status,
    ));
    Ok((files.config.to_policy(overrides, more), notes))
}

/// Every exception the policy files declare (config ignores, trivy ignore files, VEX
/// statements), for comparing a pull request's files with its base commit's.
pub(super) fn declared_exceptions(
    files: &PolicyFiles,
    scanned: &crate::vex::Scanned<'_>,
) -> anyhow::Result<Vec<Ignore>> {
    let (more, _) = file_exceptions(files, scanned)?;
    Ok(files.config.ignores.iter().cloned().chain(more).collect())
}

/// The exceptions of the files besides the config's own ignores (trivy ignore files, VEX
/// statements), and notes about entries that could not be applied.
fn file_exceptions(
    files: &PolicyFiles,
    scanned: &crate::vex::Scanned<'_>,
) -> anyhow::Result<(Vec<Ignore>, Vec<Note>)> {
    let mut ignores = Vec::new();
    let mut notes = Vec::new();
    for (name, bytes) in &files.trivyignore {
        let parsed = trivyignore_parser(name)(bytes, name)?;
        ignores.extend(parsed.ignores);
        notes.extend(general_notes(NoteCode::UnusedIgnore, parsed.skipped));
    }
    for (name, bytes) in &files.vex {
        let parsed = crate::vex::parse(bytes, name, scanned)?;
        ignores.extend(parsed.ignores);
        notes.extend(general_notes(
            NoteCode::VexOtherProduct,
            parsed.other_products,
        ));
        notes.extend(general_notes(
            NoteCode::VexUnknownStatus,
            parsed.unknown_status,
        ));
    }
    Ok((ignores, notes))
}

/// Notes with `code` about no component in particular, one per message.
fn general_notes(code: NoteCode, messages: Vec<String>) -> impl Iterator<Item = Note> {
    messages.into_iter().map(move |message| Note {
        code,
        message,
        component: None,
    })
}

/// `kevgate policy test`: runs the config's `tests:` cases through the policy a scan would
/// apply (the same files, the same conversion, no flags over it). VEX statements are matched
/// against the cases' own components, which stand for the scanned SBOM.
pub(super) fn test(args: PolicyTestArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let today = today(io.env)?;
    let ws = Workspace::new(Path::new("."))?;
    let default_file = ws.file(crate::config::DEFAULT_FILE);
    if args.config.is_none() && !ws.exists(&default_file) {
        // Nothing to test is an error, not "0 cases passed".
        ws.read(&default_file, NamedBy::Repository, POLICY_FILE_MAX_BYTES)?;
    }
    let files = read_policy_files(&ws, args.config.as_deref(), NamedBy::User)?;
    let cases = &files.config.tests;
    let scanned = crate::vex::Scanned {
        components: cases
            .iter()
            .filter_map(|c| c.finding.purl.as_deref())
            .collect(),
        ..crate::vex::Scanned::default()
    };
    let (more, _) = file_exceptions(&files, &scanned)?;
    let policy = files.config.to_policy(&Overrides::default(), more);
    let db = crate::db::VulnDb::from_static(super::BUNDLED_DB)
        .context("the database bundled in kevgate is corrupt")?;
    let outcomes = crate::policy_check::run(cases, &policy, &db, today)
        .context("the database bundled in kevgate is corrupt")?;
    let code = |d| crate::report::code(d);
    for o in &outcomes {
        if o.passed() {
            writeln!(io.stdout, "ok      {} ({})", o.name, o.origin)?;
        } else {
            let mut wrong = Vec::new();
            if let Some(expect) = o.expect.filter(|&d| d != o.got) {
                wrong.push(format!(
                    "expected `{}`, got `{}` ({})",
                    code(expect),
                    code(o.got),
                    o.why
                ));
            }
            if let Some(expect) = o.expect_priority.filter(|&p| p != o.got_priority) {
                wrong.push(format!(
                    "expected priority `{}`, got `{}`",
                    expect.as_str(),
                    o.got_priority.as_str()
                ));
            }
            writeln!(
                io.stdout,
                "FAILED  {} ({}): {}",
                o.name,
                o.origin,
                wrong.join("; ")
            )?;
        }
    }
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    writeln!(
        io.stdout,
        "{} case{}: {} passed, {failed} failed",
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "s" },
        outcomes.len() - failed
    )?;
    Ok(if failed == 0 {
        Outcome::Passed
    } else {
        Outcome::Failed
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::IgnoreSource;

    /// `assemble` puts the config's ignores first, then `.trivyignore`, then the `vex`
    /// documents (matched against the scanned SBOM), applies the overrides through the one
    /// conversion, and turns what cannot apply into notes.
    #[test]
    fn assemble_orders_sources_and_applies_overrides() {
        let sbom_bytes =
            include_bytes!("../../tests/fixtures/sbom/trivy-cdx1.7-golden-fs-npm-with-vuln.json");
        let parsed = crate::sbom::parse(sbom_bytes).expect("the fixture parses");
        let config = crate::config::parse(
            b"fail-on: high\nignore:\n  - id: CVE-2021-44228\n    reason: not used\n",
            ".kevgate.yaml",
        )
        .expect("valid");
        let files = PolicyFiles {
            config,
            trivyignore: vec![(
                crate::trivyignore::FILE,
                b"GHSA-257q-pv89-v3xv\naws-access-key-id\n".to_vec(),
            )],
            vex: vec![(
                "vex.json".to_owned(),
                include_bytes!("../../tests/fixtures/vex/cdx-vex-trivy-npm-golden.json").to_vec(),
            )],
        };
        let sbom = ScannedSbom {
            parsed: &parsed,
            name: "sbom.json",
        };
        let (policy, notes) = assemble(&files, &Overrides::default(), &sbom).expect("assembles");
        assert_eq!(policy.fail_on, crate::policy::FailOn::High);
        let got: Vec<(IgnoreSource, &str)> = policy
            .ignores
            .iter()
            .map(|i| (i.source, i.id.as_str()))
            .collect();
        assert_eq!(got[0], (IgnoreSource::Config, "CVE-2021-44228"));
        assert_eq!(got[1], (IgnoreSource::Trivyignore, "GHSA-257q-pv89-v3xv"));
        let vex: Vec<&str> = got
            .iter()
            .filter(|(s, _)| *s == IgnoreSource::Vex)
            .map(|(_, id)| *id)
            .collect();
        assert!(vex.contains(&"CVE-2020-11023"), "{got:?}");
        assert!(
            got.iter()
                .position(|(s, _)| *s == IgnoreSource::Vex)
                .is_some_and(|i| i > 1),
            "{got:?}"
        );
        // trivy's secret rule id cannot apply to a vulnerability: a note, not dropped.
        assert!(
            notes
                .iter()
                .any(|n| n.code == NoteCode::UnusedIgnore
                    && n.message.contains("`.trivyignore` line 2")),
            "{notes:?}"
        );
        let over = Overrides {
            fail_on: Some(crate::policy::FailOn::None),
            ..Overrides::default()
        };
        let (policy, _) = assemble(&files, &over, &sbom).expect("assembles");
        assert_eq!(policy.fail_on, crate::policy::FailOn::None);
    }
}
