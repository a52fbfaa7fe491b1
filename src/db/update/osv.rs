//! OSV downloads: per ecosystem, the whole export (`all.zip`) the first time, then only the
//! records modified since (issue 14, item 4: re-downloading 865 MB of `all.zip` a day was
//! most of the daily increment).
//!
//! osv.dev publishes, beside each ecosystem's `all.zip`, `modified_id.csv`: one line per
//! record, `<RFC 3339 modified>,<id>`, newest first (<https://google.github.io/osv.dev/data/>),
//! and each record as `<id>.json`. An update downloads the list, and:
//! - the first time (no cached export or list), or when more than
//!   [`UpdateOptions::osv_max_changed`] records changed, or the records fetched one by one
//!   since the export reach [`MAX_CHANGES_BYTES`]: the whole `all.zip`, as before;
//! - otherwise it keeps the cached `all.zip` and fetches the records whose line is not in
//!   the list it read last time (kept as `osv/<ecosystem>/.modified_id.csv`): new ids and
//!   new `modified` times. A diff, not a time cutoff: thousands of records share one
//!   `modified` (a converter's run), so "after the newest time seen" misses records
//!   published later with that same time and "at or after" fetches them all again. They
//!   are fetched [`UpdateOptions::osv_fetch_concurrency`] at a time ([`fetch_records`]) and
//!   appended in id order, one line each, to `osv/<ecosystem>/changes.jsonl` (the previous
//!   lines kept). The build reads both; per id the newest `modified` wins, so the result is the
//!   database a build of the current `all.zip` gives.
//!
//! The list is untrusted: every line must be a timestamp and an id of the characters OSV ids
//! use (`[A-Za-z0-9._:-]`, starting with a letter or digit, at most [`MAX_ID_LEN`]), checked
//! before the id becomes part of a URL; nothing from it becomes a path. A bad line fails the
//! update naming the line. A record that fails to download or to parse fails the update; the
//! cache is then unchanged (the update's staging is thrown away).

use super::{FileFeed, SourceReport, Stage, UpdateError, UpdateOptions, encode_path_segment};
use crate::db::cache::{cache_error, link_or_copy};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The records fetched one by one since the export, as a JSON-lines file in the raw
/// directory: beside `all.zip`, read by the build.
pub const CHANGES_FILE: &str = "changes.jsonl";
/// `changes.jsonl` at or past this size is replaced by a fresh `all.zip` (it stays well
/// under the per-document cap the build reads it with).
pub const MAX_CHANGES_BYTES: u64 = 64 << 20;
/// The longest id accepted from `modified_id.csv`.
pub const MAX_ID_LEN: usize = 128;
/// Default for [`UpdateOptions::osv_max_changed`].
pub const DEFAULT_MAX_CHANGED: usize = 10_000;
/// Default for [`UpdateOptions::osv_fetch_concurrency`]: records fetched at once, one
/// connection each.
pub const DEFAULT_FETCH_CONCURRENCY: usize = 16;
/// The most records fetched at once (`KEVGATE_OSV_FETCH_CONCURRENCY` is refused above it).
pub const MAX_FETCH_CONCURRENCY: usize = 64;

/// One line of `modified_id.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modified {
    /// The record's `modified`.
    pub time: jiff::Timestamp,
    /// Its id.
    pub id: String,
}

/// Parses a `modified_id.csv` (`name` for messages). Every non-empty line must be
/// `<RFC 3339 timestamp>,<id>`; the first bad one is the error, naming its line.
pub fn parse_modified_ids(bytes: &[u8], name: &str) -> Result<Vec<Modified>, String> {
    let mut out = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let bad = |why: &str| format!("`{name}` line {}: {why}", i + 1);
        let line = std::str::from_utf8(line).map_err(|_| bad("not UTF-8"))?;
        let Some((time, id)) = line.split_once(',') else {
            return Err(bad("expected `<modified>,<id>`"));
        };
        let time: jiff::Timestamp = time
            .parse()
            .map_err(|_| bad(&format!("not an RFC 3339 time: `{}`", shown(time))))?;
        if !valid_id(id) {
            return Err(bad(&format!("not an OSV id: `{}`", shown(id))));
        }
        out.push(Modified {
            time,
            id: id.to_string(),
        });
    }
    Ok(out)
}

