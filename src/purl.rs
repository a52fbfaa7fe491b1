//! Component identity: package URLs and the OSV ecosystem they belong to.
//!
//! `Ecosystem` (names, normalisation) is shared with the database builder (`db/`): a change
//! to it changes what the database stores, so the two change together.

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
            Ecosystem::Npm | Ecosystem::Cargo => VersionScheme::Semver,
            Ecosystem::Pub => VersionScheme::Pub,
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
///
/// Parsing follows the spec's algorithm, leniently where real SBOMs are sloppy: `pkg://` is
/// accepted, a second `?` inside the qualifiers is read as `&` (Ubuntu's tracker writes
/// `pkg:deb/ubuntu/gnupg?arch=src?distro=trusty/esm`), an `@` only separates the version when
/// it comes after the last `/` (so an unencoded npm scope `@babel` stays in the namespace),
/// and a `%` that starts no valid escape is kept as written. No type-specific normalisation
/// happens here: names are folded per ecosystem by [`Ecosystem::normalize_name`].
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

impl PurlError {
    fn new(reason: impl Into<String>) -> PurlError {
        PurlError {
            reason: reason.into(),
        }
    }
}

impl Purl {
    /// Parses a purl string.
    ///
    /// We parse purls ourselves rather than with the `packageurl` crate: real trivy, syft and
    /// distro-tracker purls need the leniencies listed on [`Purl`], and the algorithm is short.
    pub fn parse(text: &str) -> Result<Purl, PurlError> {
        let text = text.trim();
        let (scheme, rest) = text
            .split_once(':')
            .ok_or_else(|| PurlError::new("missing `pkg:` scheme"))?;
        if !scheme.eq_ignore_ascii_case("pkg") {
            return Err(PurlError::new("scheme is not `pkg:`"));
        }
        // `pkg://type/...` is tolerated, as the spec's own test suite does.
        let rest = rest.trim_start_matches('/');

        // Subpath: after the first `#`.
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, s)) => (r, decode_subpath(s)?),
            None => (rest, None),
        };

        // Qualifiers: after the first `?`; further `?` separate pairs like `&`.
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((r, q)) => (r, parse_qualifiers(q)?),
            None => (rest, BTreeMap::new()),
        };

        // Type: up to the first `/`.
        let (ty, rest) = rest
            .split_once('/')
            .ok_or_else(|| PurlError::new("missing name"))?;
        let ty = ty.to_ascii_lowercase();
        let valid_type = ty
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
            && ty.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if !valid_type {
            return Err(PurlError::new("type is empty or not alphanumeric"));
        }

        // Version: after an `@` that follows the last `/`.
        let last_slash = rest.trim_end_matches('/').rfind('/').map_or(0, |i| i + 1);
        let (path, version) = match rest[last_slash..].rfind('@') {
            Some(at) => {
                let at = last_slash + at;
                let version = decode(&rest[at + 1..])?;
                (&rest[..at], Some(version).filter(|v| !v.is_empty()))
            }
            None => (rest, None),
        };

        let mut segments = path.split('/').filter(|s| !s.is_empty());
        let name_raw = segments
            .next_back()
            .ok_or_else(|| PurlError::new("missing name"))?;
        let name = decode(name_raw)?;
        if name.is_empty() {
            return Err(PurlError::new("missing name"));
        }
        let namespace = segments.map(decode).collect::<Result<Vec<_>, _>>()?;
        let namespace = Some(namespace.join("/")).filter(|n| !n.is_empty());

        Ok(Purl {
            ty,
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }

    /// A qualifier's value.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.get(key).map(String::as_str)
    }
}

fn parse_qualifiers(text: &str) -> Result<BTreeMap<String, String>, PurlError> {
    let mut out = BTreeMap::new();
    for pair in text.split(['&', '?']) {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = decode(value)?;
        if key.is_empty() || value.is_empty() {
            continue;
        }
        // The first occurrence wins; the spec forbids duplicates.
        out.entry(key).or_insert(value);
    }
    Ok(out)
}

fn decode_subpath(text: &str) -> Result<Option<String>, PurlError> {
    let segments = text
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(decode)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(segments.join("/")).filter(|s| !s.is_empty()))
}

/// Percent-decodes `text`. A `%` not followed by two hex digits is kept as written.
pub(crate) fn decode(text: &str) -> Result<String, PurlError> {
    if !text.contains('%') {
        return Ok(text.to_string());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|c| hex(*c)),
                bytes.get(i + 2).and_then(|c| hex(*c)),
            )
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| PurlError::new("percent-encoded bytes are not UTF-8"))
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
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
    /// For Red Hat: the extended stream the system is on (EUS, AUS, E4S, TUS of one minor
    /// release), set by the user (`--rhel-stream`); `None` is the main stream. [`identify`]
    /// never sets it: a purl does not say.
    pub rhel_stream: Option<RhelStream>,
}

/// Where a fix comes from when it is not the distribution's ordinary updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixChannel {
    /// Ubuntu Pro's Expanded Security Maintenance (`Ubuntu:Pro:<release>:LTS` records): the
    /// only stream with fixes for an Ubuntu LTS release after its standard support.
    UbuntuPro,
    /// Red Hat's Extended Life-cycle Support (`rhel_els:<major>` records), the add-on that
    /// continues a major release's updates after its maintenance phase.
    RedHatEls,
}

