//! `kevgate track REPORT.json --repo OWNER/NAME`: the tracking issues of a kevgate JSON
//! report (issue 13 item 1), and the same for the action's `track` input ([`run_action`]).
//!
//! Reads the report, the config's `owners`/`sla`/`runbooks`, the repository's CODEOWNERS (in
//! GitHub's order, inside the workspace) and, with `--sbom`, what the SBOM holds (to name the
//! upgrade that fixed a finding); then [`crate::github::track::sync`] does the rest. Inside a
//! workflow it acts only on runs for the default branch. Failing to reach GitHub is a
//! warning, never an error: tracking must not change the gate's outcome.

use super::action::append;
use super::{Io, Outcome, today};
use crate::github::track::{self as sync, Options, Repo};
use crate::github::{Context, client::Network, workflow};
use crate::track::codeowners::{self, Codeowners};
use crate::track::input::{self, Report};
use crate::track::plan::{DEFAULT_BRANCH, Scope};
use crate::track::settings::Settings;
use crate::workspace::{NamedBy, POLICY_FILE_MAX_BYTES, Workspace};
use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Largest JSON report read (bytes).
const MAX_REPORT_BYTES: u64 = 512 * 1024 * 1024;

/// Which findings open tracking issues (`--scope`, action input `track`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrackScope {
    /// The findings that fail the gate.
    Fail,
    /// KEV and known-malicious findings only.
    Kev,
}

impl From<TrackScope> for Scope {
    fn from(s: TrackScope) -> Scope {
        match s {
            TrackScope::Fail => Scope::Fail,
            TrackScope::Kev => Scope::Kev,
        }
    }
}

/// `kevgate track`.
#[derive(Debug, Args)]
pub struct TrackArgs {
    /// A kevgate JSON report (`kevgate scan --format json`).
    report: PathBuf,
    /// The repository, `OWNER/NAME` [default: `GITHUB_REPOSITORY`].
    #[arg(long, value_name = "OWNER/NAME")]
    repo: Option<String>,
    /// Which findings open issues: `fail` (those that fail the gate) or `kev` (KEV and
    /// malicious only).
    #[arg(long, value_enum, default_value = "fail")]
    scope: TrackScope,
    /// At most this many new issues per run; the rest are counted.
    #[arg(long, value_name = "N", default_value_t = 20)]
    max_new: usize,
    /// Print what would be written; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The default branch's commit the report is for, named in comments and used to credit
    /// the fix [default: `GITHUB_SHA`; without one, neither].
    #[arg(long, value_name = "SHA")]
    sha: Option<String>,
    /// Policy file with `owners`, `sla`, `runbooks` [default: `.kevgate.yaml` if present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The scanned SBOM, to name the upgrade that fixed a finding in the closing comment.
    #[arg(long, value_name = "FILE")]
    sbom: Option<PathBuf>,
}

/// What tracking needs besides the report, read from the workspace.
pub(super) struct Local {
    pub settings: Settings,
    pub codeowners: Option<Codeowners>,
    pub notes: Vec<String>,
    /// The config's `notify`/`jira` routing (issue 15).
    pub notify: crate::notify::Settings,
}

/// The config's tracking settings and the CODEOWNERS file GitHub would use.
pub(super) fn local(
    ws: &Workspace,
    config: Option<&Path>,
    by: NamedBy,
    settings: Option<Settings>,
) -> anyhow::Result<Local> {
    let mut notify = crate::notify::Settings::default();
    let settings = match settings {
        Some(s) => s,
        None => {
            let path =
                config.map_or_else(|| ws.file(crate::config::DEFAULT_FILE), Path::to_path_buf);
            if config.is_some() || ws.exists(&path) {
                let bytes = ws.read(&path, by, POLICY_FILE_MAX_BYTES)?;
                let config = crate::config::parse(&bytes, &path.display().to_string())?;
                notify = config.notify;
                config.tracking
            } else {
                Settings::default()
            }
        }
    };
    let mut notes = Vec::new();
    let mut found = None;
    for name in codeowners::LOCATIONS {
        let path = ws.file(name);
        if ws.exists(&path) {
            found = Some(path);
            break;
        }
    }
    let codeowners = match found {
        None => None,
        Some(path) => {
            let shown = path.display().to_string();
            match ws
                .read(&path, NamedBy::Repository, codeowners::MAX_BYTES)
                .map_err(|e| format!("{e:#}"))
                .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8".to_owned()))
                .and_then(|t| codeowners::parse(&t))
            {
                Ok(c) => Some(c),
                Err(e) => {
                    notes.push(format!(
                        "`{shown}` is not used (GitHub would not use it either): {e}"
                    ));
                    None
                }
            }
        }
    };
    Ok(Local {
        settings,
        codeowners,
        notes,
        notify,
    })
}

