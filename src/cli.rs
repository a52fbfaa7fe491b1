//! The command line: reads files, environment and the clock; writes outputs.
//!
//! Everything that touches the outside world for a scan happens here, in this order: parse
//! arguments, resolve the database (`--db`, `KEVGATE_DB`, the cache, the bundled snapshot),
//! check its age, read and parse the SBOM, call the pure core ([`crate::evaluate`]), write
//! each report. `main.rs` turns the [`Outcome`] or error into the exit code.
//!
//! The environment is passed in as a lookup function, so tests can run the CLI in-process
//! with an environment of their own.

use crate::db::{self, VulnDb};
use crate::policy::{DbOrigin, DbOriginKind, FailOn, Policy, Verdict};
use crate::report::{self, Format};
use crate::sbom;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

mod action;

/// The demo database compiled into the binary: real records trimmed to what the example SBOM
/// needs. Rebuilt from `assets/demo-db/` by a test so it cannot drift.
pub static BUNDLED_DB: &[u8] = include_bytes!("../assets/demo.kvdb");

/// Exit codes, documented in `docs/exit-codes.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The gate passed, or a command other than `scan` succeeded: exit 0.
    Passed,
    /// The gate failed: exit 1.
    Failed,
}

/// kevgate: fail CI on exploited (CISA KEV) and critical vulnerabilities in a CycloneDX SBOM.
#[derive(Debug, Parser)]
#[command(name = "kevgate", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan a CycloneDX SBOM and decide pass (exit 0) or fail (exit 1).
    Scan(ScanArgs),
    /// Build and inspect the vulnerability database.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Run as the GitHub Action: inputs from `INPUT_*` variables (see `action.yml`).
    Action,
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Build a database from feed files (OSV, NVD, CISA KEV, EPSS) as they are published.
    Build(BuildArgs),
}

/// When to colour the terminal table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// The CycloneDX JSON SBOM (spec 1.2-1.7), e.g. from `trivy fs --format cyclonedx`.
    sbom: PathBuf,
    /// Database file. Default: `KEVGATE_DB`, else the cache `kevgate db update` fills, else
    /// the demo snapshot bundled in the binary.
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Report format; repeat to write several. Pairs in order with `--output`.
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Vec<Format>,
    /// Where to write each `--format`, in order; formats without one go to stdout.
    #[arg(long, value_name = "FILE")]
    output: Vec<PathBuf>,
    /// Lowest severity that fails the gate.
    #[arg(long, value_enum, default_value = "critical")]
    fail_on: FailOn,
    /// Fail on any finding in CISA KEV (the default).
    #[arg(long, overrides_with = "no_fail_on_kev")]
    fail_on_kev: bool,
    /// Do not fail on KEV findings by themselves (they still count as critical).
    #[arg(long, overrides_with = "fail_on_kev")]
    no_fail_on_kev: bool,
    /// Refuse a database whose data is older than this many days (the bundled demo is exempt).
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    max_db_age: u32,
    /// Colour the table.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// Where to write the database.
    #[arg(long, value_name = "PATH")]
    output: PathBuf,
    /// CISA KEV catalog JSON (file or directory).
    #[arg(long, value_name = "PATH")]
    kev: Vec<PathBuf>,
    /// NVD CVE records: API 2.0 pages or items, or JSON 1.1 feeds (file or directory).
    #[arg(long, value_name = "PATH")]
    nvd: Vec<PathBuf>,
    /// OSV records: .json, .jsonl, .gz, .zip (file or directory).
    #[arg(long, value_name = "PATH")]
    osv: Vec<PathBuf>,
    /// FIRST EPSS CSV, plain or .gz (file or directory).
    #[arg(long, value_name = "PATH")]
    epss: Vec<PathBuf>,
    /// The build time recorded in the manifest (RFC 3339). Default: `SOURCE_DATE_EPOCH`,
    /// else now. Fix it for reproducible databases.
    #[arg(long, value_name = "TIMESTAMP")]
    built_at: Option<String>,
}

/// What the process needs from its surroundings.
pub struct Io<'a> {
    /// Environment lookup.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Standard output (data only).
    pub stdout: &'a mut dyn Write,
    /// Standard error (logs, warnings).
    pub stderr: &'a mut dyn Write,
    /// Whether standard output is a terminal.
    pub stdout_is_terminal: bool,
}

/// Runs kevgate with `args` (including the program name).
///
/// `Err` is an error (exit 2); clap's own usage errors are returned as `Err` too, with their
/// rendered message, except `--help`/`--version`, which print and return `Passed`.
pub fn run(args: Vec<OsString>, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let cli = match Cli::try_parse_from(args) {
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
        Command::Scan(args) => scan(args, io),
        Command::Db {
            command: DbCommand::Build(args),
        } => build(args, io),
        Command::Action => action::run(io),
    }
}