/// At most 60 characters of untrusted text, control characters replaced, for a message.
fn shown(s: &str) -> String {
    s.chars()
        .take(60)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// An OSV id safe to put in a URL path segment: `[A-Za-z0-9._:-]`, starting with a letter
/// or digit (so never `.` or `..`), at most [`MAX_ID_LEN`] bytes.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

impl Stage<'_> {
    /// Fetches one ecosystem into `staging/osv/<ecosystem>/`: the list, then either the
    /// changed records or the whole export.
    pub(super) fn fetch_osv(
        &mut self,
        opts: &UpdateOptions,
        ecosystem: &str,
    ) -> Result<SourceReport, UpdateError> {
        let feed = FileFeed::osv(opts, ecosystem);
        let folder = format!(
            "{}/{}",
            opts.osv_url.trim_end_matches('/'),
            encode_path_segment(ecosystem)
        );
        let dir = self.staging.join("osv").join(ecosystem);
        fs_err::create_dir_all(&dir).map_err(|e| cache_error(&dir, e))?;
        let previous = self.raw.join("osv").join(ecosystem);
        let err = |url: &str, reason: String| UpdateError::Source {
            source_name: "osv",
            url: url.to_string(),
            reason,
        };

        // The list. Hidden in the staging directory (the build skips dot files), kept for the
        // next update's diff.
        let list_url = format!("{folder}/modified_id.csv");
        let list_path = dir.join(".modified_id.csv");
        let _ = writeln!(self.log, "osv: downloading `{list_url}`");
        let fetched = self
            .http
            .fetch("osv", &list_url, &[], &[], &list_path, self.log)?;
        let mut report = SourceReport::new("osv");
        report.requests += 1;
        if let crate::http::Fetched::Saved { bytes, .. } = fetched {
            report.bytes += bytes;
        }
        let file = fs_err::File::open(&list_path).map_err(|e| cache_error(&list_path, e))?;
        let bytes = self
            .http
            .limits
            .read(std::io::BufReader::new(file), &mut 0)
            .map_err(|e| err(&list_url, format!("invalid download: {e}")))?;
        let list = parse_modified_ids(&bytes, &format!("osv/{ecosystem}/modified_id.csv"))
            .map_err(|e| err(&list_url, format!("invalid download: {e}")))?;
        drop(bytes);
        let newest = list.iter().map(|m| m.time).max();

        let same_url = self
            .state
            .sources
            .get(&feed.state_key)
            .is_some_and(|s| s.url.as_deref() == Some(feed.url.as_str()));
        let zip = previous.join("all.zip");
        let changes = previous.join(CHANGES_FILE);
        let changes_bytes = fs_err::metadata(&changes).map(|m| m.len()).unwrap_or(0);
        let seen = match same_url && zip.is_file() {
            true => self.previous_list(&previous.join(".modified_id.csv"), ecosystem),
            false => None,
        };
        let increment = seen.and_then(|seen| {
            // Per changed id, the newest time the list gives it.
            let mut changed: std::collections::BTreeMap<&str, jiff::Timestamp> = Default::default();
            for m in list
                .iter()
                .filter(|m| !seen.contains(&(m.time, m.id.as_str().into())))
            {
                let time = changed.entry(m.id.as_str()).or_insert(m.time);
                *time = (*time).max(m.time);
            }
            let fits = changed.len() <= opts.osv_max_changed && changes_bytes < MAX_CHANGES_BYTES;
            if !fits {
                let _ = writeln!(
                    self.log,
                    "osv: {ecosystem}: {} records changed (cap {}), {changes_bytes} bytes \
                     fetched one by one so far: downloading the whole export",
                    changed.len(),
                    opts.osv_max_changed
                );
            }
            fits.then_some(changed)
        });

        match increment {
            Some(changed) => {
                let _ = writeln!(
                    self.log,
                    "osv: {ecosystem}: {} records changed since the last update",
                    changed.len()
                );
                link_or_copy(&zip, &dir.join("all.zip"))?;
                let out_path = dir.join(CHANGES_FILE);
                if changed.is_empty() && changes.is_file() {
                    link_or_copy(&changes, &out_path)?;
                } else if changes.is_file() {
                    // Copied, not linked: it is appended to.
                    fs_err::copy(&changes, &out_path).map_err(|e| cache_error(&out_path, e))?;
                }
                if !changed.is_empty() {
                    let mut out = fs_err::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&out_path)
                        .map_err(|e| cache_error(&out_path, e))?;
                    let changed: Vec<(&str, jiff::Timestamp)> = changed.into_iter().collect();
                    let started = std::time::Instant::now();
                    let fetched = fetch_records(
                        self.http,
                        &Records {
                            folder: &folder,
                            dir: &dir,
                            changed: &changed,
                            concurrency: opts.osv_fetch_concurrency,
                        },
                        (&mut out, &out_path),
                        self.log,
                    )?;
                    report.bytes += fetched.bytes;
                    report.requests += fetched.requests;
                    let _ = writeln!(
                        self.log,
                        "osv: {ecosystem}: {} records, {} bytes in {:.1} s ({} at once)",
                        fetched.requests,
                        fetched.bytes,
                        started.elapsed().as_secs_f64(),
                        fetched.workers
                    );
                }
                let state = self
                    .state
                    .sources
                    .entry(feed.state_key.clone())
                    .or_default();
                state.fetched_at = Some(self.now.to_string());
                state.last_mod_end = newest.map(|t| t.to_string());
            }
            None => {
                if changes.is_file() {
                    // The cached export alone is older than the data: never 304 to it.
                    let state = self.state.sources.entry(feed.state_key.clone());
                    state.or_default().etag = None;
                }
                let r = self.fetch_file_feed(&feed)?;
                report.bytes += r.bytes;
                report.requests += r.requests;
                let state = self
                    .state
                    .sources
                    .entry(feed.state_key.clone())
                    .or_default();
                state.last_mod_end = newest.map(|t| t.to_string());
            }
        }
        Ok(report)
    }
}