/// The packages an SBOM holds: versionless purl -> versions.
pub(super) fn present(sbom: &crate::sbom::Sbom) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in &sbom.components {
        if let Some(p) = c.purl.as_deref().and_then(input::versionless) {
            out.entry(p)
                .or_default()
                .extend(c.version.as_deref().map(str::to_owned));
        }
    }
    out
}

/// `kevgate track`.
pub(super) fn run(args: TrackArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let env = io.env;
    let ws = Workspace::from_env(env)?;
    let shown = args.report.display().to_string();
    let bytes = ws.read(&args.report, NamedBy::User, MAX_REPORT_BYTES)?;
    let report = input::parse(&bytes).map_err(|e| anyhow::anyhow!("`{shown}`: {e}"))?;
    let repo = args
        .repo
        .or_else(|| env("GITHUB_REPOSITORY"))
        .filter(|r| !r.trim().is_empty())
        .context("no repository; hint: `--repo OWNER/NAME` (or set `GITHUB_REPOSITORY`)")?;
    let (owner, name) = repository(&repo)?;
    // The commit is optional: without one, comments name no commit and no fix is credited.
    let revision = args
        .sha
        .or_else(|| env("GITHUB_SHA"))
        .map(|s| s.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !(revision.is_empty()
        || (matches!(revision.len(), 40 | 64) && revision.bytes().all(|b| b.is_ascii_hexdigit())))
    {
        bail!(
            "`--sha` is not a commit SHA: `{}`",
            crate::text::terminal(&crate::text::one_line(&revision, 80))
        );
    }
    let (api_url, token) = super::github_env(env, "a token with `issues: write`")?;
    let today = today(env)?;
    let mut local = local(&ws, args.config.as_deref(), NamedBy::User, None)?;
    let present = match &args.sbom {
        Some(path) => {
            let raw = ws.read(path, NamedBy::User, super::scan::max_sbom_bytes(None, env)?)?;
            let shown = path.display();
            let inflated = crate::sbom::inflate(&raw, super::scan::max_sbom_bytes(None, env)?)
                .map_err(|e| anyhow::anyhow!("`{shown}`: {e}"))?;
            let parsed = crate::sbom::parse_inflated(&inflated)
                .map_err(|e| anyhow::anyhow!("`{shown}`: {e}"))?;
            Some(present(&parsed))
        }
        None => None,
    };
    // Inside a workflow: only runs for the default branch. A run kevgate cannot place does
    // nothing (and says why) rather than write from a pull request.
    if let Some(name) = env("GITHUB_EVENT_NAME").filter(|n| !n.trim().is_empty()) {
        let event = match env("GITHUB_EVENT_PATH").filter(|p| !p.is_empty()) {
            Some(path) => fs_err::read(&path).map_err(|e| anyhow::anyhow!("{e}"))?,
            None => Vec::new(),
        };
        let why = if name.starts_with("pull_request") {
            Some("a pull request run: tracking issues follow the default branch only".to_owned())
        } else {
            match Context::from_env(env, &event) {
                Ok(ctx) => sync::skip_reason(&ctx, &event, env("GITHUB_REF").as_deref()),
                Err(e) => Some(format!(
                    "cannot tell whether the run is for the default branch: {e}"
                )),
            }
        };
        if let Some(why) = why {
            writeln!(io.stderr, "kevgate: tracking issues: nothing to do: {why}")?;
            return Ok(Outcome::Passed);
        }
    }
    let network = Network::from_env(env);
    let mut notifier = crate::notify::notifier(&local.notify, env, args.dry_run);
    local.notes.append(&mut notifier.1);
    let outcome = sync::sync(
        &Repo {
            api_url: &api_url,
            owner: &owner,
            name: &name,
            token: &token,
            network: &network,
        },
        &report,
        &Options {
            place: DEFAULT_BRANCH,
            revision: &revision,
            today,
            scope: args.scope.into(),
            max_new: args.max_new,
            dry_run: args.dry_run,
            settings: &local.settings,
            codeowners: local.codeowners.as_ref(),
            present: present.as_ref(),
            spacing: spacing(env),
        },
        notifier.0.as_mut(),
    );
    for line in &outcome.lines {
        writeln!(io.stdout, "{}", crate::text::terminal(line))?;
    }
    for n in local
        .notes
        .iter()
        .chain(&outcome.notes)
        .chain(&outcome.warnings)
    {
        writeln!(io.stderr, "kevgate: warning: {}", crate::text::terminal(n))?;
    }
    writeln!(io.stderr, "kevgate: {}", counts(&outcome, args.dry_run))?;
    if let Some(path) = env("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        append(Path::new(&path), &outcome.summary(args.dry_run))?;
    }
    Ok(Outcome::Passed)
}

/// The action's `track` step, after the gate: never an error, only warnings.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_action(
    io: &mut Io<'_>,
    ctx: &Context,
    event: &[u8],
    evaluation: &crate::Evaluation,
    sbom: &Path,
    scope: TrackScope,
    max_new: usize,
    config: Option<&Path>,
    token: &str,
    network: &Network,
) -> anyhow::Result<()> {
    let env = io.env;
    let warn = |io: &mut Io<'_>, msg: &str| -> anyhow::Result<()> {
        io.stdout
            .command(&workflow::warning(Some("kevgate tracking issues"), msg))?;
        Ok(())
    };
    let summary = |text: &str| -> anyhow::Result<()> {
        if let Some(path) = env("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            append(Path::new(&path), text)?;
        }
        Ok(())
    };
    if let Some(why) = sync::skip_reason(ctx, event, env("GITHUB_REF").as_deref()) {
        writeln!(io.stderr, "kevgate: tracking issues: nothing to do: {why}")?;
        summary(&format!(
            "### kevgate tracking issues\n\nNothing to do: {}.\n",
            crate::text::markdown(&why)
        ))?;
        return Ok(());
    }
    let report: Report = sync::report_of(evaluation).map_err(|e| anyhow::anyhow!("{e}"))?;
    let ws = Workspace::from_env(env)?;
    let mut local = local(&ws, config, NamedBy::Repository, None)?;
    let mut notifier = crate::notify::notifier(&local.notify, env, false);
    local.notes.append(&mut notifier.1);
    // What the SBOM holds, for the closing comment's upgrade; without it the comment
    // names no upgrade.
    let present = super::scan::max_sbom_bytes(None, env)
        .ok()
        .and_then(|max| {
            let raw = ws.read(sbom, NamedBy::Repository, max).ok()?;
            let inflated = crate::sbom::inflate(&raw, max).ok()?;
            crate::sbom::parse_inflated(&inflated).ok()
        })
        .map(|s| present(&s));
    let outcome = sync::sync(
        &Repo {
            api_url: &ctx.api_url,
            owner: &ctx.owner,
            name: &ctx.repo,
            token,
            network,
        },
        &report,
        &Options {
            place: DEFAULT_BRANCH,
            revision: &ctx.sha,
            today: evaluation.today,
            scope: scope.into(),
            max_new,
            dry_run: false,
            settings: &local.settings,
            codeowners: local.codeowners.as_ref(),
            present: present.as_ref(),
            spacing: spacing(env),
        },
        notifier.0.as_mut(),
    );
    for line in &outcome.lines {
        writeln!(io.stderr, "kevgate: {}", crate::text::terminal(line))?;
    }
    for n in local
        .notes
        .iter()
        .chain(&outcome.notes)
        .chain(&outcome.warnings)
    {
        warn(io, n)?;
    }
    writeln!(io.stderr, "kevgate: {}", counts(&outcome, false))?;
    summary(&outcome.summary(false))?;
    Ok(())
}

