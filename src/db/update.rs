//! `kevgate db update`: downloads the feeds into the cache directory and rebuilds the
//! database from them.
//!
//! Cache layout (`$XDG_CACHE_HOME/kevgate` by default):
//!
//! ```text
//! kevgate.db                 the database (replaced atomically: write, fsync, rename)
//! .lock                      held (`File::lock`) for the whole update
//! raw/state.json             per source: fetched at, ETag, NVD `lastModified` high-water
//!                            mark; and which database they made (or the prebuilt one's URL)
//! raw/kev/known_exploited_vulnerabilities.json
//! raw/nvd/full-0000000.json  NVD API 2.0 pages; incremental pages `incr-<window>-<start>.json`
//! raw/osv/<ecosystem>/all.zip
//! raw/epss/epss_scores-current.csv.gz
//! raw/jvn/full-0000001.xml   MyJVN getVulnOverviewList pages (with `--jvn`); incremental
//!                            pages `incr-<since>-<startItem>.xml`
//! ```
//!
//! An update builds a complete new raw directory beside the old one (`.raw-new-<pid>`; files
//! that did not change are hard links), validates every download as it arrives, builds the
//! database from the new directory into a temporary file, and only then swaps the directories
//! and renames the database into place. Any failure before the swap removes the staging
//! files, so the last good database and raw files stay byte-identical, and the error names
//! the source that failed.
//!
//! Incremental: NVD asks only for records modified since the last update
//! (`lastModStartDate`/`lastModEndDate`, in windows of at most 120 days); KEV, OSV and EPSS
//! are single files, re-downloaded unless the server answers `304 Not Modified` to the
//! stored ETag. JVN (opt-in, [`UpdateOptions::jvn_url`]) asks the MyJVN API for every entry
//! the first time, then only for entries updated since the day before the last update.
//!
//! HTTP (`src/http.rs`): timeouts on every wait, retries of transient failures (429, 502,
//! 503, 504, NVD's rate-limit 403, resets, short bodies) honouring `Retry-After`, a progress
//! display. NVD requests are also spaced to the published limits (5 per 30 s, 50 with an API
//! key). `db update --from` (a signed prebuilt database) is `db/prebuilt.rs`.

use crate::db::feeds::{self, Doc, DocKind};
use crate::db::{DbError, VulnDb, build::BuildInputs};
use crate::http::{self, Fetched};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// CISA's KEV catalog.
pub const DEFAULT_KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// The NVD CVE API 2.0 endpoint.
pub const DEFAULT_NVD_URL: &str = "https://services.nvd.nist.gov/rest/json/cves/2.0";
/// The osv.dev export bucket (`{base}/{ecosystem}/all.zip`).
pub const DEFAULT_OSV_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// The MyJVN API (JVN iPedia, IPA).
pub const DEFAULT_JVN_URL: &str = "https://jvndb.jvn.jp/myjvn";
/// Entries per `getVulnOverviewList` page (the API's maximum).
pub const JVN_PAGE_SIZE: u32 = 50;
/// FIRST EPSS, today's scores.
pub const DEFAULT_EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";
/// The OSV ecosystems kevgate matches, as osv.dev names its export folders.
pub const DEFAULT_OSV_ECOSYSTEMS: &[&str] = &[
    "npm",
    "PyPI",
    "Maven",
    "Go",
    "crates.io",
    "RubyGems",
    "NuGet",
    "Packagist",
    "Pub",
    "Debian",
    "Ubuntu",
    "Alpine",
    "Red Hat",
    "AlmaLinux",
    "Rocky Linux",
];
/// Records per NVD page (the API's maximum).
pub const NVD_PAGE_SIZE: u32 = 2000;
/// The longest `lastModStartDate`..`lastModEndDate` range the NVD API accepts.
pub const NVD_MAX_WINDOW_DAYS: i64 = 120;
/// The database file inside the cache directory.
pub const DB_FILE: &str = "kevgate.db";
/// The raw downloads inside the cache directory.
pub const RAW_DIR: &str = "raw";
/// The state file inside the raw directory.
pub const STATE_FILE: &str = "state.json";

