//! The paged feeds of `db update`: the NVD CVE API 2.0 (incremental by `lastModified`
//! windows, rate-limited) and the MyJVN API (incremental by publication date). Each page is
//! a file in the staging directory; the build reads them all.

use super::{
    Http, JVN_PAGE_SIZE, NVD_MAX_WINDOW_DAYS, NVD_PAGE_SIZE, SourceReport, UpdateError,
    UpdateOptions,
};
use crate::db::cache::{SourceState, cache_error, link_or_copy};
use crate::db::feeds::{self, Doc, DocKind};
use crate::http::Fetched;
use serde::Deserialize;
use std::io::Write;
use std::path::Path;

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
pub(super) fn nvd_date(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

pub(super) fn fetch_nvd(
    opts: &UpdateOptions,
    http: &Http,
    previous: &Path,
    dir: &Path,
    state: &mut SourceState,
    now: jiff::Timestamp,
    log: &mut dyn Write,
) -> Result<SourceReport, UpdateError> {
    let url = opts.nvd_url.as_str();
    let since = resumes_from(state, url, previous);
    let mut report = SourceReport::new("nvd");
    let windows: Vec<(String, Option<(jiff::Timestamp, jiff::Timestamp)>)> = match since {
        Some(since) => {
            // Keep the pages we have; add what changed since.
            keep_pages(previous, dir)?;
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
            let mut page = fetch_page(
                http,
                PageRequest {
                    source_name: "nvd",
                    url,
                    page_url: format!("{url}?startIndex={start}"),
                    query: &query,
                    headers: &headers,
                    path: &dir.join(format!("{prefix}-{start:07}.json")),
                    invalid: "invalid API 2.0 page",
                },
                &mut report,
                log,
            )?;
            let bytes = std::mem::take(&mut page.bytes);
            let err = |reason: String| page.error(reason);
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
pub(super) fn fetch_jvn(
    url: &str,
    http: &Http,
    previous: &Path,
    dir: &Path,
    state: &mut SourceState,
    now: jiff::Timestamp,
    log: &mut dyn Write,
) -> Result<SourceReport, UpdateError> {
    let since = resumes_from(state, url, previous);
    let mut report = SourceReport::new("jvn");
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
            keep_pages(previous, dir)?;
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
        let mut page = fetch_page(
            http,
            PageRequest {
                source_name: "jvn",
                url,
                page_url: format!("{url}?method=getVulnOverviewList&startItem={start}"),
                query: &query,
                headers: &[],
                path: &dir.join(format!("{prefix}-{start:07}.xml")),
                invalid: "invalid page",
            },
            &mut report,
            log,
        )?;
        let bytes = std::mem::take(&mut page.bytes);
        let err = |reason: String| page.error(reason);
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

/// One page to fetch.
struct PageRequest<'a> {
    /// `nvd`, `jvn`.
    source_name: &'static str,
    /// The endpoint.
    url: &'a str,
    /// The page's own URL, for errors (`…?startIndex=2000`).
    page_url: String,
    query: &'a [(&'a str, String)],
    headers: &'a [(&'a str, String)],
    /// Where the page is saved.
    path: &'a Path,
    /// How an unreadable page is called in errors.
    invalid: &'static str,
}

/// A page fetched and read back within the limits.
struct Page {
    source_name: &'static str,
    page_url: String,
    bytes: Vec<u8>,
}

impl Page {
    /// An error about this page, naming its source and URL.
    fn error(&self, reason: String) -> UpdateError {
        UpdateError::Source {
            source_name: self.source_name,
            url: self.page_url.clone(),
            reason,
        }
    }
}

/// Fetches one page of a paged feed (NVD, JVN) into its file, counts it in `report`, and
/// reads it back within the decompression limits: the part both page loops share.
fn fetch_page(
    http: &Http,
    req: PageRequest<'_>,
    report: &mut SourceReport,
    log: &mut dyn Write,
) -> Result<Page, UpdateError> {
    report.bytes += match http.fetch(
        req.source_name,
        req.url,
        req.query,
        req.headers,
        req.path,
        log,
    )? {
        Fetched::Saved { bytes, .. } => bytes,
        Fetched::NotModified => 0,
    };
    report.requests += 1;
    let mut page = Page {
        source_name: req.source_name,
        page_url: req.page_url,
        bytes: Vec::new(),
    };
    let file = fs_err::File::open(req.path).map_err(|e| cache_error(req.path, e))?;
    page.bytes = http
        .limits
        .read(file, &mut 0)
        .map_err(|e| page.error(format!("{}: {e}", req.invalid)))?;
    Ok(page)
}

/// Links (or copies) every page of the previous update into the staging directory: an
/// incremental update adds pages to them.
fn keep_pages(previous: &Path, dir: &Path) -> Result<(), UpdateError> {
    for entry in fs_err::read_dir(previous).map_err(|e| cache_error(previous, e))? {
        let entry = entry.map_err(|e| cache_error(previous, e))?;
        link_or_copy(&entry.path(), &dir.join(entry.file_name()))?;
    }
    Ok(())
}

/// Where an incremental update of a paged feed starts: the end of the last one, when it
/// fetched the same URL and its pages are still there; `None` means a full download.
fn resumes_from(state: &SourceState, url: &str, previous: &Path) -> Option<jiff::Timestamp> {
    state
        .last_mod_end
        .as_deref()
        .filter(|_| state.url.as_deref() == Some(url) && previous.is_dir())
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
}