/// `tracking issues: 2 created, …`.
fn counts(o: &sync::Outcome, dry_run: bool) -> String {
    format!(
        "tracking issues{}: {} created, {} updated, {} closed, {} reopened{}",
        if dry_run { " (dry run)" } else { "" },
        o.created,
        o.updated,
        o.closed,
        o.reopened,
        if o.over_limit > 0 {
            format!(", {} more not created (`--max-new`)", o.over_limit)
        } else {
            String::new()
        }
    )
}

/// The pause between content-creating requests: one second, as GitHub asks;
/// `KEVGATE_GITHUB_SPACING_MS` changes it (tests, GitHub Enterprise Server without
/// secondary rate limits).
pub(super) fn spacing(env: &dyn Fn(&str) -> Option<String>) -> Duration {
    env("KEVGATE_GITHUB_SPACING_MS")
        .and_then(|v| v.trim().parse().ok())
        .map_or(Duration::from_secs(1), Duration::from_millis)
}

/// `OWNER/NAME`, of the characters GitHub allows.
pub(super) fn repository(s: &str) -> anyhow::Result<(String, String)> {
    let ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 100
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && p != "."
            && p != ".."
    };
    match s.trim().split_once('/') {
        Some((o, n)) if ok(o) && ok(n) => Ok((o.to_owned(), n.to_owned())),
        _ => bail!(
            "`--repo` is not `OWNER/NAME`: `{}`",
            crate::text::terminal(&crate::text::one_line(s, 80))
        ),
    }
}
