//! `kevgate report --repo OWNER/NAME --since 7d [--format markdown|json] [--chart FILE.svg]
//! [--post]`: the weekly report over the tracking issues (issue 15 item 4, `src/weekly.rs`).
//!
//! Reads the tracking issues from GitHub (`GITHUB_TOKEN`, `GITHUB_API_URL`), writes the report
//! to stdout and the chart to `--chart`; with `--post`, updates the pinned report issue and,
//! when `KEVGATE_SLACK_WEBHOOK` is set, posts the digest to Slack. Unlike `track`, failing
//! to read GitHub is an error here (exit 2): the report is the command's whole output.
//! Failing to post is a warning.

use super::track::repository;
use super::{Io, Outcome, today};
use crate::github::client::Network;
use crate::github::track::Repo;
use anyhow::Context as _;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Markdown (the pinned issue's body).
    Markdown,
    /// JSON (`schema_version` 1).
    Json,
}

/// `kevgate report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The repository, `OWNER/NAME` [default: `GITHUB_REPOSITORY`].
    #[arg(long, value_name = "OWNER/NAME")]
    repo: Option<String>,
    /// The period: days (`7d`) or weeks (`2w`) up to today.
    #[arg(long, value_name = "PERIOD", default_value = "7d", value_parser = parse_period)]
    since: i64,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "markdown")]
    format: ReportFormat,
    /// Also draw the 12-week chart into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    chart: Option<PathBuf>,
    /// Update the pinned issue "kevgate weekly report" (create it if missing) and, with
    /// `KEVGATE_SLACK_WEBHOOK` set, send the digest to Slack.
    #[arg(long)]
    post: bool,
}

/// `7d`, `2w`, or a bare number of days; 1 to 366 days.
fn parse_period(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (n, unit) = match t.strip_suffix('d') {
        Some(n) => (n, 1),
        None => match t.strip_suffix('w') {
            Some(n) => (n, 7),
            None => (t, 1),
        },
    };
    match n.parse::<i64>() {
        Ok(n) if (1..=366).contains(&(n * unit)) => Ok(n * unit),
        _ => Err("a period of 1 to 366 days, e.g. `7d` or `2w`".to_owned()),
    }
}

/// `kevgate report`.
pub(super) fn run(args: ReportArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let env = io.env;
    let repo = args
        .repo
        .or_else(|| env("GITHUB_REPOSITORY"))
        .filter(|r| !r.trim().is_empty())
        .context("no repository; hint: `--repo OWNER/NAME` (or set `GITHUB_REPOSITORY`)")?;
    let (owner, name) = repository(&repo)?;
    let (api_url, token) = super::github_env(env, "a token that can read issues")?;
    let today = today(env)?;
    let network = Network::from_env(env);
    let gh = Repo {
        api_url: api_url.trim_end_matches('/'),
        owner: &owner,
        name: &name,
        token: &token,
        network: &network,
    };
    let (tracked, notes) = crate::github::weekly::tracked(&gh)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot read the tracking issues")?;
    let mut weekly = crate::weekly::build(&format!("{owner}/{name}"), &tracked, today, args.since);
    weekly.notes = notes;
    let markdown = crate::weekly::markdown(&weekly);
    match args.format {
        ReportFormat::Markdown => write!(io.stdout, "{markdown}")?,
        ReportFormat::Json => {
            crate::output::write_json(io.stdout, &weekly)?;
            writeln!(io.stdout)?;
        }
    }
    if let Some(path) = &args.chart {
        let svg = crate::weekly::chart::svg(&weekly).map_err(|e| anyhow::anyhow!("{e}"))?;
        let ws = crate::workspace::Workspace::from_env(env)?;
        super::scan::write_user_output(&ws, path, svg.as_bytes())?;
    }
    for n in &weekly.notes {
        writeln!(io.stderr, "kevgate: note: {}", crate::text::terminal(n))?;
    }
    if args.post {
        match crate::github::weekly::post(&gh, &markdown) {
            Ok((number, warnings)) => {
                writeln!(io.stderr, "kevgate: weekly report in issue #{number}")?;
                for w in warnings {
                    writeln!(io.stderr, "kevgate: warning: {}", crate::text::terminal(&w))?;
                }
            }
            Err(e) => writeln!(
                io.stderr,
                "kevgate: warning: the report issue is not updated: {}",
                crate::text::terminal(&e)
            )?,
        }
        let settings = crate::notify::Settings::default();
        let (mut channels, warnings) = crate::notify::Channels::from_env(settings, env);
        for w in warnings {
            writeln!(io.stderr, "kevgate: warning: {}", crate::text::terminal(&w))?;
        }
        if channels.slack_on() {
            match channels.post_slack(&crate::weekly::slack(&weekly)) {
                Ok(()) => writeln!(io.stderr, "kevgate: weekly digest sent to Slack")?,
                Err(e) => writeln!(
                    io.stderr,
                    "kevgate: warning: slack: the weekly digest is not sent: {}",
                    crate::text::terminal(&e)
                )?,
            }
        }
    }
    Ok(Outcome::Passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Periods in days and weeks; zero, negative and absurd ones refused.
    #[test]
    fn periods() {
        for (text, want) in [
            ("7d", Ok(7)),
            ("2w", Ok(14)),
            ("30", Ok(30)),
            ("0d", Err(())),
            ("-1d", Err(())),
            ("999w", Err(())),
            ("x", Err(())),
        ] {
            assert_eq!(parse_period(text).map_err(drop), want, "{text}");
        }
    }
}