/// The changed records of one ecosystem, to fetch.
struct Records<'a> {
    /// `{base}/{ecosystem}`, URL-encoded.
    folder: &'a str,
    /// The ecosystem's staging directory.
    dir: &'a Path,
    /// Each record's id and the `modified` the list gives it, in id order: the order the
    /// records are appended in, and the order that decides which failure is reported.
    changed: &'a [(&'a str, jiff::Timestamp)],
    /// Most requests in flight ([`UpdateOptions::osv_fetch_concurrency`]).
    concurrency: usize,
}

/// What fetching the changed records of one ecosystem took.
struct RecordsFetched {
    /// Body bytes.
    bytes: u64,
    /// Records fetched.
    requests: u32,
    /// Threads that fetched them.
    workers: usize,
}

/// How one record's fetch ended: its index, the bytes downloaded or the error, and the
/// client's log lines.
type Done = (usize, Result<u64, UpdateError>, Vec<u8>);

/// Fetches `records.changed` on up to `records.concurrency` threads, one connection each
/// (osv.dev serves one record per request: with a round trip of tens of milliseconds,
/// 3,000 records one after the other were minutes of the daily update). Each record is
/// downloaded to its own file in a hidden directory of the staging area, named by its
/// index (never by its id), checked there ([`check_record`]), and appended to `out` as one
/// line in id order as soon as every record before it is in: `changes.jsonl` is byte for
/// byte what fetching one after the other writes, whatever the scheduling.
///
/// Workers take records in id order from a shared counter and stop taking new ones after
/// the first failure; every record before a failed one was taken before it and completes,
/// so the error returned is the first failing record in id order, as in a sequential run.
/// Memory stays at a few buffers per thread: bodies go to files and are checked and copied
/// as streams; the per-source byte cap is shared by the threads (`http::Client`).
fn fetch_records(
    http: &super::Http,
    records: &Records<'_>,
    (out, out_path): (&mut fs_err::File, &Path),
    log: &mut dyn Write,
) -> Result<RecordsFetched, UpdateError> {
    let n = records.changed.len();
    let tmp = records.dir.join(".records");
    fs_err::create_dir_all(&tmp).map_err(|e| cache_error(&tmp, e))?;
    let workers = records
        .concurrency
        .clamp(1, MAX_FETCH_CONCURRENCY)
        .min(n.max(1));
    let file_of = |i: usize| tmp.join(format!("{i:06}.json"));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut slots: Vec<Option<Result<u64, UpdateError>>> = (0..n).map(|_| None).collect();
    let mut appended = 0;
    let mut write_error = None;
    let (tx, rx) = std::sync::mpsc::channel::<Done>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, file_of) = (&next, &stop, &file_of);
            scope.spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(id, listed)) = records.changed.get(i) else {
                        break;
                    };
                    let url = format!("{}/{}.json", records.folder, encode_path_segment(id));
                    let mut progress = Vec::new();
                    let result = fetch_record(http, &url, &file_of(i), id, listed, &mut progress);
                    if result.is_err() {
                        stop.store(true, Ordering::SeqCst);
                    }
                    if tx.send((i, result, progress)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, result, progress) in rx {
            // One line per record would be thousands: only retries reach the log.
            for line in String::from_utf8_lossy(&progress).lines() {
                if line.contains("retrying") {
                    let _ = writeln!(log, "{line}");
                }
            }
            slots[i] = Some(result);
            while write_error.is_none()
                && let Some(Some(Ok(_))) = slots.get(appended)
            {
                match append_record(&file_of(appended), out, out_path) {
                    Ok(()) => appended += 1,
                    Err(e) => {
                        stop.store(true, Ordering::SeqCst);
                        write_error = Some(e);
                    }
                }
            }
        }
    });
    let _ = fs_err::remove_dir_all(&tmp);
    if let Some(e) = write_error {
        return Err(e);
    }
    let mut bytes = 0;
    for slot in slots {
        match slot {
            Some(Ok(b)) => bytes += b,
            Some(Err(e)) => return Err(e),
            None => unreachable!("a record is left untaken only after an earlier one failed"),
        }
    }
    Ok(RecordsFetched {
        bytes,
        requests: u32::try_from(n).unwrap_or(u32::MAX),
        workers,
    })
}

