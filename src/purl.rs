//! Component identity: package URLs and the OSV ecosystem they belong to.
//!
//! OWNER: sbom/purl helper for `Purl` and `identify`. `Ecosystem` (names, normalisation) is
//! shared with the database builder: change it only together with `db/`.

use crate::version::VersionScheme;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The package ecosystems kevgate matches, named as OSV names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ecosystem {
    /// npm (`pkg:npm`).
    Npm,
    /// PyPI (`pkg:pypi`).
    PyPI,
    /// Maven (`pkg:maven`).
    Maven,
    /// Go modules (`pkg:golang`).
    Go,
    /// crates.io (`pkg:cargo`).
    Cargo,
    /// RubyGems (`pkg:gem`).
    RubyGems,
    /// NuGet (`pkg:nuget`).
    NuGet,
    /// Packagist (`pkg:composer`).
    Packagist,
    /// Pub (`pkg:pub`).
    Pub,
    /// Debian (`pkg:deb/debian`), keyed by source package.
    Debian,
    /// Ubuntu (`pkg:deb/ubuntu`), keyed by source package.
    Ubuntu,
    /// Alpine (`pkg:apk/alpine`), keyed by origin (source) package.
    Alpine,
    /// Red Hat Enterprise Linux (`pkg:rpm/redhat`), binary rpm names.
    RedHat,
    /// AlmaLinux (`pkg:rpm/almalinux`).
    AlmaLinux,
    /// Rocky Linux (`pkg:rpm/rocky`).
    Rocky,
}

impl Ecosystem {
    /// Every ecosystem, in a stable order.
    pub const ALL: [Ecosystem; 15] = [
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Maven,
        Ecosystem::Go,
        Ecosystem::Cargo,
        Ecosystem::RubyGems,
        Ecosystem::NuGet,
        Ecosystem::Packagist,
        Ecosystem::Pub,
        Ecosystem::Debian,
        Ecosystem::Ubuntu,
        Ecosystem::Alpine,
        Ecosystem::RedHat,
        Ecosystem::AlmaLinux,
        Ecosystem::Rocky,
    ];

    /// The OSV ecosystem name, without a release suffix (`Debian`, not `Debian:12`).
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Maven => "Maven",
            Ecosystem::Go => "Go",
            Ecosystem::Cargo => "crates.io",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::Pub => "Pub",
            Ecosystem::Debian => "Debian",
            Ecosystem::Ubuntu => "Ubuntu",
            Ecosystem::Alpine => "Alpine",
            Ecosystem::RedHat => "Red Hat",
            Ecosystem::AlmaLinux => "AlmaLinux",
            Ecosystem::Rocky => "Rocky Linux",
        }
    }

    /// Splits an OSV `affected[].package.ecosystem` into the ecosystem and its release suffix
    /// (`Debian:12` -> (Debian, Some("12")); `Red Hat:enterprise_linux:8::baseos` ->
    /// (RedHat, Some("enterprise_linux:8::baseos"))). `None` for ecosystems kevgate does not
    /// match (SUSE, Android, GIT-only, ...).
    pub fn from_osv(ecosystem: &str) -> Option<(Ecosystem, Option<&str>)> {
        let (base, release) = match ecosystem.split_once(':') {
            Some((b, r)) => (b, Some(r)),
            None => (ecosystem, None),
        };
        let eco = Ecosystem::ALL.into_iter().find(|e| e.osv_name() == base)?;
        Some((eco, release.filter(|r| !r.is_empty())))
    }

    /// How this ecosystem orders versions.
    pub fn scheme(self) -> VersionScheme {
        match self {
            Ecosystem::Npm | Ecosystem::Cargo | Ecosystem::Pub => VersionScheme::Semver,
            Ecosystem::Go => VersionScheme::Go,
            Ecosystem::PyPI => VersionScheme::Pep440,
            Ecosystem::Maven => VersionScheme::Maven,
            Ecosystem::RubyGems => VersionScheme::RubyGems,
            Ecosystem::NuGet => VersionScheme::NuGet,
            Ecosystem::Packagist => VersionScheme::Composer,
            Ecosystem::Debian | Ecosystem::Ubuntu => VersionScheme::Dpkg,
            Ecosystem::Alpine => VersionScheme::Apk,
            Ecosystem::RedHat | Ecosystem::AlmaLinux | Ecosystem::Rocky => VersionScheme::Rpm,
        }
    }

    /// The package name as the database indexes it: OSV's name, folded where the ecosystem
    /// treats names case-insensitively or equates separators.
    ///
    /// - PyPI: PEP 503 (lower case, runs of `-_.` become `-`).
    /// - Go: lower case (trivy lower-cases module paths in purls).
    /// - npm, NuGet, Packagist: lower case.
    /// - Maven: `group:artifact` as given (case-sensitive).
    /// - others: as given.
    pub fn normalize_name(self, name: &str) -> String {
        match self {
            Ecosystem::PyPI => {
                let mut out = String::with_capacity(name.len());
                let mut sep = false;
                for c in name.chars() {
                    if matches!(c, '-' | '_' | '.') {
                        sep = true;
                    } else {
                        if sep && !out.is_empty() {
                            out.push('-');
                        }
                        sep = false;
                        out.extend(c.to_lowercase());
                    }
                }
                out
            }
            Ecosystem::Go | Ecosystem::Npm | Ecosystem::NuGet | Ecosystem::Packagist => {
                name.to_lowercase()
            }
            _ => name.to_string(),
        }
    }
}

