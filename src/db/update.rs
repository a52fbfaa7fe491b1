//! `kevgate db update`: downloads the feeds into the cache directory and rebuilds the
//! database from them.
//!
//! The cache it fills (layout, lock, state, the atomic swap) is `db/cache.rs`. An update
//! builds a complete new raw directory beside the old one (files that did not change are
//! hard links), validates every download as it arrives, builds the database from the new
//! directory into a temporary file, and only then commits. Any failure before that removes
//! the staging files, and the error names the source that failed. This module and its
//! children are the only code that downloads vulnerability data: the feeds (one table,
//! `FileFeed`, for the single-file feeds; NVD and JVN pages in `update/pages.rs`) and the
//! signed prebuilt database (`update/prebuilt.rs`, `db update --from`).
//!
//! Incremental: NVD asks only for records modified since the last update
//! (`lastModStartDate`/`lastModEndDate`, in windows of at most 120 days); OSV fetches only
//! the records its `modified_id.csv` lists as modified since (`update/osv.rs`), the whole
//! `all.zip` the first time; KEV and EPSS are single files, re-downloaded unless the server
//! answers `304 Not Modified` to the stored ETag. OSV downloads are checked by the build
//! itself (one parse, not a validation pass and a build); its errors name the source. JVN (opt-in, [`UpdateOptions::jvn_url`]) asks the MyJVN API for every entry
//! the first time, then only for entries updated since the day before the last update.
//!
//! HTTP (`src/http.rs`): timeouts on every wait, retries of transient failures (429, 502,
//! 503, 504, NVD's rate-limit 403, resets, short bodies) honouring `Retry-After`, a progress
//! display. NVD requests are also spaced to the published limits (5 per 30 s, 50 with an API
//! key).

pub mod osv;
mod pages;
pub mod prebuilt;

pub use pages::nvd_windows;
use pages::{fetch_jvn, fetch_nvd};

use crate::db::cache::{
    DB_FILE, DatabaseState, RAW_DIR, SourceState, cache_error, commit, link_or_copy, lock_cache,
    read_state, sha256_hex,
};
use crate::db::feeds::{self, Doc, DocKind};
use crate::db::{DbError, VulnDb, build::BuildInputs};
use crate::http::{self, Fetched};
use std::collections::VecDeque;
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
    /// Most OSV records of one ecosystem fetched one by one in an update; more changed
    /// records download the whole `all.zip` instead. Default 10,000
    /// (`KEVGATE_OSV_MAX_CHANGED`).
    pub osv_max_changed: usize,
    /// Most OSV records fetched at once in an increment, one connection each: 1 to
    /// [`osv::MAX_FETCH_CONCURRENCY`]. Default 16 (`KEVGATE_OSV_FETCH_CONCURRENCY`).
    pub osv_fetch_concurrency: usize,
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
            osv_max_changed: osv::DEFAULT_MAX_CHANGED,
            osv_fetch_concurrency: osv::DEFAULT_FETCH_CONCURRENCY,
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

impl SourceReport {
    /// Nothing downloaded yet.
    fn new(name: &'static str) -> SourceReport {
        SourceReport {
            name,
            bytes: 0,
            requests: 0,
        }
    }
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

    let mut stage = Stage {
        http: &http,
        raw: &raw,
        staging,
        state: &mut state,
        now,
        log: &mut *log,
    };
    let [kev, epss] = [FileFeed::kev(opts), FileFeed::epss(opts)];
    reports.push(stage.fetch_file_feed(&kev)?);
    let dir = staging.join("nvd");
    mkdir(&dir)?;
    let nvd_state = stage.state.sources.entry("nvd".into()).or_default();
    reports.push(fetch_nvd(
        opts,
        &http,
        &raw.join("nvd"),
        &dir,
        nvd_state,
        now,
        stage.log,
    )?);
    // OSV: one file per ecosystem, one report for them all.
    let mut osv = SourceReport::new("osv");
    mkdir(&staging.join("osv"))?;
    for eco in &opts.osv_ecosystems {
        let r = stage.fetch_osv(opts, eco)?;
        osv.bytes += r.bytes;
        osv.requests += r.requests;
    }
    reports.push(osv);
    reports.push(stage.fetch_file_feed(&epss)?);

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
    // The OSV downloads are checked here, by the one parse that builds (issue 14): a bad
    // record fails naming the source, its URL and the file.
    let (bytes, stats) =
        crate::db::build_with_stats(&inputs, opts.built_at).map_err(|e| match &e {
            DbError::Parse { path, .. } => match osv::url_of(opts, path) {
                Some(url) => UpdateError::Source {
                    source_name: "osv",
                    url,
                    reason: format!("invalid download: {e}"),
                },
                None => UpdateError::Build(e),
            },
            _ => UpdateError::Build(e),
        })?;
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
    crate::db::cache::write_state(staging, &state)?;
    Ok((bytes, reports))
}

