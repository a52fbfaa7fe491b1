//! The blocking HTTP client of `kevgate db update`: downloads to a file with timeouts,
//! retries, per-source budgets and a progress display.
//!
//! - Timeouts: connecting, and every wait for the response head or for the next chunk of
//!   the body, are each limited (`timeout`, 30 s).
//! - Stall limit: a request, its retries and the waits between them included, fails when
//!   `stall` (90 s) passes without [`PROGRESS_BYTES`] more of a body arriving. A server that
//!   accepts the connection and never answers, or trickles a byte every 20 s, therefore fails
//!   within `stall + timeout` (120 s), while a slow but moving download of any size goes on.
//! - Budgets per source (the request's `label`: `kev`, `nvd`, `osv`, `epss`, `db`): at most
//!   `max_download_bytes` downloaded in all (4 GiB; counted as the bytes arrive, the bodies
//!   of failed tries included, one count for downloads of the source running at once on
//!   several threads), and a wall-clock `source_deadline`
//!   (60 min) from its first request, rate-limit waits included. An endless body ends at the
//!   byte cap, a slow one at the deadline.
//! - Retries, up to `attempts` tries in all: HTTP 429, 502, 503 and 504, NVD's 403 (its
//!   rate-limit answer), connection errors and resets, timeouts and short bodies. The wait is
//!   the server's `Retry-After` when it sends one, else a doubling backoff (1, 2, 4, 8 s; for
//!   NVD's 403 6, 12, 24, 48 s, as NVD asks), capped at `max_backoff` (60 s); a wait that
//!   would pass the stall limit or the deadline fails the request at once instead.
//! - Redirects: followed (at most 10) for plain requests. A request that carries a header
//!   other than [`PUBLIC_HEADERS`] (NVD's `apiKey`) follows redirects only within its own
//!   origin (scheme, host, port): reqwest strips `Authorization` and cookies on a cross-host
//!   redirect, but not custom headers, so the key would reach whatever host a mirror or an
//!   attacker redirects to. A cross-origin redirect of such a request is an error.
//! - TLS: rustls with the compiled-in webpki roots, plus the certificates of the PEM file
//!   named by `SSL_CERT_FILE` (a corporate proxy or a mirror with a private CA).
//! - Progress: on a terminal a redrawn bar (bytes of total, rate); otherwise (CI logs, pipes)
//!   a plain line every few seconds and one when a download ends.

use crate::text::error_chain;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Body bytes that count as progress for the stall limit.
pub const PROGRESS_BYTES: u64 = 16 * 1024;
/// Request headers that are not credentials: any other header keeps a request's redirects
/// within its origin.
pub const PUBLIC_HEADERS: &[&str] = &["If-None-Match", "Accept"];

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Limit of each connect and of each wait for data.
    pub timeout: Duration,
    /// Tries per request (at least 1).
    pub attempts: u32,
    /// Longest wait between tries (caps `Retry-After` too).
    pub max_backoff: Duration,
    /// A request fails when this long passes without [`PROGRESS_BYTES`] more body bytes,
    /// retries and waits included.
    pub stall: Duration,
    /// Wall-clock limit of each source (label), from its first request.
    pub source_deadline: Duration,
    /// Most bytes one source (label) may download in all.
    pub max_download_bytes: u64,
    /// A PEM file of extra trusted root certificates (`SSL_CERT_FILE`).
    pub extra_roots: Option<PathBuf>,
    /// How downloads show their progress.
    pub progress: Progress,
}

impl Default for Settings {
    /// 30 s timeouts, 5 tries, waits of at most 60 s, 90 s stall limit (a silent source
    /// fails within 120 s), 60 min and 4 GiB per source, plain progress lines.
    fn default() -> Settings {
        Settings {
            timeout: Duration::from_secs(30),
            attempts: 5,
            max_backoff: Duration::from_secs(60),
            stall: Duration::from_secs(90),
            source_deadline: Duration::from_secs(60 * 60),
            max_download_bytes: 4 << 30,
            extra_roots: None,
            progress: Progress::Lines,
        }
    }
}

/// How a download shows its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A bar redrawn in place (`\r`): stderr is a terminal and `CI` is not set.
    Bar,
    /// Plain lines: a line every few seconds and a summary line.
    Lines,
}

/// Why the client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The `SSL_CERT_FILE` file is unreadable or holds no certificate.
    #[error("`{path}` (SSL_CERT_FILE): {reason}")]
    Roots {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS stack refused the configuration.
    #[error("HTTP client: {0}")]
    Client(String),
}

