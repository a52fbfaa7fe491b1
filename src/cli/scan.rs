//! `kevgate scan`, and the input-gathering step it shares with `kevgate action`.
//!
//! A scan is one straight line: read the policy files (their errors come first), load and
//! age-check the database ([`gather`]), read and parse the SBOM (also [`gather`]), assemble
//! the policy from the files, the flags and the SBOM ([`super::policy::assemble`]), read the
//! baseline (an SBOM baseline is evaluated here, once, with the same database and policy),
//! then run the pure core ([`evaluate`]) and write each report. Nothing calls back into an
//! earlier step.

use super::args::{ColorChoice, ScanArgs, SortOrder};
use super::policy::{ScannedSbom, assemble, read_policy_files};
use super::{Io, Outcome, pretty_json, report_options, today, write_atomically};
use crate::db::{self, VulnDb};
use crate::evaluation::{DbOrigin, DbOriginKind};
use crate::note::Note;
use crate::policy::Policy;
use crate::report::{self, Format};
use crate::sbom;
use crate::workspace::{NamedBy, Workspace};
use anyhow::{Context, bail};
use std::io::Write;
use std::path::Path;

/// What a scan reads besides the policy files: shared by `scan` and `action`.
pub(super) struct ScanInputs<'a> {
    /// The SBOM file.
    pub sbom: &'a Path,
    /// `--db`.
    pub db: Option<&'a Path>,
    /// Oldest acceptable database data, in days (the bundled demo is exempt).
    pub max_db_age: u32,
    /// Whether the bundled demo database may be used (`action` refuses it by default).
    pub allow_bundled: bool,
    /// `--max-sbom-size`; `None`: `KEVGATE_MAX_SBOM_SIZE`, else [`sbom::DEFAULT_MAX_BYTES`].
    pub max_sbom_bytes: Option<u64>,
    /// Whether a report that shows the demo-database banner (table, Markdown) goes to stdout:
    /// then the warning is not repeated on stderr, so a terminal shows it once.
    pub banner_on_stdout: bool,
}

/// What [`gather`] read: the database and the SBOM, checked and parsed.
pub(super) struct Gathered {
    /// The loaded database.
    pub db: VulnDb,
    /// Which database it is, and its age on the scan's date.
    pub origin: DbOrigin,
    /// The SBOM as given.
    pub sbom_name: String,
    /// The parsed SBOM.
    pub sbom: sbom::Sbom,
    /// sha256 (hex) of the SBOM file as read.
    pub sbom_sha256: String,
    /// The SBOM size cap in force (a baseline SBOM gets the same).
    pub max_sbom_bytes: u64,
}

impl Gathered {
    /// The SBOM as the policy needs it.
    pub fn scanned(&self) -> ScannedSbom<'_> {
        ScannedSbom {
            parsed: &self.sbom,
            name: &self.sbom_name,
        }
    }
}

/// `kevgate scan`.
pub(super) fn run(args: ScanArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
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
    let ws = Workspace::new(Path::new("."))?;
    let files = read_policy_files(&ws, args.config.as_deref(), NamedBy::User)?;
    let gathered = gather(
        &ScanInputs {
            sbom: &args.sbom,
            db: args.db.as_deref(),
            max_db_age: args.max_db_age,
            allow_bundled: true,
            max_sbom_bytes: args.max_sbom_size,
            banner_on_stdout: formats.iter().enumerate().any(|(i, f)| {
                args.output.get(i).is_none() && matches!(f, Format::Table | Format::Markdown)
            }),
        },
        today,
        io,
    )?;
    let (mut policy, notes) = assemble(&files, &overrides(&args), &gathered.scanned())?;
    if let Some(path) = &args.baseline {
        policy.baseline = Some(load_baseline(&ws, path, &gathered, &policy, today)?);
        policy.fail_on_new_only = args.fail_on_new_only;
    }
    let order = match args.sort {
        SortOrder::Kev => crate::FindingOrder::Severity,
        SortOrder::Priority => crate::FindingOrder::Priority,
    };
    let evaluation = evaluate_gathered(&gathered, &policy, notes, order, today)?;

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
            &pretty_json(&statement(&gathered, &evaluation, &args.sbom)?),
        )?;
    }
    if !wrote_stdout_table {
        let counts = evaluation.counts();
        writeln!(
            io.stderr,
            "kevgate: {} finding{}, {} failing the gate: {}",
            counts.total,
            if counts.total == 1 { "" } else { "s" },
            counts.fail,
            match evaluation.verdict {
                crate::Verdict::Pass => "pass",
                crate::Verdict::Fail => "fail",
            }
        )?;
    }
    let outcome = Outcome::of(evaluation.verdict);
    // The process ends with the scan: the parsed SBOM, the database's indexes and the findings
    // are left to the OS instead of being freed value by value (~5% of a Debian-heavy scan,
    // docs/performance.md), as compilers do with their last big structures.
    std::mem::forget(evaluation);
    std::mem::forget(gathered);
    Ok(outcome)
}