/// What an update needs to know.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// The cache directory (created if missing).
    pub cache_dir: PathBuf,
    /// KEV catalog URL.
    pub kev_url: String,
    /// NVD CVE API 2.0 endpoint.
    pub nvd_url: String,
    /// OSV base URL.
    pub osv_url: String,
    /// OSV ecosystems to download.
    pub osv_ecosystems: Vec<String>,
    /// EPSS CSV (gzip) URL.
    pub epss_url: String,
    /// The MyJVN API endpoint; `None` (the default): JVN is not downloaded.
    pub jvn_url: Option<String>,
    /// NVD API key, sent as the `apiKey` header.
    pub nvd_api_key: Option<String>,
    /// Timeouts, retries, extra roots, progress display.
    pub http: http::Settings,
    /// Recorded as the database's `built_at`.
    pub built_at: jiff::Timestamp,
    /// Which CVEs the database keeps NVD and EPSS records for.
    pub cve_scope: crate::db::CveScope,
    /// Caps on decompressing the downloads (per document, per feed file).
    pub limits: feeds::Limits,
}

impl UpdateOptions {
    /// The defaults: real upstreams, 60 s timeouts, 5 attempts.
    pub fn new(cache_dir: PathBuf) -> UpdateOptions {
        UpdateOptions {
            cache_dir,
            kev_url: DEFAULT_KEV_URL.into(),
            nvd_url: DEFAULT_NVD_URL.into(),
            osv_url: DEFAULT_OSV_URL.into(),
            osv_ecosystems: DEFAULT_OSV_ECOSYSTEMS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            epss_url: DEFAULT_EPSS_URL.into(),
            jvn_url: None,
            nvd_api_key: None,
            http: http::Settings::default(),
            built_at: jiff::Timestamp::now(),
            cve_scope: crate::db::CveScope::All,
            limits: feeds::Limits::default(),
        }
    }
}

/// Why an update failed. The database in the cache is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// Downloading or validating a feed failed.
    #[error("{source_name}: {reason} (`{url}`)")]
    Source {
        /// `kev`, `nvd`, `osv`, `epss` or `jvn`.
        source_name: &'static str,
        /// The URL requested.
        url: String,
        /// What went wrong, in one line.
        reason: String,
    },
    /// The cache directory could not be read or written.
    #[error("cache `{path}`: {reason}")]
    Cache {
        /// The file or directory.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The HTTP client could not be set up (`SSL_CERT_FILE`).
    #[error(transparent)]
    Http(#[from] http::SetupError),
    /// The downloads did not build into a database.
    #[error("rebuilding the database failed: {0}")]
    Build(#[from] DbError),
}

/// What one source contributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceReport {
    /// `kev`, `nvd`, `osv`, `epss`, `jvn`.
    pub name: &'static str,
    /// Bytes downloaded (0 when unchanged).
    pub bytes: u64,
    /// Requests that returned data.
    pub requests: u32,
}

/// What an update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateReport {
    /// The database written.
    pub db_path: PathBuf,
    /// Its size.
    pub db_bytes: u64,
    /// Per source, in the order kev, nvd, osv, epss (then jvn).
    pub sources: Vec<SourceReport>,
}

/// Persistent per-source state, in `raw/state.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// By source name (`kev`, `nvd`, `epss`, `osv/<ecosystem>`).
    pub sources: BTreeMap<String, SourceState>,
    /// What made the cache's database: the feeds above, or a prebuilt download.
    pub database: Option<DatabaseState>,
}

/// Where the cache's database came from.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseState {
    /// The prebuilt database's URL (`db update --from`); `None` when built from the feeds.
    pub prebuilt_url: Option<String>,
    /// When it was written (RFC 3339).
    pub written_at: String,
    /// sha256 of the database file (hex): the record describes that file only.
    pub sha256: String,
    /// The build serial in the prebuilt database's signed trusted comment (`serial N`),
    /// when it had one: `db update --from` refuses a lower one (a rollback).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<u64>,
}

/// The state of one downloaded file or source.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SourceState {
    /// When it was last fetched (RFC 3339), or confirmed unchanged.
    pub fetched_at: Option<String>,
    /// The URL it came from.
    pub url: Option<String>,
    /// The server's ETag, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// NVD: the `lastModEndDate` of the last update (RFC 3339); the next starts there.
    /// JVN: when the last update ran; the next asks from the day before.
    pub last_mod_end: Option<String>,
}

