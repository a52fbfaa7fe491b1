//! `kevgate watch` and `kevgate summarize`: re-check what was shipped, and aggregate reports.
//!
//! `watch --releases N` lists the latest N published releases of a repository
//! ([`crate::github::releases`]), downloads their SBOM assets and scans each one exactly as
//! `scan` does ([`super::evaluate_bytes`]: the same policy loading, the same core, the same
//! verdict) against today's database; `watch FILE...` does the same for local SBOMs. The
//! report ([`crate::report::watch`]) says per release what fails today and, above all, what
//! became KEV after the release was published. A local file's publication date is
//! `--published` (in order, like `--as`); without it kevgate does not guess from the SBOM's
//! `metadata.timestamp`, which says when the SBOM was generated, not when it shipped.
//!
//! Exit codes: 0 every checked release passes, 1 one fails, 2 one could not be checked or
//! none was (a release without an SBOM asset is a note, never a pass on its own).
//!
//! `summarize REPORT.json...` reads kevgate JSON reports (`scan --format json`, or `watch
//! --format json` documents) and writes one Markdown table, for the last job of a matrix over
//! an organisation's repositories (`docs/organisation.md`).

use super::policy::PolicyFiles;
use super::scan::ScanInputs;
use super::{Io, Outcome};
use crate::github::releases;
use crate::policy::FailOn;
use crate::report::watch::{Checked, Watch, Watched};
use crate::workspace::{NamedBy, Workspace};
use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `kevgate watch` output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// Text for people: one block per release.
    Table,
    /// One JSON document with a per-release array (`docs/watch.md`).
    Json,
    /// The Markdown job summary: one table per release.
    Markdown,
}

/// `kevgate watch`'s arguments.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Local SBOM files to re-check (each a release): formats as `scan` reads them.
    #[arg(
        value_name = "FILE",
        conflicts_with = "releases",
        required_unless_present = "releases"
    )]
    files: Vec<PathBuf>,
    /// Re-check the SBOM assets (`*.cdx.json`, `*.spdx.json`, `*.cdx.xml`, `*.spdx.jsonld`,
    /// gzip'd too) of the latest N published releases (drafts skipped) of `--repo`, through
    /// the GitHub API (`GITHUB_TOKEN`, `GITHUB_API_URL`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    releases: Option<u32>,
    /// The repository whose releases to watch [default: `GITHUB_REPOSITORY`].
    #[arg(long, value_name = "OWNER/NAME", requires = "releases")]
    repo: Option<String>,
    /// Leave prereleases out (they are watched by default: people run them too).
    #[arg(long, requires = "releases")]
    skip_prereleases: bool,
    /// The name of each FILE in the reports, in order [default: its file name].
    #[arg(long = "as", value_name = "NAME", requires = "files")]
    names: Vec<String>,
    /// When each FILE was published, in order: `YYYY-MM-DD` (UTC) or RFC 3339. Findings whose
    /// CVE became KEV on or after that day are reported apart. Default: unknown.
    #[arg(long, value_name = "DATE", requires = "files")]
    published: Vec<String>,
    /// Database file. Default: `KEVGATE_DB`, else the cache, else the bundled demo.
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Refuse a database whose data is older than this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    max_db_age: u32,
    /// Refuse an SBOM (file or asset) larger than this, read or inflated [default:
    /// `KEVGATE_MAX_SBOM_SIZE`, else 1GiB].
    #[arg(long, value_name = "SIZE", value_parser = super::args::parse_size)]
    max_sbom_size: Option<u64>,
    /// Policy file, as for `scan` [default: `.kevgate.yaml` if present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Lowest severity that fails a release [default: the config's, else critical].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Do not fail on KEV findings by themselves.
    #[arg(long)]
    no_fail_on_kev: bool,
    /// Update the repository's tracking issues (as `kevgate track`), one place
    /// `release:<tag>` per release: `fail` (findings that fail) or `kev` (KEV and malicious).
    #[arg(long, value_enum, value_name = "SCOPE", requires = "releases")]
    track: Option<super::track::TrackScope>,
    /// With `--track`: at most this many new issues per release.
    #[arg(long, value_name = "N", default_value_t = 20, requires = "track")]
    max_new: usize,
    /// Report format.
    #[arg(long, value_enum, default_value = "table")]
    format: WatchFormat,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Where the watched SBOMs come from.
