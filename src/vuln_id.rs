//! Vulnerability ids: what is shaped like one ([`is_vulnerability_id`]) and what kind an id
//! is ([`VulnId`], [`IdKind`]). A leaf module: the config and trivy ignore readers, the
//! matching, enrichment and policy stages and the text escapers all ask, so none of them owns
//! it (issue 12, item 1: it lived in `config.rs`, which made `text` and `matching` import a
//! loader above them).
//!
//! Ids stay opaque strings matched across aliases (uv `crates/uv-audit/src/types.rs`,
//! `VulnerabilityID`); what kevgate needs to know about one (is it a CVE, a GHSA, an OpenSSF
//! malicious-package report, a distribution's advisory, which CVE a per-CVE distro record is
//! about) is decided here, once, from the prefix, the way rustsec's `advisory::id::Kind` does
//! (issue 12, item 4: "is this a CVE" was a prefix check in four places, two of them
//! case-sensitive). Prefixes compare ASCII case-insensitively.

use serde::Serialize;

/// What an id names, from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdKind {
    /// `CVE-2021-44228`: keys NVD, KEV and EPSS.
    Cve,
    /// `GHSA-jpcq-cgw6-v4j6`: GitHub's advisory database.
    Ghsa,
    /// `MAL-2022-1`: an OpenSSF malicious-packages report.
    Malware,
    /// A distribution's security advisory (`DSA-`, `DLA-`, `DTSA-`, `RHSA-`, `ALSA-`,
    /// `RLSA-`, `RXSA-`, `USN-`): it names the CVEs it fixes in OSV `related`, and one
    /// advisory may fix many CVEs.
    DistroAdvisory,
    /// A distribution's bug-fix or enhancement erratum (`RHBA-`, `RHEA-`, `ALBA-`, `ALEA-`,
    /// `RLBA-`, `RLEA-`): without a related CVE it is no vulnerability.
    DistroErratum,
    /// A distribution's per-CVE record (`UBUNTU-CVE-2022-3219`, `DEBIAN-CVE-2024-1234`: a
    /// word, then a CVE id): the CVE is in the id.
    DistroCve,
    /// Anything else (`PYSEC-`, `GO-`, `RUSTSEC-`, `OSV-`, `JVNDB-`, ...).
    Other,
}

/// Prefixes of distribution security advisories.
const DISTRO_ADVISORY: &[&str] = &[
    "DSA-", "DLA-", "DTSA-", "RHSA-", "ALSA-", "RLSA-", "RXSA-", "USN-",
];
/// Prefixes of distribution bug-fix and enhancement errata.
const DISTRO_ERRATUM: &[&str] = &["RHBA-", "RHEA-", "ALBA-", "ALEA-", "RLBA-", "RLEA-"];

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .map(|_| &s[prefix.len()..])
}

impl IdKind {
    /// The kind of `id`, from its prefix.
    pub fn of(id: &str) -> IdKind {
        let has = |p: &str| strip_prefix_ci(id, p).is_some();
        if has("CVE-") {
            IdKind::Cve
        } else if has("GHSA-") {
            IdKind::Ghsa
        } else if has("MAL-") {
            IdKind::Malware
        } else if DISTRO_ADVISORY.iter().any(|p| has(p)) {
            IdKind::DistroAdvisory
        } else if DISTRO_ERRATUM.iter().any(|p| has(p)) {
            IdKind::DistroErratum
        } else if id.split_once('-').is_some_and(|(distro, rest)| {
            !distro.is_empty()
                && distro.bytes().all(|b| b.is_ascii_alphabetic())
                && has_cve_prefix(rest)
        }) {
            IdKind::DistroCve
        } else {
            IdKind::Other
        }
    }

    /// A distribution's advisory or erratum: it may fix many CVEs, listed in `related`.
    pub fn is_distro_advisory(self) -> bool {
        matches!(self, IdKind::DistroAdvisory | IdKind::DistroErratum)
    }

    /// Display precedence, lower first: CVE, then GHSA, then the rest, distribution
    /// advisories last (osv-scanner `internal/identifiers/identifiers.go` orders the same way).
    pub fn rank(self) -> u8 {
        match self {
            IdKind::Cve => 0,
            IdKind::Ghsa => 1,
            IdKind::DistroAdvisory | IdKind::DistroErratum => 3,
            IdKind::Malware | IdKind::DistroCve | IdKind::Other => 2,
        }
    }
}

fn has_cve_prefix(s: &str) -> bool {
    strip_prefix_ci(s, "CVE-").is_some()
}

/// A vulnerability id with its kind, parsed once. Opaque otherwise: it compares, sorts and
/// prints as the text it was given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VulnId {
    text: String,
    kind: IdKind,
}

impl VulnId {
    /// `text` with its kind. Any text is an id (ids are opaque); [`is_vulnerability_id`]
    /// says whether it is shaped like one.
    pub fn new(text: impl Into<String>) -> VulnId {
        let text = text.into();
        VulnId {
            kind: IdKind::of(&text),
            text,
        }
    }

    /// The id as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What it names.
    pub fn kind(&self) -> IdKind {
        self.kind
    }

    /// Whether it is a CVE id.
    pub fn is_cve(&self) -> bool {
        self.kind == IdKind::Cve
    }

    /// The CVE the id is (upper-cased), or the one a per-CVE distro record is about
    /// (`UBUNTU-CVE-2022-3219` -> `CVE-2022-3219`); `None` for every other kind.
    pub fn cve(&self) -> Option<String> {
        cve_of(&self.text)
    }

    /// The sort key for display precedence ([`IdKind::rank`], then the text).
    pub fn display_key(&self) -> (u8, &str) {
        (self.kind.rank(), &self.text)
    }
}

