//! `kevgate db status` and `kevgate db verify`: what a database holds, how old it is, and
//! whether it is intact.
//!
//! Loading a database checks its CRC-32 ([`VulnDb::from_bytes`]); the status adds the sha256
//! of the whole file and, for a cache directory, when each source was last fetched (from
//! `raw/state.json`, written by `kevgate db update`).

use crate::db::VulnDb;
use crate::db::build::hex;
use crate::db::cache::State;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Write;

/// The status of one database file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// The file.
    pub path: String,
    /// sha256 of the whole file (hex).
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// When it was built (RFC 3339).
    pub built_at: String,
    /// Newest data date among the sources (what `--max-db-age` measures).
    pub data_date: Option<String>,
    /// Days from `data_date` to today.
    pub age_days: Option<i64>,
    /// The URL of the signed prebuilt database this file was downloaded from
    /// (`db update --from`); `None` when built here from the feeds.
    pub prebuilt_url: Option<String>,
    /// Which CVEs NVD, EPSS and JVN records were kept for (`all`, `referenced`).
    pub cve_scope: crate::db::CveScope,
    /// Per source, in database order.
    pub sources: Vec<SourceStatus>,
}

/// One source of a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceStatus {
    /// `kev`, `nvd`, `osv`, `epss` or `jvn`.
    pub name: String,
    /// Records kept.
    pub records: u64,
    /// The source's newest data date (YYYY-MM-DD).
    pub data_date: Option<String>,
    /// Days from `data_date` to today.
    pub age_days: Option<i64>,
    /// When `kevgate db update` last fetched it (RFC 3339): for a prebuilt database, when
    /// the database was downloaded; `None` for a database not in a cache directory or not
    /// the one the cache state describes. For OSV, the oldest fetch among the ecosystems.
    pub fetched_at: Option<String>,
    /// sha256 over the source's input files, from the manifest.
    pub sha256: String,
}

/// Describes a loaded database. `bytes` are the file's bytes, `state` the cache state when
/// the database is in a cache directory.
pub fn status(
    path: &str,
    bytes: &[u8],
    db: &VulnDb,
    state: Option<&State>,
    today: jiff::civil::Date,
) -> Status {
    let age = |d: Option<&str>| -> Option<i64> {
        let date: jiff::civil::Date = d?.parse().ok()?;
        Some(i64::from((today - date).get_days()))
    };
    let sha256 = hex(&Sha256::digest(bytes));
    // The state describes this file only if its database record names this file's sha256
    // (states written before that record existed describe the feed-built database).
    let state = state.filter(|s| s.database.as_ref().is_none_or(|d| d.sha256 == sha256));
    let prebuilt = state
        .and_then(|s| s.database.as_ref())
        .filter(|d| d.prebuilt_url.is_some());
    let fetched = |name: &str| -> Option<String> {
        let state = state?;
        if let Some(d) = prebuilt {
            return Some(d.written_at.clone());
        }
        if name == "osv" {
            return state
                .sources
                .iter()
                .filter(|(k, _)| k.starts_with("osv/"))
                .filter_map(|(_, s)| s.fetched_at.clone())
                .min();
        }
        state.sources.get(name)?.fetched_at.clone()
    };
    let manifest = db.manifest();
    Status {
        path: path.to_string(),
        sha256,
        bytes: bytes.len() as u64,
        built_at: manifest.built_at.clone(),
        data_date: db.data_date().map(|d| d.to_string()),
        age_days: db.age_days(today),
        prebuilt_url: prebuilt.and_then(|d| d.prebuilt_url.clone()),
        cve_scope: manifest.cve_scope,
        sources: manifest
            .sources
            .iter()
            .map(|s| SourceStatus {
                name: s.name.clone(),
                records: s.records,
                data_date: s.data_date.clone(),
                age_days: age(s.data_date.as_deref()),
                fetched_at: fetched(&s.name),
                sha256: s.sha256.clone(),
            })
            .collect(),
    }
}

/// Writes the status as a plain table.
pub fn write_table(status: &Status, out: &mut dyn Write) -> std::io::Result<()> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let age = |v: Option<i64>| v.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
    writeln!(out, "database   {}", status.path)?;
    writeln!(out, "sha256     {}", status.sha256)?;
    writeln!(out, "size       {} bytes", status.bytes)?;
    writeln!(out, "built at   {}", status.built_at)?;
    if let Some(url) = &status.prebuilt_url {
        writeln!(out, "prebuilt   {url}")?;
    }
    writeln!(
        out,
        "data date  {} ({} days old)",
        opt(&status.data_date),
        age(status.age_days)
    )?;
    if status.cve_scope != crate::db::CveScope::All {
        writeln!(
            out,
            "cve scope  {} (NVD, EPSS and JVN only for CVEs an advisory or KEV names)",
            status.cve_scope.as_str()
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<6} {:>9}  {:<10}  {:>8}  {:<25}  sha256",
        "source", "records", "data date", "age days", "fetched at"
    )?;
    for s in &status.sources {
        writeln!(
            out,
            "{:<6} {:>9}  {:<10}  {:>8}  {:<25}  {}",
            s.name,
            s.records,
            opt(&s.data_date),
            age(s.age_days),
            opt(&s.fetched_at),
            s.sha256
        )?;
    }
    Ok(())
}