impl FixChannel {
    /// How users know it: "available with {label}".
    pub fn label(self) -> &'static str {
        match self {
            FixChannel::UbuntuPro => "Ubuntu Pro (ESM)",
            FixChannel::RedHatEls => "Red Hat ELS",
        }
    }

    /// What reports add after the fix advice: ` (available with Ubuntu Pro (ESM))` after an
    /// upgrade, `, even with Ubuntu Pro (ESM)` after "no fixed version known".
    pub fn advice_suffix(channel: Option<FixChannel>, has_fix: bool) -> String {
        match (channel, has_fix) {
            (None, _) => String::new(),
            (Some(c), true) => format!(" (available with {})", c.label()),
            (Some(c), false) => format!(", even with {}", c.label()),
        }
    }
}

/// A Red Hat Enterprise Linux extended update stream of one minor release: Extended Update
/// Support, Advanced Update Support, Update Services for SAP Solutions (E4S) or Telecommunications
/// Update Service. Written `eus-8.6`, `aus-8.4`, `e4s-9.0`, `tus-8.8` (the OSV product
/// `rhel_eus:8.6` and friends).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RhelStream {
    /// `eus`, `aus`, `e4s` or `tus`.
    kind: &'static str,
    /// `8`.
    major: String,
    /// `6`.
    minor: String,
}

/// The extended streams, as the config spells them.
const RHEL_STREAM_KINDS: [&str; 4] = ["eus", "aus", "e4s", "tus"];

impl std::str::FromStr for RhelStream {
    type Err = String;

    /// Parses `eus-8.6` (case-insensitive; `rhel_eus:8.6` and `rhel-eus-8.6` also read).
    fn from_str(text: &str) -> Result<RhelStream, String> {
        let lower = text.trim().to_ascii_lowercase();
        let bare = lower
            .strip_prefix("rhel_")
            .or_else(|| lower.strip_prefix("rhel-"));
        let bare = bare.unwrap_or(&lower);
        let invalid = || {
            format!(
                "`{}` is not a Red Hat extended stream; hint: `eus-8.6`, `aus-8.4`, `e4s-9.0` \
                 or `tus-8.8` (the stream and the minor release the system is on)",
                text.chars().take(60).collect::<String>()
            )
        };
        let (kind, version) = bare.split_once(['-', ':']).ok_or_else(invalid)?;
        let kind = RHEL_STREAM_KINDS
            .into_iter()
            .find(|k| *k == kind)
            .ok_or_else(invalid)?;
        let (major, minor) = version.split_once('.').ok_or_else(invalid)?;
        let number =
            |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
        if !number(major) || !number(minor) {
            return Err(invalid());
        }
        Ok(RhelStream {
            kind,
            major: major.to_owned(),
            minor: minor.to_owned(),
        })
    }
}

impl std::fmt::Display for RhelStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}.{}", self.kind, self.major, self.minor)
    }
}

impl RhelStream {
    /// The major release it belongs to (`8`).
    pub fn major(&self) -> &str {
        &self.major
    }

    /// Whether an OSV Red Hat product and version (`rhel_eus`, `8.6`) is this stream.
    fn is(&self, product: &str, version: &str) -> bool {
        product.strip_prefix("rhel_") == Some(self.kind)
            && version.split_once('.') == Some((self.major.as_str(), self.minor.as_str()))
    }
}

/// Red Hat OSV products of a major release's main stream: `enterprise_linux:<major>` and its
/// paid continuation `rhel_els:<major>`. The per-minor extended streams (`rhel_eus`,
/// `rhel_aus`, `rhel_e4s`, `rhel_tus`) apply only to a system on them ([`RhelStream`]).
/// Layered products (`satellite`, `openshift`, `openstack`, `rhev_hypervisor`,
/// `openjdk_els`, software collections, ...) ship their own builds and are not installed by
/// being on RHEL, so their records do not apply to a plain RHEL package.
const MAIN_STREAM_PRODUCTS: [&str; 2] = ["enterprise_linux", "rhel_els"];

