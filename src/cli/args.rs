//! The command line's grammar: clap definitions of every command and its arguments, and the
//! value parsers they use. No behaviour: each command's runner is in its own file
//! (`scan.rs`, `db.rs`, `policy.rs`, `action.rs`), dispatched from [`super::run`].
//!
//! A new command is one variant of [`Command`] here and one arm of the `match` in
//! `cli/mod.rs`; its argument struct lives beside its runner.

use crate::db;
use crate::policy::FailOn;
use crate::report::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// kevgate: fail CI on exploited (CISA KEV) and critical vulnerabilities in a CycloneDX SBOM.
#[derive(Debug, Parser)]
#[command(name = "kevgate", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Open, update and close GitHub issues for the findings of a JSON report.
    Track(super::track::TrackArgs),
    /// The weekly report over the tracking issues; `--post` pins it as an issue.
    Report(super::weekly::ReportArgs),
    /// Re-check released SBOMs (GitHub release assets or local files) against today's database.
    Watch(super::watch::WatchArgs),
    /// Aggregate kevgate JSON reports (of many repositories) into one summary.
    Summarize(super::watch::SummarizeArgs),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the `tests:` cases of the policy file against its rules (exit 1 if one fails).
    Test(PolicyTestArgs),
}

#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// Policy file. Default: `.kevgate.yaml` in the working directory.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Build a database from feed files (OSV, NVD, CISA KEV, EPSS, JVN) as they are published.
    Build(BuildArgs),
    /// Download the feeds into the cache and rebuild its database.
    Update(UpdateArgs),
    /// Show what a database holds and how old it is.
    Status(StatusArgs),
    /// Check a database's checksum and structure.
    Verify(StatusArgs),
    /// Write the download form of a database (`db update --from` fetches it): zstd, ~2.5x smaller.
    Pack(crate::db::pack::PackArgs),
}

/// How reports order findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortOrder {
    /// KEV first, then severity, then EPSS (the evaluation's order).
    Kev,
    /// Triage priority first (`docs/priority.md`), then the default order.
    Priority,
}

/// When to colour the terminal table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The SBOM: CycloneDX JSON or XML (1.2-1.7), SPDX 2.x JSON or SPDX 3 JSON-LD, plain or
    /// gzip'd; the format is told from the content. E.g. `trivy fs --format cyclonedx`.
    pub sbom: PathBuf,
    /// Refuse an SBOM larger than this, read or inflated (bytes, or with a unit: `2GiB`,
    /// `512MiB`) [default: `KEVGATE_MAX_SBOM_SIZE`, else 1GiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_sbom_size: Option<u64>,
    /// Database file. Default: `KEVGATE_DB`, else the cache `kevgate db update` fills, else
    /// the demo snapshot bundled in the binary.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Report format; repeat to write several. Pairs in order with `--output`.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Vec<Format>,
    /// Where to write each `--format`, in order; formats without one go to stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// Lowest severity that fails the gate [default: `fail-on` in the config, else critical].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Fail on any finding in CISA KEV (the default).
    #[arg(long, overrides_with = "no_fail_on_kev")]
    pub fail_on_kev: bool,
    /// Do not fail on KEV findings by themselves (they still count as critical).
    #[arg(long, overrides_with = "fail_on_kev")]
    pub no_fail_on_kev: bool,
    /// Fail on any known-malicious package version (the default).
    #[arg(long, overrides_with = "no_fail_on_malicious")]
    pub fail_on_malicious: bool,
    /// Do not fail on known-malicious package versions by themselves (they are still
    /// reported, and fail by severity like any finding).
    #[arg(long, overrides_with = "fail_on_malicious")]
    pub no_fail_on_malicious: bool,
    /// Refuse a database whose data is older than this many days (the bundled demo is exempt).
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub max_db_age: u32,
    /// Colour the table.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Fail on KEV findings with known ransomware campaign use, even with `--no-fail-on-kev`.
    #[arg(long)]
    pub fail_on_ransomware: bool,
    /// Fail on KEV findings past their CISA due date, even with `--no-fail-on-kev`.
    #[arg(long)]
    pub fail_on_kev_past_due: bool,
    /// Fail on findings whose EPSS score (0-1) is at least this.
    #[arg(long, value_name = "SCORE", value_parser = parse_epss)]
    pub fail_on_epss: Option<f64>,
    /// Fail only on findings with a known fixed version (the others become warnings).
    #[arg(long)]
    pub only_fixable: bool,
    /// The base scan to compare with: the base branch's SBOM (evaluated with the same
    /// database) or an earlier `--format json` report. Each finding gets `change`.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Order of findings in every report: `kev` (KEV, severity, EPSS; the default) or
    /// `priority` (act, attend, track*, track; then the default order).
    #[arg(long, value_enum, default_value = "kev")]
    pub sort: SortOrder,
    /// Only findings not in `--baseline` can fail the gate.
    #[arg(long, requires = "baseline")]
    pub fail_on_new_only: bool,
    /// Policy file (`docs/config.md`). Default: `.kevgate.yaml` in the working directory,
    /// if there is one. Flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Whose rating sets a finding's severity, comma-separated, first that rates it wins
    /// [default: `severity-source` in the config, else nvd,jvn,osv,sbom,ghsa].
    #[arg(long, value_enum, value_name = "LIST", value_delimiter = ',')]
    pub severity_source: Vec<crate::enrich::SeveritySource>,
    /// The Red Hat extended stream the scanned system is on: `eus-8.6`, `aus-8.4`,
    /// `e4s-9.0`, `tus-8.8`. Its RHEL packages are checked against that stream's advisories
    /// instead of the main stream's [default: `rhel-stream` in the config, else the main
    /// stream].
    #[arg(long, value_name = "STREAM", value_parser = parse_rhel_stream)]
    pub rhel_stream: Option<crate::purl::RhelStream>,
    /// Write the gate attestation here: an in-toto Statement v1 naming the scanned image (or
    /// the SBOM file) and the verdict, for `actions/attest` to sign (`docs/attestation.md`).
    #[arg(long, value_name = "FILE")]
    pub attestation: Option<PathBuf>,
}

