//! Version comparison per ecosystem, and OSV range semantics.
//!
//! OWNER: version helper. Skeleton: signatures are fixed (db, matching and purl use them).

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// How an ecosystem orders its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionScheme {
    /// SemVer 2.0 (npm, crates.io, Pub; Packagist/NuGet are close but have their own rules).
    Semver,
    /// Go modules: SemVer with a `v` prefix, pseudo-versions, `+incompatible`.
    Go,
    /// PEP 440 (PyPI).
    Pep440,
    /// Maven's ComparableVersion.
    Maven,
    /// RubyGems' Gem::Version.
    RubyGems,
    /// NuGet (SemVer 2 with four parts, case-insensitive pre-release).
    NuGet,
    /// Composer (Packagist).
    Composer,
    /// Debian/Ubuntu dpkg: epoch, upstream, revision, `~`.
    Dpkg,
    /// RPM (Red Hat, AlmaLinux, Rocky): epoch, version, release (rpmvercmp).
    Rpm,
    /// Alpine apk.
    Apk,
}

/// Why a version could not be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The string is not a version in this scheme.
    #[error("`{version}` is not a valid {scheme:?} version")]
    Invalid {
        /// The scheme it was parsed as.
        scheme: VersionScheme,
        /// The offending text (truncated for display by the caller).
        version: String,
    },
}

/// A parsed version of one scheme. Comparing versions of different schemes is a logic error
/// and orders by scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    scheme: VersionScheme,
    raw: String,
}

impl Version {
    /// Parses `text` as a version of `scheme`.
    pub fn parse(scheme: VersionScheme, text: &str) -> Result<Version, VersionError> {
        let _ = (scheme, text);
        unimplemented!("version helper")
    }

    /// The text it was parsed from.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let _ = other;
        unimplemented!("version helper")
    }
}

/// Compares two version strings of one scheme.
pub fn compare(scheme: VersionScheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(Version::parse(scheme, a)?.cmp(&Version::parse(scheme, b)?))
}

/// The type of an OSV range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeKind {
    /// `SEMVER`.
    Semver,
    /// `ECOSYSTEM`: the ecosystem's own ordering.
    Ecosystem,
    /// `GIT`: commit hashes; never matched against package versions.
    Git,
    /// Anything else a future OSV schema adds.
    #[serde(other)]
    Other,
}

/// One OSV range event. `introduced` inclusive, `fixed` exclusive, `last_affected` inclusive,
/// `limit` exclusive upper bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// First affected version; `"0"` means all earlier versions.
    Introduced(String),
    /// First fixed version (exclusive bound).
    Fixed(String),
    /// Last affected version (inclusive bound).
    LastAffected(String),
    /// Upper limit of the range (exclusive).
    Limit(String),
}

/// An OSV range: a kind and its events, in the record's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// The range type.
    pub kind: RangeKind,
    /// The events of the range.
    pub events: Vec<Event>,
}

/// Whether `version` is affected by OSV `ranges` and `versions` (either suffices).
///
/// `GIT` ranges are skipped. An unparseable version (the component's or an event's) is an
/// error, never a guess: the caller turns it into an "unverified" note.
pub fn affects(
    scheme: VersionScheme,
    version: &str,
    ranges: &[Range],
    versions: &[String],
) -> Result<bool, VersionError> {
    let _ = (scheme, version, ranges, versions);
    unimplemented!("version helper")
}
