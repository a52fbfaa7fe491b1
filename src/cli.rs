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
use crate::evaluation::{DbOrigin, DbOriginKind};
use crate::policy::{FailOn, Policy, Verdict};
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
    /// Work with the policy file (`.kevgate.yaml`).
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Run as the GitHub Action: inputs from `INPUT_*` variables (see `action.yml`).
    Action,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Run the `tests:` cases of the policy file against its rules (exit 1 if one fails).
    Test(PolicyTestArgs),
}

#[derive(Debug, Args)]
struct PolicyTestArgs {
    /// Policy file. Default: `.kevgate.yaml` in the working directory.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Build a database from feed files (OSV, NVD, CISA KEV, EPSS, JVN) as they are published.
    Build(BuildArgs),
    /// Download the feeds into the cache and rebuild its database.
    Update(UpdateArgs),
    /// Show what a database holds and how old it is.
    Status(StatusArgs),
    /// Check a database's checksum and structure.
    Verify(StatusArgs),
    /// Write the download form of a database (`db update --from` fetches it): zstd, ~2.5x smaller.
    Pack(db::pack::PackArgs),
}

/// How reports order findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SortOrder {
    /// KEV first, then severity, then EPSS (the evaluation's order).
    Kev,
    /// Triage priority first (`docs/priority.md`), then the default order.
    Priority,
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
    /// The SBOM: CycloneDX JSON or XML (1.2-1.7), SPDX 2.x JSON or SPDX 3 JSON-LD, plain or
    /// gzip'd; the format is told from the content. E.g. `trivy fs --format cyclonedx`.
    sbom: PathBuf,
    /// Refuse an SBOM larger than this, read or inflated (bytes, or with a unit: `2GiB`,
    /// `512MiB`) [default: `KEVGATE_MAX_SBOM_SIZE`, else 1GiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_sbom_size: Option<u64>,
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
    /// Lowest severity that fails the gate [default: `fail-on` in the config, else critical].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Fail on any finding in CISA KEV (the default).
    #[arg(long, overrides_with = "no_fail_on_kev")]
    fail_on_kev: bool,
    /// Do not fail on KEV findings by themselves (they still count as critical).
    #[arg(long, overrides_with = "fail_on_kev")]
    no_fail_on_kev: bool,
    /// Fail on any known-malicious package version (the default).
    #[arg(long, overrides_with = "no_fail_on_malicious")]
    fail_on_malicious: bool,
    /// Do not fail on known-malicious package versions by themselves (they are still
    /// reported, and fail by severity like any finding).
    #[arg(long, overrides_with = "fail_on_malicious")]
    no_fail_on_malicious: bool,
    /// Refuse a database whose data is older than this many days (the bundled demo is exempt).
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    max_db_age: u32,
    /// Colour the table.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Fail on KEV findings with known ransomware campaign use, even with `--no-fail-on-kev`.
    #[arg(long)]
    fail_on_ransomware: bool,
    /// Fail on KEV findings past their CISA due date, even with `--no-fail-on-kev`.
    #[arg(long)]
    fail_on_kev_past_due: bool,
    /// Fail on findings whose EPSS score (0-1) is at least this.
    #[arg(long, value_name = "SCORE", value_parser = parse_epss)]
    fail_on_epss: Option<f64>,
    /// Fail only on findings with a known fixed version (the others become warnings).
    #[arg(long)]
    only_fixable: bool,
    /// The base scan to compare with: the base branch's SBOM (evaluated with the same
    /// database) or an earlier `--format json` report. Each finding gets `change`.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Order of findings in every report: `kev` (KEV, severity, EPSS; the default) or
    /// `priority` (act, attend, track*, track; then the default order).
    #[arg(long, value_enum, default_value = "kev")]
    sort: SortOrder,
    /// Only findings not in `--baseline` can fail the gate.
    #[arg(long, requires = "baseline")]
    fail_on_new_only: bool,
    /// Policy file (`docs/config.md`). Default: `.kevgate.yaml` in the working directory,
    /// if there is one. Flags override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Whose rating sets a finding's severity, comma-separated, first that rates it wins
    /// [default: `severity-source` in the config, else nvd,jvn,osv,sbom,ghsa].
    #[arg(long, value_enum, value_name = "LIST", value_delimiter = ',')]
    severity_source: Vec<crate::enrich::SeveritySource>,
    /// The Red Hat extended stream the scanned system is on: `eus-8.6`, `aus-8.4`,
    /// `e4s-9.0`, `tus-8.8`. Its RHEL packages are checked against that stream's advisories
    /// instead of the main stream's [default: `rhel-stream` in the config, else the main
    /// stream].
    #[arg(long, value_name = "STREAM", value_parser = parse_rhel_stream)]
    rhel_stream: Option<crate::purl::RhelStream>,
    /// Write the gate attestation here: an in-toto Statement v1 naming the scanned image (or
    /// the SBOM file) and the verdict, for `actions/attest` to sign (`docs/attestation.md`).
    #[arg(long, value_name = "FILE")]
    attestation: Option<PathBuf>,
}