/// `--rhel-stream`: `eus-8.6` and friends.
pub fn parse_rhel_stream(text: &str) -> Result<crate::purl::RhelStream, String> {
    text.parse()
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Where to write the database.
    #[arg(long, value_name = "PATH")]
    pub output: PathBuf,
    /// CISA KEV catalog JSON (file or directory).
    #[arg(long, value_name = "PATH")]
    pub kev: Vec<PathBuf>,
    /// NVD CVE records: API 2.0 pages or items, or JSON 1.1 feeds (file or directory).
    #[arg(long, value_name = "PATH")]
    pub nvd: Vec<PathBuf>,
    /// OSV records: .json, .jsonl, .gz, .zip (file or directory).
    #[arg(long, value_name = "PATH")]
    pub osv: Vec<PathBuf>,
    /// FIRST EPSS CSV, plain or .gz (file or directory).
    #[arg(long, value_name = "PATH")]
    pub epss: Vec<PathBuf>,
    /// JVN iPedia (IPA): MyJVN API responses or the RSS / detail feeds (`.rdf`, `.xml`,
    /// maybe `.gz`; file or directory).
    #[arg(long, value_name = "PATH")]
    pub jvn: Vec<PathBuf>,
    /// The build time recorded in the manifest (RFC 3339). Default: `SOURCE_DATE_EPOCH`,
    /// else now. Fix it for reproducible databases.
    #[arg(long, value_name = "TIMESTAMP")]
    pub built_at: Option<String>,
    /// Which CVEs to keep NVD and EPSS records for: `all`, or `referenced` (those an OSV
    /// advisory or KEV entry names; smaller) (env `KEVGATE_CVE_SCOPE`; default `all`).
    #[arg(long, value_enum, value_name = "SCOPE")]
    pub cve_scope: Option<db::CveScope>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The cache directory. Default: `KEVGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/kevgate`,
    /// else `~/.cache/kevgate`.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// CISA KEV catalog JSON URL (env `KEVGATE_KEV_URL`).
    #[arg(long, value_name = "URL")]
    pub kev_url: Option<String>,
    /// NVD CVE API 2.0 endpoint, `.../rest/json/cves/2.0` (env `KEVGATE_NVD_URL`).
    #[arg(long, value_name = "URL")]
    pub nvd_url: Option<String>,
    /// OSV export base: `{base}/{ecosystem}/all.zip` (env `KEVGATE_OSV_URL`).
    #[arg(long, value_name = "URL")]
    pub osv_url: Option<String>,
    /// OSV ecosystems, comma-separated (env `KEVGATE_OSV_ECOSYSTEMS`; default: all kevgate
    /// matches).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub osv_ecosystems: Vec<String>,
    /// EPSS `epss_scores-current.csv.gz` URL (env `KEVGATE_EPSS_URL`).
    #[arg(long, value_name = "URL")]
    pub epss_url: Option<String>,
    /// Also download JVN iPedia (IPA) from the MyJVN API: JVNDB ids, JVN's CVSS severity
    /// and links per CVE (the first update asks for every entry, 50 per request).
    #[arg(long)]
    pub jvn: bool,
    /// MyJVN API endpoint, `.../myjvn`; implies `--jvn` (env `KEVGATE_JVN_URL`, which
    /// does too; default `https://jvndb.jvn.jp/myjvn`).
    #[arg(long, value_name = "URL")]
    pub jvn_url: Option<String>,
    /// Which CVEs to keep NVD and EPSS records for: `all`, or `referenced` (those an OSV
    /// advisory or KEV entry names; smaller) (env `KEVGATE_CVE_SCOPE`; default `all`).
    #[arg(long, value_enum, value_name = "SCOPE")]
    pub cve_scope: Option<db::CveScope>,
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
    pub from: Option<String>,
    /// The minisign public key file that `--from` trusts, instead of the one built in (env
    /// `KEVGATE_DB_PUBLIC_KEY`; for mirrors that sign with their own key).
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// With `--from`: install the database even when its data date or build serial is
    /// older than the installed one's (a rollback is refused by default).
    #[arg(long)]
    pub allow_downgrade: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The cache directory whose database to inspect.
    #[arg(long, value_name = "DIR", conflicts_with = "db")]
    pub cache_dir: Option<PathBuf>,
    /// A database file.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: StatusFormat,
}

/// `db status` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// A plain table.
    Table,
    /// JSON.
    Json,
}
/// An EPSS score for `--fail-on-epss`: a number from 0 to 1.
pub fn parse_epss(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{text}` is not an EPSS score between 0 and 1")),
    }
}
/// A size: bytes, or a number with a unit (`K`/`KiB`, `M`/`MiB`, `G`/`GiB`, powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
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