/// What the `scan` flags set over the policy file. A flag that is off leaves the file's
/// value: `--fail-on-ransomware` can turn the rule on, never off.
fn overrides(args: &ScanArgs) -> crate::config::Overrides {
    let either = |on: bool, off: bool| {
        if on {
            Some(true)
        } else if off {
            Some(false)
        } else {
            None
        }
    };
    crate::config::Overrides {
        fail_on: args.fail_on,
        fail_on_kev: either(args.fail_on_kev, args.no_fail_on_kev),
        fail_on_malicious: either(args.fail_on_malicious, args.no_fail_on_malicious),
        fail_on_ransomware: args.fail_on_ransomware.then_some(true),
        fail_on_kev_past_due: args.fail_on_kev_past_due.then_some(true),
        fail_on_epss: args.fail_on_epss,
        only_fixable: args.only_fixable.then_some(true),
        severity_source: (!args.severity_source.is_empty()).then(|| args.severity_source.clone()),
        rhel_stream: args.rhel_stream.clone(),
    }
}

/// Writes a file the command line named: inside the working directory atomically and confined
/// like a repository's path ([`crate::workspace`]); outside it as the user's choice
/// (`/dev/stdout` too).
pub(super) fn write_user_output(ws: &Workspace, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let user = NamedBy::User;
    if ws.confines(path, user) {
        write_atomically(&ws.output_path(path, user)?, bytes)
    } else {
        fs_err::write(path, bytes).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// The base scan's findings: an earlier JSON report as it is, or an SBOM evaluated with the
/// same database and policy.
fn load_baseline(
    ws: &Workspace,
    path: &Path,
    gathered: &Gathered,
    policy: &Policy,
    today: jiff::civil::Date,
) -> anyhow::Result<crate::baseline::Baseline> {
    let raw = ws.read(path, NamedBy::User, crate::baseline::MAX_BYTES)?;
    let source = path.display().to_string();
    let inflated = sbom::inflate(&raw, gathered.max_sbom_bytes)
        .map_err(|e| anyhow::anyhow!("baseline `{source}`: {e}"))?;
    let bytes = &inflated.bytes;
    if crate::baseline::Baseline::is_report(bytes) {
        return Ok(crate::baseline::Baseline::from_report(bytes, &source)?);
    }
    let base =
        sbom::parse_inflated(&inflated).map_err(|e| anyhow::anyhow!("baseline `{source}`: {e}"))?;
    let evaluation = crate::evaluate(crate::Inputs::new(&base, &gathered.db, policy, today))?;
    Ok(crate::baseline::Baseline::from_findings(
        evaluation.findings.iter().map(|e| &e.finding),
        &source,
    ))
}

/// The SBOM size cap: the flag, else `KEVGATE_MAX_SBOM_SIZE`, else 1 GiB.
pub(super) fn max_sbom_bytes(
    flag: Option<u64>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<u64> {
    if let Some(bytes) = flag {
        return Ok(bytes);
    }
    match env("KEVGATE_MAX_SBOM_SIZE").filter(|v| !v.trim().is_empty()) {
        None => Ok(sbom::DEFAULT_MAX_BYTES),
        Some(v) => {
            super::args::parse_size(&v).map_err(|e| anyhow::anyhow!("`KEVGATE_MAX_SBOM_SIZE`: {e}"))
        }
    }
}

/// Reads an SBOM file, at most `max_bytes` of it: a larger one (or an endless one such as
/// `/dev/zero`) is an error, not an out-of-memory kill. Reading stops early once the first
/// bytes show the file is no SBOM (binary, another compression), for the parser to explain.
pub(super) fn read_sbom(path: &Path, max_bytes: u64) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let too_large = || {
        anyhow::anyhow!(
            "`{}`: the SBOM is larger than the size cap of {max_bytes} bytes; hint: raise the \
             cap with `--max-sbom-size` (or `KEVGATE_MAX_SBOM_SIZE`), e.g. `--max-sbom-size 4GiB`",
            path.display()
        )
    };
    let file = fs_err::File::open(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    // A regular file's size, to read it into one allocation (it may still grow or shrink).
    let mut expected = 0;
    if let Ok(meta) = file.metadata()
        && meta.is_file()
    {
        if meta.len() > max_bytes {
            return Err(too_large());
        }
        expected = meta.len();
    }
    let cannot_read = |e: std::io::Error| anyhow::anyhow!("cannot read `{}`: {e}", path.display());
    let mut reader = file.take(max_bytes.saturating_add(1));
    let mut bytes =
        Vec::with_capacity(usize::try_from(expected).map_or(0, |n| n.saturating_add(1)));
    // The head first: what is plainly no SBOM (`/dev/zero`) is not read up to the cap.
    const HEAD: usize = 1 << 16;
    let mut chunk = vec![0u8; HEAD];
    while bytes.len() < HEAD {
        let n = match reader.read(&mut chunk[..HEAD - bytes.len()]) {
            Ok(0) => return Ok(bytes),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(cannot_read(e)),
        };
        bytes.extend_from_slice(&chunk[..n]);
        if sbom::refused_early(&bytes) {
            return Ok(bytes);
        }
    }
    reader.read_to_end(&mut bytes).map_err(cannot_read)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The gate attestation of `evaluation` ([`crate::attestation`]): an in-toto Statement
/// naming the scanned image (or the SBOM file), with the SBOM's and database's digests.
pub(super) fn statement(
    gathered: &Gathered,
    evaluation: &crate::Evaluation,
    sbom: &Path,
) -> anyhow::Result<crate::attestation::Statement> {
    let facts = crate::attestation::Facts {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        sbom_name: sbom.file_name().map_or_else(
            || sbom.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        sbom_sha256: gathered.sbom_sha256.clone(),
        db_sha256: gathered
            .db
            .sha256_hex()
            .context("cannot hash the database for the attestation")?,
    };
    let subject_purl = gathered
        .sbom
        .subject
        .as_ref()
        .and_then(|c| c.purl.as_deref());
    Ok(crate::attestation::statement(
        evaluation,
        subject_purl,
        &facts,
    ))
}

/// What to do about the database's origin and age: `Ok(true)` when the demo-database
/// warning goes to stderr. The bundled demo is exempt from `max_db_age` but refused unless
/// `allow_bundled`; any other database must have a data date no older than `max_db_age`.
fn check_db(origin: &DbOrigin, data_date: &str, inputs: &ScanInputs<'_>) -> anyhow::Result<bool> {
    match origin.kind {
        DbOriginKind::Bundled if !inputs.allow_bundled => bail!(
            "no database given, and the demo database bundled in kevgate is not fit to gate \
             real builds; hint: pass a database (`db` input or `KEVGATE_DB`), or set \
             `allow-demo-db: true` to try kevgate out"
        ),
        DbOriginKind::Bundled => Ok(!inputs.banner_on_stdout),
        _ => {
            let path = origin.path.as_deref().unwrap_or_default();
            match origin.age_days {
                Some(age) if age > i64::from(inputs.max_db_age) => Err(db::DbError::Stale {
                    age_days: age,
                    max_days: i64::from(inputs.max_db_age),
                })
                .with_context(|| format!("database `{path}` (data from {data_date})")),
                Some(_) => Ok(false),
                None => bail!(
                    "database `{path}` has no data date, so its age cannot be checked; \
                     hint: rebuild it with `kevgate db build`"
                ),
            }
        }
    }
}

/// Loads the database and checks its age, then reads and parses the SBOM: everything a scan
/// reads but the policy files.
pub(super) fn gather(
    inputs: &ScanInputs<'_>,
    today: jiff::civil::Date,
    io: &mut Io<'_>,
) -> anyhow::Result<Gathered> {
    gather_bytes(inputs, None, today, io)
}

/// [`gather`] on SBOM bytes already in hand (`raw`: a downloaded release asset, named
/// `inputs.sbom` in messages), else on the file `inputs.sbom`.
pub(super) fn gather_bytes(
    inputs: &ScanInputs<'_>,
    raw: Option<Vec<u8>>,
    today: jiff::civil::Date,
    io: &mut Io<'_>,
) -> anyhow::Result<Gathered> {
    let env = io.env;
    // The SBOM is read and parsed on a second thread while this one loads the database (both
    // take milliseconds; docs/performance.md). Errors keep their order: the database's first,
    // then the SBOM size cap's, then the SBOM's.
    let max_sbom_bytes = max_sbom_bytes(inputs.max_sbom_bytes, env);
    std::thread::scope(|scope| {
        // Only a regular file: a FIFO or device could block a read that the database's error
        // would otherwise have come before.
        let regular = fs_err::metadata(inputs.sbom).is_ok_and(|m| m.is_file());
        let parse = match (&max_sbom_bytes, &raw) {
            (Ok(max), None) if regular => {
                let (path, max) = (inputs.sbom, *max);
                Some(scope.spawn(move || super::sbom_input::read(path, max)))
            }
            _ => None,
        };
        let (db, mut origin) = super::db::load_db(inputs.db, env)?;
        origin.age_days = db.age_days(today);
        let data_date = db
            .data_date()
            .map(|d| d.to_string())
            .unwrap_or_else(|| "unknown".to_string());
        if check_db(&origin, &data_date, inputs)? {
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
        let max_sbom_bytes = max_sbom_bytes?;
        // Streamed when it can be (a large regular file of well-formed CycloneDX JSON), else
        // read whole; the bytes are not kept: everything after this reads the parsed SBOM (its
        // own VEX `analysis` included).
        let input = match (parse, raw) {
            (Some(parse), _) => parse
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?,
            (None, Some(raw)) => super::sbom_input::from_bytes(
                raw,
                &inputs.sbom.display().to_string(),
                max_sbom_bytes,
            )?,
            (None, None) => super::sbom_input::read(inputs.sbom, max_sbom_bytes)?,
        };
        Ok(Gathered {
            db,
            origin,
            sbom_name: inputs.sbom.display().to_string(),
            sbom: input.parsed,
            sbom_sha256: input.sha256,
            max_sbom_bytes,
        })
    })
}

/// Runs the pure core on what [`gather`] read, with the assembled policy and its notes.
pub(super) fn evaluate_gathered(
    gathered: &Gathered,
    policy: &Policy,
    notes: Vec<Note>,
    order: crate::FindingOrder,
    today: jiff::civil::Date,
) -> anyhow::Result<crate::Evaluation> {
    let origin = &gathered.origin;
    crate::evaluate(crate::Inputs {
        db_origin: origin.kind,
        db_path: origin.path.clone(),
        sbom_path: gathered.sbom_name.clone(),
        notes,
        order,
        ..crate::Inputs::new(&gathered.sbom, &gathered.db, policy, today)
    })
    .with_context(|| match &origin.path {
        Some(path) => format!("database `{path}`"),
        None => "the database bundled in kevgate".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_args(flags: &[&str]) -> ScanArgs {
        let argv = ["kevgate", "scan", "sbom.json"].iter().chain(flags);
        match <super::super::Cli as clap::Parser>::try_parse_from(argv) {
            Ok(super::super::Cli {
                command: super::super::args::Command::Scan(args),
            }) => args,
            other => panic!("{flags:?}: {other:?}"),
        }
    }

    /// Flags become overrides: an absent flag leaves the file's value (`None`), a pair of
    /// flags gives `Some(true)` or `Some(false)`, the last of a pair wins, and the turn-on
    /// flags can only turn on.
    #[test]
    fn flags_to_overrides() {
        use crate::config::Overrides;
        use crate::enrich::SeveritySource;
        let cases: &[(&[&str], Overrides)] = &[
            (&[], Overrides::default()),
            (
                &["--no-fail-on-kev", "--fail-on-malicious"],
                Overrides {
                    fail_on_kev: Some(false),
                    fail_on_malicious: Some(true),
                    ..Overrides::default()
                },
            ),
            (
                &["--no-fail-on-kev", "--fail-on-kev"],
                Overrides {
                    fail_on_kev: Some(true),
                    ..Overrides::default()
                },
            ),
            (
                &[
                    "--fail-on",
                    "high",
                    "--fail-on-ransomware",
                    "--fail-on-kev-past-due",
                    "--only-fixable",
                    "--fail-on-epss",
                    "0.5",
                    "--severity-source",
                    "ghsa,nvd",
                    "--rhel-stream",
                    "eus-8.6",
                ],
                Overrides {
                    fail_on: Some(crate::policy::FailOn::High),
                    fail_on_ransomware: Some(true),
                    fail_on_kev_past_due: Some(true),
                    only_fixable: Some(true),
                    fail_on_epss: Some(0.5),
                    severity_source: Some(vec![SeveritySource::Ghsa, SeveritySource::Nvd]),
                    rhel_stream: Some("eus-8.6".parse().expect("stream")),
                    ..Overrides::default()
                },
            ),
        ];
        for (flags, want) in cases {
            assert_eq!(&overrides(&scan_args(flags)), want, "{flags:?}");
        }
    }

    /// The database check: the demo is refused unless allowed, warned about on stderr unless
    /// a report on stdout shows the banner; another database must be dated and young enough.
    #[test]
    fn database_checks() {
        let inputs = |allow_bundled, banner_on_stdout| ScanInputs {
            sbom: Path::new("s.json"),
            db: None,
            max_db_age: 7,
            allow_bundled,
            max_sbom_bytes: None,
            banner_on_stdout,
        };
        let origin = |kind, age_days| DbOrigin {
            kind,
            path: (kind != DbOriginKind::Bundled).then(|| "k.db".to_owned()),
            age_days,
        };
        let bundled = origin(DbOriginKind::Bundled, Some(400));
        let ok = |r: anyhow::Result<bool>| r.expect("accepted");
        let err = |r: anyhow::Result<bool>| format!("{:#}", r.expect_err("refused"));
        assert!(ok(check_db(&bundled, "2025-08-26", &inputs(true, false))));
        assert!(!ok(check_db(&bundled, "2025-08-26", &inputs(true, true))));
        assert!(
            err(check_db(&bundled, "2025-08-26", &inputs(false, false))).contains("allow-demo-db")
        );
        for kind in [DbOriginKind::Flag, DbOriginKind::Env, DbOriginKind::Cache] {
            assert!(!ok(check_db(
                &origin(kind, Some(7)),
                "d",
                &inputs(false, false)
            )));
            let stale = err(check_db(
                &origin(kind, Some(8)),
                "2025-01-01",
                &inputs(true, false),
            ));
            assert!(
                stale.starts_with("database `k.db` (data from 2025-01-01)"),
                "{stale}"
            );
            let undated = err(check_db(
                &origin(kind, None),
                "unknown",
                &inputs(true, false),
            ));
            assert!(undated.contains("has no data date"), "{undated}");
        }
    }
}
