//! `kevgate db build|update|status|verify`, and where a scan's database comes from: `--db`,
//! `KEVGATE_DB`, the cache `db update` fills ([`cache_dir`]), else the demo snapshot bundled
//! in the binary ([`BUNDLED_DB`]).
//!
//! The environment settings of the database commands (HTTP timeouts and caps, decompression
//! limits, `KEVGATE_CVE_SCOPE`, `SOURCE_DATE_EPOCH`) are read here and passed down as values:
//! `src/db/` never reads the environment.

use super::args::{BuildArgs, StatusArgs, StatusFormat, UpdateArgs};
use super::{Io, Outcome, today, write_atomically};
use crate::db::{self, VulnDb};
use crate::evaluation::{DbOrigin, DbOriginKind};
use anyhow::{Context, bail};
use clap::ValueEnum;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The demo database compiled into the binary: real records trimmed to what the example SBOM
/// needs. Rebuilt from `assets/demo-db/` by a test so it cannot drift.
pub static BUNDLED_DB: &[u8] = include_bytes!("../../assets/demo.kvdb");

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
/// The file's sha256 (for the gate attestation) is [`VulnDb::sha256_hex`], computed only
/// when asked: hashing a 17 MB database costs ~40 ms, a fifth of a whole scan. A file is read
/// part by part ([`VulnDb::open`]): a scan reads its indexes and the blocks it queries.
pub(super) fn load_db(
    flag: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<(VulnDb, DbOrigin)> {
    let from_file = |path: &Path, kind: DbOriginKind| -> anyhow::Result<(VulnDb, DbOrigin)> {
        let db = VulnDb::open(path)
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
    let db =
        VulnDb::from_static(BUNDLED_DB).context("the database bundled in kevgate is corrupt")?;
    Ok((
        db,
        DbOrigin {
            kind: DbOriginKind::Bundled,
            path: None,
            age_days: None,
        },
    ))
}

pub(super) fn build(args: BuildArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
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

pub(super) fn update(args: UpdateArgs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let env = io.env;
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    let cache = args
        .cache_dir
        .or_else(|| cache_dir(env))
        .context("no cache directory; hint: pass `--cache-dir` or set `KEVGATE_CACHE_DIR`")?;
    let http = http_settings(env)?;
    if let Some(url) = args.from.or_else(|| var("KEVGATE_DB_FROM")) {
        let mut opts = db::update::prebuilt::PrebuiltOptions::new(cache, url);
        opts.http = http;
        opts.allow_downgrade = args.allow_downgrade;
        if let Some(path) = args
            .public_key
            .or_else(|| var("KEVGATE_DB_PUBLIC_KEY").map(PathBuf::from))
        {
            opts.public_key = fs_err::read_to_string(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let report = db::update::prebuilt::update_from(&opts, io.stderr)?;
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
    if let Some(n) = env_number(env, "KEVGATE_OSV_MAX_CHANGED")? {
        opts.osv_max_changed = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = env_number(env, "KEVGATE_OSV_FETCH_CONCURRENCY")? {
        let max = db::update::osv::MAX_FETCH_CONCURRENCY;
        opts.osv_fetch_concurrency = usize::try_from(n)
            .ok()
            .filter(|n| (1..=max).contains(n))
            .with_context(|| {
                format!("`KEVGATE_OSV_FETCH_CONCURRENCY` must be 1 to {max}, not `{n}`")
            })?;
    }
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

pub(super) fn status(args: StatusArgs, io: &mut Io<'_>, verify: bool) -> anyhow::Result<Outcome> {
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
    let state = cache.as_deref().map(db::cache::read_state);
    if verify {
        let shown = path.display();
        let counts = db
            .verify()
            .with_context(|| format!("database `{shown}` is corrupt"))?;
        let sha256 = db::cache::sha256_hex(&bytes);
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