/// The CVE `id` is or is about (see [`VulnId::cve`]), upper-cased, without allocating a
/// [`VulnId`].
pub fn cve_of(id: &str) -> Option<String> {
    match IdKind::of(id) {
        IdKind::Cve => Some(id.to_ascii_uppercase()),
        IdKind::DistroCve => {
            let at = id.find('-')? + 1;
            Some(id[at..].to_ascii_uppercase())
        }
        _ => None,
    }
}

impl std::fmt::Display for VulnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::ops::Deref for VulnId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for VulnId {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl PartialEq<str> for VulnId {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for VulnId {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl From<String> for VulnId {
    fn from(text: String) -> VulnId {
        VulnId::new(text)
    }
}

impl From<&str> for VulnId {
    fn from(text: &str) -> VulnId {
        VulnId::new(text)
    }
}

impl Serialize for VulnId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Whether `s` is shaped like a vulnerability id (`CVE-2021-44228`, `GHSA-jpcq-cgw6-v4j6`,
/// `RHSA-2021:1234`, `openSUSE-SU-2024:1234-1`, `MAL-2022-1`): a prefix of 2 to 16 ASCII
/// letters, then `-`-separated parts of at most 16 ASCII letters, digits, `.`, `_` and `:`
/// (a `:` followed by a digit), with a digit somewhere, at most 64 characters. Notes quote an ignore's id only when it has this shape,
/// so a policy file that is not one (an environment dump, a key) never reaches a report.
pub fn is_vulnerability_id(s: &str) -> bool {
    let Some((prefix, rest)) = s.split_once('-') else {
        return false;
    };
    s.len() <= 64
        && (2..=16).contains(&prefix.len())
        && prefix.bytes().all(|b| b.is_ascii_alphabetic())
        && rest.split('-').all(|part| {
            // Parts of real ids are short (`2021`, `jpcq`, `2021:1234`, `0000000`), and a `:`
            // only ever separates numbers: a 24-character secret part (a Slack token's) or
            // `CVE-1:token` is no id.
            !part.is_empty()
                && part.len() <= 16
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':'))
                && part
                    .split(':')
                    .skip(1)
                    .all(|after| after.bytes().next().is_some_and(|b| b.is_ascii_digit()))
        })
        && rest.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind kevgate branches on is recognised from the prefix, in any ASCII case, and
    /// a per-CVE distro record names its CVE.
    #[test]
    fn kinds_from_real_ids() {
        use IdKind::*;
        let table: &[(&str, IdKind, Option<&str>)] = &[
            ("CVE-2021-44228", Cve, Some("CVE-2021-44228")),
            ("cve-2021-44228", Cve, Some("CVE-2021-44228")),
            ("GHSA-jpcq-cgw6-v4j6", Ghsa, None),
            ("ghsa-jpcq-cgw6-v4j6", Ghsa, None),
            ("MAL-2022-1", Malware, None),
            ("mal-2024-2929", Malware, None),
            ("DSA-5514-1", DistroAdvisory, None),
            ("DLA-3682-1", DistroAdvisory, None),
            ("DTSA-1-1", DistroAdvisory, None),
            ("RHSA-2021:1234", DistroAdvisory, None),
            ("ALSA-2024:0001", DistroAdvisory, None),
            ("RLSA-2024:0001", DistroAdvisory, None),
            ("RXSA-2024:0001", DistroAdvisory, None),
            ("USN-6000-1", DistroAdvisory, None),
            ("RHBA-2024:0001", DistroErratum, None),
            ("RHEA-2024:0001", DistroErratum, None),
            ("ALBA-2024:0001", DistroErratum, None),
            ("RLEA-2024:0001", DistroErratum, None),
            ("UBUNTU-CVE-2022-3219", DistroCve, Some("CVE-2022-3219")),
            ("DEBIAN-CVE-2024-1234", DistroCve, Some("CVE-2024-1234")),
            ("DEBIAN-DSA-5514-1", Other, None),
            ("PYSEC-2021-1", Other, None),
            ("GO-2022-0001", Other, None),
            ("RUSTSEC-2021-0001", Other, None),
            ("JVNDB-2021-000001", Other, None),
            ("CVE", Other, None),
            ("CVE2021-1", Other, None),
            ("", Other, None),
            // A multi-byte character where the prefix would end is no panic.
            ("CV\u{e9}-1", Other, None),
        ];
        for &(text, kind, cve) in table {
            let id = VulnId::new(text);
            assert_eq!(id.kind(), kind, "{text}");
            assert_eq!(id.cve().as_deref(), cve, "{text}");
            assert_eq!(id.is_cve(), kind == Cve, "{text}");
            assert_eq!(id.as_str(), text);
            assert_eq!(id.to_string(), text);
        }
    }

    /// Display precedence: CVE, GHSA, the rest, distro advisories last; ties by text.
    #[test]
    fn display_order() {
        let mut ids: Vec<VulnId> = ["DSA-5514-1", "PYSEC-1", "GHSA-x", "CVE-2023-4911", "MAL-1"]
            .into_iter()
            .map(VulnId::new)
            .collect();
        ids.sort_by(|a, b| a.display_key().cmp(&b.display_key()));
        let ids: Vec<&str> = ids.iter().map(VulnId::as_str).collect();
        assert_eq!(
            ids,
            ["CVE-2023-4911", "GHSA-x", "MAL-1", "PYSEC-1", "DSA-5514-1"]
        );
    }

    /// A `VulnId` serializes as its text.
    #[test]
    fn serializes_as_text() {
        let json = serde_json::to_string(&VulnId::new("GHSA-jpcq-cgw6-v4j6")).expect("serializes");
        assert_eq!(json, "\"GHSA-jpcq-cgw6-v4j6\"");
    }
}
