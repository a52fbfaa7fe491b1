//! The vulnerability database: OSV advisories indexed by package, NVD CVSS, CISA KEV and
//! EPSS keyed by CVE, and a manifest saying where each came from.
//!
//! OWNER: db helper (format, load, build). Skeleton: the model types and `VulnDb`'s query
//! methods are the contract matching/enrich/report use.

pub mod build;
pub mod model;

pub use model::*;

use crate::purl::Ecosystem;

/// Why the database cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Placeholder until the db helper fills this in.
    #[error("{0}")]
    Invalid(String),
    /// Placeholder.
    #[error("data is {age_days} days old, older than the maximum of {max_days}")]
    Stale {
        /// Age.
        age_days: i64,
        /// Max.
        max_days: i64,
    },
}

/// A loaded database. Cheap to load: records are decoded on demand.
#[derive(Debug)]
pub struct VulnDb {
    manifest: Manifest,
}

impl VulnDb {
    /// Loads a database from its bytes (as read from a file, or the bundled snapshot).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<VulnDb, DbError> {
        let _ = bytes;
        unimplemented!("db helper")
    }

    /// Where the data came from.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Every advisory with an `affected` entry for `name` in `ecosystem` (any release), `name`
    /// as [`Ecosystem::normalize_name`] folds it. Each advisory keeps only the affected
    /// entries for that package. Sorted by id.
    pub fn advisories(&self, ecosystem: Ecosystem, name: &str) -> Result<Vec<Advisory>, DbError> {
        let _ = (ecosystem, name);
        unimplemented!("db helper")
    }

    /// NVD's record for a CVE.
    pub fn nvd(&self, cve: &str) -> Option<NvdRecord> {
        let _ = cve;
        unimplemented!("db helper")
    }

    /// The KEV catalog entry for a CVE.
    pub fn kev(&self, cve: &str) -> Option<KevEntry> {
        let _ = cve;
        unimplemented!("db helper")
    }

    /// The EPSS score of a CVE.
    pub fn epss(&self, cve: &str) -> Option<EpssScore> {
        let _ = cve;
        unimplemented!("db helper")
    }
}

impl VulnDb {
    /// Placeholder.
    pub fn age_days(&self, today: jiff::civil::Date) -> Option<i64> {
        let _ = today;
        None
    }
    /// Placeholder.
    pub fn data_date(&self) -> Option<String> {
        None
    }
}