/// Downloads the record `id` to `dest` and checks it: at most the per-document cap, and
/// [`check_record`]. Its body size, or the error naming the URL.
fn fetch_record(
    http: &super::Http,
    url: &str,
    dest: &Path,
    id: &str,
    listed: jiff::Timestamp,
    log: &mut dyn Write,
) -> Result<u64, UpdateError> {
    let err = |reason: String| UpdateError::Source {
        source_name: "osv",
        url: url.to_string(),
        reason,
    };
    let bytes = match http.fetch("osv", url, &[], &[], dest, log)? {
        crate::http::Fetched::Saved { bytes, .. } => bytes,
        // Nothing was written: the request carried no `If-None-Match`.
        crate::http::Fetched::NotModified => {
            return Err(err(
                "HTTP 304 Not Modified to a request without an ETag".into()
            ));
        }
    };
    if let Some(why) = http.limits.entry_too_big(bytes) {
        return Err(err(format!("invalid download: {why}")));
    }
    let file = fs_err::File::open(dest).map_err(|e| cache_error(dest, e))?;
    check_record(std::io::BufReader::new(file), id, listed)
        .map_err(|why| err(format!("inconsistent increment: {why}")))?;
    Ok(bytes)
}

/// Appends the record in `path` to `out` as one line and removes the file. One JSON value
/// per line: JSON strings cannot hold a raw line break, so line breaks are whitespace
/// between tokens and become spaces.
fn append_record(path: &Path, out: &mut fs_err::File, out_path: &Path) -> Result<(), UpdateError> {
    let mut file = fs_err::File::open(path).map_err(|e| cache_error(path, e))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(cache_error(path, e)),
        };
        for b in &mut buf[..n] {
            if *b == b'\n' || *b == b'\r' {
                *b = b' ';
            }
        }
        out.write_all(&buf[..n])
            .map_err(|e| cache_error(out_path, e))?;
    }
    out.write_all(b"\n").map_err(|e| cache_error(out_path, e))?;
    let _ = fs_err::remove_file(path);
    Ok(())
}

