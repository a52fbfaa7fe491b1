//! The vulnerability database: OSV advisories indexed by package, NVD CVSS, CISA KEV, EPSS
//! and JVN iPedia keyed by CVE, and a manifest saying where each came from.
//!
//! `db/build.rs` reads the feeds into a file (`db/feeds/` has one parser per feed), and
//! `db/format.rs` defines the file: a header, the manifest and four sorted key tables whose
//! records are decoded on demand, so [`VulnDb::from_bytes`] costs a CRC over the bytes and a
//! manifest parse, not a deserialisation of tens of thousands of records.
//!
//! The parts, kept apart (issue 12, item 6): loading and querying a database is this file;
//! building one from feed files is `db/build.rs` with a parser per feed in `db/feeds/`; the
//! cache directory (layout, lock, state, atomic replacement) is `db/cache.rs`; downloading is
//! `db/update.rs` and its children alone (`update/pages.rs`: NVD and JVN pages;
//! `update/prebuilt.rs`: the signed prebuilt database of `db update --from`).
//!
//! Age: [`VulnDb::age_days`] is measured from the *newest* data date among the sources
//! (KEV `dateReleased`, EPSS `score_date`, newest NVD `lastModified` / OSV `modified`), or
//! from `built_at` when no source has a date. Rebuilding old feeds must not make a database
//! look fresh, so `built_at` alone is not used; the newest rather than the oldest source date
//! is used because the sources move at different paces (an NVD 1.1 yearly feed is final, a
//! KEV catalog changes weekly) and the oldest would make every database look stale.

pub mod build;
pub mod cache;
pub mod codec;
pub mod feeds;
pub mod format;
pub mod model;
pub mod pack;
pub mod status;
pub mod update;

pub use build::{BuildInputs, BuildStats, build, build_with_stats};
pub use model::*;

use crate::purl::Ecosystem;
use format::Table;

/// Why the database cannot be built or used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Reading an input or the database file failed (the message names the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A feed file could not be parsed.
    #[error("cannot read `{path}`: {reason}")]
    Parse {
        /// The file (and the member inside an archive, or the line).
        path: String,
        /// What is wrong, in one line.
        reason: String,
    },
    /// The bytes are not a usable kevgate database.
    #[error("invalid database: {0}")]
    Format(String),
    /// The database was written by another format version.
    #[error(
        "database format version {found} is not supported (expected {expected}); hint: rebuild it with `kevgate db build`"
    )]
    Version {
        /// The version in the file.
        found: u32,
        /// The version this kevgate reads.
        expected: u32,
    },
    /// A part of the file does not match its recorded checksum (corrupted file).
    #[error(
        "database checksum mismatch in {part} (recorded `{expected}`, computed `{actual}`): the file is corrupted"
    )]
    Checksum {
        /// The part checked: the header and manifest (format 3), the body (formats 1-2).
        part: &'static str,
        /// CRC-32 recorded in the file (hex).
        expected: String,
        /// CRC-32 of the bytes as read (hex).
        actual: String,
    },
    /// The database is older than the caller allows.
    #[error(
        "database is {age_days} days old (max {max_days}); hint: update it with `kevgate db update`"
    )]
    Stale {
        /// Days since the newest data date (see [`VulnDb::age_days`]).
        age_days: i64,
        /// The allowed maximum.
        max_days: i64,
    },
    /// A record inside a database that passed the checksum could not be decoded. Never
    /// read as "no record": a KEV entry or an advisory that cannot be read would turn a
    /// failing finding into a pass (issue 10, item 3).
    #[error("database record `{key}` ({table}) cannot be decoded: {reason}")]
    Record {
        /// The table: `advisories`, `nvd`, `kev` or `epss`.
        table: &'static str,
        /// The key queried.
        key: String,
        /// What failed.
        reason: String,
    },
}

/// Record bytes read ahead, by table name and key (`None`: no such record).
/// Record values read ahead, per table name and key (`None`: no such record).
type Prefetched = std::collections::HashMap<
    &'static str,
    std::collections::HashMap<String, Option<format::Value>>,
>;