pub(super) enum Sources {
    /// Local files: (path, name, publication date).
    Files(Vec<(PathBuf, String, Option<jiff::Timestamp>)>),
    /// The latest `count` releases of `repo` (`OWNER/NAME`, else `GITHUB_REPOSITORY`).
    Releases {
        /// How many of the latest published releases.
        count: usize,
        /// `OWNER/NAME`; `None`: `GITHUB_REPOSITORY`.
        repo: Option<String>,
        /// Whether prereleases count.
        prereleases: bool,
        /// The token (`GITHUB_TOKEN`, or the action's `github-token`). Not logged.
        token: Option<String>,
    },
}

/// A watch to run: shared by `kevgate watch` and the action's `mode: watch`.
pub(super) struct Plan {
    /// Where the SBOMs come from.
    pub sources: Sources,
    /// The database file (`--db`, the `db` input).
    pub db: Option<PathBuf>,
    /// Oldest acceptable database data, in days.
    pub max_db_age: u32,
    /// The SBOM size cap (`--max-sbom-size`); `None`: `KEVGATE_MAX_SBOM_SIZE`, else 1 GiB.
    pub max_sbom_size: Option<u64>,
    /// The policy file (`--config`, the `config` input).
    pub config: Option<PathBuf>,
    /// What the flags or inputs set over the policy file.
    pub overrides: crate::config::Overrides,
    /// Whether the bundled demo database may be used.
    pub allow_bundled: bool,
    /// The workspace the policy files and outputs stay in.
    pub workspace: Workspace,
    /// Who named the config file.
    pub config_by: NamedBy,
    /// Tracking issues to update, one place `release:<tag>` per release (issue 13).
    pub track: Option<Tracking>,
}

/// What `--track` / the action's `track` input asks of a watch.
pub(super) struct Tracking {
    /// Which findings open issues.
    pub scope: super::track::TrackScope,
    /// At most this many new issues per release.
    pub max_new: usize,
}

/// `YYYY-MM-DD` (the day's start, UTC) or an RFC 3339 timestamp.
fn parse_published(text: &str) -> anyhow::Result<jiff::Timestamp> {
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return Ok(date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .timestamp());
    }
    text.parse::<jiff::Timestamp>().map_err(|_| {
        anyhow::anyhow!(
            "`--published {}` is not a date; hint: `YYYY-MM-DD` or RFC 3339",
            crate::text::terminal(&crate::text::one_line(text, 40))
        )
    })
}

/// `kevgate watch`.
pub(super) fn run(args: WatchArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let sources = match args.releases {
        Some(n) => Sources::Releases {
            count: n as usize,
            repo: args.repo.clone(),
            prereleases: !args.skip_prereleases,
            token: (io.env)("GITHUB_TOKEN").filter(|t| !t.trim().is_empty()),
        },
        None => {
            if args.names.len() > args.files.len() || args.published.len() > args.files.len() {
                bail!(
                    "more `--as` or `--published` than files; hint: give them in the order of \
                     the files, at most one each"
                );
            }
            let mut files = Vec::new();
            for (i, path) in args.files.iter().enumerate() {
                let name = args.names.get(i).cloned().unwrap_or_else(|| {
                    path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    )
                });
                let published = args
                    .published
                    .get(i)
                    .map(|t| parse_published(t))
                    .transpose()?;
                files.push((path.clone(), name, published));
            }
            Sources::Files(files)
        }
    };
    let plan = Plan {
        sources,
        db: args.db.clone(),
        max_db_age: args.max_db_age,
        max_sbom_size: args.max_sbom_size,
        config: args.config.clone(),
        overrides: crate::config::Overrides {
            fail_on: args.fail_on,
            fail_on_kev: args.no_fail_on_kev.then_some(false),
            ..crate::config::Overrides::default()
        },
        allow_bundled: true,
        workspace: Workspace::new(Path::new("."))?,
        config_by: NamedBy::User,
        track: args.track.map(|scope| Tracking {
            scope,
            max_new: args.max_new,
        }),
    };
    let watch = execute(&plan, io)?;
    let mut buf = Vec::new();
    match args.format {
        WatchFormat::Table => crate::report::watch::write_text(&watch, &mut buf)?,
        WatchFormat::Json => crate::report::watch::write_json(&watch, &mut buf)?,
        WatchFormat::Markdown => buf.extend_from_slice(
            crate::report::watch::markdown(&watch, crate::report::markdown::STEP_SUMMARY_MAX_BYTES)
                .as_bytes(),
        ),
    }
    match &args.output {
        Some(path) => super::scan::write_user_output(&plan.workspace, path, &buf)?,
        None => io.stdout.write_all(&buf)?,
    }
    if let Err(e) = track(&plan, &watch, io) {
        writeln!(io.stderr, "warning: tracking issues: {e:#}")?;
    }
    finish(&watch, io)
}