impl PackageId {
    /// Whether an OSV ecosystem string (`Debian:12`, `Alpine:v3.20`,
    /// `Red Hat:enterprise_linux:8::appstream`, `Ubuntu:22.04:LTS`, `Ubuntu:Pro:16.04:LTS`)
    /// applies to this package's release and stream. Ecosystems without releases match their
    /// bare name. A distro package whose release is unknown matches no release-specific record.
    ///
    /// - Ubuntu: `Ubuntu:<release>`, `Ubuntu:<release>:LTS` and `Ubuntu:Pro:<release>:LTS`
    ///   match. Pro (ESM) records are the same release's packages: for 14.04 and 16.04
    ///   Canonical publishes advisories only there, and the package is affected whether or
    ///   not the host has Pro; the fix is "available with Ubuntu Pro (ESM)" (see
    ///   [`PackageId::fix_channel`]). Other Pro streams (`Pro:FIPS:…`, `Pro:FIPS-updates:…`,
    ///   `Pro:Realtime:…`) ship their own builds and do not match.
    /// - Red Hat: the system's stream decides. On the main stream (no [`Self::rhel_stream`])
    ///   `enterprise_linux:<major>` records match, and `rhel_els:<major>` (the paid
    ///   continuation of the main stream); on an extended stream (`eus-8.6`) only that
    ///   stream's records (`rhel_eus:8.6::…`). Per-minor extended streams ship builds a
    ///   main-stream system cannot install (`1:6.1.2-11.el8_8.1` is no fix for RHEL 8.10),
    ///   and the main stream's fixes are not what an EUS system installs. Other products
    ///   (`satellite`, `openshift`, ...) never match.
    /// - AlmaLinux, Rocky Linux: the major version of the suffix.
    pub fn osv_ecosystem_matches(&self, osv_ecosystem: &str) -> bool {
        let Some((eco, suffix)) = Ecosystem::from_osv(osv_ecosystem) else {
            return false;
        };
        if eco != self.ecosystem {
            return false;
        }
        if !is_distro(eco) {
            return suffix.is_none();
        }
        let (Some(release), Some(suffix)) = (self.release.as_deref(), suffix) else {
            return false;
        };
        match eco {
            Ecosystem::Debian | Ecosystem::Alpine => suffix == release,
            Ecosystem::Ubuntu => {
                let suffix = suffix.strip_prefix("Pro:").unwrap_or(suffix);
                let mut parts = suffix.split(':');
                parts.next() == Some(release) && parts.all(|p| p == "LTS")
            }
            Ecosystem::RedHat => {
                let mut parts = suffix.split(':');
                let product = parts.next().unwrap_or_default();
                let version = parts.next().unwrap_or_default();
                match &self.rhel_stream {
                    None => MAIN_STREAM_PRODUCTS.contains(&product) && version == release,
                    Some(stream) => stream.major() == release && stream.is(product, version),
                }
            }
            Ecosystem::AlmaLinux | Ecosystem::Rocky => major(suffix) == release,
            _ => false,
        }
    }

    /// The channel a fix from a matching OSV ecosystem comes through, when it is not the
    /// release's ordinary updates: Ubuntu Pro (ESM) for `Ubuntu:Pro:…`, Red Hat ELS for
    /// `rhel_els:…`. Only meaningful where [`Self::osv_ecosystem_matches`] holds.
    pub fn fix_channel(&self, osv_ecosystem: &str) -> Option<FixChannel> {
        match Ecosystem::from_osv(osv_ecosystem)? {
            (Ecosystem::Ubuntu, Some(suffix)) if suffix.starts_with("Pro:") => {
                Some(FixChannel::UbuntuPro)
            }
            (Ecosystem::RedHat, Some(suffix)) if suffix.starts_with("rhel_els:") => {
                Some(FixChannel::RedHatEls)
            }
            _ => None,
        }
    }
}

fn is_distro(eco: Ecosystem) -> bool {
    matches!(
        eco,
        Ecosystem::Debian
            | Ecosystem::Ubuntu
            | Ecosystem::Alpine
            | Ecosystem::RedHat
            | Ecosystem::AlmaLinux
            | Ecosystem::Rocky
    )
}

/// `8.10` -> `8`.
fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or_default()
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
///
/// Distro namespaces: `deb/debian`, `deb/ubuntu`, `apk/alpine` (and syft's old
/// `pkg:alpine/...`), `rpm/redhat` (also `rhel`), `rpm/almalinux` (trivy: `alma`),
/// `rpm/rocky`. `rpm/centos` is treated as Red Hat, as grype and trivy do: CentOS rebuilds
/// RHEL sources with the same versions, so RHEL's fixed versions apply (CentOS 7 -> RHEL 7).
///
/// The release comes from the `distro` qualifier (`debian-12.15` -> `12`, `ubuntu-22.04` ->
/// `22.04`, `alpine-3.20.3` or bare `3.20.3` -> `v3.20`, `redhat-8.10` -> `8`,
/// `centos-7.9.2009` -> `7`, codenames such as `bookworm` or `trusty/esm`), else from `os`
/// when its name is the same distribution. `None` when neither gives one.
pub fn identify(purl: &Purl, os: Option<(&str, &str)>) -> Result<PackageId, IdentifyError> {
    let namespace = purl.namespace.as_deref().unwrap_or_default();
    let joined = |sep: &str| {
        if namespace.is_empty() {
            purl.name.clone()
        } else {
            format!("{namespace}{sep}{}", purl.name)
        }
    };
    let (ecosystem, name) = match purl.ty.as_str() {
        "npm" => {
            let name = match namespace {
                "" => purl.name.clone(),
                ns if ns.starts_with('@') => format!("{ns}/{}", purl.name),
                ns => format!("@{ns}/{}", purl.name),
            };
            (Ecosystem::Npm, name)
        }
        "pypi" => (Ecosystem::PyPI, purl.name.clone()),
        "maven" => (Ecosystem::Maven, joined(":")),
        "golang" => (Ecosystem::Go, joined("/")),
        "cargo" => (Ecosystem::Cargo, purl.name.clone()),
        "gem" => (Ecosystem::RubyGems, purl.name.clone()),
        "nuget" => (Ecosystem::NuGet, purl.name.clone()),
        "composer" => (Ecosystem::Packagist, joined("/")),
        "pub" => (Ecosystem::Pub, purl.name.clone()),
        "deb" | "apk" | "alpine" | "rpm" => {
            let distro = if purl.ty == "alpine" {
                "alpine".to_string()
            } else if namespace.is_empty() {
                // No namespace: fall back to the OS the SBOM names.
                os.map(|(n, _)| n.to_ascii_lowercase()).unwrap_or_default()
            } else {
                namespace.to_ascii_lowercase()
            };
            let ecosystem = distro_ecosystem(&purl.ty, &distro).ok_or_else(|| {
                IdentifyError::UnsupportedDistro(if distro.is_empty() {
                    "unknown".to_string()
                } else {
                    distro.clone()
                })
            })?;
            (ecosystem, purl.name.clone())
        }
        other => return Err(IdentifyError::UnsupportedType(other.to_string())),
    };
    if purl.version.as_deref().is_none_or(str::is_empty) {
        return Err(IdentifyError::NoVersion);
    }
    let release = if is_distro(ecosystem) {
        purl.qualifier("distro")
            .and_then(|d| release_from_distro(ecosystem, d))
            .or_else(|| {
                let (os_name, os_version) = os?;
                let os_name = os_name.to_ascii_lowercase();
                let same = ["deb", "apk", "rpm"]
                    .iter()
                    .any(|ty| distro_ecosystem(ty, &os_name) == Some(ecosystem));
                same.then(|| release_from_version(ecosystem, os_version))
                    .flatten()
            })
    } else {
        None
    };
    Ok(PackageId {
        ecosystem,
        name,
        release,
        rhel_stream: None,
    })
}