/// A feed that is one file per URL (KEV, EPSS, each OSV ecosystem's export): where it is
/// fetched from, where it lives in the raw directory, and how a download is checked. One
/// routine ([`Stage::fetch_file_feed`]) fetches and validates them all (issue 12, item 5:
/// KEV and EPSS had copies of the block, OSV a variant).
struct FileFeed {
    /// `kev`, `epss`, `osv`: names errors and log lines.
    source_name: &'static str,
    /// The URL.
    url: String,
    /// The file, relative to the raw directory (`kev/known_exploited_vulnerabilities.json`).
    rel: PathBuf,
    /// The key in the state file (`kev`, `epss`, `osv/<ecosystem>`).
    state_key: String,
    /// How a download is checked.
    check: Check,
}

/// How a downloaded file is checked before the build reads it.
enum Check {
    /// Parsed as one document of this kind by the feed's parser.
    Doc(DocKind, fn(&Doc) -> Result<feeds::Outcome, DbError>),
    /// Read by the build, which names the source when it fails (an OSV export: parsing
    /// 600k records twice, to check and to build, was minutes of the daily update).
    ByBuild,
}

impl FileFeed {
    fn kev(opts: &UpdateOptions) -> FileFeed {
        FileFeed {
            source_name: "kev",
            url: opts.kev_url.clone(),
            rel: Path::new("kev").join("known_exploited_vulnerabilities.json"),
            state_key: "kev".into(),
            check: Check::Doc(DocKind::Json, |doc| feeds::kev::parse(doc).map(|(o, _)| o)),
        }
    }

    fn epss(opts: &UpdateOptions) -> FileFeed {
        FileFeed {
            source_name: "epss",
            url: opts.epss_url.clone(),
            rel: Path::new("epss").join("epss_scores-current.csv.gz"),
            state_key: "epss".into(),
            check: Check::Doc(DocKind::Csv, |doc| feeds::epss::parse(doc).map(|(o, _)| o)),
        }
    }

    fn osv(opts: &UpdateOptions, ecosystem: &str) -> FileFeed {
        FileFeed {
            source_name: "osv",
            url: format!(
                "{}/{}/all.zip",
                opts.osv_url.trim_end_matches('/'),
                encode_path_segment(ecosystem)
            ),
            rel: Path::new("osv").join(ecosystem).join("all.zip"),
            state_key: format!("osv/{ecosystem}"),
            check: Check::ByBuild,
        }
    }
}

/// What fetching into the staging directory needs.
struct Stage<'a> {
    http: &'a Http,
    raw: &'a Path,
    staging: &'a Path,
    state: &'a mut crate::db::cache::State,
    now: jiff::Timestamp,
    log: &'a mut dyn Write,
}

impl Stage<'_> {
    /// Fetches `feed` into the staging directory (or links the previous file on `304`) and
    /// validates it, so a bad download fails here, named by its source.
    fn fetch_file_feed(&mut self, feed: &FileFeed) -> Result<SourceReport, UpdateError> {
        let dest = self.staging.join(&feed.rel);
        if let Some(dir) = dest.parent() {
            fs_err::create_dir_all(dir).map_err(|e| cache_error(dir, e))?;
        }
        let report = fetch_file(
            self.http,
            feed.source_name,
            &feed.url,
            &self.raw.join(&feed.rel),
            &dest,
            self.state
                .sources
                .entry(feed.state_key.clone())
                .or_default(),
            self.now,
            self.log,
        )?;
        match feed.check {
            Check::Doc(kind, parse) => validate(
                &self.http.limits,
                feed.source_name,
                &feed.url,
                &dest,
                kind,
                parse,
            )?,
            Check::ByBuild => {}
        }
        Ok(report)
    }
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

/// The HTTP client, the NVD rate limit, and the caps on reading what was downloaded.
/// `Sync`: the OSV records of an increment are fetched on several threads.
struct Http {
    client: http::Client,
    limits: feeds::Limits,
    nvd_recent: std::sync::Mutex<VecDeque<Instant>>,
}

impl Http {
    /// Waits until another NVD request fits in the published limit: 5 requests in any 30 s
    /// without a key, 50 with one.
    fn nvd_rate_limit(&self, with_key: bool) {
        let limit = if with_key { 50 } else { 5 };
        let window = Duration::from_secs(30);
        let mut recent = self
            .nvd_recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
        assert_eq!(pages::nvd_date(t), "2025-08-26T04:05:06.789+00:00");
    }
}