/// Checks that a record fetched for `id` is that record, at least as new as the list said:
/// a bucket caught mid-update (a stale copy) or a forged answer fails the increment instead
/// of storing an older record than the list promised. Reads only `id` and `modified`, as a
/// stream (the other fields are skipped, not kept); the build parses the rest.
fn check_record(record: impl Read, id: &str, listed: jiff::Timestamp) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    struct Head {
        id: String,
        modified: String,
    }
    let head: Head = serde_json::from_reader(record)
        .map_err(|e| format!("record `{id}` has no string `id` and `modified`: {e}"))?;
    if head.id != id {
        return Err(format!(
            "asked for `{id}`, got record `{}`",
            shown(&head.id)
        ));
    }
    let modified: jiff::Timestamp = head.modified.parse().map_err(|_| {
        format!(
            "record `{id}`: `modified` is not an RFC 3339 time: `{}`",
            shown(&head.modified)
        )
    })?;
    if modified < listed {
        return Err(format!(
            "record `{id}` was modified {modified}, before the {listed} `modified_id.csv` lists \
             (a stale copy); hint: try again later"
        ));
    }
    Ok(())
}

impl Stage<'_> {
    /// The lines of the list the last update kept (`None` when there is none, or it does
    /// not read: then the whole export is downloaded).
    fn previous_list(
        &mut self,
        path: &std::path::Path,
        ecosystem: &str,
    ) -> Option<std::collections::HashSet<(jiff::Timestamp, Box<str>)>> {
        let file = fs_err::File::open(path).ok()?;
        let bytes = self
            .http
            .limits
            .read(std::io::BufReader::new(file), &mut 0)
            .ok()?;
        match parse_modified_ids(&bytes, &format!("osv/{ecosystem}/.modified_id.csv")) {
            Ok(list) => Some(list.into_iter().map(|m| (m.time, m.id.into())).collect()),
            Err(e) => {
                let _ = writeln!(self.log, "osv: the cached list is unreadable ({e})");
                None
            }
        }
    }
}

/// Where a build error about `path` (`osv/<ecosystem>/...`) came from: the export's URL, or
/// the ecosystem's folder for a record fetched alone.
pub(super) fn url_of(opts: &UpdateOptions, path: &str) -> Option<String> {
    let rest = path.strip_prefix("osv/")?;
    let (ecosystem, file) = rest.split_once('/')?;
    let folder = format!(
        "{}/{}",
        opts.osv_url.trim_end_matches('/'),
        encode_path_segment(ecosystem)
    );
    Some(match file.starts_with("all.zip") {
        true => format!("{folder}/all.zip"),
        false => format!("{folder}/"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as osv.dev writes them parse; each kind of bad line is an error naming it.
    #[test]
    fn modified_id_lines() {
        let good = b"2025-08-26T10:00:00Z,GHSA-jpcq-cgw6-v4j6\r\n2025-08-25T09:00:00.123456Z,RHSA-2023:1234\n\n";
        let list = parse_modified_ids(good, "m.csv").expect("parses");
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].id, "RHSA-2023:1234");
        let cases: &[(&[u8], &str)] = &[
            (b"2025-08-26T10:00:00Z", "line 1: expected"),
            (b"yesterday,GHSA-1", "line 1: not an RFC 3339 time"),
            (b"2025-08-26T10:00:00Z,../../etc/passwd", "not an OSV id"),
            (b"2025-08-26T10:00:00Z,a/b", "not an OSV id"),
            (b"2025-08-26T10:00:00Z,..", "not an OSV id"),
            (b"2025-08-26T10:00:00Z,", "not an OSV id"),
            (b"2025-08-26T10:00:00Z,a%2e", "not an OSV id"),
            (b"2025-08-26T10:00:00Z,GHSA-1 ", "not an OSV id"),
            (b"x\n2025-08-26T10:00:00Z,\xff", "line 1:"),
            (
                b"2025-08-26T10:00:00Z,A\n2025-08-26T10:00:00Z,\xff",
                "line 2: not UTF-8",
            ),
        ];
        for (input, want) in cases {
            let e = parse_modified_ids(input, "m.csv").expect_err("bad line");
            assert!(e.starts_with("`m.csv` line "), "{e}");
            assert!(e.contains(want), "{e} (want {want})");
        }
        assert!(!valid_id(&"A".repeat(MAX_ID_LEN + 1)));
        assert!(valid_id(&"A".repeat(MAX_ID_LEN)));
    }
}