/// The ecosystem of a distro purl type + namespace (or trivy/syft OS component name).
fn distro_ecosystem(ty: &str, distro: &str) -> Option<Ecosystem> {
    match (ty, distro) {
        ("deb", "debian") => Some(Ecosystem::Debian),
        ("deb", "ubuntu") => Some(Ecosystem::Ubuntu),
        ("apk" | "alpine", "alpine") => Some(Ecosystem::Alpine),
        ("rpm", "redhat" | "rhel" | "centos") => Some(Ecosystem::RedHat),
        ("rpm", "almalinux" | "alma") => Some(Ecosystem::AlmaLinux),
        ("rpm", "rocky" | "rockylinux" | "rocky-linux") => Some(Ecosystem::Rocky),
        _ => None,
    }
}

/// The release in a `distro` qualifier: `debian-12.15`, `alpine-3.20.3`, `3.16.0`,
/// `centos-7.9.2009`, `bookworm`, `trusty/esm`.
fn release_from_distro(ecosystem: Ecosystem, distro: &str) -> Option<String> {
    let distro = distro.trim().to_ascii_lowercase();
    // The version starts at the first digit that begins the string or follows a `-`.
    let start = distro
        .char_indices()
        .find(|&(i, c)| c.is_ascii_digit() && (i == 0 || distro[..i].ends_with('-')))
        .map(|(i, _)| i);
    match start {
        Some(i) => release_from_version(ecosystem, &distro[i..]),
        None => {
            let codename = distro.rsplit('-').next().unwrap_or_default();
            let codename = codename.split('/').next().unwrap_or_default();
            release_from_codename(ecosystem, codename)
        }
    }
}

/// The release for an OS version (`12.15` -> `12`, `22.04` -> `22.04`, `3.20.3` -> `v3.20`).
fn release_from_version(ecosystem: Ecosystem, version: &str) -> Option<String> {
    let mut parts = version.trim().split(['.', '-', '_', '/']);
    let numeric = |s: Option<&str>| {
        s.filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string)
    };
    let first = numeric(parts.next());
    let Some(first) = first else {
        // trivy may write a codename, e.g. `bookworm/sid`.
        let codename = version.trim().to_ascii_lowercase();
        let codename = codename.split('/').next().unwrap_or_default();
        return release_from_codename(ecosystem, codename);
    };
    match ecosystem {
        Ecosystem::Debian | Ecosystem::RedHat | Ecosystem::AlmaLinux | Ecosystem::Rocky => {
            Some(first)
        }
        Ecosystem::Ubuntu => {
            let second = numeric(parts.next())?;
            Some(format!("{first}.{second}"))
        }
        Ecosystem::Alpine => {
            let second = numeric(parts.next())?;
            Some(format!("v{first}.{second}"))
        }
        _ => None,
    }
}