/// A command-line usage error, already rendered by clap (multi-line, with usage).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Today's date: `KEVGATE_NOW` (YYYY-MM-DD, for reproducible runs and tests), else UTC now.
fn today(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<jiff::civil::Date> {
    match env("KEVGATE_NOW").filter(|v| !v.is_empty()) {
        Some(v) => v
            .parse::<jiff::civil::Date>()
            .with_context(|| format!("`KEVGATE_NOW` is not a date (YYYY-MM-DD): `{v}`")),
        None => Ok(jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()),
    }
}

/// The cache directory `kevgate db update` fills: `KEVGATE_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/kevgate`, else `$HOME/.cache/kevgate`.
pub fn cache_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let non_empty = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(dir) = non_empty("KEVGATE_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = non_empty("XDG_CACHE_HOME") {
        return Some(Path::new(&dir).join("kevgate"));
    }
    non_empty("HOME").map(|h| Path::new(&h).join(".cache").join("kevgate"))
}

/// The database file inside the cache directory.
pub const CACHE_DB_FILE: &str = "kevgate.db";

/// Finds and loads the database: `--db`, `KEVGATE_DB`, the cache, the bundled snapshot.
fn load_db(
    flag: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<(VulnDb, DbOrigin)> {
    let from_file = |path: &Path, kind: DbOriginKind| -> anyhow::Result<(VulnDb, DbOrigin)> {
        let bytes = fs_err::read(path).map_err(|e| anyhow::anyhow!("{e}"))?;
        let db = VulnDb::from_bytes(bytes)
            .with_context(|| format!("database `{}` cannot be used", path.display()))?;
        Ok((
            db,
            DbOrigin {
                kind,
                path: Some(path.display().to_string()),
                age_days: None,
            },
        ))
    };
    if let Some(path) = flag {
        return from_file(path, DbOriginKind::Flag);
    }
    if let Some(path) = env("KEVGATE_DB").filter(|v| !v.is_empty()) {
        return from_file(Path::new(&path), DbOriginKind::Env);
    }
    if let Some(dir) = cache_dir(env) {
        let path = dir.join(CACHE_DB_FILE);
        if path.is_file() {
            return from_file(&path, DbOriginKind::Cache);
        }
    }
    let db = VulnDb::from_bytes(BUNDLED_DB.to_vec())
        .context("the database bundled in kevgate is corrupt")?;
    Ok((
        db,
        DbOrigin {
            kind: DbOriginKind::Bundled,
            path: None,
            age_days: None,
        },
    ))
}

fn scan(args: ScanArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let env = io.env;
    let today = today(env)?;
    if args.output.len() > args.format.len().max(1) {
        bail!(
            "{} `--output` given for {} `--format`; hint: give one `--format` per `--output`, in order",
            args.output.len(),
            args.format.len().max(1)
        );
    }
    let formats = if args.format.is_empty() {
        vec![Format::Table]
    } else {
        args.format.clone()
    };
    let to_stdout = formats.len() - args.output.len().min(formats.len());
    if to_stdout > 1 {
        bail!(
            "{to_stdout} formats would be written to stdout; hint: give an `--output FILE` for all but one `--format`"
        );
    }

    let policy = Policy {
        fail_on: args.fail_on,
        fail_on_kev: !args.no_fail_on_kev,
    };
    let evaluation = evaluate_sbom(
        &ScanInputs {
            sbom: &args.sbom,
            db: args.db.as_deref(),
            policy,
            max_db_age: args.max_db_age,
            allow_bundled: true,
        },
        today,
        io,
    )?;

    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => io.stdout_is_terminal && env("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let mut wrote_stdout_table = false;
    for (i, format) in formats.iter().enumerate() {
        match args.output.get(i) {
            Some(path) => {
                let mut buf = Vec::new();
                report::write(*format, &evaluation, &mut buf, &report_options(false))?;
                fs_err::write(path, buf).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            None => {
                report::write(*format, &evaluation, io.stdout, &report_options(color))?;
                wrote_stdout_table |= *format == Format::Table;
            }
        }
    }
    if !wrote_stdout_table {
        let fails = evaluation
            .findings
            .iter()
            .filter(|f| f.decision == crate::policy::Decision::Fail)
            .count();
        writeln!(
            io.stderr,
            "kevgate: {} finding{}, {fails} failing the gate: {}",
            evaluation.findings.len(),
            if evaluation.findings.len() == 1 {
                ""
            } else {
                "s"
            },
            match evaluation.verdict {
                Verdict::Pass => "pass",
                Verdict::Fail => "fail",
            }
        )?;
    }
    Ok(match evaluation.verdict {
        Verdict::Pass => Outcome::Passed,
        Verdict::Fail => Outcome::Failed,
    })
}

/// What a scan reads: shared by `scan` and `action`.
struct ScanInputs<'a> {
    /// The SBOM file.
    sbom: &'a Path,
    /// `--db`.
    db: Option<&'a Path>,
    /// The gate's rules.
    policy: Policy,
    /// Oldest acceptable database data, in days (the bundled demo is exempt).
    max_db_age: u32,
    /// Whether the bundled demo database may be used (`action` refuses it by default).
    allow_bundled: bool,
}

/// Loads the database, checks its age, reads the SBOM and runs the core: everything of a scan
/// but writing reports.
fn evaluate_sbom(
    inputs: &ScanInputs<'_>,
    today: jiff::civil::Date,
    io: &mut Io<'_>,
) -> anyhow::Result<crate::Evaluation> {
    let env = io.env;
    let (db, mut origin) = load_db(inputs.db, env)?;
    origin.age_days = db.age_days(today);
    let data_date = db
        .data_date()
        .map(|d| d.to_string())
        .unwrap_or_else(|| "unknown".to_string());
    match origin.kind {
        DbOriginKind::Bundled if !inputs.allow_bundled => bail!(
            "no database given, and the demo database bundled in kevgate is not fit to gate \
             real builds; hint: pass a database (`db` input or `KEVGATE_DB`), or set \
             `allow-demo-db: true` to try kevgate out"
        ),
        DbOriginKind::Bundled => {
            writeln!(
                io.stderr,
                "warning: using the DEMO database bundled in kevgate (data from {data_date}, {} days old): \
                 it is not fit to gate real builds; hint: run `kevgate db update` or pass `--db`",
                origin
                    .age_days
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "?".into())
            )?;
        }
        _ => {
            let path = origin.path.as_deref().unwrap_or_default();
            match origin.age_days {
                Some(age) if age > i64::from(inputs.max_db_age) => {
                    return Err(db::DbError::Stale {
                        age_days: age,
                        max_days: i64::from(inputs.max_db_age),
                    })
                    .with_context(|| format!("database `{path}` (data from {data_date})"));
                }
                Some(_) => {}
                None => bail!(
                    "database `{path}` has no data date, so its age cannot be checked; \
                     hint: rebuild it with `kevgate db build`"
                ),
            }
        }
    }

    let bytes = fs_err::read(inputs.sbom).map_err(|e| anyhow::anyhow!("{e}"))?;
    let parsed =
        sbom::parse(&bytes).map_err(|e| anyhow::anyhow!("`{}`: {e}", inputs.sbom.display()))?;

    let mut evaluation = crate::evaluate(&parsed, &db, &inputs.policy, today);
    if origin.kind == DbOriginKind::Bundled {
        evaluation.notes.insert(
            0,
            crate::policy::Note {
                code: crate::policy::NoteCode::BundledDb,
                message: format!(
                    "the demo database bundled in kevgate was used (data from {data_date}): \
                     not fit to gate real builds; run `kevgate db update` or pass `--db`"
                ),
                component: None,
            },
        );
    }
    evaluation.db_origin = origin;
    evaluation.subject.sbom_path = inputs.sbom.display().to_string();
    Ok(evaluation)
}

fn report_options(color: bool) -> report::Options<'static> {
    report::Options {
        table: report::table::TableOptions { color },
        ..report::Options::default()
    }
}