/// A loaded database. Cheap to load: the header, the manifest and the tables' indexes are
/// read; records are read and decoded on demand.
pub struct VulnDb {
    manifest: Manifest,
    /// The file's format version (advisory records are decoded by it).
    version: u32,
    /// The file's bytes, in memory or read part by part from the open file.
    source: format::Source<'static>,
    /// Where the manifest JSON is in `bytes`.
    manifest_range: std::ops::Range<usize>,
    advisories: Table,
    nvd: Table,
    kev: Table,
    epss: Table,
    /// Present when the database was built with JVN (a fifth table).
    jvn: Option<Table>,
    /// Record bytes read ahead by [`VulnDb::prefetch_cves`], per table and key.
    prefetched: std::sync::RwLock<Prefetched>,
}

/// The tables of a database file, in file order: advisories, nvd, kev, epss, then the
/// optional jvn table.
const TABLES: usize = 4;

impl VulnDb {
    /// sha256 (hex) of the database file's bytes as loaded (the gate attestation records
    /// it). Computed on demand: a scan without `--attestation` does not pay for it.
    pub fn sha256_hex(&self) -> Result<String, DbError> {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        self.source
            .for_each_chunk(|chunk| hasher.update(chunk))
            .map_err(|e| DbError::Format(e.0))?;
        Ok(build::hex(&hasher.finalize()))
    }

