//! Version comparison per ecosystem, and OSV range semantics.
//!
//! Each [`VersionScheme`] has its own parser and total order in a submodule, re-implemented
//! from the reference implementation (dpkg's `verrevcmp`, `rpmvercmp`, apk-tools, Maven's
//! `ComparableVersion`, `Gem::Version`, PEP 440, NuGet, Composer + PHP `version_compare`,
//! SemVer 2.0). A version is parsed once into that scheme's representation, so the many
//! comparisons of range evaluation are cheap.
//!
//! Decisions a reader may question:
//! - Parsing is lenient only where real data is (a `v` prefix, `1.2` for `1.2.0` in SemVer,
//!   leading zeros in Go's `19.03.9`) and strict elsewhere: a string we cannot order is a
//!   [`VersionError`], which the caller reports as "unverified", never a guessed answer.
//! - Numbers are compared as digit strings, never parsed into integers, so
//!   `99999999999999999999999` orders correctly instead of overflowing.
//! - Versions longer than [`MAX_VERSION_LEN`] bytes are rejected: no ecosystem publishes
//!   them, and it bounds the work (and Maven's list nesting) on hostile input.
//! - [`affects`] follows <https://ossf.github.io/osv-schema/#evaluation>, like rustsec's
//!   `OsvRange::affects` and osv-scanner's `semantic` package.

