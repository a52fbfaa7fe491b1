//! Version comparison per ecosystem, and OSV range semantics.
//!
//! Each [`VersionScheme`] has its own parser and total order in a submodule, re-implemented
//! from the reference implementation (dpkg's `verrevcmp`, `rpmvercmp`, apk-tools, Maven's
//! `ComparableVersion`, `Gem::Version`, PEP 440, NuGet, Composer + PHP `version_compare`,
//! SemVer 2.0). A version is parsed once into that scheme's representation, so the many
//! comparisons of range evaluation are cheap. What several schemes share lives in `num`
//! (digit strings and runs), `parts` (numeric cores, number-or-word labels, SemVer-style
//! pre-release order) and `evr` (`[epoch:]version[-release]` of dpkg and RPM).
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
mod evr;
mod maven;
mod nuget;
mod num;
mod parts;
mod pep440;
mod rpm;
mod rubygems;
mod semver;
#[cfg(test)]
mod vectors;

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Longest version string accepted, in bytes. Real versions are far shorter (the longest in
/// the OSV data we checked are Go pseudo-versions and RPM module releases, under 100 bytes).
pub const MAX_VERSION_LEN: usize = 1024;

/// How an ecosystem orders its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionScheme {
    /// SemVer 2.0 (npm, crates.io; Packagist/NuGet are close but have their own rules).
    Semver,
    /// Pub (Dart): SemVer that orders build metadata (`1.0.0 < 1.0.0+1`), as pub_semver does.
    Pub,
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
///
/// The order is total on every version seen in the OSV data and SBOMs we checked (sorting
/// each scheme's ~3k–33k real versions succeeds), but Maven's algorithm, like Maven's own,
/// is not transitive on some pathological strings (`1.4`, `1.4+build.102`,
/// `1.4.0--rc182.9eb947470fcf`); sorting such a mix with `slice::sort` may panic.
#[derive(Debug, Clone)]
pub struct Version {
    scheme: VersionScheme,
    raw: String,
    parsed: Parsed,
}

/// One parsed representation per scheme.
#[derive(Debug, Clone)]
enum Parsed {
    /// Semver, Go and Pub share one representation.
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
            VersionScheme::Semver | VersionScheme::Go | VersionScheme::Pub => {
                semver::parse(text).map(Parsed::Semver)
            }
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
            (Parsed::Semver(a), Parsed::Semver(b)) if self.scheme == other.scheme => {
                if self.scheme == VersionScheme::Pub {
                    a.cmp_pub(b)
                } else {
                    a.cmp(b)
                }
            }
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
    affects_with(
        scheme,
        version,
        &Version::parse(scheme, version),
        ranges,
        versions,
        &mut ParseCache::default(),
    )
}

/// [`affects`] for a caller that evaluates one version against many entries: `target` is
/// `version` as parsed (once, by the caller), `cache` the bounds parsed so far.
pub fn affects_with(
    scheme: VersionScheme,
    version: &str,
    target: &Result<Version, VersionError>,
    ranges: &[Range],
    versions: &[String],
    cache: &mut ParseCache,
) -> Result<bool, VersionError> {
    // The exact string listed is evidence enough, even for a version we cannot order.
    if versions.iter().any(|v| v.trim() == version.trim()) {
        return Ok(true);
    }
    match target {
        Ok(target) => affects_parsed(scheme, target, ranges, versions, cache),
        Err(e) => Err(e.clone()),
    }
}

/// Versions parsed once per text. One query compares one component version with thousands of
/// ranges whose bounds repeat (Debian's `linux`: ~7,000 advisories fixed in a few hundred
/// releases); parsing every bound again was ~6% of a Debian-heavy scan (docs/performance.md).
/// Keep one per package query: the texts are the database's, the cache grows with the
/// distinct ones.
#[derive(Default)]
pub struct ParseCache(HashMap<String, Result<Version, VersionError>, foldhash::fast::RandomState>);

impl ParseCache {
    /// `text` parsed as a version of `scheme` (each scheme of a query is one [`ParseCache`]'s).
    fn parse(&mut self, scheme: VersionScheme, text: &str) -> Result<&Version, VersionError> {
        if !self.0.contains_key(text) {
            self.0.insert(text.to_owned(), Version::parse(scheme, text));
        }
        match self.0.get(text) {
            Some(Ok(version)) => Ok(version),
            Some(Err(e)) => Err(e.clone()),
            None => unreachable!("inserted above"),
        }
    }

    /// A text [`ParseCache::parse`] parsed without error.
    fn parsed(&self, text: &str) -> Option<&Version> {
        self.0.get(text).and_then(|r| r.as_ref().ok())
    }
}

/// [`affects`] for a version already parsed (a query evaluating many advisories parses it
/// once), once the exact-string check of `versions` has been made; `cache` holds the bounds
/// and listed versions parsed so far.
pub fn affects_parsed(
    scheme: VersionScheme,
    target: &Version,
    ranges: &[Range],
    versions: &[String],
    cache: &mut ParseCache,
) -> Result<bool, VersionError> {
    // Listed versions we cannot parse cannot be equal to a parsed one; skip them.
    if versions
        .iter()
        .any(|v| cache.parse(scheme, v).is_ok_and(|v| v == target))
    {
        return Ok(true);
    }
    let mut first_error = None;
    for range in ranges {
        match range.kind {
            RangeKind::Semver | RangeKind::Ecosystem => {}
            RangeKind::Git | RangeKind::Other => continue,
        }
        match range_affects(scheme, target, &range.events, cache) {
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

/// An event's kind, rank and version text (`None`: the `introduced: "0"` sentinel).
fn bound_of(event: &Event) -> (BoundKind, u8, Option<&str>) {
    let (kind, rank, text) = match event {
        Event::Introduced(v) => (BoundKind::Introduced, 0, v),
        Event::LastAffected(v) => (BoundKind::LastAffected, 1, v),
        Event::Fixed(v) => (BoundKind::Fixed, 2, v),
        Event::Limit(v) => (BoundKind::Limit, 3, v),
    };
    let sentinel = kind == BoundKind::Introduced && text.trim() == ZERO;
    (kind, rank, (!sentinel).then_some(text.as_str()))
}

/// An event with its version parsed; `None` is the `introduced: "0"` sentinel.
struct Bound<'a> {
    /// Order of the event kind among equal versions: introduced first.
    rank: u8,
    kind: BoundKind,
    at: Option<&'a Version>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BoundKind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

fn bound_cmp(a: &Bound<'_>, b: &Bound<'_>) -> Ordering {
    a.at.cmp(&b.at).then(a.rank.cmp(&b.rank))
}

/// Sorts `items` stably with O(n log n) calls of `cmp`, and never panics whatever `cmp`
/// answers (`slice::sort_by` may panic on a comparator that is not a total order, and some
/// schemes' orders are not, on junk input). Shared by range events and version lists.
pub fn merge_sort_by<T>(items: Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) -> Vec<T> {
    fn sort<T>(mut items: Vec<T>, cmp: &mut dyn FnMut(&T, &T) -> Ordering) -> Vec<T> {
        if items.len() <= 1 {
            return items;
        }
        let right = sort(items.split_off(items.len() / 2), cmp);
        let left = sort(items, cmp);
        let mut out = Vec::with_capacity(left.len() + right.len());
        let mut right = right.into_iter().peekable();
        for l in left {
            while let Some(r) = right.next_if(|r| cmp(&l, r) == Ordering::Greater) {
                out.push(r);
            }
            out.push(l);
        }
        out.extend(right);
        out
    }
    sort(items, &mut cmp)
}

fn range_affects(
    scheme: VersionScheme,
    target: &Version,
    events: &[Event],
    cache: &mut ParseCache,
) -> Result<bool, VersionError> {
    let bound = bound_of;
    // Every bound parsed first (the first that does not parse is the error), then borrowed.
    for event in events {
        if let (_, _, Some(text)) = bound(event) {
            cache.parse(scheme, text)?;
        }
    }
    let cache = &*cache;
    let bounds = events
        .iter()
        .map(|event| {
            let (kind, rank, text) = bound(event);
            Bound {
                rank,
                kind,
                at: text.and_then(|t| cache.parsed(t)),
            }
        })
        .collect();
    // `None` (the beginning) sorts first, introduced before fixed at one version. A stable
    // merge sort by hand: unlike `slice::sort` it cannot panic should a scheme's order not
    // be total on some exotic input (Maven's, like Maven's own, is not always).
    let bounds = merge_sort_by(bounds, bound_cmp);
    let mut affected = false;
    for bound in &bounds {
        let at_or_below = bound.at.is_none_or(|at| at <= target);
        match bound.kind {
            BoundKind::Introduced if at_or_below => affected = true,
            BoundKind::Fixed if at_or_below => affected = false,
            BoundKind::LastAffected if bound.at.is_some_and(|at| at < target) => {
                affected = false;
            }
            BoundKind::Limit if at_or_below => return Ok(false),
            _ => {}
        }
    }
    Ok(affected)
}

/// Helpers shared by the per-scheme tests.
#[cfg(test)]
mod testing {
    use std::cmp::Ordering;

    /// `parse(text)`, panicking with the text when it does not parse.
    pub(super) fn parsed<T>(parse: impl Fn(&str) -> Option<T>, text: &str) -> T {
        parse(text).unwrap_or_else(|| panic!("`{text}` should parse"))
    }

    /// Asserts every `(a, b, a vs b)` case, and its reverse.
    pub(super) fn assert_orders(
        cmp: impl Fn(&str, &str) -> Ordering,
        cases: &[(&str, &str, Ordering)],
    ) {
        for &(a, b, want) in cases {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
            assert_eq!(cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use VersionScheme::*;

    fn range(kind: RangeKind, events: &[(&str, &str)]) -> Range {
        Range {
            kind,
            events: events
                .iter()
                .map(|(k, v)| {
                    let v = (*v).to_owned();
                    match *k {
                        "introduced" => Event::Introduced(v),
                        "fixed" => Event::Fixed(v),
                        "last_affected" => Event::LastAffected(v),
                        "limit" => Event::Limit(v),
                        other => panic!("unknown event `{other}`"),
                    }
                })
                .collect(),
        }
    }

    fn eco(events: &[(&str, &str)]) -> Vec<Range> {
        vec![range(RangeKind::Ecosystem, events)]
    }

    /// OSV evaluation on real records: each case is (scheme, ranges, component version,
    /// expected).
    #[test]
    fn evaluates_real_osv_ranges() {
        // PYSEC-2024-36 (ansible-core): three pairs in one range, not sorted.
        let pysec = eco(&[
            ("introduced", "2.16.0"),
            ("fixed", "2.16.3"),
            ("introduced", "2.15.0"),
            ("fixed", "2.15.9"),
            ("introduced", "0"),
            ("fixed", "2.14.4"),
        ]);
        // GHSA-jfh8-c2jp-5v3q (Log4Shell) as one `affected` with its three ranges.
        let log4shell = vec![
            range(
                RangeKind::Ecosystem,
                &[("introduced", "2.13.0"), ("fixed", "2.15.0")],
            ),
            range(
                RangeKind::Ecosystem,
                &[("introduced", "0"), ("fixed", "2.3.1")],
            ),
            range(
                RangeKind::Ecosystem,
                &[("introduced", "2.4"), ("fixed", "2.12.2")],
            ),
        ];
        // GHSA-22vc-5pgw-644q (Go, kubeview): `last_affected` is inclusive.
        let kubeview = vec![range(
            RangeKind::Semver,
            &[("introduced", "0"), ("last_affected", "0.1.31")],
        )];
        // CVE-2023-4527 (Debian:12 glibc).
        let glibc = eco(&[("introduced", "0"), ("fixed", "2.36-9+deb12u3")]);
        // RHSA-2025:1301 (libgcc, RHEL 8): epoch-prefixed `fixed`.
        let libgcc = eco(&[("introduced", "0"), ("fixed", "0:8.5.0-23.el8_10")]);
        // CVE-2016-10009 (Alpine:v3.10 openssh).
        let openssh = eco(&[("introduced", "0"), ("fixed", "7.4_p1-r0")]);
        // CVE-2011-3389 (Debian:11 asterisk): epoch and `~`.
        let asterisk = eco(&[("introduced", "0"), ("fixed", "1:13.7.2~dfsg-1")]);
        let cases: Vec<(VersionScheme, &[Range], &str, bool)> = vec![
            (Pep440, &pysec, "2.14.3", true),
            (Pep440, &pysec, "2.14.4", false),
            (Pep440, &pysec, "2.15.0rc1", false),
            (Pep440, &pysec, "2.15.0", true),
            (Pep440, &pysec, "2.15.9", false),
            (Pep440, &pysec, "2.16.2", true),
            (Pep440, &pysec, "2.16.3", false),
            (Pep440, &pysec, "2.17.0", false),
            (Maven, &log4shell, "2.14.1", true),
            (Maven, &log4shell, "2.15.0", false),
            (Maven, &log4shell, "2.0-beta9", true),
            (Maven, &log4shell, "2.3.1", false),
            (Maven, &log4shell, "2.12.1", true),
            (Maven, &log4shell, "2.12.2", false),
            (Maven, &log4shell, "2.17.1", false),
            (Go, &kubeview, "v0.1.31", true),
            (Go, &kubeview, "v0.1.32", false),
            (Dpkg, &glibc, "2.36-9+deb12u2", true),
            (Dpkg, &glibc, "2.36-9+deb12u3", false),
            (Dpkg, &glibc, "2.36-9+deb12u10", false),
            (Rpm, &libgcc, "8.5.0-22.el8_10", true),
            (Rpm, &libgcc, "0:8.5.0-23.el8_10", false),
            (Apk, &openssh, "7.4_p1-r0", false),
            (Apk, &openssh, "7.4-r5", true),
            (Apk, &openssh, "7.4_rc1-r0", true),
            (Dpkg, &asterisk, "1:13.7.2~dfsg-0", true),
            (Dpkg, &asterisk, "13.7.2-1", true),
            (Dpkg, &asterisk, "1:13.7.2-1", false),
        ];
        for (scheme, ranges, version, want) in cases {
            assert_eq!(
                affects(scheme, version, ranges, &[]),
                Ok(want),
                "{scheme:?} `{version}` against {ranges:?}"
            );
        }
    }

    /// The rest of the OSV semantics: listed versions, GIT ranges, limits, ties, errors.
    #[test]
    fn evaluates_edge_cases() {
        // GHSA-f4w6-3rh6-6q4q lists versions and has no ranges.
        let listed = vec!["1.1".to_owned()];
        assert_eq!(affects(Go, "1.1", &[], &listed), Ok(true));
        assert_eq!(affects(Go, "v1.1.0", &[], &listed), Ok(true));
        assert_eq!(affects(Go, "1.2", &[], &listed), Ok(false));
        // A listed exact string counts even when it cannot be parsed.
        let odd = vec!["1.9.0ubuntu1.2".to_owned()];
        assert_eq!(affects(Pep440, "1.9.0ubuntu1.2", &[], &odd), Ok(true));
        // Unparseable listed entries are skipped, not errors.
        assert_eq!(affects(Pep440, "1.0", &[], &odd), Ok(false));

        // GIT ranges (commit hashes) are skipped.
        let git = vec![range(
            RangeKind::Git,
            &[("introduced", "0"), ("fixed", "a1b2c3d")],
        )];
        assert_eq!(affects(Semver, "1.0.0", &git, &[]), Ok(false));

        // `introduced: "0"` is the beginning in Maven too, where `0-alpha < 0`.
        let all = eco(&[("introduced", "0")]);
        for (scheme, v) in [
            (Maven, "0-alpha"),
            (Dpkg, "0~rc1"),
            (Rpm, "0~1"),
            (Semver, "0.0.0-0"),
        ] {
            assert_eq!(affects(scheme, v, &all, &[]), Ok(true), "{scheme:?} `{v}`");
        }

        // `limit` is an exclusive upper bound.
        let limited = eco(&[("introduced", "1.0.0"), ("limit", "1.5.0")]);
        assert_eq!(affects(Semver, "1.4.9", &limited, &[]), Ok(true));
        assert_eq!(affects(Semver, "1.5.0", &limited, &[]), Ok(false));

        // `introduced` and `fixed` at one version: nothing affected at that version.
        let empty = eco(&[("fixed", "1.0.0"), ("introduced", "1.0.0")]);
        assert_eq!(affects(Semver, "1.0.0", &empty, &[]), Ok(false));

        // Equal under the scheme counts as the bound itself.
        let nuget = eco(&[("introduced", "1.0"), ("fixed", "2.0")]);
        assert_eq!(affects(NuGet, "1.0.0.0", &nuget, &[]), Ok(true));
        assert_eq!(affects(NuGet, "2.0.0", &nuget, &[]), Ok(false));

        // Unparseable component or event versions are errors, never guesses.
        let bad_event = eco(&[("introduced", "0"), ("fixed", "1.9.0ubuntu1.2")]);
        assert!(matches!(
            affects(Pep440, "1.0", &bad_event, &[]),
            Err(VersionError::Invalid { scheme: Pep440, .. })
        ));
        assert!(affects(Pep440, "not a version", &all, &[]).is_err());
        // ...unless another range does show the version affected.
        let mut ranges = bad_event.clone();
        ranges.extend(eco(&[("introduced", "0.5")]));
        assert_eq!(affects(Pep440, "1.0", &ranges, &[]), Ok(true));
    }

    /// `introduced: "0"` and plain `0` parse in every scheme.
    #[test]
    fn zero_parses_everywhere() {
        for scheme in [
            Semver, Go, Pub, Pep440, Maven, RubyGems, NuGet, Composer, Dpkg, Rpm, Apk,
        ] {
            assert!(Version::parse(scheme, "0").is_ok(), "{scheme:?}");
        }
    }

    /// Versions of one scheme compare through the public API, with scheme equality.
    #[test]
    fn compares_through_the_api() {
        let cases = [
            (NuGet, "1.0", "1.0.0.0", Ordering::Equal),
            (Pep440, "1.0RC1", "1.0rc1", Ordering::Equal),
            (Maven, "1.0.RELEASE", "1", Ordering::Equal),
            (Dpkg, "1.0~rc1", "1.0", Ordering::Less),
            (Semver, " v1.2.3 ", "1.2.3", Ordering::Equal),
        ];
        for (scheme, a, b, want) in cases {
            assert_eq!(compare(scheme, a, b), Ok(want), "{scheme:?} {a} vs {b}");
        }
        let a = Version::parse(NuGet, "1.0").expect("valid");
        let b = Version::parse(NuGet, "1.0.0.0").expect("valid");
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "1.0");
        assert_eq!(a.scheme(), NuGet);
    }

    /// Hostile input: huge, empty, separator-only, unicode and control characters, and
    /// numbers beyond `u64`, in every scheme. Nothing may panic or hang; huge numbers order.
    #[test]
    fn survives_absurd_input() {
        let schemes = [
            Semver, Go, Pub, Pep440, Maven, RubyGems, NuGet, Composer, Dpkg, Rpm, Apk,
        ];
        let long_digits = "9".repeat(1_000_000);
        let long_mixed = "1a-".repeat(300_000);
        let near_limit = "1.".repeat(MAX_VERSION_LEN / 2 - 1) + "1";
        let near_limit_mixed = "a1".repeat(MAX_VERSION_LEN / 2);
        let inputs = [
            "",
            " ",
            ".",
            "...",
            "---",
            "___",
            "~~~",
            "^",
            ":",
            "+",
            "-.-_.~",
            "v",
            "1:",
            ":1",
            "1-",
            "１.２.３",
            "1.0-ß",
            "😀",
            "1.0\u{0}",
            "1\n2",
            "99999999999999999999999",
            "99999999999999999999999.99999999999999999999999.1",
            long_digits.as_str(),
            long_mixed.as_str(),
            near_limit.as_str(),
            near_limit_mixed.as_str(),
        ];
        for scheme in schemes {
            let parsed: Vec<Version> = inputs
                .iter()
                .filter_map(|t| Version::parse(scheme, t).ok())
                .collect();
            for a in &parsed {
                for b in &parsed {
                    assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{scheme:?}");
                }
            }
            assert!(
                Version::parse(scheme, &long_digits).is_err(),
                "{scheme:?} length"
            );
            let events = eco(&[("introduced", "0"), ("fixed", long_mixed.as_str())]);
            assert!(affects(scheme, "1", &events, &[]).is_err(), "{scheme:?}");
        }
        // Numbers beyond u64 compare as numbers, not as text or saturated integers.
        for scheme in schemes {
            let big = "99999999999999999999999";
            let bigger = "100000000000000000000000";
            assert_eq!(
                compare(scheme, big, bigger),
                Ok(Ordering::Less),
                "{scheme:?}"
            );
            assert_eq!(
                compare(scheme, "18446744073709551616", "18446744073709551615"),
                Ok(Ordering::Greater),
                "{scheme:?}"
            );
        }
    }
}