/// Appends the job summary (when `GITHUB_STEP_SUMMARY` is set) and turns the watch's outcome
/// into the exit code.
pub(super) fn finish(watch: &Watch, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    if let Some(path) = (io.env)("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        super::action::append(
            Path::new(&path),
            &crate::report::watch::markdown(watch, crate::report::markdown::STEP_SUMMARY_MAX_BYTES),
        )?;
    }
    match watch.outcome() {
        crate::report::watch::Outcome::Pass => Ok(Outcome::Passed),
        crate::report::watch::Outcome::Fail => Ok(Outcome::Failed),
        crate::report::watch::Outcome::Error => {
            let errors = watch
                .watched
                .iter()
                .filter(|w| matches!(w.checked, Checked::Error(_)))
                .count();
            if errors == 0 {
                bail!(
                    "none of the {} watched releases has an SBOM to check; hint: attach the \
                     SBOM to each release as an asset (`*.cdx.json`, `*.spdx.json`, gzip'd too)",
                    watch.watched.len()
                )
            }
            bail!(
                "{errors} of {} watched SBOMs could not be checked",
                watch.watched.len()
            )
        }
    }
}

/// One SBOM to check: what it is called, and where its bytes come from.
enum Fetch {
    File(PathBuf),
    Asset(releases::Asset),
    Nothing,
}