/// One GET.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Shown in progress and retry lines (`kev`, `nvd`, `osv`, `epss`, `db`).
    pub label: &'a str,
    /// The URL, without the query.
    pub url: &'a str,
    /// Query parameters, encoded by the client.
    pub query: &'a [(&'a str, String)],
    /// Extra headers (`apiKey`, `If-None-Match`). Their values are never logged.
    pub headers: &'a [(&'a str, String)],
    /// A 403 means "rate limited, wait and retry" (the NVD API's answer).
    pub forbidden_is_rate_limit: bool,
}

/// What a download gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// `304 Not Modified`: nothing written.
    NotModified,
    /// The body is in the destination file.
    Saved {
        /// Its length.
        bytes: u64,
        /// The server's `ETag`.
        etag: Option<String>,
    },
}

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The server or the network failed (after the retries): one line.
    #[error("{0}")]
    Http(String),
    /// The destination file could not be written.
    #[error("cannot write `{path}`: {reason}")]
    Write {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// The client. `Sync`: several threads may download through one client at once (the OSV
/// records of an increment, `db/update/osv.rs`); each source's byte budget and deadline are
/// shared by all of them.
pub struct Client {
    /// Follows redirects (reqwest strips standard credentials across hosts).
    inner: reqwest::blocking::Client,
    /// Follows redirects only within the request's origin: for requests with credentials.
    same_origin: reqwest::blocking::Client,
    settings: Settings,
    /// Per source (label): when its first request began, and the body bytes it has received
    /// in all (counted as they arrive, so downloads running at once share one cap).
    budgets: Mutex<HashMap<String, (Instant, u64)>>,
}

/// Where a request stands against the stall limit: the last time it made progress, and the
/// body bytes since.
struct Stall {
    mark: Instant,
    since: u64,
}

impl Client {
    /// Builds the client; reads `settings.extra_roots`.
    pub fn new(settings: Settings) -> Result<Client, SetupError> {
        let tls =
            crate::tls::client_config(settings.extra_roots.as_deref()).map_err(|e| match e {
                crate::tls::TlsError::Roots { path, reason } => SetupError::Roots { path, reason },
                crate::tls::TlsError::Config(reason) => SetupError::Client(reason),
            })?;
        let build = |policy: reqwest::redirect::Policy| {
            reqwest::blocking::Client::builder()
                .user_agent(concat!("kevgate/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(settings.timeout)
                // In the blocking client this limits the wait for the response head and
                // each read of the body, not the whole download.
                .timeout(settings.timeout)
                .redirect(policy)
                .use_preconfigured_tls(tls.clone())
                .build()
                .map_err(|e| SetupError::Client(error_chain(&e)))
        };
        let same_origin = reqwest::redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first().map(reqwest::Url::origin);
            if attempt.previous().len() >= 10 {
                attempt.error("too many redirects")
            } else if first.is_some_and(|o| o != attempt.url().origin()) {
                // Answered as the 3xx itself, which `try_once` reports.
                attempt.stop()
            } else {
                attempt.follow()
            }
        });
        Ok(Client {
            inner: build(reqwest::redirect::Policy::limited(10))?,
            same_origin: build(same_origin)?,
            settings,
            budgets: Mutex::new(HashMap::new()),
        })
    }

    /// Downloads `req` into `dest` (created or truncated), retrying transient failures.
    /// `log` gets the progress and one line per retry.
    pub fn download(
        &self,
        req: &Request<'_>,
        dest: &Path,
        log: &mut dyn Write,
    ) -> Result<Fetched, DownloadError> {
        let attempts = self.settings.attempts.max(1);
        let mut attempt = 0;
        let mut stall = Stall {
            mark: Instant::now(),
            since: 0,
        };
        self.budgets()
            .entry(req.label.to_string())
            .or_insert((Instant::now(), 0));
        loop {
            attempt += 1;
            let failure = match self.try_once(req, dest, &mut stall, log) {
                Ok(fetched) => return Ok(fetched),
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Transient {
                    reason,
                    retry_after,
                }) => (reason, retry_after),
            };
            let (reason, retry_after) = failure;
            if attempt >= attempts {
                return Err(DownloadError::Http(format!(
                    "{reason} (after {attempt} attempts)"
                )));
            }
            let asked = backoff(
                attempt,
                retry_after,
                req.forbidden_is_rate_limit && reason.starts_with("HTTP 403"),
            );
            let wait = asked.min(self.settings.max_backoff);
            // A wait (as asked, before the cap) that cannot end inside the stall limit or the
            // deadline fails now: `Retry-After: 100000` means "not today".
            if let Some(limit) = self.limit_passed(req.label, &stall, asked.max(wait)) {
                return Err(DownloadError::Http(format!(
                    "{reason}; not waiting {} s for attempt {}: {limit}",
                    asked.as_secs_f64().ceil() as u64,
                    attempt + 1
                )));
            }
            let _ = writeln!(
                log,
                "{}: {reason}; retrying in {} s (attempt {} of {attempts})",
                req.label,
                wait.as_secs_f64().ceil() as u64,
                attempt + 1
            );
            std::thread::sleep(wait);
        }
    }

    /// Which limit `wait` more would pass: the stall limit or the source's deadline.
    fn limit_passed(&self, label: &str, stall: &Stall, wait: Duration) -> Option<String> {
        if stall.mark.elapsed().saturating_add(wait) >= self.settings.stall {
            return Some(format!(
                "stalled: less than {} KiB in {} s (`KEVGATE_HTTP_STALL_SECS`)",
                PROGRESS_BYTES / 1024,
                self.settings.stall.as_secs()
            ));
        }
        let started = self.budgets().get(label).map(|b| b.0)?;
        (started.elapsed().saturating_add(wait) >= self.settings.source_deadline).then(|| {
            format!(
                "the source's deadline of {} s passed (`KEVGATE_SOURCE_DEADLINE_SECS`)",
                self.settings.source_deadline.as_secs()
            )
        })
    }

    /// The per-source budgets (a panic elsewhere leaves them usable: they are counters).
    fn budgets(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, u64)>> {
        self.budgets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts `n` more body bytes of source `label`; the source's total after them.
    fn spend(&self, label: &str, n: u64) -> u64 {
        let mut budgets = self.budgets();
        let entry = budgets
            .entry(label.to_string())
            .or_insert((Instant::now(), 0));
        entry.1 = entry.1.saturating_add(n);
        entry.1
    }

    /// The client for `req`: redirects stay within the origin when it carries credentials.
    fn client_for(&self, req: &Request<'_>) -> &reqwest::blocking::Client {
        let credentials = req
            .headers
            .iter()
            .any(|(k, _)| !PUBLIC_HEADERS.iter().any(|p| p.eq_ignore_ascii_case(k)));
        if credentials {
            &self.same_origin
        } else {
            &self.inner
        }
    }

    fn try_once(
        &self,
        req: &Request<'_>,
        dest: &Path,
        stall: &mut Stall,
        log: &mut dyn Write,
    ) -> Result<Fetched, Attempt> {
        if let Some(limit) = self.limit_passed(req.label, stall, Duration::ZERO) {
            return Err(Attempt::Fatal(DownloadError::Http(limit)));
        }
        let mut builder = self.client_for(req).get(req.url).query(req.query);
        for (k, v) in req.headers {
            builder = builder.header(*k, v);
        }
        let mut resp = builder.send().map_err(|e| Attempt::Transient {
            // The URL is in the caller's error already.
            reason: error_chain(&e.without_url()),
            retry_after: None,
        })?;
        let code = resp.status().as_u16();
        if code == 304 {
            return Ok(Fetched::NotModified);
        }
        if resp.status().is_redirection() {
            // Only the same-origin client stops at a redirect: it leaves the origin.
            let to = resp
                .headers()
                .get("Location")
                .and_then(|v| v.to_str().ok())
                .and_then(|l| resp.url().join(l).ok())
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_else(|| "elsewhere".into());
            return Err(Attempt::Fatal(DownloadError::Http(format!(
                "HTTP {code} redirect to another origin (`{to}`) not followed: the request \
                 carries credentials"
            ))));
        }
        if !resp.status().is_success() {
            let reason = format!(
                "HTTP {code} {}",
                resp.status().canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_string();
            let header = |k: &str| resp.headers().get(k).and_then(|v| v.to_str().ok());
            let transient = matches!(code, 429 | 502 | 503 | 504)
                || (code == 403 && req.forbidden_is_rate_limit);
            return Err(if transient {
                Attempt::Transient {
                    retry_after: retry_after(header("Retry-After"), jiff::Timestamp::now()),
                    reason,
                }
            } else {
                Attempt::Fatal(DownloadError::Http(reason))
            });
        }
        let etag = resp
            .headers()
            .get("ETag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let total = resp.content_length();
        let used = self.budgets().get(req.label).map_or(0, |b| b.1);
        let cap = self.settings.max_download_bytes;
        let over_cap = |n: u64| {
            Attempt::Fatal(DownloadError::Http(format!(
                "download exceeds {cap} bytes, the cap per source (`KEVGATE_MAX_DOWNLOAD_BYTES`; \
                 {n} bytes would be reached)"
            )))
        };
        if let Some(total) = total
            && used.saturating_add(total) > cap
        {
            return Err(over_cap(used.saturating_add(total)));
        }
        let write_error = |e: std::io::Error| {
            Attempt::Fatal(DownloadError::Write {
                path: dest.display().to_string(),
                reason: e.to_string(),
            })
        };
        let mut file = fs_err::File::create(dest).map_err(write_error)?;
        let mut meter = Meter::new(req.label, total, self.settings.progress);
        let mut buf = vec![0u8; 64 * 1024];
        let mut n: u64 = 0;
        loop {
            let read = match resp.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    meter.abandon(log);
                    let reason = match total {
                        Some(total) => format!(
                            "truncated download: {n} of {total} bytes ({})",
                            error_chain(&e)
                        ),
                        None => format!("download failed after {n} bytes: {}", error_chain(&e)),
                    };
                    return Err(Attempt::Transient {
                        reason,
                        retry_after: None,
                    });
                }
            };
            n += read as u64;
            let spent = self.spend(req.label, read as u64);
            if spent > cap {
                meter.abandon(log);
                return Err(over_cap(spent));
            }
            file.write_all(&buf[..read]).map_err(write_error)?;
            meter.advance(n, log);
            stall.since += read as u64;
            if stall.since >= PROGRESS_BYTES {
                *stall = Stall {
                    mark: Instant::now(),
                    since: 0,
                };
            }
            if let Some(limit) = self.limit_passed(req.label, stall, Duration::ZERO) {
                meter.abandon(log);
                return Err(Attempt::Fatal(DownloadError::Http(format!(
                    "{limit} ({n} bytes received)"
                ))));
            }
        }
        if let Some(total) = total
            && n != total
        {
            meter.abandon(log);
            return Err(Attempt::Transient {
                reason: format!("truncated download: {n} of {total} bytes"),
                retry_after: None,
            });
        }
        file.sync_all().map_err(write_error)?;
        meter.finish(n, log);
        Ok(Fetched::Saved { bytes: n, etag })
    }
}

/// How one try ended, when it did not succeed.
enum Attempt {
    /// Worth another try.
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Not worth another try.
    Fatal(DownloadError),
}

/// The wait before try `attempt + 1`: `Retry-After` if given, else 1, 2, 4, 8 s… (6, 12,
/// 24, 48 s… for a rate-limit answer without `Retry-After`). The caller caps it.
pub fn backoff(attempt: u32, retry_after: Option<Duration>, rate_limited: bool) -> Duration {
    if let Some(d) = retry_after {
        return d;
    }
    let base = if rate_limited { 6 } else { 1 };
    Duration::from_secs(base << attempt.saturating_sub(1).min(6))
}

/// `Retry-After`: seconds, or an HTTP date (a date in the past is 0).
pub fn retry_after(value: Option<&str>, now: jiff::Timestamp) -> Option<Duration> {
    let value = value?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let secs = when.as_second() - now.as_second();
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// Seconds between plain progress lines.
const LINE_EVERY: Duration = Duration::from_secs(10);
/// Least time between redraws of the bar.
const BAR_EVERY: Duration = Duration::from_millis(100);

/// The progress of one download.
struct Meter<'a> {
    label: &'a str,
    total: Option<u64>,
    mode: Progress,
    started: Instant,
    shown: Instant,
    drawn: bool,
}

impl<'a> Meter<'a> {
    fn new(label: &'a str, total: Option<u64>, mode: Progress) -> Meter<'a> {
        let now = Instant::now();
        Meter {
            label,
            total,
            mode,
            started: now,
            shown: now,
            drawn: false,
        }
    }

    fn advance(&mut self, done: u64, log: &mut dyn Write) {
        let every = match self.mode {
            Progress::Bar => BAR_EVERY,
            Progress::Lines => LINE_EVERY,
        };
        if self.shown.elapsed() < every {
            return;
        }
        self.shown = Instant::now();
        let rate = rate(done, self.started.elapsed());
        let _ = match self.mode {
            Progress::Bar => {
                self.drawn = true;
                write!(
                    log,
                    "\r{}\x1b[K",
                    bar_line(self.label, done, self.total, rate)
                )
            }
            Progress::Lines => writeln!(log, "{}", plain_line(self.label, done, self.total, rate)),
        };
        let _ = log.flush();
    }

    /// Ends the bar's line without a summary (the caller logs why).
    fn abandon(&mut self, log: &mut dyn Write) {
        if self.drawn {
            let _ = writeln!(log);
            self.drawn = false;
        }
    }

    fn finish(&mut self, done: u64, log: &mut dyn Write) {
        let elapsed = self.started.elapsed();
        if self.drawn {
            let _ = write!(log, "\r\x1b[K");
        }
        let _ = writeln!(
            log,
            "{}: {done} bytes in {:.1} s ({})",
            self.label,
            elapsed.as_secs_f64(),
            human_rate(rate(done, elapsed))
        );
    }
}

fn rate(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / elapsed.as_secs_f64().max(0.001)
}

const MIB: f64 = 1024.0 * 1024.0;

fn human_rate(bytes_per_sec: f64) -> String {
    format!("{:.1} MiB/s", bytes_per_sec / MIB)
}

/// `osv [#########...........]  12.3 / 45.6 MiB  3.4 MiB/s`; without a total, no bar.
fn bar_line(label: &str, done: u64, total: Option<u64>, rate: f64) -> String {
    const WIDTH: u64 = 24;
    let mib = |b: u64| b as f64 / MIB;
    match total.filter(|t| *t > 0) {
        Some(total) => {
            let filled = (done.min(total) * WIDTH / total) as usize;
            format!(
                "{label} [{}{}] {:.1} / {:.1} MiB  {}",
                "#".repeat(filled),
                ".".repeat(WIDTH as usize - filled),
                mib(done),
                mib(total),
                human_rate(rate)
            )
        }
        None => format!("{label} {:.1} MiB  {}", mib(done), human_rate(rate)),
    }
}

/// `osv: 12.3 of 45.6 MiB (27%), 3.4 MiB/s`.
fn plain_line(label: &str, done: u64, total: Option<u64>, rate: f64) -> String {
    let mib = |b: u64| b as f64 / MIB;
    match total.filter(|t| *t > 0) {
        Some(total) => format!(
            "{label}: {:.1} of {:.1} MiB ({}%), {}",
            mib(done),
            mib(total),
            done.min(total) * 100 / total,
            human_rate(rate)
        ),
        None => format!("{label}: {:.1} MiB, {}", mib(done), human_rate(rate)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now: jiff::Timestamp = "2025-08-26T00:00:00Z".parse().unwrap();
        let cases: &[(Option<&str>, Option<u64>)] = &[
            (Some("3"), Some(3)),
            (Some(" 0 "), Some(0)),
            (Some("Sun, 06 Nov 1994 08:49:37 GMT"), Some(0)), // in the past
            (Some("Tue, 26 Aug 2025 00:00:30 GMT"), Some(30)),
            (Some("soon"), None),
            (None, None),
        ];
        for (value, want) in cases {
            assert_eq!(
                retry_after(*value, now).map(|d| d.as_secs()),
                *want,
                "{value:?}"
            );
        }
    }

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        let secs = |a, r, l| backoff(a, r, l).as_secs();
        assert_eq!(
            (1..=4).map(|a| secs(a, None, false)).collect::<Vec<_>>(),
            [1, 2, 4, 8]
        );
        assert_eq!(
            (1..=4).map(|a| secs(a, None, true)).collect::<Vec<_>>(),
            [6, 12, 24, 48]
        );
        assert_eq!(secs(3, Some(Duration::from_secs(7)), true), 7);
        assert_eq!(secs(40, None, false), 64, "no overflow");
    }

    #[test]
    fn progress_lines() {
        let mib = 1024 * 1024;
        assert_eq!(
            bar_line("osv", 3 * mib, Some(12 * mib), 1.5 * MIB),
            "osv [######..................] 3.0 / 12.0 MiB  1.5 MiB/s"
        );
        assert_eq!(bar_line("nvd", mib, None, 0.0), "nvd 1.0 MiB  0.0 MiB/s");
        assert_eq!(
            plain_line("osv", 3 * mib, Some(12 * mib), 1.5 * MIB),
            "osv: 3.0 of 12.0 MiB (25%), 1.5 MiB/s"
        );
        assert_eq!(
            plain_line("kev", mib / 2, Some(0), 0.0),
            "kev: 0.5 MiB, 0.0 MiB/s"
        );
    }
}