    /// Loads a database from its bytes (as read from a file, or built).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<VulnDb, DbError> {
        Self::from_source(format::Source::Memory(std::borrow::Cow::Owned(bytes)))
    }

    /// Loads the database bundled in the binary (no copy).
    pub fn from_static(bytes: &'static [u8]) -> Result<VulnDb, DbError> {
        Self::from_source(format::Source::Memory(std::borrow::Cow::Borrowed(bytes)))
    }

    /// Opens a database file: reads its header, manifest and indexes (formats 3-4); the
    /// scan's queries read the blocks they need. A file of format 1 or 2 is read whole (its one
    /// checksum covers the whole body).
    pub fn open(path: &std::path::Path) -> Result<VulnDb, DbError> {
        let mut source = format::Source::open(path)?;
        if format::peek_version(&source).is_some_and(format::checked_whole) {
            source = source.into_memory().map_err(|e| DbError::Format(e.0))?;
        }
        Self::from_source(source)
    }

    /// Verifies the magic, the format version, the length and the checksum of the header and
    /// manifest (formats 1-2: of the whole body), parses the manifest and reads the tables'
    /// indexes, each checked against its checksum (format 3); records are read and decoded
    /// by the queries, each block checked against its checksum as it is read.
    fn from_source(source: format::Source<'static>) -> Result<VulnDb, DbError> {
        let header = format::read_header(&source)?;
        if header.tables != TABLES && header.tables != TABLES + 1 {
            return Err(DbError::Format(format!(
                "expected {TABLES} or {} tables, found {}",
                TABLES + 1,
                header.tables
            )));
        }
        let fmt = |e: format::FormatError| DbError::Format(e.0);
        let manifest_bytes = source
            .read(header.manifest.start as u64, header.manifest.len())
            .map_err(fmt)?;
        let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
            .map_err(|e| DbError::Format(format!("manifest: {e}")))?;
        let version = header.version;
        let table = |name: &str, at| {
            Table::read(&source, at, version)
                .map_err(|e| DbError::Format(format!("table `{name}`: {}", e.0)))
        };
        let (advisories, at) = table("advisories", header.manifest.end as u64)?;
        let (nvd, at) = table("nvd", at)?;
        let (kev, at) = table("kev", at)?;
        let (epss, at) = table("epss", at)?;
        let (jvn, at) = if header.tables > TABLES {
            let (t, at) = table("jvn", at)?;
            (Some(t), at)
        } else {
            (None, at)
        };
        if at != source.len() {
            return Err(DbError::Format(format!(
                "{} unexpected bytes after the last table",
                source.len() - at
            )));
        }
        Ok(VulnDb {
            manifest,
            version,
            source,
            manifest_range: header.manifest,
            advisories,
            nvd,
            kev,
            epss,
            jvn,
            prefetched: Default::default(),
        })
    }

    /// Where the data came from.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Every advisory with an `affected` entry for `name` in `ecosystem` (any release), `name`
    /// as [`Ecosystem::normalize_name`] folds it. Each advisory keeps only the affected
    /// entries for that package. Sorted by id.
    pub fn advisories(&self, ecosystem: Ecosystem, name: &str) -> Result<Vec<Advisory>, DbError> {
        self.decode_advisories(ecosystem, name, |bytes| codec::decode(bytes, self.version))
    }

    /// The advisories for `name` in `ecosystem` that a query needs, decoding no more (see
    /// [`codec::decode_selected`]): `keep` picks the `affected` entries by ecosystem (e.g. the
    /// component's release), `wanted` sees an advisory's kept entries and says whether the
    /// advisory is needed. Also returns how many advisories the package has in all.
    pub fn advisories_selected(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        keep: impl FnMut(&str) -> bool,
        wanted: impl FnMut(&[Affected]) -> bool,
    ) -> Result<codec::Selected, DbError> {
        self.decode_advisories(ecosystem, name, |bytes| {
            codec::decode_selected(bytes, self.version, keep, wanted)
        })
    }

    /// Looks up `name`'s advisory record and decodes it with `decode`; a package without one
    /// gives `T::default()`, a record that cannot be read or decoded a [`DbError::Record`]
    /// naming its key.
    fn decode_advisories<T: Default>(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        decode: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Result<T, DbError> {
        let key = package_key(ecosystem, name);
        let record = |reason: String| DbError::Record {
            table: "advisories",
            key: key.clone(),
            reason,
        };
        match self
            .advisories
            .get(&self.source, key.as_bytes())
            .map_err(|e| record(e.0))?
        {
            None => Ok(T::default()),
            Some(bytes) => decode(&bytes).map_err(record),
        }
    }

    /// Reads the NVD, KEV, EPSS and JVN records of `cves` ahead, in key order, so that the
    /// queries that follow (enrichment, in finding order) inflate each block once instead of
    /// once per CVE: the records of one block are neighbours only in key order (issue 14: a
    /// Debian-heavy scan has ~1,300 findings). Kept until the database is dropped; a record
    /// is still decoded (and a bad one is still an error) when it is queried.
    pub fn prefetch_cves<'a>(&self, cves: impl IntoIterator<Item = &'a str>) {
        let mut keys: Vec<String> = cves.into_iter().map(cve_key).collect();
        keys.sort_unstable();
        keys.dedup();
        // Every table keyed by CVE (all but the advisories), each table's keys in two runs:
        // read on worker threads, each run in key order.
        let half = keys.len().div_ceil(2).max(1);
        let runs: Vec<(&'static str, &Table, &[String])> = self
            .tables()
            .into_iter()
            .skip(1)
            .filter_map(|(name, table)| table.map(|t| (name, t)))
            .flat_map(|(name, table)| keys.chunks(half).map(move |run| (name, table, run)))
            .collect();
        let read = crate::parallel::map_batches(&runs, 1, |batch| {
            batch
                .iter()
                .map(|&(name, table, run)| {
                    let values: Vec<(&String, Option<format::Value>)> = run
                        .iter()
                        // A read error is left for the query to report, naming the record.
                        .filter_map(|key| {
                            table
                                .get(&self.source, key.as_bytes())
                                .ok()
                                .map(|value| (key, value))
                        })
                        .collect();
                    (name, values)
                })
                .collect::<Vec<_>>()
        });
        let mut cache = self
            .prefetched
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (name, values) in read.into_iter().flatten() {
            let into = cache.entry(name).or_default();
            for (key, value) in values {
                into.insert(key.clone(), value);
            }
        }
    }

    /// The value of `key` in `table`: read ahead, or from the file.
    fn value(
        &self,
        table: &Table,
        name: &'static str,
        key: &str,
    ) -> Result<Option<format::Value>, format::FormatError> {
        // Read-locked: enrichment's threads read ahead-read values at once.
        let cached = self
            .prefetched
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .and_then(|values| values.get(key))
            .cloned();
        match cached {
            Some(value) => Ok(value),
            None => table.get(&self.source, key.as_bytes()),
        }
    }

    /// NVD's record for a CVE; an error when the record is there but cannot be decoded.
    pub fn nvd(&self, cve: &str) -> Result<Option<NvdRecord>, DbError> {
        self.cve_json(&self.nvd, "nvd", cve)
    }

    /// The KEV catalog entry for a CVE; an error when the entry is there but cannot be
    /// decoded.
    pub fn kev(&self, cve: &str) -> Result<Option<KevEntry>, DbError> {
        self.cve_json(&self.kev, "kev", cve)
    }

    /// The EPSS score of a CVE; an error when the score is there but cannot be decoded.
    pub fn epss(&self, cve: &str) -> Result<Option<EpssScore>, DbError> {
        let key = cve_key(cve);
        let record = |reason: String| DbError::Record {
            table: "epss",
            key: key.clone(),
            reason,
        };
        match self
            .value(&self.epss, "epss", &key)
            .map_err(|e| record(e.0))?
        {
            None => Ok(None),
            Some(v) => decode_epss(&v).map(Some).map_err(record),
        }
    }

    /// Decodes every record of every table, and checks that each table's keys are sorted
    /// and unique (queries binary-search them): what `kevgate db verify` promises beyond
    /// the CRC, which a writer that re-checksums a bad body passes. The first problem is
    /// the error, naming the record.
    pub fn verify(&self) -> Result<DbCounts, DbError> {
        for (name, table) in self.tables() {
            let Some(table) = table else { continue };
            let mut previous: Option<Vec<u8>> = None;
            for (i, entry) in table.iter(&self.source).enumerate() {
                let (key, value) = entry.map_err(|e| DbError::Record {
                    table: name,
                    key: format!("#{i}"),
                    reason: e.0,
                })?;
                let key_text = String::from_utf8_lossy(&key);
                let record = |reason: String| DbError::Record {
                    table: name,
                    key: crate::text::one_line(&key_text, 120).into_owned(),
                    reason,
                };
                if previous.as_ref().is_some_and(|p| *p >= key) {
                    return Err(record("keys out of order".into()));
                }
                match name {
                    "advisories" => codec::decode(&value, self.version).map(drop),
                    "nvd" => serde_json::from_slice::<NvdRecord>(&value)
                        .map(drop)
                        .map_err(|e| e.to_string()),
                    "kev" => serde_json::from_slice::<KevEntry>(&value)
                        .map(drop)
                        .map_err(|e| e.to_string()),
                    "jvn" => serde_json::from_slice::<Vec<JvnEntry>>(&value)
                        .map(drop)
                        .map_err(|e| e.to_string()),
                    _ => decode_epss(&value).map(drop),
                }
                .map_err(record)?;
                previous = Some(key);
            }
        }
        Ok(self.counts())
    }

    /// The tables in file order, by name (`None`: the file has no JVN table).
    fn tables(&self) -> [(&'static str, Option<&Table>); 5] {
        [
            ("advisories", Some(&self.advisories)),
            ("nvd", Some(&self.nvd)),
            ("kev", Some(&self.kev)),
            ("epss", Some(&self.epss)),
            ("jvn", self.jvn.as_ref()),
        ]
    }

    /// Every key and value of the table `name` (`advisories`, `nvd`, `kev`, `epss`, `jvn`) in
    /// key order, values decompressed but not decoded (recoding; tests that rewrite a
    /// record). Empty for an absent JVN table; an unknown name is an error.
    pub fn entries(&self, name: &str) -> Result<Vec<(String, Vec<u8>)>, DbError> {
        let Some((name, table)) = self.tables().into_iter().find(|(n, _)| *n == name) else {
            return Err(DbError::Format(format!("no table `{name}`")));
        };
        let Some(table) = table else {
            return Ok(Vec::new());
        };
        let mut entries = Vec::with_capacity(table.len());
        for (i, entry) in table.iter(&self.source).enumerate() {
            let at = |reason: String| DbError::Record {
                table: name,
                key: format!("#{i}"),
                reason,
            };
            let (key, value) = entry.map_err(|e| at(e.0))?;
            let key = String::from_utf8(key).map_err(|_| at("key is not UTF-8".into()))?;
            entries.push((key, value.to_vec()));
        }
        Ok(entries)
    }

    /// The same database with every table's blocks stored in `codec` (`None`: as `db build`
    /// writes them: compressed, EPSS raw), in the file's own format version. Keys, values and
    /// the manifest keep their bytes, so recoding a built database to raw and back gives the
    /// built file again.
    pub fn recode(&self, codec: Option<format::Codec>) -> Result<Vec<u8>, DbError> {
        let fmt = |e: format::FormatError| DbError::Format(e.0);
        let mut out = Vec::new();
        for (name, table) in self.tables() {
            if table.is_none() {
                continue;
            }
            let built = match name {
                "epss" => format::Codec::Raw,
                _ => format::Codec::compressed(self.version),
            };
            let entries = self.entries(name)?;
            out.push(
                format::write_table_as(self.version, &entries, codec.unwrap_or(built))
                    .map_err(fmt)?,
            );
        }
        let manifest = self
            .source
            .read(self.manifest_range.start as u64, self.manifest_range.len())
            .map_err(fmt)?;
        format::write_file_as(self.version, &manifest, &out).map_err(fmt)
    }

    /// The JVN iPedia entries naming a CVE, sorted by JVNDB id (empty without a JVN table).
    /// An error when an entry is there but cannot be decoded.
    pub fn jvn(&self, cve: &str) -> Result<Vec<JvnEntry>, DbError> {
        match &self.jvn {
            Some(table) => Ok(self.cve_json(table, "jvn", cve)?.unwrap_or_default()),
            None => Ok(Vec::new()),
        }
    }

    /// Number of package keys, NVD, KEV, EPSS and JVN records (for `kevgate db info`).
    pub fn counts(&self) -> DbCounts {
        DbCounts {
            packages: self.advisories.len(),
            nvd: self.nvd.len(),
            kev: self.kev.len(),
            epss: self.epss.len(),
            jvn: self.jvn.as_ref().map_or(0, Table::len),
        }
    }

    /// The newest data date among the sources (see the module docs), else the `built_at`
    /// date; `None` when neither parses.
    pub fn data_date(&self) -> Option<jiff::civil::Date> {
        self.manifest
            .sources
            .iter()
            .filter_map(|s| s.data_date.as_deref().and_then(parse_date))
            .max()
            .or_else(|| parse_date(&self.manifest.built_at))
    }

    /// Days from [`VulnDb::data_date`] to `today` (negative if the data is from the future).
    pub fn age_days(&self, today: jiff::civil::Date) -> Option<i64> {
        let date = self.data_date()?;
        let span = date.until((jiff::Unit::Day, today)).ok()?;
        Some(i64::from(span.get_days()))
    }

    /// `Err(DbError::Stale)` when [`VulnDb::age_days`] exceeds `max_days`. A database with no
    /// date at all is treated as stale (age reported as `i64::MAX`).
    pub fn check_age(&self, today: jiff::civil::Date, max_days: i64) -> Result<(), DbError> {
        let age_days = self.age_days(today).unwrap_or(i64::MAX);
        if age_days > max_days {
            return Err(DbError::Stale { age_days, max_days });
        }
        Ok(())
    }

    fn cve_json<T: serde::de::DeserializeOwned>(
        &self,
        table: &Table,
        name: &'static str,
        cve: &str,
    ) -> Result<Option<T>, DbError> {
        let key = cve_key(cve);
        let record = |reason: String| DbError::Record {
            table: name,
            key: key.clone(),
            reason,
        };
        match self.value(table, name, &key).map_err(|e| record(e.0))? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| record(e.to_string())),
        }
    }
}

