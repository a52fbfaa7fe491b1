//! Component identity: package URLs and the OSV ecosystem they belong to.
//!
//! `Ecosystem` (names, normalisation) is shared with the database builder (`db/`): a change
//! to it changes what the database stores, so the two change together. Split along its seams: `purl/identify.rs` maps a purl to the
//! database's package ([`identify`]); `purl/package.rs` is the textual package key the
//! baseline, SARIF and purl scopes compare ([`PackageKey`]).

mod identify;
mod package;

pub use identify::{IdentifyError, identify};
pub use package::{PackageKey, PurlText, in_scope};

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
        // [`Ecosystem::from_osv`] narrowed to this package's ecosystem (called for every
        // affected entry of every advisory a query reads): `name` or `name:suffix`.
        let eco = self.ecosystem;
        let suffix = match osv_ecosystem.strip_prefix(eco.osv_name()) {
            Some("") => None,
            Some(rest) => match rest.strip_prefix(':') {
                Some(release) => Some(release).filter(|r| !r.is_empty()),
                None => return false,
            },
            None => return false,
        };
        self.suffix_matches(suffix)
    }

    /// The release rule of [`Self::osv_ecosystem_matches`], for an OSV ecosystem of this
    /// package's ecosystem with `suffix` after its `:` (`None`: none, or empty).
    fn suffix_matches(&self, suffix: Option<&str>) -> bool {
        let eco = self.ecosystem;
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

#[cfg(test)]
mod tests;