/// Reads `raw/state.json` under `cache_dir`; missing or unreadable gives the empty state.
pub fn read_state(cache_dir: &Path) -> State {
    fs_err::read(cache_dir.join(RAW_DIR).join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Downloads the feeds into `opts.cache_dir` and rebuilds its database; `log` gets one
/// plain line per step.
pub fn update(opts: &UpdateOptions, log: &mut dyn Write) -> Result<UpdateReport, UpdateError> {
    let cache = &opts.cache_dir;
    fs_err::create_dir_all(cache).map_err(|e| cache_error(cache, e))?;
    let lock = lock_cache(cache, log)?;
    let staging = cache.join(format!(".raw-new-{}", std::process::id()));
    let result = stage_and_build(opts, &staging, log);
    let (bytes, report) = match result {
        Ok(ok) => ok,
        Err(e) => {
            let _ = fs_err::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let committed = commit(cache, &staging, &bytes);
    if committed.is_err() {
        let _ = fs_err::remove_dir_all(&staging);
    }
    committed?;
    drop(lock);
    Ok(UpdateReport {
        db_path: cache.join(DB_FILE),
        db_bytes: bytes.len() as u64,
        sources: report,
    })
}

/// Creates the cache directory and takes its lock (waiting for another update to end), then
/// removes what a killed run left behind. The lock is held while the file is open.
pub(crate) fn lock_cache(cache: &Path, log: &mut dyn Write) -> Result<fs_err::File, UpdateError> {
    fs_err::create_dir_all(cache).map_err(|e| cache_error(cache, e))?;
    let lock_path = cache.join(".lock");
    let lock = fs_err::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| cache_error(&lock_path, e))?;
    match lock.file().try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let _ = writeln!(
                log,
                "waiting for another `kevgate db update` on `{}`",
                cache.display()
            );
            lock.file().lock().map_err(|e| cache_error(&lock_path, e))?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(cache_error(&lock_path, e)),
    }
    // We hold the lock: staging left by a killed run is ours to remove.
    remove_stale_staging(cache);
    Ok(lock)
}

pub(crate) fn cache_error(path: &Path, e: impl std::fmt::Display) -> UpdateError {
    UpdateError::Cache {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn remove_stale_staging(cache: &Path) {
    let Ok(entries) = fs_err::read_dir(cache) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".raw-new-")
            || name.starts_with(".raw-old-")
            || name.starts_with(".prebuilt-new-")
        {
            let _ = fs_err::remove_dir_all(entry.path());
        } else if name.starts_with(".kevgate.db.tmp") {
            let _ = fs_err::remove_file(entry.path());
        }
    }
}

/// Downloads into `staging` (a full copy of the new raw directory) and builds the database.
fn stage_and_build(
    opts: &UpdateOptions,
    staging: &Path,
    log: &mut dyn Write,
) -> Result<(Vec<u8>, Vec<SourceReport>), UpdateError> {
    let raw = opts.cache_dir.join(RAW_DIR);
    let mut state = read_state(&opts.cache_dir);
    let http = Http {
        client: http::Client::new(opts.http.clone())?,
        limits: opts.limits,
        nvd_recent: Default::default(),
    };
    let mkdir = |p: &Path| fs_err::create_dir_all(p).map_err(|e| cache_error(p, e));
    mkdir(staging)?;
    let now = jiff::Timestamp::now();
    let mut reports = Vec::new();

    // KEV
    let dir = staging.join("kev");
    mkdir(&dir)?;
    let file = "known_exploited_vulnerabilities.json";
    let r = fetch_file(
        &http,
        "kev",
        &opts.kev_url,
        &raw.join("kev").join(file),
        &dir.join(file),
        state.sources.entry("kev".into()).or_default(),
        now,
        log,
    )?;
    validate(
        &opts.limits,
        "kev",
        &opts.kev_url,
        &dir.join(file),
        DocKind::Json,
        |doc| feeds::kev::parse(doc).map(|(o, _)| o),
    )?;
    reports.push(r);

    // NVD
    let dir = staging.join("nvd");
    mkdir(&dir)?;
    let nvd_state = state.sources.entry("nvd".into()).or_default();
    reports.push(fetch_nvd(
        opts,
        &http,
        &raw.join("nvd"),
        &dir,
        nvd_state,
        now,
        log,
    )?);

    // OSV
    let mut osv = SourceReport {
        name: "osv",
        bytes: 0,
        requests: 0,
    };
    mkdir(&staging.join("osv"))?;
    for eco in &opts.osv_ecosystems {
        let url = format!(
            "{}/{}/all.zip",
            opts.osv_url.trim_end_matches('/'),
            encode_path_segment(eco)
        );
        let dir = staging.join("osv").join(eco);
        mkdir(&dir)?;
        let r = fetch_file(
            &http,
            "osv",
            &url,
            &raw.join("osv").join(eco).join("all.zip"),
            &dir.join("all.zip"),
            state.sources.entry(format!("osv/{eco}")).or_default(),
            now,
            log,
        )?;
        validate_zip(&opts.limits, &url, &dir.join("all.zip"))?;
        osv.bytes += r.bytes;
        osv.requests += r.requests;
    }
    reports.push(osv);

    // EPSS
    let dir = staging.join("epss");
    mkdir(&dir)?;
    let file = "epss_scores-current.csv.gz";
    let r = fetch_file(
        &http,
        "epss",
        &opts.epss_url,
        &raw.join("epss").join(file),
        &dir.join(file),
        state.sources.entry("epss".into()).or_default(),
        now,
        log,
    )?;
    validate(
        &opts.limits,
        "epss",
        &opts.epss_url,
        &dir.join(file),
        DocKind::Csv,
        |doc| feeds::epss::parse(doc).map(|(o, _)| o),
    )?;
    reports.push(r);

    // JVN (opt-in)
    let mut jvn_inputs = Vec::new();
    if let Some(url) = &opts.jvn_url {
        let dir = staging.join("jvn");
        mkdir(&dir)?;
        let jvn_state = state.sources.entry("jvn".into()).or_default();
        reports.push(fetch_jvn(
            url,
            &http,
            &raw.join("jvn"),
            &dir,
            jvn_state,
            now,
            log,
        )?);
        jvn_inputs.push(dir);
    }

    let _ = writeln!(log, "building the database");
    let inputs = BuildInputs {
        kev: vec![staging.join("kev")],
        nvd: vec![staging.join("nvd")],
        osv: vec![staging.join("osv")],
        epss: vec![staging.join("epss")],
        jvn: jvn_inputs,
        cve_scope: opts.cve_scope,
        limits: opts.limits,
    };
    let (bytes, stats) = crate::db::build_with_stats(&inputs, opts.built_at)?;
    VulnDb::from_bytes(bytes.clone())?;
    if opts.cve_scope == crate::db::CveScope::Referenced {
        let _ = writeln!(
            log,
            "cve scope referenced: left out {} NVD records and {} EPSS scores",
            stats.nvd_out_of_scope, stats.epss_out_of_scope
        );
    }

    state.database = Some(DatabaseState {
        prebuilt_url: None,
        written_at: now.to_string(),
        sha256: sha256_hex(&bytes),
        serial: None,
    });
    let state_path = staging.join(STATE_FILE);
    let json = serde_json::to_vec_pretty(&state).expect("the state serialises");
    fs_err::write(&state_path, json).map_err(|e| cache_error(&state_path, e))?;
    Ok((bytes, reports))
}

/// Swaps the raw directories and renames the database into place.
fn commit(cache: &Path, staging: &Path, bytes: &[u8]) -> Result<(), UpdateError> {
    let db = cache.join(DB_FILE);
    let tmp = write_temp_db(cache, bytes)?;
    let raw = cache.join(RAW_DIR);
    let old = cache.join(format!(".raw-old-{}", std::process::id()));
    let had_raw = raw.exists();
    if had_raw && let Err(e) = fs_err::rename(&raw, &old) {
        let _ = fs_err::remove_file(&tmp);
        return Err(cache_error(&raw, e));
    }
    if let Err(e) = fs_err::rename(staging, &raw) {
        if had_raw {
            let _ = fs_err::rename(&old, &raw);
        }
        let _ = fs_err::remove_file(&tmp);
        return Err(cache_error(&raw, e));
    }
    if let Err(e) = fs_err::rename(&tmp, &db) {
        // Put the old raw directory back, so the cache stays as it was.
        let _ = fs_err::rename(&raw, staging);
        if had_raw {
            let _ = fs_err::rename(&old, &raw);
        }
        let _ = fs_err::remove_file(&tmp);
        return Err(cache_error(&db, e));
    }
    // Make the renames durable; failure here does not undo a complete update.
    if let Ok(d) = fs_err::File::open(cache) {
        let _ = d.sync_all();
    }
    let _ = fs_err::remove_dir_all(&old);
    Ok(())
}

/// Writes `bytes` to a temporary file beside the database and syncs it
/// ([`crate::atomic_file::write_temp`]); the caller renames it into place.
pub(crate) fn write_temp_db(cache: &Path, bytes: &[u8]) -> Result<PathBuf, UpdateError> {
    let db = cache.join(DB_FILE);
    crate::atomic_file::write_temp(&db, bytes).map_err(|e| {
        cache_error(
            &crate::atomic_file::temp_path(&db).unwrap_or_else(|_| db.clone()),
            e,
        )
    })
}

/// Reads a downloaded file and runs a feed parser over it, so a bad download fails here,
/// named by its source, rather than in the build.
fn validate(
    limits: &feeds::Limits,
    source_name: &'static str,
    url: &str,
    path: &Path,
    kind: DocKind,
    parse: impl Fn(&Doc) -> Result<feeds::Outcome, DbError>,
) -> Result<(), UpdateError> {
    let err = |reason: String| UpdateError::Source {
        source_name,
        url: url.to_string(),
        reason,
    };
    let file = fs_err::File::open(path).map_err(|e| cache_error(path, e))?;
    let mut head = [0u8; 2];
    let gzip = (&file).read_exact(&mut head).is_ok() && head == [0x1f, 0x8b];
    let mut file = std::io::BufReader::new(file);
    std::io::Seek::rewind(&mut file).map_err(|e| cache_error(path, e))?;
    let bytes = if gzip {
        limits.read(flate2::read::MultiGzDecoder::new(file), &mut 0)
    } else {
        limits.read(file, &mut 0)
    }
    .map_err(|e| err(format!("invalid download: {e}")))?;
    let doc = Doc {
        name: source_name.to_string(),
        kind,
        bytes,
    };
    match parse(&doc).map_err(|e| err(format!("invalid download: {e}")))? {
        feeds::Outcome::Read(_) => Ok(()),
        feeds::Outcome::Skipped(why) => Err(err(format!("invalid download: {why}"))),
    }
}

fn validate_zip(limits: &feeds::Limits, url: &str, path: &Path) -> Result<(), UpdateError> {
    let err = |reason: String| UpdateError::Source {
        source_name: "osv",
        url: url.to_string(),
        reason,
    };
    let file = fs_err::File::open(path).map_err(|e| cache_error(path, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| err(format!("invalid zip: {e}")))?;
    let mut total = 0;
    for i in 0..zip.len() {
        let member = zip
            .by_index(i)
            .map_err(|e| err(format!("invalid zip: {e}")))?;
        let name = member.name().to_string();
        let bytes = limits
            .read(member, &mut total)
            .map_err(|e| err(format!("invalid zip member `{name}`: {e}")))?;
        if name.ends_with(".json") {
            let doc = Doc {
                name: format!("osv!{name}"),
                kind: DocKind::Json,
                bytes,
            };
            feeds::osv::parse(&doc, &mut |_| {})
                .map_err(|e| err(format!("invalid download: {e}")))?;
        }
    }
    Ok(())
}

/// osv.dev folder names contain spaces (`Red Hat`, `Rocky Linux`).
fn encode_path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Downloads one file to `dest`, or hard-links `previous` there when the server says
/// `304 Not Modified` to its ETag.
#[allow(clippy::too_many_arguments)]
fn fetch_file(
    http: &Http,
    source_name: &'static str,
    url: &str,
    previous: &Path,
    dest: &Path,
    state: &mut SourceState,
    now: jiff::Timestamp,
    log: &mut dyn Write,
) -> Result<SourceReport, UpdateError> {
    let have_previous = previous.is_file() && state.url.as_deref() == Some(url);
    let etag = state.etag.clone().filter(|_| have_previous);
    let _ = writeln!(log, "{source_name}: downloading `{url}`");
    let mut headers = Vec::new();
    if let Some(etag) = &etag {
        headers.push(("If-None-Match", etag.clone()));
    }
    let fetched = http.fetch(source_name, url, &[], &headers, dest, log)?;
    state.fetched_at = Some(now.to_string());
    state.url = Some(url.to_string());
    match fetched {
        Fetched::NotModified => {
            link_or_copy(previous, dest)?;
            let _ = writeln!(log, "{source_name}: unchanged");
            Ok(SourceReport {
                name: source_name,
                bytes: 0,
                requests: 1,
            })
        }
        Fetched::Saved { bytes, etag } => {
            state.etag = etag;
            Ok(SourceReport {
                name: source_name,
                bytes,
                requests: 1,
            })
        }
    }
}

/// sha256 as lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    crate::db::build::hex(&sha2::Sha256::digest(bytes))
}

fn link_or_copy(from: &Path, to: &Path) -> Result<(), UpdateError> {
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs_err::copy(from, to)
        .map(|_| ())
        .map_err(|e| cache_error(to, e))
}

/// The NVD paging envelope; the records are checked by the NVD parser.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NvdPage {
    total_results: u64,
    start_index: Option<u64>,
    vulnerabilities: Vec<serde::de::IgnoredAny>,
}

/// The `lastModStartDate`..`lastModEndDate` windows from `since` to `until`, each at most
/// [`NVD_MAX_WINDOW_DAYS`] long.
pub fn nvd_windows(
    since: jiff::Timestamp,
    until: jiff::Timestamp,
) -> Vec<(jiff::Timestamp, jiff::Timestamp)> {
    let step = jiff::SignedDuration::from_hours(24 * NVD_MAX_WINDOW_DAYS);
    let mut out = Vec::new();
    let mut start = since;
    while start < until {
        let end = start
            .checked_add(step)
            .map(|e| e.min(until))
            .unwrap_or(until);
        out.push((start, end));
        start = end;
    }
    out
}

/// NVD's date format: `2025-08-26T04:00:00.000+00:00` (UTC).
fn nvd_date(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

fn fetch_nvd(
    opts: &UpdateOptions,
    http: &Http,
    previous: &Path,
    dir: &Path,
    state: &mut SourceState,
    now: jiff::Timestamp,
    log: &mut dyn Write,
) -> Result<SourceReport, UpdateError> {
    let url = opts.nvd_url.as_str();
    let since = state
        .last_mod_end
        .as_deref()
        .filter(|_| state.url.as_deref() == Some(url) && previous.is_dir())
        .and_then(|s| s.parse::<jiff::Timestamp>().ok());
    let mut report = SourceReport {
        name: "nvd",
        bytes: 0,
        requests: 0,
    };
    let windows: Vec<(String, Option<(jiff::Timestamp, jiff::Timestamp)>)> = match since {
        Some(since) => {
            // Keep the pages we have; add what changed since.
            for entry in fs_err::read_dir(previous).map_err(|e| cache_error(previous, e))? {
                let entry = entry.map_err(|e| cache_error(previous, e))?;
                link_or_copy(&entry.path(), &dir.join(entry.file_name()))?;
            }
            nvd_windows(since, now)
                .into_iter()
                .map(|(s, e)| {
                    (
                        format!("incr-{}", s.strftime("%Y%m%dT%H%M%S")),
                        Some((s, e)),
                    )
                })
                .collect()
        }
        None => vec![("full".to_string(), None)],
    };
    let headers: Vec<(&str, String)> = opts
        .nvd_api_key
        .iter()
        .map(|k| ("apiKey", k.clone()))
        .collect();
    for (prefix, window) in windows {
        let mut start: u64 = 0;
        loop {
            let mut query = vec![
                ("resultsPerPage", NVD_PAGE_SIZE.to_string()),
                ("startIndex", start.to_string()),
            ];
            if let Some((s, e)) = window {
                query.push(("lastModStartDate", nvd_date(s)));
                query.push(("lastModEndDate", nvd_date(e)));
            }
            let _ = writeln!(log, "nvd: downloading `{url}` from record {start}");
            http.nvd_rate_limit(opts.nvd_api_key.is_some());
            let path = dir.join(format!("{prefix}-{start:07}.json"));
            report.bytes += match http.fetch("nvd", url, &query, &headers, &path, log)? {
                Fetched::Saved { bytes, .. } => bytes,
                Fetched::NotModified => 0,
            };
            report.requests += 1;
            let asked = start;
            let err = |reason: String| UpdateError::Source {
                source_name: "nvd",
                url: format!("{url}?startIndex={asked}"),
                reason,
            };
            let file = fs_err::File::open(&path).map_err(|e| cache_error(&path, e))?;
            let bytes = opts
                .limits
                .read(file, &mut 0)
                .map_err(|e| err(format!("invalid API 2.0 page: {e}")))?;
            let page: NvdPage = serde_json::from_slice(&bytes)
                .map_err(|e| err(format!("invalid API 2.0 page: {e}")))?;
            let doc = Doc {
                name: "nvd".into(),
                kind: DocKind::Json,
                bytes,
            };
            feeds::nvd::parse(&doc, &mut |_| {})
                .map_err(|e| err(format!("invalid API 2.0 page: {e}")))?;
            if page.start_index.is_some_and(|s| s != start) {
                return Err(err(format!(
                    "page starts at record {}, asked for {start}",
                    page.start_index.unwrap_or_default()
                )));
            }
            let n = page.vulnerabilities.len() as u64;
            start += n;
            if start >= page.total_results {
                break;
            }
            if n == 0 {
                return Err(err(format!(
                    "empty page before the end ({start} of {} records)",
                    page.total_results
                )));
            }
        }
    }
    let _ = writeln!(
        log,
        "nvd: {} bytes in {} pages",
        report.bytes, report.requests
    );
    state.fetched_at = Some(now.to_string());
    state.url = Some(url.to_string());
    state.last_mod_end = Some(now.to_string());
    Ok(report)
}

/// Downloads JVN iPedia entries from the MyJVN API (`getVulnOverviewList`, feed `hnd`) into
/// `dir`, page by page (`startItem`, `maxCountItem` = [`JVN_PAGE_SIZE`]), until the
/// response's `status:Status` `totalRes` entries are in. The first update asks for every
/// entry (`rangeDate*=n`, no date); later ones keep the pages they have and ask only for
/// entries updated (`datePublishedStart{Y,M,D}`, JST) since the day before the last update
/// (the build keeps the newest copy of each entry). Every page is parsed as it arrives: a
/// MyJVN error (`retCd` 1), a DTD, a page that starts elsewhere than asked or holds another
/// count than its `totalResRet` fails the update.
fn fetch_jvn(
    url: &str,
    http: &Http,
    previous: &Path,
    dir: &Path,
    state: &mut SourceState,
    now: jiff::Timestamp,
    log: &mut dyn Write,
) -> Result<SourceReport, UpdateError> {
    let since = state
        .last_mod_end
        .as_deref()
        .filter(|_| state.url.as_deref() == Some(url) && previous.is_dir())
        .and_then(|s| s.parse::<jiff::Timestamp>().ok());
    let mut report = SourceReport {
        name: "jvn",
        bytes: 0,
        requests: 0,
    };
    let mut query_base: Vec<(&str, String)> = vec![
        ("method", "getVulnOverviewList".into()),
        ("feed", "hnd".into()),
        ("maxCountItem", JVN_PAGE_SIZE.to_string()),
        ("rangeDatePublic", "n".into()),
        ("rangeDatePublished", "n".into()),
        ("rangeDateFirstPublished", "n".into()),
    ];
    let prefix = match since {
        Some(since) => {
            for entry in fs_err::read_dir(previous).map_err(|e| cache_error(previous, e))? {
                let entry = entry.map_err(|e| cache_error(previous, e))?;
                link_or_copy(&entry.path(), &dir.join(entry.file_name()))?;
            }
            // JVN dates are Japan time (UTC+9, no daylight saving); a day of overlap.
            let jst = jiff::tz::TimeZone::fixed(jiff::tz::offset(9));
            let day = since
                .to_zoned(jst)
                .date()
                .yesterday()
                .unwrap_or(jiff::civil::Date::MIN);
            query_base.push(("datePublishedStartY", day.year().to_string()));
            query_base.push(("datePublishedStartM", day.month().to_string()));
            query_base.push(("datePublishedStartD", day.day().to_string()));
            format!("incr-{}", since.strftime("%Y%m%dT%H%M%S"))
        }
        None => "full".to_string(),
    };
    let mut start: u64 = 1;
    loop {
        let mut query = query_base.clone();
        query.insert(2, ("startItem", start.to_string()));
        let _ = writeln!(log, "jvn: downloading `{url}` from entry {start}");
        let path = dir.join(format!("{prefix}-{start:07}.xml"));
        report.bytes += match http.fetch("jvn", url, &query, &[], &path, log)? {
            Fetched::Saved { bytes, .. } => bytes,
            Fetched::NotModified => 0,
        };
        report.requests += 1;
        let asked = start;
        let err = |reason: String| UpdateError::Source {
            source_name: "jvn",
            url: format!("{url}?method=getVulnOverviewList&startItem={asked}"),
            reason,
        };
        let file = fs_err::File::open(&path).map_err(|e| cache_error(&path, e))?;
        let bytes = http
            .limits
            .read(file, &mut 0)
            .map_err(|e| err(format!("invalid page: {e}")))?;
        let doc = match feeds::jvn::read(&bytes).map_err(|e| err(format!("invalid page: {e}")))? {
            feeds::jvn::Read::Document(d) => d,
            feeds::jvn::Read::Other(root) => {
                return Err(err(format!(
                    "invalid page: root element `{root}`, not a MyJVN response"
                )));
            }
        };
        let status = doc
            .status
            .ok_or_else(|| err("invalid page: no `status:Status`".into()))?;
        let total = status
            .total_res
            .ok_or_else(|| err("invalid page: no `totalRes` in `status:Status`".into()))?;
        let n = doc.entries.len() as u64;
        if let Some(ret) = status.total_res_ret
            && ret != n
        {
            return Err(err(format!(
                "page holds {n} entries, its `totalResRet` says {ret}"
            )));
        }
        if n > 0
            && let Some(first) = status.first_res
            && first != start
        {
            return Err(err(format!(
                "page starts at entry {first}, asked for {start}"
            )));
        }
        start += n;
        if start > total {
            break;
        }
        if n == 0 {
            return Err(err(format!(
                "empty page before the end ({} of {total} entries)",
                start - 1
            )));
        }
    }
    let _ = writeln!(
        log,
        "jvn: {} bytes in {} pages",
        report.bytes, report.requests
    );
    state.fetched_at = Some(now.to_string());
    state.url = Some(url.to_string());
    state.last_mod_end = Some(now.to_string());
    Ok(report)
}

/// The HTTP client, the NVD rate limit, and the caps on reading what was downloaded.
struct Http {
    client: http::Client,
    limits: feeds::Limits,
    nvd_recent: std::cell::RefCell<VecDeque<Instant>>,
}

impl Http {
    /// Waits until another NVD request fits in the published limit: 5 requests in any 30 s
    /// without a key, 50 with one.
    fn nvd_rate_limit(&self, with_key: bool) {
        let limit = if with_key { 50 } else { 5 };
        let window = Duration::from_secs(30);
        let mut recent = self.nvd_recent.borrow_mut();
        while recent.front().is_some_and(|t| t.elapsed() >= window) {
            recent.pop_front();
        }
        if recent.len() >= limit
            && let Some(oldest) = recent.front()
        {
            std::thread::sleep(window.saturating_sub(oldest.elapsed()));
            recent.pop_front();
        }
        recent.push_back(Instant::now());
    }

    /// Downloads into `dest` (retries are the client's); errors name the source and URL.
    fn fetch(
        &self,
        source_name: &'static str,
        url: &str,
        query: &[(&str, String)],
        headers: &[(&str, String)],
        dest: &Path,
        log: &mut dyn Write,
    ) -> Result<Fetched, UpdateError> {
        let req = http::Request {
            label: source_name,
            url,
            query,
            headers,
            forbidden_is_rate_limit: source_name == "nvd",
        };
        self.client.download(&req, dest, log).map_err(|e| match e {
            http::DownloadError::Http(reason) => UpdateError::Source {
                source_name,
                url: url.to_string(),
                reason,
            },
            http::DownloadError::Write { path, reason } => UpdateError::Cache { path, reason },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_at_most_120_days() {
        let cases: &[(&str, &str, usize)] = &[
            ("2025-08-01T00:00:00Z", "2025-08-26T00:00:00Z", 1),
            ("2025-01-01T00:00:00Z", "2025-05-01T00:00:00Z", 1), // exactly 120 days
            ("2025-01-01T00:00:00Z", "2025-05-01T00:00:01Z", 2),
            ("2024-01-01T00:00:00Z", "2025-08-26T00:00:00Z", 6), // 603 days
            ("2025-08-26T00:00:00Z", "2025-08-26T00:00:00Z", 0),
        ];
        for (since, until, n) in cases {
            let (s, u) = (since.parse().unwrap(), until.parse().unwrap());
            let w = nvd_windows(s, u);
            assert_eq!(w.len(), *n, "{since}..{until}");
            for (a, b) in &w {
                assert!(b.duration_since(*a).as_hours() <= 24 * NVD_MAX_WINDOW_DAYS);
            }
            if let (Some(first), Some(last)) = (w.first(), w.last()) {
                assert_eq!((first.0, last.1), (s, u));
            }
        }
    }

    #[test]
    fn osv_folder_names_are_encoded() {
        let cases = [
            ("npm", "npm"),
            ("crates.io", "crates.io"),
            ("Red Hat", "Red%20Hat"),
            ("Rocky Linux", "Rocky%20Linux"),
        ];
        for (name, want) in cases {
            assert_eq!(encode_path_segment(name), want);
        }
    }

    #[test]
    fn nvd_dates_are_utc_with_millis() {
        let t: jiff::Timestamp = "2025-08-26T04:05:06.789Z".parse().unwrap();
        assert_eq!(nvd_date(t), "2025-08-26T04:05:06.789+00:00");
    }
}
