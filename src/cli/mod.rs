//! The command line: reads files, environment and the clock; writes outputs.
//!
//! A thin layer in the manner of ripgrep's `crates/core/main.rs`: [`args`] holds the clap
//! definitions, [`run`] parses them and dispatches each command to its runner, one file per
//! command family:
//!
//! - `scan.rs`: `kevgate scan`, and the one input-gathering step it shares with `action`
//!   (database, SBOM, policy, baseline, in that order, then the pure core
//!   [`crate::evaluate`]);
//! - `policy.rs`: reading the policy files (`.kevgate.yaml`, trivy ignore files, VEX) and
//!   `kevgate policy test`;
//! - `db.rs`: `kevgate db build|update|status|verify` and where a scan's database comes from;
//! - `action.rs`: `kevgate action`, the GitHub Action;
//! - `track.rs`: `kevgate track` and the action's `track` input (tracking issues);
//! - `watch.rs`: `kevgate watch` (releases re-checked) and `kevgate summarize`.
//!
//! `main.rs` turns the [`Outcome`] or error into the exit code. The environment is passed in
//! as a lookup function, so tests can run the CLI in-process with an environment of their own.

use crate::report;
use anyhow::Context as _;
use std::ffi::OsString;
use std::io::{IsTerminal, Write};

mod action;
pub mod args;
mod db;
mod policy;
mod sbom_input;
mod scan;
mod track;
mod watch;
mod weekly;

pub use args::Cli;
use args::{Command, DbCommand, PolicyCommand};
pub use db::{BUNDLED_DB, CACHE_DB_FILE, cache_dir};

/// Exit codes, documented in `docs/exit-codes.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The gate passed, or a command other than `scan` succeeded: exit 0.
    Passed,
    /// The gate failed: exit 1.
    Failed,
}

impl Outcome {
    /// The outcome of a gate's verdict.
    fn of(verdict: crate::Verdict) -> Outcome {
        match verdict {
            crate::Verdict::Pass => Outcome::Passed,
            crate::Verdict::Fail => Outcome::Failed,
        }
    }
}

/// What the process needs from its surroundings.
pub struct Io<'a> {
    /// Environment lookup.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Standard output (data only), neutralised for the Actions runner.
    pub stdout: &'a mut crate::output::Console,
    /// Standard error (logs, warnings), neutralised likewise.
    pub stderr: &'a mut crate::output::Console,
    /// Whether standard output is a terminal.
    pub stdout_is_terminal: bool,
}

/// Runs kevgate with `args` (including the program name).
///
/// `Err` is an error (exit 2); clap's own usage errors are returned as `Err` too, with their
/// rendered message, except `--help`/`--version`, which print and return `Passed`.
pub fn run(args: Vec<OsString>, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let cli = match <Cli as clap::Parser>::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                write!(io.stdout, "{}", e.render())?;
                return Ok(Outcome::Passed);
            }
            _ => return Err(UsageError(e.render().to_string()).into()),
        },
    };
    match cli.command {
        Command::Scan(args) => scan::run(args, io),
        Command::Db { command } => match command {
            DbCommand::Build(args) => db::build(args, io),
            DbCommand::Update(args) => db::update(args, io),
            DbCommand::Status(args) => db::status(args, io, false),
            DbCommand::Verify(args) => db::status(args, io, true),
            DbCommand::Pack(args) => crate::db::pack::run(&args, io.stderr)
                .map(|()| Outcome::Passed)
                .map_err(Into::into),
        },
        Command::Policy { command } => match command {
            PolicyCommand::Test(args) => policy::test(args, io),
        },
        Command::Action => action::run(io),
        Command::Track(args) => track::run(args, io),
        Command::Report(args) => weekly::run(args, io),
        Command::Watch(args) => watch::run(args, io),
        Command::Summarize(args) => watch::summarize(args, io),
    }
}

/// A command-line usage error, already rendered by clap (multi-line, with usage).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Today's date: `KEVGATE_NOW` (YYYY-MM-DD, for reproducible runs and tests), else UTC now.
fn today(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<jiff::civil::Date> {
    use anyhow::Context as _;
    match env("KEVGATE_NOW").filter(|v| !v.is_empty()) {
        Some(v) => v
            .parse::<jiff::civil::Date>()
            .with_context(|| format!("`KEVGATE_NOW` is not a date (YYYY-MM-DD): `{v}`")),
        None => Ok(jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()),
    }
}

/// The REST base URL and token of the commands that call GitHub outside the action (`track`,
/// `report`): `GITHUB_API_URL` checked as the action's context checks it
/// ([`crate::github::context::base_url`]), `GITHUB_TOKEN` required, `hint` saying what it needs.
fn github_env(
    env: &dyn Fn(&str) -> Option<String>,
    hint: &str,
) -> anyhow::Result<(String, String)> {
    let token = env("GITHUB_TOKEN")
        .filter(|t| !t.trim().is_empty())
        .with_context(|| format!("`GITHUB_TOKEN` is not set; hint: {hint}"))?;
    let api_url = crate::github::context::base_url(
        "GITHUB_API_URL",
        env("GITHUB_API_URL").filter(|u| !u.trim().is_empty()),
        crate::github::context::DEFAULT_API_URL,
    )?;
    Ok((api_url, token))
}

/// Whether this process's stdout is a terminal.
#[allow(clippy::disallowed_methods, reason = "asks, writes nothing")]
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Pretty JSON with a trailing newline.
fn pretty_json(value: &impl serde::Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("plain data serialises");
    bytes.push(b'\n');
    bytes
}

/// The reporters' options: only the table's colour varies.
fn report_options(color: bool) -> report::Options<'static> {
    report::Options {
        table: report::table::TableOptions { color },
        ..report::Options::default()
    }
}

/// Writes `bytes` to `path` atomically ([`crate::atomic_file`]); errors name the path.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    crate::atomic_file::write(path, bytes).map_err(|e| anyhow::anyhow!("{e}"))
}