/// Runs `plan`: gathers the SBOMs (listing releases when asked), evaluates each as `scan`
/// does, and returns the watch. A policy-file error or a failed release listing stops the
/// run; an SBOM that cannot be fetched, read or evaluated (a stale database too) is an error
/// entry, the others are still checked, and the watch ends in exit 2.
pub(super) fn execute(plan: &Plan, io: &mut Io<'_>) -> anyhow::Result<Watch> {
    let env = io.env;
    let today = super::today(env)?;
    let files: PolicyFiles =
        super::policy::read_policy_files(&plan.workspace, plan.config.as_deref(), plan.config_by)?;
    let max_bytes = super::scan::max_sbom_bytes(plan.max_sbom_size, env)?;
    let network = crate::github::client::Network::from_env(env);
    let mut todo: Vec<(Watched, Fetch)> = Vec::new();
    let mut repo_parts = None;
    match &plan.sources {
        Sources::Files(list) => {
            for (path, name, published) in list {
                todo.push((
                    watched(name, *published, None, Some(path.display().to_string())),
                    Fetch::File(path.clone()),
                ));
            }
        }
        Sources::Releases {
            count,
            repo,
            prereleases,
            token,
        } => {
            let (full, api_url, owner, name, token) = github_repository(repo, token, env)?;
            let repository = releases::Repository {
                api_url: &api_url,
                owner: &owner,
                repo: &name,
                token: &token,
                network: &network,
            };
            let list = releases::latest(&repository, *count, *prereleases)
                .map_err(|e| anyhow::anyhow!("`{full}`: {e}"))?;
            if list.is_empty() {
                bail!("`{full}` has no published release to watch");
            }
            for release in list {
                if release.sboms.is_empty() {
                    todo.push((
                        watched(
                            &release.tag,
                            Some(release.published_at),
                            release.html_url.clone(),
                            None,
                        ),
                        Fetch::Nothing,
                    ));
                }
                for asset in &release.sboms {
                    todo.push((
                        watched(
                            &release.tag,
                            Some(release.published_at),
                            release.html_url.clone(),
                            Some(asset.name.clone()),
                        ),
                        Fetch::Asset(asset.clone()),
                    ));
                }
            }
            repo_parts = Some((api_url, owner, name, token));
        }
    }
    let mut out = Vec::new();
    for (i, (mut entry, fetch)) in todo.into_iter().enumerate() {
        let (shown, raw) = match fetch {
            Fetch::Nothing => {
                out.push(entry);
                continue;
            }
            Fetch::File(path) => (path, None),
            Fetch::Asset(asset) => {
                let (api_url, owner, name, token) =
                    repo_parts.as_ref().expect("assets come from a repository");
                let repository = releases::Repository {
                    api_url,
                    owner,
                    repo: name,
                    token,
                    network: &network,
                };
                match releases::download(&repository, &asset, max_bytes) {
                    Ok(bytes) => (
                        PathBuf::from(format!("{}/{}", entry.release, asset.name)),
                        Some(bytes),
                    ),
                    Err(e) => {
                        entry.checked = Checked::Error(e);
                        out.push(entry);
                        continue;
                    }
                }
            }
        };
        let inputs = ScanInputs {
            sbom: &shown,
            db: plan.db.as_deref(),
            max_db_age: plan.max_db_age,
            allow_bundled: plan.allow_bundled,
            max_sbom_bytes: Some(max_bytes),
            // The demo-database warning once, not once per release.
            banner_on_stdout: i > 0,
        };
        // The same steps as `scan`: gather, assemble the policy, evaluate.
        let evaluated = super::scan::gather_bytes(&inputs, raw, today, io).and_then(|gathered| {
            let (policy, notes) =
                super::policy::assemble(&files, &plan.overrides, &gathered.scanned())?;
            super::scan::evaluate_gathered(
                &gathered,
                &policy,
                notes,
                crate::FindingOrder::Severity,
                today,
            )
        });
        entry.checked = match evaluated {
            Ok(evaluation) => Checked::Evaluated(Box::new(evaluation)),
            Err(e) => Checked::Error(format!("{e:#}")),
        };
        out.push(entry);
    }
    Ok(Watch {
        today,
        watched: out,
    })
}