mod apk;
mod composer;
mod dpkg;
mod maven;
mod nuget;
mod num;
mod pep440;
mod rpm;
mod rubygems;
mod semver;

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Longest version string accepted, in bytes. Real versions are far shorter (the longest in
/// the OSV data we checked are Go pseudo-versions and RPM module releases, under 100 bytes).
pub const MAX_VERSION_LEN: usize = 1024;

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
///
/// Equality is the scheme's: `1.0` and `1.0.0.0` are equal NuGet versions even though
/// [`Version::as_str`] differs.
#[derive(Debug, Clone)]
pub struct Version {
    scheme: VersionScheme,
    raw: String,
    parsed: Parsed,
}

/// One parsed representation per scheme.
#[derive(Debug, Clone)]
enum Parsed {
    /// Semver and Go share one representation.
    Semver(semver::Semver),
    Pep440(pep440::Pep440),
    Maven(maven::Maven),
    RubyGems(rubygems::Gem),
    NuGet(nuget::NuGet),
    Composer(composer::Composer),
    Dpkg(dpkg::Dpkg),
    Rpm(rpm::Rpm),
    Apk(apk::Apk),
}

impl Version {
    /// Parses `text` as a version of `scheme`.
    ///
    /// Surrounding whitespace is ignored. Fails on anything the scheme cannot order, on
    /// control characters and on text longer than [`MAX_VERSION_LEN`] bytes.
    pub fn parse(scheme: VersionScheme, text: &str) -> Result<Version, VersionError> {
        let invalid = || VersionError::Invalid {
            scheme,
            version: text.chars().take(200).collect(),
        };
        if text.len() > MAX_VERSION_LEN || text.chars().any(char::is_control) {
            return Err(invalid());
        }
        let parsed = match scheme {
            VersionScheme::Semver | VersionScheme::Go => semver::parse(text).map(Parsed::Semver),
            VersionScheme::Pep440 => pep440::parse(text).map(Parsed::Pep440),
            VersionScheme::Maven => maven::parse(text).map(Parsed::Maven),
            VersionScheme::RubyGems => rubygems::parse(text).map(Parsed::RubyGems),
            VersionScheme::NuGet => nuget::parse(text).map(Parsed::NuGet),
            VersionScheme::Composer => composer::parse(text).map(Parsed::Composer),
            VersionScheme::Dpkg => dpkg::parse(text).map(Parsed::Dpkg),
            VersionScheme::Rpm => rpm::parse(text).map(Parsed::Rpm),
            VersionScheme::Apk => apk::parse(text).map(Parsed::Apk),
        }
        .ok_or_else(invalid)?;
        Ok(Version {
            scheme,
            raw: text.to_owned(),
            parsed,
        })
    }

    /// The text it was parsed from.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The scheme it was parsed as.
    pub fn scheme(&self) -> VersionScheme {
        self.scheme
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.parsed, &other.parsed) {
            (Parsed::Semver(a), Parsed::Semver(b)) if self.scheme == other.scheme => a.cmp(b),
            (Parsed::Pep440(a), Parsed::Pep440(b)) => a.cmp(b),
            (Parsed::Maven(a), Parsed::Maven(b)) => a.cmp(b),
            (Parsed::RubyGems(a), Parsed::RubyGems(b)) => a.cmp(b),
            (Parsed::NuGet(a), Parsed::NuGet(b)) => a.cmp(b),
            (Parsed::Composer(a), Parsed::Composer(b)) => a.cmp(b),
            (Parsed::Dpkg(a), Parsed::Dpkg(b)) => a.cmp(b),
            (Parsed::Rpm(a), Parsed::Rpm(b)) => a.cmp(b),
            (Parsed::Apk(a), Parsed::Apk(b)) => a.cmp(b),
            // Different schemes: a logic error upstream; order by scheme to stay total.
            _ => self.scheme.cmp(&other.scheme),
        }
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

/// The OSV sentinel `introduced: "0"`: every version from the beginning, in every scheme
/// (in Maven, say, `0` is not the least version: `0-alpha` sorts before it).
const ZERO: &str = "0";

/// Whether `version` is affected by OSV `ranges` and `versions` (either suffices).
///
/// `GIT` ranges are skipped. An unparseable version (the component's or an event's) is an
/// error, never a guess: the caller turns it into an "unverified" note. A range that does
/// affect the version wins over another range that cannot be evaluated.
///
/// Per range, events are sorted by version (real records are not always sorted; an
/// `introduced` sorts before a `fixed` of the same version); walking them in order, an
/// `introduced` at or below the version marks it affected, a `fixed` at or below it or a
/// `last_affected` strictly below it marks it unaffected. A `limit` at or below the version
/// excludes it from the range.
pub fn affects(
    scheme: VersionScheme,
    version: &str,
    ranges: &[Range],
    versions: &[String],
) -> Result<bool, VersionError> {
    // The exact string listed is evidence enough, even for a version we cannot order.
    if versions.iter().any(|v| v.trim() == version.trim()) {
        return Ok(true);
    }
    let target = Version::parse(scheme, version)?;
    // Listed versions we cannot parse cannot be equal to a parsed one; skip them.
    if versions
        .iter()
        .filter_map(|v| Version::parse(scheme, v).ok())
        .any(|v| v == target)
    {
        return Ok(true);
    }
    let mut first_error = None;
    for range in ranges {
        match range.kind {
            RangeKind::Semver | RangeKind::Ecosystem => {}
            RangeKind::Git | RangeKind::Other => continue,
        }
        match range_affects(scheme, &target, &range.events) {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(false),
    }
}

/// An event with its version parsed; `None` is the `introduced: "0"` sentinel.
struct Bound {
    /// Order of the event kind among equal versions: introduced first.
    rank: u8,
    kind: BoundKind,
    at: Option<Version>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BoundKind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

fn range_affects(
    scheme: VersionScheme,
    target: &Version,
    events: &[Event],
) -> Result<bool, VersionError> {
    let mut bounds = Vec::with_capacity(events.len());
    for event in events {
        let (kind, rank, text) = match event {
            Event::Introduced(v) => (BoundKind::Introduced, 0, v),
            Event::LastAffected(v) => (BoundKind::LastAffected, 1, v),
            Event::Fixed(v) => (BoundKind::Fixed, 2, v),
            Event::Limit(v) => (BoundKind::Limit, 3, v),
        };
        let at = if kind == BoundKind::Introduced && text.trim() == ZERO {
            None
        } else {
            Some(Version::parse(scheme, text)?)
        };
        bounds.push(Bound { rank, kind, at });
    }
    // `None` (the beginning) sorts first; the sort is stable for equal events.
    bounds.sort_by(|a, b| a.at.cmp(&b.at).then(a.rank.cmp(&b.rank)));
    let mut affected = false;
    for bound in &bounds {
        let at_or_below = bound.at.as_ref().is_none_or(|at| at <= target);
        match bound.kind {
            BoundKind::Introduced if at_or_below => affected = true,
            BoundKind::Fixed if at_or_below => affected = false,
            BoundKind::LastAffected if bound.at.as_ref().is_some_and(|at| at < target) => {
                affected = false;
            }
            BoundKind::Limit if at_or_below => return Ok(false),
            _ => {}
        }
    }
    Ok(affected)
}