impl std::fmt::Debug for VulnDb {
    /// The manifest and counts, not the megabytes of the file.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VulnDb")
            .field("manifest", &self.manifest)
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

/// Counts of what a database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbCounts {
    /// Distinct (ecosystem, package) keys with advisories.
    pub packages: usize,
    /// NVD records.
    pub nvd: usize,
    /// KEV entries.
    pub kev: usize,
    /// EPSS scores.
    pub epss: usize,
    /// CVEs with JVN entries.
    pub jvn: usize,
}

/// The key an advisory list is stored under: `"<OSV ecosystem>/<normalised name>"`.
pub(crate) fn package_key(ecosystem: Ecosystem, name: &str) -> String {
    format!(
        "{}/{}",
        ecosystem.osv_name(),
        ecosystem.normalize_name(name)
    )
}

fn cve_key(cve: &str) -> String {
    cve.trim().to_ascii_uppercase()
}

pub(crate) fn encode_epss(s: &EpssScore) -> Vec<u8> {
    let mut v = Vec::with_capacity(16);
    v.extend_from_slice(&s.score.to_le_bytes());
    v.extend_from_slice(&s.percentile.to_le_bytes());
    v
}

fn decode_epss(v: &[u8]) -> Result<EpssScore, String> {
    let bytes: [u8; 16] = v
        .try_into()
        .map_err(|_| format!("{} bytes, want 16", v.len()))?;
    let half = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        f64::from_le_bytes(b)
    };
    let (score, percentile) = (half(0), half(8));
    if !(0.0..=1.0).contains(&score) || !(0.0..=1.0).contains(&percentile) {
        return Err(format!(
            "score {score} or percentile {percentile} outside 0-1"
        ));
    }
    Ok(EpssScore { score, percentile })
}

/// `YYYY-MM-DD` at the start of a date or timestamp.
pub(crate) fn parse_date(s: &str) -> Option<jiff::civil::Date> {
    s.get(..10)?.parse().ok()
}

#[cfg(test)]
mod tests;
