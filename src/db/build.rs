//! `kevgate db build`: reads the feeds as published (OSV JSON/JSONL/zip, NVD API 2.0 and
//! 1.1 feeds, KEV JSON, EPSS CSV; plain, `.gz` or `.zip`) into a database file.
//!
//! OWNER: db helper.

use std::path::PathBuf;

/// The inputs of a build: each a file or a directory (read recursively).
#[derive(Debug, Clone, Default)]
pub struct BuildInputs {
    /// CISA KEV catalogs.
    pub kev: Vec<PathBuf>,
    /// NVD CVE records.
    pub nvd: Vec<PathBuf>,
    /// OSV records.
    pub osv: Vec<PathBuf>,
    /// EPSS CSVs.
    pub epss: Vec<PathBuf>,
}

/// Placeholder.
pub fn build(inputs: &BuildInputs, built_at: jiff::Timestamp) -> Result<Vec<u8>, super::DbError> {
    let _ = (inputs, built_at);
    unimplemented!()
}