fn build(args: BuildArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let built_at = match args.built_at.clone().or_else(|| {
        (io.env)("SOURCE_DATE_EPOCH")
            .filter(|v| !v.is_empty())
            .map(|v| format!("@{v}"))
    }) {
        Some(text) => parse_timestamp(&text)?,
        None => jiff::Timestamp::now(),
    };
    if args.kev.is_empty() && args.nvd.is_empty() && args.osv.is_empty() && args.epss.is_empty() {
        bail!("no inputs; hint: give at least one of `--osv`, `--nvd`, `--kev`, `--epss`");
    }
    let inputs = db::build::BuildInputs {
        kev: args.kev,
        nvd: args.nvd,
        osv: args.osv,
        epss: args.epss,
    };
    let bytes = db::build::build(&inputs, built_at)?;
    let db = VulnDb::from_bytes(bytes.clone()).context("the database just built does not load")?;
    write_atomically(&args.output, &bytes)?;
    for source in &db.manifest().sources {
        writeln!(
            io.stderr,
            "{}: {} records, data from {}",
            source.name,
            source.records,
            source.data_date.as_deref().unwrap_or("unknown date")
        )?;
    }
    writeln!(
        io.stderr,
        "wrote `{}` ({} bytes)",
        args.output.display(),
        bytes.len()
    )?;
    Ok(Outcome::Passed)
}

/// `@SECONDS` (as `SOURCE_DATE_EPOCH` gives) or RFC 3339.
fn parse_timestamp(text: &str) -> anyhow::Result<jiff::Timestamp> {
    if let Some(secs) = text.strip_prefix('@') {
        let secs: i64 = secs
            .parse()
            .with_context(|| format!("`{secs}` is not a number of seconds"))?;
        return jiff::Timestamp::from_second(secs)
            .with_context(|| format!("`{secs}` is out of range"));
    }
    text.parse::<jiff::Timestamp>()
        .with_context(|| format!("`{text}` is not an RFC 3339 timestamp"))
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so a
/// reader never sees half a database.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let file_name = path
        .file_name()
        .with_context(|| format!("`{}` is not a file path", path.display()))?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = match dir {
        Some(d) => d.join(&tmp_name),
        None => PathBuf::from(&tmp_name),
    };
    let result = (|| -> std::io::Result<()> {
        let mut file = fs_err::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs_err::rename(&tmp, path)?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs_err::remove_file(&tmp);
        return Err(anyhow::anyhow!("{e}"));
    }
    Ok(())
}

/// Whether this process's stdout is a terminal.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}