/// Debian and Ubuntu codenames (as syft and the Ubuntu tracker write them) -> release.
fn release_from_codename(ecosystem: Ecosystem, codename: &str) -> Option<String> {
    let release = match (ecosystem, codename) {
        (Ecosystem::Debian, "jessie") => "8",
        (Ecosystem::Debian, "stretch") => "9",
        (Ecosystem::Debian, "buster") => "10",
        (Ecosystem::Debian, "bullseye") => "11",
        (Ecosystem::Debian, "bookworm") => "12",
        (Ecosystem::Debian, "trixie") => "13",
        (Ecosystem::Debian, "forky") => "14",
        (Ecosystem::Ubuntu, "trusty") => "14.04",
        (Ecosystem::Ubuntu, "xenial") => "16.04",
        (Ecosystem::Ubuntu, "bionic") => "18.04",
        (Ecosystem::Ubuntu, "focal") => "20.04",
        (Ecosystem::Ubuntu, "jammy") => "22.04",
        (Ecosystem::Ubuntu, "noble") => "24.04",
        (Ecosystem::Ubuntu, "oracular") => "24.10",
        (Ecosystem::Ubuntu, "plucky") => "25.04",
        (Ecosystem::Ubuntu, "questing") => "25.10",
        _ => return None,
    };
    Some(release.to_string())
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

    fn purl(
        ty: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
        qualifiers: &[(&str, &str)],
        subpath: Option<&str>,
    ) -> Purl {
        Purl {
            ty: ty.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
            version: version.map(str::to_string),
            qualifiers: qualifiers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            subpath: subpath.map(str::to_string),
        }
    }

    /// Real purls from trivy, syft, cdxgen, cyclonedx-* SBOMs and OSV distro records parse
    /// into the spec's components.
    #[test]
    fn parses_real_purls() {
        let cases = [
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                purl(
                    "maven",
                    Some("org.apache.logging.log4j"),
                    "log4j-core",
                    Some("2.14.1"),
                    &[],
                    None,
                ),
            ),
            (
                "pkg:npm/%40babel/core@7.0.0",
                purl("npm", Some("@babel"), "core", Some("7.0.0"), &[], None),
            ),
            (
                "pkg:npm/@babel/core@7.0.0",
                purl("npm", Some("@babel"), "core", Some("7.0.0"), &[], None),
            ),
            (
                "pkg:npm/%40angular/core@17.1.2#packages/core",
                purl(
                    "npm",
                    Some("@angular"),
                    "core",
                    Some("17.1.2"),
                    &[],
                    Some("packages/core"),
                ),
            ),
            (
                "pkg:golang/github.com/docker/docker@v20.10.0+incompatible",
                purl(
                    "golang",
                    Some("github.com/docker"),
                    "docker",
                    Some("v20.10.0+incompatible"),
                    &[],
                    None,
                ),
            ),
            (
                "pkg:golang/github.com/elastic/harp@v0.2.10?type=module#cmd/harp",
                purl(
                    "golang",
                    Some("github.com/elastic"),
                    "harp",
                    Some("v0.2.10"),
                    &[("type", "module")],
                    Some("cmd/harp"),
                ),
            ),
            (
                "pkg:rpm/redhat/openssl-libs@1.1.1k-12.el8_9?arch=x86_64&epoch=1&distro=redhat-8.10",
                purl(
                    "rpm",
                    Some("redhat"),
                    "openssl-libs",
                    Some("1.1.1k-12.el8_9"),
                    &[
                        ("arch", "x86_64"),
                        ("distro", "redhat-8.10"),
                        ("epoch", "1"),
                    ],
                    None,
                ),
            ),
            (
                "pkg:deb/ubuntu/gnupg?arch=src?distro=trusty/esm",
                purl(
                    "deb",
                    Some("ubuntu"),
                    "gnupg",
                    None,
                    &[("arch", "src"), ("distro", "trusty/esm")],
                    None,
                ),
            ),
            (
                "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12.15",
                purl(
                    "deb",
                    Some("debian"),
                    "bash",
                    Some("5.2.15-2+b13"),
                    &[("arch", "amd64"), ("distro", "debian-12.15")],
                    None,
                ),
            ),
            (
                "pkg:deb/debian/bsdutils@1:2.36.1-8+deb11u1?arch=amd64&upstream=util-linux%402.36.1-8+deb11u1&distro=debian-11",
                purl(
                    "deb",
                    Some("debian"),
                    "bsdutils",
                    Some("1:2.36.1-8+deb11u1"),
                    &[
                        ("arch", "amd64"),
                        ("distro", "debian-11"),
                        ("upstream", "util-linux@2.36.1-8+deb11u1"),
                    ],
                    None,
                ),
            ),
            (
                "pkg:cargo/wasi@0.11.0%2Bwasi-snapshot-preview1",
                purl(
                    "cargo",
                    None,
                    "wasi",
                    Some("0.11.0+wasi-snapshot-preview1"),
                    &[],
                    None,
                ),
            ),
            (
                "pkg:oci/backend@sha256:bbbe815b?arch=amd64&repository_url=index.docker.io%2Fcloud-native-devops-platform%2Fbackend",
                purl(
                    "oci",
                    None,
                    "backend",
                    Some("sha256:bbbe815b"),
                    &[
                        ("arch", "amd64"),
                        (
                            "repository_url",
                            "index.docker.io/cloud-native-devops-platform/backend",
                        ),
                    ],
                    None,
                ),
            ),
            (
                "pkg:apk/alpine/musl@1.2.3-r0?distro=3.16.0",
                purl(
                    "apk",
                    Some("alpine"),
                    "musl",
                    Some("1.2.3-r0"),
                    &[("distro", "3.16.0")],
                    None,
                ),
            ),
            (
                "pkg:alpine/busybox@1.35.0-r17?arch=x86_64&upstream=busybox&distro=alpine-3.16.2",
                purl(
                    "alpine",
                    None,
                    "busybox",
                    Some("1.35.0-r17"),
                    &[
                        ("arch", "x86_64"),
                        ("distro", "alpine-3.16.2"),
                        ("upstream", "busybox"),
                    ],
                    None,
                ),
            ),
            (
                "pkg:composer/pear/pear_exception@v1.0.0",
                purl(
                    "composer",
                    Some("pear"),
                    "pear_exception",
                    Some("v1.0.0"),
                    &[],
                    None,
                ),
            ),
            (
                "pkg:maven/cglib/cglib-nodep@3.3.0?type=jar",
                purl(
                    "maven",
                    Some("cglib"),
                    "cglib-nodep",
                    Some("3.3.0"),
                    &[("type", "jar")],
                    None,
                ),
            ),
            (
                "pkg:nuget/runtime.unix.System.Runtime.Extensions@4.3.0",
                purl(
                    "nuget",
                    None,
                    "runtime.unix.System.Runtime.Extensions",
                    Some("4.3.0"),
                    &[],
                    None,
                ),
            ),
            (
                "pkg://PyPI/Django@1.11.1?Repository_URL=x",
                purl(
                    "pypi",
                    None,
                    "Django",
                    Some("1.11.1"),
                    &[("repository_url", "x")],
                    None,
                ),
            ),
            (
                "pkg:deb/debian/openssl?arch=source",
                purl(
                    "deb",
                    Some("debian"),
                    "openssl",
                    None,
                    &[("arch", "source")],
                    None,
                ),
            ),
            (
                "pkg:generic/bad%zzname@1%",
                purl("generic", None, "bad%zzname", Some("1%"), &[], None),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(Purl::parse(input), Ok(want), "{input}");
        }
    }

    /// Inputs that are not purls fail with a short reason, never a panic.
    #[test]
    fn rejects_non_purls() {
        let cases = [
            ("", "missing `pkg:` scheme"),
            ("npm/left-pad@1.0.0", "missing `pkg:` scheme"),
            ("http://example.com/x", "scheme is not `pkg:`"),
            ("pkg:npm", "missing name"),
            ("pkg:npm/", "missing name"),
            ("pkg:npm/@1.0.0", "missing name"),
            ("pkg:/left-pad", "missing name"),
            ("pkg:-x/left-pad", "type is empty or not alphanumeric"),
            ("pkg:n%70m/left-pad", "type is empty or not alphanumeric"),
            ("pkg:1npm/left-pad", "type is empty or not alphanumeric"),
            ("pkg:npm/%ff%fe@1", "percent-encoded bytes are not UTF-8"),
        ];
        for (input, reason) in cases {
            assert_eq!(Purl::parse(input), Err(PurlError::new(reason)), "{input}");
        }
    }

    /// An SBOM's OS component: (name, version).
    type Os = (&'static str, &'static str);

    fn id(ecosystem: Ecosystem, name: &str, release: Option<&str>) -> PackageId {
        PackageId {
            ecosystem,
            name: name.to_string(),
            release: release.map(str::to_string),
            rhel_stream: None,
        }
    }

    /// Each purl type maps to its ecosystem, OSV package name and release; the release comes
    /// from the `distro` qualifier, else from the SBOM's OS component.
    #[test]
    fn identifies_packages() {
        use Ecosystem::*;
        let debian = Some(("debian", "12.15"));
        let cases: Vec<(&str, Option<Os>, PackageId)> = vec![
            (
                "pkg:npm/%40babel/core@7.0.0",
                None,
                id(Npm, "@babel/core", None),
            ),
            (
                "pkg:npm/babel/core@7.0.0",
                None,
                id(Npm, "@babel/core", None),
            ),
            ("pkg:npm/jquery@3.3.1", debian, id(Npm, "jquery", None)),
            ("pkg:pypi/Django@4.2", None, id(PyPI, "Django", None)),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                None,
                id(Maven, "org.apache.logging.log4j:log4j-core", None),
            ),
            (
                "pkg:golang/github.com/docker/docker@v20.10.0+incompatible",
                None,
                id(Go, "github.com/docker/docker", None),
            ),
            ("pkg:golang/stdlib@v1.22.0", None, id(Go, "stdlib", None)),
            (
                "pkg:cargo/zstd@0.11.2%2Bzstd.1.5.2",
                None,
                id(Cargo, "zstd", None),
            ),
            (
                "pkg:gem/actioncable@6.0.0",
                None,
                id(RubyGems, "actioncable", None),
            ),
            (
                "pkg:nuget/System.Text.Json@4.3.0",
                None,
                id(NuGet, "System.Text.Json", None),
            ),
            (
                "pkg:composer/pear/log@1.13.1",
                None,
                id(Packagist, "pear/log", None),
            ),
            (
                "pkg:pub/window_manager@0.3.9",
                None,
                id(Pub, "window_manager", None),
            ),
            (
                "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12.15",
                None,
                id(Debian, "bash", Some("12")),
            ),
            (
                "pkg:deb/debian/bash@5.2.15-2",
                debian,
                id(Debian, "bash", Some("12")),
            ),
            (
                "pkg:deb/debian/bash@5.2.15-2?distro=bookworm",
                None,
                id(Debian, "bash", Some("12")),
            ),
            (
                "pkg:deb/debian/bash@5.2.15-2",
                Some(("ubuntu", "22.04")),
                id(Debian, "bash", None),
            ),
            (
                "pkg:deb/ubuntu/gnupg@1.4?distro=ubuntu-22.04",
                None,
                id(Ubuntu, "gnupg", Some("22.04")),
            ),
            (
                "pkg:deb/ubuntu/gnupg@1.4?arch=src?distro=trusty/esm",
                None,
                id(Ubuntu, "gnupg", Some("14.04")),
            ),
            (
                "pkg:apk/alpine/musl@1.2.3-r0?distro=alpine-3.20.3",
                None,
                id(Alpine, "musl", Some("v3.20")),
            ),
            (
                "pkg:apk/alpine/musl@1.2.3-r0?distro=3.16.0",
                None,
                id(Alpine, "musl", Some("v3.16")),
            ),
            (
                "pkg:alpine/busybox@1.35.0-r17?distro=alpine-3.16.2",
                None,
                id(Alpine, "busybox", Some("v3.16")),
            ),
            (
                "pkg:rpm/redhat/openssl-libs@1.1.1k-12.el8_9?arch=x86_64&epoch=1&distro=redhat-8.10",
                None,
                id(RedHat, "openssl-libs", Some("8")),
            ),
            (
                "pkg:rpm/redhat/bash@4.4?distro=rhel-8",
                None,
                id(RedHat, "bash", Some("8")),
            ),
            (
                "pkg:rpm/centos/bash@4.2.46-31.el7?arch=x86_64&distro=centos-7.6.1810",
                None,
                id(RedHat, "bash", Some("7")),
            ),
            (
                "pkg:rpm/almalinux/bash@5.1?distro=almalinux-9.4",
                None,
                id(AlmaLinux, "bash", Some("9")),
            ),
            (
                "pkg:rpm/rocky/bash@5.1?distro=rocky-9.3",
                None,
                id(Rocky, "bash", Some("9")),
            ),
            // Purls as the OSV records write them.
            (
                "pkg:rpm/rocky-linux/gtk3@3.22?distro=rocky-linux-8-5-legacy&epoch=0",
                None,
                id(Rocky, "gtk3", Some("8")),
            ),
            (
                "pkg:deb/ubuntu/shadow@1:4.13+dfsg1-4ubuntu3.2?arch=source&distro=noble",
                None,
                id(Ubuntu, "shadow", Some("24.04")),
            ),
            (
                "pkg:rpm/alma/bash@5.1",
                Some(("alma", "8.9")),
                id(AlmaLinux, "bash", Some("8")),
            ),
        ];
        for (input, os, want) in cases {
            let purl = Purl::parse(input).expect("test purl parses");
            assert_eq!(identify(&purl, os), Ok(want), "{input}");
        }
    }

    /// Types and distros without data, and purls without a version, are told apart.
    #[test]
    fn identify_rejects() {
        let cases = [
            (
                "pkg:oci/backend@sha256:bb",
                IdentifyError::UnsupportedType("oci".into()),
            ),
            (
                "pkg:github/actions/checkout@v4",
                IdentifyError::UnsupportedType("github".into()),
            ),
            (
                "pkg:conda/numpy@1.26",
                IdentifyError::UnsupportedType("conda".into()),
            ),
            (
                "pkg:generic/openssl@3.0",
                IdentifyError::UnsupportedType("generic".into()),
            ),
            (
                "pkg:rpm/amazon/bash@4.2",
                IdentifyError::UnsupportedDistro("amazon".into()),
            ),
            (
                "pkg:apk/wolfi/glibc@2.39",
                IdentifyError::UnsupportedDistro("wolfi".into()),
            ),
            (
                "pkg:deb/bash@5.2",
                IdentifyError::UnsupportedDistro("unknown".into()),
            ),
            ("pkg:npm/left-pad", IdentifyError::NoVersion),
            (
                "pkg:deb/debian/openssl?arch=source",
                IdentifyError::NoVersion,
            ),
        ];
        for (input, want) in cases {
            let purl = Purl::parse(input).expect("test purl parses");
            assert_eq!(identify(&purl, None), Err(want), "{input}");
        }
    }

    /// Release-specific OSV ecosystems, as they occur in the Debian, Ubuntu, Alpine, Red Hat,
    /// AlmaLinux and Rocky Linux OSV data, apply to the right releases only.
    #[test]
    fn osv_ecosystems_match_releases() {
        use Ecosystem::*;
        let cases = [
            (id(Npm, "x", None), "npm", true),
            (id(Npm, "x", None), "npm:foo", false),
            (id(Npm, "x", None), "PyPI", false),
            (id(Cargo, "x", None), "crates.io", true),
            (id(Debian, "x", Some("12")), "Debian:12", true),
            (id(Debian, "x", Some("12")), "Debian:11", false),
            (id(Debian, "x", Some("12")), "Debian", false),
            (id(Debian, "x", None), "Debian:12", false),
            (id(Debian, "x", Some("12")), "Ubuntu:12", false),
            (id(Ubuntu, "x", Some("22.04")), "Ubuntu:22.04:LTS", true),
            (id(Ubuntu, "x", Some("22.04")), "Ubuntu:22.04", true),
            (id(Ubuntu, "x", Some("25.10")), "Ubuntu:25.10", true),
            (id(Ubuntu, "x", Some("20.04")), "Ubuntu:22.04:LTS", false),
            // Pro (ESM) is the same release; Pro's FIPS and Realtime streams are not.
            (id(Ubuntu, "x", Some("16.04")), "Ubuntu:Pro:16.04:LTS", true),
            (
                id(Ubuntu, "x", Some("14.04")),
                "Ubuntu:Pro:16.04:LTS",
                false,
            ),
            (
                id(Ubuntu, "x", Some("16.04")),
                "Ubuntu:Pro:FIPS:16.04:LTS",
                false,
            ),
            (
                id(Ubuntu, "x", Some("18.04")),
                "Ubuntu:Pro:FIPS-updates:18.04:LTS",
                false,
            ),
            (id(Ubuntu, "x", Some("16.04")), "Ubuntu:16.04:LTS", true),
            (id(Alpine, "x", Some("v3.20")), "Alpine:v3.20", true),
            (id(Alpine, "x", Some("v3.20")), "Alpine:v3.2", false),
            (
                id(RedHat, "x", Some("8")),
                "Red Hat:enterprise_linux:8::baseos",
                true,
            ),
            (
                id(RedHat, "x", Some("8")),
                "Red Hat:enterprise_linux:8::appstream",
                true,
            ),
            // Per-minor extended streams are not the main stream's.
            (
                id(RedHat, "x", Some("8")),
                "Red Hat:rhel_aus:8.4::appstream",
                false,
            ),
            (
                id(RedHat, "x", Some("8")),
                "Red Hat:rhel_eus:8.6::crb",
                false,
            ),
            (id(RedHat, "x", Some("7")), "Red Hat:rhel_els:7", true),
            (
                id(RedHat, "x", Some("8")),
                "Red Hat:enterprise_linux:9::baseos",
                false,
            ),
            (
                id(RedHat, "x", Some("8")),
                "Red Hat:satellite:6.13::el8",
                false,
            ),
            (
                id(RedHat, "x", Some("8")),
                "Red Hat:openjdk_els:11::el8",
                false,
            ),
            (
                id(RedHat, "x", Some("6")),
                "Red Hat:rhel_eus:6.2::server",
                false,
            ),
            (
                id(RedHat, "x", None),
                "Red Hat:enterprise_linux:8::baseos",
                false,
            ),
            (id(AlmaLinux, "x", Some("8")), "AlmaLinux:8", true),
            (id(AlmaLinux, "x", Some("8")), "AlmaLinux:9", false),
            (id(Rocky, "x", Some("9")), "Rocky Linux:9", true),
            (id(Rocky, "x", Some("9")), "Rocky Linux:8", false),
            (id(Rocky, "x", Some("9")), "SUSE:Linux Enterprise:15", false),
        ];
        for (pkg, osv, want) in cases {
            assert_eq!(pkg.osv_ecosystem_matches(osv), want, "{pkg:?} vs {osv}");
        }
    }

    /// A system on an extended Red Hat stream matches that stream's records only (real
    /// ecosystems of RHSA-2024:1102, RHSA-2024:1412, RHSA-2024:3214, gmp CVE-2021-43618).
    #[test]
    fn rhel_streams_match_their_own_records() {
        let on = |stream: &str, release: &str| PackageId {
            rhel_stream: Some(stream.parse().expect("valid stream")),
            ..id(Ecosystem::RedHat, "gmp", Some(release))
        };
        let cases = [
            (on("eus-8.6", "8"), "Red Hat:rhel_eus:8.6::baseos", true),
            (on("EUS-8.6", "8"), "Red Hat:rhel_eus:8.6::appstream", true),
            (
                on("rhel_eus:8.6", "8"),
                "Red Hat:rhel_eus:8.6::baseos",
                true,
            ),
            (on("eus-8.6", "8"), "Red Hat:rhel_eus:8.8::baseos", false),
            (on("eus-8.6", "8"), "Red Hat:rhel_aus:8.6::baseos", false),
            (
                on("eus-8.6", "8"),
                "Red Hat:enterprise_linux:8::baseos",
                false,
            ),
            (on("eus-8.6", "8"), "Red Hat:rhel_els:8", false),
            (on("aus-8.4", "8"), "Red Hat:rhel_aus:8.4::appstream", true),
            (on("e4s-9.0", "9"), "Red Hat:rhel_e4s:9.0::baseos", true),
            (on("tus-8.8", "8"), "Red Hat:rhel_tus:8.8::baseos", true),
            // A stream of another major release does not apply.
            (on("eus-8.6", "9"), "Red Hat:rhel_eus:8.6::baseos", false),
            (
                on("eus-8.6", "9"),
                "Red Hat:enterprise_linux:9::baseos",
                false,
            ),
        ];
        for (pkg, osv, want) in cases {
            assert_eq!(pkg.osv_ecosystem_matches(osv), want, "{pkg:?} vs {osv}");
        }
        for bad in [
            "",
            "eus",
            "eus-8",
            "els-7",
            "eus-8.x",
            "main",
            "eus-8.6.1",
            "eus-88888.6",
        ] {
            assert!(bad.parse::<RhelStream>().is_err(), "`{bad}`");
        }
        assert_eq!(
            "RHEL_AUS:8.4".parse::<RhelStream>().map(|s| s.to_string()),
            Ok("aus-8.4".to_owned())
        );
    }

    /// Fixes from Ubuntu Pro and Red Hat ELS records are marked as such.
    #[test]
    fn fix_channels() {
        let xenial = id(Ecosystem::Ubuntu, "gnupg", Some("16.04"));
        assert_eq!(
            xenial.fix_channel("Ubuntu:Pro:16.04:LTS"),
            Some(FixChannel::UbuntuPro)
        );
        assert_eq!(xenial.fix_channel("Ubuntu:16.04:LTS"), None);
        let rhel7 = id(Ecosystem::RedHat, "bash", Some("7"));
        assert_eq!(
            rhel7.fix_channel("Red Hat:rhel_els:7"),
            Some(FixChannel::RedHatEls)
        );
        assert_eq!(
            rhel7.fix_channel("Red Hat:enterprise_linux:7::server"),
            None
        );
    }
}
