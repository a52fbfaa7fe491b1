//! SemVer 2.0 ordering (npm, crates.io, Pub) and Go module versions.
//!
//! Written by hand rather than with the `semver` crate because real data is looser than
//! SemVer: a leading `v` or `=` (npm loose mode), two-part versions like `1.2` (taken as
//! `1.2.0`), leading zeros (`19.03.9` in Docker's Go GHSA records), and numbers beyond
//! `u64`. Build metadata (`+incompatible`, `+security-01`) never affects the SemVer order.
//!
//! Pub (Dart) is SemVer with one difference: pub_semver orders build metadata
//! (`Version.compareTo`): a version without a build sorts before the same version with one
//! (`1.0.0 < 1.0.0+1`), and builds compare label by label like pre-releases
//! (`1.2.3+1 < 1.2.3+2`, `1.2.3+a < 1.2.3+a1`). Flutter apps and packages do ship `+N`.

use super::parts::{
    Numbers, Part, cmp_numbers, cmp_pre_release, cmp_seq, numeric_core, split_pre_and_build,
};
use std::cmp::Ordering;

/// A parsed SemVer-like version: three numeric parts and the pre-release identifiers.
#[derive(Debug, Clone)]
pub(super) struct Semver {
    core: [String; 3],
    pre: Vec<Part>,
    /// Build metadata labels: ignored by SemVer and Go, ordered by Pub.
    build: Vec<Part>,
}

/// Parses leniently: `v`/`V`/`=` prefix, 1–3 numeric parts, `-pre`, `+build`.
pub(super) fn parse(text: &str) -> Option<Semver> {
    let mut s = text.trim();
    s = s.strip_prefix('=').unwrap_or(s).trim_start();
    s = s
        .strip_prefix('v')
        .or_else(|| s.strip_prefix('V'))
        .unwrap_or(s);
    let (core, pre, build) = split_pre_and_build(s)?;
    let core = numeric_core::<3>(core)?;
    let labels =
        |l: Option<&str>| l.map_or_else(Vec::new, |p| p.split('.').map(Part::of).collect());
    Some(Semver {
        core,
        pre: labels(pre),
        build: labels(build),
    })
}

impl Semver {
    /// SemVer 2.0 §11 (and Go): build metadata does not count.
    pub(super) fn cmp(&self, other: &Semver) -> Ordering {
        cmp_numbers(&self.core, &other.core).then_with(|| cmp_pre_release(&self.pre, &other.pre))
    }

    /// pub_semver's `Version.compareTo`: SemVer, then no build before a build, then build
    /// labels as pre-release labels are compared (numbers before words, fewer labels first).
    pub(super) fn cmp_pub(&self, other: &Semver) -> Ordering {
        self.cmp(other).then_with(|| {
            cmp_seq(&self.build, &other.build, |x, y| {
                x.cmp(y, Numbers::BeforeWords)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::testing::{assert_orders, parsed};
    use Ordering::{Equal, Greater, Less};

    fn cmp(a: &str, b: &str) -> Ordering {
        parsed(parse, a).cmp(&parsed(parse, b))
    }

    /// SemVer 2.0 §11 examples, lenient forms and versions from real OSV records.
    #[test]
    fn orders_semver() {
        let cases = [
            ("1.0.0-alpha", "1.0.0-alpha.1", Less),
            ("1.0.0-alpha.1", "1.0.0-alpha.beta", Less),
            ("1.0.0-alpha.beta", "1.0.0-beta", Less),
            ("1.0.0-beta.2", "1.0.0-beta.11", Less),
            ("1.0.0-rc.1", "1.0.0", Less),
            ("v1.2.3", "1.2.3", Equal),
            ("=1.2.3", "1.2.3", Equal),
            ("1.2", "1.2.0", Equal),
            ("1", "1.0.0", Equal),
            ("1.2.3+build.5", "1.2.3", Equal),
            // crates.io OSV (cargo-osvdev-all): `0.14.0-0` is the lowest 0.14.0 pre-release.
            ("0.14.0-0", "0.14.0-alpha.1", Less),
            ("0.13.9", "0.14.0-0", Less),
            // npm GHSA (npm-osvdev-ghsa): `2.0.0-rc2` vs `2.0.0-rc.12` is ASCII, not numeric.
            ("2.0.0-rc2", "2.0.0-rc.12", Greater),
            ("3.0.0-beta.17.5", "3.0.0-beta.18.4", Less),
            ("10.0.0", "9.99.99", Greater),
            (
                "99999999999999999999999.0.0",
                "18446744073709551615.0.0",
                Greater,
            ),
        ];
        assert_orders(cmp, &cases);
    }

    /// Go: pseudo-versions order by pre-release rules; `+incompatible` is build metadata;
    /// Docker's Go GHSA records use `19.03.9` (go-osvdev-ghsa).
    #[test]
    fn orders_go() {
        let cases = [
            (
                "v0.0.0-20210101000000-abcdef123456",
                "v0.0.0-20210102000000-000000000000",
                Less,
            ),
            ("0.0.0-20201120070457-d52dcb253c63", "0.1.0", Less),
            // go-osvdev-ghsa: pseudo-version after v2.1.0, before v2.1.1.
            (
                "2.1.1-0.20170519163204-f913f5f9c7c6+incompatible",
                "2.1.1",
                Less,
            ),
            ("2.1.1-0.20170519163204-f913f5f9c7c6", "2.1.0", Greater),
            ("v9.11.0+incompatible", "9.11.0", Equal),
            ("19.03.9", "19.3.9", Equal),
            ("19.03.9", "v20.10.0-beta1", Less),
            ("11.0.6+security-01", "11.0.6", Equal),
        ];
        assert_orders(cmp, &cases);
    }

    /// pub_semver orders build metadata (dart-lang/tools `pkgs/pub_semver/test/version_test.dart`);
    /// SemVer and Go do not.
    #[test]
    fn orders_pub_build_metadata() {
        let pub_cmp = |a: &str, b: &str| parsed(parse, a).cmp_pub(&parsed(parse, b));
        let cases = [
            ("1.0.0", "1.0.0+1", Less),
            ("1.2.3+1", "1.2.3+2", Less),
            ("1.2.3+a", "1.2.3+a1", Less),
            ("1.2.3+1", "1.2.3+a", Less),
            ("1.2.3-rc+9", "1.2.3", Less),
            ("1.2.3+1.2", "1.2.3+1", Greater),
            ("2.0.0+1", "2.0.0+01", Equal),
        ];
        assert_orders(pub_cmp, &cases);
        assert_eq!(cmp("1.0.0", "1.0.0+1"), Equal);
    }

    #[test]
    fn rejects_non_semver() {
        for bad in [
            "",
            "v",
            "1.2.3.4",
            "1..2",
            "1.2.3-",
            "1.2.3-a..b",
            "1.2.3+",
            "a.b.c",
            "1.2.x",
            "1.2.3 4",
        ] {
            assert!(parse(bad).is_none(), "`{bad}` should not parse");
        }
    }
}
