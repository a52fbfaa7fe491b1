//! The cache directory `kevgate db update` fills and the scan reads: its layout, its
//! lock, the per-source state, and the atomic replacement of the database. No downloads
//! here (those are `db/update.rs`' alone) and no parsing of feeds (`db/build.rs`).
//!
//! Layout (`$XDG_CACHE_HOME/kevgate` by default):
//!
//! ```text
//! kevgate.db                 the database (replaced atomically: write, fsync, rename)
//! .lock                      held (`File::lock`) for the whole update
//! raw/state.json             per source: fetched at, ETag, NVD `lastModified` high-water
//!                            mark; and which database they made (or the prebuilt one's URL)
//! raw/kev/known_exploited_vulnerabilities.json
//! raw/nvd/full-0000000.json  NVD API 2.0 pages; incremental pages `incr-<window>-<start>.json`
//! raw/osv/<ecosystem>/all.zip
//! raw/osv/<ecosystem>/changes.jsonl   records modified since the export, one per line
//!                            (`update/osv.rs`); the build reads it beside `all.zip`
//! raw/osv/<ecosystem>/.modified_id.csv   the list of the last update (the next diffs it)
//! raw/epss/epss_scores-current.csv.gz
//! raw/jvn/full-0000001.xml   MyJVN getVulnOverviewList pages (with `--jvn`); incremental
//!                            pages `incr-<since>-<startItem>.xml`
//! ```
//!
//! An update stages a complete new raw directory beside the old one (`.raw-new-<pid>`) and
//! [`commit`]s it: the directories are swapped and the database renamed into place only
//! after everything was downloaded, validated and built, so a failure leaves the last good
//! database and raw files byte-identical. What a killed run left behind is removed once the
//! lock is held.

use crate::db::update::UpdateError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The database file inside the cache directory.
pub const DB_FILE: &str = "kevgate.db";
/// The raw downloads inside the cache directory.
pub const RAW_DIR: &str = "raw";
/// The state file inside the raw directory.
pub const STATE_FILE: &str = "state.json";

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
    /// OSV (`osv/<ecosystem>`): the newest time in the `modified_id.csv` last read.
    pub last_mod_end: Option<String>,
}

/// Reads `raw/state.json` under `cache_dir`; missing or unreadable gives the empty state.
pub fn read_state(cache_dir: &Path) -> State {
    fs_err::read(cache_dir.join(RAW_DIR).join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Creates the cache directory and takes its lock (waiting for another update to end), then
/// removes what a killed run left behind. The lock is held while the file is open.
pub fn lock_cache(cache: &Path, log: &mut dyn Write) -> Result<fs_err::File, UpdateError> {
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

/// An [`UpdateError::Cache`] naming `path`.
pub fn cache_error(path: &Path, e: impl std::fmt::Display) -> UpdateError {
    UpdateError::Cache {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Removes staging directories and temporary databases a killed run left.
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

/// Swaps the raw directories and renames the database into place.
pub fn commit(cache: &Path, staging: &Path, bytes: &[u8]) -> Result<(), UpdateError> {
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
pub fn write_temp_db(cache: &Path, bytes: &[u8]) -> Result<PathBuf, UpdateError> {
    let db = cache.join(DB_FILE);
    crate::atomic_file::write_temp(&db, bytes).map_err(|e| {
        cache_error(
            &crate::atomic_file::temp_path(&db).unwrap_or_else(|_| db.clone()),
            e,
        )
    })
}

/// sha256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    crate::db::build::hex(&sha2::Sha256::digest(bytes))
}

/// Hard-links `from` to `to` (a raw file that did not change), else copies it.
pub fn link_or_copy(from: &Path, to: &Path) -> Result<(), UpdateError> {
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs_err::copy(from, to)
        .map(|_| ())
        .map_err(|e| cache_error(to, e))
}

/// Writes `state` to `dir/state.json` ([`crate::atomic_file::write`]).
pub fn write_state(dir: &Path, state: &State) -> Result<(), UpdateError> {
    let json = serde_json::to_vec_pretty(state).expect("the state serialises");
    let path = dir.join(STATE_FILE);
    fs_err::create_dir_all(dir)
        .and_then(|()| crate::atomic_file::write(&path, &json))
        .map_err(|e| cache_error(&path, e))
}