/// A parsed package URL (<https://github.com/package-url/purl-spec>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// `type`, lower-cased (`npm`, `deb`, ...).
    pub ty: String,
    /// Namespace, percent-decoded (`org.apache.logging.log4j`, `debian`, `@babel`).
    pub namespace: Option<String>,
    /// Name, percent-decoded.
    pub name: String,
    /// Version, percent-decoded.
    pub version: Option<String>,
    /// Qualifiers, keys lower-cased, values percent-decoded.
    pub qualifiers: BTreeMap<String, String>,
    /// Subpath.
    pub subpath: Option<String>,
}

/// Why a purl could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid purl: {reason}")]
pub struct PurlError {
    /// What is wrong, in a few words.
    pub reason: String,
}

impl Purl {
    /// Parses a purl string.
    pub fn parse(text: &str) -> Result<Purl, PurlError> {
        let _ = text;
        unimplemented!("purl helper")
    }

    /// A qualifier's value.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.get(key).map(String::as_str)
    }
}

/// The identity the database is searched by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageId {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The OSV package name (Maven `group:artifact`, Go module path, npm `@scope/name`;
    /// for Debian/Ubuntu/Alpine the binary name: matching swaps in the source name).
    pub name: String,
    /// The distribution release, where the ecosystem has releases, in OSV's terms:
    /// Debian `12`, Ubuntu `22.04`, Alpine `v3.20`, Red Hat / AlmaLinux / Rocky major `8`.
    pub release: Option<String>,
}

impl PackageId {
    /// Whether an OSV ecosystem string (`Debian:12`, `Alpine:v3.20`,
    /// `Red Hat:enterprise_linux:8::appstream`, `Ubuntu:22.04:LTS`, `Ubuntu:Pro:16.04:LTS`)
    /// applies to this package's release. Ecosystems without releases match their bare name.
    /// A distro package whose release is unknown matches no release-specific record.
    pub fn osv_ecosystem_matches(&self, osv_ecosystem: &str) -> bool {
        let _ = osv_ecosystem;
        unimplemented!("purl helper")
    }
}

/// Why a purl does not name a package kevgate can check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifyError {
    /// A purl type kevgate has no database for (`pkg:oci`, `pkg:github`, `pkg:conda`, ...).
    #[error("purl type `{0}` is not covered by the vulnerability database")]
    UnsupportedType(String),
    /// A distro purl whose namespace names a distro kevgate has no data for.
    #[error("distribution `{0}` is not covered by the vulnerability database")]
    UnsupportedDistro(String),
    /// The purl has no version.
    #[error("purl has no version")]
    NoVersion,
}

/// Maps a purl to the package identity the database is searched by. `os` is the SBOM's
/// operating-system component (name, version), used when the purl has no `distro` qualifier.
pub fn identify(purl: &Purl, os: Option<(&str, &str)>) -> Result<PackageId, IdentifyError> {
    let _ = (purl, os);
    unimplemented!("purl helper")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_ecosystems_split_release() {
        let cases = [
            ("Debian:12", Some((Ecosystem::Debian, Some("12")))),
            ("PyPI", Some((Ecosystem::PyPI, None))),
            ("crates.io", Some((Ecosystem::Cargo, None))),
            (
                "Red Hat:enterprise_linux:8::baseos",
                Some((Ecosystem::RedHat, Some("enterprise_linux:8::baseos"))),
            ),
            ("Rocky Linux:9", Some((Ecosystem::Rocky, Some("9")))),
            ("SUSE:Linux Enterprise", None),
        ];
        for (input, want) in cases {
            assert_eq!(Ecosystem::from_osv(input), want, "{input}");
        }
    }

    #[test]
    fn names_fold_per_ecosystem() {
        assert_eq!(
            Ecosystem::PyPI.normalize_name("Zope.Interface__x"),
            "zope-interface-x"
        );
        assert_eq!(
            Ecosystem::Go.normalize_name("github.com/Sirupsen/logrus"),
            "github.com/sirupsen/logrus"
        );
        assert_eq!(
            Ecosystem::Maven.normalize_name("org.Apache:X"),
            "org.Apache:X"
        );
    }
}