/// The repository of `--releases`: (`OWNER/NAME` as given, API URL, owner, name, token).
fn github_repository(
    repo: &Option<String>,
    token: &Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<(String, String, String, String, String)> {
    let full = repo
        .clone()
        .or_else(|| env("GITHUB_REPOSITORY").filter(|r| !r.is_empty()))
        .context("no repository; hint: pass `--repo OWNER/NAME` or set `GITHUB_REPOSITORY`")?;
    let (owner, name) = crate::github::context::repository(&full)?;
    let api_url = crate::github::context::base_url(
        "GITHUB_API_URL",
        env("GITHUB_API_URL").filter(|v| !v.is_empty()),
        crate::github::context::DEFAULT_API_URL,
    )?;
    let token = token
        .clone()
        .context("no GitHub token; hint: set `GITHUB_TOKEN` (`contents: read` suffices)")?;
    Ok((full, api_url, owner, name, token))
}

/// Updates the tracking issues from a finished watch: one sync per evaluated release, place
/// `release:<tag>` (a release with several SBOM assets: their findings together), so an issue
/// gains the place of every release that holds its finding and loses the place of one that no
/// longer does. Releases not evaluated (no SBOM, an error) are left alone: their places keep
/// what they had. Never changes the exit code: problems are warnings.
pub(super) fn track(plan: &Plan, watch: &Watch, io: &mut Io<'_>) -> anyhow::Result<()> {
    let Some(tracking) = &plan.track else {
        return Ok(());
    };
    let Sources::Releases { repo, token, .. } = &plan.sources else {
        return Ok(());
    };
    let env = io.env;
    let (_, api_url, owner, name, token) = github_repository(repo, token, env)?;
    let network = crate::github::client::Network::from_env(env);
    let local = super::track::local(
        &plan.workspace,
        plan.config.as_deref(),
        plan.config_by,
        None,
    )?;
    // The releases in watch order, each with the findings of all its SBOMs.
    let mut releases: Vec<(String, crate::track::input::Report)> = Vec::new();
    for (place, evaluation) in watch.places() {
        let mut json = Vec::new();
        crate::report::json::write(evaluation, &mut json)?;
        let report = crate::track::input::parse(&json).map_err(|e| anyhow::anyhow!("{e}"))?;
        match releases.iter_mut().find(|(p, _)| *p == place) {
            Some((_, all)) => {
                all.findings.extend(report.findings);
                all.unkeyed += report.unkeyed;
            }
            None => releases.push((place, report)),
        }
    }
    let mut summary = String::new();
    for (place, report) in &releases {
        let tag = place.trim_start_matches("release:");
        let outcome = crate::github::track::sync(
            &crate::github::track::Repo {
                api_url: &api_url,
                owner: &owner,
                name: &name,
                token: &token,
                network: &network,
            },
            report,
            &crate::github::track::Options {
                place,
                revision: tag,
                today: watch.today,
                scope: tracking.scope.into(),
                max_new: tracking.max_new,
                dry_run: false,
                settings: &local.settings,
                codeowners: local.codeowners.as_ref(),
                present: None,
                spacing: super::track::spacing(env),
            },
            &mut crate::track::NoNotifier,
        );
        for line in &outcome.lines {
            writeln!(
                io.stderr,
                "kevgate: {}: {}",
                crate::text::terminal(place),
                crate::text::terminal(line)
            )?;
        }
        for w in local
            .notes
            .iter()
            .chain(&outcome.notes)
            .chain(&outcome.warnings)
        {
            writeln!(
                io.stderr,
                "warning: tracking issues of `{}`: {}",
                crate::text::terminal(place),
                crate::text::terminal(w)
            )?;
        }
        summary.push_str(&format!("#### {}\n\n", crate::text::markdown(place)));
        summary.push_str(&outcome.summary(false));
    }
    if let Some(path) = env("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        super::action::append(Path::new(&path), &summary)?;
    }
    Ok(())
}

fn watched(
    release: &str,
    published: Option<jiff::Timestamp>,
    url: Option<String>,
    sbom: Option<String>,
) -> Watched {
    Watched {
        release: release.to_owned(),
        published,
        url,
        sbom,
        checked: Checked::NoSbom,
    }
}

// ---- `kevgate summarize`

/// `kevgate summarize`'s arguments.
#[derive(Debug, Args)]
pub struct SummarizeArgs {
    /// kevgate JSON reports (`scan --format json`, `watch --format json`); each is named by
    /// its file name without `.json` in the summary.
    #[arg(value_name = "REPORT", required = true)]
    reports: Vec<PathBuf>,
    /// Write the Markdown here instead of stdout (it is also appended to
    /// `GITHUB_STEP_SUMMARY` when that is set).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `kevgate summarize`: one Markdown table over many JSON reports; exit 1 if any report's
/// verdict is `fail`, 2 if one cannot be read (after the table, which shows it).
pub(super) fn summarize(args: SummarizeArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let ws = Workspace::new(Path::new("."))?;
    let mut rows = Vec::new();
    for path in &args.reports {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".json").to_owned())
            .unwrap_or_else(|| path.display().to_string());
        let read = ws
            .read(path, NamedBy::User, crate::baseline::MAX_BYTES)
            .and_then(|bytes| {
                crate::report::summary::Row::parse(&name, &bytes)
                    .map_err(|e| anyhow::anyhow!("`{}`: {e}", path.display()))
            });
        rows.push(match read {
            Ok(row) => row,
            Err(e) => crate::report::summary::Row::unreadable(&name, &format!("{e:#}")),
        });
    }
    let text = crate::report::summary::markdown(&rows);
    match &args.output {
        Some(path) => super::scan::write_user_output(&ws, path, text.as_bytes())?,
        None => io.stdout.write_all(text.as_bytes())?,
    }
    if let Some(path) = (io.env)("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        super::action::append(Path::new(&path), &text)?;
    }
    let unreadable = rows.iter().filter(|r| r.error.is_some()).count();
    if unreadable > 0 {
        bail!("{unreadable} of {} reports could not be read", rows.len());
    }
    Ok(if rows.iter().any(|r| r.failed) {
        Outcome::Failed
    } else {
        Outcome::Passed
    })
}