/// `--rhel-stream`: `eus-8.6` and friends.
fn parse_rhel_stream(text: &str) -> Result<crate::purl::RhelStream, String> {
    text.parse()
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
    /// JVN iPedia (IPA): MyJVN API responses or the RSS / detail feeds (`.rdf`, `.xml`,
    /// maybe `.gz`; file or directory).
    #[arg(long, value_name = "PATH")]
    jvn: Vec<PathBuf>,
    /// The build time recorded in the manifest (RFC 3339). Default: `SOURCE_DATE_EPOCH`,
    /// else now. Fix it for reproducible databases.
    #[arg(long, value_name = "TIMESTAMP")]
    built_at: Option<String>,
    /// Which CVEs to keep NVD and EPSS records for: `all`, or `referenced` (those an OSV
    /// advisory or KEV entry names; smaller) (env `KEVGATE_CVE_SCOPE`; default `all`).
    #[arg(long, value_enum, value_name = "SCOPE")]
    cve_scope: Option<db::CveScope>,
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
        Command::Db {
            command: DbCommand::Update(args),
        } => update(args, io),
        Command::Db {
            command: DbCommand::Status(args),
        } => status(args, io, false),
        Command::Db {
            command: DbCommand::Verify(args),
        } => status(args, io, true),
        Command::Db {
            command: DbCommand::Pack(args),
        } => db::pack::run(&args, io.stderr).map(|()| Outcome::Passed).map_err(Into::into),
        Command::Policy {
            command: PolicyCommand::Test(args),
        } => policy_test(args, io),
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
/// Also returns the sha256 of the database file's bytes (for the gate attestation).
fn load_db(
    flag: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<(VulnDb, DbOrigin, String)> {
    let from_file =
        |path: &Path, kind: DbOriginKind| -> anyhow::Result<(VulnDb, DbOrigin, String)> {
            let bytes = fs_err::read(path).map_err(|e| anyhow::anyhow!("{e}"))?;
            let sha256 = crate::attestation::sha256_hex(&bytes);
            let db = VulnDb::from_bytes(bytes)
                .with_context(|| format!("database `{}` cannot be used", path.display()))?;
            Ok((
                db,
                DbOrigin {
                    kind,
                    path: Some(path.display().to_string()),
                    age_days: None,
                },
                sha256,
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
        crate::attestation::sha256_hex(BUNDLED_DB),
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

    // The policy files are checked first: a config error is reported before any scanning.
    let ws = crate::workspace::Workspace::new(Path::new("."))?;
    let files = read_policy_files(&ws, args.config.as_deref(), crate::workspace::NamedBy::User)?;
    let make_policy = |bytes: &[u8],
                       parsed: &sbom::Sbom,
                       db: &VulnDb|
     -> anyhow::Result<(Policy, Vec<crate::note::Note>)> {
        let scanned = crate::vex::Scanned::of(parsed);
        let (mut policy, notes) = load_policy(&args, &files, (bytes, parsed), &scanned)?;
        if let Some(path) = &args.baseline {
            let cap = max_sbom_bytes(args.max_sbom_size, io.env)?;
            policy.baseline = Some(load_baseline(&ws, path, cap, db, &policy, today)?);
            policy.fail_on_new_only = args.fail_on_new_only;
        }
        Ok((policy, notes))
    };
    let (evaluation, facts) = evaluate_sbom(
        &ScanInputs {
            sbom: &args.sbom,
            db: args.db.as_deref(),
            policy: &make_policy,
            max_db_age: args.max_db_age,
            allow_bundled: true,
            max_sbom_bytes: args.max_sbom_size,
            banner_on_stdout: formats.iter().enumerate().any(|(i, f)| {
                args.output.get(i).is_none() && matches!(f, Format::Table | Format::Markdown)
            }),
            order: match args.sort {
                SortOrder::Kev => crate::FindingOrder::Severity,
                SortOrder::Priority => crate::FindingOrder::Priority,
            },
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
                write_user_output(&ws, path, &buf)?;
            }
            None => {
                report::write(*format, &evaluation, io.stdout, &report_options(color))?;
                wrote_stdout_table |= *format == Format::Table;
            }
        }
    }
    if let Some(path) = &args.attestation {
        write_user_output(
            &ws,
            path,
            &pretty_json(&facts.statement(&evaluation, &args.sbom)),
        )?;
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

/// Writes a file the command line named: inside the working directory atomically and confined
/// like a repository's path ([`crate::workspace`]); outside it as the user's choice
/// (`/dev/stdout` too).
fn write_user_output(
    ws: &crate::workspace::Workspace,
    path: &Path,
    bytes: &[u8],
) -> anyhow::Result<()> {
    let user = crate::workspace::NamedBy::User;
    if ws.confines(path, user) {
        write_atomically(&ws.output_path(path, user)?, bytes)
    } else {
        fs_err::write(path, bytes).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// The policy files as read, before parsing what depends on the SBOM: from the workspace
/// ([`read_policy_files`]) or, for `action` on a pull request, from the base commit.
#[derive(Debug, Clone, Default)]
struct PolicyFiles {
    /// The config, parsed and checked.
    config: crate::config::Config,
    /// `.trivyignore` and `.trivyignore.yaml` when present: name and bytes.
    trivyignore: Vec<(&'static str, Vec<u8>)>,
    /// The config's `vex` documents: name (as shown) and bytes.
    vex: Vec<(String, Vec<u8>)>,
}

/// The parser of a trivy ignore file by its name.
fn trivyignore_parser(
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
fn read_policy_files(
    ws: &crate::workspace::Workspace,
    flag: Option<&Path>,
    by: crate::workspace::NamedBy,
) -> anyhow::Result<PolicyFiles> {
    use crate::workspace::{NamedBy, POLICY_FILE_MAX_BYTES};
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

/// The policy: the config with the command-line flags over it; its ignores, then
/// `.trivyignore`, `.trivyignore.yaml`, the config's `vex` documents and the SBOM's own VEX
/// `analysis`. Returns notes about trivy ignores that could not be applied.
fn load_policy(
    args: &ScanArgs,
    files: &PolicyFiles,
    (sbom_bytes, parsed): (&[u8], &sbom::Sbom),
    scanned: &crate::vex::Scanned<'_>,
) -> anyhow::Result<(Policy, Vec<crate::note::Note>)> {
    let config = &files.config;
    let fail_on_kev = if args.fail_on_kev {
        true
    } else if args.no_fail_on_kev {
        false
    } else {
        config.fail_on_kev.unwrap_or(true)
    };
    let fail_on_malicious = if args.fail_on_malicious {
        true
    } else if args.no_fail_on_malicious {
        false
    } else {
        config.fail_on_malicious.unwrap_or(true)
    };
    let (mut ignores, mut notes) = file_ignores(files, scanned)?;
    // The SBOM's own VEX `analysis`: from the document (JSON), or from the parsed SBOM for
    // serialisations the VEX reader does not parse (CycloneDX XML).
    let sbom_name = args.sbom.display().to_string();
    let own = match parsed.format {
        sbom::Format::CycloneDxXml => crate::vex::from_parsed(parsed, &sbom_name),
        _ => crate::vex::from_sbom(sbom_bytes, &sbom_name),
    };
    ignores.extend(own.ignores);
    notes.extend(general_notes(
        crate::note::NoteCode::VexUnknownStatus,
        own.unknown_status,
    ));
    let policy = Policy {
        fail_on: args.fail_on.or(config.fail_on).unwrap_or(FailOn::Critical),
        fail_on_kev,
        fail_on_malicious,
        fail_on_ransomware: args.fail_on_ransomware || config.fail_on_ransomware == Some(true),
        fail_on_kev_past_due: args.fail_on_kev_past_due
            || config.fail_on_kev_past_due == Some(true),
        fail_on_epss: args.fail_on_epss.or(config.fail_on_epss),
        only_fixable: args.only_fixable || config.only_fixable == Some(true),
        ignores,
        severity_source: match (&args.severity_source[..], &config.severity_source) {
            ([], Some(order)) => order.clone(),
            ([], None) => crate::enrich::SeveritySource::DEFAULT.to_vec(),
            (order, _) => order.to_vec(),
        },
        rhel_stream: args.rhel_stream.clone().or(config.rhel_stream.clone()),
        ..Policy::default()
    };
    Ok((policy, notes))
}

/// The exceptions the policy files declare (config ignores, trivy ignore files, VEX
/// statements), and notes about entries that could not be applied.
fn file_ignores(
    files: &PolicyFiles,
    scanned: &crate::vex::Scanned<'_>,
) -> anyhow::Result<(Vec<crate::policy::Ignore>, Vec<crate::note::Note>)> {
    let mut ignores = files.config.ignores.clone();
    let mut notes = Vec::new();
    for (name, bytes) in &files.trivyignore {
        let parsed = trivyignore_parser(name)(bytes, name)?;
        ignores.extend(parsed.ignores);
        notes.extend(general_notes(
            crate::note::NoteCode::UnusedIgnore,
            parsed.skipped,
        ));
    }
    for (name, bytes) in &files.vex {
        let parsed = crate::vex::parse(bytes, name, scanned)?;
        ignores.extend(parsed.ignores);
        notes.extend(general_notes(
            crate::note::NoteCode::VexOtherProduct,
            parsed.other_products,
        ));
        notes.extend(general_notes(
            crate::note::NoteCode::VexUnknownStatus,
            parsed.unknown_status,
        ));
    }
    Ok((ignores, notes))
}

/// Notes with `code` about no component in particular, one per message.
fn general_notes(
    code: crate::note::NoteCode,
    messages: Vec<String>,
) -> impl Iterator<Item = crate::note::Note> {
    messages.into_iter().map(move |message| crate::note::Note {
        code,
        message,
        component: None,
    })
}

/// The base scan's findings: an earlier JSON report as it is, or an SBOM evaluated with the
/// same database and policy.
fn load_baseline(
    ws: &crate::workspace::Workspace,
    path: &Path,
    max_sbom_bytes: u64,
    db: &VulnDb,
    policy: &Policy,
    today: jiff::civil::Date,
) -> anyhow::Result<crate::baseline::Baseline> {
    let raw = ws.read(
        path,
        crate::workspace::NamedBy::User,
        crate::baseline::MAX_BYTES,
    )?;
    let source = path.display().to_string();
    let inflated = sbom::inflate(&raw, max_sbom_bytes)
        .map_err(|e| anyhow::anyhow!("baseline `{source}`: {e}"))?;
    let bytes = &inflated.bytes;
    if crate::baseline::Baseline::is_report(bytes) {
        return Ok(crate::baseline::Baseline::from_report(bytes, &source)?);
    }
    let base =
        sbom::parse_inflated(&inflated).map_err(|e| anyhow::anyhow!("baseline `{source}`: {e}"))?;
    let evaluation = crate::evaluate(crate::Inputs::new(&base, db, policy, today))?;
    Ok(crate::baseline::Baseline::from_findings(
        evaluation.findings.iter().map(|e| &e.finding),
        &source,
    ))
}

/// `kevgate policy test`: runs the config's `tests:` cases through the policy.
fn policy_test(args: PolicyTestArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let today = today(io.env)?;
    let by = match args.config {
        Some(_) => crate::workspace::NamedBy::User,
        None => crate::workspace::NamedBy::Repository,
    };
    let path = args
        .config
        .unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_FILE));
    let bytes = crate::workspace::Workspace::new(Path::new("."))?.read(
        &path,
        by,
        crate::workspace::POLICY_FILE_MAX_BYTES,
    )?;
    let config = crate::config::parse(&bytes, &path.display().to_string())?;
    let policy = Policy {
        fail_on: config.fail_on.unwrap_or(FailOn::Critical),
        fail_on_kev: config.fail_on_kev.unwrap_or(true),
        fail_on_malicious: config.fail_on_malicious.unwrap_or(true),
        fail_on_ransomware: config.fail_on_ransomware == Some(true),
        fail_on_kev_past_due: config.fail_on_kev_past_due == Some(true),
        fail_on_epss: config.fail_on_epss,
        only_fixable: config.only_fixable == Some(true),
        ignores: config.ignores.clone(),
        ..Policy::default()
    };
    let db = VulnDb::from_bytes(BUNDLED_DB.to_vec())
        .context("the database bundled in kevgate is corrupt")?;
    let outcomes = crate::policy_test::run(&config.tests, &policy, &db, today)
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

/// An EPSS score for `--fail-on-epss`: a number from 0 to 1.
fn parse_epss(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{text}` is not an EPSS score between 0 and 1")),
    }
}

/// Builds the policy of a scan from the SBOM's bytes, the parsed SBOM and the database.
type PolicyMaker<'a> =
    dyn Fn(&[u8], &sbom::Sbom, &VulnDb) -> anyhow::Result<(Policy, Vec<crate::note::Note>)> + 'a;

/// What a scan reads: shared by `scan` and `action`.
struct ScanInputs<'a> {
    /// The SBOM file.
    sbom: &'a Path,
    /// `--db`.
    db: Option<&'a Path>,
    /// Makes the gate's rules once the SBOM (its bytes and parsed form) and the database are
    /// read: the policy file, ignores, VEX and a baseline may depend on them.
    policy: &'a PolicyMaker<'a>,
    /// Oldest acceptable database data, in days (the bundled demo is exempt).
    max_db_age: u32,
    /// Whether the bundled demo database may be used (`action` refuses it by default).
    allow_bundled: bool,
    /// `--max-sbom-size`; `None`: `KEVGATE_MAX_SBOM_SIZE`, else [`sbom::DEFAULT_MAX_BYTES`].
    max_sbom_bytes: Option<u64>,
    /// Whether a report that shows the demo-database banner (table, Markdown) goes to stdout:
    /// then the warning is not repeated on stderr, so a terminal shows it once.
    banner_on_stdout: bool,
    /// The order of the findings (`--sort`).
    order: crate::FindingOrder,
}

/// The SBOM size cap: the flag, else `KEVGATE_MAX_SBOM_SIZE`, else 1 GiB.
fn max_sbom_bytes(flag: Option<u64>, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<u64> {
    if let Some(bytes) = flag {
        return Ok(bytes);
    }
    match env("KEVGATE_MAX_SBOM_SIZE").filter(|v| !v.trim().is_empty()) {
        None => Ok(sbom::DEFAULT_MAX_BYTES),
        Some(v) => parse_size(&v).map_err(|e| anyhow::anyhow!("`KEVGATE_MAX_SBOM_SIZE`: {e}")),
    }
}

/// A size: bytes, or a number with a unit (`K`/`KiB`, `M`/`MiB`, `G`/`GiB`, powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => u32::MAX,
    };
    let number: u64 = number.parse().unwrap_or(0);
    match 1u64
        .checked_shl(shift)
        .and_then(|unit| number.checked_mul(unit))
    {
        Some(bytes) if bytes > 0 => Ok(bytes),
        _ => Err(format!(
            "`{}` is not a size; hint: bytes, or a number with a unit, e.g. `2GiB`, `512MiB`",
            crate::text::terminal(&crate::text::one_line(text, 40))
        )),
    }
}

/// Reads an SBOM file, at most `max_bytes` of it: a larger one (or an endless one such as
/// `/dev/zero`) is an error, not an out-of-memory kill. Reading stops early once the first
/// bytes show the file is no SBOM (binary, another compression), for the parser to explain.
fn read_sbom(path: &Path, max_bytes: u64) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let too_large = || {
        anyhow::anyhow!(
            "`{}`: the SBOM is larger than the size cap of {max_bytes} bytes; hint: raise the \
             cap with `--max-sbom-size` (or `KEVGATE_MAX_SBOM_SIZE`), e.g. `--max-sbom-size 4GiB`",
            path.display()
        )
    };
    let file = fs_err::File::open(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Ok(meta) = file.metadata()
        && meta.is_file()
        && meta.len() > max_bytes
    {
        return Err(too_large());
    }
    let mut reader = file.take(max_bytes.saturating_add(1));
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(anyhow::anyhow!("cannot read `{}`: {e}", path.display())),
        };
        bytes.extend_from_slice(&chunk[..n]);
        if bytes.len() as u64 > max_bytes {
            return Err(too_large());
        }
        if bytes.len() <= chunk.len() && sbom::refused_early(&bytes) {
            break;
        }
    }
    Ok(bytes)
}

/// What a scan measured besides the evaluation, for the gate attestation.
struct ScanFacts {
    /// The SBOM's `metadata.component` purl (the image's `pkg:oci` purl for trivy images).
    subject_purl: Option<String>,
    /// sha256 (hex) of the SBOM file as read.
    sbom_sha256: String,
    /// sha256 (hex) of the database file as loaded.
    db_sha256: String,
}

impl ScanFacts {
    /// The in-toto Statement of `evaluation` ([`crate::attestation`]).
    fn statement(
        &self,
        evaluation: &crate::Evaluation,
        sbom: &Path,
    ) -> crate::attestation::Statement {
        let facts = crate::attestation::Facts {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            sbom_name: sbom.file_name().map_or_else(
                || sbom.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            sbom_sha256: self.sbom_sha256.clone(),
            db_sha256: self.db_sha256.clone(),
        };
        crate::attestation::statement(evaluation, self.subject_purl.as_deref(), &facts)
    }
}

/// Pretty JSON with a trailing newline.
fn pretty_json(value: &impl serde::Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("plain data serialises");
    bytes.push(b'\n');
    bytes
}

/// Loads the database, checks its age, reads the SBOM and runs the core: everything of a scan
/// but writing reports. Also returns what the gate attestation needs.
fn evaluate_sbom(
    inputs: &ScanInputs<'_>,
    today: jiff::civil::Date,
    io: &mut Io<'_>,
) -> anyhow::Result<(crate::Evaluation, ScanFacts)> {
    let env = io.env;
    let (db, mut origin, db_sha256) = load_db(inputs.db, env)?;
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
        DbOriginKind::Bundled if inputs.banner_on_stdout => {}
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

    let max_sbom_bytes = max_sbom_bytes(inputs.max_sbom_bytes, env)?;
    let raw = read_sbom(inputs.sbom, max_sbom_bytes)?;
    let shown = inputs.sbom.display();
    let inflated =
        sbom::inflate(&raw, max_sbom_bytes).map_err(|e| anyhow::anyhow!("`{shown}`: {e}"))?;
    let parsed = sbom::parse_inflated(&inflated).map_err(|e| anyhow::anyhow!("`{shown}`: {e}"))?;

    let (policy, policy_notes) = (inputs.policy)(&inflated.bytes, &parsed, &db)?;
    let evaluation = crate::evaluate(crate::Inputs {
        db_origin: origin.kind,
        db_path: origin.path.clone(),
        sbom_path: inputs.sbom.display().to_string(),
        notes: policy_notes,
        order: inputs.order,
        ..crate::Inputs::new(&parsed, &db, &policy, today)
    })
    .with_context(|| match &origin.path {
        Some(path) => format!("database `{path}`"),
        None => "the database bundled in kevgate".to_string(),
    })?;
    let facts = ScanFacts {
        subject_purl: parsed.subject.as_ref().and_then(|c| c.purl.clone()),
        sbom_sha256: crate::attestation::sha256_hex(&raw),
        db_sha256,
    };
    Ok((evaluation, facts))
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
    if args.kev.is_empty()
        && args.nvd.is_empty()
        && args.osv.is_empty()
        && args.epss.is_empty()
        && args.jvn.is_empty()
    {
        bail!("no inputs; hint: give at least one of `--osv`, `--nvd`, `--kev`, `--epss`, `--jvn`");
    }
    let inputs = db::build::BuildInputs {
        kev: args.kev,
        nvd: args.nvd,
        osv: args.osv,
        epss: args.epss,
        jvn: args.jvn,
        cve_scope: cve_scope(args.cve_scope, io.env)?,
        limits: decompression_limits(io.env)?,
    };
    let (bytes, stats) = db::build::build_with_stats(&inputs, built_at)?;
    let db = VulnDb::from_bytes(bytes.clone()).context("the database just built does not load")?;
    write_atomically(&args.output, &bytes)?;
    for warning in &stats.warnings {
        writeln!(io.stderr, "warning: {}", crate::text::terminal(warning))?;
    }
    for source in &db.manifest().sources {
        writeln!(
            io.stderr,
            "{}: {} records, data from {}",
            source.name,
            source.records,
            source.data_date.as_deref().unwrap_or("unknown date")
        )?;
    }
    if inputs.cve_scope == db::CveScope::Referenced {
        writeln!(
            io.stderr,
            "cve scope referenced: left out {} NVD records and {} EPSS scores of CVEs no \
             advisory or KEV entry names",
            stats.nvd_out_of_scope, stats.epss_out_of_scope
        )?;
    }
    if !inputs.jvn.is_empty() {
        writeln!(
            io.stderr,
            "jvn: {} entries read, {} kept, {} name no CVE{}",
            stats.jvn_read,
            stats.jvn_entries,
            stats.jvn_without_cve,
            if stats.jvn_out_of_scope > 0 {
                format!(", {} CVEs out of scope", stats.jvn_out_of_scope)
            } else {
                String::new()
            }
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

/// `--cve-scope`, else `KEVGATE_CVE_SCOPE`, else `all`.
fn cve_scope(
    flag: Option<db::CveScope>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<db::CveScope> {
    if let Some(scope) = flag {
        return Ok(scope);
    }
    match env("KEVGATE_CVE_SCOPE").filter(|v| !v.trim().is_empty()) {
        None => Ok(db::CveScope::All),
        Some(v) => <db::CveScope as ValueEnum>::from_str(v.trim(), true).map_err(|_| {
            anyhow::anyhow!("`KEVGATE_CVE_SCOPE` is not `all` or `referenced`: `{v}`")
        }),
    }
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
        // `create_new`: a file (or a symlink the repository planted) already at the temporary
        // name is an error, never opened and written through.
        let mut file = fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
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
#[allow(clippy::disallowed_methods, reason = "asks, writes nothing")]
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

// ---- `kevgate db update` / `db status` / `db verify` (src/db/update.rs, src/db/status.rs)

#[derive(Debug, Args)]
struct UpdateArgs {
    /// The cache directory. Default: `KEVGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/kevgate`,
    /// else `~/.cache/kevgate`.
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// CISA KEV catalog JSON URL (env `KEVGATE_KEV_URL`).
    #[arg(long, value_name = "URL")]
    kev_url: Option<String>,
    /// NVD CVE API 2.0 endpoint, `.../rest/json/cves/2.0` (env `KEVGATE_NVD_URL`).
    #[arg(long, value_name = "URL")]
    nvd_url: Option<String>,
    /// OSV export base: `{base}/{ecosystem}/all.zip` (env `KEVGATE_OSV_URL`).
    #[arg(long, value_name = "URL")]
    osv_url: Option<String>,
    /// OSV ecosystems, comma-separated (env `KEVGATE_OSV_ECOSYSTEMS`; default: all kevgate
    /// matches).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    osv_ecosystems: Vec<String>,
    /// EPSS `epss_scores-current.csv.gz` URL (env `KEVGATE_EPSS_URL`).
    #[arg(long, value_name = "URL")]
    epss_url: Option<String>,
    /// Also download JVN iPedia (IPA) from the MyJVN API: JVNDB ids, JVN's CVSS severity
    /// and links per CVE (the first update asks for every entry, 50 per request).
    #[arg(long)]
    jvn: bool,
    /// MyJVN API endpoint, `.../myjvn`; implies `--jvn` (env `KEVGATE_JVN_URL`, which
    /// does too; default `https://jvndb.jvn.jp/myjvn`).
    #[arg(long, value_name = "URL")]
    jvn_url: Option<String>,
    /// Which CVEs to keep NVD and EPSS records for: `all`, or `referenced` (those an OSV
    /// advisory or KEV entry names; smaller) (env `KEVGATE_CVE_SCOPE`; default `all`).
    #[arg(long, value_enum, value_name = "SCOPE")]
    cve_scope: Option<db::CveScope>,
    /// Install a signed prebuilt database instead of downloading the feeds: `URL`, with
    /// `URL.sha256` and `URL.minisig` beside it (env `KEVGATE_DB_FROM`).
    #[arg(
        long,
        value_name = "URL",
        conflicts_with_all = [
            "kev_url", "nvd_url", "osv_url", "osv_ecosystems", "epss_url", "cve_scope", "jvn",
            "jvn_url"
        ]
    )]
    from: Option<String>,
    /// The minisign public key file that `--from` trusts, instead of the one built in (env
    /// `KEVGATE_DB_PUBLIC_KEY`; for mirrors that sign with their own key).
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
    /// With `--from`: install the database even when its data date or build serial is
    /// older than the installed one's (a rollback is refused by default).
    #[arg(long)]
    allow_downgrade: bool,
}

#[derive(Debug, Args)]
struct StatusArgs {
    /// The cache directory whose database to inspect.
    #[arg(long, value_name = "DIR", conflicts_with = "db")]
    cache_dir: Option<PathBuf>,
    /// A database file.
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: StatusFormat,
}

/// `db status` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StatusFormat {
    /// A plain table.
    Table,
    /// JSON.
    Json,
}

fn update(args: UpdateArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let env = io.env;
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    let cache = args
        .cache_dir
        .or_else(|| cache_dir(env))
        .context("no cache directory; hint: pass `--cache-dir` or set `KEVGATE_CACHE_DIR`")?;
    let http = http_settings(env)?;
    if let Some(url) = args.from.or_else(|| var("KEVGATE_DB_FROM")) {
        let mut opts = db::prebuilt::PrebuiltOptions::new(cache, url);
        opts.http = http;
        opts.allow_downgrade = args.allow_downgrade;
        if let Some(path) = args
            .public_key
            .or_else(|| var("KEVGATE_DB_PUBLIC_KEY").map(PathBuf::from))
        {
            opts.public_key = fs_err::read_to_string(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let report = db::prebuilt::update_from(&opts, io.stderr)?;
        writeln!(
            io.stderr,
            "wrote `{}` ({} bytes, sha256 {})",
            report.db_path.display(),
            report.db_bytes,
            report.sha256
        )?;
        return Ok(Outcome::Passed);
    }
    let mut opts = db::update::UpdateOptions::new(cache);
    if let Some(u) = args.kev_url.or_else(|| var("KEVGATE_KEV_URL")) {
        opts.kev_url = u;
    }
    if let Some(u) = args.nvd_url.or_else(|| var("KEVGATE_NVD_URL")) {
        opts.nvd_url = u;
    }
    if let Some(u) = args.osv_url.or_else(|| var("KEVGATE_OSV_URL")) {
        opts.osv_url = u;
    }
    if let Some(u) = args.epss_url.or_else(|| var("KEVGATE_EPSS_URL")) {
        opts.epss_url = u;
    }
    opts.jvn_url = match args.jvn_url.or_else(|| var("KEVGATE_JVN_URL")) {
        Some(u) => Some(u),
        None => args.jvn.then(|| db::update::DEFAULT_JVN_URL.to_string()),
    };
    let ecosystems = if args.osv_ecosystems.is_empty() {
        var("KEVGATE_OSV_ECOSYSTEMS")
            .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default()
    } else {
        args.osv_ecosystems
    };
    let ecosystems: Vec<String> = ecosystems.into_iter().filter(|e| !e.is_empty()).collect();
    if !ecosystems.is_empty() {
        opts.osv_ecosystems = ecosystems;
    }
    opts.nvd_api_key = var("NVD_API_KEY");
    opts.cve_scope = cve_scope(args.cve_scope, env)?;
    opts.limits = decompression_limits(env)?;
    opts.http = http;
    if let Some(t) = var("SOURCE_DATE_EPOCH") {
        opts.built_at = parse_timestamp(&format!("@{t}"))?;
    }
    let report = db::update::update(&opts, io.stderr)?;
    writeln!(
        io.stderr,
        "wrote `{}` ({} bytes)",
        report.db_path.display(),
        report.db_bytes
    )?;
    Ok(Outcome::Passed)
}

/// A whole number from the environment variable `name`, if set.
fn env_number(env: &dyn Fn(&str) -> Option<String>, name: &str) -> anyhow::Result<Option<u64>> {
    env(name)
        .filter(|v| !v.is_empty())
        .map(|t| {
            t.trim()
                .parse::<u64>()
                .with_context(|| format!("`{name}` is not a number: `{t}`"))
        })
        .transpose()
}

/// The decompression caps of `db build` and `db update`: `KEVGATE_MAX_ENTRY_BYTES` (per
/// document), `KEVGATE_MAX_FEED_BYTES` (per feed file).
fn decompression_limits(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<db::feeds::Limits> {
    let mut limits = db::feeds::Limits::default();
    if let Some(n) = env_number(env, "KEVGATE_MAX_ENTRY_BYTES")? {
        limits.max_entry_bytes = n;
    }
    if let Some(n) = env_number(env, "KEVGATE_MAX_FEED_BYTES")? {
        limits.max_file_bytes = n;
    }
    Ok(limits)
}

/// The HTTP settings of `db update`: `KEVGATE_HTTP_TIMEOUT_SECS`, `KEVGATE_HTTP_ATTEMPTS`,
/// `KEVGATE_HTTP_MAX_BACKOFF_SECS`, `KEVGATE_HTTP_STALL_SECS`, `KEVGATE_SOURCE_DEADLINE_SECS`,
/// `KEVGATE_MAX_DOWNLOAD_BYTES`, `SSL_CERT_FILE`; a progress bar when stderr is a terminal
/// and `CI` is not set, plain lines otherwise.
fn http_settings(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<crate::http::Settings> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    let number = |k: &str| env_number(env, k);
    let secs = std::time::Duration::from_secs;
    let mut s = crate::http::Settings::default();
    if let Some(n) = number("KEVGATE_HTTP_TIMEOUT_SECS")? {
        s.timeout = secs(n.max(1));
    }
    if let Some(n) = number("KEVGATE_HTTP_ATTEMPTS")? {
        s.attempts = u32::try_from(n.max(1)).unwrap_or(u32::MAX);
    }
    if let Some(n) = number("KEVGATE_HTTP_MAX_BACKOFF_SECS")? {
        s.max_backoff = secs(n);
    }
    if let Some(n) = number("KEVGATE_HTTP_STALL_SECS")? {
        s.stall = secs(n.max(1));
    }
    if let Some(n) = number("KEVGATE_SOURCE_DEADLINE_SECS")? {
        s.source_deadline = secs(n.max(1));
    }
    if let Some(n) = number("KEVGATE_MAX_DOWNLOAD_BYTES")? {
        s.max_download_bytes = n;
    }
    s.extra_roots = var("SSL_CERT_FILE").map(PathBuf::from);
    #[allow(clippy::disallowed_methods, reason = "asks, writes nothing")]
    let stderr_is_terminal = std::io::stderr().is_terminal();
    s.progress = if stderr_is_terminal && var("CI").is_none() {
        crate::http::Progress::Bar
    } else {
        crate::http::Progress::Lines
    };
    Ok(s)
}

fn status(args: StatusArgs, io: &mut Io<'_>, verify: bool) -> anyhow::Result<Outcome> {
    let env = io.env;
    let (path, cache) = match (args.db, args.cache_dir) {
        (Some(db), _) => (db, None),
        (None, Some(dir)) => (dir.join(CACHE_DB_FILE), Some(dir)),
        (None, None) => {
            let dir = cache_dir(env).context(
                "no cache directory; hint: pass `--cache-dir` or `--db`, or set `KEVGATE_CACHE_DIR`",
            )?;
            (dir.join(CACHE_DB_FILE), Some(dir))
        }
    };
    let bytes = fs_err::read(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = VulnDb::from_bytes(bytes.clone())
        .with_context(|| format!("database `{}` cannot be used", path.display()))?;
    let state = cache.as_deref().map(db::update::read_state);
    if verify {
        let shown = path.display();
        let counts = db
            .verify()
            .with_context(|| format!("database `{shown}` is corrupt"))?;
        let sha256 = db::update::sha256_hex(&bytes);
        // The file's sha256 against what the last writer recorded: the cache state (`db
        // update`) or a `<file>.sha256` beside it (as `db update --from` downloads).
        let recorded = match state.as_ref().and_then(|s| s.database.as_ref()) {
            Some(d) => Some((
                d.sha256.clone(),
                "the cache state (`raw/state.json`)".to_string(),
            )),
            None => {
                let sidecar = PathBuf::from(format!("{}.sha256", path.display()));
                match fs_err::read_to_string(&sidecar) {
                    Ok(text) => Some((
                        text.split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_ascii_lowercase(),
                        format!("`{}`", sidecar.display()),
                    )),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => return Err(anyhow::anyhow!("{e}")),
                }
            }
        };
        if let Some((want, from)) = &recorded
            && *want != sha256
        {
            bail!(
                "database `{shown}` has sha256 `{sha256}`, {from} records `{}`: the file \
                 changed since it was written; hint: run `kevgate db update` again",
                crate::text::one_line(want, 80)
            );
        }
        writeln!(
            io.stdout,
            "`{shown}`: ok (checksum{} verified, {} records decoded, {} sources)",
            if recorded.is_some() {
                " and sha256"
            } else {
                ""
            },
            counts.packages + counts.nvd + counts.kev + counts.epss,
            db.manifest().sources.len()
        )?;
        return Ok(Outcome::Passed);
    }
    let status = db::status::status(
        &path.display().to_string(),
        &bytes,
        &db,
        state.as_ref(),
        today(env)?,
    );
    match args.format {
        StatusFormat::Table => db::status::write_table(&status, io.stdout)?,
        StatusFormat::Json => {
            crate::output::write_json(io.stdout, &status)?;
        }
    }
    Ok(Outcome::Passed)
}
